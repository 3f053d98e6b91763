"""`make run`: Redis (unless REDIS_URL is set), the API, both frontends and the issuer on the contract's origins.

`make run-https` (`--https`) serves every origin over TLS with a local CA's certificate (see stack/certs.py).
Ctrl-C or SIGTERM stops every child; nothing is left running.
"""

import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from backend.config import SETTINGS, raw

from . import certs, procs, redis_server

ORIGINS = ("API_ORIGIN", "FRONTEND_A_ORIGIN", "FRONTEND_B_ORIGIN", "ISSUER_ORIGIN")


def port_of(origin):
    return urlsplit(origin).port


def https_mode(var):
    """Every origin becomes https (children and this process read them from the environment); TLS files for servers."""
    for name in ORIGINS:
        os.environ[name] = "https://" + raw(name).split("://", 1)[-1]
    if os.environ.get("TLS_CERT") and os.environ.get("TLS_KEY"):  # a certificate of your own
        return {"TLS_CERT": os.environ["TLS_CERT"], "TLS_KEY": os.environ["TLS_KEY"]}, None
    files = certs.ensure(var / "tls")
    return {"TLS_CERT": str(files.cert), "TLS_KEY": str(files.key), "ISSUER_CA_FILE": str(files.ca)}, files


def trust_note(files):
    """How to make a browser or client trust the local CA (README "HTTPS mode" says more)."""
    return (
        f"  TLS         certificates from a local CA: trust {files.ca}\n"
        f"              curl --cacert {files.ca} {raw('API_ORIGIN')}/api/health\n"
        f"              or a throwaway Chromium: chromium --user-data-dir=$(mktemp -d) "
        f"--ignore-certificate-errors-spki-list={files.spki_hash()} {raw('FRONTEND_A_ORIGIN')}\n"
    )


def main():
    var = Path(os.environ.get("AUTHLAB_VAR", procs.ROOT / "var"))
    env, tls = https_mode(var) if "--https" in sys.argv[1:] else ({}, None)
    services = []
    if not os.environ.get("REDIS_URL"):
        port = int(os.environ.get("AUTHLAB_REDIS_PORT", port_of(SETTINGS["REDIS_URL"][0])))
        redis = redis_server.server(port, var / "redis")
        services.append(redis)
        env["REDIS_URL"] = redis.url
    services += [
        procs.api(port_of(raw("API_ORIGIN")), env),
        procs.frontend("frontend_a", port_of(raw("FRONTEND_A_ORIGIN")), env),
        procs.frontend("frontend_b", port_of(raw("FRONTEND_B_ORIGIN")), env),
        procs.issuer(port_of(raw("ISSUER_ORIGIN")), env),
    ]

    def stop(signum=None, frame=None):
        for service in reversed(services):
            service.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for service in services:
            service.start()
    except RuntimeError as exc:
        print(f"authlab: {exc}", file=sys.stderr)
        stop()
    print(
        "\nauthlab is running (Ctrl-C stops everything):\n"
        f"  API         {raw('API_ORIGIN')}/api/health\n"
        f"  frontend A  {raw('FRONTEND_A_ORIGIN')}   (same-site as the API)\n"
        f"  frontend B  {raw('FRONTEND_B_ORIGIN')}   (cross-site)\n"
        f"  issuer      {raw('ISSUER_ORIGIN')}/.well-known/jwks.json   (separate token issuer)\n"
        f"  Redis       {env.get('REDIS_URL') or os.environ['REDIS_URL']}\n",
        flush=True,
    )
    if tls:
        print(trust_note(tls), flush=True)
    while all(service.proc.poll() is None for service in services):
        time.sleep(1)
    dead = [s.name for s in services if s.proc.poll() is not None]
    print(f"authlab: {', '.join(dead)} stopped unexpectedly; stopping the rest", file=sys.stderr)
    stop()


if __name__ == "__main__":
    main()
