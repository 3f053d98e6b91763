"""HTTP Basic (backend/methods/basic.py): the password on every request, checked every time."""

import base64

import pytest

from backend.methods.basic import parse_basic
from tests.helpers import basic_header

CHALLENGE = 'Basic realm="auth-demo", charset="UTF-8"'
UNAUTHORIZED = {"error": "unauthorized", "message": "missing, malformed or wrong Basic credentials"}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty"),
        pytest.param("Basic", id="scheme-only"),
        pytest.param("Basic ", id="scheme-and-space"),
        pytest.param("Bearer " + b64(b"alice:wonderland"), id="other-scheme-valid-base64"),
        pytest.param("Digest " + b64(b"alice:wonderland"), id="digest-scheme"),
        pytest.param("Basic" + b64(b"alice:wonderland"), id="no-space"),
        pytest.param("Basic !!!not-base64!!!", id="invalid-base64"),
        pytest.param("Basic " + b64(b"alice:wonderland")[:-2], id="truncated-base64"),
        pytest.param("Basic " + b64(b"alice:wonderland") + "#", id="junk-after-base64"),
        pytest.param("Basic " + b64(b"\x00\xff\xfe garbage"), id="junk-inside-base64"),
        pytest.param("Basic " + b64(b"alicewonderland"), id="no-colon"),
        pytest.param("Basic " + b64(b":wonderland"), id="empty-username"),
        pytest.param("Basic " + b64(b"alice:"), id="empty-password"),
        pytest.param("Basic " + b64(b"alice:\xc3\x28"), id="invalid-utf8"),
        pytest.param("Basic " + b64(b"alice:wonder\x00land"), id="nul-byte"),
        pytest.param("Basic " + b64(b"alice:" + b"x" * 6000), id="8kb-header"),
        pytest.param("Basic " + "A" * 8192, id="8kb-of-base64"),
    ],
)
def test_malformed_or_missing_credentials_get_401_json_with_challenge(client, header):
    response = client.get("/api/basic/me", headers={} if header is None else {"Authorization": header})
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def test_right_credentials_get_200(client):
    response = client.get("/api/basic/me", headers=basic_header("alice", "wonderland"))
    assert response.status_code == 200
    assert response.get_json() == {"user": "alice", "method": "basic", "role": "user",
                                   "viewer": response.get_json()["viewer"]}


def test_scheme_word_is_case_insensitive(client):
    header = "bAsIc " + b64(b"bob:builder")
    response = client.get("/api/basic/me", headers={"Authorization": header})
    assert response.status_code == 200
    assert response.get_json()["user"] == "bob"


def test_password_may_contain_colons_user_id_splits_at_the_first():
    assert parse_basic("Basic " + b64(b"carol:a:b:c")) == ("carol", "a:b:c")


def test_non_ascii_credentials_are_utf8_rfc7617(client):
    response = client.get("/api/basic/me", headers=basic_header("zoë", "pässwörd"))
    assert response.status_code == 200
    assert response.get_json()["user"] == "zoë"


def test_latin1_encoded_non_ascii_credentials_are_refused(client):
    header = "Basic " + b64("zoë:pässwörd".encode("latin-1"))
    response = client.get("/api/basic/me", headers={"Authorization": header})
    assert response.status_code == 401


def test_notes_claim_bad_credentials_get_403_is_wrong_they_get_401(client):
    """The notes: "Server checks creds and responds with either 200 or 403". RFC 9110: wrong creds are 401."""
    response = client.get("/api/basic/me", headers=basic_header("alice", "not-her-password"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def test_valid_user_without_the_role_gets_403(client):
    response = client.get("/api/basic/admin", headers=basic_header("alice", "wonderland"))
    assert response.status_code == 403
    assert response.get_json() == {"error": "forbidden",
                                   "message": "these credentials are valid but lack the admin role"}


def test_admin_gets_200_on_admin(client):
    response = client.get("/api/basic/admin", headers=basic_header("admin", "admin-pass"))
    assert response.status_code == 200
    assert response.get_json() == {"user": "admin", "method": "basic", "role": "admin", "admin": True}


def test_bad_credentials_on_admin_get_401_not_403(client):
    response = client.get("/api/basic/admin", headers=basic_header("admin", "wrong"))
    assert response.status_code == 401


def test_notes_basic_needs_to_verify_every_request(client, monkeypatch):
    """Nothing is remembered: each request is a full password-hash check, and no cookie is issued."""
    import kernel.users as users

    checks = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda *a: checks.append(1) or real(*a))
    first = client.get("/api/basic/me", headers=basic_header("alice", "wonderland"))
    second = client.get("/api/basic/me", headers=basic_header("alice", "wonderland"))
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(checks) == 2
    assert "Set-Cookie" not in first.headers
    assert client.get("/api/basic/me").status_code == 401
