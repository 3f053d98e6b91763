"""What the server remembers: the Redis client, the session interface and the revocation records."""
