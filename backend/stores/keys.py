"""Every Redis key the API writes, named in one place, and which of them must share a Redis Cluster hash slot.

A cluster places a key by the CRC16 of its hash tag (the text between the first `{` and the next `}`), or of
the whole key when it has none. Keys read or written together in one command, MULTI or Lua script must share
a slot, so every per-user key carries the tag `{<username>}` (the NFC name, as users.normalize gives it):

    key                              type    holds (always with a TTL)                 used together with
    session:<id>                     string  a server-side session (Flask-Session)     alone
    token:<sha256 of the token>      string  an opaque token's record {user, cookie}   alone
    user:{<name>}:logins             zset    the records logout-all deletes, scored by  marker, families
                                             when each expires at the latest (pruned then;
                                             at most revocation.MAX_INDEXED)
    logout_all:{<name>}              string  when the user last logged out everywhere  index; deny + ended (MGET)
    jwt:deny:{<name>}:<jti>          string  a logged-out access token, until its exp  ended + marker (one MGET)
    jwt:family:{<name>}:<sid>        hash    {user, jti of the live refresh, cookie}   ended (rotation), index
    jwt:ended:{<name>}:<sid>         string  the family was revoked                    family, deny, marker
    LIMITS:<scope>/{<who>}/<n>/<s>   string  one rate-limit window's count             the same who's windows
                                             (who: keyed hash of the name, or the address)

Sessions and opaque tokens stay single-key (one GET per `me`, spread over the whole cluster; the contract names
their keys), so on a cluster a login's record and its index entry are two slots: the record is written first, then
the entry (revocation.store_indexed; elsewhere both in one MULTI), so a racing logout-all misses nothing.
Logout-all deletes each indexed record on its own, then removes exactly those entries from the index and sets
the marker in one MULTI on the user's slot (backend/stores/revocation.py).
"""

SESSION_PREFIX = "session:"
TOKEN_PREFIX = "token:"
LIMITS_PREFIX = "LIMITS:"


def tag(username):
    """The hash tag that puts every key of one user in one cluster slot."""
    return "{" + username + "}"


def token(sha256_hex):
    return TOKEN_PREFIX + sha256_hex


def user_index(username):
    return f"user:{tag(username)}:logins"  # a sorted set (it was a set named `...:keys`: a new name, no WRONGTYPE)


def logout_all(username):
    return f"logout_all:{tag(username)}"


def jwt_deny(username, jti):
    return f"jwt:deny:{tag(username)}:{jti}"


def jwt_family(username, sid):
    return f"jwt:family:{tag(username)}:{sid}"


def jwt_ended(username, sid):
    return f"jwt:ended:{tag(username)}:{sid}"


def rate_limit(scope, who, amount, seconds):
    """One window's counter; every window of one `who` shares a slot, so one script counts them all."""
    return f"{LIMITS_PREFIX}{scope}/{tag(who)}/{amount}/{seconds}"


# The BFF's and the collector's keys (bff/, collector/): never the API's, all with a TTL.
#   bff:<site>:session:<sha256 of the cookie>   string  {user, tokens, expiries} of one BFF session
#   bff:<site>:login:<state>                    string  a login under way: its PKCE verifier (5 minutes)
#   bff:<site>:refreshing:<sha256 of cookie>    string  a lock: one refresh per session at a time
#   collector:{<run>}:<part>                    list / string   what the collector received and tried for one run
#   collector:due                               zset    "<run> <item>" scored by when the next attempt is due


def bff_session(site, digest):
    return f"bff:{site}:session:{digest}"


def bff_login(site, state):
    return f"bff:{site}:login:{state}"


def bff_refreshing(site, digest):
    return f"bff:{site}:refreshing:{digest}"


def collector(run, part):
    return f"collector:{tag(run)}:{part}"


COLLECTOR_DUE = "collector:due"
