"""Idle and slow-header clients cannot take the API away from everyone else (a slowloris in small form)."""

from bench import slow_clients
from stack.procs import HEADER_TIMEOUT_S


def test_64_idle_and_64_slow_header_connections_leave_others_answered_within_a_second(start_api):
    """Named real-time test (~7 s of wall clock): the crowd is held for longer than the header timeout.

    Probes on fresh connections every 0.1 s must all be answered within 1 s, and the server itself must close
    the slow-header connections once the header timeout has passed (they are reopened, so the pressure stays).
    """
    api = start_api(workers=2)
    outcome = slow_clients.hold(api.host, api.port, idle=64, slow=64, seconds=HEADER_TIMEOUT_S + 2)
    assert outcome.probe_failures == [] and outcome.refused == 0
    assert len(outcome.probe_ms) >= 30 and outcome.worst_ms < 1000
    assert outcome.closed_after_s["slow"], "the slow-header connections were never timed out"
    assert max(outcome.closed_after_s["slow"]) < HEADER_TIMEOUT_S + 1.5
