"""RFC 10017 in real browsers: the page's "Browser apps" section, and its §5.1 payloads run in each engine against the
real AS, both BFFs and the collector, each cell of the attack table asserted from the collector's records as the page
shows them."""

import base64
import hashlib
import json
import secrets
import time

import pytest
import requests

from stack import procs
from stack.environment import api_environment
from tests.conftest import SECRET

from .test_accessibility import AXE, violations

pytestmark = pytest.mark.browser

INTERVAL_S = 0.2  # how often the payloads poll and look again during a test
BROWSER_STORAGES = ("localStorage", "sessionStorage", "memory", "worker", "dpop")
PAYLOADS = ("steal-once", "new-flow", "proxy", "steal-persistently")  # in the order one login runs them
# frontend, architecture, storage, payload: the cells of a page whose only client is a BFF's (A's or B's)
CELLS = [("a", "tmb", storage, payload) for storage in ("memory", "sessionStorage", "localStorage")
         for payload in PAYLOADS] + [
    (frontend, "bff", "cookie", payload) for frontend in ("a", "b") for payload in PAYLOADS]


@pytest.fixture(scope="module")
def stack(redis_service, tmp_path_factory):
    """The API, pages A and B, the AS, both BFFs and the collector on free ports (Redis database 2), related as
    `make run` relates them (A and its BFF on localhost; B, its BFF, the AS and the collector on 127.0.0.1)."""
    api, page_a, page_b, issuer, bff_a, bff_b, collector = (procs.free_port() for _ in range(7))
    origins = {"api": f"http://localhost:{api}", "a": f"http://localhost:{page_a}", "b": f"http://127.0.0.1:{page_b}",
               "issuer": f"http://127.0.0.1:{issuer}", "bff": f"http://localhost:{bff_a}",
               "bff_b": f"http://127.0.0.1:{bff_b}", "collector": f"http://127.0.0.1:{collector}"}
    env = api_environment(
        api, redis_service.url.rsplit("/", 1)[0] + "/2", SECRET, lenient_limits=True,
        JWT_SECRET=secrets.token_hex(32), FRONTEND_A_ORIGIN=origins["a"], FRONTEND_B_ORIGIN=origins["b"],
        ISSUER_ORIGIN=origins["issuer"], BFF_A_ORIGIN=origins["bff"], BFF_A_CLIENT_SECRET=secrets.token_hex(16),
        BFF_B_ORIGIN=origins["bff_b"], BFF_B_CLIENT_SECRET=secrets.token_hex(16),
        COLLECTOR_ORIGIN=origins["collector"], DEMO_COOKIE_OPTIONS="1",
        COLLECTOR_DELAYS="3600",  # no scheduled use during a test: it asks for replays
    )
    logs = tmp_path_factory.mktemp("browser-apps")
    services = [procs.api(api, env, workers=1, log=logs / "api.log"),
                procs.issuer(issuer, env, log=logs / "issuer.log"),
                procs.frontend("frontend_a", page_a, env, log=logs / "frontend_a.log"),
                procs.frontend("frontend_b", page_b, env, log=logs / "frontend_b.log"),
                procs.bff("a", bff_a, env, log=logs / "bff_a.log"),
                procs.bff("b", bff_b, env, log=logs / "bff_b.log"),
                procs.collector(collector, env, log=logs / "collector.log")]
    try:
        for service in services:
            service.start()
        yield {**origins, "env": env}
    finally:
        for service in reversed(services):
            service.stop()


def proxied_count(stack, run):
    """How many answers the page has proxied for the collector in this run."""
    items = requests.get(f"{stack['collector']}/records", params={"run": run}, timeout=5).json()["items"]
    return sum(item["kind"] == "proxied" for item in items)


def wait_for_proxied(page, stack, run):
    """Until the collector has an answer the open page proxied for it (§5.1.4), polled from the page."""
    records = f"{stack['collector']}/records?run={run}"
    assert page.evaluate(f"""(async () => {{
        for (let i = 0; i < 100; i += 1) {{
            const {{ items }} = await fetch({records!r}).then((r) => r.json());
            if (items.some((item) => item.kind === 'proxied')) return true;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }}
        return false;
    }})()"""), "the open page proxied nothing"


def open_attack(page):
    """Unfold the demo part, as a person would, and wait for its controls (drawn on the details' toggle)."""
    page.evaluate("document.querySelector('#browser-apps-attack').open = true")
    page.wait_until("!document.querySelector('#browser-apps-attack-controls').hidden", 5_000)


def open_section(browser, stack, architecture, storage, frontend="a"):
    """The page from empty Web Storage, the section set to this architecture and storage, the payloads' timers short."""
    page = browser.open(stack[frontend] + "/")
    page.evaluate("(localStorage.clear(), sessionStorage.clear())")
    page.goto(stack[frontend] + "/")
    page.wait_until("window.authlab?.browserApps !== undefined", 10_000)
    for name, value in (("architecture", architecture), ("storage", storage)):
        page.evaluate(f"document.querySelector('input[name=\"browser-apps-{name}\"][value=\"{value}\"]').click()")
    short_timers(page, architecture)
    open_attack(page)
    return page


def short_timers(page, architecture):
    """The payloads' timers short for a test, again after every navigation (the AS's login page and back load the
    module anew): polls every INTERVAL_S; a silent flow's frame waited for 3 s (a browser client's comes back within
    a second or two), 1.5 s where it never comes back (a BFF's code goes to the BFF)."""
    wait = 3000 if architecture == "browser" else 1500
    page.evaluate("import('/shared/malicious_scripts.js').then((m) => {"
                  f" m.timing.intervalMs = {INTERVAL_S * 1000}; m.timing.silentFlowMs = {wait}; }})")


def test_the_section_offers_each_architecture_its_storages_and_keeps_the_choice(open_frontend):
    """A BFF leaves the page nothing to store; the browser client offers all five; a reload keeps the choice."""
    page = open_frontend("A")
    storages = lambda: page.eval_on_selector_all('input[name="browser-apps-storage"]', "els => els.map(e => e.value)")  # noqa: E731
    assert storages() == ["localStorage", "sessionStorage", "memory", "worker", "dpop"]
    page.check('input[name="browser-apps-architecture"][value="bff"]')
    assert storages() == ["cookie"]
    page.check('input[name="browser-apps-architecture"][value="tmb"]')
    page.check('input[name="browser-apps-storage"][value="localStorage"]')
    page.reload()
    assert page.evaluate("() => window.authlab.browserApps.choice") == {"architecture": "tmb",
                                                                        "storage": "localStorage"}
    assert page.is_checked('input[name="browser-apps-storage"][value="localStorage"]')


def test_the_vendored_client_computes_s256_and_keeps_the_dpop_key_unexportable(open_frontend):
    """oauth4webapi runs under the page's policy: its S256 challenge is RFC 7636's; the DPoP private key in IndexedDB
    refuses export, and after a reload it is the same key (the thumbprint of its public half is unchanged)."""
    page = open_frontend("B")
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    challenge = page.evaluate(
        "v => import('/shared/vendor/oauth4webapi.js').then((o) => o.calculatePKCECodeChallenge(v))", verifier)
    assert challenge == expected == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    thumbprint = """() => import('/shared/browser_client.js').then(async (app) => {
        const keys = await app.dpopKeys({ create: true });
        const exported = await crypto.subtle.exportKey('jwk', keys.privateKey).then(() => 'exported', (e) => e.name);
        const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
        return [exported, keys.privateKey.extractable, jwk.x + jwk.y];
    })"""
    first = page.evaluate(thumbprint)
    assert first[:2] == ["InvalidAccessError", False]
    page.reload()
    assert page.evaluate(thumbprint) == first
    page.evaluate("() => new Promise((done) => { indexedDB.deleteDatabase('authlab-dpop').onsuccess = done; })")


def log_in_at_the_as(page, frontend_origin, form=True, back="login"):
    """Press the section's Log in: the AS's login page (a form; not again while the AS session lasts), alice's
    password, and back on the page's `/` (the browser client redeems the code itself, `back` = "login"; a BFF has
    done it on its callback, and the page shows its session, `back` = "session"); then Call me."""
    page.evaluate("window.leftBehind = true")  # gone once the AS has sent the browser back: a new document
    page.click('button[data-browser-apps="login"]')
    if form:
        page.wait_until("document.querySelector('form input[name=\"username\"]') !== null", 10_000)
        page.evaluate("(document.querySelector('input[name=\"username\"]').value = 'alice',"
                      " document.querySelector('input[name=\"password\"]').value = 'wonderland')")
        page.click("form button")
    page.wait_until(f"location.origin === {frontend_origin!r} && window.leftBehind === undefined"
                    f" && window.authlab?.browserApps?.last?.step === {back!r}", 15_000)
    login = page.evaluate("window.authlab.browserApps.last")
    assert login["status"] == 200, login
    page.click('button[data-browser-apps="me"]')
    page.wait_until("window.authlab.browserApps.last.step === 'me'", 10_000)
    me = page.evaluate("window.authlab.browserApps.last")
    assert me["status"] == 200 and me["body"]["user"] == "alice", me
    open_attack(page)


def attack(browser, stack, frontend, architecture, storage):
    """One login on `frontend` in this architecture and storage, each payload run in it (a run each), the page left,
    the collector's replay, and the cells the page then shows: {payload: cell}. A cell also says how many requests
    went through the page after it was gone (`proxied_after_leaving`)."""
    origin = stack[frontend]
    browser.clear_cookies((stack["api"], stack["a"], stack["b"], stack["issuer"], stack["bff"], stack["bff_b"]))
    page = open_section(browser, stack, architecture, storage, frontend)
    # the BFF's login (its callback sets its cookie), or the browser client's own; the token-mediating page's
    # Call me gets its access token from /bff/token and keeps it
    log_in_at_the_as(page, origin, back="login" if architecture == "browser" else "session")
    short_timers(page, architecture)
    runs, notes = {}, {}
    for payload in PAYLOADS:
        if payload == "steal-persistently" and architecture == "browser":
            # a login of its own: the collector's use of the first theft rotated the refresh token, so the copy the
            # app still holds is spent; sent again, it would be a reuse, and the AS revokes the whole family
            wait_for_proxied(page, stack, runs["proxy"])
            log_in_at_the_as(page, origin, form=False)
            short_timers(page, architecture)
        runs[payload] = page.evaluate("window.authlab.browserApps.newRun()")
        key = f"{architecture}/{storage}/{payload}"
        page.click(f'button[data-payload="{payload}"]')
        page.wait_until(f"window.authlab.browserApps.payloads[{key!r}] !== undefined", 15_000)
        notes[payload] = page.evaluate(f"window.authlab.browserApps.payloads[{key!r}]")
    if "proxy" in runs:
        wait_for_proxied(page, stack, runs["proxy"])
    page.goto("about:blank")  # the page is gone: its pagehide notes when, for "used after the tab closed"
    left = time.monotonic()
    proxied = {payload: proxied_count(stack, run) for payload, run in runs.items()}
    for run in runs.values():
        assert requests.post(f"{stack['collector']}/replay", params={"run": run}, timeout=10).status_code == 200
    page.goto(origin + "/")
    page.wait_until("window.authlab?.browserApps !== undefined", 10_000)
    cells = {}
    for payload, run in runs.items():
        key = f"{architecture}/{storage}/{payload}"
        [cells[payload]] = page.evaluate(f"""(() => {{
            const apps = window.authlab.browserApps;
            apps.run = {run!r};
            apps.payloads = {{ [{key!r}]: {json.dumps(notes[payload])} }};
            return apps.showVerdicts();
        }})()""")
        cells[payload]["seen"] = notes[payload]
    page.close()
    time.sleep(max(0.0, 5 * INTERVAL_S - (time.monotonic() - left)))  # five of the payloads' polls since it was left
    for payload, run in runs.items():
        cells[payload]["proxied_after_leaving"] = proxied_count(stack, run) - proxied[payload]
    return cells


@pytest.fixture(scope="module")
def attack_cells(stack, browser_for):
    """attack_cells(engine, frontend, architecture, storage): attack() run once per module, read by each cell's test."""
    done = {}

    def get(engine_name, frontend, architecture, storage):
        key = engine_name, frontend, architecture, storage
        if key not in done:
            done[key] = attack(browser_for(engine_name, "default"), stack, frontend, architecture, storage)
        return done[key]

    yield get
    for engine_name in {key[0] for key in done}:  # the shared browsers leave with empty jars
        browser_for(engine_name, "default").clear_cookies(
            (stack["api"], stack["a"], stack["b"], stack["issuer"], stack["bff"], stack["bff_b"]))


@pytest.mark.parametrize(("frontend", "architecture", "storage", "payload"), CELLS,
                         ids=["-".join(cell) for cell in CELLS])
def test_the_mediated_cell(attack_cells, engine_name, frontend, architecture, storage, payload):
    """A token-mediating backend leaks the access token (alive after the page is gone) and never the refresh token
    (§6.2); a BFF page leaks no token at all (§6.1), A's as B's, whose BFF is same-site with the AS too; a silent
    flow from either gets no code the attacker can redeem (the page's only client is the BFF's, whose code goes to
    the BFF); proxying works through both, only while the page is open (§5.1.4)."""
    cell = attack_cells(engine_name, frontend, architecture, storage)[payload]
    if payload == "proxy":
        assert cell["got"] == [] and cell["proxied"] is True and cell["used"] is False, cell
        assert cell["proxied_after_leaving"] <= 1, cell  # one answer may still have been on its way
        assert cell["section"] == "§5.1.4"
    elif payload == "new-flow":  # the only client such a page has is the BFF's: its code goes to the BFF's callback
        assert cell["got"] == [] and cell["used"] is False, cell
        assert cell["section"] == ("§6.1" if architecture == "bff" else "§6.2")
    elif architecture == "bff":
        assert cell["got"] == [] and cell["used"] is False, cell  # a BFF session's tokens never reach the page (§6.1)
        assert cell["section"] == "§6.1"
    else:
        assert cell["got"] == ["access_token"], cell  # never the refresh token: it stays in the BFF
        assert cell["used"] is True and cell["after_close"] is True, cell
        assert cell["section"] == "§6.2"


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("storage", BROWSER_STORAGES)
def test_the_browser_client_cell(attack_cells, engine_name, storage, payload):
    """From B (same-site with the AS): RFC 10017 §6.3, the browser client is open to every payload whatever the
    storage; a worker keeps only the refresh token from a script (§8); DPoP makes what is taken useless away from the
    page's key (§9.2) but stops neither a new flow nor proxying."""
    cell = attack_cells(engine_name, "b", "browser", storage)[payload]
    if payload in ("steal-once", "steal-persistently"):
        if storage == "worker":
            assert cell["got"] == ["access_token"], cell  # the refresh token never leaves the worker
            assert cell["used"] is True and cell["after_close"] is True, cell
        elif storage == "dpop":
            assert sorted(cell["got"]) == ["access_token", "refresh_token"], cell
            assert cell["used"] is False, cell  # bound to a key that never left the browser
            assert "non-extractable" in " ".join(cell["seen"]["notes"]), cell
        else:
            assert sorted(cell["got"]) == ["access_token", "refresh_token"], cell
            assert cell["used"] is True and cell["after_close"] is True, cell
    elif payload == "new-flow":
        assert cell["got"] == ["code"], cell  # the attacker's own PKCE: the collector redeems it, any storage
        assert cell["used"] is True and cell["after_close"] is True, cell
    else:
        assert cell["got"] == [] and cell["proxied"] is True and cell["proxied_after_leaving"] <= 1, cell
    assert cell["expects"] == browser_client_expectation(storage, payload)


def browser_client_expectation(storage, payload):
    """What the page says RFC 10017 expects of the cell (its own table, frontend_shared/browser_apps.js)."""
    if payload == "proxy":
        return "works, only while the page is open"
    if payload == "new-flow":
        return "new tokens: DPoP does not stop a new flow" if storage == "dpop" else "new tokens, whatever the storage"
    return {"worker": "access token only: the worker keeps the refresh token",
            "dpop": "tokens taken, useless away from the page's key"}.get(storage, "access and refresh token")


def test_a_silent_flow_from_another_site_than_the_as_gets_no_code(attack_cells, engine_name):
    """From A (localhost, another site than the AS on 127.0.0.1) the hidden frame's request carries no AS session
    cookie (SameSite=Lax): the AS answers login_required, and the page says so. Stealing still works there."""
    cells = attack_cells(engine_name, "a", "browser", "sessionStorage")
    refused = cells["new-flow"]["refused"]
    assert cells["new-flow"]["got"] == [] and "login_required" in refused and "SameSite=Lax" in refused, refused
    assert sorted(cells["steal-once"]["got"]) == ["access_token", "refresh_token"], cells["steal-once"]


def test_the_section_has_no_axe_violations_with_a_verdict_table(stack, browser_for):
    """axe-core on the page with the section in use: logged in at the AS, the demo part open, a payload run and the
    collector's verdicts drawn as a table. Zero violations."""
    browser = browser_for("chromium", "default")
    browser.clear_cookies()
    page = open_section(browser, stack, "browser", "sessionStorage", "b")
    log_in_at_the_as(page, stack["b"])
    page.click('button[data-payload="steal-once"]')
    page.wait_until("window.authlab.browserApps.payloads['browser/sessionStorage/steal-once'] !== undefined", 15_000)
    page.click("#browser-apps-verdicts")
    page.wait_until("document.querySelector('#browser-apps-table table') !== null", 10_000)
    found = violations(page.page, AXE.read_text())  # axe-core, pinned in package-lock.json (make install)
    page.close()
    browser.clear_cookies()
    assert found == []
