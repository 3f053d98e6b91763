"""`make run`: every part (the issuer too) answers at its origin, and a SIGTERM to the group leaves nothing running."""

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from stack import procs


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_starts_everything_prints_the_urls_and_stops_cleanly(tmp_path):
    ports = {name: procs.free_port() for name in ("api", "a", "b", "issuer", "redis")}
    env = {
        **os.environ,
        "API_ORIGIN": f"http://localhost:{ports['api']}",
        "FRONTEND_A_ORIGIN": f"http://localhost:{ports['a']}",
        "FRONTEND_B_ORIGIN": f"http://127.0.0.1:{ports['b']}",
        "ISSUER_ORIGIN": f"http://127.0.0.1:{ports['issuer']}",
        "AUTHLAB_REDIS_PORT": str(ports["redis"]),
        "AUTHLAB_VAR": str(tmp_path / "var"),
    }
    env.pop("REDIS_URL", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "stack.run"], cwd=procs.ROOT, env=env, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        banner = ""
        deadline = time.monotonic() + 30
        while "  Redis " not in banner and time.monotonic() < deadline:
            banner += run.stdout.readline()
        assert f"http://localhost:{ports['api']}" in banner
        assert f"http://localhost:{ports['a']}" in banner and f"http://127.0.0.1:{ports['b']}" in banner
        assert f"http://127.0.0.1:{ports['issuer']}/.well-known/jwks.json" in banner
        assert requests.get(f"http://localhost:{ports['api']}/api/health", timeout=5).json() == {"status": "ok", "redis": True}
        page_a = requests.get(f"http://localhost:{ports['a']}/", timeout=5).text
        page_b = requests.get(f"http://127.0.0.1:{ports['b']}/", timeout=5).text
        assert "frontend A" in page_a and "frontend B" in page_b
        assert requests.get(f"http://127.0.0.1:{ports['issuer']}/.well-known/jwks.json", timeout=5).json()["keys"]
        config_b = requests.get(f"http://127.0.0.1:{ports['b']}/config.js", timeout=5).text
        assert f'"api": "http://localhost:{ports["api"]}"' in config_b
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=15)
        run.stdout.close()
    assert not any(listening(port) for port in ports.values())
