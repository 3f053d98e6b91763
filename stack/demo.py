"""The whole demo on free loopback ports: the API, both pages and the issuer, with the contract's host relations.

`make matrix` and the browser tests run on it (A on `localhost`, B on `127.0.0.1`, the issuer on `127.0.0.1`);
`make run` serves the configured origins instead (commands/run.py).
"""

import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import procs
from .environment import api_environment


@dataclass(frozen=True)
class Origins:
    api: str
    a: str
    b: str
    issuer: str

    def frontend(self, name):
        return {"A": self.a, "B": self.b, "B_proxy": self.b}[name]


@contextmanager
def servers(workdir, redis_url, tls=None):
    """The API, both frontends and the issuer on free ports with the contract's host relations; all stopped on exit.
    With `tls` (stack.certs files) every origin is https, as in `make run-https`."""
    workdir = Path(workdir)
    api, a, b, issuer = (procs.free_port() for _ in range(4))
    s = "https" if tls else "http"
    origins = Origins(f"{s}://localhost:{api}", f"{s}://localhost:{a}", f"{s}://127.0.0.1:{b}", f"{s}://127.0.0.1:{issuer}")
    # A matrix run logs in ~15 times per page, every page from 127.0.0.1: the login limits are lifted.
    env = api_environment(
        api, redis_url, secrets.token_hex(32), scheme=s, lenient_limits=True, JWT_SECRET=secrets.token_hex(32),
        FRONTEND_A_ORIGIN=origins.a, FRONTEND_B_ORIGIN=origins.b, ISSUER_ORIGIN=origins.issuer,
    )
    if tls:
        env.update(TLS_CERT=str(tls.cert), TLS_KEY=str(tls.key), ISSUER_CA_FILE=str(tls.ca))
    services = [
        procs.api(api, env, workers=2, log=workdir / "api.log"),
        procs.frontend("frontend_a", a, env, log=workdir / "frontend_a.log"),
        procs.frontend("frontend_b", b, env, log=workdir / "frontend_b.log"),
        procs.issuer(issuer, env, log=workdir / "issuer.log"),
    ]
    try:
        for service in services:
            service.start()
        yield origins
    finally:
        for service in reversed(services):
            service.stop()
