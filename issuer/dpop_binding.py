"""DPoP at the token endpoint (RFC 9449 §5): a proof, if one came, names the key what is issued gets bound to.

The proof itself is checked by the shared verifier (kernel/dpop.py, with its replay cache in Redis); until it is
here, a request that sends a proof is refused rather than answered with an unbound token it did not ask for.
"""

from authlib.oauth2.rfc6749 import InvalidGrantError
from flask import request

ALGORITHMS = ["ES256", "RS256", "EdDSA"]  # what a proof may be signed with


class InvalidProof(InvalidGrantError):
    error = "invalid_dpop_proof"


def proof_key():
    """The JWK thumbprint (`jkt`) of this request's DPoP proof; None without one; InvalidProof for a bad one."""
    proof = request.headers.get("DPoP")
    if proof is None:
        return None
    raise InvalidProof("DPoP proofs are not checked here yet")
