"""The processes a run measures: a real redis-server and the API (served by `server`), on free loopback ports."""

import contextlib
import os
import shutil
from pathlib import Path

from stack import procs, redis_server
from stack.environment import api_environment
from stack.procs import DEFAULT_SERVER

HOST = "127.0.0.1"
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"


def default_workers(server=DEFAULT_SERVER):
    """Sync workers: gunicorn's usual two per core plus one; servers with threads or an event loop: one per core."""
    cores = os.cpu_count() or 1
    return 2 * cores + 1 if server == "gunicorn-sync" else cores


def api_env(redis_url, port, issuer_url, extra=None):
    """The environment every API instance of a run gets: one secret, one Redis, one issuer.

    Access tokens live an hour here (default 5 minutes) so that one login outlasts the whole run.
    """
    return api_environment(  # every bench login comes from 127.0.0.1: the default limits would answer 429
        port, redis_url, SECRET, lenient_limits=True,
        JWT_SECRET=SECRET + "-jwt", ISSUER_ORIGIN=issuer_url, JWT_ACCESS_TTL="3600", **(extra or {}),
    )


class Stack(contextlib.ExitStack):
    """Redis plus one API instance per configuration; leaving the `with` stops all of them, error or not."""

    def __init__(self, workdir, workers, server=DEFAULT_SERVER, configs=None, issuer=True):
        super().__init__()
        self.with_issuer = issuer
        self.workdir = Path(workdir)
        self.workers, self.server = workers, server
        self.configs = configs or {"main": {}}
        self.redis = None
        self.apis = {}
        self.envs = {}
        self.issuer_url = None

    def __enter__(self):
        super().__enter__()
        shutil.rmtree(self.workdir, ignore_errors=True)  # a run starts from an empty Redis and fresh logs
        self.workdir.mkdir(parents=True)
        try:
            redis = redis_server.server(procs.free_port(), self.workdir / "redis", log=self.workdir / "redis.log")
            self.redis = self.start(redis)
            issuer_port = procs.free_port()
            origin = f"http://{HOST}:{issuer_port}"  # the APIs trust this issuer whether or not it runs
            if self.with_issuer:
                env = {"ISSUER_ORIGIN": origin, "JWT_ACCESS_TTL": "3600"}
                self.start(procs.issuer(issuer_port, env, HOST, self.workdir / "issuer.log", self.server))
                self.issuer_url = origin
            for name, extra in self.configs.items():
                port = procs.free_port()
                self.envs[name] = api_env(self.redis.url, port, origin, extra)
                self.apis[name] = self.start(self.api(name, port))
        except BaseException:
            self.close()
            raise
        return self

    def start(self, service):
        """Start a service and make sure it is stopped when the stack closes."""
        self.callback(service.stop)
        return service.start()

    def api(self, name, port):
        """An API instance (not yet started) with this run's worker model."""
        log = self.workdir / f"api-{name}.log"
        return procs.api(port, self.envs[name], self.workers, HOST, log, self.server)

    def url(self, name="main"):
        return f"http://{HOST}:{self.apis[name].port}"
