"""kernel/http/application.py: every app's Flask class answers JSON with the very bytes Flask would, and hands a
plain view or hook back as it is (a coroutine function still goes to Flask)."""

import dataclasses
import datetime
import functools
import uuid

import pytest
from flask import Flask, jsonify

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
