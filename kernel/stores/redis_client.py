"""The Redis client for every topology: short timeouts and one retry, so a dead Redis is a quick 503, not a hang.

REDIS_URL picks the topology by its scheme (the `limits` library's schemes):

    redis://host:port/0, rediss://..., unix://...   one server (`single`)
    redis+sentinel://host:port[,host:port...]/<master name>[?password=...&sentinel_password=...]   (`sentinel`)
    redis+cluster://host:port[,host:port...][?password=...]   a Redis Cluster (`cluster`)

Sentinel: the client asks the sentinels for the current primary and follows a failover by itself (a demoted
primary's READONLY answer makes it ask again). Cluster: redis-py's RedisCluster, made on first use, so the API
starts (and answers 503) while the cluster is down. Revocation writes wait for replicas (`WAIT`) on every
topology that has them, a cluster's on each master they wrote to: see `revocation_pipeline`.
"""

import threading
import time
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from redis import Redis
from redis.backoff import ConstantBackoff, NoBackoff
from redis.client import Pipeline
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError, RedisError, TimeoutError
from redis.retry import Retry
from redis.sentinel import Sentinel

from kernel.failures import STORE_ERRORS

REPLICAS_RECHECK_SECONDS = 5  # REDIS_WAIT_REPLICAS=auto asks the primary this often how many replicas it has


class NotReplicated(RedisError):
    """A revocation reached the primary, but no replica confirmed it in time: a failover now could undo it."""


def _retry(retries=1):
    return Retry(ConstantBackoff(0.05), retries=retries, supported_errors=(ConnectionError, TimeoutError))


def _hosts(netloc):
    """[(host, port), ...] from `h:p,h:p` (the part after any `user:password@`)."""
    hosts = []
    for part in netloc.rpartition("@")[2].split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_URL: expected host:port, got {part!r}")
        hosts.append((host.strip("[]"), int(port)))
    return hosts


class Topology(StrEnum):
    """How the Redis behind REDIS_URL is deployed (`GET /api/health` names it)."""

    SINGLE = "single"
    SENTINEL = "sentinel"
    CLUSTER = "cluster"


def topology(url):
    """The Topology the URL's scheme names."""
    scheme = urlsplit(url).scheme
    return {"redis+sentinel": Topology.SENTINEL, "redis+cluster": Topology.CLUSTER}.get(scheme, Topology.SINGLE)


class DeferredCluster:
    """A RedisCluster made on first use (its constructor asks the nodes for the slot map): until the cluster
    answers, each use raises the store error, which is a 503, instead of the API failing to start."""

    topology = Topology.CLUSTER

    def __init__(self, make):
        self._make, self._client, self._lock = make, None, threading.Lock()
        self.on_made = None  # called with the client once made (kernel/patches.py: count_round_trips)

    def made(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    client = self._make()
                    if self.on_made:
                        self.on_made(client)
                    self._client = client
        return self._client

    def __getattr__(self, name):
        return getattr(self.made(), name)


def make_client(url, timeout):
    """A pooled client for REDIS_URL's topology that gives up within ~2 x timeout and reconnects by itself."""
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    password = unquote(parts.password) if parts.password else options.get("password")
    common = {"socket_connect_timeout": timeout, "socket_timeout": timeout, "retry": _retry(), "password": password}
    kind = topology(url)
    if kind == Topology.SENTINEL:
        name = parts.path.strip("/")
        if not name:
            raise ValueError("REDIS_URL: redis+sentinel:// needs the master's name as its path (/mymaster)")
        sentinel_kwargs = {"socket_connect_timeout": timeout, "socket_timeout": timeout,
                           "password": options.get("sentinel_password")}
        sentinels = Sentinel(_hosts(parts.netloc), sentinel_kwargs=sentinel_kwargs)
        client = sentinels.master_for(name, health_check_interval=0, **common)
    elif kind == Topology.CLUSTER:
        nodes = [ClusterNode(host, port) for host, port in _hosts(parts.netloc)]
        client = DeferredCluster(lambda: RedisCluster(startup_nodes=nodes, **common))
    else:
        client = Redis.from_url(url, health_check_interval=0, **common)
    client.topology = kind
    return client


def without_retry(client):
    """The same client giving up after one try (best-effort writes); a cluster keeps its one retry."""
    if isinstance(client, Redis):
        return Redis(connection_pool=client.connection_pool, retry=Retry(NoBackoff(), 0))
    return client


class ClientPerThread(threading.local):
    """Each server thread's client. On one server it is redis-py's `Redis.client()`: it keeps one connection of the
    shared pool for the thread's life, as Django keeps a database connection per thread, so a command skips the
    pool's lock and its check that the connection has nothing unread (a poll and a read that fails: ~10 µs of CPU a
    command); a broken connection is reconnected by the command's retry, as in the pool. Sentinel and a cluster
    share the pooled client: a failover resets the pool, which a connection a thread keeps would miss, reading on
    from the demoted primary (tests/system/test_run_ha.py saw a logged-out token accepted)."""

    def __init__(self, pooled):
        self.pooled, self.client = pooled, None

    def get(self):
        if self.client is None:
            if self.pooled.topology != Topology.SINGLE:
                return self.pooled
            client = self.pooled.client()  # takes its connection now: a Redis that is down raises the 503 here
            client.topology = self.pooled.topology
            self.client = client
        return self.client


def redis(app=None):
    """This thread's client of the app (the current app's unless one is given); never hand it to another thread."""
    return (app or current_app).extensions["authlab.redis.thread"].get()


def pooled(app=None):
    """The app's pooled client, safe to share between threads: for what outlives a request (a session interface,
    counters) and to close the app's connections."""
    return (app or current_app).extensions["authlab.redis"]


def init_app(app):
    """Create the app's client from REDIS_URL and REDIS_TIMEOUT (no connection is made yet)."""
    config = app.config
    client = make_client(config["REDIS_URL"], config["REDIS_TIMEOUT"])
    app.extensions["authlab.redis"] = client
    app.extensions["authlab.redis.thread"] = ClientPerThread(client)
    # WAIT must give up before the socket does (else a timeout, a retry of the write, and a second wait)
    wait_ms = min(int(config.get("REDIS_WAIT_TIMEOUT_MS", 300)), int(config["REDIS_TIMEOUT"] * 1000 * 0.8))
    app.extensions["authlab.replication"] = Replication(client, config.get("REDIS_WAIT_REPLICAS", "auto"), wait_ms)


def ping():
    """True when Redis answers (on a cluster: every primary); never raises."""
    client = redis()
    try:
        if client.topology == Topology.CLUSTER:
            return bool(client.ping(target_nodes=RedisCluster.PRIMARIES))
        return bool(client.ping())
    except STORE_ERRORS:
        return False


class Replication:
    """How many replicas a revocation write waits for: REDIS_WAIT_REPLICAS, or with `auto` 1 while the primary (on
    a cluster: the master written to) reports a connected replica, asked at most every few seconds."""

    def __init__(self, client, setting, timeout_ms):
        self.client, self.setting, self.timeout_ms = client, str(setting).strip().lower(), int(timeout_ms)
        self.known = {}  # primary's name: (replicas, when asked)

    def wanted(self, primary=None, name="primary"):
        """For the client's primary, or `primary` (a cluster master's own client) under its `name`."""
        primary = primary if primary is not None else self.client
        if not isinstance(primary, Redis):
            return 0
        if self.setting != "auto":
            return int(self.setting)
        known, checked_at = self.known.get(name, (0, float("-inf")))
        if time.monotonic() - checked_at >= REPLICAS_RECHECK_SECONDS:
            known = 1 if primary.info("replication").get("connected_slaves", 0) else 0
            self.known[name] = (known, time.monotonic())
        return known


class WaitingPipeline(Pipeline):
    """A pipeline that sends `WAIT <replicas> <ms>` after its commands on the same connection (WAIT counts the
    writes of its own connection, and does not block inside MULTI); `acked` is the replicas that confirmed."""

    replicas, timeout_ms, acked, waits = 0, 0, None, True

    def execute(self, raise_on_error=True):
        if self.transaction:  # WAIT after EXEC: see _execute_transaction
            return super().execute(raise_on_error)
        self.execute_command("WAIT", self.replicas, self.timeout_ms)  # the last command of the same round trip
        *results, acked = super().execute(raise_on_error)
        self.acked = int(acked)
        return results

    def _execute_transaction(self, connection, commands, raise_on_error):
        results = super()._execute_transaction(connection, commands, raise_on_error)
        connection.send_command("WAIT", self.replicas, self.timeout_ms)
        self.acked = int(connection.read_response())
        return results

    def require_acknowledgement(self):
        """Raise NotReplicated (a 503) unless enough replicas confirmed the writes."""
        if self.acked is not None and self.acked < self.replicas:
            raise NotReplicated(f"{self.acked} of {self.replicas} replicas confirmed within {self.timeout_ms} ms")


def _first_key(command, args):
    """The key a queued command routes by (a script's first key)."""
    return args[2] if command in ("eval", "evalsha") else args[0]


class ClusterRevocation:
    """A revocation pipeline on a cluster: each command goes to the master that owns its key, and each master's share
    runs on one connection as a WaitingPipeline (MULTI where asked, then WAIT there), since a cluster's WAIT counts
    only the writes of its own connection to that node. Results come back in the order queued; `acked` is the
    fewest replicas that confirmed on any master. A failure refreshes the slot map (a failover moved them) and
    raises: the request is a 503 and the next one finds the new master."""

    waits = True

    def __init__(self, cluster, replication, transaction):
        self.cluster, self.replication, self.transaction = cluster, replication, transaction
        self.queued, self.short = [], []

    def __getattr__(self, command):
        def queue(*args, **kwargs):
            self.queued.append((command, args, kwargs))
            return self
        return queue

    def execute(self):
        by_node = {}
        for position, (command, args, kwargs) in enumerate(self.queued):
            node = self.cluster.get_node_from_key(_first_key(command, args))
            by_node.setdefault(node.name, (node, []))[1].append((position, command, args, kwargs))
        if self.transaction and len(by_node) > 1:
            raise ValueError("a MULTI on a cluster must keep to one slot")
        results = [None] * len(self.queued)
        try:
            for name, (node, commands) in by_node.items():
                primary = self.cluster.get_redis_connection(node)
                pipe = WaitingPipeline(primary.connection_pool, primary.response_callbacks, self.transaction, None)
                pipe.replicas = self.replication.wanted(primary, name)
                pipe.timeout_ms = self.replication.timeout_ms
                for _, command, args, kwargs in commands:
                    getattr(pipe, command)(*args, **kwargs)
                for (position, *_), result in zip(commands, pipe.execute(), strict=True):
                    results[position] = result
                if pipe.acked is not None and pipe.acked < pipe.replicas:
                    self.short.append(f"{pipe.acked} of {pipe.replicas} replicas of {name}")
        except RedisError:
            try:
                self.cluster.nodes_manager.initialize()
            except RedisError:
                pass
            raise
        return results

    def require_acknowledgement(self):
        """Raise NotReplicated (a 503) unless every master written to had enough replicas confirm."""
        if self.short:
            raise NotReplicated(f"{', '.join(self.short)} confirmed within {self.replication.timeout_ms} ms")


def revocation_pipeline(transaction=True):
    """A pipeline for a write that must survive a failover: on a primary with replicas it waits for them (see
    Replication), on a cluster on each master written to (ClusterRevocation); elsewhere an ordinary pipeline. Call
    `require_acknowledgement()` after `execute()`."""
    client, replication = redis(), current_app.extensions["authlab.replication"]
    if client.topology == Topology.CLUSTER:
        return ClusterRevocation(client.made(), replication, transaction)
    wanted = replication.wanted()
    if not wanted:
        pipe = client.pipeline(transaction=transaction)
        pipe.waits, pipe.require_acknowledgement = False, lambda: None
        return pipe
    pipe = WaitingPipeline(client.connection_pool, client.response_callbacks, transaction, None)
    pipe.replicas, pipe.timeout_ms = wanted, replication.timeout_ms
    return pipe
