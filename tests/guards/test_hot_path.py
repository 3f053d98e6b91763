"""What `/api/public` runs besides its view: nothing of any method, the demo or the audit log (docs/bench.md)."""

import pytest


@pytest.mark.parametrize("demo", [True, False])
def test_public_runs_no_flask_hook(make_app, demo):
    """App-wide hooks run for every request: there are none (CORS's is attached per request, below); the shared
    endpoints' blueprint has none of its own; nothing runs before a request."""
    app = make_app(DEMO_COOKIE_OPTIONS=demo)
    assert app.after_request_funcs[None] == [] and app.after_request_funcs.get("common", []) == []
    assert not any(app.before_request_funcs.values())


@pytest.mark.parametrize(("headers", "hooks"), [({}, 0), ({"Origin": "http://localhost:8001"}, 1)],
                         ids=["no-origin", "origin"])
def test_the_cors_hook_runs_only_for_a_request_with_an_origin(make_app, headers, hooks):
    """kernel/http/cors.py: flask-cors's hook is attached to the request contexts that bring an Origin."""
    app = make_app()
    with app.test_request_context("/api/public", headers=headers) as context:
        assert context._after_request_functions == [app.cors_hook] * hooks


def test_a_signed_token_me_runs_its_check_and_the_audit_hook_only(make_app):
    """The signed token's blueprint runs its audit hook (a `me` success returns at once); no other hook."""
    app = make_app()
    assert len(app.after_request_funcs["signed"]) == 1 and not any(app.before_request_funcs.values())
