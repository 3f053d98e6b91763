"""The issuer's signing keys: one signs, the next is already published, retired ones stay published a while.

Publishing the next key before it signs anything means a verifier whose cached JWKS is a few
minutes old already knows it at rotation; keeping a retired key published for ISSUER_KEY_OVERLAP
seconds keeps the tokens it signed verifiable until they expire. Keys live only in memory:
restarting the issuer is a rotation with no overlap.
"""

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

# algorithm -> (new private key, JWK serializer, the members RFC 7638 hashes for the thumbprint)
ALGORITHMS = {
    "RS256": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), RSAAlgorithm, ("e", "kty", "n")),
    "EdDSA": (ed25519.Ed25519PrivateKey.generate, OKPAlgorithm, ("crv", "kty", "x")),
}


@dataclass(frozen=True)
class Key:
    kid: str
    algorithm: str
    private: object
    public_jwk: dict


def new_key(algorithm):
    """A fresh key pair whose `kid` is its RFC 7638 thumbprint."""
    generate, serializer, members = ALGORITHMS[algorithm]
    private = generate()
    public = serializer.to_jwk(private.public_key(), as_dict=True)
    public.pop("key_ops", None)  # RFC 7517 §4.3: `use` alone says what the key is for
    canonical = json.dumps({m: public[m] for m in members}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return Key(kid, algorithm, private, {**public, "kid": kid, "use": "sig", "alg": algorithm})


MAX_PUBLISHED = 5  # the signing key, the next one, and at most three retired within the overlap


class KeyRingFull(Exception):
    """Rotating now would publish more than MAX_PUBLISHED keys; the value is seconds until a retired key leaves."""


class KeyRing:
    """Thread-safe: requests sign and publish while a rotation may be swapping keys."""

    def __init__(self, algorithm, overlap, clock=time.time):
        if algorithm not in ALGORITHMS:
            raise RuntimeError(f"ISSUER_ALGORITHM must be one of {', '.join(ALGORITHMS)}, not {algorithm!r}")
        self.algorithm, self.overlap, self.clock = algorithm, overlap, clock
        self.lock = threading.Lock()
        self.current, self.next = new_key(algorithm), new_key(algorithm)
        self.retired = []  # (key, retired at)

    def rotate(self):
        """The next key starts signing, a new next key is published, the old one retires; KeyRingFull while
        MAX_PUBLISHED keys are published (so a JWKS stays small and rotations cost at most one key each)."""
        published = self.published()
        if len(published) >= MAX_PUBLISHED:
            oldest_at = min(at for _, at in self.retired)
            raise KeyRingFull(max(1, int(oldest_at + self.overlap - self.clock()) + 1))
        fresh = new_key(self.algorithm)
        with self.lock:
            self.retired.append((self.current, self.clock()))
            self.current, self.next = self.next, fresh
            return self.current.kid

    def published(self):
        """Keys a verifier may need: the signing one, the next one, and those retired within the overlap."""
        with self.lock:
            self.retired = [(key, at) for key, at in self.retired if self.clock() - at < self.overlap]
            return [self.current, self.next] + [key for key, _ in reversed(self.retired)]

    def jwks(self):
        """The public halves only (RFC 7517)."""
        return {"keys": [key.public_jwk for key in self.published()]}

    def sign(self, claims):
        """A JWT signed by the current key, naming it by `kid`."""
        with self.lock:
            key = self.current
        return jwt.encode(claims, key.private, algorithm=key.algorithm, headers={"kid": key.kid, "typ": "at+jwt"})
