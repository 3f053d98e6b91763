"""The issuer's password limits: `@rate_limited.login` on its login page and on the password-grant exhibit.

Counted in the API's windows and keys (kernel/password_limits.py, the same Redis), so a lock is a lock at both.
"""

from kernel.password_limits import PasswordLimits

rate_limited = PasswordLimits()
