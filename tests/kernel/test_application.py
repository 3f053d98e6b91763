"""kernel/http/application.py: every app's Flask class answers JSON with the very bytes Flask would, binds its URL
map to a request as Flask would (host errors included), and hands a plain view or hook back as it is (a coroutine
function still goes to Flask)."""

import dataclasses
import datetime
import functools
import uuid

import pytest
from flask import Flask, jsonify
from werkzeug.test import EnvironBuilder

from kernel.http.application import Application


@dataclasses.dataclass
class Point:
    x: int
    y: int


ANSWERS = {
    "object": (({"user": "alice", "method": "signed", "expires_in": 3588},), {}),
    "keywords": ((), {"error": "unauthorized", "message": "no token"}),
    "non-ascii": (({"user": "zoë", "note": "pässwörd ✓"},), {}),
    "nested, unsorted": (({"b": {"z": 1, "a": [3, {"y": None, "x": True}]}, "a": 1.5},), {}),
    "a date, a uuid, a dataclass": (({"at": datetime.datetime(2026, 12, 6, 9, 30, tzinfo=datetime.UTC),
                                      "id": uuid.UUID(int=7), "p": Point(1, 2)},), {}),
    "a list": (([1, "two", None],), {}),
    "nothing": ((), {}),
    "two values": ((1, 2), {}),
}


@pytest.mark.parametrize("debug", [False, True], ids=["compact", "debug"])
@pytest.mark.parametrize(("args", "kwargs"), ANSWERS.values(), ids=ANSWERS.keys())
def test_json_answers_are_byte_for_byte_what_flask_sends(args, kwargs, debug):
    answers = []
    for app in (Application(__name__), Flask(__name__)):
        app.debug = debug
        with app.app_context():
            answers.append(jsonify(*args, **kwargs))
    ours, flasks = answers
    assert ours.get_data() == flasks.get_data()
    assert list(ours.headers.items()) == list(flasks.headers.items())


def test_json_answers_refuse_both_values_and_keywords_as_flask_does():
    with Application(__name__).app_context(), pytest.raises(TypeError):
        jsonify({"a": 1}, b=2)


def test_a_plain_function_is_handed_back_as_it_is():
    def view():
        return "ok"

    assert Application(__name__).ensure_sync(view) is view


def test_anything_else_goes_to_flask_which_knows_a_coroutine_function():
    app = Application(__name__)

    async def view():
        return "ok"

    with pytest.raises(RuntimeError, match="async"):  # Flask's answer without its `async` extra (asgiref)
        app.ensure_sync(view)
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(functools.partial(view))
    plain = functools.partial(print)
    assert app.ensure_sync(plain) is plain


def adapter_or_error(app, environ):
    """What `create_url_adapter` gives for this request: the adapter's fields and its match, or the exception."""
    try:
        adapter = app.create_url_adapter(app.request_class(environ))
    except Exception as exc:  # BadHost, SecurityError: the same one from both is the point
        return type(exc)
    fields = ("server_name", "script_name", "subdomain", "url_scheme", "path_info", "default_method", "query_args")
    try:
        matched = adapter.match(return_rule=True)[0].rule
    except Exception as exc:  # NotFound, MethodNotAllowed, a redirect
        matched = type(exc)
    return {**{name: getattr(adapter, name) for name in fields}, "matched": matched}


def environ(path="/api/signed/me", **kwargs):
    return EnvironBuilder(path=path, **kwargs).get_environ()


REQUESTS = {
    "localhost": environ(base_url="http://localhost:8000"),
    "upper case host": environ(headers={"Host": "LocalHost:8000"}),
    "the default port": environ(headers={"Host": "example.com:80"}),
    "https": environ(base_url="https://example.com:443"),
    "IPv6": environ(headers={"Host": "[::1]:8000"}),
    "an IDNA name": environ(headers={"Host": "xn--bcher-kva.example"}),
    "a non-ASCII host": environ(headers={"Host": "bücher.example"}),
    "an empty label": environ(headers={"Host": "a..b"}),
    "a label too long": environ(headers={"Host": "a" * 64 + ".example"}),
    "no Host header": {k: v for k, v in environ().items() if k != "HTTP_HOST"},
    "a script root": environ(path="/api/signed/me", base_url="http://localhost/prefix"),
    "a query and non-ASCII path": environ(path="/api/s%C3%A9/me", query_string="a=1&b=%FF"),
    "a trailing-slash redirect": environ(path="/api/signed"),
    "a WebSocket upgrade": environ(headers={"Connection": "Upgrade", "Upgrade": "websocket"}),
    "a POST to a GET route": environ(method="POST"),
}


@pytest.mark.parametrize("config", [{}, {"TRUSTED_HOSTS": ["localhost"]}, {"SERVER_NAME": "localhost:8000"}],
                         ids=["plain", "trusted hosts", "server name"])
@pytest.mark.parametrize("request_environ", REQUESTS.values(), ids=REQUESTS.keys())
def test_the_url_adapter_is_the_one_flask_binds(request_environ, config):
    adapters = []
    for app in (Application(__name__), Flask(__name__)):
        app.config.update(config)
        app.add_url_rule("/api/signed/me", "me", lambda: "")
        app.add_url_rule("/api/signed/", "signed", lambda: "")
        adapters.append(adapter_or_error(app, dict(request_environ)))
    assert adapters[0] == adapters[1]


def hooks_seen(app_class, path="/x", **register):
    """Which hooks ran, in order, for one request to an app of `app_class` with those hooks registered."""
    app, seen = app_class(__name__), []

    def view(name):
        seen.append(f"view {name}")
        if name == "fail":
            raise ValueError("the view failed")
        return ""

    app.add_url_rule("/<name>", "view", view)
    if register.get("url_value"):
        app.url_value_preprocessor(lambda endpoint, values: seen.append(f"url value {values['name']}"))
    if register.get("before"):
        app.before_request(lambda: seen.append("before"))
    if register.get("teardown"):
        app.teardown_request(lambda exc: seen.append(f"teardown {exc!r}"))

    def tearing_down(sender, exc, **extra):
        seen.append(f"tearing-down signal {exc!r}")

    from flask.signals import request_tearing_down

    with request_tearing_down.connected_to(tearing_down, app):
        app.test_client().get(path)
    return seen


@pytest.mark.parametrize("register", [{}, {"url_value": True}, {"before": True}, {"teardown": True},
                                      {"url_value": True, "before": True, "teardown": True}],
                         ids=["none", "url value preprocessor", "before_request", "teardown_request", "all three"])
def test_request_hooks_and_the_teardown_signal_run_as_in_flask(register):
    seen = hooks_seen(Application, **register)
    assert seen == hooks_seen(Flask, **register)
    assert seen[-1] == "tearing-down signal None"


@pytest.mark.parametrize("register", [{}, {"teardown": True}], ids=["no teardown hook", "a teardown hook"])
def test_a_failed_views_exception_reaches_the_teardown_as_in_flask(register):
    seen = hooks_seen(Application, "/fail", **register)
    assert seen == hooks_seen(Flask, "/fail", **register)
    assert seen[-1] == "tearing-down signal ValueError('the view failed')"
