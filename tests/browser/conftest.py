"""Browser fixtures: the demo's servers on free ports (http, and https for the HTTPS column), one browser per
engine and cookie profile (reused for the whole run), and the in-page runners' results, each run once and read
by many tests."""

import functools

import pytest
from playwright.sync_api import sync_playwright

from browser_matrix import browsers, runner
from stack import demo


@functools.cache
def found_engines():
    """Every engine MATRIX_BROWSERS asks for, located (not launched)."""
    with sync_playwright() as playwright:
        return tuple(browsers.engines(playwright))


LAUNCHED = {}  # engine name -> version, for the summary line


def present(engine_name=None):
    return [e for e in found_engines() if e.present and engine_name in (None, e.name)]


def engine_profiles():
    """(engine, profile) pairs to run: present engines x their profiles."""
    return [(e.name, p) for e in present() for p in browsers.profiles(e.name)]


def matrix_columns():
    """(engine, profile, scheme): every profile over http, and over https where the matrix runs it."""
    return [(e, p, s) for e, p in engine_profiles() for s in ("http", "https")
            if s == "http" or e in runner.https_engines()]


def pytest_generate_tests(metafunc):
    """`engine_profile` runs a test in each present engine and profile; `matrix_column` also over https."""
    for name, values in (("engine_profile", engine_profiles), ("matrix_column", matrix_columns)):
        if name in metafunc.fixturenames:
            found = values()
            metafunc.parametrize(name, found, ids=["-".join(v) for v in found], scope="session")
    if "engine_name" in metafunc.fixturenames:  # each present engine once, in its default profile
        names = [e.name for e in present()]
        metafunc.parametrize("engine_name", names, ids=names, scope="session")
    if "required_engine" in metafunc.fixturenames:
        metafunc.parametrize("required_engine", browsers.required())


def summary_lines():
    """Which engines ran (with their version) and which were absent; none if no browser test was collected."""
    if not found_engines.cache_info().currsize:
        return []
    lines = []
    for engine in found_engines():
        if engine.name in LAUNCHED:
            state = f"ran, version {LAUNCHED[engine.name]} ({engine.why}: {engine.executable})"
        else:
            state = f"present, not launched ({engine.executable})" if engine.present else engine.why
        lines.append(f"matrix browsers: {engine.name}: {state}")
    return lines


def pytest_terminal_summary(terminalreporter):
    """Say plainly which engines ran: here when the run is serial, from the workers' lines otherwise."""
    for line in summary_lines():
        terminalreporter.write_line(line)


def pytest_sessionfinish(session):
    """A parallel run's worker hands its lines to the controller, which prints them (tests/conftest.py)."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["matrix_browsers"] = summary_lines()


@pytest.fixture(scope="session")
def engine_here():
    """engine_here(name): that engine located; a test about one engine only is skipped where it is absent."""
    def get(name):
        [engine] = [e for e in found_engines() if e.name == name] or [None]
        if engine is None or not engine.present:
            pytest.skip(f"{name} is not here ({engine.why if engine else 'not in MATRIX_BROWSERS'})")
        return engine

    return get


@pytest.fixture(scope="session")
def servers(redis_service, tmp_path_factory):
    """API and both frontends on free ports (A on localhost, B on 127.0.0.1), on Redis database 1."""
    with demo.servers(tmp_path_factory.mktemp("servers"), redis_service.url.rsplit("/", 1)[0] + "/1") as origins:
        yield origins


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def https_servers(redis_service, tls, tmp_path_factory):
    """The same servers over TLS (`make run-https`), for the matrix's HTTPS column."""
    with demo.servers(tmp_path_factory.mktemp("https-servers"), redis_service.url.rsplit("/", 1)[0] + "/1",
                        tls) as origins:
        yield origins


@pytest.fixture(scope="session")
def origins_for(servers, https_servers):
    """origins_for("http" | "https"): that column's servers."""
    return {"http": servers, "https": https_servers}.get


@pytest.fixture(scope="session")
def browser_for(playwright, tls, tmp_path_factory):
    """browser_for(engine, profile, scheme="http"): one browser each for the whole run (Firefox takes seconds to
    start), launched on first use, trusting this run's TLS certificate, closed at the end. The HTTPS column has
    browsers of its own: the API's HSTS would upgrade every later http://localhost request (WebKit obeys it)."""
    opened = {}

    def get(engine_name, profile, scheme="http"):
        if profile == "default":  # the engine's default (Chromium: Debian's, as installed)
            profile = browsers.default_profile(engine_name)
        key = engine_name, profile, scheme
        if key not in opened:
            engine = browsers.find(playwright, engine_name)
            assert engine.present, engine.why
            opened[key] = browsers.launch(playwright, engine, profile, tmp_path_factory.mktemp("-".join(key)), tls)
            LAUNCHED[engine_name] = opened[key].version
        return opened[key]

    yield get
    for browser in opened.values():
        browser.close()


@pytest.fixture(scope="session")
def contexts(browser_for):
    """contexts("chromium", profile): the Playwright context under that shared Chromium, for the UI tests."""
    return lambda engine_name, profile: browser_for(engine_name, profile).context


@pytest.fixture(scope="session")
def matrix_cells(browser_for, origins_for):
    """matrix_cells(engine, profile, scheme, frontend): "Run the matrix here"'s cells (from B with the
    first-party check merged in; B_proxy: B through its own /api/), run once from an empty cookie jar, keyed by
    (method, storage, option)."""
    done = {}

    def get(engine_name, profile, scheme, frontend):
        if (engine_name, profile, scheme, frontend) not in done:
            cells = runner.run_matrix(browser_for(engine_name, profile, scheme), origins_for(scheme), frontend)
            done[engine_name, profile, scheme, frontend] = {(c["method"], c["storage"], c["cookie_option"]): c
                                                            for c in cells}
        return done[engine_name, profile, scheme, frontend]

    return get


@pytest.fixture(scope="session")
def measurements(browser_for, servers):
    """measurements(engine, profile, frontend): the "Measure" button's results over http, keyed by id."""
    done = {}

    def get(engine_name, profile, frontend):
        if (engine_name, profile, frontend) not in done:
            browser = browser_for(engine_name, profile)
            browser.clear_cookies((servers.api, servers.a, servers.b))
            found = runner.click_and_read(browser, servers.frontend(frontend), "#measure", "measurements")
            done[engine_name, profile, frontend] = {m["id"]: m for m in found}
        return done[engine_name, profile, frontend]

    return get


@pytest.fixture(scope="session")
def compared(browser_for, servers):
    """compared(engine, frontend): "Compare the methods"'s rows, clicked once per engine and frontend, by method."""
    done = {}

    def get(engine_name, frontend):
        if (engine_name, frontend) not in done:
            browser = browser_for(engine_name, "default")
            browser.clear_cookies((servers.api, servers.a, servers.b))
            rows = runner.click_and_read(browser, servers.frontend(frontend), "#run-compare", "compare")
            done[engine_name, frontend] = {row["method"]: row for row in rows}
        return done[engine_name, frontend]

    return get


@pytest.fixture
def open_frontend(contexts, servers):
    """open_frontend("A" | "B"): a fresh page on that frontend in Chromium's default profile (Debian's), from an
    empty cookie jar and an empty localStorage; every page it opened is closed after the test."""
    context = contexts("chromium", "default")
    pages = []

    def open_(frontend):
        context.clear_cookies()
        page = context.new_page()
        pages.append(page)
        page.goto(servers.frontend(frontend) + "/")
        page.evaluate("() => localStorage.clear()")
        page.reload()
        page.wait_for_function("() => window.authlab?.steps !== undefined")  # the method table is in, the page wired
        return page

    yield open_
    for page in pages:
        page.close()
