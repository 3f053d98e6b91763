"""Throughput and latency under the load tool, each method paired with a load of /api/public just before it."""

import statistics
import time

from . import noise

NOISY = 0.05  # a load during which other programs used more than this share of the CPU is flagged


def measure(stack, tool, methods, credentials, settings, progress):
    """Warm up, then in each round load public and right after it each method (order rotated).

    Every method's ratio is to the public load just before it, on the same API instance, so the
    noise of a shared machine (other programs come and go) mostly cancels out.
    """
    def hit(m, seconds, server=None):
        server = server or m.server
        with noise.Meter({"api": stack.apis[server].proc.pid, "redis": stack.redis.proc.pid}) as meter:
            result = tool.run(stack.url(server) + m.path, credentials[m.key].headers, seconds, settings.connections)
        result.foreign_cpu = meter.share
        # Requests the load tool did not count (cut off at the end) are still served: a small overestimate.
        per_request = 1e6 / max(result.requests, 1)
        result.server_cpu_us = round(sum(meter.watched.values()) * per_request, 1)
        result.redis_cpu_us = round(meter.watched["redis"] * per_request, 1)
        # Requests still queued when the load stopped (Basic: up to `connections` password hashes) would
        # slow the next endpoint down: they finish within about one p99, so wait that long first.
        time.sleep(min(5.0, 0.25 + result.p99_ms / 1000))
        return result

    # Warm-up pays each worker's one-time costs (the users' hash table, Redis connections, the issuer's
    # JWKS). Quick runs warm one endpoint per server, the one that touches all of these (the last listed).
    warm = methods if settings.warm_all else list({m.server: m for m in methods}.values())
    for m in warm:
        hit(m, settings.warmup_s)
    progress(f"warmed up {len(warm)} endpoints with {tool.name} ({settings.warmup_s:g}s each)")
    base, others = methods[0], methods[1:]
    runs = {m.key: [] for m in methods}
    for r in range(settings.rounds):
        for m in others[r % len(others):] + others[: r % len(others)]:
            before = hit(base, settings.seconds, m.server)
            result = hit(m, settings.seconds)
            runs[base.key].append(before.as_dict())
            runs[m.key].append({**result.as_dict(), "baseline": before.as_dict()})
            flag = f"  ({result.errors} ERRORS)" if result.errors or before.errors else ""
            foreign = max(result.foreign_cpu or 0, before.foreign_cpu or 0)
            if foreign > NOISY:
                flag += f"  (other programs used up to {foreign:.0%} of the CPU)"
            progress(f"round {r + 1}/{settings.rounds}  {m.label:<26} {result.rps:7,.0f} req/s = "
                     f"{result.rps / before.rps:4.2f} x public  p50 {result.p50_ms:7.2f} ms  "
                     f"p99 {result.p99_ms:7.2f} ms{flag}")
    return {key: _median_run(results) for key, results in runs.items()}


def _median_run(rounds):
    """Per-figure medians over rounds, with every round kept."""
    figures = ("rps", "p50_ms", "p99_ms", "server_cpu_us", "redis_cpu_us")
    med = {f: statistics.median(r[f] for r in rounds) for f in figures}
    foreign = [r["foreign_cpu"] for r in rounds if r["foreign_cpu"] is not None]
    foreign += [r["baseline"]["foreign_cpu"] for r in rounds if r.get("baseline", {}).get("foreign_cpu") is not None]
    return {**med, "requests": sum(r["requests"] for r in rounds), "errors": sum(r["errors"] for r in rounds),
            "foreign_cpu_max": max(foreign, default=None), "rounds": rounds}
