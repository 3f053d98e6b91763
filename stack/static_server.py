"""Serve one static frontend, the shared client module from its single file, and a generated config; page B's
server also passes /api/* to the API (a reverse proxy), so B can reach the API on its own site.

    python -m stack.static_server frontend_b --port 8002
    curl -i http://127.0.0.1:8002/api/health    # the API's answer, through B's own origin

Every answer says `X-Content-Type-Options: nosniff`; the page itself carries a Content-Security-Policy (scripts
from this origin only, plus the one nonce of this answer; no framing; fetches to the API and the issuer only) and,
in HTTPS mode, HSTS. Over TLS only 1.2 and 1.3 with AEAD suites are offered (no CBC).
"""

import argparse
import http.client
import json
import secrets
import ssl
from urllib.parse import urlsplit

from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from kernel.http.headers import header_bytes
from kernel.settings import SETTINGS, raw

from .procs import ROOT

FRONTENDS = {"frontend_a": "A", "frontend_b": "B"}
PAGE_SCRIPT = '<script type="module" src="/shared/page.js">'  # the one script tag of each index.html
# The same choice as HAProxy's (stack/load_balancer.py): TLS 1.2 with forward secrecy and AEAD only.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
PROXIED = {"B"}  # the frontends whose server also serves the API under its own origin's /api/
PROXY_TIMEOUT_S = 30
CHUNK_BYTES = 64 * 1024
# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection: never passed on, in either direction.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
              "proxy-authenticate", "proxy-authorization"}


def page_config(name):
    """What the page must know about the other origins, from the same environment the API reads."""
    me, other = ("A", "B") if FRONTENDS[name] == "A" else ("B", "A")
    return {
        "name": me,
        "origin": raw(f"FRONTEND_{me}_ORIGIN"),
        "otherFrontend": raw(f"FRONTEND_{other}_ORIGIN"),
        "api": raw("API_ORIGIN"),
        "issuer": raw("ISSUER_ORIGIN"),
        # B's own origin serves /api/ too (api_proxy below): the API on the page's own site.
        "apiProxy": raw(f"FRONTEND_{me}_ORIGIN") if me in PROXIED else None,
        # RFC 10017's three architectures (docs/browser-apps.md): this site's BFF, the public client id at the AS
        # (the issuer), and, with the demo options only, the attacker's collector the payloads send to.
        "bff": raw(f"BFF_{me}_ORIGIN"),
        "clientId": f"authlab-{me.lower()}",
        "collector": raw("COLLECTOR_ORIGIN") if demo_options() else None,
    }


def demo_options():
    """The demo switch (docs/configuration.md): off, the pages offer no malicious scripts and allow no collector."""
    return SETTINGS["DEMO_COOKIE_OPTIONS"][1](raw("DEMO_COOKIE_OPTIONS"))


# Page A's server also serves this small page: B opens it in a window of its own to look from the API's site.
FIRST_PARTY_LOOK = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>authlab · a look from the API's own site</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/shared/style.css">
<main><h1>A look from the API's own site</h1>
<p>Page B opened this window on the API's own site (a first-party, top-level context) to ask which of the API's
cookies arrive here: a cookie B kept in its own partitioned jar does not. It closes when B's matrix is done.</p>
<p><output id="look-status">…</output></p></main>
<script type="module" src="/shared/first_party_look.js"></script>
</html>
"""


def json_error(status, error, message):
    """The contract's error body, for what the proxy itself cannot do (the API's own errors pass through)."""
    body = json.dumps({"error": error, "message": message})
    return Response(body, status=status, mimetype="application/json", headers={"Cache-Control": "no-store"})


def api_proxy(api_origin, cafile=None):
    """A WSGI app passing each request to the API unchanged (method, path, query, headers with Cookie, body) and
    its answer back (status, headers with every Set-Cookie, body, streamed). No X-Forwarded-*: the API trusts
    none by default, so it sees this server's loopback address as the client."""
    target = urlsplit(api_origin)
    context = ssl.create_default_context(cafile=cafile or None) if target.scheme == "https" else None

    def connect():
        if context is not None:
            return http.client.HTTPSConnection(target.hostname, target.port or 443, timeout=PROXY_TIMEOUT_S,
                                               context=context)
        return http.client.HTTPConnection(target.hostname, target.port or 80, timeout=PROXY_TIMEOUT_S)

    def app(environ, start_response):
        request = Request(environ)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP | {"host", "content-length"}}
        headers["Host"] = target.netloc
        chunked = request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if request.content_length is not None:
            headers["Content-Length"] = str(request.content_length)
        body = request.stream if request.content_length or chunked else None
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path.rstrip("?")
        connection = connect()
        try:
            connection.request(request.method, path, body=body, headers=headers, encode_chunked=chunked)
            answer = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            return json_error(502, "api_unreachable",
                              f"the API at {api_origin} did not answer the proxy ({error.__class__.__name__})")(
                environ, start_response)
        passed = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
        start_response(f"{answer.status} {answer.reason}", passed)

        def stream():
            try:
                while chunk := answer.read1(CHUNK_BYTES):
                    yield chunk
            finally:
                connection.close()

        return stream()

    return app




def content_security_policy(config, nonce):
    """The page's policy: its own scripts and the nonce (Measure's stand-in for an injected script uses it), fetches
    to itself, the API, the issuer (the AS), its BFF and, demo only, the collector (a real page's policy would stop
    that exfiltration: docs/browser-apps.md); no plugins, no <base>, forms only to itself and the API (B's "price of
    cookies" posts one there); frames only of the AS (a silent `prompt=none` flow), and only its own origin may
    frame it (the flow lands on this page's `/`)."""
    connect = " ".join(filter(None, ["'self'", config["api"], config["issuer"], config["bff"], config["collector"]]))
    return "; ".join([
        "default-src 'self'", f"script-src 'self' 'nonce-{nonce}'", "style-src 'self'", "img-src 'self' data:",
        f"connect-src {connect}", f"frame-src 'self' {config['issuer']}", "object-src 'none'", "base-uri 'none'",
        f"form-action 'self' {config['api']}", "frame-ancestors 'self'",
    ])


def with_headers(app, https):
    """nosniff on every answer, HSTS too in HTTPS mode (the API's max-age)."""
    headers = [("X-Content-Type-Options", "nosniff")]
    if https:
        headers.append(("Strict-Transport-Security", f"max-age={raw('HSTS_MAX_AGE')}"))

    def wrapped(environ, start_response):
        def start(status, response_headers, exc_info=None):
            return start_response(status, response_headers + headers, exc_info)

        return app(environ, start)

    return wrapped


def tls_context(certfile, keyfile):
    """TLS 1.2 or 1.3; for 1.2 only ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 (1.3's are all AEAD)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.load_cert_chain(certfile, keyfile)
    return context


def make_app(name):
    """/config.js from the environment, /echo, /shared/* from frontend_shared, /api/* to the API (B), the rest from
    the frontend."""
    config = page_config(name)
    body = "export default " + json.dumps(config, indent=2) + ";\n"
    index = (ROOT / name / "index.html").read_text()
    if PAGE_SCRIPT not in index:
        raise RuntimeError(f"{name}/index.html has no {PAGE_SCRIPT}")

    def page(environ, start_response):
        """index.html with a nonce of its own on its script tag, and the policy naming that nonce."""
        nonce = secrets.token_urlsafe(18)
        html = index.replace(PAGE_SCRIPT, PAGE_SCRIPT.replace("<script ", f'<script nonce="{nonce}" '))
        headers = {"Cache-Control": "no-store", "Content-Security-Policy": content_security_policy(config, nonce)}
        return Response(html, mimetype="text/html", headers=headers)(environ, start_response)

    def config_js(environ, start_response):
        return Response(body, mimetype="text/javascript", headers={"Cache-Control": "no-store"})(
            environ, start_response)

    def echo(environ, start_response):
        """Which cookies reached this static server (names and value lengths): cookies ignore ports."""
        request = Request(environ)
        cookies = {name: len(value) for name, value in request.cookies.items()}
        body = json.dumps({"cookies": cookies, "request_header_bytes": header_bytes(request.headers)})
        return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})(
            environ, start_response)

    def first_party_look(environ, start_response):
        return Response(FIRST_PARTY_LOOK, mimetype="text/html", headers={"Cache-Control": "no-store"})(
            environ, start_response)

    def not_found(environ, start_response):
        return Response("not found", status=404, mimetype="text/plain")(environ, start_response)

    proxy = api_proxy(raw("API_ORIGIN"), raw("ISSUER_CA_FILE")) if FRONTENDS[name] in PROXIED else None

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if proxy is not None and (path == "/api" or path.startswith("/api/")):
            return proxy(environ, start_response)
        routes = {"/config.js": config_js, "/echo": echo, "/index.html": page}
        if FRONTENDS[name] == "A":
            routes["/first-party-look"] = first_party_look
        return routes.get(path, static)(environ, start_response)

    static = SharedDataMiddleware(
        not_found,
        {"/shared": str(ROOT / "frontend_shared"), "/": str(ROOT / name)},
        cache_timeout=0,
        fallback_mimetype="application/octet-stream",
    )
    # SharedDataMiddleware serves "/" only as a directory: map it to index.html.
    def with_index(environ, start_response):
        if environ.get("PATH_INFO") in ("", "/"):
            environ["PATH_INFO"] = "/index.html"
        return app(environ, start_response)

    return with_headers(with_index, urlsplit(config["origin"]).scheme == "https")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(FRONTENDS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certfile", help="serve HTTPS with this certificate chain (and --keyfile)")
    parser.add_argument("--keyfile")
    args = parser.parse_args()
    tls = tls_context(args.certfile, args.keyfile) if args.certfile else None
    run_simple(args.host, args.port, make_app(args.name), threaded=True, ssl_context=tls)


if __name__ == "__main__":
    main()
