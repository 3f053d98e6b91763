"""Serve one static frontend, the shared client module from its single file, and a generated config.

    python -m stack.static_server frontend_a --port 8001
"""

import argparse
import json

from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from backend.config import raw
from backend.shared_endpoints import header_bytes

from .procs import ROOT

FRONTENDS = {"frontend_a": "A", "frontend_b": "B"}


def page_config(name):
    """What the page must know about the other origins, from the same environment the API reads."""
    me, other = ("A", "B") if FRONTENDS[name] == "A" else ("B", "A")
    return {
        "name": me,
        "origin": raw(f"FRONTEND_{me}_ORIGIN"),
        "otherFrontend": raw(f"FRONTEND_{other}_ORIGIN"),
        "api": raw("API_ORIGIN"),
        "issuer": raw("ISSUER_ORIGIN"),
    }


def make_app(name):
    """/config.js from the environment, /echo, /shared/* from frontend_shared, everything else from the frontend."""
    body = "export default " + json.dumps(page_config(name), indent=2) + ";\n"

    def config_js(environ, start_response):
        return Response(body, mimetype="text/javascript", headers={"Cache-Control": "no-store"})(environ, start_response)

    def echo(environ, start_response):
        """Which cookies reached this static server (names and value lengths): cookies ignore ports."""
        request = Request(environ)
        cookies = {name: len(value) for name, value in request.cookies.items()}
        body = json.dumps({"cookies": cookies, "request_header_bytes": header_bytes(request.headers)})
        return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})(environ, start_response)

    def not_found(environ, start_response):
        return Response("not found", status=404, mimetype="text/plain")(environ, start_response)

    def app(environ, start_response):
        routes = {"/config.js": config_js, "/echo": echo}
        return routes.get(environ.get("PATH_INFO"), static)(environ, start_response)

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

    return with_index


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(FRONTENDS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certfile", help="serve HTTPS with this certificate chain (and --keyfile)")
    parser.add_argument("--keyfile")
    args = parser.parse_args()
    tls = (args.certfile, args.keyfile) if args.certfile else None
    run_simple(args.host, args.port, make_app(args.name), threaded=True, ssl_context=tls)


if __name__ == "__main__":
    main()
