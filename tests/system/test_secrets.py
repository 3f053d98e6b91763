"""The API refuses to sign with a secret published in the repository unless a test asks for it explicitly; `make run`
keeps its own secrets, Redis's password among them, owner-only and out of every banner."""

import json
import os
import stat

import pytest

from kernel.settings import SETTINGS
from stack import local_secrets, redis_server

PUBLIC = {name: SETTINGS[name][0] for name in ("SECRET_KEY", "JWT_SECRET")}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_create_app_refuses_a_public_default_secret(make_app, name):
    """Anyone can read the default, so anyone could forge a session cookie, a signed token or an admin JWT."""
    with pytest.raises(RuntimeError, match=f"refusing to start: {name} is the public default"):
        make_app(**{name: PUBLIC[name]})


def test_a_test_may_ask_for_the_public_defaults(make_app):
    """ALLOW_DEV_SECRETS is the explicit dev/test flag: with it the defaults work (and are announced)."""
    app = make_app(ALLOW_DEV_SECRETS=True, **PUBLIC)
    assert app.config["JWT_SECRET"] == PUBLIC["JWT_SECRET"]


def test_an_api_process_on_a_public_default_exits_with_the_reason(start_api, tmp_path):
    """The served API (not only create_app) stops at boot, and its log says why."""
    with pytest.raises(RuntimeError, match="api exited"):
        start_api(SECRET_KEY=PUBLIC["SECRET_KEY"])
    log = "".join(path.read_text() for path in tmp_path.glob("api-*.log"))
    assert "refusing to start: SECRET_KEY is the public default" in log


def test_an_older_secrets_file_gains_a_redis_password_and_keeps_the_rest(tmp_path):
    """A var/ from before Redis had a password: the file keeps its secrets, gains REDIS_PASSWORD, and stays 0600."""
    older = {"SECRET_KEY": "kept-1", "JWT_SECRET": "kept-2", "ISSUER_ROTATE_SECRET": "kept-3"}
    (tmp_path / "secrets.json").write_text(json.dumps(older))
    os.chmod(tmp_path / "secrets.json", 0o644)
    made = local_secrets.ensure(tmp_path)
    assert {k: made[k] for k in older} == older and len(made["REDIS_PASSWORD"]) >= 32
    assert json.loads((tmp_path / "secrets.json").read_text()) == made
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    assert local_secrets.ensure(tmp_path) == made  # the same password at the next start


def test_an_older_laxer_redis_folder_is_made_owner_only_before_redis_starts(tmp_path):
    """The third test found `var/redis/appendonly.aof` 0644 in a 0755 folder: the next start tightens both."""
    folder = tmp_path / "redis"
    folder.mkdir(mode=0o755)
    (folder / "appendonly.aof").write_text("SET session:admins-id ...")
    os.chmod(folder, 0o755)
    os.chmod(folder / "appendonly.aof", 0o644)
    service = redis_server.embedded(tmp_path, "pw")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {
        "appendonly.aof": 0o600, redis_server.CONFIG_FILE: 0o600}
    assert service.url == f"unix://:pw@{folder.resolve() / 'redis.sock'}?db=0"


@pytest.mark.parametrize(("url", "printed"), [
    ("unix://:s3cret@/srv/var/redis/redis.sock?db=0", "unix://:***@/srv/var/redis/redis.sock?db=0"),
    ("redis://:s3cret@10.0.0.5:6379/0", "redis://:***@10.0.0.5:6379/0"),
    ("redis+sentinel://:s3cret@h:1,h:2/authlab?sentinel_password=s3cret", "redis+sentinel://:***@h:1,h:2/authlab?sentinel_password=***"),
    ("redis+cluster://h:1,h:2?password=s3cret", "redis+cluster://h:1,h:2?password=***"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
])
def test_banners_print_no_redis_password(url, printed):
    """`make run`, `make run-ha` and the bench print REDIS_URL: never its password, nor the Sentinels'."""
    assert redis_server.without_password(url) == printed
