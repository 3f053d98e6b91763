"""`make run`: every part answers at its origin, with secrets of its own, through a Redis crash, and stops cleanly."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import jwt
import psutil
import pytest
import requests

from backend.config import SETTINGS
from stack import procs
from tests.helpers import bearer, forge, launch_env, launched

LAST_LINE = "/records?run=<id>   (the attacker's server, demo-only)"  # make run's banner ends with the URLs


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("server", ["granian", "gunicorn-gthread"])
def test_run_starts_everything_prints_the_urls_and_stops_cleanly(tmp_path, server):
    """A stop with a browser's connections open (one kept alive, one preconnected that sent nothing yet) exits 0
    and kills no worker (no "SIGKILL! Perhaps out of memory?" in the log)."""
    browser = requests.Session()
    with launched(tmp_path, "--server", server, until=LAST_LINE) as launch, socket.socket() as preconnected:
        ports, banner = launch
        preconnected.connect(("127.0.0.1", ports["api"]))
        assert f"http://localhost:{ports['api']}" in banner and f"served by {server}" in banner
        assert f"http://localhost:{ports['a']}" in banner and f"http://127.0.0.1:{ports['b']}" in banner
        assert f"http://127.0.0.1:{ports['issuer']}/.well-known/jwks.json" in banner
        assert f"http://localhost:{ports['bff_a']}/bff/login" in banner
        assert f"http://127.0.0.1:{ports['bff_b']}/bff/login" in banner
        assert f"http://127.0.0.1:{ports['collector']}/records?run=<id>" in banner
        for bff in (f"http://localhost:{ports['bff_a']}", f"http://127.0.0.1:{ports['bff_b']}"):
            no_session = requests.get(f"{bff}/bff/session", timeout=5)
            assert no_session.status_code == 401 and no_session.json()["error"] == "unauthorized"
        login = requests.get(f"http://localhost:{ports['bff_a']}/bff/login", allow_redirects=False, timeout=5)
        assert login.status_code == 302, login.text  # the BFF found the AS through its metadata
        assert login.headers["Location"].startswith(f"http://127.0.0.1:{ports['issuer']}/authorize?")
        nothing_yet = requests.get(f"http://127.0.0.1:{ports['collector']}/records?run=r1", timeout=5).json()
        assert nothing_yet == {"run": "r1", "expires_in": None, "items": []}
        started = [line for line in banner.splitlines() if " started at " in line]
        assert [line.split(" started at ")[0].removeprefix("authlab: ") for line in started] == [
            "redis", "api", "haproxy (api)", "frontend_a", "frontend_b", "issuer", "haproxy (issuer)", "bff_a", "bff_b",
            "collector"]
        assert all(len(line) < 120 for line in started)
        assert banner.rstrip().splitlines()[-1].endswith(LAST_LINE)  # the URLs last
        health = browser.get(f"http://localhost:{ports['api']}/api/health", timeout=5)
        assert health.json() == {"status": "ok", "redis": True, "topology": "single"}
        page_a = requests.get(f"http://localhost:{ports['a']}/", timeout=5).text
        page_b = requests.get(f"http://127.0.0.1:{ports['b']}/", timeout=5).text
        assert "frontend A" in page_a and "frontend B" in page_b
        assert requests.get(f"http://127.0.0.1:{ports['issuer']}/.well-known/jwks.json", timeout=5).json()["keys"]
        config_b = requests.get(f"http://127.0.0.1:{ports['b']}/config.js", timeout=5).text
        assert f'"api": "http://localhost:{ports["api"]}"' in config_b
        requests.post(f"http://localhost:{ports['api']}/api/session/login",
                      json={"username": "alice", "password": "wrong"}, timeout=5)
    browser.close()
    assert launch.process.returncode == 0
    log = launch.err.read_text()
    assert "SIGKILL" not in log and "Traceback" not in log, log
    assert not any(listening(port) for port in ports.values())
    terminal = launch.out.read_text() + log
    logs = tmp_path / "var" / "log"
    assert terminal.count("dev defaults") <= 1 and "dev defaults in use for:" not in terminal
    assert "GET /" not in terminal and "outcome=" not in terminal  # access and audit lines are in var/log/
    assert "GET / HTTP/1.1" in (logs / "frontend_a.log").read_text()
    assert "login method=session outcome=denied" in (logs / "api.log").read_text()


def test_run_with_a_busy_port_names_it_and_exits_non_zero(tmp_path):
    """A port held by someone else is found before anything starts: no "running" banner, no traceback, exit 2."""
    ports = {name: procs.free_port() for name in ("api", "a", "b", "issuer", "redis", "bff_a", "bff_b", "collector")}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["issuer"]))
        squatter.listen()
        run = subprocess.run(
            [sys.executable, "-m", "stack.run"], cwd=procs.ROOT, env=launch_env(tmp_path, ports),
            capture_output=True, text=True, timeout=60,
        )
    assert run.returncode == 2
    assert f"port {ports['issuer']} (issuer) is already in use" in run.stderr
    assert "authlab is running" not in run.stdout and "Traceback" not in run.stderr
    assert not any(listening(port) for name, port in ports.items() if name != "issuer")


def test_run_signs_with_secrets_of_its_own_kept_across_restarts(tmp_path):
    """The public default key forges nothing against `make run`; its own key, kept 0600 in var/, outlives a restart."""
    public_jwt_key = SETTINGS["JWT_SECRET"][0]
    with launched(tmp_path, until=LAST_LINE) as launch:
        api = f"http://localhost:{launch.ports['api']}"
        login = requests.post(f"{api}/api/jwt/login", json={"username": "alice", "password": "wonderland"}, timeout=5)
        token = login.json()["access_token"]
        kept_file = tmp_path / "var" / "secrets.json"
        kept = json.loads(kept_file.read_text())
        header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
        forged = forge(header, claims, key=public_jwt_key.encode())
        assert requests.get(f"{api}/api/jwt/me", headers=bearer(forged), timeout=5).status_code == 401
        resigned = forge(header, claims, key=kept["JWT_SECRET"].encode())  # the same claims under the kept key pass
        assert requests.get(f"{api}/api/jwt/me", headers=bearer(resigned), timeout=5).status_code == 200
        redis_folder = tmp_path / "var" / "redis"
        assert (redis_folder / "redis.sock").is_socket()  # Redis's only listening place
    assert stat.S_IMODE(kept_file.stat().st_mode) == 0o600
    assert {kept["SECRET_KEY"], kept["JWT_SECRET"]}.isdisjoint({SETTINGS["SECRET_KEY"][0], public_jwt_key})
    assert len(kept["REDIS_PASSWORD"]) >= 32 and kept["REDIS_PASSWORD"] not in launch.banner  # Redis's, kept alike
    assert "  Redis       unix://:***@" in launch.banner and stat.S_IMODE(redis_folder.stat().st_mode) == 0o700
    with launched(tmp_path, until=LAST_LINE, ports=launch.ports):
        assert json.loads(kept_file.read_text()) == kept
        assert requests.get(f"{api}/api/jwt/me", headers=bearer(token), timeout=5).status_code == 200


def test_run_restarts_redis_after_a_crash_and_the_rest_keeps_answering(tmp_path):
    """kill -9 of Redis: `/api/public` never stops, the session answers 503 + Retry-After or 200, then 200 again."""
    with launched(tmp_path, until=LAST_LINE) as launch:
        api = f"http://localhost:{launch.ports['api']}"
        browser = requests.Session()
        assert browser.post(f"{api}/api/session/login", json={"username": "alice", "password": "wonderland"},
                            timeout=5).status_code == 200
        # Redis writes its AOF before it answers, so the record is in the file (if not yet fsynced) at the kill.
        redis = next(p for p in psutil.Process(launch.process.pid).children() if "redis" in p.name())
        os.kill(redis.pid, signal.SIGKILL)
        public, session = [], []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (len(session) < 5 or session[-1] != 200):
            public.append(requests.get(f"{api}/api/public", timeout=1).status_code)
            me = browser.get(f"{api}/api/session/me", timeout=2)
            session.append(me.status_code)
            assert me.status_code == 200 or (me.status_code == 503 and me.headers["Retry-After"]), me.text
            time.sleep(0.05)
        assert set(public) == {200}
        assert session[-1] == 200 and browser.get(f"{api}/api/session/me", timeout=2).json()["user"] == "alice"
        assert launch.process.poll() is None and "restarting it on its AOF data" in launch.err.read_text()
        assert redis.pid not in [p.pid for p in psutil.Process(launch.process.pid).children()]
