"""Access control for the web adapters: who is asking (flask-login, tokens), the one guard, limits."""
