"""Ratios to the usual way (the peer apps) and to /api/public, target verdicts, and the terminal table."""

import statistics

BASELINE = "public"
# Targets: at least as fast as the usual way for every method; public within 3% of bare Flask.
MIN_VS_PEER = {"baseline": 0.97}
MIN_VS_PEER_DEFAULT = 1.0


def _ratio(value, base):
    return round(value / base, 4) if value is not None and base else None


LOAD_RATIOS = {"rps": "rps", "p50": "p50_ms", "p99": "p99_ms", "server_cpu": "server_cpu_us"}


def _paired(row, field):
    """Median over rounds of this load's figure / the figure of the public load just before it."""
    if row["key"] == BASELINE:
        return 1.0
    rounds = row["load"]["rounds"]
    return round(statistics.median(r[field] / r["baseline"][field] for r in rounds), 4)


def vs_peer(row):
    """Median over rounds of this load's req/s / its peer's req/s in the same round; None without a peer."""
    pairs = [r["rps"] / r["peer"]["rps"] for r in row["load"]["rounds"] if r.get("peer") and r["peer"]["rps"]]
    return round(statistics.median(pairs), 4) if pairs else None


def finish(result):
    """Add to every row its ratios to its peer and to the baseline row of the same run, and its target verdict."""
    rows = {row["key"]: row for row in result["methods"]}
    base = rows[BASELINE]
    primitives = result.get("primitives_us") or {}
    for row in result["methods"]:
        row["vs_peer"] = vs_peer(row)
        peer_load = row["load"].get("peer") or {}
        row["cpu_us"] = {"authlab": row["load"]["server_cpu_us"], "peer": peer_load.get("server_cpu_us")}
        row["peer_rps"] = peer_load.get("rps")
        floor = [primitives.get(name) for name in row.get("floor", ())]
        row["floor_us"] = round(sum(floor), 1) if floor and None not in floor else None
        row["ratios"] = {
            **{name: _paired(row, field) for name, field in LOAD_RATIOS.items()},
            "inproc": _ratio(row["inproc_us"], base["inproc_us"]),
            "request_bytes": _ratio(row["request_bytes"], base["request_bytes"]),
            "response_bytes": _ratio(row["response_bytes"], base["response_bytes"]),
        }
        row["auth_us"] = round(row["inproc_us"] - base["inproc_us"], 1)
        row["over_floor_us"] = None if row["floor_us"] is None else round(row["auth_us"] - row["floor_us"], 1)
        row["extra_redis_commands"] = row["redis"]["commands"] - base["redis"]["commands"]
        row["verdict"] = _verdict(row)
    for row in result["methods"]:  # a method's verdict is against its best usual way: every row of it must meet it
        repeated = rows.get(row.get("repeats"))
        if repeated is not None and row["verdict"]["met"] is False and repeated["verdict"]["met"]:
            repeated["verdict"] = {"met": False, "why": f"{repeated['verdict']['why']}; missed against "
                                                        f"{row['peer']}: {row['verdict']['why']}"}
    result["targets_met"] = all(row["verdict"]["met"] is not False for row in result["methods"])
    return result


def problems(result):
    """What makes this run's figures untrustworthy: failed requests under load, or a shared store that lost logins."""
    found = [f"{row['label']}: {row['load']['errors']} failed requests under load" for row in result["methods"]
             if row["load"]["errors"]]
    scale = result["scale"] or {}
    for key, counts in ((scale.get("shared_redis") or {}).get("methods") or {}).items():
        if counts["auth_failures"] or counts["other"] or counts["unavailable"]:
            found.append(f"scale with one shared Redis: {key} had {counts['auth_failures']} auth failures, "
                         f"{counts['unavailable']} unavailable, {counts['other']} other")
    beyond = result.get("topologies") or {}
    failover = beyond.get("failover") or {}
    if failover.get("revocations_undone"):
        found.append(f"failover: {failover['revocations_undone']} acknowledged revocations undone")
    if set(failover.get("answers", {})) - {"200", "204", "503"}:
        found.append(f"failover: answers other than 200/204/503: {failover['answers']}")
    if (beyond.get("write_loss") or {}).get("wait", {}).get("lost"):
        found.append(f"write loss with WAIT: {beyond['write_loss']['wait']['lost']} acknowledged writes lost")
    return found


def _verdict(row):
    """Met / not met / no target: as fast as the usual way (public: within 3% of bare Flask), at no more server CPU
    per request (public: within 3%), and no more Redis round trips than the method needs; the reason in words.
    A method measured against two usual ways (the session) has a row for each: it meets its target only if both
    rows do, i.e. against the best of them."""
    if row["vs_peer"] is None:
        return {"met": None, "why": "no peer: no library does this alike"}
    needed = MIN_VS_PEER.get(row["kind"], MIN_VS_PEER_DEFAULT)
    trips, allowed = row["redis"]["round_trips"], row["target"]["round_trips"]
    trips_ok = abs(trips - allowed) < 0.05
    cpu, peer_cpu = row["cpu_us"]["authlab"], row["cpu_us"]["peer"]
    cpu_ok = cpu is None or not peer_cpu or cpu <= peer_cpu / needed
    why = (f"{row['vs_peer']:.2f}x {row['peer']} (needs >= {needed}), "
           f"server CPU {_fmt(cpu, ',.0f')} vs {_fmt(peer_cpu, ',.0f')} us/request (needs <= {1 / needed:.2f}x), "
           f"{trips:.2f} Redis round trips (needs {allowed})")
    return {"met": row["vs_peer"] >= needed and cpu_ok and trips_ok, "why": why}


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


COLUMNS = (
    ("method", 26, lambda r: r["label"]),
    ("req/s", 9, lambda r: _fmt(r["load"]["rps"], ",.0f")),
    ("peer req/s", 10, lambda r: _fmt(r["peer_rps"], ",.0f")),
    ("x peer", 6, lambda r: _fmt(r["vs_peer"], ".2f")),
    ("x pub", 6, lambda r: _fmt(r["ratios"]["rps"], ".2f" if r["ratios"]["rps"] >= 0.1 else ".1e")),
    ("p50 ms", 8, lambda r: _fmt(r["load"]["p50_ms"], ".2f")),
    ("p99 ms", 8, lambda r: _fmt(r["load"]["p99_ms"], ".2f")),
    ("cpu us", 7, lambda r: _fmt(r["cpu_us"]["authlab"], ",.0f")),
    ("peer cpu", 8, lambda r: _fmt(r["cpu_us"]["peer"], ",.0f")),
    ("in-proc us", 10, lambda r: _fmt(r["inproc_us"], ",.0f")),
    ("auth us", 8, lambda r: _fmt(r["auth_us"], ",.0f")),
    ("floor us", 8, lambda r: _fmt(r["floor_us"], ",.0f")),
    ("redis cmd", 9, lambda r: _fmt(r["redis"]["commands"], ".2f")),
    ("trips", 5, lambda r: _fmt(r["redis"]["round_trips"], ".2f")),
    ("target", 6, lambda r: {True: "met", False: "MISSED", None: "-"}[r["verdict"]["met"]]),
)


def _line(cells):
    """One row: the first cell left-aligned, the figures right-aligned, each in its column's width."""
    widths = [width for _, width, _ in COLUMNS]
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def table(result):
    """The run as fixed-width text for the terminal."""
    lines = [_line(name for name, _, _ in COLUMNS)]
    lines += [_line(cell(row) for _, _, cell in COLUMNS) for row in result["methods"]]
    lines += ["", "peers: " + "; ".join(f"{r['key']} = {r['peer']}" for r in result["methods"] if r["peer"])]
    for key, why in result["missing"].items():
        lines.append(f"{key:<26}  not measured: {why}")
    lines += _scale_lines(result["scale"])
    lines += _topology_lines(result.get("topologies"))
    return "\n".join(lines)


def _topology_lines(beyond):
    """Sentinel and Cluster against one Redis, the failover, the write loss."""
    if not beyond:
        return []
    speed = beyond["throughput"]
    lines = ["", f"topologies: one API instance x {speed['workers']} workers each, req/s (x one Redis)"]
    for key, row in speed["methods"].items():
        lines.append(f"  {key:<8} " + "  ".join(f"{name} {row['rps'][name]:>6,} ({row['vs_single'][name]:.2f})"
                                                 for name in row["rps"]))
    f = beyond["failover"]
    lines.append(f"  Sentinel failover (down-after {f['down_after_ms']} ms): {f['first_to_last_503_s']} s of 503, "
                 f"recovered {f['kill_to_recovered_s']} s after the kill, slowest answer {f['slowest_answer_s']} s, "
                 f"answers {f['answers']}, "
                 f"revocations undone {f['revocations_undone']}/{f['revocations_acknowledged']}")
    for mode, w in beyond["write_loss"].items():
        lines.append(f"  write loss ({mode}): {w['lost']:,} of {w['acknowledged']:,} acknowledged writes lost "
                     f"({w['acknowledged_during_stall']:,} acknowledged while the replicas stalled "
                     f"{w['stall_s']} s), {w['refused']:,} refused")
    return lines


def _scale_lines(scale):
    if not scale:
        return ["scale: no Redis-backed method to run"]
    lines = ["", f"scale: 2 API instances x {scale['workers_per_instance']} workers, requests alternating"]
    for name, run in (("shared Redis", scale["shared_redis"]), ("memory store", scale["memory_store"])):
        if not run:
            continue
        for key, m in run["methods"].items():
            lines.append(f"  {name:<13} {key:<8} {m['requests']:>7,} requests  {m['auth_failures']:>6,} auth failures"
                         f" ({m['auth_failure_rate']:.1%})  {m['unavailable']} unavailable  {m['other']} other")
    restart = scale["shared_redis"]["redis_restart"]
    if restart:
        lines.append(f"  Redis restarted halfway in {restart['seconds']}s: "
                     f"keys {restart['keys_before']} -> {restart['keys_after']}")
    return lines
