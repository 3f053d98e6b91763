"""The JWT attack battery: every forged, confused or malformed token is a 401 `invalid_token`, never a 5xx.

Tokens are forged by hand (base64url + a signature of the attacker's choosing), the way an attacker
would, so no library guard on the signing side hides a gap on the verifying side.
"""

import hashlib
import hmac
import json
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode

from tests.helpers import basic_header, bearer, forge, tiny_server

NOW = int(time.time())


@pytest.fixture
def api(make_app, issuer):
    """The API, trusting the test run's issuer."""
    app = make_app(ISSUER_ORIGIN=issuer.origin)
    app.secret = app.config["JWT_SECRET"].encode()
    return app


def claims(app, **changes):
    """Valid access-token claims for alice, with `changes` applied (None removes a claim)."""
    base = {
        "iss": app.config["API_ORIGIN"], "aud": app.config["JWT_AUDIENCE"], "sub": "alice",
        "iat": time.time(), "exp": int(time.time()) + 60, "jti": "forged-jti",
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


ACCESS = {"alg": "HS256", "typ": "at+jwt"}


def assert_rejected(app, token):
    response = app.test_client().get("/api/jwt/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="auth-demo", error="invalid_token"'


def test_control_a_token_forged_with_the_real_key_is_accepted(api):
    """Proves `forge` builds acceptable tokens, so every rejection below is the attack's doing."""
    response = api.test_client().get("/api/jwt/me", headers=bearer(forge(ACCESS, claims(api), api.secret)))
    assert response.status_code == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_rejected(api, alg):
    assert_rejected(api, forge({"alg": alg, "typ": "at+jwt"}, claims(api)))


def test_payload_changed_under_the_old_signature_is_rejected(api):
    genuine = forge(ACCESS, claims(api), api.secret)
    tampered_payload = base64url_encode(json.dumps(claims(api, sub="admin")).encode()).decode()
    header, _, signature = genuine.split(".")
    assert_rejected(api, f"{header}.{tampered_payload}.{signature}")


@pytest.mark.parametrize("guess", [b"secret", b"", b"authlab", b"dev-only-secret-key-change-me-0123456789abcdef"])
def test_a_token_signed_with_a_guessed_key_is_rejected(api, guess):
    assert_rejected(api, forge(ACCESS, claims(api), guess))


@pytest.fixture(scope="module")
def issuer_public(issuer):
    """(kid, PEM) of the issuer's signing key: public knowledge, fetched like anyone would."""
    jwk = requests.get(f"{issuer.origin}/.well-known/jwks.json", timeout=5).json()["keys"][0]
    pem = RSAAlgorithm.from_jwk(jwk).public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return jwk["kid"], pem


@pytest.mark.parametrize("claimed_issuer", ["issuer", "api"])
def test_rs256_to_hs256_confusion_with_the_issuers_public_key_is_rejected(api, issuer, issuer_public, claimed_issuer):
    kid, pem = issuer_public
    iss = issuer.origin if claimed_issuer == "issuer" else api.config["API_ORIGIN"]
    assert_rejected(api, forge({**ACCESS, "kid": kid}, claims(api, iss=iss), pem))


@pytest.mark.parametrize("kid", ["../../../../../../dev/null", "' OR '1'='1' --", "k" * 5000],
                         ids=["path", "sql", "5KB"])
@pytest.mark.parametrize("claimed_issuer", ["issuer", "api"])
def test_a_hostile_kid_is_never_used_to_find_a_key(api, issuer, kid, claimed_issuer):
    iss = issuer.origin if claimed_issuer == "issuer" else api.config["API_ORIGIN"]
    assert_rejected(api, forge({**ACCESS, "kid": kid}, claims(api, iss=iss), b""))  # /dev/null "key": empty


@pytest.fixture
def attacker_server():
    """An attacker's web server on loopback that records every request the API might make to it."""
    with tiny_server() as server:
        yield server


@pytest.mark.parametrize("header_name", ["jku", "x5u", "jwk"])
@pytest.mark.parametrize("kid", ["attacker", "issuer"])
def test_key_headers_jku_x5u_jwk_are_never_followed(api, issuer, issuer_public, attacker_server, header_name, kid):
    attacker_origin, requested = attacker_server
    attacker_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = RSAAlgorithm.to_jwk(attacker_key.public_key(), as_dict=True)
    kid = issuer_public[0] if kid == "issuer" else "attacker"
    value = public_jwk if header_name == "jwk" else f"{attacker_origin}/jwks.json"
    header = {"alg": "RS256", "typ": "at+jwt", "kid": kid, header_name: value}
    assert_rejected(api, forge(header, claims(api, iss=issuer.origin), rsa_key=attacker_key))
    assert requested == []


@pytest.mark.parametrize("missing", ["iss", "aud", "sub", "iat", "exp", "jti"])
def test_a_missing_required_claim_is_rejected(api, missing):
    assert_rejected(api, forge(ACCESS, claims(api, **{missing: None}), api.secret))


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-api"},
        {"aud": ["another-api"]},
        {"iss": "http://evil.example"},
        {"iss": "PREFIX"},
        {"iss": "TRUNCATED"},
        {"sub": "mallory"},
        {"sub": 7},
        {"iat": "yesterday"},
        {"exp": "tomorrow"},
        {"jti": 7},
        {"jti": "j" * 129},
    ],
    ids=["wrong-aud", "wrong-aud-list", "wrong-iss", "prefix-iss", "truncated-iss", "unknown-sub", "sub-not-string",
         "iat-not-number", "exp-not-number", "jti-not-string", "jti-too-long"],
)
def test_wrong_or_malformed_claims_are_rejected(api, changes):
    iss = api.config["API_ORIGIN"]
    changes = {k: {"PREFIX": iss + ".evil.example", "TRUNCATED": iss[:-1]}.get(v, v) if k == "iss" else v
               for k, v in changes.items()}
    assert_rejected(api, forge(ACCESS, claims(api, **changes), api.secret))


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_from_the_future_is_rejected(api, claim):
    future = int(time.time()) + api.config["JWT_LEEWAY"] + 30
    assert_rejected(api, forge(ACCESS, claims(api, **{claim: future}), api.secret))


@pytest.mark.parametrize(("seconds_past_leeway", "status"), [(-3, 200), (2, 401)],
                         ids=["inside-leeway", "outside-leeway"])
def test_expiry_honours_a_small_leeway_and_no_more(api, seconds_past_leeway, status):
    exp = int(time.time()) - api.config["JWT_LEEWAY"] - seconds_past_leeway
    token = forge(ACCESS, claims(api, iat=exp - 60, exp=exp), api.secret)
    assert api.test_client().get("/api/jwt/me", headers=bearer(token)).status_code == status


@pytest.mark.parametrize(
    "header",
    [{"alg": "HS256", "typ": "refresh+jwt"}, {"alg": "HS256", "typ": "JWT"}, {"alg": "HS256"}],
    ids=["refresh-token", "id-token-typ", "no-typ"],
)
def test_only_access_tokens_are_accepted_as_access_tokens(api, header):
    assert_rejected(api, forge(header, claims(api, nonce="n-0S6_WzA2Mj"), api.secret))


def test_a_real_refresh_token_is_not_an_access_token(api):
    client = api.test_client()
    pair = client.post("/api/jwt/login", json={"username": "alice", "password": "wonderland"}).get_json()
    assert_rejected(api, pair["refresh_token"])


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "a.b.c.d", "x" * 10_000, "eyJ.eyJ.sig", "bm90IGpzb24.e30.", "e30.W10.", "e30.e30.e30",
     "eyJhbGciOiJIUzI1NiJ9." + base64url_encode(b"[" * 6000).decode() + ".sig"],
    ids=["empty", "two-parts", "four-parts", "10KB", "bad-base64", "header-not-json", "payload-array", "no-alg",
         "payload-nested-too-deep"],
)
def test_junk_is_rejected(api, token):
    assert_rejected(api, token)


def test_logout_all_reaches_a_token_whose_sub_is_spelled_decomposed(api):
    """A provider may send `zoë` as e + combining diaeresis: it is still zoë, so her logout-all must refuse it."""
    token = forge(ACCESS, claims(api, sub="zoe\u0308", iat=time.time() - 5), api.secret)
    client = api.test_client()
    assert client.get("/api/jwt/me", headers=bearer(token)).json["user"] == "zoë"
    assert client.post("/api/logout-all", headers=basic_header("zoë", "pässwörd")).status_code == 200
    assert_rejected(api, token)


@pytest.mark.parametrize(("extra_seconds", "status"), [(0, 200), (1, 401)], ids=["at-the-cap", "past-the-cap"])
def test_an_access_token_may_not_claim_a_lifetime_over_the_cap(api, extra_seconds, status):
    """A token valid for a year (a leaked key's forgery, a careless issuer) is refused, however sound its signature."""
    now = int(time.time())
    token = forge(ACCESS, claims(api, iat=now, exp=now + api.config["JWT_MAX_LIFETIME"] + extra_seconds), api.secret)
    assert api.test_client().get("/api/jwt/me", headers=bearer(token)).status_code == status


def test_the_issuers_tokens_are_held_to_the_same_cap(make_app, start_issuer):
    long_lived = start_issuer(JWT_ACCESS_TTL="7200")  # signs tokens for two hours, over the default cap of one
    token = requests.post(f"{long_lived.origin}/token", json={"username": "alice", "password": "wonderland"}, timeout=5)
    assert_rejected(make_app(ISSUER_ORIGIN=long_lived.origin), token.json()["access_token"])


def test_a_cap_below_the_apis_own_access_lifetime_refuses_to_start(make_app):
    with pytest.raises(RuntimeError, match="JWT_MAX_LIFETIME"):
        make_app(JWT_MAX_LIFETIME=60, JWT_ACCESS_TTL=300)


def test_a_token_stating_the_issuer_under_a_broken_header_is_rejected(api):
    """Routing reads `iss` alone; the issuer's verifier must still refuse a header it cannot parse."""
    payload = base64url_encode(json.dumps(claims(api, iss=api.config["ISSUER_ORIGIN"])).encode()).decode()
    assert_rejected(api, f"bm90IGpzb24.{payload}.c2ln")


def test_our_own_algorithm_pin_refuses_hs384_under_the_real_key(api):
    """The API's own tokens are HS256 only: the same key under HS384 (a valid HMAC, valid claims) is a 401."""
    signing_input = b".".join(base64url_encode(json.dumps(part).encode())
                              for part in ({"alg": "HS384", "typ": "at+jwt"}, claims(api)))
    signature = base64url_encode(hmac.new(api.secret, signing_input, hashlib.sha384).digest())
    assert_rejected(api, (signing_input + b"." + signature).decode())


def test_a_symmetric_key_in_the_issuers_jwks_is_refused(make_app):
    """A JWKS that publishes an `oct` key publishes its secret: a forged admin token signed with it is a 401."""
    secret = b"published-to-everyone-0123456789abcdef"
    jwks = {"keys": [{"kty": "oct", "kid": "sym", "k": base64url_encode(secret).decode()}]}
    with tiny_server(200, json.dumps(jwks).encode()) as (origin, requested):
        app = make_app(ISSUER_ORIGIN=origin)
        forged = {"iss": origin, "aud": app.config["JWT_AUDIENCE"], "sub": "admin", "iat": time.time(),
                  "exp": int(time.time()) + 60, "jti": "forged-admin"}
        assert_rejected(app, forge({"alg": "HS256", "typ": "at+jwt", "kid": "sym"}, forged, secret))
        assert requested == ["/.well-known/jwks.json"]  # the key was fetched, and refused
