"""What every app (the API, the authorization server, the BFF, the collector) stands on: settings, clock, users,
HTTP plumbing, stores, the audit log, the password limits, the library patches; imports no app, so no app has to
import another.

Layers, one way: settings, clock, users and failures at the bottom; http/ and stores/ on them, independent of each
other; the apps (backend, issuer, bff, collector) on top. tests/guards/test_layers.py reads the import graph and
enforces it.
"""
