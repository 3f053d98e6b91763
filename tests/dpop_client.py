"""A DPoP client for the tests: a real key pair (cryptography) that signs real proofs with PyJWT (RFC 9449 §4.2)."""

import json
import secrets
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from kernel import dpop

KEYS = {
    "ES256": (lambda: ec.generate_private_key(ec.SECP256R1()), ECAlgorithm),
    "RS256": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), RSAAlgorithm),
    "EdDSA": (ed25519.Ed25519PrivateKey.generate, OKPAlgorithm),
}


class ProofKey:
    """One client's key: its public JWK, its thumbprint, and proofs for requests."""

    def __init__(self, alg="ES256"):
        generate, serializer = KEYS[alg]
        self.alg, self.private = alg, generate()
        self.jwk = json.loads(serializer.to_jwk(self.private.public_key()))
        self.jkt = dpop.jwk_thumbprint(self.jwk)

    def proof(self, method, url, access_token=None, *, header=None, drop=(), **claims):
        """A signed proof for `method url` (with `ath` for `access_token`), issued now unless `iat` is given;
        `header` and `claims` override, `drop` omits a member of either."""
        body = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url, "iat": int(time.time())}
        if access_token is not None:
            body["ath"] = dpop.access_token_hash(access_token)
        body.update(claims)
        headers = {"typ": "dpop+jwt", "jwk": self.jwk, **(header or {})}
        for name in drop:
            body.pop(name, None)
            headers.pop(name, None)
        return jwt.encode(body, self.private, algorithm=self.alg, headers=headers)
