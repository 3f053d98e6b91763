"""docs/bench.md's figures, rendered from a run's JSON so that `make bench ARGS=--publish` re-writes them.

    python -m bench.bench_page [docs/bench/bench.json]   # re-render docs/bench.md's block from a saved run
"""

import json
import re
import sys
from pathlib import Path

from . import bff_forwarding, claims
from .format import ratio

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "bench.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
VERDICT = {True: "met", False: "**missed**", None: "-"}


def _redis_part(row):
    """How much of the server CPU Redis spent, where it spent any to speak of."""
    spent = row["load"].get("redis_cpu_us")
    return f"; Redis {spent:.0f}" if spent and row["redis"]["round_trips"] > 0 else ""


def _foreign_max(result):
    shares = [r["load"].get("foreign_cpu_max") for r in result["methods"]]
    return max((s for s in shares if s is not None), default=None)


def _pct(value):
    return "an unknown share" if value is None else f"{value:.0%}"


def _n(value, spec=",.0f"):
    return "-" if value is None else format(value, spec)


def render(result, chart="bench/bench.png"):  # relative to docs/bench.md
    """The generated block: context line, method table, scale table, what was not measured."""
    m, s = result["machine"], result["settings"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
    out = [
        START,
        f"_Generated from `docs/bench/bench.json` ({result['mode']} run, "
        f"{result['finished'][:16].replace('T', ' ')} UTC, "
        f"{result['elapsed_s']:.0f} s) by `python -m bench.bench_page`; do not edit by hand._",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['os']}, Python {m['python']}, Redis {m['redis_server']}, "
        f"load tool {m['load_tool']}; {libs}. Load average at start {m['load_average_at_start']}, "
        f"after the load {m.get('load_average_after_throughput')}; other programs took up to "
        f"{_pct(_foreign_max(result))} of the CPU during a load.",
        f"API: {s['server']}, {s['workers']} workers; load: {s['connections']} connections, "
        f"{s['seconds']:g} s per endpoint x {s['rounds']} interleaved rounds (medians).",
        "",
        "| method | req/s | the usual way | its req/s | **× usual way** | x public | p50 ms | p99 ms "
        "| server CPU µs/request: authlab / usual way | in-process µs/request | auth µs / its floor µs "
        "| Redis cmds / round trips per request | request bytes | credential at issue | target |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in result["methods"]:
        cred = r["credential"]
        issued = "-" if cred["issued_bytes"] is None else f"{cred['issued_bytes']} B {cred['issued_as']}"
        out.append(
            f"| {r['label']} | {_n(r['load']['rps'])} | {r['peer'] or '-'} | {_n(r['peer_rps'])} "
            f"| **{_n(r['vs_peer'], '.2f')}** | {ratio(r['ratios']['rps'])} "
            f"| {r['load']['p50_ms']:.2f} | {r['load']['p99_ms']:.2f} "
            f"| {_n(r['cpu_us']['authlab'])}{_redis_part(r)} / {_n(r['cpu_us']['peer'])} "
            f"| {_n(r['inproc_us'])} | {_n(r['auth_us'])} / {_n(r['floor_us'])} "
            f"| {r['redis']['commands']:.2f} / {r['redis']['round_trips']:.2f} "
            f"| {r['request_bytes']} | {issued} | {VERDICT[r['verdict']['met']]} |"
        )
    floors = result.get("primitives_us") or {}
    if floors:
        out += ["", "Floors (µs, in-process, this machine): "
                + ", ".join(f"{name.replace('_', ' ')} {value:,.1f}" for name, value in floors.items())
                + ". A method's floor is the sum of the primitives it cannot avoid per request."]
    out += ["", f"![bench chart]({chart})", ""]
    if result.get("bff_forwarding"):  # what the backend-for-frontend adds (bench/bff_forwarding.py)
        out += ["```", *bff_forwarding.lines(result["bff_forwarding"]), "```", ""]
    out += _scale(result["scale"])
    out += _topologies(result.get("topologies"))
    out += ["", *claims.table(result)]
    if result["missing"]:
        out += ["", "Not measured in this run (the API did not offer them): "
                + "; ".join(f"`{k}` ({why})" for k, why in result["missing"].items()) + "."]
    out.append(END)
    return "\n".join(out)


def _scale(scale):
    if not scale:
        return ["Scale: not run (no Redis-backed method)."]
    out = [
        f"Scale: two API instances x {scale['workers_per_instance']} workers, every client's requests alternating "
        "between them.",
        "",
        "| store | method | requests | auth failures | failure rate | 503 | other |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for name, run in (("one shared Redis", scale["shared_redis"]), ("in-process memory", scale["memory_store"])):
        for key, v in (run or {}).get("methods", {}).items():
            out.append(f"| {name} | {key} | {v['requests']:,} | {v['auth_failures']:,} | {v['auth_failure_rate']:.1%} "
                       f"| {v['unavailable']} | {v['other']} |")
    restart = scale["shared_redis"]["redis_restart"]
    if restart:
        out += ["", f"Redis was restarted halfway through the shared-Redis run ({restart['seconds']} s): keys before "
                f"{restart['keys_before']}, after {restart['keys_after']} (AOF)."]
    return out


def _topologies(beyond):
    """Sentinel and Cluster against one Redis (docs/scaling.md explains them)."""
    if not beyond:
        return []
    speed = beyond["throughput"]
    names = list(next(iter(speed["methods"].values()))["rps"])
    out = ["", f"Topologies (docs/scaling.md): one API instance x {speed['workers']} workers on each Redis, "
           "req/s (× one Redis).", "", "| method | " + " | ".join(names) + " |", "|---|" + "--:|" * len(names)]
    for key, row in speed["methods"].items():
        out.append(f"| {key} | " + " | ".join(f"{row['rps'][n]:,} ({row['vs_single'][n]:.2f})" for n in names) + " |")
    f = beyond["failover"]
    out += ["", f"Sentinel failover under load (primary SIGKILLed, down-after {f['down_after_ms']} ms): "
            f"{f['first_to_last_503_s']} s of 503, first 200 {f['kill_to_recovered_s']} s after the kill, slowest "
            f"answer {f['slowest_answer_s']} s; {f['revocations_undone']} of {f['revocations_acknowledged']} "
            "acknowledged logouts undone."]
    for mode, w in beyond["write_loss"].items():
        out.append(f"Write loss ({'WAIT 1' if mode == 'wait' else 'no WAIT'}): {w['lost']:,} of "
                   f"{w['acknowledged']:,} acknowledged writes lost after replicas stalled {w['stall_s']} s.")
    return out


def update(readme, block):
    """The page's text with the block between the markers replaced (the markers must be there)."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise ValueError(f"the page has no {START} ... {END} block")
    return pattern.sub(lambda _: block, readme)


def write(result, page=PAGE):
    """Re-render the page's block from this run; the file written."""
    path = Path(page)
    path.write_text(update(path.read_text(), render(result)))
    return path


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "bench" / "bench.json")
    print(f"{write(json.loads(source.read_text()))} updated from {source}")
