"""What every app (the API, the authorization server, the BFF, the collector) stands on; imports no app."""
