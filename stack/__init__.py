"""The launchers: each process the demo runs (Redis, the API, the issuer, the two static frontends, HAProxy, the
wiretap's relay), started and stopped from Python, importable without side effects.

The command-line entry points that call them (`make run`, `make run-https`, `make run-ha`, `make matrix`) are in
commands/; the tests and `make bench` start the same launchers on free ports.
"""
