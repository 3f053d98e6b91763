"""The processes that make up the demo: Redis, the API, the issuer and the two static frontends.

`make run` starts them on the ports README.md lists; the tests start the same commands on free ports.
"""
