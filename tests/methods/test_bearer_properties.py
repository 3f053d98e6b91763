"""Properties of validly signed tokens with hostile contents: whatever a correctly signed JWT or signed
token carries — any claim of any JSON type, any header — the API answers 200 or 401, never a 5xx; a token with
nothing wrong is a 200, and one drawn to be wrong in one way (a claim, the header, the signature) is a 401.

The signature is right (our HS256 key, the issuer's RS256 key, our itsdangerous keys), so every example gets past
the cryptography and exercises what comes after it: claim checks, types, lookups, revocation, cookies.
"""

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from issuer import create_app as create_issuer
from kernel.http import csrf
from kernel.users import DEMO_USERS
from tests.helpers import CREDENTIAL_COOKIE, bearer, forge

USERS = [name for name, _, _ in DEMO_USERS]
REJECTED = 'Bearer realm="auth-demo", error="invalid_token"'
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def either(valid):
    """(value, is it the valid one): the valid value, or any JSON value at all (missing when None is drawn)."""
    return st.one_of(st.tuples(st.just(valid), st.just(True)), st.tuples(json_values, st.just(False)))


REGISTERED = {"iss", "aud", "sub", "iat", "exp", "jti", "nbf"}


@st.composite
def jwt_parts(draw, iss, aud, kid=None):
    """(header, claims, nothing wrong?): each claim and header field valid or any JSON value, plus extra members."""
    now = time.time()
    sub, jti = draw(st.sampled_from(USERS)), draw(st.uuids()).hex
    valid = {"iss": iss, "aud": aud, "sub": sub, "iat": now, "exp": int(now) + 60, "jti": jti}
    claims, all_valid = {}, True
    for name, value in valid.items():
        drawn, ok = draw(either(value))
        all_valid &= ok
        if drawn is not None:
            claims[name] = drawn
    claims.update(draw(st.dictionaries(st.text(max_size=8).filter(lambda k: k not in REGISTERED), json_values,
                                       max_size=3)))
    typ, typ_ok = draw(either("at+jwt"))
    if kid:  # the issuer's tokens must name its key
        kid, kid_ok = draw(either(kid))
    else:  # ours ignore `kid`, but it must be a string if present (RFC 7515 §4.1.4)
        kid = draw(st.none() | json_values)
        kid_ok = kid is None or isinstance(kid, str)
    header = {"alg": "HS256", **({"typ": typ} if typ is not None else {})}
    if kid is not None:
        header["kid"] = kid
    extra = draw(st.dictionaries(st.sampled_from(["cty", "x5t", "crit", "b64"]), json_values, max_size=2))
    header.update(extra)
    return header, claims, all_valid and typ_ok and kid_ok and not {"crit", "b64"} & extra.keys()


def assert_200_or_401(response, expect_ok, ok_status=200, exact=False):
    """200 or 401, never else; a sound token passes; with `exact`, an unsound one is refused too."""
    assert response.status_code in (ok_status, 401), response.get_json()
    if response.status_code == 401:
        assert response.get_json()["error"] == "invalid_token"
        assert response.headers["WWW-Authenticate"] == REJECTED
    assert response.status_code == ok_status or not expect_ok  # a token with nothing wrong in it must pass
    assert response.status_code == 401 or expect_ok or not exact  # and one drawn wrong must not


def _not_a_number(value):
    return not isinstance(value, (int, float)) or isinstance(value, bool)


def _not_access_typ(value):
    return not isinstance(value, str) or value.lower().removeprefix("application/") != "at+jwt"


@st.composite
def wrong_jwt(draw, iss, aud, kid=None):
    """(header, claims, flip the signature?): a sound token with exactly one thing drawn wrong."""
    now = time.time()
    claims = {"iss": iss, "aud": aud, "sub": draw(st.sampled_from(USERS)), "iat": now, "exp": int(now) + 60,
              "jti": draw(st.uuids()).hex}
    header = {"alg": "HS256", "typ": "at+jwt", **({"kid": kid} if kid else {})}
    flaws = {
        "iss": json_values.filter(lambda v: v != iss),
        "aud": json_values.filter(lambda v: v != aud and not (isinstance(v, list) and aud in v)),
        "sub": json_values.filter(lambda v: v not in USERS),
        "iat": json_values.filter(_not_a_number),
        "exp": json_values.filter(_not_a_number) | st.integers(max_value=int(now) - 60),
        "jti": json_values.filter(lambda v: not isinstance(v, str)) | st.text(min_size=129, max_size=140),
    }
    flaw = draw(st.sampled_from([*flaws, "missing", "typ", "signature"]))
    if flaw in flaws:
        claims[flaw] = draw(flaws[flaw])
    elif flaw == "missing":
        del claims[draw(st.sampled_from(sorted(claims)))]
    elif flaw == "typ":
        header["typ"] = draw(json_values.filter(_not_access_typ))
    return header, claims, flaw == "signature"


def flipped(token):
    """The token with its signature's first character changed (the signature no longer verifies)."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


@pytest.fixture
def api(make_app):
    return make_app()


@pytest.mark.parametrize(("action", "ok_status"), [("me", 200), ("logout", 204)])
@PROPERTY
@given(data=st.data())
def test_our_jwts_with_any_claims_and_headers_get_200_or_401(api, action, ok_status, data):
    header, claims, all_valid = data.draw(jwt_parts(api.config["JWT_ISSUER"], api.config["JWT_AUDIENCE"]))
    token = forge(header, claims, key=api.config["JWT_SECRET"].encode())
    send = api.test_client().get if action == "me" else api.test_client().post
    # A replayed example may present a jti an earlier logout already denied: only `me` must accept a sound token.
    assert_200_or_401(send(f"/api/jwt/{action}", headers=bearer(token)), all_valid and action == "me", ok_status)


@PROPERTY
@given(data=st.data())
def test_our_jwts_drawn_wrong_in_one_way_get_401(api, data):
    """The other way round: whatever single thing is wrong (a claim's value or type, a missing claim, the header's
    `typ`, the signature), `me` refuses it."""
    header, claims, flip = data.draw(wrong_jwt(api.config["JWT_ISSUER"], api.config["JWT_AUDIENCE"]))
    token = forge(header, claims, key=api.config["JWT_SECRET"].encode())
    token = flipped(token) if flip else token
    assert_200_or_401(api.test_client().get("/api/jwt/me", headers=bearer(token)), False, exact=True)


@pytest.fixture(scope="module")
def issuer_in_process():
    """The issuer app on a loopback server thread, so the test holds its signing key; (origin, key ring)."""
    app = create_issuer({"LOGIN_USER_LIMIT": "100000/minute", "LOGIN_CLIENT_LIMIT": "100000/minute"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["ISSUER_ORIGIN"] = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app.config["ISSUER_ORIGIN"], app.extensions["issuer.keys"]
    server.shutdown()


@pytest.fixture
def issuer_api(make_app, issuer_in_process):
    """The API trusting the in-process issuer; an unknown kid refetches its JWKS at most once."""
    return make_app(ISSUER_ORIGIN=issuer_in_process[0], JWKS_REFETCH_COOLDOWN=3600)


@PROPERTY
@given(data=st.data())
def test_issuer_jwts_with_any_claims_and_headers_get_200_or_401(issuer_api, issuer_in_process, data):
    origin, keys = issuer_in_process
    header, claims, all_valid = data.draw(jwt_parts(origin, issuer_api.config["JWT_AUDIENCE"], kid=keys.current.kid))
    claims["iss"] = origin  # the claim that picks the issuer's keys over ours
    header["alg"] = "RS256"
    token = forge(header, claims, rsa_key=keys.current.private)
    assert_200_or_401(issuer_api.test_client().get("/api/jwt/me", headers=bearer(token)), all_valid)


@PROPERTY
@given(data=st.data())
def test_issuer_jwts_drawn_wrong_in_one_way_get_401(issuer_api, issuer_in_process, data):
    origin, keys = issuer_in_process
    header, claims, flip = data.draw(wrong_jwt(origin, issuer_api.config["JWT_AUDIENCE"], kid=keys.current.kid))
    header["alg"] = "RS256"
    token = forge(header, claims, rsa_key=keys.current.private)  # a wrong `iss` goes to our key: refused as well
    token = flipped(token) if flip else token
    assert_200_or_401(issuer_api.test_client().get("/api/jwt/me", headers=bearer(token)), False, exact=True)


@PROPERTY
@given(payload=json_values | st.fixed_dictionaries({"sub": st.sampled_from(USERS) | json_values},
                                                   optional={"cookie": json_values}))
def test_signed_tokens_with_any_payload_get_200_or_401_on_me_and_logout(api, payload):
    token = URLSafeTimedSerializer(api.config["SIGNED_TOKEN_KEYS"], salt="authlab.signed-token").dumps(payload)
    names_a_user = isinstance(payload, dict) and payload.get("sub") in USERS
    client = api.test_client()
    assert_200_or_401(client.get("/api/signed/me", headers=bearer(token)), names_a_user, exact=True)
    client.set_cookie(CREDENTIAL_COOKIE["signed"], token)  # the cookie transport: logout also expires that cookie
    with api.test_request_context():
        csrf_token = csrf.token_for(token)
    assert_200_or_401(client.post("/api/signed/logout", headers={"X-CSRF-Token": csrf_token}), names_a_user, exact=True)
