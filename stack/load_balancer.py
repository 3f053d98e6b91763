"""HAProxy in front of the Flask servers: whole requests only, X-Forwarded-For, short timeouts, TLS in HTTPS mode.

granian has no timeout for a request body (docs/servers.md): a client that sends a head and then stalls inside
the body would hold a Python thread. So every Flask server of `make run`, `make run-https` and `make run-ha` (the
API and the issuer) listens on a unix socket in a 0700 folder, and HAProxy listens at its origin, waits for each
request whole (`http-request wait-for-body`, up to BUFFER_BYTES) and only then hands it on: a head that is not
complete within REQUEST_TIMEOUT_S is cut, a body that is not complete REQUEST_TIMEOUT_S later gets a JSON 408;
neither ever reaches a thread. Only HAProxy (and the user who runs it) can reach the sockets, so the
TRUSTED_PROXIES=1 the apps run with cannot be abused by anyone else to pick an address of their own. In HTTPS
mode HAProxy terminates TLS: 1.2 or 1.3, AEAD suites only (no CBC).

`balanced_apis` is `make run-ha`'s: several API instances, round robin, health checks, and every answer says
which instance served it (`X-Served-By: api1`). HAProxy's own errors (a timeout, no instance up) are the API's
JSON errors, or no answer at all where HAProxy 2.6 could only send HTML (UNANSWERED).
"""

import atexit
import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

from kernel.settings import raw

from . import procs
from .procs import DEFAULT_SERVER, Service, free_port

INSTALL = "apt-get install haproxy (Debian/Ubuntu), brew install haproxy (macOS)"
TRUSTED_PROXIES = "1"  # the apps' setting behind exactly this one hop
REQUEST_TIMEOUT_S = 5  # a request's head must arrive within this, and then its body within this (else 408)
BUFFER_BYTES = 96 * 1024  # holds a whole request the API accepts: a 16 KiB head plus a body of at most 64 KiB
# TLS 1.2 suites with forward secrecy and AEAD only (no CBC, no RSA key exchange); TLS 1.3's are all AEAD.
TLS12_CIPHERS = ":".join(
    f"ECDHE-{auth}-{cipher}" for auth in ("ECDSA", "RSA")
    for cipher in ("AES128-GCM-SHA256", "AES256-GCM-SHA384", "CHACHA20-POLY1305")
)
TLS13_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

CONFIG = """\
global
    maxconn 2048
    tune.bufsize {buffer_bytes}
    ssl-default-bind-ciphers {tls12_ciphers}
    ssl-default-bind-ciphersuites {tls13_suites}
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets

defaults
    mode http
    option forwardfor
    option redispatch
    retries 1
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout http-request {request_timeout}s
    timeout http-keep-alive 5s
    timeout check 1s

frontend {name}
    bind {host}:{port}{tls}
{unanswered}
    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}
    http-request set-header X-Forwarded-Proto http if !{{ ssl_fc }}
    http-after-response set-header X-Content-Type-Options nosniff
    http-after-response set-header Strict-Transport-Security max-age={hsts_max_age} if {{ ssl_fc }}
{frontend_extra}    default_backend {name}_servers

backend {name}_servers
    http-request wait-for-body time {request_timeout}s
{errorfiles}
{backend_extra}{servers}
"""

# An instance is in rotation while its process answers /api/health at all: 503 there means Redis is down, which
# every instance shares, and the instance's own JSON 503 is a better answer than HAProxy's "no server".
BALANCED_FRONTEND = "    http-response set-header X-Served-By %[srv_name]\n"
BALANCED_BACKEND = """\
    balance roundrobin
    option httpchk GET /api/health
    http-check expect rstatus ^(200|503)$
    default-server inter 500ms fall 2 rise 1
"""

ERRORS = {
    400: ("Bad Request", "bad_request", "the request could not be parsed"),
    408: ("Request Timeout", "request_timeout", "the request did not arrive whole in time"),
    500: ("Internal Server Error", "internal_error", "the proxy failed"),
    502: ("Bad Gateway", "upstream_unavailable", "no server behind the proxy answered"),
    503: ("Service Unavailable", "upstream_unavailable", "no server behind the proxy is up"),
    504: ("Gateway Timeout", "upstream_timeout", "the server behind the proxy did not answer in time"),
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


# Errors HAProxy 2.6 raises while it parses a head (400) or waits for one (408) ignore `errorfile` unless it is
# empty (haproxy/haproxy#3032, fixed in 3.2): they would be its HTML pages, so such a connection is closed unanswered.
UNANSWERED = (400, 408, 500)


def _unanswered(directory):
    """The frontend's `errorfile` lines that make HAProxy's own early errors a closed connection, never HTML."""
    path = directory / "unanswered.http"
    path.write_text("")
    return "\n".join(f"    errorfile {status} {path}" for status in UNANSWERED)


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


def private_folder(path):
    """A folder only its owner can enter (0700, even if it was there before): for sockets, keys and configuration."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


SOCKET_PATH_MAX = 97  # bytes: HAProxy 2.6 refuses a longer `server unix@…` path ("too long (max 97)")


def socket_folder(path):
    """A 0700 folder for unix sockets: `path`, or, when a socket's path there would be too long for HAProxy (a
    deep checkout or test folder), a short one of our own under the system's temp folder, removed when this process
    exits."""
    if len(os.fsencode(Path(path).resolve())) + len("/issuer.sock") <= SOCKET_PATH_MAX:
        return private_folder(path)
    short = Path(tempfile.mkdtemp(prefix="authlab-"))  # mkdtemp makes it 0700
    atexit.register(shutil.rmtree, short, ignore_errors=True)
    return short


def tls_bundle(workdir, env):
    """HAProxy's `crt`: the certificate chain and its key in one owner-only file; None unless env has TLS_CERT."""
    if not env.get("TLS_CERT"):
        return None
    path = private_folder(workdir) / "tls.pem"
    path.touch(mode=0o600)
    path.write_bytes(Path(env["TLS_CERT"]).read_bytes().rstrip() + b"\n" + Path(env["TLS_KEY"]).read_bytes())
    return path


def _server_line(number, backend, check):
    """One `server` line: a Service (unix socket or host:port) or a (host, port) pair."""
    if isinstance(backend, Service):
        address = f"unix@{backend.uds}" if backend.uds else f"{backend.host}:{backend.port}"
    else:
        address = "{}:{}".format(*backend)
    return f"    server api{number} {address}{' check' if check else ''}"


def config(workdir, backends, port, host="127.0.0.1", name="api", balanced=True, tls=None):
    """Write the HAProxy configuration for `backends` under workdir (a 0700 folder); return its path."""
    workdir = private_folder(workdir)
    errorfiles = "\n".join(_error_file(workdir, status) for status in ERRORS)
    servers = "\n".join(_server_line(i, b, balanced) for i, b in enumerate(backends, start=1))
    path = workdir / f"{name}.cfg"
    path.write_text(CONFIG.format(
        name=name, host=host, port=port, errorfiles=errorfiles, servers=servers, unanswered=_unanswered(workdir),
        tls=f" ssl crt {tls} alpn http/1.1" if tls else "", hsts_max_age=raw("HSTS_MAX_AGE"),
        frontend_extra=BALANCED_FRONTEND if balanced else "", backend_extra=BALANCED_BACKEND if balanced else "",
        buffer_bytes=BUFFER_BYTES, request_timeout=REQUEST_TIMEOUT_S,
        tls12_ciphers=TLS12_CIPHERS, tls13_suites=TLS13_SUITES,
    ))
    return path


def haproxy(workdir, backends, port, host="127.0.0.1", log=None, name="api", balanced=True, tls=None):
    """HAProxy on host:port in front of `backends` (Services or (host, port) pairs): round robin if `balanced`."""
    path = config(workdir, backends, port, host, name, balanced, tls)
    argv = [binary(), "-db", "-f", str(path)]  # -db: stay in the foreground
    return Service(f"haproxy ({name})", argv, port, host, log=log)


def fronted(launcher, name, port, env, workdir, host="127.0.0.1", log=None, **options):
    """The server `launcher` (procs.api or procs.issuer) on a unix socket in the 0700 `workdir`, and HAProxy at
    host:port in front of it (TLS there when env names TLS_CERT): [the server, HAProxy], to start in that order."""
    workdir = private_folder(workdir)
    tls = tls_bundle(workdir, env)
    app_env = {k: v for k, v in env.items() if k not in ("TLS_CERT", "TLS_KEY")}  # TLS ends at HAProxy
    app = launcher(port, {**app_env, "TRUSTED_PROXIES": TRUSTED_PROXIES}, host=host, log=log,
                   uds=socket_folder(workdir) / f"{name}.sock", **options)
    app.name = name
    proxy = haproxy(workdir, [app], port, host, log=log, name=name, balanced=False, tls=tls)
    return [app, proxy]


@contextlib.contextmanager
def balanced_apis(workdir, env, instances=2, port=None, server=DEFAULT_SERVER, workers=1):
    """`instances` API processes (env + TRUSTED_PROXIES=1), each on a unix socket in the 0700 folder
    workdir/instances, behind HAProxy on `port`; all stopped on the way out.

    Yields `.url` (the balancer's origin, http://localhost:port), `.apis` and `.balancer`.
    """
    workdir = Path(workdir)
    port = port or free_port()
    env = {"API_ORIGIN": f"http://localhost:{port}", **env, "TRUSTED_PROXIES": TRUSTED_PROXIES}
    sockets = socket_folder(workdir / "instances")
    apis = []
    for number in range(1, instances + 1):
        apis.append(procs.api(None, env, workers=workers, server=server, log=workdir / f"api{number}.log",
                              uds=sockets / f"api{number}.sock"))
        apis[-1].name = f"api{number}"
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
