"""`GET /api/inspect`: what the API keeps in Redis for *your* logins right now (demo mode only).

The page shows it as "The server keeps" beside its own storage: each record's kind, a short id, the seconds it
has left and its size. It answers only to a browser that shows who it is:

- a **viewer key**: every login (and every Basic `me`) answers with one, in `viewer`, while the demo options are
  on. It is the user's name and the Redis keys that login made, sealed (AES-GCM under a key derived from
  SECRET_KEY), so it reveals nothing and cannot be forged. It is no credential: it opens no `me`, and it
  survives logout, so the page still sees the record go. Sent back as `X-Viewer-Key` (several, comma-separated);
- or the **credential** itself: a Bearer token or a token cookie of any method (as logout-all takes them).

It shows that user's records only: those the presented keys name (marked `mine`, live or gone), the newest
others of the user's index (other tabs and browsers, at most MAX_OTHERS), the logout-all marker and the
rate-limit counters of the user's name and of the caller's address. A `user` that is not the viewer's is a 403
that names nobody. The cost is bounded: one ZREVRANGE and one pipeline of PTTL + MEMORY USAGE over at most
about 40 keys, never a SCAN; the index itself is capped and pruned as its records expire
(kernel/stores/revocation.py). The id is a keyed HMAC prefix of the Redis key: stable across calls (the page
follows one record), but no session ID, token, token hash, CSRF token or password. Off (404) when
DEMO_COOKIE_OPTIONS is off: a real deployment does not tell anyone who is logged in.

    T=$(curl -s -H 'Content-Type: application/json' -d '{"username":"alice","password":"wonderland"}' \\
        localhost:8000/api/token/login | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -s -H "Authorization: Bearer $T" localhost:8000/api/inspect
"""

import base64
import hashlib
import hmac
import json
import os
import time
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Blueprint, current_app, g, jsonify, request
from limits import parse_many

from kernel import users
from kernel.http import csrf
from kernel.http.errors import ApiError
from kernel.http.request_bodies import json_body, text_field
from kernel.stores import keys
from kernel.stores.redis_client import redis

from .logout_all import token_auths
from .methods import json_web_tokens, opaque
from .methods.bearer import InvalidToken, from_cookie, from_header

bp = Blueprint("inspect", __name__, url_prefix="/api")



class RecordKind(StrEnum):
    """What a Redis record is, as the page shows it."""

    SESSION = "session"
    OPAQUE_TOKEN = "opaque token"
    JWT_FAMILY = "JWT refresh family"
    JWT_DENIED = "JWT denylist entry"
    LOGOUT_ALL = "logout-all marker"
    RATE_LIMIT = "rate-limit counter"
    OTHER = "other"


# Redis key prefix -> the kind the page shows.
KINDS = {
    keys.SESSION_PREFIX: RecordKind.SESSION,
    keys.TOKEN_PREFIX: RecordKind.OPAQUE_TOKEN,
    keys.JWT_FAMILY_PREFIX: RecordKind.JWT_FAMILY,
    keys.JWT_DENY_PREFIX: RecordKind.JWT_DENIED,
    keys.LOGOUT_ALL_PREFIX: RecordKind.LOGOUT_ALL,
    keys.LIMITS_PREFIX: RecordKind.RATE_LIMIT,
}
INDEXED = (RecordKind.SESSION, RecordKind.OPAQUE_TOKEN, RecordKind.JWT_FAMILY)  # the kinds a user's index lists
ENDABLE = (RecordKind.SESSION, RecordKind.OPAQUE_TOKEN)  # what `POST /api/inspect/end` may delete
MAX_VIEWER_KEYS = 16  # presented at once (a page keeps its last few logins' keys)
MAX_KEPT = 4  # Redis keys one viewer key names (a JWT login: its family and its access token's denylist entry)
MAX_OTHERS = 20  # the user's other indexed records listed, newest first
VIEWER_HEADER = "X-Viewer-Key"


def kind(key):
    """The RecordKind of a Redis key, by its prefix."""
    return next((name for prefix, name in KINDS.items() if key.startswith(prefix)), RecordKind.OTHER)


def short_id(key):
    """A keyed HMAC prefix of the Redis key: follows one record across calls, matches no credential."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), b"authlab.inspect:" + key.encode(), hashlib.sha256)
    return digest.hexdigest()[:10]


def _sealer():
    """AES-GCM under a key of its own, derived from SECRET_KEY (never the key that signs anything else)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return AESGCM(hmac.new(secret, b"authlab.inspect.viewer-key", hashlib.sha256).digest())


def _lifetime():
    """How long a viewer key opens the inspector: as long as the longest record a login can make."""
    config = current_app.config
    return max(config["SESSION_ABSOLUTE_TIMEOUT"], config["JWT_REFRESH_TTL"], config["TOKEN_TTL"])


def viewer_key(username, record_keys):
    """The user's name and the Redis keys of one login, sealed: readable and forgeable by nobody but this API."""
    nonce = os.urandom(12)
    plain = json.dumps({"u": username, "k": list(record_keys)[:MAX_KEPT], "t": int(time.time())}).encode()
    return base64.urlsafe_b64encode(nonce + _sealer().encrypt(nonce, plain, b"viewer")).decode().rstrip("=")


def _opened(text):
    """(username, record keys) of one viewer key, or None if it is not one of ours or has expired."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        found = json.loads(_sealer().decrypt(raw[:12], raw[12:], b"viewer"))
    except (ValueError, InvalidTag):  # bad base64, too short, tampered, another server's key
        return None
    if time.time() - found["t"] > _lifetime() or users.get(found["u"]) is None:
        return None
    return found["u"], found["k"]


def _presented_keys():
    """The viewer keys this request brought, opened: [(username, [record keys])]."""
    texts = [t.strip() for t in request.headers.get(VIEWER_HEADER, "").split(",") if t.strip()]
    if len(texts) > MAX_VIEWER_KEYS:
        raise ApiError(400, "invalid_request", f"at most {MAX_VIEWER_KEYS} viewer keys at once")
    return [opened for opened in map(_opened, texts) if opened is not None]


def _credential():
    """(username, [record keys]) of a token this request carries (header or any token cookie), or None."""
    for auth in token_auths():
        found = from_header() or from_cookie(auth.cookie)
        if found is None:
            continue
        try:
            principal = auth.principal(*found)
        except InvalidToken:
            continue
        name, claims = principal.user.username, principal.details.get("claims", {})
        if auth is opaque.auth:
            return name, [opaque.record_key(principal.token)]
        if auth is json_web_tokens.auth:  # the issuer's tokens have no family (`sid`)
            family = [keys.jwt_family(name, claims["sid"])] if claims.get("sid") else []
            return name, [*family, keys.jwt_deny(name, claims["jti"])]
        return name, []
    return None


def _viewer():
    """(the user whose records this request may see, the Redis keys its own logins made); 401 for nobody."""
    shown = _presented_keys()
    credential = _credential()
    if credential is not None:
        shown.append(credential)
    if not shown:
        raise ApiError(401, "unauthorized", "the inspector shows only your own records: send the viewer key you got "
                       "at login (X-Viewer-Key) or your credential", {"WWW-Authenticate": 'Bearer realm="auth-demo"'})
    named = request.args.get("user")
    name = shown[-1][0] if named is None else users.normalize(named) if len(named) <= 64 else None
    if not any(user == name for user, _ in shown):
        raise ApiError(403, "forbidden", "the inspector shows only your own records: send the viewer key you "
                       "got at login (X-Viewer-Key) or your credential for that user")
    mine = [key for user, made in shown if user == name for key in made]
    return name, list(dict.fromkeys(mine))


def _counter_keys(username):
    """The rate-limit windows of this name and of this caller's address, computed as the limiter names them."""
    config, found = current_app.config, []
    name_hash = keys.counted_name(config["SECRET_KEY"], username)
    for scope, who, setting in (("login-user", name_hash, "LOGIN_USER_LIMIT"),
                                ("login-client", request.remote_addr or "", "LOGIN_CLIENT_LIMIT")):
        for window in parse_many(config[setting]):
            found.append((keys.rate_limit(scope, who, window.amount, window.get_expiry()), scope))
    return found


def _listing(client, username, mine):
    """[(key, is it mine, what it counts)], and how many indexed records are left unlisted: one ZREVRANGE."""
    index = keys.user_index(username)
    pipe = client.pipeline(transaction=False)
    pipe.zrevrange(index, 0, MAX_OTHERS + len(mine) - 1)
    pipe.zcard(index)
    newest, total = pipe.execute()
    newest = [key.decode() for key in newest]
    others = [key for key in newest if key not in mine][:MAX_OTHERS]
    listed = [(key, True, None) for key in mine] + [(key, False, None) for key in others]
    listed.append((keys.logout_all(username), False, None))
    listed += [(key, False, scope) for key, scope in _counter_keys(username)]
    return listed, max(0, total - len(others) - sum(1 for key in newest if key in mine))


@bp.get("/inspect")
def inspect():
    """curl -s -H "X-Viewer-Key: $VIEWER" localhost:8000/api/inspect — your records: kind, id, seconds left, bytes."""
    if not current_app.config["DEMO_COOKIE_OPTIONS"]:
        raise ApiError(404, "not_found", "the inspector is a demo feature, off when DEMO_COOKIE_OPTIONS is off")
    username, mine = _viewer()
    client = redis()
    listed, unlisted = _listing(client, username, mine)
    pipe = client.pipeline(transaction=False)
    for key, _, _ in listed:
        pipe.pttl(key)
        pipe.memory_usage(key)
    answers = pipe.execute()
    records, gone = [], []
    for i, (key, own, counts) in enumerate(listed):
        ttl_ms, size = answers[2 * i], answers[2 * i + 1]
        if ttl_ms == -2 and kind(key) in INDEXED:
            gone.append(key)  # expired or logged out: pruned from the index below (a viewer key still names it)
        if ttl_ms == -2 and not own:
            continue
        record = {"kind": kind(key), "id": short_id(key), "mine": own, "exists": ttl_ms != -2,
                  "ttl": None if ttl_ms < 0 else round(ttl_ms / 1000, 1), "bytes": size}
        if counts:
            record["counts"] = counts
        records.append(record)
    if gone:
        client.zrem(keys.user_index(username), *gone)
    config = current_app.config
    return jsonify(
        user=username,
        records=records,
        unlisted=unlisted,
        api={
            "jwt_revocation_check": config["JWT_REVOCATION_CHECK"],
            "token_ttl": config["TOKEN_TTL"],
            "jwt_access_ttl": config["JWT_ACCESS_TTL"],
            "jwt_leeway": config["JWT_LEEWAY"],  # an expired JWT is still accepted this long (clock skew)
            "session_idle_timeout": config["SESSION_IDLE_TIMEOUT"],
        },
        note="only your own records; ids are keyed hashes of the Redis keys: they follow a record, "
             "but match no credential",
    )


@bp.post("/inspect/end")
def end():
    """curl -X POST -H "X-Viewer-Key: $VIEWER" -H 'Content-Type: application/json' -d '{"id": "…"}' …/api/inspect/end
    — end a record your own login made (a session whose cookie the browser refused lives on otherwise)."""
    if not current_app.config["DEMO_COOKIE_OPTIONS"]:
        raise ApiError(404, "not_found", "the inspector is a demo feature, off when DEMO_COOKIE_OPTIONS is off")
    csrf.check_origin()  # the custom header already forces a CORS preflight; a foreign page is refused here too
    wanted = text_field(json_body(), "id", limit=16)
    username, mine = _viewer()
    found = [key for key in mine if short_id(key) == wanted and kind(key) in ENDABLE]
    if not found or not redis().delete(found[0]):
        raise ApiError(404, "not_found", "no live session or opaque token of a login of yours has this id")
    redis().zrem(keys.user_index(username), found[0])
    users.acted_for(username)
    return "", 204


def _with_viewer_key(response):
    """Add `viewer` to a successful JSON answer of a request that named the records it made (users.kept)."""
    if "kept" not in g or response.status_code != 200 or not response.is_json:
        return response
    if not current_app.config["DEMO_COOKIE_OPTIONS"]:
        return response
    username = g.get("acted_for") or (g.principal.user.username if "principal" in g else None)
    body = response.get_json()
    if username is None or not isinstance(body, dict):
        return response
    body["viewer"] = viewer_key(username, g.kept)
    response.set_data(current_app.json.dumps(body))
    return response


def init_app(app):
    """A request that names its records (users.kept: logins, Basic `me`) answers with a viewer key; the routes."""
    if app.config["DEMO_COOKIE_OPTIONS"]:
        app.extensions["authlab.on_kept"] = _with_viewer_key
    app.register_blueprint(bp)
