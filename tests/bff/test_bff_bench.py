"""`make bench`'s BFF figures, on a tiny real run: the BFF answers what the API answers, at one Redis GET of its own."""

from bench import bff_forwarding


def test_the_bff_costs_one_redis_round_trip_more_than_the_api_and_says_so(tmp_path, api, redis_service, redis_db):
    result = bff_forwarding.measure(requests_per_round=10, rounds=1, workdir=tmp_path,
                                    running={"redis_url": redis_service.url, "api": api.origin})
    assert result["bff"]["redis_round_trips"] == result["direct"]["redis_round_trips"] + 1  # the session's GET
    assert result["bff"]["redis_commands"] == result["direct"]["redis_commands"] + 1
    assert result["bff"]["p50_ms"] > 0 and result["direct"]["p50_ms"] > 0 and result["requests"] == 10
    assert "Redis round trips of its own" in bff_forwarding.lines(result)[-1]
