"""`make run`: Redis (unless REDIS_URL is set), the API, both frontends and the issuer on the contract's origins.

Ctrl-C or SIGTERM stops every child; nothing is left running.
"""

import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from backend.config import SETTINGS, raw

from . import procs, redis_server


def port_of(origin):
    return urlsplit(origin).port


def main():
    env = {}
    services = []
    if not os.environ.get("REDIS_URL"):
        port = int(os.environ.get("AUTHLAB_REDIS_PORT", port_of(SETTINGS["REDIS_URL"][0])))
        redis = redis_server.server(port, Path(os.environ.get("AUTHLAB_VAR", procs.ROOT / "var")) / "redis")
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
    while all(service.proc.poll() is None for service in services):
        time.sleep(1)
    dead = [s.name for s in services if s.proc.poll() is not None]
    print(f"authlab: {', '.join(dead)} stopped unexpectedly; stopping the rest", file=sys.stderr)
    stop()


if __name__ == "__main__":
    main()
