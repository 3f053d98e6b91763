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
    from kernel.stores import redis_client

    logging.getLogger("authlab.config").setLevel(logging.ERROR)  # dev-default warnings are the servers' business
    with mock.patch.dict(os.environ, env):
        app = create_app()
    try:
        yield app
    finally:
        redis_client.pooled(app).close()


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
    while len(timings) < max_calls and (len(timings) < min(5, max_calls) or time.perf_counter() < deadline):
        start = time.perf_counter_ns()
        call()
        timings.append(time.perf_counter_ns() - start)
    return {"median_us": statistics.median(timings) / 1000, "calls": len(timings)}


def _median_us(fn, calls):
    """Median µs of `calls` calls of fn, after one call not counted."""
    fn()
    timings = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        fn()
        timings.append(time.perf_counter_ns() - start)
    return statistics.median(timings) / 1000


def primitives(redis_url, calls=2_000, password_checks=3):
    """Median µs of the primitives a method cannot avoid: the floors its auth cost is set against."""
    import hashlib
    import hmac

    import redis
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from werkzeug.security import check_password_hash, generate_password_hash

    from kernel import hash_memory

    message, key = b"x" * 250, b"k" * 32  # about a JWT's signing input, a 256-bit key
    mac256, mac1 = hmac.new(key, message, hashlib.sha256).digest(), hmac.new(key, message, hashlib.sha1).digest()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    public = private.public_key()
    client = redis.Redis.from_url(redis_url)
    password_hash = generate_password_hash("wonderland")

    def scrypt_us(keep_work_area):
        """One password check, with malloc told to keep scrypt's work area (the API's servers) or as glibc leaves
        it (the peers: a fresh mapping per hash). The process stays as the apps of this bench set it: kept."""
        hash_memory.keep(keep_work_area)
        try:
            return _median_us(lambda: check_password_hash(password_hash, "wonderland"), password_checks)
        finally:
            hash_memory.keep()

    try:
        return {
            "hmac_sha256": _median_us(
                lambda: hmac.compare_digest(hmac.new(key, message, hashlib.sha256).digest(), mac256), calls),
            "hmac_sha1": _median_us(
                lambda: hmac.compare_digest(hmac.new(key, message, hashlib.sha1).digest(), mac1), calls),
            "rsa_verify": _median_us(lambda: public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256()),
                                     calls // 4),
            "redis_round_trip": _median_us(lambda: client.get("bench:floor:absent"), calls),
            "scrypt": scrypt_us(keep_work_area=True),
            "scrypt_mapped": scrypt_us(keep_work_area=False),
        }
    finally:
        client.close()
