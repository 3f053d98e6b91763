"""`make run`: Redis (unless REDIS_URL is set), the API, both frontends and the issuer on the contract's origins.

`make run-https` (`--https`) serves every origin over TLS with a local CA's certificate (see stack/certs.py).
`--server` picks how the API and the issuer are served (docs/servers.md compares the choices).
The two backends-for-frontend (A's, B's) and the attacker's collector (demo-only) start too: docs/browser-apps.md.
The API signs with secrets generated on the first start and kept in var/secrets.json (unless the environment
sets SECRET_KEY / JWT_SECRET). Redis is the app's alone: a unix socket in var/redis/ (0700), the password
REDIS_PASSWORD from var/secrets.json, no TCP port (stack/redis_server.py). If Redis dies it is restarted on its AOF
data; everything else keeps running.
Ctrl-C or SIGTERM stops every child; nothing is left running. The terminal gets one line per process and the URLs
last; each process's own output (access and audit logs, warnings) goes to var/log/<name>.log.
"""

import argparse
import errno
import os
import signal
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from redis.exceptions import RedisError

from backend.config import SETTINGS, raw

from . import certs, load_balancer, local_secrets, procs, redis_server

ORIGINS = ("API_ORIGIN", "FRONTEND_A_ORIGIN", "FRONTEND_B_ORIGIN", "ISSUER_ORIGIN", "BFF_A_ORIGIN", "BFF_B_ORIGIN",
           "COLLECTOR_ORIGIN")


def port_of(origin):
    return urlsplit(origin).port


def https_mode(var):
    """Every origin becomes https (children and this process read them from the environment); TLS files for servers."""
    for name in ORIGINS:
        os.environ[name] = "https://" + raw(name).split("://", 1)[-1]
    if os.environ.get("TLS_CERT") and os.environ.get("TLS_KEY"):  # a certificate of your own
        return {"TLS_CERT": os.environ["TLS_CERT"], "TLS_KEY": os.environ["TLS_KEY"]}, None
    files = certs.ensure(var / "tls")
    return {"TLS_CERT": str(files.cert), "TLS_KEY": str(files.key), "ISSUER_CA_FILE": str(files.ca),
            "REQUESTS_CA_BUNDLE": str(files.ca)}, files  # the last: the BFFs and the collector call the AS and API


def trust_note(files):
    """How to make a browser or client trust the local CA (README "HTTPS mode" says more)."""
    return (
        f"  TLS         certificates from a local CA: trust {files.ca}\n"
        f"              curl --cacert {files.ca} {raw('API_ORIGIN')}/api/health\n"
        f"              or a throwaway Chromium: chromium --user-data-dir=$(mktemp -d) "
        f"--ignore-certificate-errors-spki-list={files.spki_hash()} {raw('FRONTEND_A_ORIGIN')}\n"
    )


def wanted_ports():
    """Every port this launch will listen on, by the name a person knows it by (Redis has a unix socket, no port)."""
    return {
        "API": port_of(raw("API_ORIGIN")), "frontend A": port_of(raw("FRONTEND_A_ORIGIN")),
        "frontend B": port_of(raw("FRONTEND_B_ORIGIN")), "issuer": port_of(raw("ISSUER_ORIGIN")),
    }


def demo_options():
    """Whether the demo options are on (the collector starts only then)."""
    return SETTINGS["DEMO_COOKIE_OPTIONS"][1](raw("DEMO_COOKIE_OPTIONS"))


def browser_app_ports():
    """The ports of RFC 10017's parts: a BFF per frontend site, and the collector while the demo options are on."""
    ports = {"BFF for A": port_of(raw("BFF_A_ORIGIN")), "BFF for B": port_of(raw("BFF_B_ORIGIN"))}
    if demo_options():
        ports["collector"] = port_of(raw("COLLECTOR_ORIGIN"))
    return ports


def browser_apps(ports, env):
    """The BFFs (one process per frontend site) and the collector, each on loopback."""
    services = [procs.bff("a", ports["BFF for A"], env), procs.bff("b", ports["BFF for B"], env)]
    if "collector" in ports:
        services.append(procs.collector(ports["collector"], env))
    return services


def browser_app_lines(ports):
    """The banner's URLs of the BFFs and the collector."""
    lines = (f"  BFF for A   {raw('BFF_A_ORIGIN')}/bff/login   (backend-for-frontend, same-site with A)\n"
             f"  BFF for B   {raw('BFF_B_ORIGIN')}/bff/login   (backend-for-frontend, same-site with B)")
    if "collector" in ports:
        lines += f"\n  collector   {raw('COLLECTOR_ORIGIN')}/records?run=<id>   (the attacker's server, demo-only)"
    return lines


def without_password(url):
    """REDIS_URL as a banner may print it: its password (and a Sentinel's) replaced by ***."""
    parts = urlsplit(url)
    netloc = (":***@" if "@" in parts.netloc else "") + parts.netloc.rpartition("@")[2]
    query = "&".join(f"{p.split('=')[0]}=***" if "password" in p else p for p in parts.query.split("&") if p)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def embedded_redis(var, password):
    """`make run`'s Redis: a unix socket in var/redis/ (0700), password required, AOF in the same folder."""
    folder = var / "redis"
    return redis_server.server(None, folder, password=password, unix_socket=folder / "redis.sock")


def exit_if_busy(ports):
    """Say which port someone else holds and exit 2, before anything starts (and before any banner)."""
    busy = busy_ports(ports)
    for name, port in busy:
        print(f"authlab: port {port} ({name}) is already in use by another process", file=sys.stderr)
    if busy:
        print("authlab: stop that process (or a `make run` left running elsewhere), or move authlab with "
              "API_ORIGIN, FRONTEND_A_ORIGIN, FRONTEND_B_ORIGIN, ISSUER_ORIGIN, BFF_A_ORIGIN, BFF_B_ORIGIN, "
              "COLLECTOR_ORIGIN", file=sys.stderr)
        sys.exit(2)


def busy_ports(ports, host="127.0.0.1"):
    """The (name, port) pairs another process already holds, checked the way the servers will bind."""
    busy = []
    for name, port in ports.items():
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is not busy
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                busy.append((name, port))
    return busy


def dev_defaults_line(env):
    """The children's dev-default warning, said once here (each child's log names them): None if none is used."""
    used = [name for name in SETTINGS if name not in os.environ and name not in env]
    if not used:
        return None
    return f"authlab: {len(used)} settings use their dev defaults (fine on a laptop; docs/configuration.md lists them)"


def give_logs(services, folder):
    """Each process writes to var/log/<name>.log instead of the terminal; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for service in services:
        service.log = folder / f"{service.name}.log"
    return folder


def supervise(restartable, vital, how="starting it again"):
    """Until a stop signal: start again any `restartable` process that died, once its delay has passed (a service:
    seconds mapping); return the name of a `vital` one that died (then everything stops)."""
    died = {}
    while True:
        time.sleep(0.2)
        for service in vital:
            if service.proc.poll() is not None:
                return service.name
        for service, delay in restartable.items():
            if service.proc.poll() is None:
                continue
            if service not in died:
                died[service] = time.monotonic()
                when = f" in {delay:g} s" if delay else ""
                where = getattr(service, "address", service.port)
                print(f"authlab: {service.name} at {where} exited ({service.proc.returncode}); {how}{when}",
                      file=sys.stderr, flush=True)
            if time.monotonic() - died[service] < delay:
                continue
            try:
                service.start()
                del died[service]
                print(f"authlab: {service.name} at {getattr(service, 'address', service.port)} is back",
                      file=sys.stderr, flush=True)
            except (RuntimeError, OSError, RedisError) as exc:  # e.g. its port was taken meanwhile: try again
                print(f"authlab: restart failed ({exc}); retrying", file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--https", action="store_true", help="every origin over TLS (make run-https)")
    parser.add_argument("--server", choices=procs.SERVERS, default=procs.DEFAULT_SERVER,
                        help="how the API and the issuer are served (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        load_balancer.binary()  # in front of the API and the issuer: whole requests only (docs/servers.md)
    except RuntimeError as exc:
        print(f"authlab: {exc}", file=sys.stderr)
        sys.exit(2)
    var = Path(os.environ.get("AUTHLAB_VAR", procs.ROOT / "var"))
    env, tls = https_mode(var) if args.https else ({}, None)
    kept = {k: v for k, v in local_secrets.ensure(var).items() if not os.environ.get(k)}
    redis_password = kept.pop("REDIS_PASSWORD", None) or os.environ["REDIS_PASSWORD"]
    env.update(kept)
    ports = {**wanted_ports(), **browser_app_ports()}
    exit_if_busy(ports)
    services, redis = [], None
    if not os.environ.get("REDIS_URL"):
        redis = embedded_redis(var, redis_password)
        services.append(redis)
        env["REDIS_URL"] = redis.url
        kept["REDIS_PASSWORD"] = redis_password
    services += [
        *load_balancer.fronted(procs.api, "api", ports["API"], env, var / "front", server=args.server),
        procs.frontend("frontend_a", ports["frontend A"], env),
        procs.frontend("frontend_b", ports["frontend B"], env),
        *load_balancer.fronted(procs.issuer, "issuer", ports["issuer"], env, var / "front", server=args.server),
        *browser_apps(ports, env),
    ]

    def stop(signum=None, frame=None, code=0):
        for service in reversed(services):
            service.stop()
        sys.exit(code)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    logs = give_logs(services, var / "log")
    try:
        for service in services:
            service.start()
            where = f"socket {Path(service.address).name}" if service.address.startswith("/") else service.address
            print(f"authlab: {service.name} started at {where}   (log: {service.log.name})", flush=True)
    except RuntimeError as exc:
        print(f"authlab: {exc} (its log: {service.log})", file=sys.stderr)
        stop(code=1)
    defaults = dev_defaults_line(env)
    print(
        (defaults + "\n" if defaults else "")
        + f"  secrets     {', '.join(kept) or 'none'} from {var / 'secrets.json'}   (random, made on the first start)\n"
        f"  Redis       {without_password(env.get('REDIS_URL') or os.environ['REDIS_URL'])}\n"
        f"  logs        {logs}/   (<name>.log: each process's output, access and audit logs, warnings)\n"
        + (trust_note(tls) if tls else "")
        + "\nauthlab is running (Ctrl-C stops everything):\n"
        f"  API         {raw('API_ORIGIN')}/api/health   (served by {args.server} behind HAProxy)\n"
        f"  frontend A  {raw('FRONTEND_A_ORIGIN')}   (same-site as the API)\n"
        f"  frontend B  {raw('FRONTEND_B_ORIGIN')}   (cross-site)\n"
        f"  issuer      {raw('ISSUER_ORIGIN')}/.well-known/jwks.json   (separate token issuer)\n"
        + browser_app_lines(ports),
        flush=True,
    )
    restartable = {redis: 0} if redis else {}
    dead = supervise(restartable, [s for s in services if s is not redis], how="restarting it on its AOF data")
    print(f"authlab: {dead} stopped unexpectedly; stopping the rest", file=sys.stderr)
    stop(code=1)


if __name__ == "__main__":
    main()
