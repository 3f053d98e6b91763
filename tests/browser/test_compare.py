""""Compare the methods", clicked in every engine from both frontends: each row asserted from what the page saw
(replays of the logged-out credential, the server's records, Server-Timing), not from what the notes claim."""

import pytest

from backend.methods import REGISTRY

pytestmark = pytest.mark.browser

FRONTENDS = ("A", "B")


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_compares_every_method(compared, engine_name, frontend):
    """One row per method of the registry, in its order (the page takes them from GET /api/methods)."""
    rows = compared(engine_name, frontend)
    assert list(rows) == [method.name for method in REGISTRY]
    assert [row["label"] for row in rows.values()] == [method.label for method in REGISTRY]


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_basic_keeps_nothing_and_nothing_ends_it(compared, engine_name, frontend):
    """The password is the credential: no record, replay works after logout and logout-all, a hash per request."""
    row = compared(engine_name, frontend)["basic"]
    assert row["works"] and row["record"] is None and row["copy_held"]
    assert (row["replay_after_logout"], row["replay_after_logout_all"]) == (200, 200)
    assert row["survives_logout"] and row["survives_logout_all"]
    assert row["auth_ms"] > compared(engine_name, frontend)["signed"]["auth_ms"]  # the scrypt check, per request


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_session_record_is_deleted_at_logout(compared, engine_name, frontend):
    """From A: one Redis round trip per `me`, a session record that logout deletes (the page holds no copy: HttpOnly).
    From B the Lax cookie never travels: the row says it does not work from there."""
    row = compared(engine_name, frontend)["session"]
    assert row["copy_held"] is False and row["replay_after_logout"] is None
    assert row["record"]["kind"] == "session"
    if frontend == "A":
        assert row["works"] and row["trips"] == 1
        assert row["record_gone_after_logout"] and row["record_gone_after_logout_all"]
        assert (row["survives_logout"], row["survives_logout_all"]) == (False, False)
    else:
        assert not row["works"] and row["me_status"] == 401 and row["survives_logout"] is None


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_opaque_token_replay_is_refused_and_its_record_gone(compared, engine_name, frontend):
    row = compared(engine_name, frontend)["token"]
    assert row["works"] and row["trips"] == 1 and row["record"]["kind"] == "opaque token"
    assert (row["replay_after_logout"], row["replay_after_logout_all"]) == (401, 401)
    assert row["record_gone_after_logout"] and not row["survives_logout"] and not row["survives_logout_all"]


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_signed_token_replay_works_and_no_record_exists(compared, engine_name, frontend):
    """Stateless: zero round trips, nothing kept, so neither logout nor logout-all can end the copy."""
    row = compared(engine_name, frontend)["signed"]
    assert row["works"] and row["trips"] == 0 and row["record"] is None and row["records_at_login"] == []
    assert (row["replay_after_logout"], row["replay_after_logout_all"]) == (200, 200)
    assert row["survives_logout"] and row["survives_logout_all"]


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_jwt_replay_is_refused_with_the_revocation_check_on(compared, engine_name, frontend):
    """The API runs the revocation check (one MGET per `me`): logout and logout-all both end the copy."""
    row = compared(engine_name, frontend)["jwt"]
    assert row["jwt_revocation_check"] is True
    assert row["works"] and row["trips"] == 1 and row["record"]["kind"] == "JWT refresh family"
    assert (row["replay_after_logout"], row["replay_after_logout_all"]) == (401, 401)
    assert row["record_gone_after_logout"] and row["record_gone_after_logout_all"]
