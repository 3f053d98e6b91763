"""What the authorization server remembers in Redis: codes, refresh tokens and their families, named in one place.

    key                                  type    holds                                       lives
    as:code:<sha256 of the code>         hash    user, client, redirect_uri, challenge,      AS_CODE_TTL (60 s); once
                                                 scope; `family` once redeemed               redeemed: as its family
    as:refresh:<sha256 of the token>     hash    user, client, family, jkt                   until its family's end
    as:family:{<user>}:<id>              hash    client, live (sha256 of the one live        until its end: created
                                                 refresh token), ends, jkt; `revoked`        + AS_REFRESH_FAMILY_TTL
    jwt:ended:{<user>}:<id>              string  the API's marker (kernel/stores/keys.py):   the access tokens'
                                                 the family's access tokens are refused      lifetime
    jwt:deny:{<user>}:<jti>              string  the API's denylist: one revoked access      until its `exp`
                                                 token (RFC 7009)

A family's id is its access tokens' `sid` claim, the name the API gives its own refresh families: revoking a family
here sets the API's `jwt:ended` marker for it, so the API refuses every access token the family issued at once, and
a family the API ended (its logout of one of them, or the user's logout everywhere, `logout_all:{<user>}`, after
the family began) cannot refresh here any more. Those keys carry the user's tag: one script sees them all.

Codes and refresh tokens are looked up by the token alone, so their keys are single (untagged, like the API's
`token:<sha256>`); each family carries its user's hash tag like every per-user key of the API
(kernel/stores/keys.py). A redeemed code and a spent refresh token stay (as markers) until their family ends, so a
second use is recognised and revokes the family: rotation compares-and-swaps the family's `live` in one script, and
the family's end is fixed at creation (EXPIREAT), so no rotation ever extends it. Only hashes are stored: a copy of
Redis yields no usable code or token.
"""

import hashlib
import math
import secrets

from flask import current_app

from kernel import clock
from kernel.stores import keys as api_keys
from kernel.stores import redis_client

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

# Rotates a family (KEYS[1]): `live` from ARGV[1] to ARGV[2]; 1, or 0 when ARGV[1] was spent already, or -1 when the
# family is revoked here, ended by the API (KEYS[2]), or older than the user's last logout everywhere (KEYS[3]).
_ROTATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'revoked') == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local since = redis.call('GET', KEYS[3])
if since and tonumber(since) >= tonumber(redis.call('HGET', KEYS[1], 'created')) then return -1 end
if redis.call('HGET', KEYS[1], 'live') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'live', ARGV[2])
return 1
"""

# Marks a family (KEYS[1]) revoked if it still exists (HSET alone would make an expired one again, without a TTL),
# and its access tokens ended at the API (KEYS[2], for ARGV[1] seconds).
_REVOKE = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
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


def new_family_id():
    return secrets.token_urlsafe(12)


def new_family(family, user, client, refresh_token, jkt, seconds):
    """Refresh-token family `family` for `user`, ending `seconds` from now whatever rotations follow; its end."""
    created = clock.issued_at()
    ends = math.ceil(created) + seconds
    fields = {"client": client, "user": user, "live": digest(refresh_token), "ends": str(ends), "jkt": jkt or "",
              "created": repr(created)}
    with store().pipeline(transaction=False) as pipe:  # two slots on a cluster: the family first
        pipe.hset(family_key(user, family), mapping=fields)
        pipe.expireat(family_key(user, family), ends)
        pipe.hset(refresh_key(refresh_token), mapping={"user": user, "client": client, "family": family,
                                                       "jkt": jkt or ""})
        pipe.expireat(refresh_key(refresh_token), ends)
        pipe.execute()
    return ends


def refresh(token):
    """(the refresh token's record, its family's record or None) or None: two round trips, the family's with the
    API's markers for it (one slot), which set the family's `ended_by_api` when the API ended it (its logout of one
    of the family's access tokens, or the user's logout everywhere after the family began)."""
    record = _text(store().hgetall(refresh_key(token)))
    if not record:
        return None
    user, family_id = record["user"], record["family"]
    with store().pipeline(transaction=False) as pipe:
        pipe.hgetall(family_key(user, family_id))
        pipe.mget(api_keys.jwt_ended(user, family_id), api_keys.logout_all(user))
        family, (ended, since) = pipe.execute()
    family = _text(family)
    if family and (ended or (since is not None and float(since) >= float(family["created"]))):
        family["ended_by_api"] = "1"
    return record, family or None


def rotate(token, new_token, record, family):
    """Make `new_token` the family's live refresh token if `token` still is: "rotated", "spent" or "revoked"."""
    user, family_id = record["user"], record["family"]
    done = store().eval(_ROTATE, 3, family_key(user, family_id), api_keys.jwt_ended(user, family_id),
                        api_keys.logout_all(user), digest(token), digest(new_token))
    if done != 1:
        return "spent" if done == 0 else "revoked"
    ends = int(family["ends"])
    with store().pipeline() as pipe:
        pipe.hset(refresh_key(new_token), mapping={**record})
        pipe.expireat(refresh_key(new_token), ends)
        pipe.execute()
    return "rotated"


def revoke_family(user, family):
    """End a family for good: marked `revoked` (its end kept; one already gone stays gone), and its access tokens
    refused by the API from now on (the marker outlives the last of them)."""
    config = current_app.config
    store().eval(_REVOKE, 2, family_key(user, family), api_keys.jwt_ended(user, family),
                 config["JWT_ACCESS_TTL"] + config["JWT_LEEWAY"])


def deny_access_token(user, jti, exp):
    """Put one access token on the API's denylist (kernel/stores/keys.py) until it expires (RFC 7009)."""
    seconds = max(1, math.ceil(exp - clock.now()) + current_app.config["JWT_LEEWAY"])
    store().set(api_keys.jwt_deny(user, jti), "1", ex=seconds)
