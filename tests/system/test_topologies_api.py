"""The whole API on a 3-master Redis Cluster and on a Sentinel group: every method's flow, in real API processes."""

import signal
import stat
import time
import warnings
from pathlib import Path

import pytest
import redis
import requests
from redis.crc import key_slot

import issuer
from backend import create_app
from backend.methods import opaque
from kernel.stores import keys, redis_client
from stack import procs, redis_topologies
from stack.environment import api_environment
from tests.conftest import SECRET
from tests.helpers import SESSION_COOKIE, basic_header, bearer
from tests.system.test_redis_access import answer
from tests.test_login_indexing import assert_a_racing_logout_all_misses_nothing

LOGIN = {"username": "alice", "password": "wonderland"}
QUICK_503_S = 2.5  # two tries of REDIS_TIMEOUT (0.5 s) and the cluster client's own retry, with room to spare


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory):
    with redis_topologies.cluster(tmp_path_factory.mktemp("cluster"), masters=3) as topology:
        yield topology


@pytest.fixture(scope="module")
def redis_sentinel(tmp_path_factory):
    """Down-after 5 s: a replica paused by a test is not failed over meanwhile."""
    with redis_topologies.sentinel_group(tmp_path_factory.mktemp("sentinel"), down_after_ms=5000) as group:
        yield group


@pytest.fixture(scope="module", params=["cluster", "sentinel"])
def deployment(request, tmp_path_factory):
    """One API process on the topology, and a client of our own on the same URL to look at what it stored."""
    topology = request.getfixturevalue(f"redis_{request.param}")
    port = procs.free_port()
    env = api_environment(port, topology.url, SECRET, LOGIN_USER_LIMIT="3/minute")  # 4 scrypt checks to a 429, not 11
    with procs.api(port, env, workers=1, log=tmp_path_factory.mktemp("api") / "api.log"):
        store = redis_client.make_client(topology.url, 2)
        yield type("Deployment", (), {"kind": request.param, "topology": topology, "store": store,
                                      "url": f"http://localhost:{port}"})
        store.close()


def call(deployment, method, path, session=None, **kwargs):
    return (session or requests).request(method, deployment.url + path, timeout=5, **kwargs)


def test_health_reports_the_topology(deployment):
    """`/api/health` says which topology REDIS_URL names, and that every node it needs answers."""
    response = call(deployment, "GET", "/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "redis": True, "topology": deployment.kind}


def test_session_flow_stores_the_record_on_the_topology(deployment):
    """Login, me, logout, replay: the session record lives on the cluster / the Sentinel's primary (Flask-Session
    kept our client: its fallback, Redis() on localhost:6379, would have held nothing here)."""
    with requests.Session() as browser:
        login = call(deployment, "POST", "/api/session/login", browser, json=LOGIN)
        assert login.status_code == 200
        sid = browser.cookies[SESSION_COOKIE]
        assert deployment.store.exists(keys.SESSION_PREFIX + sid) == 1
        assert deployment.store.zscore(keys.user_index("alice"), keys.SESSION_PREFIX + sid) is not None
        assert call(deployment, "GET", "/api/session/me", browser).status_code == 200
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        assert call(deployment, "POST", "/api/session/logout", browser, headers=csrf).status_code == 204
        assert deployment.store.exists(keys.SESSION_PREFIX + sid) == 0
        replay = requests.get(deployment.url + "/api/session/me", cookies={SESSION_COOKIE: sid}, timeout=5)
    assert replay.status_code == 401


def test_opaque_token_flow(deployment):
    """Login, me, logout, replay 401: the token's record is written, read and deleted on the topology."""
    token = call(deployment, "POST", "/api/token/login", json=LOGIN).json()["access_token"]
    assert call(deployment, "GET", "/api/token/me", headers=bearer(token)).json()["user"] == "alice"
    assert call(deployment, "POST", "/api/token/logout", headers=bearer(token)).status_code == 204
    assert call(deployment, "GET", "/api/token/me", headers=bearer(token)).status_code == 401


def test_jwt_rotation_reuse_detection_and_logout(deployment):
    """Rotation (one script on the user's slot), reuse of the spent refresh token ending the family, the
    revocation MGET refusing its access token, and logout denying another family's token."""
    first = call(deployment, "POST", "/api/jwt/login", json=LOGIN).json()
    assert call(deployment, "GET", "/api/jwt/me", headers=bearer(first["access_token"])).status_code == 200
    second = call(deployment, "POST", "/api/jwt/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    reuse = call(deployment, "POST", "/api/jwt/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and "already spent" in reuse.json()["message"]
    ended = call(deployment, "GET", "/api/jwt/me", headers=bearer(second.json()["access_token"]))
    assert ended.status_code == 401 and "refresh family was revoked" in ended.json()["message"]
    other = call(deployment, "POST", "/api/jwt/login", json=LOGIN).json()
    assert call(deployment, "POST", "/api/jwt/logout", headers=bearer(other["access_token"])).status_code == 204
    logged_out = call(deployment, "GET", "/api/jwt/me", headers=bearer(other["access_token"]))
    assert logged_out.status_code == 401 and logged_out.json()["message"] == "this token was logged out"


def test_logout_all_ends_every_login_of_the_user(deployment):
    """Records on any node are deleted one by one; the index and the marker change in one MULTI on the user's slot."""
    user = {"username": "bob", "password": "builder"}
    with requests.Session() as browser:
        assert call(deployment, "POST", "/api/session/login", browser, json=user).status_code == 200
        token = call(deployment, "POST", "/api/token/login", json=user).json()["access_token"]
        pair = call(deployment, "POST", "/api/jwt/login", json=user).json()
        ended = call(deployment, "POST", "/api/logout-all", headers=basic_header("bob", "builder"))
        assert ended.status_code == 200 and ended.json()["ended"] == 3
        statuses = [
            call(deployment, "GET", "/api/session/me", browser).status_code,
            call(deployment, "GET", "/api/token/me", headers=bearer(token)).status_code,
            call(deployment, "GET", "/api/jwt/me", headers=bearer(pair["access_token"])).status_code,
            call(deployment, "POST", "/api/jwt/refresh", json={"refresh_token": pair["refresh_token"]}).status_code,
        ]
    assert statuses == [401, 401, 401, 401]
    assert deployment.store.exists(keys.user_index("bob")) == 0 and deployment.store.exists(keys.logout_all("bob"))


def exec_calls(service):
    """How many MULTI/EXEC transactions this server has run."""
    with redis_topologies.client(service) as client:
        return client.info("commandstats").get("cmdstat_exec", {}).get("calls", 0)


def test_jwt_login_and_logout_are_transactions_on_the_users_node(deployment):
    """Starting a family and ending it are MULTI/EXEC (a cluster pipeline is not one unless asked), both on the
    node that owns the user's slot."""
    topology = deployment.topology
    nodes = topology.nodes if deployment.kind == "cluster" else [topology.primary]
    before = [exec_calls(node) for node in nodes]
    pair = call(deployment, "POST", "/api/jwt/login", json=LOGIN).json()
    assert call(deployment, "POST", "/api/jwt/logout", headers=bearer(pair["access_token"])).status_code == 204
    grown = [exec_calls(node) - was for node, was in zip(nodes, before, strict=True)]
    index = keys.user_index("alice")
    owner = deployment.store.get_node_from_key(index).port if deployment.kind == "cluster" else topology.primary.port
    assert grown == [2 if node.port == owner else 0 for node in nodes]


def test_failed_logins_are_counted_on_the_topology(deployment):
    """The rate limiter's script runs on the topology: the name's 4th wrong password (limit 3 here) is a 429."""
    wrong = {"username": "zoë", "password": "not-hers"}
    statuses = [call(deployment, "POST", "/api/token/login", json=wrong).status_code for _ in range(4)]
    assert statuses == [401] * 3 + [429]


def test_inspector_finds_the_users_records_on_every_node(deployment):
    """`/api/inspect` reads the user's index, the viewer key's records and the counters across the topology."""
    token = call(deployment, "POST", "/api/token/login", json=LOGIN).json()["access_token"]
    jwt_login = call(deployment, "POST", "/api/jwt/login", json=LOGIN).json()
    assert call(deployment, "POST", "/api/jwt/logout", headers=bearer(jwt_login["access_token"])).status_code == 204
    viewer = {"X-Viewer-Key": jwt_login["viewer"]}
    records = call(deployment, "GET", "/api/inspect?user=alice", headers=viewer).json()["records"]
    kinds = {record["kind"] for record in records if record["exists"]}
    assert {"opaque token", "JWT denylist entry", "rate-limit counter"} <= kinds, records
    call(deployment, "POST", "/api/token/logout", headers=bearer(token))


def primary_and_replicas(deployment, key):
    """The process that holds `key` and the replicas that copy it (on a cluster: the key's master and its replica)."""
    topology = deployment.topology
    if deployment.kind == "sentinel":
        return topology.primary, topology.replicas
    port = deployment.store.get_node_from_key(key).port
    index = [node.port for node in topology.nodes].index(port)
    return topology.nodes[index], [topology.replicas[index]]


def test_revocations_wait_for_a_replica_of_the_keys_primary(deployment):
    """A logout is confirmed by a replica (WAIT, on a cluster on the master of the token's key) before its 204; with
    those replicas paused, the same logout is a quick 503, since a failover now could bring the token back."""
    tokens = [call(deployment, "POST", "/api/token/login", json=LOGIN).json()["access_token"] for _ in range(2)]
    primary, replicas = primary_and_replicas(deployment, opaque.record_key(tokens[0]))
    with redis_topologies.client(primary) as client:
        waits = lambda: client.info("commandstats").get("cmdstat_wait", {}).get("calls", 0)  # noqa: E731
        before = waits()
        assert call(deployment, "POST", "/api/token/logout", headers=bearer(tokens[0])).status_code == 204
        assert waits() == before + 1
    primary, replicas = primary_and_replicas(deployment, opaque.record_key(tokens[1]))
    for replica in replicas:
        replica.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        unconfirmed = call(deployment, "POST", "/api/token/logout", headers=bearer(tokens[1]))
        took = time.monotonic() - started
    finally:
        for replica in replicas:
            replica.signal(signal.SIGCONT)
    assert unconfirmed.status_code == 503 and unconfirmed.json()["error"] == "store_unavailable"
    assert took < 1.5
    assert call(deployment, "GET", "/api/token/me", headers=bearer(tokens[1])).status_code == 401  # on the primary


def test_keys_used_together_share_a_slot():
    """Every MGET, MULTI and script of one user touches a single cluster slot; sessions and tokens spread out."""
    for user in ("alice", "zoë", "a{b}c"):
        together = [keys.user_index(user), keys.logout_all(user), keys.jwt_deny(user, "j1"),
                    keys.jwt_family(user, "s1"), keys.jwt_ended(user, "s1"), keys.jwt_ended(user, "")]
        assert len({key_slot(k.encode()) for k in together}) == 1, together
    windows = [keys.rate_limit("login-user", "f00d", 10, 60), keys.rate_limit("login-user", "f00d", 100, 3600)]
    assert len({key_slot(k.encode()) for k in windows}) == 1
    spread = {key_slot(f"{keys.SESSION_PREFIX}{n}".encode()) * 3 // 16384 for n in range(30)}
    assert spread == {0, 1, 2}


def test_session_interface_is_handed_the_cluster_client(redis_cluster):
    """Flask-Session would swap a client that is not a plain redis.Redis for Redis() on localhost:6379, with only
    a warning: ours keeps the cluster's client, and no such warning is given."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = create_app({"SECRET_KEY": SECRET, "REDIS_URL": redis_cluster.url})
    with app.app_context():
        assert app.session_interface.client is redis_client.pooled(app)  # a cluster's client is shared by threads
    assert redis_client.redis(app).topology == "cluster"


@pytest.mark.parametrize("method", ["session", "token"])
def test_a_logout_all_racing_a_login_misses_nothing_on_the_cluster(redis_cluster, monkeypatch, method):
    """On a cluster a login's record and its index entry live in two slots (no MULTI): the record goes first, so a
    logout-all between the two still leaves nothing it cannot end."""
    app = create_app({"SECRET_KEY": SECRET, "REDIS_URL": redis_cluster.url})
    try:
        assert_a_racing_logout_all_misses_nothing(app, monkeypatch, method)
    finally:
        redis_client.pooled(app).close()


def test_issuer_counts_on_the_cluster(redis_cluster):
    """The issuer builds its client with the same factory: its rate-limit counters work on a cluster."""
    app = issuer.create_app({"REDIS_URL": redis_cluster.url, "ISSUER_ORIGIN": "http://127.0.0.1:1"})
    answer = app.test_client().post("/token", json=LOGIN)
    assert answer.status_code == 200 and answer.get_json()["access_token"]


def assert_quick_503(client, method, path, **kwargs):
    started = time.monotonic()
    response = client.open(path, method=method, **kwargs)
    assert time.monotonic() - started < QUICK_503_S
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"] == "store_unavailable" and response.headers["Retry-After"]


def test_an_unreachable_cluster_still_starts_and_answers_503():
    """No node answers: the API builds (the cluster client is made on first use) and each request is a quick 503."""
    dead = ",".join(f"127.0.0.1:{procs.free_port()}" for _ in range(3))
    client = create_app({"SECRET_KEY": SECRET, "REDIS_URL": f"redis+cluster://{dead}"}).test_client()
    assert_quick_503(client, "GET", "/api/health")
    assert client.get("/api/health").get_json()["topology"] == "cluster"
    assert_quick_503(client, "POST", "/api/session/login", json=LOGIN)


@pytest.mark.parametrize(("url", "kind"), [
    ("redis://127.0.0.1:6380/0", "single"),
    ("rediss://127.0.0.1:6380/0", "single"),
    ("redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/authlab", "sentinel"),
    ("redis+cluster://127.0.0.1:7000,127.0.0.1:7001", "cluster"),
])
def test_every_topology_url_is_accepted(url, kind):
    """REDIS_URL's scheme picks the topology; making the client connects to nothing yet."""
    assert redis_client.make_client(url, 0.5).topology == kind


@pytest.mark.parametrize("url", ["redis+sentinel://127.0.0.1:26379", "redis+cluster://127.0.0.1"])
def test_a_topology_url_missing_its_parts_is_refused_at_start(url):
    """A Sentinel URL without the master's name, a node without a port: a clear ValueError, not a later hang."""
    with pytest.raises(ValueError, match="REDIS_URL"):
        redis_client.make_client(url, 0.5)


def processes(deployment):
    """Every Redis process of the topology with the password it wants: data nodes, then Sentinels."""
    topology = deployment.topology
    if deployment.kind == "cluster":
        return [*topology.nodes, *topology.replicas]
    return [topology.primary, *topology.replicas, *topology.sentinels]


def test_every_node_and_sentinel_requires_its_password(deployment):
    """No password: NOAUTH from every node, replica and Sentinel, so another local user can neither read sessions
    nor `SENTINEL SET` / `SENTINEL FAILOVER` (before: all of it was accepted)."""
    for service in processes(deployment):
        assert answer((service.host, service.port), "PING").startswith("-NOAUTH"), service.name
    if deployment.kind == "sentinel":
        sentinel = deployment.topology.sentinels[0]
        for command in (("SENTINEL", "SET", "authlab", "down-after-milliseconds", "1"),
                        ("SENTINEL", "FAILOVER", "authlab")):
            assert answer((sentinel.host, sentinel.port), *command).startswith("-NOAUTH")
        assert redis_topologies.master_address(deployment.topology) == ("127.0.0.1", deployment.topology.primary.port)


def test_nodes_refuse_config_and_keep_their_files_owner_only(deployment):
    """With the password, CONFIG (under its own name), DEBUG, SAVE and MODULE are unknown on every data node; every
    folder and file the topology wrote is its owner's alone (Sentinel configs hold passwords)."""
    for service in processes(deployment):
        if service.name == "sentinel":
            continue
        with redis_topologies.client(service) as client:
            for command in (("CONFIG", "GET", "dir"), ("DEBUG", "SLEEP", "0"), ("SAVE",), ("MODULE", "LIST")):
                with pytest.raises(redis.exceptions.ResponseError, match="unknown command"):
                    client.execute_command(*command)
    root = Path(processes(deployment)[0].argv[1]).parent.parent
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for path in root.rglob("*"):
        if path.suffix != ".log":  # written by us, not Redis, inside these 0700 folders
            assert stat.S_IMODE(path.stat().st_mode) in (0o600, 0o700), path
