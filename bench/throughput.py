"""Throughput and latency under the load tool: each method right after a load of /api/public, and right
beside the usual way of doing the same (its peer app), in interleaved rounds."""

import statistics
import time
from dataclasses import dataclass

from . import noise

NOISY = 0.05  # a load during which other programs used more than this share of the CPU is flagged


@dataclass(frozen=True)
class Target:
    """One thing to load: a URL, the headers to send, and the process (with children) that serves it."""

    url: str
    headers: dict
    pid: int


def shape(m, settings):
    """(seconds, connections) of a load of method m: a password hash per request gets longer loads on one
    connection per worker, so that a short run still completes requests instead of queueing hashes."""
    if m.kind == "password":
        return max(settings.seconds, settings.password_seconds), settings.workers
    return settings.seconds, settings.connections


def measure(stack, tool, methods, credentials, peer_credentials, settings, progress):
    """Warm up, then in each round load public (+ bare Flask), and each method (order rotated) with its peer.

    A method's ratio to public is to the public load of its round (just before it, unless --quick shares one
    public load per round); its ratio to its peer is to the peer load right beside it (order alternating by
    round), so the noise of a shared machine (other programs come and go) mostly cancels out.
    """
    redis_pid = stack.redis.proc.pid

    def target(m, side="authlab", server=None):
        if side == "peer":
            service = stack.peers[m.peer.key]
            return Target(stack.peer_url(m.peer.key) + m.path, peer_credentials[m.key].headers, service.proc.pid)
        server = server or m.server
        return Target(stack.url(server) + m.path, credentials[m.key].headers, stack.apis[server].proc.pid)

    def hit(where, seconds, connections):
        with noise.Meter({"api": where.pid, "redis": redis_pid}) as meter:
            result = tool.run(where.url, where.headers, seconds, connections)
        result.foreign_cpu = meter.share
        # Requests the load tool did not count (cut off at the end) are still served: a small overestimate.
        per_request = 1e6 / max(result.requests, 1)
        result.server_cpu_us = round(sum(meter.watched.values()) * per_request, 1)
        result.redis_cpu_us = round(meter.watched["redis"] * per_request, 1)
        # Requests still queued when the load stopped (Basic: up to `connections` password hashes) would
        # slow the next endpoint down: they finish within about one p99, so wait that long first.
        time.sleep(min(5.0, 0.25 + result.p99_ms / 1000))
        return result.as_dict()

    def side_by_side(m, r):
        """This method's load and its peer's, the order alternating by round; (authlab, peer or None)."""
        seconds, connections = shape(m, settings)
        sides = ("authlab", "peer") if m.peer else ("authlab",)
        if r % 2:
            sides = sides[::-1]
        done = {side: hit(target(m, side), seconds, connections) for side in sides}
        return done["authlab"], done.get("peer")

    # Warm-up pays each worker's one-time costs (the users' hash table, Redis connections, the issuer's
    # JWKS). Quick runs warm one endpoint per server, the one that touches all of these (the last listed);
    # their peers were warmed by a few requests at login.
    warm = methods if settings.warm_all else list({m.server: m for m in methods}.values())
    for m in warm:
        hit(target(m), settings.warmup_s, shape(m, settings)[1])
        if settings.warm_all and m.peer:
            hit(target(m, "peer"), settings.warmup_s, shape(m, settings)[1])
    progress(f"warmed up {len(warm)} endpoints with {tool.name} ({settings.warmup_s:g}s each)")
    base, others = methods[0], methods[1:]
    runs = {m.key: [] for m in methods}
    for r in range(settings.rounds):
        public, bare = side_by_side(base, r)
        runs[base.key].append({**public, "peer": bare})
        _say(progress, r, settings, base, public, bare, public)
        for m in others[r % len(others):] + others[: r % len(others)]:
            before = hit(target(base, server=m.server), settings.seconds, settings.connections) \
                if settings.pair_public else public
            result, peer = side_by_side(m, r)
            if settings.pair_public:
                runs[base.key].append(before)
            runs[m.key].append({**result, "baseline": before, "peer": peer})
            _say(progress, r, settings, m, result, peer, before)
    return {key: _median_run(results) for key, results in runs.items()}


def _say(progress, r, settings, m, result, peer, before):
    """One progress line: req/s, ratios to public and to the peer, latency, and any errors or noise."""
    loads = [x for x in (result, peer, before) if x]
    flag = f"  ({sum(x['errors'] for x in loads)} ERRORS)" if any(x["errors"] for x in loads) else ""
    foreign = max(x["foreign_cpu"] or 0 for x in loads)
    if foreign > NOISY:
        flag += f"  (other programs used up to {foreign:.0%} of the CPU)"
    vs = f"{result['rps'] / peer['rps']:5.2f} x {m.peer.label}" if peer and peer["rps"] else "no peer"
    progress(f"round {r + 1}/{settings.rounds}  {m.label:<26} {result['rps']:7,.0f} req/s = "
             f"{result['rps'] / max(before['rps'], 1e-9):4.2f} x public, {vs}  p50 {result['p50_ms']:6.2f} ms  "
             f"p99 {result['p99_ms']:6.2f} ms{flag}")


FIGURES = ("rps", "p50_ms", "p99_ms", "server_cpu_us", "redis_cpu_us")


def _medians(rounds):
    return {f: statistics.median(r[f] for r in rounds) for f in FIGURES}


def _median_run(rounds):
    """Per-figure medians over rounds (the peer's too), with every round kept."""
    foreign = [x["foreign_cpu"] for r in rounds for x in (r, r.get("baseline"), r.get("peer"))
               if x and x.get("foreign_cpu") is not None]
    peers = [r["peer"] for r in rounds if r.get("peer")]
    return {**_medians(rounds), "requests": sum(r["requests"] for r in rounds),
            "errors": sum(r["errors"] for r in rounds) + sum(p["errors"] for p in peers),
            "foreign_cpu_max": max(foreign, default=None),
            "peer": {**_medians(peers), "requests": sum(p["requests"] for p in peers)} if peers else None,
            "rounds": rounds}
