"""Tests of the HTTP plumbing (kernel/http) and the API's web wiring (backend/web)."""
