"""What `/api/public` runs besides its view: nothing of any method, the demo or the audit log (docs/bench.md)."""

import pytest


@pytest.mark.parametrize("demo", [True, False])
def test_public_runs_only_the_cors_check_among_flask_hooks(make_app, demo):
    """App-wide hooks run for every request: only flask-cors's remains, and it returns at once without an Origin
    (kernel/patches.py); the shared endpoints' blueprint has none of its own; nothing runs before a request."""
    app = make_app(DEMO_COOKIE_OPTIONS=demo)
    app_wide = [getattr(hook, "skips_without_origin", hook.__qualname__) for hook in app.after_request_funcs[None]]
    assert app_wide == [True]
    assert app.after_request_funcs.get("common", []) == [] and not any(app.before_request_funcs.values())


def test_a_signed_token_me_runs_its_check_and_the_audit_hook_only(make_app):
    """The signed token's blueprint runs its audit hook (a `me` success returns at once); no other hook."""
    app = make_app()
    assert len(app.after_request_funcs["signed"]) == 1 and not any(app.before_request_funcs.values())
