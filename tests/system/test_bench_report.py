"""`make bench`'s arithmetic, report shape and docs/bench.md rendering, on a made-up run (the real one takes minutes),
and the peer apps it measures authlab against, each doing its method's work for real."""

import base64
import importlib

import pytest

from bench import bench_page, report
from bench.bench_page import END, START
from bench.methods import METHODS, PEERS

PUBLIC_ROUNDS = [1000, 500, 800]
PEER_ROUNDS = {"public": [1000, 500, 800], "session": [400, 250, 400], "signed": [700, 500, 800]}
PRIMITIVES = {"hmac_sha1": 2.0, "hmac_sha256": 2.5, "redis_round_trip": 40.0}


def load(rps, cpu_us):
    return {"rps": rps, "p50_ms": 1000 / rps, "p99_ms": 3000 / rps, "server_cpu_us": cpu_us, "redis_cpu_us": 0.0,
            "foreign_cpu": 0.0}


def row(key, kind, rps_rounds, inproc_us, trips, request_bytes=60, floor=()):
    rounds = [load(r, inproc_us * 2) for r in rps_rounds]
    if kind != "baseline":  # each load ran right after one of public
        rounds = [{**r, "baseline": load(b, 140)} for r, b in zip(rounds, PUBLIC_ROUNDS, strict=True)]
    peers = [load(p, inproc_us * 2 + 10) for p in PEER_ROUNDS[key]]  # and beside its peer
    rounds = [{**r, "peer": p} for r, p in zip(rounds, peers, strict=True)]
    return {
        "key": key, "label": key, "path": f"/api/{key}", "kind": kind, "server": "main",
        "load": {"rps": sorted(rps_rounds)[1], "p50_ms": 1.0, "p99_ms": 3.0, "server_cpu_us": inproc_us * 2,
                 "errors": 0, "rounds": rounds,
                 "peer": {"rps": sorted(PEER_ROUNDS[key])[1], "server_cpu_us": inproc_us * 2 + 10, "requests": 1000}},
        "inproc_us": inproc_us, "redis": {"commands": trips, "round_trips": trips},
        "request_bytes": request_bytes, "response_bytes": 200, "credential_header_bytes": 0,
        "credential": {"issued_as": "cookie", "issued_bytes": 43, "set_cookie_bytes": 90},
        "target": {"round_trips": trips}, "floor": list(floor), "peer": f"usual {key}", "peer_key": key,
    }


@pytest.fixture
def run():
    methods = [
        row("public", "baseline", PUBLIC_ROUNDS, 70, 0),
        # Half public's speed in round 2 only because the whole machine was slow then: paired, it is 0.8.
        row("session", "redis", [800, 400, 640], 170, 1, 119, ("redis_round_trip",)),
        row("signed", "stateless", [700, 350, 560], 120, 0, 150, ("hmac_sha1",)),
    ]
    machine = {"cores": 2, "cpu": "cpu", "os": "Linux", "python": "3.11", "redis_server": "6.2", "load_tool": "wrk",
               "libraries": {"flask": "3.1"}, "load_average_at_start": [0.1, 0.1, 0.1]}
    settings = {"workers": 5, "server": "gunicorn-sync", "connections": 10, "seconds": 5, "rounds": 3, "tool": "wrk"}
    result = {"methods": methods, "missing": {"issuer": "no issuer"}, "scale": None, "machine": machine,
              "settings": settings, "mode": "full", "finished": "2026-11-23T21:00:00+00:00", "elapsed_s": 200,
              "primitives_us": PRIMITIVES}
    return report.finish(result)


def test_ratios_are_paired_by_round_and_verdicts_follow_the_targets(run):
    public, session, signed = run["methods"]
    assert (session["ratios"]["rps"], signed["ratios"]["rps"]) == (0.8, 0.7)
    assert (public["vs_peer"], session["vs_peer"], signed["vs_peer"]) == (1.0, 1.6, 0.7)  # medians of round pairs
    assert session["auth_us"] == 100
    assert (public["verdict"]["met"], session["verdict"]["met"], signed["verdict"]["met"]) == (True, True, False)
    assert run["targets_met"] is False


def test_public_needs_only_to_stay_within_three_percent_of_bare_flask(run):
    public = run["methods"][0]
    for r in public["load"]["rounds"]:
        r["rps"] = r["peer"]["rps"] * 0.98
    assert report.finish(run)["methods"][0]["verdict"]["met"] is True


def test_more_server_cpu_per_request_than_the_peer_misses_the_target_however_fast(run):
    """Throughput alone can hide a method that burns more CPU (a busy machine shares it): both must hold."""
    session = run["methods"][1]
    session["load"]["server_cpu_us"] = 351
    session = report.finish(run)["methods"][1]
    assert (session["vs_peer"], session["verdict"]["met"]) == (1.6, False)
    assert "server CPU 351 vs 350 us/request (needs <= 1.00x)" in session["verdict"]["why"]


def test_a_method_meets_its_target_only_against_its_best_usual_way(run):
    """The session has a second row beside Flask-Session without write-back: missed there, missed for the session."""
    session = run["methods"][1]
    again = {**session, "key": "session_again", "repeats": "session", "peer": "usual session, no write-back",
             "load": {**session["load"], "rounds": [{**r, "peer": {**r["peer"], "rps": r["rps"] * 1.1}}
                                                    for r in session["load"]["rounds"]]}}
    run["methods"].append(again)
    session, again = report.finish(run)["methods"][1::2]
    assert (again["vs_peer"], again["verdict"]["met"], session["verdict"]["met"]) == (0.9091, False, False)
    assert "missed against usual session, no write-back: 0.91x" in session["verdict"]["why"]


def test_every_row_carries_its_peer_both_cpu_figures_and_its_floor(run):
    for row in run["methods"]:
        assert row["peer"] and isinstance(row["vs_peer"], float)
        assert set(row["cpu_us"]) == {"authlab", "peer"} and None not in row["cpu_us"].values()
    session, signed = run["methods"][1:]
    assert (session["floor_us"], session["over_floor_us"]) == (40.0, 60.0)
    assert (signed["floor_us"], signed["over_floor_us"]) == (2.0, 48.0)


def test_a_method_without_a_peer_has_no_verdict(run):
    signed = run["methods"][2]
    for r in signed["load"]["rounds"]:
        r["peer"] = None
    signed["load"]["peer"] = None
    signed = report.finish(run)["methods"][2]
    assert (signed["vs_peer"], signed["cpu_us"]["peer"], signed["verdict"]["met"]) == (None, None, None)


def test_the_page_block_is_replaced_and_nothing_else(run):
    text = f"intro\n{START}\nold figures\n{END}\noutro\n"
    updated = bench_page.update(text, bench_page.render(run))
    assert updated.startswith(f"intro\n{START}\n") and updated.endswith(f"{END}\noutro\n")
    assert "old figures" not in updated
    assert "| session | 640 | usual session | 400 | **1.60** | 0.80x |" in updated
    assert "| 340; Redis 0 / 350 | 170 | 100 / 40 |" not in updated  # Redis's share only where it spent some
    assert "| 340 / 350 | 170 | 100 / 40 |" in updated  # server CPU authlab / peer, in-process, auth / floor
    assert "`issuer` (no issuer)" in updated


def test_the_real_page_has_exactly_one_block():
    text = bench_page.PAGE.read_text()
    assert (text.count(START), text.count(END)) == (1, 1)


def test_failed_requests_under_load_make_the_run_fail(run):
    assert report.problems(run) == []
    run["methods"][1]["load"]["errors"] = 3
    assert report.problems(run) == ["session: 3 failed requests under load"]


def _credential(client, method, peer):
    """The headers a bench client sends to this peer: from its /login, or Basic's password."""
    if method.kind == "baseline":
        return {}
    if method.kind == "password":
        return {"Authorization": "Basic " + base64.b64encode(b"alice:wonderland").decode()}
    response = client.post("/login", json={"username": "alice", "password": "wonderland"})
    assert response.status_code == 200
    if peer.key.startswith("session"):
        return {"Cookie": f"session={client.get_cookie('session').value}"}
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.mark.parametrize("method", [m for m in METHODS if m.peer], ids=lambda m: m.key)
def test_each_peer_answers_its_methods_me_for_a_real_credential_only(method, redis_service, redis_db, monkeypatch):
    """A peer is only a fair comparison if it really authenticates: 200 with the user, 401 without."""
    monkeypatch.setenv("REDIS_URL", redis_service.url)
    module, _, factory = method.peer.factory.partition(":")
    client = getattr(importlib.import_module(module), factory)().test_client()
    response = client.get(method.path, headers=_credential(client, method, method.peer))
    assert response.status_code == 200
    if method.kind != "baseline":
        assert response.json["user"] == "alice"
        client.delete_cookie("session")
        refused = client.get(method.path, headers={"Authorization": "Bearer x.y.z"}).status_code
        assert refused in (401, 422)  # flask-jwt-extended's default for a token it cannot decode is 422


def test_every_peer_is_a_method_peer():
    assert {m.peer.key for m in METHODS if m.peer} == {p.key for p in PEERS.values()}


TOPOLOGIES = {
    "throughput": {"workers": 2, "rounds": 3, "seconds": 3, "methods": {"session": {
        "rps": {"single": 1000, "sentinel": 990, "cluster": 800}, "p99_ms": {"single": 9, "sentinel": 9, "cluster": 12},
        "vs_single": {"single": 1.0, "sentinel": 0.99, "cluster": 0.8}}}},
    "failover": {"down_after_ms": 1000, "replicas": 2, "sentinels": 3, "answers": {"200": 900, "204": 30, "503": 80},
                 "first_to_last_503_s": 2.2, "kill_to_recovered_s": 2.3, "slowest_answer_s": 0.2,
                 "revocations_acknowledged": 30, "revocations_undone": 0},
    "write_loss": {mode: {"acknowledged": 1000, "acknowledged_during_stall": during, "lost": lost, "refused": 50,
                          "stall_s": 2.0, "promoted_after_s": 2.3}
                   for mode, during, lost in (("plain", 600, 400), ("wait", 0, 0))},
}


def test_topologies_show_ratios_failover_and_write_loss_on_the_page_and_in_the_table(run):
    """The topologies section reaches docs/bench.md and the terminal; a lost revocation makes the run untrustworthy."""
    run["topologies"] = TOPOLOGIES
    page, table = bench_page.render(run), report.table(run)
    assert "| session | 1,000 (1.00) | 990 (0.99) | 800 (0.80) |" in page
    assert "2.2 s of 503" in page and "400 of 1,000 acknowledged writes lost" in page
    assert "cluster    800 (0.80)" in table and "revocations undone 0/30" in table
    assert report.problems(run) == []
    run["topologies"] = {**TOPOLOGIES, "failover": {**TOPOLOGIES["failover"], "revocations_undone": 2}}
    assert report.problems(run) == ["failover: 2 acknowledged revocations undone"]
