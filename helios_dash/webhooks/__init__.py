"""Webhooks: endpoints, the outbox and its sender, signing, and the outbound-request guard."""
