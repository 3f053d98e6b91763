"""`make run-ha`: Redis that fails over and two API instances behind HAProxy, reached at the API's origin."""

import re
import socket
import subprocess
import sys

import psutil
import pytest
import requests
from redis.crc import key_slot

from commands import run_ha
from kernel.stores import keys
from stack import procs
from stack.redis_topologies import slot_ranges
from tests.helpers import launch_env, launched
from tests.system.test_high_availability import failover_drill


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("topology", ["sentinel", "cluster"])
def test_run_ha_answers_through_the_balancer_and_stops_cleanly(tmp_path, topology):
    """The API's origin is HAProxy: health and a session hold across both instances; the frontends point there;
    SIGTERM stops every child (Redis, Sentinels or cluster nodes, instances, HAProxy) and exits 0. With `--cluster`
    the banner lists each master and its replica; no password is printed. Then the failover drill, through the
    balancer: the Redis process that holds alice's keys (the Sentinel group's primary, or her slot's master) is
    SIGKILLed under logouts and reads (failover_drill)."""
    flags = ["--cluster"] if topology == "cluster" else []
    with launched(tmp_path, *flags, until="  Redis ", module="commands.run_ha") as launch:
        ports, banner = launch
        banner = launch.wait_for("replica 127.0.0.1:")
        assert launch.process.poll() is None, (banner, launch.err.read_text()[-3000:])
        children = psutil.Process(launch.process.pid).children(recursive=True)
        api = f"http://localhost:{ports['api']}"
        assert f"  API         {api}/api/health   (HAProxy" in banner, launch.err.read_text()
        assert f"  Redis       redis+{topology}://:***@" in banner
        assert banner.count("replica 127.0.0.1:") == (3 if topology == "cluster" else 2)
        browser = requests.Session()
        # A connection per request: a POST sent on a kept-alive connection just as HAProxy closes it idle is lost by
        # any client that does not resend (browsers do); that race is the client's, not what this test is about.
        browser.headers["Connection"] = "close"
        health = [browser.get(f"{api}/api/health", timeout=5) for _ in range(2)]
        assert [h.json() for h in health] == [{"status": "ok", "redis": True, "topology": topology}] * 2
        assert {h.headers["X-Served-By"] for h in health} == {"api1", "api2"}
        login = browser.post(f"{api}/api/session/login", json={"username": "alice", "password": "wonderland"},
                             timeout=5)
        assert login.status_code == 200
        assert [browser.get(f"{api}/api/session/me", timeout=5).status_code for _ in range(2)] == [200, 200]
        config_b = requests.get(f"http://127.0.0.1:{ports['b']}/config.js", timeout=5).text
        assert f'"api": "{api}"' in config_b
        browser.close()
        figures = killed_under_load(banner, api, children, topology)
        print(f"\nfailover drill (make run-ha, {topology}): {figures}")
    assert launch.process.returncode == 0
    assert "Traceback" not in launch.err.read_text()
    assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children)
    assert not any(listening(port) for port in ports.values())


def owner_of_alices_slot(banner):
    """The port of the master that holds alice's keys: the banner lists the masters in slot order."""
    masters = [int(port) for port in re.findall(r"master  127\.0\.0\.1:(\d+)", banner)]
    slot = key_slot(keys.user_index("alice").encode())
    return next(port for port, (first, last) in zip(masters, slot_ranges(len(masters)), strict=True)
                if first <= slot <= last)


def listener(children, port):
    """The child process listening on `port`."""
    return next(child for child in children
                if any(c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in child.net_connections("tcp")))


def killed_under_load(banner, api, children, topology):
    """SIGKILL of the primary (Sentinel) or of the master holding alice's slot (cluster) under logouts and reads
    through HAProxy: fast 503 JSON only, a replica takes over and both API instances follow without a restart, no
    acknowledged logout undone. The drill's figures."""
    if topology == "cluster":
        doomed = listener(children, owner_of_alices_slot(banner))
    else:
        doomed = listener(children, int(re.search(r"primary 127\.0\.0\.1:(\d+)", banner)[1]))
    instances = [child.pid for child in children if "backend:create_app" in child.cmdline()]
    assert len(instances) >= 2
    served = set()

    def both_instances_answer():
        served.update(requests.get(f"{api}/api/health", timeout=5).headers["X-Served-By"] for _ in range(2))
        return served == {"api1", "api2"}

    figures = failover_drill(api, doomed.kill, both_instances_answer)
    assert [pid for pid in instances if psutil.pid_exists(pid)] == instances  # not restarted
    # make run-ha starts the dead process again only FAILOVER_S after its death: a 200 before then came from the
    # replica that took its place
    assert figures["first_200_after_s"] < run_ha.FAILOVER_S, figures
    return figures



@pytest.mark.parametrize("module", ["commands.run_ha", "commands.run"])
def test_run_ha_without_haproxy_says_how_to_install_it(tmp_path, module):
    """No haproxy (make run-ha's balancer, and the front of every launcher): the install command, exit 2, and
    nothing started."""
    ports = {name: procs.free_port() for name in ("api", "a", "b", "issuer", "redis")}
    env = {**launch_env(tmp_path, ports), "HAPROXY": str(tmp_path / "no-haproxy")}
    run = subprocess.run([sys.executable, "-m", module], cwd=procs.ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "apt-get install haproxy" in run.stderr
    assert "Traceback" not in run.stderr and "is running" not in run.stdout
