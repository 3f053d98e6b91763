"""The API's OpenAPI 3.1 document: hand-maintained in openapi.json, served with this deployment's origin and cookie name.

A test checks that every registered route is in it, and schemathesis fuzzes the API against it.
"""

import copy
import functools
import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify

bp = Blueprint("openapi", __name__, url_prefix="/api")

DOCUMENT = Path(__file__).with_name("openapi.json")


@functools.cache
def document():
    """The document as written in the repository."""
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi():
    """The document, naming this API's origin and its session cookie (`__Host-session_id` in HTTPS mode)."""
    doc = copy.deepcopy(document())
    doc["servers"] = [{"url": current_app.config["API_ORIGIN"]}]
    doc["components"]["securitySchemes"]["sessionCookie"]["name"] = current_app.config["SESSION_COOKIE_NAME"]
    return jsonify(doc)
