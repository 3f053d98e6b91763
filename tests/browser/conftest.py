"""Browser fixtures: the demo's servers on free ports, one browser context per engine and cookie profile
(reused for the whole run), and the in-page runners' results, each run once and read by many tests."""

import functools

import pytest
from playwright.sync_api import sync_playwright

from stack import browsers, matrix


@functools.cache
def found_engines():
    """Every engine MATRIX_BROWSERS asks for, located (not launched)."""
    with sync_playwright() as playwright:
        return tuple(browsers.engines(playwright))


def present(engine_name=None):
    return [e for e in found_engines() if e.present and engine_name in (None, e.name)]


def engine_profiles():
    """(engine, profile) pairs to run: present engines x the profiles they support."""
    return [(e.name, p) for e in present() for p in browsers.PROFILES if browsers.profile_supported(e, p)]


def pytest_generate_tests(metafunc):
    """`engine_profile` runs every test that asks for it in each present engine and profile."""
    if "engine_profile" in metafunc.fixturenames:
        pairs = engine_profiles()
        metafunc.parametrize("engine_profile", pairs, ids=[f"{e}-{p}" for e, p in pairs], scope="session")


def pytest_terminal_summary(terminalreporter):
    """Say plainly which engines ran and which were absent."""
    if not found_engines.cache_info().currsize:
        return
    for engine in found_engines():
        state = f"ran ({engine.why}: {engine.executable})" if engine.present else engine.why
        terminalreporter.write_line(f"matrix browsers: {engine.name}: {state}")


@pytest.fixture(scope="session")
def servers(redis_service, tmp_path_factory):
    """API and both frontends on free ports (A on localhost, B on 127.0.0.1), on Redis database 1."""
    with matrix.servers(tmp_path_factory.mktemp("servers"), redis_service.url.rsplit("/", 1)[0] + "/1") as origins:
        yield origins


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def contexts(playwright, tmp_path_factory):
    """contexts(engine, profile): one persistent context each, launched on first use, closed at the end."""
    opened = {}

    def get(engine_name, profile):
        if (engine_name, profile) not in opened:
            engine = browsers.find(playwright, engine_name)
            assert engine.present, engine.why
            user_data_dir = tmp_path_factory.mktemp(f"{engine_name}-{profile}")
            opened[engine_name, profile] = browsers.launch(playwright, engine, profile, user_data_dir)
        return opened[engine_name, profile]

    yield get
    for context in opened.values():
        context.close()


@pytest.fixture(scope="session")
def matrix_cells(contexts, servers):
    """matrix_cells(engine, profile, frontend): the in-page runner's cells, keyed by (method, storage, option)."""
    runs = {}

    def get(engine_name, profile, frontend):
        if (engine_name, profile, frontend) not in runs:
            context = contexts(engine_name, profile)
            context.clear_cookies()  # start from an empty jar; the runner also logs out what it logs in
            cells = matrix.run_in_page(context, servers.frontend(frontend))
            runs[engine_name, profile, frontend] = {(c["method"], c["storage"], c["cookie_option"]): c for c in cells}
        return runs[engine_name, profile, frontend]

    get.runs = runs
    return get


@pytest.fixture(scope="session")
def measurements(contexts, servers):
    """measurements(engine, profile, frontend): the page's "Measure" results, keyed by id (clicked once each)."""
    done = {}

    def get(engine_name, profile, frontend):
        if (engine_name, profile, frontend) not in done:
            context = contexts(engine_name, profile)
            context.clear_cookies()
            page = context.new_page()
            try:
                page.goto(servers.frontend(frontend) + "/")
                page.click("#measure")
                page.wait_for_function("() => window.authlab.measurements !== null", timeout=60_000)
                done[engine_name, profile, frontend] = {m["id"]: m for m in page.evaluate("() => window.authlab.measurements")}
            finally:
                page.close()
        return done[engine_name, profile, frontend]

    return get


@pytest.fixture
def open_frontend(contexts, servers):
    """open_frontend("A" | "B"): a fresh page on that frontend in Chromium's default profile, from an
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
        return page

    yield open_
    for page in pages:
        page.close()
