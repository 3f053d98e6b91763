"""One bench run: start the stack, log in once per method, then load, count, time and scale, in that order."""

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from stack.redis_server import without_password

from . import inproc, load, machine, redis_count, scale, throughput, topologies, wire
from .methods import FLOORS, METHODS, SERVERS, Unavailable
from .servers import DEFAULT_SERVER, HOST, Stack


@dataclass
class Settings:
    """Every knob of a run (the CLI fills it; --quick picks the short column)."""

    workdir: Path
    tool: str = "auto"
    workers: int = 5
    server: str = DEFAULT_SERVER
    connections: int = 10
    seconds: int = 3  # per load, whole seconds (wrk takes no fractions)
    password_seconds: int = 5  # per load of a method that hashes a password per request (one connection per worker)
    pair_public: bool = True  # a load of public right before each method (else one public load per round)
    warmup_s: int = 1
    warm_all: bool = True  # warm every endpoint (else one per API configuration)
    rounds: int = 5  # medians of 5 paired rounds: a round alone moves by up to 0.1 x on 2 shared cores
    counted: int = 100  # exact requests per method for Redis counts and bytes (Basic: a tenth, at least 3)
    inproc_budget_s: float = 1.5
    inproc_password_calls: int = 50  # in-process calls for a method that hashes a password (each ~0.1-0.4 s)
    scale_per_method: int = 10_000  # 0: no scale run
    scale_memory: int = 2_000  # 0: no in-process-store instances at all
    scale_users: int = 8
    topology_run: bool = True  # Sentinel and Cluster against one Redis, a failover under load, the write loss


class Progress:
    """Timestamped lines while the run goes, so a 4-minute wait is never silent."""

    def __init__(self):
        self.start = time.monotonic()

    def __call__(self, message):
        print(f"[{time.monotonic() - self.start:6.1f}s] {message}", flush=True)


def measure(settings, progress):
    """The whole run as one dict (figures not yet turned into ratios: see report.finish)."""
    tool = load.pick(settings.tool)
    peers = {m.peer.key: m.peer.factory for m in METHODS if m.peer}
    with Stack(settings.workdir / "api", settings.workers, settings.server, SERVERS, peers=peers) as stack:
        progress(f"stack up: redis {without_password(stack.redis.url)}, "
                 f"API {', '.join(stack.url(n) for n in stack.apis)}, "
                 f"{len(stack.peers)} peer apps")
        about = machine.describe(stack.redis.url, tool.version())
        methods, credentials, peer_credentials, missing = _log_in(stack, progress)
        progress(f"logged in once per method: {', '.join(m.key for m in methods)}; and once per peer")
        loads = throughput.measure(stack, tool, methods, credentials, peer_credentials, settings, progress)
        counts = {m.key: _counted(stack, m, credentials[m.key], settings.counted) for m in methods}
        progress("Redis commands and bytes counted over exact requests")
        costs = _in_process(stack, methods, credentials, settings, progress)
        floors = inproc.primitives(stack.redis.url, *((2_000, 3) if settings.warm_all else (300, 1)))
    about["load_average_after_throughput"] = [round(x, 2) for x in os.getloadavg()]
    rows = [_row(m, credentials[m.key], loads[m.key], counts[m.key], costs[m.key]) for m in methods]
    # The issuer's JWT takes the same Redis path as ours (the revocation MGET), so the scale run leaves it out, and
    # a row that repeats another beside a second usual way adds nothing there either.
    redis_backed = [m for m in methods if m.kind == "redis" and m.key != "issuer" and not m.repeats]
    scaled = _scale(settings, redis_backed, progress)
    beyond = topologies.run(redis_backed, tool, settings, settings.workdir / "topologies", progress) \
        if settings.topology_run and redis_backed else None
    settings_used = _settings(settings, tool)
    floors = {k: round(v, 1) for k, v in floors.items()}
    return {"machine": about, "settings": settings_used, "methods": rows, "missing": missing, "scale": scaled,
            "topologies": beyond, "primitives_us": floors}


def _log_in(stack, progress):
    """Each method's credential, issued by the running API; methods it does not offer are set aside.
    Logins (a password hash each) run side by side, and so do the peers'."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        tried = [(m, pool.submit(_obtain, stack, m)) for m in METHODS]
        methods, credentials, missing = [], {}, {}
        for m, future in tried:
            credential, why = future.result()
            if why:
                missing[m.key] = why
                progress(f"{m.label}: not offered by this API ({why}); reported as missing")
                continue
            methods.append(m)
            credentials[m.key] = credential
        peers = {m.key: pool.submit(_obtain_peer, stack, m) for m in methods if m.peer}
        return methods, credentials, {key: future.result() for key, future in peers.items()}, missing


def _obtain(stack, m):
    """(credential, None) for a method the API offers, checked by one request of `me`; (None, why) otherwise."""
    try:
        credential = m.obtain(stack.url(m.server), stack.issuer_url)
    except Unavailable as exc:
        return None, str(exc)
    port = stack.apis[m.server].port
    status, _ = wire.send(HOST, port, wire.raw_request(HOST, port, m.path, credential.headers))
    if status == 404:
        return None, f"GET {m.path} -> 404"
    if status != 200:
        raise RuntimeError(f"{m.label}: GET {m.path} with a fresh credential answered {status}")
    return credential, None


def _obtain_peer(stack, m, warm_requests=20):
    """A peer's credential from its own /login, checked (and the peer warmed) by a few requests of `me`."""
    credential = m.peer.obtain(stack.peer_url(m.peer.key), stack.issuer_url)
    port = stack.peers[m.peer.key].port
    request = wire.raw_request(HOST, port, m.path, credential.headers)
    for _ in range(2 if m.kind == "password" else warm_requests):
        status, _ = wire.send(HOST, port, request)
        if status != 200:
            raise RuntimeError(f"peer {m.peer.label}: GET {m.path} with a fresh credential answered {status}")
    return credential


def _counted(stack, m, credential, n):
    """Exactly n requests (n/10 for Basic), all 200: Redis work per request and the bytes each way."""
    n = max(3, n // 10) if m.kind == "password" else n
    port = stack.apis[m.server].port
    request = wire.raw_request(HOST, port, m.path, credential.headers)
    sizes = []

    def requests():
        for _ in range(n):
            status, size = wire.send(HOST, port, request)
            if status != 200:
                raise RuntimeError(f"{m.label}: counted request answered {status}")
            sizes.append(size)

    work = redis_count.counted(stack.redis.url, n, requests)
    return {"redis": work, "request_bytes": len(request), "response_bytes": statistics.median(sizes), "requests": n}


def _in_process(stack, methods, credentials, settings, progress):
    """Median server-side time per request with the app called in this process, per method."""
    costs = {}
    for server in {m.server for m in methods}:
        with inproc.app_like(stack.envs[server]) as app:
            for m in (m for m in methods if m.server == server):
                calls = settings.inproc_password_calls if m.kind == "password" else 20_000
                headers = credentials[m.key].headers
                costs[m.key] = inproc.time_requests(app, m.path, headers, settings.inproc_budget_s, calls)
    progress("in-process cost per request timed")
    return costs


def _row(m, credential, loaded, counted, cost):
    """One method's raw figures."""
    return {
        "key": m.key, "label": m.label, "path": m.path, "kind": m.kind, "server": m.server,
        "load": loaded,
        "inproc_us": cost["median_us"], "inproc_calls": cost["calls"],
        "redis": counted["redis"], "counted_requests": counted["requests"],
        "request_bytes": counted["request_bytes"], "credential_header_bytes": wire.header_bytes(credential.headers),
        "response_bytes": counted["response_bytes"],
        "credential": {"issued_as": credential.issued_as, "issued_bytes": credential.issued_bytes,
                       "set_cookie_bytes": credential.set_cookie_bytes},
        "target": {"round_trips": m.round_trips},
        "floor": list(FLOORS.get(m.key, ())),
        "peer": m.peer.label if m.peer else None, "peer_key": m.peer.key if m.peer else None,
        "repeats": m.repeats,
    }


def _scale(settings, methods, progress):
    """Two instances on one Redis (restarted halfway), then two with in-process session stores."""
    if not methods or not settings.scale_per_method:
        return None
    one_api = {"API_ORIGIN": "http://localhost:8000"}  # two instances of one API share its origin (JWT `iss`)
    in_process = {**one_api, "SESSION_STORE": "memory"}
    configs = {"a": one_api, "b": one_api}
    if settings.scale_memory:
        configs.update(memory_a=in_process, memory_b=in_process)
    with Stack(settings.workdir / "scale", settings.workers, settings.server, configs, issuer=False) as stack:
        pair = [(HOST, stack.apis[n].port) for n in ("a", "b")]
        progress(f"scale: 2 instances x {settings.workers} workers, one Redis; "
                 f"{settings.scale_per_method:,} requests per method, Redis restarted halfway")
        shared = scale.run(methods, pair, settings.scale_users, settings.scale_per_method,
                           restart=lambda: scale.restart_redis(stack.redis))
        progress(f"scale with Redis: {_failures(shared)}")
        session = [m for m in methods if m.key == "session"]
        memory = None
        if session and settings.scale_memory:
            pair = [(HOST, stack.apis[n].port) for n in ("memory_a", "memory_b")]
            memory = scale.run(session, pair, settings.scale_users, settings.scale_memory)
            progress(f"scale with SESSION_STORE=memory: {_failures(memory)}")
    return {"workers_per_instance": settings.workers, "shared_redis": shared, "memory_store": memory}


def _failures(result):
    counts = result["methods"].items()
    return ", ".join(f"{k} {v['auth_failures']:,}/{v['requests']:,} auth failures" for k, v in counts)


def _settings(settings, tool):
    out = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()}
    return {**out, "tool": tool.name}
