"""DPoP proofs (RFC 9449): a request proves it comes from the holder of the key its token is bound to.

A proof is a JWT the client signs for one request with a key of its own, named in the proof's header (`jwk`).
verify_proof checks it the way RFC 9449 §4.3 lists, on PyJWT (no crypto of our own): `typ` dpop+jwt, an
asymmetric `alg` (never `none` or HS*), a public `jwk` with no private member, the signature, `htm` and `htu`
(query and fragment ignored) of this very request, `iat` within MAX_AGE seconds either way, `ath` (the access
token's SHA-256) when a token comes with it, the server's `nonce` when it asks for one, and a `jti` never seen
before: the ReplayCache remembers each in Redis under

    dpop:jti:<jkt>:<jti>    string  "1", for REPLAY_WINDOW seconds (SET NX EX: the first use wins)

where jkt is the key's RFC 7638 thumbprint, so one key's proofs can never block another's. It returns that
thumbprint: the caller compares it with the token's `cnf.jkt` (the API) or binds the token to it (the issuer).
"""

import base64
import hashlib
import json
import re
import time
from urllib.parse import urlsplit

import jwt

PROOF_TYPE = "dpop+jwt"
ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA")
MAX_AGE = 60  # seconds an `iat` may be from now, either way
REPLAY_WINDOW = 2 * MAX_AGE  # a proof first seen at iat - MAX_AGE is acceptable until iat + MAX_AGE
MAX_PROOF_LENGTH = 8192  # an RSA-4096 proof is ~2 kB
MAX_JTI_LENGTH = 128
REPLAY_PREFIX = "dpop:jti:"
# RFC 7638 §3.2: the required members of each key type, the only ones the thumbprint hashes
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}  # RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2
INVALID, USE_NONCE = "invalid_dpop_proof", "use_dpop_nonce"
_verifier = jwt.PyJWT({"enforce_minimum_key_length": True})  # an RSA key under 2048 bits is refused
_SIGNATURE_ONLY = {"verify_signature": True, "verify_exp": False, "verify_nbf": False, "verify_iat": False,
                   "verify_aud": False, "verify_iss": False}  # the times are checked here, against `now`
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DPoPError(Exception):
    """A proof that does not prove: `error` is RFC 9449's code, `description` says why (for the 401 or 400)."""

    def __init__(self, error, description):
        super().__init__(description)
        self.error, self.description = error, description


def replay_key(jkt, jti):
    """The Redis key that marks proof `jti` of key `jkt` as used."""
    return f"{REPLAY_PREFIX}{jkt}:{jti}"


class ReplayCache:
    """The `jti`s seen within the window, in Redis, so that every process of every app refuses the same replay."""

    def __init__(self, redis, window=REPLAY_WINDOW):
        self.redis, self.window = redis, window

    def first_use(self, jkt, jti):
        """True the first time (and records it, one SET NX EX), False for a replay within the window."""
        return bool(self.redis.set(replay_key(jkt, jti), "1", nx=True, ex=self.window))


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_thumbprint(jwk) -> str:
    """The key's RFC 7638 thumbprint: SHA-256 of its required members as compact sorted JSON, base64url."""
    members = THUMBPRINT_MEMBERS.get(jwk.get("kty") if isinstance(jwk, dict) else None)
    if members is None:
        raise DPoPError(INVALID, "the proof's `jwk` is not an EC, RSA or OKP public key")
    if not all(isinstance(jwk.get(name), str) for name in members):
        raise DPoPError(INVALID, f"the proof's `jwk` lacks one of {', '.join(members)}")
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def access_token_hash(access_token):
    """`ath`: base64url of the SHA-256 of the access token's ASCII (RFC 9449 §4.2)."""
    return _b64url(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def _percent_normalized(path):
    """Percent-encodings upper-cased, and decoded where they stand for an unreserved character (RFC 3986 §6.2.2)."""

    def one(match):
        char = chr(int(match.group()[1:], 16))
        return char if char in _UNRESERVED else match.group().upper()

    return _PERCENT.sub(one, path)


def normalized_url(url):
    """The URL as htu compares it (RFC 9449 §4.3): scheme and host lower-cased, default port dropped, empty path
    `/`, percent-encodings normalized, query and fragment gone; None when it is no http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a bad port or IPv6 literal
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{_percent_normalized(parts.path) or '/'}"


def _header(proof):
    """The proof's header once `typ`, `alg` and `jwk` are acceptable, and the verification key made from `jwk`."""
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError as exc:
        raise DPoPError(INVALID, f"the proof is not a JWT: {exc}") from None
    if header.get("typ") != PROOF_TYPE:
        raise DPoPError(INVALID, f"the proof's `typ` must be {PROOF_TYPE!r}, not {header.get('typ')!r}")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise DPoPError(INVALID, f"the proof's `alg` {alg!r} is not an asymmetric algorithm accepted here "
                                 f"({' '.join(ALGORITHMS)})")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise DPoPError(INVALID, "the proof's header has no `jwk` object")
    private = sorted(PRIVATE_MEMBERS.intersection(jwk))
    if private:
        raise DPoPError(INVALID, f"the proof's `jwk` holds private or symmetric members ({', '.join(private)})")
    jwk_thumbprint(jwk)  # the key type and its members
    try:
        key = jwt.PyJWK(jwk, algorithm=alg)
    except jwt.PyJWTError as exc:
        raise DPoPError(INVALID, f"the proof's `jwk` is not a {alg} public key: {exc}") from None
    return header, key


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def verify_proof(proof: str, *, method: str, url: str, access_token: str | None = None, nonce: str | None = None,
                 replay: ReplayCache, now: float | None = None) -> str:
    """The thumbprint (RFC 7638) of the key that signed this request's proof; DPoPError if it proves nothing."""
    if not isinstance(proof, str) or not proof or len(proof) > MAX_PROOF_LENGTH:
        raise DPoPError(INVALID, f"the proof must be one JWT of at most {MAX_PROOF_LENGTH} characters")
    header, key = _header(proof)
    try:
        claims = _verifier.decode(proof, key, algorithms=[header["alg"]], options=_SIGNATURE_ONLY)
    except jwt.PyJWTError as exc:
        raise DPoPError(INVALID, f"the proof's signature does not verify with its own `jwk`: {exc}") from None
    if claims.get("htm") != method:
        raise DPoPError(INVALID, f"the proof's `htm` {claims.get('htm')!r} is not this request's method {method!r}")
    htu = claims.get("htu")
    if not isinstance(htu, str) or normalized_url(htu) is None or normalized_url(htu) != normalized_url(url):
        raise DPoPError(INVALID, f"the proof's `htu` {htu!r} is not this request's URL {url!r}")
    now = time.time() if now is None else now
    iat = claims.get("iat")
    if not _is_number(iat) or not abs(now - iat) <= MAX_AGE:  # `not <=`: NaN (which Python's JSON reads) fails
        raise DPoPError(INVALID, f"the proof's `iat` must be a time within {MAX_AGE} s of now")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise DPoPError(INVALID, f"the proof's `jti` must be a string of 1 to {MAX_JTI_LENGTH} characters")
    if access_token is not None and claims.get("ath") != access_token_hash(access_token):
        raise DPoPError(INVALID, "the proof's `ath` is not the hash of the access token it came with")
    if nonce is not None and claims.get("nonce") != nonce:
        raise DPoPError(USE_NONCE, "the proof must carry the server's current `nonce` (see the DPoP-Nonce header)")
    jkt = jwk_thumbprint(header["jwk"])
    if not replay.first_use(jkt, jti):
        raise DPoPError(INVALID, "this proof was used before (its `jti` is spent): sign a new one for each request")
    return jkt
