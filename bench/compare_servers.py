"""`python -m bench.compare_servers`: the WSGI servers `--server` offers, side by side, for docs/servers.md.

Every server serves the same API on one Redis at the same time; wrk loads `/api/public` and a session `me` in
interleaved rounds (the order rotates each round), so a busy moment of the machine hits every server alike. Each
round's req/s is divided by gunicorn sync's in the same round and the median ratio is reported. Then each server
holds a crowd of idle, slow-header and stalled-body clients (bench/slow_clients.py) while a probe asks for
`/api/public`, and answers a handful of requests its HTTP parser must refuse; last, the same crowd against granian
behind HAProxy, as `make run` serves the API (`--slow-clients-only` skips the throughput rounds).
"""

import argparse
import contextlib
import json
import os
import socket
import statistics
import time
from pathlib import Path

import requests

from stack import load_balancer, procs, redis_server

from . import load, slow_clients
from .servers import HOST, api_env

ROOT = Path(__file__).resolve().parent.parent
THREADS = 4  # per worker, for the servers that run the app in threads (granian, gthread)
ENDPOINTS = {"public": "/api/public", "session me": "/api/session/me"}
FRONTED = "granian behind HAProxy"  # how make run serves the API: whole requests only reach granian
# Requests the server's own parser refuses (the app never sees them): what comes back, and is it JSON?
MALFORMED = {
    "control byte in a header": b"GET /api/public HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n",
    "request line of 20 KB": b"GET /api/public?" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "one header of 600 KB": b"GET /api/public HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 600_000 + b"\r\n\r\n",
    "bad chunk size": b"POST /api/session/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "unknown transfer coding": b"POST /api/session/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "not HTTP": b"HELLO\r\n\r\n",
}


def workers(server):
    """The usual model for 2 cores: sync 2n+1 processes; the others one process per core."""
    cores = os.cpu_count() or 1
    return 2 * cores + 1 if server == "gunicorn-sync" else cores


def raw_answer(port, payload, timeout=5):
    """The status line, Content-Type and first bytes of the body the server sends back (or how it hung up)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server may answer and hang up before it has read everything: read what it sent
            pass
        data = b""
        try:
            while len(data) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError as exc:
            if not data:
                return {"status": None, "note": f"connection {exc.__class__.__name__}"}
    if not data:
        return {"status": None, "note": "closed without an answer"}
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    content_type = next((v.strip() for k, v in headers.items() if k.lower() == "content-type"), "")
    return {"status": int(lines[0].split()[1]), "content_type": content_type, "body": body[:60].decode("latin-1")}


def session_cookie(url):
    """A session for alice, as the Cookie header wrk sends."""
    alice = {"username": "alice", "password": "wonderland"}
    response = requests.post(url + "/api/session/login", json=alice, timeout=10)
    response.raise_for_status()
    return {"Cookie": f"session_id={response.cookies['session_id']}"}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.compare_servers", description=__doc__.splitlines()[0])
    p.add_argument("--servers", nargs="+", default=list(procs.SERVERS), choices=procs.SERVERS)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=int, default=3, help="wrk seconds per endpoint per server per round")
    p.add_argument("--connections", type=int, default=10)
    p.add_argument("--hold", type=float, default=30, help="seconds each server holds the slow-client crowd")
    p.add_argument("--crowd", type=int, default=64, help="idle connections, and as many slow-header ones")
    p.add_argument("--stalled", type=int, default=64, help="stalled-body connections in the crowd too")
    p.add_argument("--slow-clients-only", action="store_true", help="no throughput rounds: the crowd only")
    p.add_argument("--out", type=Path, default=ROOT / "reports" / "servers.json")
    args = p.parse_args(argv)
    workdir = ROOT / "var" / "compare-servers"
    workdir.mkdir(parents=True, exist_ok=True)
    tool = load.Wrk()
    result = {"settings": {**vars(args), "out": str(args.out), "threads": THREADS, "cores": os.cpu_count(),
                           "load_average_at_start": os.getloadavg()}, "servers": {}}
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(redis_server.server(procs.free_port(), workdir / "redis"))
        urls = {}
        for server in args.servers:
            port = procs.free_port()
            env = api_env(redis.url, port, "http://127.0.0.1:1")
            stack.enter_context(procs.api(port, env, workers(server), HOST, workdir / f"{server}.log", server, THREADS))
            urls[server] = f"http://{HOST}:{port}"
        rounds = 0 if args.slow_clients_only else args.rounds
        headers = {"public": {}, "session me": session_cookie(urls[args.servers[0]])} if rounds else {}
        loads = {s: {e: [] for e in ENDPOINTS} for s in args.servers}
        for server in args.servers if rounds else []:  # warm-up: imports, connection pools
            for endpoint, path in ENDPOINTS.items():
                tool.run(urls[server] + path, headers[endpoint], 1, args.connections)
        for r in range(rounds):
            order = args.servers[r % len(args.servers):] + args.servers[: r % len(args.servers)]
            for server in order:
                for endpoint, path in ENDPOINTS.items():
                    got = tool.run(urls[server] + path, headers[endpoint], args.seconds, args.connections)
                    loads[server][endpoint].append(got)
                    print(f"round {r + 1} {server:17} {endpoint:10} {got.rps:8.0f} req/s p99 {got.p99_ms:6.1f} ms "
                          f"errors {got.errors}", flush=True)
        base = "gunicorn-sync" if "gunicorn-sync" in args.servers else args.servers[0]
        for server in args.servers:
            row = result["servers"][server] = {"workers": workers(server)}
            for endpoint in ENDPOINTS if rounds else []:
                runs = loads[server][endpoint]
                ratios = [a.rps / b.rps for a, b in zip(runs, loads[base][endpoint], strict=False)
                          if b.rps] or [float("nan")]
                row[endpoint] = {
                    "rps_median": round(statistics.median(x.rps for x in runs)),
                    "p99_ms_median": round(statistics.median(x.p99_ms for x in runs), 1),
                    "vs_" + base: round(statistics.median(ratios), 2),
                    "errors": sum(x.errors for x in runs),
                }
        front_port = procs.free_port()  # granian behind HAProxy (make run's way), for the crowd only
        front_env = api_env(redis.url, front_port, "http://127.0.0.1:1")
        for service in load_balancer.fronted(procs.api, "api", front_port, front_env, workdir / "front",
                                             workers=workers("granian"), log=workdir / "front.log"):
            stack.enter_context(service)
        urls[FRONTED] = f"http://{HOST}:{front_port}"
        result["servers"][FRONTED] = {"workers": workers("granian")}
        for server in [*args.servers, FRONTED]:
            port = int(urls[server].rsplit(":", 1)[1])
            started = time.monotonic()
            outcome = slow_clients.hold(HOST, port, idle=args.crowd, slow=args.crowd, stalled=args.stalled,
                                        seconds=args.hold)
            survived = not outcome.probe_failures and outcome.worst_ms < 1000
            result["servers"][server]["slow_clients"] = {**outcome.summary(), "survived": survived,
                                                          "held_s": round(time.monotonic() - started, 1)}
            print(f"{server}: slow clients {result['servers'][server]['slow_clients']}", flush=True)
            time.sleep(6)  # let the server drop what is left of the crowd before the next one
            result["servers"][server]["parse_errors"] = {name: raw_answer(port, payload)
                                                         for name, payload in MALFORMED.items()}
    result["settings"]["load_average_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["servers"], indent=1))


if __name__ == "__main__":
    main()
