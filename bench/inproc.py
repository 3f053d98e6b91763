"""Server-side cost per request, in-process: the WSGI app called directly, no network, no load generator."""

import contextlib
import io
import logging
import os
import statistics
import time
from unittest import mock

from werkzeug.test import EnvironBuilder


@contextlib.contextmanager
def app_like(env):
    """An app built from the same environment as the server instance it stands for."""
    from backend import create_app
    from backend.stores import redis_client

    logging.getLogger("authlab.config").setLevel(logging.ERROR)  # dev-default warnings are the servers' business
    with mock.patch.dict(os.environ, env):
        app = create_app()
    try:
        yield app
    finally:
        redis_client.redis(app).close()


def _start_response(status, headers, exc_info=None):
    """WSGI's start_response; the status is checked from the returned body's caller instead."""
    _start_response.status = status


def time_requests(app, path, headers, budget_s, max_calls):
    """Median microseconds per request over up to max_calls calls or budget_s seconds (after a short warm-up)."""
    template = EnvironBuilder(path=path, headers=headers, base_url="http://127.0.0.1").get_environ()

    def call():
        environ = {**template, "wsgi.input": io.BytesIO()}
        body = app(environ, _start_response)
        try:
            b"".join(body)
        finally:
            body.close()
        if not _start_response.status.startswith("200"):
            raise RuntimeError(f"in-process GET {path} answered {_start_response.status}")

    warm_until = time.perf_counter() + budget_s / 10
    for _ in range(20):  # warm-up: 20 calls or a tenth of the budget, whichever ends first
        call()
        if time.perf_counter() > warm_until:
            break
    timings = []
    deadline = time.perf_counter() + budget_s
    while len(timings) < max_calls and (len(timings) < 5 or time.perf_counter() < deadline):
        start = time.perf_counter_ns()
        call()
        timings.append(time.perf_counter_ns() - start)
    return {"median_us": statistics.median(timings) / 1000, "calls": len(timings)}
