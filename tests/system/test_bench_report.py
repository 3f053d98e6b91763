"""`make bench`'s arithmetic and docs/bench.md rendering, on a made-up run (the real one takes minutes)."""

import pytest

from bench import bench_page, report
from bench.bench_page import END, START

PUBLIC_ROUNDS = [1000, 500, 800]


def load(rps, cpu_us):
    return {"rps": rps, "p50_ms": 1000 / rps, "p99_ms": 3000 / rps, "server_cpu_us": cpu_us, "redis_cpu_us": 0.0,
            "foreign_cpu": 0.0}


def row(key, kind, rps_rounds, inproc_us, trips, request_bytes=60, min_ratio=None):
    rounds = [load(r, inproc_us * 2) for r in rps_rounds]
    if kind != "baseline":  # each load ran right after one of public
        rounds = [{**r, "baseline": load(b, 140)} for r, b in zip(rounds, PUBLIC_ROUNDS, strict=True)]
    return {
        "key": key, "label": key, "path": f"/api/{key}", "kind": kind, "server": "main",
        "load": {"rps": sorted(rps_rounds)[1], "p50_ms": 1.0, "p99_ms": 3.0, "server_cpu_us": inproc_us * 2,
                 "errors": 0, "rounds": rounds},
        "inproc_us": inproc_us, "redis": {"commands": trips, "round_trips": trips},
        "request_bytes": request_bytes, "response_bytes": 200, "credential_header_bytes": 0,
        "credential": {"issued_as": "cookie", "issued_bytes": 43, "set_cookie_bytes": 90},
        "target": {"min_ratio": min_ratio, "round_trips": trips},
    }


@pytest.fixture
def run():
    methods = [
        row("public", "baseline", PUBLIC_ROUNDS, 70, 0),
        # Half public's speed in round 2 only because the whole machine was slow then: paired, it is 0.8.
        row("session", "redis", [800, 400, 640], 170, 1, 119, 0.75),
        row("signed", "stateless", [700, 350, 560], 120, 0, 150, 0.85),
    ]
    machine = {"cores": 2, "cpu": "cpu", "os": "Linux", "python": "3.11", "redis_server": "6.2", "load_tool": "wrk",
               "libraries": {"flask": "3.1"}, "load_average_at_start": [0.1, 0.1, 0.1]}
    settings = {"workers": 5, "server": "gunicorn-sync", "connections": 10, "seconds": 5, "rounds": 3, "tool": "wrk"}
    result = {"methods": methods, "missing": {"issuer": "no issuer"}, "scale": None, "machine": machine,
              "settings": settings, "mode": "full", "finished": "2026-11-23T21:00:00+00:00", "elapsed_s": 200}
    return report.finish(result)


def test_ratios_are_paired_by_round_and_verdicts_follow_the_targets(run):
    public, session, signed = run["methods"]
    assert (session["ratios"]["rps"], signed["ratios"]["rps"]) == (0.8, 0.7)
    assert session["auth_us"] == 100
    assert (public["verdict"]["met"], session["verdict"]["met"], signed["verdict"]["met"]) == (None, True, False)
    assert run["targets_met"] is False


def test_the_page_block_is_replaced_and_nothing_else(run):
    text = f"intro\n{START}\nold figures\n{END}\noutro\n"
    updated = bench_page.update(text, bench_page.render(run))
    assert updated.startswith(f"intro\n{START}\n") and updated.endswith(f"{END}\noutro\n")
    assert "old figures" not in updated
    assert "| session | 640 | 0.80x |" in updated
    assert "| 340 (2.43x) | 170 (2.43x) | 100 |" in updated  # server CPU under load, in-process, auth
    assert "`issuer` (no issuer)" in updated


def test_the_real_page_has_exactly_one_block():
    text = bench_page.PAGE.read_text()
    assert (text.count(START), text.count(END)) == (1, 1)


def test_failed_requests_under_load_make_the_run_fail(run):
    assert report.problems(run) == []
    run["methods"][1]["load"]["errors"] = 3
    assert report.problems(run) == ["session: 3 failed requests under load"]
