"""DPoP at the token endpoint (RFC 9449 §5): a proof, if one came, names the key what is issued gets bound to.

The proof is checked by the shared verifier (kernel/dpop.py: `htm`, `htu`, `iat`, a `jti` never seen before, kept
in Redis); its key's thumbprint becomes the access token's `cnf.jkt` (and binds a public client's refresh tokens,
issuer/grants.py). A bad proof is RFC 9449's `invalid_dpop_proof` in the RFC 6749 error body (400).
"""

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import current_app, request

from backend.stores import redis_client
from kernel import dpop

ALGORITHMS = list(dpop.ALGORITHMS)  # what a proof may be signed with (the metadata's list)


class InvalidProof(OAuth2Error):
    error = dpop.INVALID


def proof_key():
    """The JWK thumbprint (`jkt`) of this request's DPoP proof; None without one; InvalidProof for a bad one."""
    proofs = request.headers.getlist("DPoP")
    if not proofs:
        return None
    if len(proofs) > 1:
        raise InvalidProof("send exactly one DPoP header")
    url = current_app.config["ISSUER_ORIGIN"] + request.path  # as the client addressed it, never the Host header
    try:
        return dpop.verify_proof(proofs[0], method=request.method, url=url,
                                 replay=dpop.ReplayCache(redis_client.redis()))
    except dpop.DPoPError as error:
        raise InvalidProof(_ascii(error.description)) from None


def _ascii(text):
    """RFC 6749 §5.2 allows only printable ASCII without `"` and `\\` in error_description."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)
