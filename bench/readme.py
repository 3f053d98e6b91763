"""The README's figures, rendered from a run's JSON so that re-running `make bench` re-writes them.

    python -m bench.readme [docs/bench/bench.json]   # re-render README.md's block from a saved run
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
VERDICT = {True: "met", False: "**missed**", None: "-"}


def _x(value):
    """A ratio with two decimals, or two significant digits when it is tiny (Basic's throughput)."""
    if value is None:
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


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


def render(result, chart="docs/bench/bench.png"):
    """The generated block: context line, method table, scale table, what was not measured."""
    m, s = result["machine"], result["settings"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
    out = [
        START,
        f"_Generated from `docs/bench/bench.json` ({result['mode']} run, {result['finished'][:16].replace('T', ' ')} UTC, "
        f"{result['elapsed_s']:.0f} s) by `python -m bench.readme`; do not edit by hand._",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['os']}, Python {m['python']}, Redis {m['redis_server']}, "
        f"load tool {m['load_tool']}; {libs}. Load average at start {m['load_average_at_start']}, "
        f"after the load {m.get('load_average_after_throughput')}; other programs took up to "
        f"{_pct(_foreign_max(result))} of the CPU during a load.",
        f"API: gunicorn, {s['workers']} {s['worker_class']} workers; load: {s['connections']} connections, "
        f"{s['seconds']:g} s per endpoint x {s['rounds']} interleaved rounds (medians).",
        "",
        "| method | req/s | x public | p50 ms | p99 ms | server CPU µs/request under load | in-process µs/request "
        "| auth µs | Redis cmds / round trips per request | request bytes | credential at issue | target |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in result["methods"]:
        cred = r["credential"]
        issued = "-" if cred["issued_bytes"] is None else f"{cred['issued_bytes']} B {cred['issued_as']}"
        out.append(
            f"| {r['label']} | {_n(r['load']['rps'])} | {_x(r['ratios']['rps'])} "
            f"| {r['load']['p50_ms']:.2f} ({_x(r['ratios']['p50'])}) | {r['load']['p99_ms']:.2f} ({_x(r['ratios']['p99'])}) "
            f"| {_n(r['load']['server_cpu_us'])} ({_x(r['ratios']['server_cpu'])}{_redis_part(r)}) "
            f"| {_n(r['inproc_us'])} ({_x(r['ratios']['inproc'])}) | {_n(r['auth_us'])} "
            f"| {r['redis']['commands']:.2f} / {r['redis']['round_trips']:.2f} "
            f"| {r['request_bytes']} ({_x(r['ratios']['request_bytes'])}) | {issued} | {VERDICT[r['verdict']['met']]} |"
        )
    out += ["", f"![bench chart]({chart})", ""]
    out += _scale(result["scale"])
    out += ["", *_claims(result)]
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


def _claims(result):
    """The notes' performance claims next to this run's figures (only figures that do not depend on noise
    decide a verdict: bytes, round trips, failure counts, and Basic's thousandfold cost)."""
    rows = {r["key"]: r for r in result["methods"]}
    out = ["The notes' performance claims, measured in this run:", "", "| note | measured | verdict |", "|---|---|---|"]
    basic, signed = rows.get("basic"), rows.get("signed")
    if basic:
        answer = f"; a token checks the password once, at login, then costs {signed['auth_us']:.0f} µs (signed)" if signed else ""
        out.append(
            f"| Basic \"needs to verify every request\" | {basic['auth_us'] / 1000:.0f} ms of server time per request "
            f"(one scrypt hash), {_x(basic['ratios']['rps'])} public's throughput{answer} | right: the dearest method by far |")
    session = rows.get("session")
    bearer = {k: rows[k]["credential_header_bytes"] for k in ("token", "signed", "jwt", "issuer") if k in rows}
    if session and bearer:
        smallest = session["credential_header_bytes"] <= min(bearer.values())
        sizes = "; ".join(f"{rows[k]['label']}: {v} B" for k, v in bearer.items())
        out.append(
            f"| Session: cookie \"sent out for every request, not efficient\" | the cookie adds "
            f"{session['credential_header_bytes']} B to a request; Bearer headers: {sizes} | "
            + ("wrong as stated: the session cookie is the smallest credential on the wire; its cost is the Redis "
               f"lookup behind it ({session['redis']['round_trips']:.0f} round trip) |" if smallest
               else "right: the cookie is larger than a Bearer token here |"))
    out += _claims_scale(result["scale"])
    stateful = [k for k in ("token", "signed", "jwt", "jwt_norevoke") if k in rows]
    if stateful:
        trips = "; ".join(f"{rows[k]['label']}: {rows[k]['redis']['round_trips']:.0f}" for k in stateful)
        out.append(f"| Token: \"stateless\", the server keeps no record | Redis round trips per request: {trips} | "
                   "depends on the token: an opaque token is as stateful as a session; signed tokens and JWTs are "
                   "stateless until they must be revocable |")
    sized = {k: rows[k]["credential"]["issued_bytes"] for k in ("token", "signed", "jwt", "issuer") if k in rows}
    if "token" in sized and len(sized) > 1:
        growth = "; ".join(f"{rows[k]['label']}: {v} B ({v / sized['token']:.1f}x)" for k, v in sized.items())
        out.append(f"| Token: \"can grow large\" | credential at issue: {growth} | right for self-contained tokens: "
                   "claims and signature travel with every request |")
    return out if len(out) > 4 else []


def _claims_scale(scale):
    """The multi-server rows, from the scale run."""
    if not scale or not scale.get("memory_store"):
        return []
    shared = scale["shared_redis"]["methods"]
    memory = scale["memory_store"]["methods"]["session"]
    held = "; ".join(f"{k}: {v['auth_failures']:,}/{v['requests']:,}" for k, v in shared.items())
    tokens = "; ".join(f"{k}: {v['auth_failures']:,}/{v['requests']:,}" for k, v in shared.items() if k != "session")
    zero = all(v["auth_failures"] == 0 for v in shared.values())
    return [
        f"| Session: \"challenge to support multiple servers\" | sessions kept in each process: "
        f"{memory['auth_failure_rate']:.0%} of requests refused on 2 x {scale['workers_per_instance']} processes; "
        f"one shared Redis (restarted halfway): auth failures {held} | "
        + ("right for per-process state; a shared store answers it |" if zero else "**the shared store failed** |"),
        f"| Token: \"scalable\" | the same two servers, auth failures: {tokens} | "
        + ("right: every server accepts every token |" if zero else "**failures** |"),
    ]


def update(readme, block):
    """README text with the block between the markers replaced (the markers must be there)."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise ValueError(f"README has no {START} ... {END} block")
    return pattern.sub(lambda _: block, readme)


def write(result, readme=ROOT / "README.md"):
    """Re-render the README's block from this run."""
    path = Path(readme)
    path.write_text(update(path.read_text(), render(result)))


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "bench" / "bench.json")
    write(json.loads(source.read_text()))
    print(f"README.md updated from {source}")
