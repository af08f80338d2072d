"""The staff console: the case list, organisations and the user's own account.

Signing in and out is in ``app.accounts.views``; every organisation-owned
query here goes through ``app.accounts.scoping``.
"""
