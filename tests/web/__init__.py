"""Tests of backend/web."""
