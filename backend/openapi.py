"""The API's OpenAPI 3.1 document: kept by hand in openapi.json, served with this deployment's origin and cookie names.

A test checks that every registered route is in it, and schemathesis fuzzes the API against it.
"""

import copy
import functools
import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from kernel.http import cookies

bp = Blueprint("openapi", __name__, url_prefix="/api")

DOCUMENT = Path(__file__).with_name("openapi.json")


@functools.cache
def document():
    """The document as written in the repository."""
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi():
    """The document, naming this API's origin and its cookies as this mode names them (prefixed in HTTPS mode)."""
    doc = copy.deepcopy(document())
    doc["servers"] = [{"url": current_app.config["API_ORIGIN"]}]
    for scheme in doc["components"]["securitySchemes"].values():
        if scheme.get("in") == "cookie":  # `__Host-` / `__Secure-` in HTTPS mode
            scheme["name"] = cookies.name(scheme["name"], scheme.get("x-cookie-path", "/"))
    return jsonify(doc)
