"""`make run`: every part (the issuer too) answers at its origin, and a SIGTERM to the group leaves nothing running."""

import socket

import requests

from tests.helpers import launched


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_starts_everything_prints_the_urls_and_stops_cleanly(tmp_path):
    with launched(tmp_path, until="  Redis ") as (ports, banner):
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
    assert not any(listening(port) for port in ports.values())
