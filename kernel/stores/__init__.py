"""What the server remembers: the Redis client, key names, sessions, revocation records, the rate-limit counters;
never imports kernel.http or any app."""
