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
import os
import signal
import sys
from pathlib import Path

from kernel.settings import SETTINGS, raw
from stack import configured_origins, load_balancer, local_secrets, procs, redis_server, supervision


def trust_note(files):
    """How to make a browser or client trust the local CA (README "HTTPS mode" says more)."""
    return (
        f"  TLS         certificates from a local CA: trust {files.ca}\n"
        f"              curl --cacert {files.ca} {raw('API_ORIGIN')}/api/health\n"
        f"              or a throwaway Chromium: chromium --user-data-dir=$(mktemp -d) "
        f"--ignore-certificate-errors-spki-list={files.spki_hash()} {raw('FRONTEND_A_ORIGIN')}\n"
    )


def demo_options():
    """Whether the demo options are on (the collector starts only then)."""
    return SETTINGS["DEMO_COOKIE_OPTIONS"][1](raw("DEMO_COOKIE_OPTIONS"))


def browser_app_ports():
    """The ports of RFC 10017's parts: a BFF per frontend site, and the collector while the demo options are on."""
    port_of = configured_origins.port_of
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


def exit_if_busy(ports):
    """Say which port someone else holds and exit 2, before anything starts (and before any banner)."""
    busy = configured_origins.busy_ports(ports)
    for name, port in busy:
        print(f"authlab: port {port} ({name}) is already in use by another process", file=sys.stderr)
    if busy:
        print("authlab: stop that process (or a `make run` left running elsewhere), or move authlab with "
              "API_ORIGIN, FRONTEND_A_ORIGIN, FRONTEND_B_ORIGIN, ISSUER_ORIGIN, BFF_A_ORIGIN, BFF_B_ORIGIN, "
              "COLLECTOR_ORIGIN", file=sys.stderr)
        sys.exit(2)


def dev_defaults_line(env):
    """The children's dev-default warning, said once here (each child's log names them): None if none is used."""
    used = [name for name in SETTINGS if name not in os.environ and name not in env]
    if not used:
        return None
    return f"authlab: {len(used)} settings use their dev defaults (fine on a laptop; docs/configuration.md lists them)"


def main(argv=None):
    """Start everything on the configured origins, say where, keep it up until Ctrl-C or SIGTERM."""
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
    env, tls = configured_origins.https_mode(var) if args.https else ({}, None)
    kept = {k: v for k, v in local_secrets.ensure(var).items() if not os.environ.get(k)}
    redis_password = kept.pop("REDIS_PASSWORD", None) or os.environ["REDIS_PASSWORD"]
    env.update(kept)
    ports = {**configured_origins.wanted_ports(), **browser_app_ports()}
    exit_if_busy(ports)
    services, redis = [], None
    if not os.environ.get("REDIS_URL"):
        redis = redis_server.embedded(var, redis_password)
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
    logs = supervision.give_logs(services, var / "log")
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
        f"  Redis       {redis_server.without_password(env.get('REDIS_URL') or os.environ['REDIS_URL'])}\n"
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
    vital = [s for s in services if s is not redis]
    dead = supervision.supervise(restartable, vital, how="restarting it on its AOF data")
    print(f"authlab: {dead} stopped unexpectedly; stopping the rest", file=sys.stderr)
    stop(code=1)


if __name__ == "__main__":
    main()
