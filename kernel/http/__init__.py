"""HTTP plumbing every app shares: errors, request bodies, cookies, CSRF, CORS, HTTPS, headers; never a store."""
