"""HAProxy in front of several API instances: round robin, X-Forwarded-For, health checks, short timeouts.

Every answer says which instance served it (`X-Served-By: api1`), so a person can watch requests alternate.
The API behind it must run with TRUSTED_PROXIES=1 (one proxy hop), or every client would share the proxy's
address in the per-client limits. HAProxy's own errors (no instance up, a timeout) are the API's JSON errors.
"""

import contextlib
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

from . import procs
from .procs import DEFAULT_SERVER, Service, free_port

INSTALL = "apt-get install haproxy (Debian/Ubuntu), brew install haproxy (macOS)"
TRUSTED_PROXIES = "1"  # the API's setting behind exactly this one hop

# An instance is in rotation while its process answers /api/health at all: 503 there means Redis is down, which
# every instance shares, and the instance's own JSON 503 is a better answer than HAProxy's "no server".
CONFIG = """\
global
    maxconn 2048

defaults
    mode http
    option forwardfor
    option redispatch
    retries 1
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout http-request 5s
    timeout http-keep-alive 5s
    timeout check 1s
{errorfiles}

frontend api
    bind {host}:{port}
    http-response set-header X-Served-By %[srv_name]
    default_backend api_instances

backend api_instances
    balance roundrobin
    option httpchk GET /api/health
    http-check expect rstatus ^(200|503)$
    default-server inter 500ms fall 2 rise 1
{servers}
"""

ERRORS = {
    502: ("Bad Gateway", "upstream_unavailable", "no API instance answered"),
    503: ("Service Unavailable", "upstream_unavailable", "no API instance is up"),
    504: ("Gateway Timeout", "upstream_timeout", "the API instance did not answer in time"),
}


def binary():
    """HAPROXY if set, else the haproxy on PATH (or in sbin); a RuntimeError that says how to install it if none."""
    if os.environ.get("HAPROXY"):
        found = shutil.which(os.environ["HAPROXY"])
    else:
        found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise RuntimeError(f"haproxy is not installed: {INSTALL}")
    return found


def _error_file(directory, status):
    """A raw HTTP response HAProxy sends as is: the contract's JSON error body, with Retry-After."""
    reason, code, message = ERRORS[status]
    body = json.dumps({"error": code, "message": message})
    path = directory / f"{status}.http"
    path.write_text(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nRetry-After: 2\r\n"
        f"Cache-Control: no-store\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}"
    )
    return f"    errorfile {status} {path}"


def config(workdir, backends, port, host="127.0.0.1"):
    """Write the HAProxy configuration for `backends` ((host, port) pairs) under workdir; return its path."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    errorfiles = "\n".join(_error_file(workdir, status) for status in ERRORS)
    servers = "\n".join(f"    server api{i} {h}:{p} check" for i, (h, p) in enumerate(backends, start=1))
    path = workdir / "haproxy.cfg"
    path.write_text(CONFIG.format(host=host, port=port, errorfiles=errorfiles, servers=servers))
    return path


def haproxy(workdir, backends, port, host="127.0.0.1", log=None):
    """HAProxy on host:port spreading requests round robin over `backends` ((host, port) pairs or Services)."""
    pairs = [(b.host, b.port) if isinstance(b, Service) else b for b in backends]
    argv = [binary(), "-db", "-f", str(config(workdir, pairs, port, host))]  # -db: stay in the foreground
    return Service("haproxy", argv, port, host, log=log)


@contextlib.contextmanager
def balanced_apis(workdir, env, instances=2, port=None, server=DEFAULT_SERVER, workers=1):
    """`instances` API processes (env + TRUSTED_PROXIES=1) behind HAProxy on `port`; all stopped on the way out.

    Yields `.url` (the balancer's origin, http://localhost:port), `.apis` and `.balancer`.
    """
    workdir = Path(workdir)
    port = port or free_port()
    env = {"API_ORIGIN": f"http://localhost:{port}", **env, "TRUSTED_PROXIES": TRUSTED_PROXIES}
    apis = []
    for _ in range(instances):
        api_port = free_port()
        apis.append(procs.api(api_port, env, workers=workers, server=server, log=workdir / f"api-{api_port}.log"))
    balancer = haproxy(workdir / "haproxy", apis, port, log=workdir / "haproxy.log")
    started = []
    try:
        for service in apis:
            started.append(service.launch())
        for service in apis:
            service.wait_listening()
        started.append(balancer.start())
        yield SimpleNamespace(url=f"http://localhost:{port}", apis=apis, balancer=balancer)
    finally:
        for service in reversed(started):
            service.stop()
