"""DPoP-bound access tokens (RFC 9449 §7): a token whose `cnf.jkt` names a key is good only with a proof by that key.

A bound token is accepted only as `Authorization: DPoP <token>` with exactly one `DPoP` header holding a proof
(kernel/dpop.py) for this request's method and external URL, with `ath` for this token, signed by the key whose
RFC 7638 thumbprint is `cnf.jkt`, its `jti` never seen before (Redis). A bound token sent as Bearer (or in a
cookie), a missing, invalid or replayed proof, or one by another key is a 401 whose challenge is RFC 9449's:
`WWW-Authenticate: DPoP algs="...", error="invalid_token"` (the binding) or `error="invalid_dpop_proof"` (the proof).
An unbound token stays a Bearer token: sent with the DPoP scheme it is refused too, as nothing could bind it.
"""

import hmac
from urllib.parse import quote

import jwt
from flask import current_app, request

from backend import clock
from backend.stores import redis_client
from backend.web.errors import ApiError
from kernel import dpop

SCHEME = "dpop"
MAX_MESSAGE = 300
# fixed words for the header (the JSON body says exactly why): nothing a client sent ever reaches a header
CHALLENGE_DESCRIPTIONS = {
    "invalid_token": "the token's DPoP binding does not hold",
    dpop.INVALID: "the DPoP proof is missing, invalid or replayed",
}


def refused(error, message):
    """401 with RFC 9449 §7.1's challenge and the API's JSON error body."""
    challenge = (f'DPoP algs="{" ".join(dpop.ALGORITHMS)}", error="{error}", '
                 f'error_description="{CHALLENGE_DESCRIPTIONS[error]}"')
    message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."
    return ApiError(401, error, message, {"WWW-Authenticate": challenge})


def scheme():
    """The Authorization header's scheme, lower-cased ('' without one)."""
    return request.headers.get("Authorization", "").partition(" ")[0].lower()


def external_url(proof):
    """This request's URL as its client addressed it: the API's own origin (API_ORIGIN: behind HAProxy and in HTTPS
    mode too, never the Host header a client picks), or page B's, whose server passes /api/ on unchanged, when
    that is the origin the proof names. Query and fragment play no part (RFC 9449 §4.3)."""
    path = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=")
    config = current_app.config
    candidates = [config["API_ORIGIN"] + path, config["FRONTEND_B_ORIGIN"] + path]
    try:
        stated = dpop.normalized_url(jwt.decode(proof, options={"verify_signature": False}).get("htu", ""))
    except (jwt.PyJWTError, AttributeError, TypeError):  # the verification proper says why
        return candidates[0]
    return next((url for url in candidates if dpop.normalized_url(url) == stated), candidates[0])


def bound_key(claims):
    """The thumbprint the token is bound to, None for an unbound token; a `cnf` we cannot honour is refused."""
    if "cnf" not in claims:
        return None
    jkt = claims["cnf"].get("jkt") if isinstance(claims["cnf"], dict) else None
    if not isinstance(jkt, str) or not jkt:
        raise refused("invalid_token", "the token's `cnf` names no DPoP key (`jkt`), the only binding this API checks")
    return jkt


def check(claims, token):
    """Refuse a bound token without a valid proof by its key, and an unbound one sent as DPoP; else nothing."""
    jkt, presented = bound_key(claims), scheme()
    if jkt is None:
        if presented == SCHEME:
            raise refused("invalid_token", "this token is not DPoP-bound: send it as `Authorization: Bearer`")
        return
    if presented != SCHEME:
        raise refused("invalid_token", "this token is DPoP-bound (`cnf.jkt`): send it as `Authorization: DPoP "
                                       "<token>` with a `DPoP` proof header, never as Bearer or in a cookie")
    # a server joins repeated fields with commas (WSGI has one value per name); a JWT never holds one
    proofs = [proof.strip() for field in request.headers.getlist("DPoP") for proof in field.split(",")]
    if len(proofs) != 1:
        raise refused(dpop.INVALID, f"send one `DPoP` header with a proof for this request ({len(proofs)} came)")
    try:
        proven = dpop.verify_proof(
            proofs[0], method=request.method, url=external_url(proofs[0]), access_token=token,
            replay=dpop.ReplayCache(redis_client.redis()), now=clock.now(),
        )
    except dpop.DPoPError as exc:
        raise refused(dpop.INVALID, exc.description) from None
    if not hmac.compare_digest(proven.encode(), jkt.encode()):
        raise refused("invalid_token", "the proof is signed by another key than the one this token is bound to "
                                       "(`cnf.jkt`)")
