"""Accounts: users, sessions, API tokens and the audit log, as repositories over the store.

Nothing here imports Flask: the web adapters (helios_dash.access) and the command line use these.
"""
