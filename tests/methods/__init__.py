"""Tests of backend/methods."""
