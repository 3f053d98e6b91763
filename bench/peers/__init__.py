"""The usual ways: minimal idiomatic Flask apps that `make bench` loads side by side with authlab.

Each module is one app factory doing the work authlab's `me` does for one method, the way the library's
own documentation shows it: the same user table (a dict of users with scrypt hashes), the same Redis
(REDIS_URL), the same secrets and token lifetimes (SECRET_KEY, JWT_SECRET, JWT_ACCESS_TTL, TOKEN_TTL), and
`me` answering the same small JSON body. Each has a `/login` that issues the credential the bench presents.
They are benchmark subjects only: no CSRF, no cookie policy, no rate limits, no audit.
"""
