"""What the server remembers (Redis and its fallbacks); never imports kernel.http or any app."""
