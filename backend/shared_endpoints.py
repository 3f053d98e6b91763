"""Endpoints every method shares: health, the unauthenticated baseline, what reached the server, the methods."""

from flask import Blueprint, current_app, jsonify, request

from kernel.http import cookies
from kernel.http.errors import RETRY_AFTER_SECONDS
from kernel.http.headers import header_bytes
from kernel.stores import redis_client

from .methods import REGISTRY

bp = Blueprint("common", __name__, url_prefix="/api")


@bp.get("/health")
def health():
    """200 while Redis answers, 503 (degraded) while it does not; either way which topology REDIS_URL names."""
    topology = redis_client.redis().topology
    if redis_client.ping():
        return jsonify(status="ok", redis=True, topology=topology)
    body = {"status": "degraded", "redis": False, "topology": topology, "error": "store_unavailable",
            "message": "redis is not answering"}
    return jsonify(body), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


@bp.get("/public")
def public():
    """No authentication: the baseline every method is measured against."""
    return jsonify(message="public: anyone can read this", authenticated=False)


def _scheme(header):
    """The Authorization scheme word only, never the credential after it."""
    if header is None:
        return None
    scheme, space, _ = header.partition(" ")
    return scheme if space and scheme.isalnum() and len(scheme) <= 20 else "malformed"


@bp.get("/methods")
def methods():
    """curl -s localhost:8000/api/methods — each method's label, summary, paths, storages, cookies: the pages' table."""
    return jsonify(methods=[method.describe(cookies.name, current_app.url_map) for method in REGISTRY])


@bp.get("/echo")
def echo():
    """What this request brought: origin, cookie names with value lengths, auth scheme, header bytes."""
    return jsonify(
        origin=request.headers.get("Origin"),
        cookies={name: len(value) for name, value in request.cookies.items()},
        authorization=_scheme(request.headers.get("Authorization")),
        request_header_bytes=header_bytes(request.headers),
    )
