"""Beyond one Redis, measured in one run: throughput on a Sentinel group and a Cluster against one Redis, the seconds
of 503 while Sentinel fails over under load, and the acknowledged writes a failover loses with and without WAIT."""

import contextlib
import signal
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import redis
import requests
from redis.sentinel import Sentinel

from stack import procs, redis_server, redis_topologies

from . import wire
from .methods import PASSWORD, USER
from .servers import HOST, api_env

TOPOLOGIES = ("single", "sentinel", "cluster")
NO_ISSUER = "http://127.0.0.1:1"  # the APIs here need no issuer


@contextlib.contextmanager
def topology(name, workdir):
    """The Redis of `name` on free ports; yields its REDIS_URL."""
    if name == "single":
        with redis_server.server(procs.free_port(), workdir / "single", log=workdir / "single.log") as service:
            yield service.url
    elif name == "sentinel":
        with redis_topologies.sentinel_group(workdir) as group:
            yield group.url
    else:
        with redis_topologies.cluster(workdir) as nodes:
            yield nodes.url


@contextlib.contextmanager
def api_on(redis_url, workdir, name, workers, server, **extra):
    """One API instance on `redis_url`; yields (host, port)."""
    port = procs.free_port()
    env = api_env(redis_url, port, NO_ISSUER, extra)
    with procs.api(port, env, workers, HOST, workdir / f"api-{name}.log", server):
        yield HOST, port


def throughput(methods, tool, settings, workdir, progress):
    """Requests per second of each Redis-backed `me` on each topology, the loads interleaved round by round."""
    with contextlib.ExitStack() as stack:
        apis = {}
        for name in TOPOLOGIES:
            url = stack.enter_context(topology(name, workdir / name))
            apis[name] = stack.enter_context(api_on(url, workdir, name, settings.workers, settings.server))
        credentials = {(name, m.key): m.obtain(f"http://{h}:{p}", None) for name, (h, p) in apis.items()
                       for m in methods}
        progress(f"topologies: one API instance x {settings.workers} workers on each of {', '.join(TOPOLOGIES)}")
        runs = {key: [] for key in credentials}
        for _ in range(settings.rounds):
            for m in methods:
                for name, (host, port) in apis.items():
                    load = tool.run(f"http://{host}:{port}{m.path}", credentials[name, m.key].headers,
                                    settings.seconds, settings.connections)
                    if load.errors:
                        raise RuntimeError(f"topologies: {m.key} on {name} had {load.errors} failed requests")
                    runs[name, m.key].append(load)
    table = {}
    for m in methods:
        rps = {name: statistics.median(r.rps for r in runs[name, m.key]) for name in TOPOLOGIES}
        p99 = {name: statistics.median(r.p99_ms for r in runs[name, m.key]) for name in TOPOLOGIES}
        table[m.key] = {
            "rps": {k: round(v) for k, v in rps.items()}, "p99_ms": {k: round(v, 1) for k, v in p99.items()},
            "vs_single": {k: round(v / rps["single"], 2) for k, v in rps.items()},
        }
        progress(f"topologies: {m.key} " + ", ".join(f"{k} {v:,.0f}/s" for k, v in rps.items()))
    return {"workers": settings.workers, "rounds": settings.rounds, "seconds": settings.seconds, "methods": table}


def _login(base, kind):
    body = {"username": USER, "password": PASSWORD}
    response = requests.post(f"{base}/api/{kind}/login", json=body, timeout=10)
    response.raise_for_status()
    return kind, response.json()["access_token"]


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def failover(settings, workdir, progress, readers=3, revocations=30, down_after_ms=1000, budget_s=20):
    """SIGKILL of the Sentinel group's primary under reads and logouts, against one API instance.

    Reports the answers by status, the first to last 503 and the kill to the first 200 after it, the slowest
    answer, and how many logouts acknowledged (204) before or during the failover were undone (token still 200).
    """
    with redis_topologies.sentinel_group(workdir / "failover", down_after_ms=down_after_ms) as group, \
            api_on(group.url, workdir, "failover", settings.workers, settings.server) as (host, port):
        base = f"http://{host}:{port}"
        with ThreadPoolExecutor(4) as pool:
            kinds = ["token", "jwt"] * (revocations // 2) + ["token"]
            tokens = list(pool.map(lambda kind: _login(base, kind), kinds))
        reader_kind, reader_token = tokens.pop()
        read = wire.raw_request(host, port, f"/api/{reader_kind}/me", _bearer(reader_token))
        answers, acknowledged, stop = [], [], threading.Event()

        def timed(data):
            started = time.monotonic()
            try:
                status, _ = wire.send(host, port, data, timeout=5)
            except OSError:
                status = "error"
            answers.append((started, status, time.monotonic() - started))
            return status

        def reader():
            while not stop.is_set():
                timed(read)

        def revoker():
            for kind, token in tokens:  # one at a time, each retried until acknowledged
                logout = (f"POST /api/{kind}/logout HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}"
                          "\r\nContent-Length: 0\r\n\r\n").encode()
                while not stop.is_set() and timed(logout) != 204:
                    time.sleep(0.05)
                if stop.is_set():
                    return
                acknowledged.append((kind, token))
                time.sleep(0.1)

        threads = [threading.Thread(target=reader) for _ in range(readers)] + [threading.Thread(target=revoker)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        old = ("127.0.0.1", group.primary.port)
        killed = time.monotonic()
        group.primary.signal(signal.SIGKILL)
        progress("failover: primary killed under load")
        while time.monotonic() - killed < budget_s:
            time.sleep(0.2)
            recent = [a for a in answers[-20:] if a[0] > killed]
            if (redis_topologies.master_address(group) != old and len(acknowledged) == len(tokens)
                    and recent and all(a[1] == 200 for a in recent)):
                break
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        undone = sum(
            wire.send(host, port, wire.raw_request(host, port, f"/api/{kind}/me", _bearer(token)))[0] == 200
            for kind, token in acknowledged
        )
    statuses = Counter(str(a[1]) for a in answers)
    unavailable = [a[0] for a in answers if a[1] == 503]
    recovered = min((a[0] for a in answers if a[1] == 200 and unavailable and a[0] > unavailable[-1]), default=None)
    result = {
        "down_after_ms": down_after_ms, "replicas": len(group.replicas), "sentinels": len(group.sentinels),
        "answers": dict(statuses),
        "first_to_last_503_s": round(max(unavailable) - min(unavailable), 2) if unavailable else 0.0,
        "kill_to_recovered_s": round(recovered - killed, 2) if recovered else None,
        "slowest_answer_s": round(max(a[2] for a in answers), 2),
        "revocations_acknowledged": len(acknowledged), "revocations_undone": undone,
    }
    progress(f"failover: {result['first_to_last_503_s']} s of 503 ({statuses.get('503', 0)} answers), recovered "
             f"{result['kill_to_recovered_s']} s after the kill, {undone}/{len(acknowledged)} revocations undone")
    return result


def write_loss(workdir, progress, stall_s=2.0, batch=50, value=b"v" * 200):
    """Acknowledged writes a failover loses, without and with WAIT 1 (a replica must confirm each batch).

    Under a pipelined write load, both replicas stall (SIGSTOP) for `stall_s` while the primary keeps
    acknowledging, then the primary is killed and the replicas resume; Sentinel promotes one of them.
    """
    return {mode: _write_loss_trial(workdir / f"loss-{mode}", mode, stall_s, batch, value, progress)
            for mode in ("plain", "wait")}


def _write_loss_trial(workdir, mode, stall_s, batch, value, progress):
    with redis_topologies.sentinel_group(workdir) as group:
        sentinel = Sentinel([(s.host, s.port) for s in group.sentinels], socket_timeout=0.5,
                            sentinel_kwargs={"password": group.sentinel_password})
        primary = sentinel.master_for(group.master_name, socket_timeout=0.5, socket_connect_timeout=0.5,
                                      password=group.password)
        acked, refused, stop = [], [0], threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                keys = [f"w:{i + j}" for j in range(batch)]
                i += batch
                try:
                    pipe = primary.pipeline(transaction=False)
                    for key in keys:
                        pipe.set(key, value)
                    if mode == "wait":
                        pipe.execute_command("WAIT", 1, 200)
                    out = pipe.execute()
                except redis.exceptions.RedisError:
                    refused[0] += batch
                    time.sleep(0.02)
                    continue
                if mode == "wait" and out[-1] < 1:
                    refused[0] += batch
                else:
                    acked.extend(keys)

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(0.5)
        for replica in group.replicas:
            replica.signal(signal.SIGSTOP)
        stalled_at = len(acked)
        time.sleep(stall_s)
        during_stall = len(acked) - stalled_at
        old = ("127.0.0.1", group.primary.port)
        group.primary.signal(signal.SIGKILL)
        for replica in group.replicas:
            replica.signal(signal.SIGCONT)
        killed = time.monotonic()
        while redis_topologies.master_address(group) == old and time.monotonic() - killed < 20:
            time.sleep(0.05)
        promoted_s = time.monotonic() - killed
        time.sleep(1)
        stop.set()
        thread.join()
        host, port = redis_topologies.master_address(group)
        with contextlib.closing(redis.Redis(host=host, port=port, password=group.password)) as client:
            lost = sum(len(chunk) - client.exists(*chunk) for chunk in
                       (acked[i:i + 1000] for i in range(0, len(acked), 1000)))
    result = {"acknowledged": len(acked), "acknowledged_during_stall": during_stall, "lost": lost,
              "refused": refused[0], "stall_s": stall_s, "promoted_after_s": round(promoted_s, 2)}
    progress(f"write loss ({mode}): {lost:,} of {len(acked):,} acknowledged writes lost, {refused[0]:,} refused")
    return result


def run(methods, tool, settings, workdir, progress):
    """The whole topologies section: throughput, the failover under load, the write loss."""
    return {
        "throughput": throughput(methods, tool, settings, workdir / "throughput", progress),
        "failover": failover(settings, workdir, progress),
        "write_loss": write_loss(workdir, progress),
    }
