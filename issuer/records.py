"""What the authorization server remembers in Redis: codes, refresh tokens and their families, named in one place.

    key                                  type    holds                                       lives
    as:code:<sha256 of the code>         hash    user, client, redirect_uri, challenge,      AS_CODE_TTL (60 s); once
                                                 scope, jkt; `family` once redeemed          redeemed: as its family
    as:refresh:<sha256 of the token>     hash    user, client, family, jkt                   until its family's end
    as:family:{<user>}:<id>              hash    client, live (sha256 of the one live        until its end: created
                                                 refresh token), ends, jkt; `revoked`        + AS_REFRESH_FAMILY_TTL

Codes and refresh tokens are looked up by the token alone, so their keys are single (untagged, like the API's
`token:<sha256>`); each family carries its user's hash tag like every per-user key of the API
(backend/stores/keys.py). A redeemed code and a spent refresh token stay (as markers) until their family ends, so a
second use is recognised and revokes the family: rotation compares-and-swaps the family's `live` in one script, and
the family's end is fixed at creation (EXPIREAT), so no rotation ever extends it. Only hashes are stored: a copy of
Redis yields no usable code or token.
"""

import hashlib
import math
import secrets

from backend import clock
from backend.stores import keys as api_keys
from backend.stores import redis_client

CODE_PREFIX, REFRESH_PREFIX = "as:code:", "as:refresh:"


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def code_key(code):
    return CODE_PREFIX + digest(code)


def refresh_key(token):
    return REFRESH_PREFIX + digest(token)


def family_key(user, family):
    return f"as:family:{api_keys.tag(user)}:{family}"


# Marks a code redeemed by `family` (ARGV[1]) unless it was already; answers the family that redeemed it first.
_REDEEM = """
local first = redis.call('HGET', KEYS[1], 'family')
if first then return first end
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'family', ARGV[1])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
return ARGV[1]
"""

# Rotates a family: `live` from ARGV[1] to ARGV[2] only if ARGV[1] is still the live one and the family is not revoked.
_ROTATE = """
if redis.call('HEXISTS', KEYS[1], 'revoked') == 1 then return 0 end
if redis.call('HGET', KEYS[1], 'live') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'live', ARGV[2])
return 1
"""

# Marks a family revoked if it still exists (HSET alone would make an expired one again, without a TTL).
_REVOKE = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end
"""


def _text(record):
    return {k.decode(): v.decode() for k, v in record.items()}


def store():
    return redis_client.redis()


def save_code(code, fields, seconds):
    """A fresh code's record, dead after `seconds` (RFC 6749 §4.1.2: short-lived)."""
    key = code_key(code)
    with store().pipeline() as pipe:
        pipe.hset(key, mapping={k: v for k, v in fields.items() if v is not None})
        pipe.expire(key, seconds)
        pipe.execute()


def code(code):
    """The record of this code, or None (never issued, or dead)."""
    return _text(store().hgetall(code_key(code))) or None


def redeem_code(code, family, ends):
    """Mark the code redeemed by `family`; the family that redeemed it, which is another one if it was reused."""
    answer = store().eval(_REDEEM, 1, code_key(code), family, int(ends))
    return answer.decode() if answer else None


def new_family(user, client, refresh_token, jkt, seconds):
    """A new refresh-token family for `user`, ending `seconds` from now whatever rotations follow; (id, end)."""
    family, ends = secrets.token_urlsafe(12), math.ceil(clock.now()) + seconds
    fields = {"client": client, "user": user, "live": digest(refresh_token), "ends": str(ends), "jkt": jkt or ""}
    with store().pipeline(transaction=False) as pipe:  # two slots on a cluster: the family first
        pipe.hset(family_key(user, family), mapping=fields)
        pipe.expireat(family_key(user, family), ends)
        pipe.hset(refresh_key(refresh_token), mapping={"user": user, "client": client, "family": family,
                                                       "jkt": jkt or ""})
        pipe.expireat(refresh_key(refresh_token), ends)
        pipe.execute()
    return family, ends


def refresh(token):
    """(the refresh token's record, its family's record) or None where either is gone."""
    record = _text(store().hgetall(refresh_key(token)))
    if not record:
        return None
    family = _text(store().hgetall(family_key(record["user"], record["family"])))
    return record, family or None


def rotate(token, new_token, record, family):
    """Make `new_token` the family's live refresh token if `token` still is; False if it was spent or revoked."""
    key = family_key(record["user"], record["family"])
    if not store().eval(_ROTATE, 1, key, digest(token), digest(new_token)):
        return False
    ends = int(family["ends"])
    with store().pipeline() as pipe:
        pipe.hset(refresh_key(new_token), mapping={**record})
        pipe.expireat(refresh_key(new_token), ends)
        pipe.execute()
    return True


def revoke_family(user, family):
    """End a family for good: marked `revoked`, its end kept (a family already gone stays gone)."""
    store().eval(_REVOKE, 1, family_key(user, family))
