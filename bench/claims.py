"""The notes' performance claims (docs/notes.md) next to one run's figures, as table rows for docs/bench.md."""

from .format import ratio


def table(result):
    """The notes' performance claims next to this run's figures (only figures that do not depend on noise
    decide a verdict: bytes, round trips, failure counts, and Basic's thousandfold cost)."""
    rows = {r["key"]: r for r in result["methods"]}
    out = ["The notes' performance claims, measured in this run:", "", "| note | measured | verdict |", "|---|---|---|"]
    basic, signed = rows.get("basic"), rows.get("signed")
    if basic:
        answer = ""
        if signed:
            answer = f"; a token checks the password once, at login, then costs {signed['auth_us']:.0f} µs (signed)"
        out.append(
            f"| Basic \"needs to verify every request\" | {basic['auth_us'] / 1000:.0f} ms of server time per request "
            f"(one scrypt hash), {ratio(basic['ratios']['rps'])} public's throughput{answer} "
            "| right: the dearest method by far |")
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
    out += _scale(result["scale"])
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


def _scale(scale):
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
