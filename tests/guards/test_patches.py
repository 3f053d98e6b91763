"""kernel/patches.py: every patched library target exists in the installed libraries, and a missing one fails."""

import types

import flask_cors.extension
import pytest
from flask import Flask

from kernel import patches


@pytest.mark.parametrize(("owner", "name", "where"), patches.OVERRIDDEN,
                         ids=[f"{owner.__name__}.{name}" for owner, name, _ in patches.OVERRIDDEN])
def test_every_overridden_target_exists_in_the_installed_library(owner, name, where):
    assert hasattr(owner, name), f"{owner.__name__}.{name} is gone: {where} overrides it"


def test_a_missing_overridden_target_fails_with_a_clear_error():
    stand_in = type("FlaskSessionWithoutHooks", (), {})
    with pytest.raises(patches.MissingPatchTarget, match="_retrieve_session_data"):
        patches.check_overridden([(stand_in, "_retrieve_session_data", "kernel/stores/sessions.py")])


def test_the_cors_patch_fails_on_a_flask_cors_without_its_hook_maker():
    with pytest.raises(patches.MissingPatchTarget, match="make_after_request_function"):
        patches.cors_only_with_origin(types.SimpleNamespace())


def test_the_cors_patch_is_on_the_installed_flask_cors(app):
    """create_app applied it: flask-cors makes hooks that leave a request without Origin alone."""
    assert flask_cors.extension.make_after_request_function.only_with_origin


def test_attaching_a_hook_fails_on_a_request_context_without_its_list():
    with pytest.raises(patches.MissingPatchTarget, match="_after_request_functions"):
        patches.after_this_request_of(types.SimpleNamespace(), print)


def test_flask_request_contexts_keep_their_after_request_list():
    with Flask(__name__).test_request_context() as context:
        patches.after_this_request_of(context, print)
        assert context._after_request_functions == [print]


def test_the_login_manager_fails_when_flask_login_keeps_no_remember_hook(monkeypatch):
    monkeypatch.delattr(patches.LoginManager, "_update_remember_cookie")
    with pytest.raises(patches.MissingPatchTarget, match="_update_remember_cookie"):
        patches.LoginManagerWithoutProtection()


def test_the_login_manager_removes_the_remember_hook_it_finds():
    app = Flask(__name__)
    manager = patches.LoginManagerWithoutProtection()
    manager.init_app(app)
    assert manager._update_remember_cookie not in app.after_request_funcs.get(None, [])
    assert manager.session_protection is None


@pytest.mark.parametrize("missing", ["connection_pool", "connection_class"])
def test_round_trip_counting_fails_on_a_client_without_its_pool(missing):
    pool = types.SimpleNamespace() if missing == "connection_class" else None
    client = types.SimpleNamespace(topology="single", **({"connection_pool": pool} if pool is not None else {}))
    with pytest.raises(patches.MissingPatchTarget, match=missing):
        patches.count_round_trips(client, lambda handshake: None)


def test_round_trip_counting_fails_on_a_connection_class_without_send_packed_command():
    pool = types.SimpleNamespace(connection_class=type("OldConnection", (), {"on_connect": lambda self: None}))
    with pytest.raises(patches.MissingPatchTarget, match="send_packed_command"):
        patches.count_round_trips(types.SimpleNamespace(topology="single", connection_pool=pool), print)
