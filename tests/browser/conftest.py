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


def once_per_page(contexts, servers, button, key):
    """get(engine, profile, frontend): click `button` on that frontend once (from an empty cookie jar; the
    page logs out what it logs in) and keep what it shows in window.authlab[key] for every test that asks."""
    done = {}

    def get(engine_name, profile, frontend):
        if (engine_name, profile, frontend) not in done:
            context = contexts(engine_name, profile)
            context.clear_cookies()
            done[engine_name, profile, frontend] = matrix.click_and_read(context, servers.frontend(frontend), button, key)
        return done[engine_name, profile, frontend]

    return get


@pytest.fixture(scope="session")
def matrix_cells(contexts, servers):
    """matrix_cells(engine, profile, frontend): "Run the matrix here"'s cells, keyed by (method, storage, option)."""
    run = once_per_page(contexts, servers, "#run-matrix", "matrix")
    return lambda *where: {(c["method"], c["storage"], c["cookie_option"]): c for c in run(*where)}


@pytest.fixture(scope="session")
def measurements(contexts, servers):
    """measurements(engine, profile, frontend): the "Measure" button's results, keyed by id."""
    run = once_per_page(contexts, servers, "#measure", "measurements")
    return lambda *where: {m["id"]: m for m in run(*where)}


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
