"""What the server remembers: the Redis client, key names, the session interface and the revocation records."""
