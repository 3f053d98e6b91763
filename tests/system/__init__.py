"""Tests that run the whole stack: real processes, fault drills, make run and make bench."""
