"""Hypotheses: encrypted text, validated by plugins (service.py); key rotation (rotation.py, commands.py)."""
from .service import create_hypothesis, get_hypothesis, list_hypotheses, validate_hypothesis

__all__ = ["create_hypothesis", "get_hypothesis", "list_hypotheses", "validate_hypothesis"]
