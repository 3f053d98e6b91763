"""The API's rate limits: `@rate_limited.login` and `@rate_limited.basic` on each view that checks a password.

The windows, the counting and the 429 are kernel/password_limits.py's (the issuer counts in the same windows,
so a lock is a lock at both); which views need Redis anyway is handed to `init_app` by create_app, from the
registry. tests/guards/test_registry.py fails for a password endpoint whose view does not wear the decorator.
"""

from kernel.password_limits import PasswordLimits

rate_limited = PasswordLimits()


def init_app(app, needs_store):
    """Count in the app's Redis; `needs_store` (endpoints) answer 503 before any hash while Redis is out."""
    rate_limited.init_app(app, needs_store)
