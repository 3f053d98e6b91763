"""HTTP plumbing every app shares: errors, request bodies, cookies, CSRF, HTTPS and header helpers; never a store."""
