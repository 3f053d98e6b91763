"""What it takes to end a login before it expires: per-user indexes, the JWT denylist, refresh families.

Redis keys (each with a TTL, so nothing outlives what it guards):
    user:<name>:keys     SET of the records (session:…, token:…, jwt:family:…) logout-all deletes
    logout_all:<name>    when the user last logged out everywhere; JWTs issued before it are refused
    jwt:deny:<jti>       a logged-out access token, until its `exp`
    jwt:family:<sid>     HASH {user, jti: the one live refresh token, cookie: its cookie attributes}
    jwt:ended:<sid>      the family was revoked (reuse, logout): its access tokens are refused, until the last expires
"""

import json
import time

from flask import current_app

from backend import clock

from .redis_client import redis

# Rotate a family's refresh token atomically: exactly one of two concurrent uses wins, and a
# spent token arriving again (theft, or the loser of a race) ends the whole family.
_ROTATE = """
local live = redis.call('HGET', KEYS[1], 'jti')
if not live then return {'unknown', false} end
if live ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], 1, 'EX', ARGV[4])
  return {'reused', false}
end
redis.call('HSET', KEYS[1], 'jti', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {'rotated', redis.call('HGET', KEYS[1], 'cookie')}
"""


def index_key(username):
    return f"user:{username}:keys"


def marker_key(username):
    return f"logout_all:{username}"


def family_key(sid):
    return f"jwt:family:{sid}"


def ended_key(sid):
    return f"jwt:ended:{sid}"


def _access_lifetime():
    """How long an access token minted now may still be accepted: what an ended family's marker must outlive."""
    config = current_app.config
    return config["JWT_ACCESS_TTL"] + config["JWT_LEEWAY"]


def remember(username, key, seconds, pipe=None):
    """Add `key` to the user's index (queued on `pipe` if given), kept as long as the longest record it lists."""
    config = current_app.config
    own = pipe is None
    pipe = redis().pipeline() if own else pipe
    pipe.sadd(index_key(username), key)
    pipe.expire(index_key(username), max(seconds, config["JWT_REFRESH_TTL"], config["SESSION_ABSOLUTE_TIMEOUT"]))
    if own:
        pipe.execute()


def start_family(username, sid, refresh_jti, opts):
    """A new refresh family with its first live refresh token, indexed for logout-all: one round trip."""
    seconds = current_app.config["JWT_REFRESH_TTL"]
    pipe = redis().pipeline()
    pipe.hset(family_key(sid), mapping={"user": username, "jti": refresh_jti, "cookie": json.dumps(opts)})
    pipe.expire(family_key(sid), seconds)
    remember(username, family_key(sid), seconds, pipe)
    pipe.execute()


def rotate(sid, spent_jti, next_jti):
    """('rotated', cookie attributes) if `spent_jti` was the family's live token; else ('reused' | 'unknown', None)."""
    script = redis().register_script(_ROTATE)
    seconds = current_app.config["JWT_REFRESH_TTL"]
    keys, args = [family_key(sid), ended_key(sid)], [spent_jti, next_jti, seconds, _access_lifetime()]
    outcome, cookie = script(keys=keys, args=args)
    return outcome.decode(), json.loads(cookie) if cookie else None


def end_jwt(claims):
    """Deny this access token until its `exp` and end its refresh family (its other access tokens with it); the
    family's cookie attributes."""
    seconds = max(1, int(claims["exp"] - time.time()) + current_app.config["JWT_LEEWAY"])
    pipe = redis().pipeline()
    pipe.set(f"jwt:deny:{claims['jti']}", 1, ex=seconds)
    if claims.get("sid"):
        pipe.hget(family_key(claims["sid"]), "cookie")
        pipe.delete(family_key(claims["sid"]))
        pipe.set(ended_key(claims["sid"]), 1, ex=_access_lifetime())
    results = pipe.execute()
    return json.loads(results[1]) if len(results) > 1 and results[1] else None


def revoked_reason(claims, username):
    """Why an access token of `username` (its `sub`, NFC as logout-all writes it) is revoked (denied jti, its family
    ended, or issued before logout-all), or None: one MGET.

    The issuer's tokens have no family (`sid`): theirs is read as a key that never exists, so it stays one MGET.
    """
    sid = claims.get("sid")
    family = ended_key(sid if isinstance(sid, str) else "")
    denied, ended, since = redis().mget(f"jwt:deny:{claims['jti']}", family, marker_key(username))
    if denied:
        return "this token was logged out"
    if ended:
        return "this token's refresh family was revoked (logout or reuse of a spent refresh token)"
    if since is not None and claims["iat"] < float(since):
        return "this user logged out everywhere after this token was issued"
    return None


def end_everything(username):
    """Delete every session, opaque token and refresh family of the user; refuse older JWTs. Records ended."""
    client = redis()
    keys = client.smembers(index_key(username))
    now = clock.issued_at()
    pipe = client.pipeline()
    if keys:
        pipe.delete(*keys)
    pipe.delete(index_key(username))
    config = current_app.config  # the marker must outlive every token issued before it
    seconds = max(config["JWT_REFRESH_TTL"], config["JWT_ACCESS_TTL"]) + config["JWT_LEEWAY"]
    pipe.set(marker_key(username), repr(now), ex=seconds)
    results = pipe.execute()
    return (results[0] if keys else 0), now
