"""kernel/dpop.py: real keys sign real proofs; each rule of RFC 9449 §4.3 refuses what breaks it, and a replay is
caught by a real redis-server."""

import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.utils import base64url_encode, der_to_raw_signature

from kernel import dpop
from kernel.dpop import DPoPError, ReplayCache, verify_proof
from tests.dpop_client import ProofKey
from tests.helpers import forge

URL = "https://api.example/api/jwt/me"
NOW = 1_800_000_000
TOKEN = "an-access-token"
RFC_7638_KEY = {  # RFC 7638 §3.1, and the thumbprint it gives
    "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
         "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZ"
         "Hzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-k"
         "EgU8awapJzKnqDKgw",
}


@pytest.fixture(scope="module")
def key():
    return ProofKey("ES256")


@pytest.fixture
def replay(redis_db):
    return ReplayCache(redis_db)


@pytest.fixture
def verify(replay):
    """verify_proof for GET URL with TOKEN at NOW, on the real Redis; keyword arguments override."""

    def run(proof, **overrides):
        return verify_proof(proof, **{"method": "GET", "url": URL, "access_token": TOKEN, "replay": replay,
                                      "now": NOW, **overrides})

    return run


def refused(verify, proof, error="invalid_dpop_proof", **overrides):
    """The DPoPError verify raises for `proof` (which must be one with `error`)."""
    with pytest.raises(DPoPError) as caught:
        verify(proof, **overrides)
    assert caught.value.error == error
    return caught.value.description


def test_the_thumbprint_is_rfc_7638s_own_example():
    assert dpop.jwk_thumbprint(RFC_7638_KEY) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_ath_is_rfc_9449s_own_example():
    assert dpop.access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU") == \
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_a_valid_proof_returns_its_keys_thumbprint(verify, alg):
    signer = ProofKey(alg)
    assert verify(signer.proof("GET", URL, TOKEN, iat=NOW)) == signer.jkt


def test_the_type_must_be_dpop_jwt(verify, key):
    assert "`typ`" in refused(verify, key.proof("GET", URL, TOKEN, iat=NOW, header={"typ": "JWT"}))


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_no_symmetric_algorithm_and_no_none(verify, key, alg):
    """A MAC proves nothing about a key a client holds; `none` proves nothing at all."""
    claims = {"jti": "j", "htm": "GET", "htu": URL, "iat": NOW, "ath": dpop.access_token_hash(TOKEN)}
    proof = forge({"typ": "dpop+jwt", "alg": alg, "jwk": key.jwk}, claims, key=b"k" * 32 if alg == "HS256" else None)
    assert "`alg`" in refused(verify, proof)


def test_the_jwk_must_be_public(verify):
    """A header carrying the private half (`d`) is refused, even though it signs correctly."""
    signer = ProofKey("ES256")
    private = json.loads(ECAlgorithm.to_jwk(signer.private))
    assert "private" in refused(verify, signer.proof("GET", URL, TOKEN, iat=NOW, header={"jwk": private}))


def test_the_jwk_must_be_there(verify, key):
    assert "`jwk`" in refused(verify, key.proof("GET", URL, TOKEN, iat=NOW, drop=["jwk"]))


@pytest.mark.parametrize("kind", ["rsa-key", "p384-curve"])
def test_the_jwk_must_fit_the_algorithm(verify, kind):
    """An ES256 proof naming an RSA key, or a P-384 key (signed by hand: PyJWT refuses to sign that too)."""
    if kind == "rsa-key":
        jwk = ProofKey("RS256").jwk
        proof = forge({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}, {"jti": "j", "htm": "GET", "htu": URL})
    else:
        private = ec.generate_private_key(ec.SECP384R1())
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": json.loads(ECAlgorithm.to_jwk(private.public_key()))}
        claims = {"jti": "j", "htm": "GET", "htu": URL, "iat": NOW, "ath": dpop.access_token_hash(TOKEN)}
        signing_input = b".".join(base64url_encode(json.dumps(part).encode()) for part in (header, claims))
        signature = der_to_raw_signature(private.sign(signing_input, ec.ECDSA(hashes.SHA256())), private.curve)
        proof = (signing_input + b"." + base64url_encode(signature)).decode()
    refused(verify, proof)


def test_a_short_rsa_key_is_refused(verify):
    signer = ProofKey("RS256")
    signer.private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    signer.jwk = json.loads(RSAAlgorithm.to_jwk(signer.private.public_key()))
    with pytest.warns(UserWarning):  # PyJWT warns when signing with it, too
        proof = signer.proof("GET", URL, TOKEN, iat=NOW)
    refused(verify, proof)


def test_the_signature_must_be_by_the_named_key(verify, key):
    """Another key signs, the header names `key`: the signature does not verify."""
    thief = ProofKey("ES256")
    assert "signature" in refused(verify, thief.proof("GET", URL, TOKEN, iat=NOW, header={"jwk": key.jwk}))


def test_htm_must_be_the_requests_method(verify, key):
    assert "`htm`" in refused(verify, key.proof("POST", URL, TOKEN, iat=NOW))


@pytest.mark.parametrize("htu", [
    "https://api.example/api/jwt/logout", "https://other.example/api/jwt/me", "http://api.example/api/jwt/me",
    "https://api.example:8443/api/jwt/me", "api.example/api/jwt/me", 42,
])
def test_htu_must_be_the_requests_url(verify, key, htu):
    assert "`htu`" in refused(verify, key.proof("GET", URL, TOKEN, iat=NOW, htu=htu))


@pytest.mark.parametrize("htu", [
    URL + "?page=2#top", "HTTPS://API.example:443/api/jwt/me", "https://api.example/api/jwt/%6De",
])
def test_htu_ignores_query_and_fragment_and_compares_normalized(verify, key, htu):
    """RFC 9449 §4.3: query and fragment ignored; RFC 3986 §6.2.2-6.2.3 normalization (case, port, %6D is `m`)."""
    assert verify(key.proof("GET", URL, TOKEN, iat=NOW, htu=htu)) == key.jkt


@pytest.mark.parametrize("age", [-dpop.MAX_AGE, dpop.MAX_AGE])
def test_iat_within_a_minute_either_way_is_accepted(verify, key, age):
    assert verify(key.proof("GET", URL, TOKEN, iat=NOW - age)) == key.jkt


@pytest.mark.parametrize("age", [-dpop.MAX_AGE - 1, dpop.MAX_AGE + 1])
def test_iat_further_off_is_refused(verify, key, age):
    assert "`iat`" in refused(verify, key.proof("GET", URL, TOKEN, iat=NOW - age))


@pytest.mark.parametrize("iat", [None, "1800000000", True, float("nan")])
def test_iat_must_be_a_time(verify, key, iat):
    """Missing, a string, a boolean or NaN (Python's JSON reads `NaN`) is no time."""
    proof = key.proof("GET", URL, TOKEN, iat=iat, drop=["iat"] if iat is None else [])
    assert "`iat`" in refused(verify, proof)


def test_jti_must_be_there(verify, key):
    assert "`jti`" in refused(verify, key.proof("GET", URL, TOKEN, iat=NOW, drop=["jti"]))


def test_ath_must_hash_the_token_it_came_with(verify, key):
    assert "`ath`" in refused(verify, key.proof("GET", URL, "another-token", iat=NOW))
    assert "`ath`" in refused(verify, key.proof("GET", URL, iat=NOW))  # none at all


def test_without_a_token_no_ath_is_needed(verify, key):
    """At a token endpoint there is no access token yet."""
    assert verify(key.proof("GET", URL, iat=NOW), access_token=None) == key.jkt


def test_a_nonce_asked_for_must_be_the_one(verify, key):
    assert "`nonce`" in refused(verify, key.proof("GET", URL, TOKEN, iat=NOW), "use_dpop_nonce", nonce="n-1")
    assert "`nonce`" in refused(verify, key.proof("GET", URL, TOKEN, iat=NOW, nonce="n-0"), "use_dpop_nonce",
                                nonce="n-1")
    assert verify(key.proof("GET", URL, TOKEN, iat=NOW, nonce="n-1"), nonce="n-1") == key.jkt


def test_a_replayed_proof_is_refused_through_redis(verify, key, redis_db):
    """The second use of one `jti` is refused for the window; the mark is one key with a TTL."""
    proof = key.proof("GET", URL, TOKEN, iat=NOW, jti="once")
    assert verify(proof) == key.jkt
    assert "used before" in refused(verify, proof)
    assert "used before" in refused(verify, proof, replay=ReplayCache(redis_db))  # another process's cache alike
    mark = dpop.replay_key(key.jkt, "once")
    assert redis_db.keys("dpop:*") == [mark.encode()]
    assert 0 < redis_db.ttl(mark) <= dpop.REPLAY_WINDOW == 2 * dpop.MAX_AGE


def test_one_keys_jti_does_not_block_another_keys(verify, key):
    """Marks are per key: a stranger cannot spend the `jti`s a client will use."""
    assert verify(ProofKey("ES256").proof("GET", URL, TOKEN, iat=NOW, jti="shared")) is not None
    assert verify(key.proof("GET", URL, TOKEN, iat=NOW, jti="shared")) == key.jkt


def test_an_invalid_proof_spends_no_jti(verify, key, redis_db):
    refused(verify, key.proof("POST", URL, TOKEN, iat=NOW))
    assert redis_db.keys("dpop:*") == []


@pytest.mark.parametrize("proof", [
    "", "not-a-jwt", "a.b.c", "x" * (dpop.MAX_PROOF_LENGTH + 1), None, 7,
    forge({"typ": "dpop+jwt", "alg": "ES256", "jwk": "nope"}, {}),
    forge({"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}, {}),
    forge({"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256"}}, {}),
    forge({"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256", "x": 1, "y": 2}}, {}),
    forge(["not", "an", "object"], {}),
], ids=["empty", "one-part", "garbage", "too-long", "none", "number", "jwk-string", "jwk-oct", "jwk-incomplete",
        "jwk-numbers", "header-list"])
def test_malformed_proofs_are_dpop_errors_never_crashes(verify, proof):
    refused(verify, proof)


def test_a_payload_that_is_no_object_is_refused(verify, key):
    """Signed correctly by the named key, but the payload is a JSON list."""
    import jwt

    proof = jwt.api_jws.encode(b"[1, 2]", key.private, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": key.jwk})
    refused(verify, proof)
