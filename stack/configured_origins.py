"""The origins `make run` serves, as the settings give them: their ports, whether another process holds one, and
HTTPS mode (every origin https, with a local CA's certificate)."""

import errno
import os
import socket
from urllib.parse import urlsplit

from kernel.settings import raw

from . import certs

ORIGINS = ("API_ORIGIN", "FRONTEND_A_ORIGIN", "FRONTEND_B_ORIGIN", "ISSUER_ORIGIN", "BFF_A_ORIGIN", "BFF_B_ORIGIN",
           "COLLECTOR_ORIGIN")


def port_of(origin):
    return urlsplit(origin).port


def https_mode(var):
    """Every origin becomes https (children and this process read them from the environment); TLS files for servers."""
    for name in ORIGINS:
        os.environ[name] = "https://" + raw(name).split("://", 1)[-1]
    if os.environ.get("TLS_CERT") and os.environ.get("TLS_KEY"):  # a certificate of your own
        return {"TLS_CERT": os.environ["TLS_CERT"], "TLS_KEY": os.environ["TLS_KEY"]}, None
    files = certs.ensure(var / "tls")
    return {"TLS_CERT": str(files.cert), "TLS_KEY": str(files.key), "ISSUER_CA_FILE": str(files.ca),
            "REQUESTS_CA_BUNDLE": str(files.ca)}, files  # the last: the BFFs and the collector call the AS and API


def wanted_ports():
    """Every port this launch will listen on, by the name a person knows it by (Redis has a unix socket, no port)."""
    return {
        "API": port_of(raw("API_ORIGIN")), "frontend A": port_of(raw("FRONTEND_A_ORIGIN")),
        "frontend B": port_of(raw("FRONTEND_B_ORIGIN")), "issuer": port_of(raw("ISSUER_ORIGIN")),
    }


def busy_ports(ports, host="127.0.0.1"):
    """The (name, port) pairs another process already holds, checked the way the servers will bind."""
    busy = []
    for name, port in ports.items():
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is not busy
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                busy.append((name, port))
    return busy
