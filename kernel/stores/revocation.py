"""What it takes to end a login before it expires: per-user indexes, the JWT denylist, refresh families.

The keys (kernel/stores/keys.py, every one with a TTL so nothing outlives what it guards) carry the user's
hash tag, so each step below touches one cluster slot and stays atomic on every topology: the revocation check
is one MGET, rotation one script, logout-all's last step one MULTI. Revocation writes (logout, reuse of a spent
refresh token, logout-all) wait for a replica where there is one (redis_client.revocation_pipeline).
"""

import json
import time
from enum import StrEnum

from flask import current_app

from kernel import clock

from . import keys
from .redis_client import ClusterRevocation, Topology, redis, revocation_pipeline

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
redis.call('ZADD', KEYS[3], 'GT', ARGV[5], KEYS[1])
if redis.call('TTL', KEYS[3]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
return {'rotated', redis.call('HGET', KEYS[1], 'cookie')}
"""
# A user's index lists at most this many live records; the login that would list one more ends the oldest.
MAX_INDEXED = 100


def _access_lifetime():
    """How long an access token minted now may still be accepted: what an ended family's marker must outlive."""
    config = current_app.config
    return config["JWT_ACCESS_TTL"] + config["JWT_LEEWAY"]


def remember(username, key, seconds, pipe=None):
    """Add `key` to the user's index (queued on `pipe` if given), scored by when it expires at the latest; drop
    the entries whose records have certainly expired; keep the index as long as the longest record it lists.
    Then (own pipe) or after the caller's pipe, `trim` keeps the index to MAX_INDEXED."""
    config = current_app.config
    own = pipe is None
    pipe = redis().pipeline(transaction=True) if own else pipe
    index, now = keys.user_index(username), time.time()
    pipe.zadd(index, {key: now + seconds})
    pipe.zremrangebyscore(index, "-inf", now)
    pipe.expire(index, max(seconds, config["JWT_REFRESH_TTL"], config["SESSION_ABSOLUTE_TIMEOUT"]))
    if own:
        pipe.execute()
        trim(username, key)


def trim(username, keep):
    """End the logins that expire soonest beyond MAX_INDEXED (deleted, then unlisted), never `keep`, the login just
    made (a new opaque token expires before an older session or refresh family), so no index grows without bound:
    one ZRANGE per login, and more only when a user holds over MAX_INDEXED live logins."""
    index = keys.user_index(username)
    lowest = [r.decode() if isinstance(r, bytes) else r for r in redis().zrange(index, 0, -MAX_INDEXED)]
    oldest = [r for r in lowest if r != keep][: max(0, len(lowest) - 1)]  # the excess, one past it in case of `keep`
    if oldest:
        pipe = revocation_pipeline(transaction=False)
        for record in oldest:
            pipe.delete(record)
        pipe.execute()
        redis().zrem(index, *oldest)


def store_indexed(username, key, value, seconds, index_seconds=None):
    """Write a login's record and index it for logout-all, the record never after its entry (a logout-all between an
    entry and its record would drop the entry and miss the record): one MULTI where both share a node; on a cluster
    (the contract's `token:<sha256>` and `session:<id>` carry no hash tag) the record first, then the entry."""
    client = redis()
    if client.topology == Topology.CLUSTER:
        client.set(key, value, ex=seconds)
        remember(username, key, index_seconds or seconds)  # fails: the login is a 503 and its credential unsent
        return
    pipe = client.pipeline(transaction=True)
    pipe.set(key, value, ex=seconds)
    remember(username, key, index_seconds or seconds, pipe)
    pipe.execute()
    trim(username, key)


def start_family(username, sid, refresh_jti, opts):
    """A new refresh family with its first live refresh token, indexed for logout-all: one MULTI, one slot."""
    seconds = current_app.config["JWT_REFRESH_TTL"]
    family = keys.jwt_family(username, sid)
    pipe = redis().pipeline(transaction=True)
    pipe.hset(family, mapping={"user": username, "jti": refresh_jti, "cookie": json.dumps(opts)})
    pipe.expire(family, seconds)
    remember(username, family, seconds, pipe)
    pipe.execute()
    trim(username, family)


class Rotation(StrEnum):
    """What spending a refresh token found (the rotation script's answer)."""

    ROTATED = "rotated"  # it was the family's live token: the next one is live now
    REUSED = "reused"  # it was spent before: the whole family is ended
    UNKNOWN = "unknown"  # the family is gone (logout, logout-all, reuse or expiry)


def rotate(username, sid, spent_jti, next_jti):
    """(Rotation.ROTATED, cookie attributes) if `spent_jti` was the family's live token; else (REUSED | UNKNOWN, None).
    A detected reuse must reach a replica (else a 503); a rotation need not: a 503 after it would spend the token."""
    script = redis().register_script(_ROTATE)
    seconds = current_app.config["JWT_REFRESH_TTL"]
    pipe = revocation_pipeline(transaction=False)
    script_keys = [keys.jwt_family(username, sid), keys.jwt_ended(username, sid), keys.user_index(username)]
    args = [spent_jti, next_jti, seconds, _access_lifetime(), time.time() + seconds]  # the index's new score
    if pipe.waits:  # the script, then WAIT, on one connection (a cluster's: the master of the user's slot)
        if isinstance(pipe, ClusterRevocation):
            pipe.eval(_ROTATE, len(script_keys), *script_keys, *args)
        else:
            script(keys=script_keys, args=args, client=pipe)
        outcome, cookie = pipe.execute()[0]
    else:
        outcome, cookie = script(keys=script_keys, args=args)
    outcome = Rotation(outcome.decode())
    if outcome == Rotation.REUSED:
        pipe.require_acknowledgement()
    return outcome, json.loads(cookie) if cookie else None


def end_jwt(username, claims):
    """Deny this access token until its `exp` and end its refresh family (its other access tokens with it); the
    family's cookie attributes."""
    seconds = max(1, int(claims["exp"] - time.time()) + current_app.config["JWT_LEEWAY"])
    pipe = revocation_pipeline()
    pipe.set(keys.jwt_deny(username, claims["jti"]), 1, ex=seconds)
    if claims.get("sid"):
        pipe.hget(keys.jwt_family(username, claims["sid"]), "cookie")
        pipe.delete(keys.jwt_family(username, claims["sid"]))
        pipe.set(keys.jwt_ended(username, claims["sid"]), 1, ex=_access_lifetime())
    results = pipe.execute()
    pipe.require_acknowledgement()
    return json.loads(results[1]) if len(results) > 1 and results[1] else None


def forget(key):
    """Delete one record (an opaque token's, a session's) at logout, confirmed by a replica where there is one."""
    pipe = revocation_pipeline(transaction=False)
    pipe.delete(key)
    pipe.execute()
    pipe.require_acknowledgement()


def revoked_reason(claims, username):
    """Why an access token of `username` (its `sub`, NFC as logout-all writes it) is revoked (denied jti, its family
    ended, or issued before logout-all), or None: one MGET, on the user's slot.

    The issuer's tokens have no family (`sid`): theirs is read as a key that never exists, so it stays one MGET.
    """
    sid = claims.get("sid")
    family = keys.jwt_ended(username, sid if isinstance(sid, str) else "")
    deny = keys.jwt_deny(username, claims["jti"])
    denied, ended, since = redis().mget(deny, family, keys.logout_all(username))
    if denied:
        return "this token was logged out"
    if ended:
        return "this token's refresh family was revoked (logout or reuse of a spent refresh token)"
    if since is not None and claims["iat"] < float(since):
        return "this user logged out everywhere after this token was issued"
    return None


def end_everything(username):
    """Delete every session, opaque token and refresh family of the user; refuse older JWTs. Records ended.

    Each record is deleted on its own (on a cluster they live on any node); then one MULTI on the user's slot
    removes exactly those entries from the index and sets the marker. A record a login indexes meanwhile stays
    indexed, so the next logout-all ends it; a failure half-way leaves the index whole for a retry.
    """
    client = redis()
    index = keys.user_index(username)
    records = sorted(client.zrange(index, 0, -1))  # at most MAX_INDEXED
    ended = 0
    if records:
        pipe = revocation_pipeline(transaction=False)
        for record in records:
            pipe.delete(record)
        ended = sum(pipe.execute())
        pipe.require_acknowledgement()
    now = clock.issued_at()
    config = current_app.config  # the marker must outlive every token issued before it
    seconds = max(config["JWT_REFRESH_TTL"], config["JWT_ACCESS_TTL"]) + config["JWT_LEEWAY"]
    pipe = revocation_pipeline()
    if records:
        pipe.zrem(index, *records)
    pipe.set(keys.logout_all(username), repr(now), ex=seconds)
    pipe.execute()
    pipe.require_acknowledgement()
    return ended, now
