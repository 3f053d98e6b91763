"""The browsers the matrix runs in: which engines are here, and how to launch each cookie profile.

Chromium comes from CHROMIUM_PATH, else a system Chromium on PATH, else Playwright's own download.
Firefox and WebKit run only when Playwright's own builds are installed (`playwright install`).
MATRIX_BROWSERS chooses engines (default: all three; those absent are reported, not run).
"""

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("chromium", "firefox", "webkit")
# default: third-party cookies blocked, as in Safari, Firefox and Chrome incognito.
PROFILES = ("default", "third_party_allowed")
SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
)
TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Engine:
    name: str
    executable: str | None  # None: absent
    why: str  # where it came from, or why it is absent

    @property
    def present(self):
        return self.executable is not None


def requested():
    """MATRIX_BROWSERS as a list of engine names (unknown names are an error)."""
    names = [n.strip() for n in os.environ.get("MATRIX_BROWSERS", ",".join(ENGINES)).split(",") if n.strip()]
    unknown = sorted(set(names) - set(ENGINES))
    if unknown:
        raise ValueError(f"MATRIX_BROWSERS: unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    return names


def find(playwright, name):
    """Locate one engine without launching it."""
    if name == "chromium":
        if os.environ.get("CHROMIUM_PATH"):
            path = os.environ["CHROMIUM_PATH"]
            return Engine(name, path, "CHROMIUM_PATH") if Path(path).exists() else Engine(name, None, f"CHROMIUM_PATH={path} does not exist")
        for command in SYSTEM_CHROMIUMS:
            if shutil.which(command):
                return Engine(name, shutil.which(command), "system")
    own = getattr(playwright, name).executable_path
    if Path(own).exists():
        return Engine(name, own, "Playwright's own")
    return Engine(name, None, f"absent: no system browser and no Playwright build at {own} (`playwright install {name}`)")


def engines(playwright):
    """Every requested engine, present or not."""
    return [find(playwright, name) for name in requested()]


def profile_supported(engine, profile):
    """WebKit has no switch to allow third-party cookies."""
    return not (engine.name == "webkit" and profile == "third_party_allowed")


def launch(playwright, engine, profile, user_data_dir):
    """A fresh persistent context of this engine in this cookie profile."""
    user_data_dir = Path(user_data_dir)
    options = {"headless": True, "executable_path": engine.executable}
    if engine.name == "chromium":
        options["args"] = list(CHROMIUM_FLAGS)
        if profile == "third_party_allowed":
            preferences = user_data_dir / "Default" / "Preferences"
            preferences.parent.mkdir(parents=True, exist_ok=True)
            preferences.write_text(json.dumps({"profile": {"cookie_controls_mode": 0}}))
    elif engine.name == "firefox" and profile == "third_party_allowed":
        options["firefox_user_prefs"] = {"network.cookie.cookieBehavior": 0}
    context = getattr(playwright, engine.name).launch_persistent_context(str(user_data_dir), **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def version(context):
    """The engine's version as the browser reports it."""
    return context.browser.version if context.browser else "unknown"
