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
    """The environment every API instance of a run gets: one secret, one Redis, one issuer, the demo options off.

    Access tokens live an hour here (default 5 minutes) so that one login outlasts the whole run. The demo options
    are off as in a real deployment (DEMO_COOKIE_OPTIONS=0: no Server-Timing, viewer keys or per-login cookie
    choices), which the usual ways do not have either.
    """
    return api_environment(  # every bench login comes from 127.0.0.1: the default limits would answer 429
        port, redis_url, SECRET, lenient_limits=True, DEMO_COOKIE_OPTIONS="0",
        JWT_SECRET=SECRET + "-jwt", ISSUER_ORIGIN=issuer_url, JWT_ACCESS_TTL="3600", **(extra or {}),
    )


class Stack(contextlib.ExitStack):
    """Redis plus one API instance per configuration; leaving the `with` stops all of them, error or not."""

    def __init__(self, workdir, workers, server=DEFAULT_SERVER, configs=None, issuer=True, peers=None):
        super().__init__()
        self.peer_factories = peers or {}  # name -> "module:factory" of an app under bench/peers/
        self.peers = {}
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
            services = {}
            if self.with_issuer:
                # the run's secret (the issuer refuses the public default) and Redis (its rate-limit counters)
                env = {"SECRET_KEY": SECRET, "REDIS_URL": self.redis.url, "ISSUER_ORIGIN": origin,
                       "JWT_ACCESS_TTL": "3600"}
                services["issuer"] = procs.issuer(issuer_port, env, HOST, self.workdir / "issuer.log", self.server)
                self.issuer_url = origin
            for name, extra in self.configs.items():
                port = procs.free_port()
                self.envs[name] = api_env(self.redis.url, port, origin, extra)
                services[("api", name)] = self.api(name, port)
            for name, factory in self.peer_factories.items():
                services[("peer", name)] = self.peer(name, factory, origin)
            for service in services.values():  # all launched first, so that they start up side by side
                self.callback(service.stop)
                service.launch()
            for key, service in services.items():
                service.wait_listening()
                if key[0] == "api":
                    self.apis[key[1]] = service
                elif key[0] == "peer":
                    self.peers[key[1]] = service
        except BaseException:
            self.close()
            raise
        return self

    def start(self, service):
        """Start a service and make sure it is stopped when the stack closes."""
        self.callback(service.stop)
        return service.start()

    def peer(self, name, factory, issuer_origin):
        """A peer app (not yet started), served exactly like the API: same server, workers and threads."""
        port = procs.free_port()
        env = api_env(self.redis.url, port, issuer_origin)
        return procs.wsgi(f"peer {name}", factory, port, env, self.workers, HOST, self.workdir / f"peer-{name}.log",
                          self.server)

    def peer_url(self, name):
        return f"http://{HOST}:{self.peers[name].port}"

    def api(self, name, port):
        """An API instance (not yet started) with this run's worker model."""
        log = self.workdir / f"api-{name}.log"
        return procs.api(port, self.envs[name], self.workers, HOST, log, self.server)

    def url(self, name="main"):
        return f"http://{HOST}:{self.apis[name].port}"
