"""The session interface: Flask-Session's storage backends with authlab's rules on top.

The library keeps the session object server-side under `session:<id>`; this module adds
what the demo needs: only the paths of methods that open sessions (and logout-all) open one, so other
methods never touch Redis; one round trip per request (GETEX reads and pushes back the
idle deadline); an absolute lifetime (shortened by the demo's per-login `ttl`, `_lifetime` in the
record, whose Redis TTL then runs out at that deadline); a fresh ID at every login; and cookie
attributes chosen per login, including Partitioned, which Flask-Session does not pass on.
"""

import datetime
import math
from enum import StrEnum

from cachelib import SimpleCache
from flask import current_app, g
from flask_session.base import ServerSideSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSession, RedisSessionInterface

from kernel import clock

from . import keys, redis_client, revocation


class AuthlabSession(RedisSession):
    new_id = False  # set by regenerate: only then does the browser need the cookie (never on a `me`)

    def clear(self):
        """Forget the data but remember how the cookie was set, so logout can expire the same cookie."""
        self.cookie_options = self.get("_cookie")
        super().clear()


class _AuthlabRules:
    session_class = AuthlabSession
    paths = ()  # the only path prefixes whose requests open a session (init_app's `paths`)
    cookie_jar = None  # the app's cookie rules (kernel.http.cookies), handed over by init_app: stores import no HTTP

    def _idle_seconds(self):
        return current_app.config["SESSION_IDLE_TIMEOUT"]

    @staticmethod
    def deadline(data):
        """When the session ends whatever its activity: login + SESSION_ABSOLUTE_TIMEOUT, or the demo `ttl`'s
        shorter `_lifetime`."""
        absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"]
        return data.get("_created", 0) + min(data.get("_lifetime", absolute), absolute)

    def _record_seconds(self, data):
        """How long the record may live from now: the idle timeout, unless the session's deadline comes first."""
        return min(self._idle_seconds(), self.deadline(data) - clock.now())

    def open_session(self, app, request):
        """Load the session named by the cookie, or start an empty one under a new random ID."""
        if not request.path.startswith(self.paths):
            return None  # Flask substitutes a read-only null session: no store access at all
        try:
            sid = self.cookie_jar.get(self.get_cookie_name(app))
        except self.cookie_jar.DuplicateCookie as exc:  # no session: the 401 that follows says why (g.duplicate_cookie)
            g.duplicate_cookie, sid = exc, None
        if sid and len(sid) <= 128:
            data = self._retrieve_session_data(self._get_store_id(sid))
            if data is not None and self.deadline(data) > clock.now():
                return self.session_class(data, sid=sid)
        # An unknown, expired or absent ID is never adopted: the client gets a new one if it logs in.
        return self.session_class(sid=self._generate_sid(self.sid_length), permanent=True)

    def record_key(self, session):
        """The Redis key of this session's record, named to the page's viewer key (demo mode)."""
        return self._get_store_id(session.sid)

    def regenerate(self, session):
        """Give this session a new ID and drop the old record, whether or not it held anything."""
        self._delete_session(self._get_store_id(session.sid))
        session.sid = self._generate_sid(self.sid_length)
        session.modified = session.new_id = True

    def _end_session(self, store_id):
        """Delete the record at logout."""
        self._delete_session(store_id)

    def save_session(self, app, session, response):
        """Write the record only when it changed; set the cookie at login and expire it at logout."""
        if session is None:
            return  # opening it failed (the store is down) and Flask still calls us: nothing to save
        name = self.get_cookie_name(app)
        store_id = self._get_store_id(session.sid)
        if session.accessed:  # a line of its own (Vary is a list): werkzeug's parsed `response.vary` costs ~4 µs
            response.headers.add("Vary", "Cookie")
        if not session:
            if session.modified:  # cleared by logout
                self._end_session(store_id)
                opts = getattr(session, "cookie_options", None) or self.cookie_jar.default_options()
                self.cookie_jar.delete_cookie(response, name, opts)
            return
        if not session.modified:
            return  # reading already pushed the idle deadline back
        seconds = max(1, math.ceil(self._record_seconds(session)))  # Redis wants whole seconds, at least one
        self._upsert_session(datetime.timedelta(seconds=seconds), session, store_id)
        if not session.new_id:
            return  # the browser already holds this ID: re-sending the cookie would only widen what it can be tossed
        self.cookie_jar.set_cookie(response, name, session.sid, session["_cookie"], self.deadline(session))


class RedisSessions(_AuthlabRules, RedisSessionInterface):
    def __init__(self, app, **options):
        """Skip Flask-Session's Redis constructor: its check would swap anything but a plain redis.Redis (a cluster's
        client) for Redis() on localhost:6379, with only a warning; the client is the thread's (`client`)."""
        ServerSideSessionInterface.__init__(self, app, **options)

    @property
    def client(self):
        """This thread's Redis client (redis_client.ClientPerThread)."""
        return redis_client.redis()

    def _end_session(self, store_id):
        """Delete the record at logout, confirmed by a replica where there is one (a revocation)."""
        revocation.forget(store_id)

    def _upsert_session(self, session_lifetime, session, store_id):
        """A login's record is written with its entry in the user's index (revocation.store_indexed), so logout-all
        can end it and a logout-all racing the login misses nothing; later writes are the record alone."""
        if not (session.new_id and session.get("_user_id")):
            return super()._upsert_session(session_lifetime, session, store_id)
        seconds = int(session_lifetime.total_seconds())
        revocation.store_indexed(session["_user_id"], store_id, self.serializer.encode(session), seconds,
                                 index_seconds=current_app.config["SESSION_ABSOLUTE_TIMEOUT"])

    def _retrieve_session_data(self, store_id):
        """GETEX: read the record and restart its idle TTL in one round trip. A session whose deadline (a demo `ttl`)
        comes before that pays a second one, to set the TTL back to its deadline (or delete it, past it)."""
        raw = self.client.getex(store_id, ex=self._idle_seconds())
        data = self.serializer.decode(raw) if raw else None
        if data is None or "_lifetime" not in data:
            return data
        seconds = self._record_seconds(data)
        if seconds <= 0:
            self.client.delete(store_id)
            return None
        if seconds < self._idle_seconds():
            self.client.pexpire(store_id, max(1, int(seconds * 1000)))
        return data


class MemorySessions(_AuthlabRules, CacheLibSessionInterface):
    """Sessions in this process's memory: the multi-server problem (docs/notes.md), on purpose; out of logout-all's
    reach (never indexed)."""

    def record_key(self, session):
        """None: these records live in one process's memory, out of logout-all's and the inspector's reach."""
        return None

    def _retrieve_session_data(self, store_id):
        data = self.cache.get(store_id)
        if data is not None:
            self.cache.set(store_id, data, timeout=max(1, math.ceil(self._record_seconds(data))))
        return data


class SessionStore(StrEnum):
    """Where SESSION_STORE keeps the sessions (any other value refuses to start)."""

    REDIS = "redis"  # shared by every API process: logout-all and the inspector reach them
    MEMORY = "memory"  # this process's memory: the multi-server problem, on purpose


def init_app(app, paths, cookie_jar):
    """Install the session backend named by SESSION_STORE (redis or memory), opening sessions on `paths` only (the
    factory derives them from the method registry) and setting cookies by `cookie_jar`'s rules."""
    common = {"key_prefix": keys.SESSION_PREFIX, "permanent": True, "sid_length": 32}
    if SessionStore(app.config["SESSION_STORE"]) == SessionStore.MEMORY:
        interface = MemorySessions(app, client=SimpleCache(threshold=10_000), **common)
    else:
        interface = RedisSessions(app, **common)
    interface.paths, interface.cookie_jar = tuple(paths), cookie_jar
    app.session_interface = interface
