"""`make run-ha`: `make run` with no single point of failure: Redis that fails over, API instances behind HAProxy.

Redis is a Sentinel group (a primary, 2 replicas, 3 Sentinels) or, with `--cluster`, a Redis Cluster of 3 masters
with a replica each, on free loopback ports, fresh at every start, with passwords of their own made for that start
(stack/redis_topologies.py). Two API instances (`--instances`) serve behind HAProxy, which listens
at the API's origin, so both frontends and the issuer's users reach the API through the balancer. A Redis process
or an API instance that dies is started again on its own data (a killed primary after Sentinel has promoted a
replica, so it comes back as a replica); try `kill -9` on one and watch the answers. Ctrl-C or SIGTERM stops
every child; nothing is left running.
"""

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

from kernel.settings import raw
from stack import configured_origins, load_balancer, local_secrets, procs, redis_server, redis_topologies, supervision

from . import run

FAILOVER_S = 5  # a dead Redis process waits this long to restart: down-after / node timeout (1 s) plus the failover


class Stopped(Exception):
    """A stop signal arrived (Ctrl-C or SIGTERM)."""


def _stop(signum, frame):
    raise Stopped


def banner(args, env, kept, var, topology, balanced):
    """What runs where, with the Redis processes a person may kill to see a failover."""
    if args.cluster:
        redis_lines = "\n".join(
            [f"              master  127.0.0.1:{n.port}" for n in topology.nodes]
            + [f"              replica 127.0.0.1:{r.port}" for r in topology.replicas]
        )
    else:
        redis_lines = "\n".join(
            [f"              primary 127.0.0.1:{topology.primary.port}"]
            + [f"              replica 127.0.0.1:{r.port}" for r in topology.replicas]
            + [f"              sentinel 127.0.0.1:{s.port}" for s in topology.sentinels]
        )
    instances = ", ".join(str(api.uds) for api in balanced.apis)
    return (
        "\nauthlab (HA) is running (Ctrl-C stops everything):\n"
        f"  API         {raw('API_ORIGIN')}/api/health   (HAProxy, round robin; X-Served-By names the instance)\n"
        f"  instances   {instances}   (served by {args.server}; unix sockets only HAProxy reaches)\n"
        f"  frontend A  {raw('FRONTEND_A_ORIGIN')}   (same-site as the API)\n"
        f"  frontend B  {raw('FRONTEND_B_ORIGIN')}   (cross-site)\n"
        f"  issuer      {raw('ISSUER_ORIGIN')}/.well-known/jwks.json   (separate token issuer)\n"
        f"  secrets     {', '.join(kept) or 'none'} from {var / 'secrets.json'}\n"
        f"  Redis       {redis_server.without_password(env['REDIS_URL'])}   (passwords: made for this start)\n"
        f"{redis_lines}\n"
    )


def main(argv=None):
    """Start the HA stack on the configured origins, say where, keep it up (failing over) until a stop signal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", action="store_true",
                        help="a Redis Cluster (3 masters, a replica each) instead of Sentinel")
    parser.add_argument("--instances", type=int, default=2, help="API instances behind HAProxy (%(default)s)")
    parser.add_argument("--server", choices=procs.SERVERS, default=procs.DEFAULT_SERVER,
                        help="how the API instances and the issuer are served (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        load_balancer.binary()
    except RuntimeError as exc:
        print(f"authlab: {exc}", file=sys.stderr)
        sys.exit(2)
    var = Path(os.environ.get("AUTHLAB_VAR", procs.ROOT / "var"))
    kept = {k: v for k, v in local_secrets.ensure(var).items() if not os.environ.get(k) and k != "REDIS_PASSWORD"}
    ports = {name: port for name, port in configured_origins.wanted_ports().items()
             if name != "Redis"}  # Redis: free ports
    run.exit_if_busy(ports)
    procs.claim(ports.values())  # the Redis processes start on free ports before HAProxy binds the API's
    env = {**kept, "API_ORIGIN": raw("API_ORIGIN")}
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    with contextlib.ExitStack() as stack:
        try:
            ha = var / "ha"
            topology = stack.enter_context(
                redis_topologies.cluster(ha, node_timeout_ms=1000) if args.cluster
                else redis_topologies.sentinel_group(ha))
            env["REDIS_URL"] = topology.url
            balanced = stack.enter_context(load_balancer.balanced_apis(
                ha, env, instances=args.instances, port=ports["API"], server=args.server, workers=1))
            others = [
                procs.frontend("frontend_a", ports["frontend A"], env),
                procs.frontend("frontend_b", ports["frontend B"], env),
                *load_balancer.fronted(procs.issuer, "issuer", ports["issuer"], env, ha / "front", server=args.server),
            ]
            for service in others:
                stack.enter_context(service)
            print(banner(args, env, kept, var, topology, balanced), flush=True)
            if args.cluster:  # its replica takes over first; the old master then comes back as a replica
                restartable = dict.fromkeys([*topology.nodes, *topology.replicas], FAILOVER_S)
            else:  # Sentinel fails over first; the old primary then comes back as a replica
                restartable = dict.fromkeys([topology.primary, *topology.replicas, *topology.sentinels], FAILOVER_S)
            restartable.update(dict.fromkeys(balanced.apis, 0))
            dead = supervision.supervise(restartable, [balanced.balancer, *others])
            print(f"authlab: {dead} stopped unexpectedly; stopping the rest", file=sys.stderr)
            code = 1
        except Stopped:
            pass
        except RuntimeError as exc:
            print(f"authlab: {exc}", file=sys.stderr)
            code = 1
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stops short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    main()
