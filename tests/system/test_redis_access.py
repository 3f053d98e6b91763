"""The embedded Redis is the app's alone: another local user reads, writes and connects to nothing of it, and a client
without the password, or with it, cannot turn Redis against the machine (CONFIG SET dir + SAVE, DEBUG, MODULE)."""

import os
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
import redis

from stack import redis_server

NOBODY = "nobody"
SYSTEM_PYTHON = "/usr/bin/python3"  # not the venv's: another user must not need anything of ours


def resp(*words):
    """One command in Redis's wire format, as any client (or `nc`) would send it."""
    return b"".join([f"*{len(words)}\r\n".encode(), *(f"${len(w)}\r\n{w}\r\n".encode() for w in words)])


def answer(address, *words):
    """The first line a Redis answers to one command from a client that never authenticated."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    with socket.socket(family) as sock:
        sock.settimeout(2)
        sock.connect(address)
        sock.sendall(resp(*words))
        return sock.recv(200).split(b"\r\n")[0].decode()


def can_act_as_nobody():
    """We are root with runuser (as here and in CI): the attempts then run as `nobody`, the machine's other user."""
    return os.geteuid() == 0 and shutil.which("runuser") is not None and Path(SYSTEM_PYTHON).exists()


def as_nobody(code):
    """Run Python `code` as user nobody; its stdout."""
    done = subprocess.run(["runuser", "-u", NOBODY, "--", SYSTEM_PYTHON, "-c", code],
                          capture_output=True, text=True, timeout=20, cwd="/")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def shared_machine():
    """A folder every local user may enter, as a home or /srv checkout often is: only Redis's own modes protect it."""
    folder = Path(tempfile.mkdtemp(prefix="authlab-shared-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def embedded(shared_machine):
    """`make run`'s Redis (stack/redis_server.py's embedded) under var/ in that folder, holding admin's session."""
    var = shared_machine / "var"
    var.mkdir(mode=0o755)
    with redis_server.embedded(var, "the-app's-password") as service:
        with service.client() as client:
            client.set("session:admins-session-id", "{'_user_id': 'admin'}")
        yield service


def test_another_local_user_reaches_nothing_of_the_embedded_redis(embedded):
    """As `nobody`: the folder cannot be listed, the AOF (admin's session ID in clear) cannot be read, the socket
    cannot be connected to. (Before: no password, a 0644 AOF in a 0755 folder, and a TCP port open to all.)"""
    folder = Path(embedded.unix_socket).parent
    aof = folder / "appendonly.aof"
    assert b"admins-session-id" in aof.read_bytes()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if not p.is_socket()} == {0o600}
    assert stat.S_IMODE(Path(embedded.unix_socket).stat().st_mode) & 0o077 == 0
    assert (embedded.port is None and "--port" in embedded.argv
            and embedded.argv[embedded.argv.index("--port") + 1] == "0")
    assert answer(embedded.unix_socket, "GET", "session:admins-session-id").startswith("-NOAUTH")
    if not can_act_as_nobody():
        return  # the modes above are what would stop another user
    attempts = f"""
import os, socket
for name, act in [("list", lambda: os.listdir({str(folder)!r})), ("read", lambda: open({str(aof)!r}, "rb").read()),
                  ("write", lambda: open({str(folder / 'planted')!r}, "w")),
                  ("connect", lambda: socket.socket(socket.AF_UNIX).connect({embedded.unix_socket!r}))]:
    try:
        act()
        print(name, "allowed")
    except PermissionError:
        print(name, "refused")
"""
    assert as_nobody(attempts).splitlines() == ["list refused", "read refused", "write refused", "connect refused"]


def test_the_password_is_on_no_command_line(embedded):
    """`ps` shows every user each process's arguments: the password is in a 0600 file, not among them."""
    with open(f"/proc/{embedded.proc.pid}/cmdline", "rb") as cmdline:
        assert embedded.password.encode() not in cmdline.read()
    config = Path(embedded.argv[1])
    assert embedded.password in config.read_text() and stat.S_IMODE(config.stat().st_mode) == 0o600


@pytest.mark.parametrize("command", [("CONFIG", "SET", "dir", "/tmp"), ("SAVE",), ("BGSAVE",), ("DEBUG", "SLEEP", "0"),
                                     ("MODULE", "LIST")])
def test_with_the_password_redis_still_cannot_write_files_or_run_code(redis_service, command):
    """`CONFIG SET dir/dbfilename` + `SAVE` wrote a file as the user who ran `make run`: CONFIG has a secret name (a
    Sentinel needs it), DEBUG, MODULE, SAVE and BGSAVE are gone, on the tests' Redis as on every other."""
    with redis_service.client() as client, pytest.raises(redis.exceptions.ResponseError, match="unknown command"):
        client.execute_command(*command)


def test_the_tests_redis_requires_its_password(redis_service):
    """The tests' own Redis is started as `make run`'s is: a client without the password gets NOAUTH."""
    assert answer((redis_service.host, redis_service.port), "SCAN", "0").startswith("-NOAUTH")
    assert answer((redis_service.host, redis_service.port), "PING").startswith("-NOAUTH")
