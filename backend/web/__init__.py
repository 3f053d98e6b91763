"""HTTP plumbing every method shares: errors, request bodies, cookies, CSRF, CORS and HTTPS."""
