"""The Redis topologies the HA stack and the tests start: each is usable within seconds and leaves no process."""

import socket
import time

import psutil
import pytest
import redis

from stack import redis_topologies

START_BUDGET_S = 5  # about 2.5 s here on 2 cores: a cluster node waits 2 s before it calls itself writable


@pytest.fixture
def left_behind():
    """The redis-server processes a test started and did not stop (the session's shared Redis aside)."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    return lambda: [p for p in psutil.Process().children(recursive=True) if "redis" in p.name() and p.pid not in before]


def test_cluster_covers_every_slot_and_stores_through_any_node(tmp_path, left_behind):
    """Three masters own a third of the slots each, each with a replica that holds its writes, and a cluster client
    (with the cluster's password) reaches keys on all of them."""
    started = time.monotonic()
    with redis_topologies.cluster(tmp_path, masters=3, replicas=1) as topology:
        assert time.monotonic() - started < START_BUDGET_S
        hosts = topology.url.removeprefix(f"redis+cluster://:{topology.password}@").split(",")
        assert hosts == [f"127.0.0.1:{node.port}" for node in topology.nodes] and len(hosts) == 3
        client = redis.RedisCluster(host="127.0.0.1", port=topology.nodes[0].port, password=topology.password)
        try:
            for key in ("a", "b", "c", "{alice}:x"):  # a, b, c fall on three different masters
                client.set(key, key)
            assert {client.keyslot(k) * 3 // 16384 for k in ("a", "b", "c")} == {0, 1, 2}
            assert client.get("{alice}:x") == b"{alice}:x"
            assert int(client.cluster_info()["cluster_slots_assigned"]) == 16384
            for master, replica in zip(topology.nodes, topology.replicas, strict=True):
                with redis_topologies.client(master) as primary:
                    assert primary.info("replication")["connected_slaves"] == 1
                    assert primary.wait(1, 2000) == 1
                with redis_topologies.client(replica) as copy:
                    assert copy.info("replication")["master_port"] == master.port
        finally:
            client.close()
    assert left_behind() == []


def test_sentinel_group_knows_its_primary_and_replicas_hold_its_writes(tmp_path, left_behind):
    """The Sentinels name the primary; a write on it reaches both replicas; the URL lists the Sentinels."""
    started = time.monotonic()
    with redis_topologies.sentinel_group(tmp_path, replicas=2, sentinels=3) as group:
        assert time.monotonic() - started < START_BUDGET_S
        ports = ",".join(f"127.0.0.1:{s.port}" for s in group.sentinels)
        assert group.url == (f"redis+sentinel://:{group.password}@{ports}/authlab"
                             f"?sentinel_password={group.sentinel_password}")
        assert redis_topologies.master_address(group) == ("127.0.0.1", group.primary.port)
        primary = redis_topologies.client(group.primary)
        primary.set("written", "on the primary")
        assert primary.wait(2, 2000) == 2
        for replica in group.replicas:
            assert redis_topologies.client(replica).get("written") == b"on the primary"
    assert left_behind() == []


def test_a_topology_that_fails_to_start_stops_what_it_started(tmp_path, left_behind):
    """A startup that cannot finish (no time to converge) raises and leaves no redis-server behind."""
    with pytest.raises(RuntimeError):
        with redis_topologies.cluster(tmp_path, masters=3, replicas=0, timeout=0.5):
            pass
    assert left_behind() == []


def test_a_port_taken_before_its_sentinel_binds_it_starts_the_group_again_on_new_ports(tmp_path, left_behind,
                                                                                       monkeypatch):
    """Another process (another test worker's) may take a chosen port first: the group starts once more, elsewhere."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        chosen = iter([taken])
        real_free_port = redis_topologies.free_port
        monkeypatch.setattr(redis_topologies, "free_port", lambda: next(chosen, None) or real_free_port())
        with redis_topologies.sentinel_group(tmp_path, replicas=1, sentinels=3) as group:
            assert taken not in [group.primary.port, *(s.port for s in group.sentinels)]
            assert redis_topologies.master_address(group) == ("127.0.0.1", group.primary.port)
    assert left_behind() == []
