"""Every patch of a library, in one place, each asserting that its target exists (imports libraries only).

Where a library has a hook, authlab uses it; these are the places where it has none. A library upgrade that
renames or drops a target fails at startup with MissingPatchTarget (and in tests/guards/test_patches.py),
instead of silently leaving the library unpatched.

- flask-cors: its after-request hook runs only for requests that bring an `Origin` (it adds nothing to the others
  when `always_send` is off, after matching the path): `/api/public` and every `me` without one skip it.
- Flask: `after_this_request` for a request context not pushed yet (kernel/http/cors.py attaches flask-cors's
  hook to the requests that bring an `Origin` as their context is made).
- Flask-Login: no session protection (it hashed address and User-Agent with SHA-512 on every session request,
  for a "freshness" nothing reads) and no remember-cookie hook (it read the session after every request).
- redis-py: connections that report each round trip (Server-Timing counts them), also on cluster nodes found
  later.
- Overridden in subclasses elsewhere (asserted here, see OVERRIDDEN): Flask-Session's storage hooks and its
  Redis constructor (kernel/stores/sessions.py), redis-py's pipeline transaction (WaitingPipeline).
"""

import functools

import flask_cors.extension
from flask import request
from flask_login import LoginManager
from flask_session.base import ServerSideSessionInterface
from redis.client import Pipeline
from redis.cluster import NodesManager
from redis.connection import AbstractConnection


class MissingPatchTarget(RuntimeError):
    """A library no longer has what a patch here changes: the patch must be redone for this version."""


def require(owner, name):
    """`owner.name`, or MissingPatchTarget naming both."""
    if not hasattr(owner, name):
        raise MissingPatchTarget(f"{owner!r} has no {name!r}: kernel/patches.py must be redone for this version")
    return getattr(owner, name)


# (owner, attribute, where it is overridden): subclass hooks that are private names of their library.
OVERRIDDEN = (
    (ServerSideSessionInterface, "_retrieve_session_data", "kernel/stores/sessions.py"),
    (ServerSideSessionInterface, "_upsert_session", "kernel/stores/sessions.py"),
    (ServerSideSessionInterface, "_delete_session", "kernel/stores/sessions.py"),
    (ServerSideSessionInterface, "_get_store_id", "kernel/stores/sessions.py"),
    (ServerSideSessionInterface, "_generate_sid", "kernel/stores/sessions.py"),
    (ServerSideSessionInterface, "__init__", "kernel/stores/sessions.py (RedisSessions skips the Redis one's)"),
    (Pipeline, "_execute_transaction", "kernel/stores/redis_client.py (WaitingPipeline)"),
    (LoginManager, "_session_protection_failed", "LoginManagerWithoutProtection below"),
    (LoginManager, "_update_remember_cookie", "LoginManagerWithoutProtection below"),
)


def check_overridden(targets=OVERRIDDEN):
    """Every target a subclass elsewhere overrides still exists."""
    for owner, name, _ in targets:
        require(owner, name)


def cors_only_with_origin(module=flask_cors.extension):
    """Make flask-cors's after-request hooks (those without `always_send`) skip requests that bring no Origin."""
    make = require(module, "make_after_request_function")
    if getattr(make, "only_with_origin", False):
        return  # patched already (every app of a process shares the module)

    @functools.wraps(make)
    def make_after_request_function(resources):
        hook = make(resources)
        if any(require(options, "always_send") for _, options in resources):
            return hook  # it answers requests without an Origin too

        @functools.wraps(hook)
        def only_with_origin(response):
            return hook(response) if "HTTP_ORIGIN" in request.environ else response

        only_with_origin.skips_without_origin = True
        return only_with_origin

    make_after_request_function.only_with_origin = True
    module.make_after_request_function = make_after_request_function


def after_this_request_of(context, hook):
    """Flask's `after_this_request` for `context` before it is pushed (Flask's own needs the pushed one)."""
    require(context, "_after_request_functions").append(hook)


class LoginManagerWithoutProtection(LoginManager):
    """Flask-Login without its session protection and without its remember-cookie hook. Sessions are bound
    instead by a random 256-bit ID in an HttpOnly cookie, a new ID at every login, idle and absolute lifetimes,
    and server-side deletion at logout and logout-all (kernel/stores/sessions.py); authlab never issues the
    remember cookie, and the hook read the session after every request, even one whose session could not open."""

    def __init__(self, *args, **kwargs):
        check_overridden([target for target in OVERRIDDEN if target[0] is LoginManager])
        super().__init__(*args, **kwargs)
        self.session_protection = None

    def _session_protection_failed(self):
        return False  # Flask-Login 0.6 hashes the agent before it reads the mode; with no protection, skip both

    def init_app(self, app, add_context_processor=True):
        super().init_app(app, add_context_processor)
        hooks = app.after_request_funcs.get(None, [])
        if self._update_remember_cookie not in hooks:
            raise MissingPatchTarget("Flask-Login no longer registers `_update_remember_cookie` after each request")
        hooks.remove(self._update_remember_cookie)


def _counting(connection_class, on_send):
    """A subclass of the pool's connection class that reports each packed send (one per round trip)."""
    require(connection_class, "on_connect")
    require(connection_class, "send_packed_command")

    class CountingConnection(connection_class):
        def on_connect(self):
            self._handshake = True
            try:
                super().on_connect()
            finally:
                self._handshake = False

        def send_packed_command(self, command, check_health=True):
            on_send(getattr(self, "_handshake", False))
            return super().send_packed_command(command, check_health)

    return CountingConnection


def _count_on_cluster(cluster, on_send):
    """Every node's pool, and those of nodes found later, opens counting connections."""
    make_node = require(cluster.nodes_manager, "create_redis_node")

    def create_redis_node(host, port, **kwargs):
        node = make_node(host, port, **kwargs)
        node.connection_pool.connection_class = _counting(node.connection_pool.connection_class, on_send)
        return node

    cluster.nodes_manager.create_redis_node = create_redis_node
    for node in cluster.get_nodes():
        pool = node.redis_connection.connection_pool
        pool.connection_class = _counting(pool.connection_class, on_send)


def count_round_trips(client, on_send):
    """Make `client` call `on_send(handshake)` before each round trip (True for a new connection's handshake)."""
    require(AbstractConnection, "send_packed_command")
    require(NodesManager, "create_redis_node")
    if getattr(client, "topology", None) == "cluster":  # made on first use: counted from then on
        client.on_made = functools.partial(_count_on_cluster, on_send=on_send)
    else:
        pool = require(client, "connection_pool")
        pool.connection_class = _counting(require(pool, "connection_class"), on_send)
