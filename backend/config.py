"""Configuration from environment variables, with dev defaults that say so loudly."""

import logging
import os
from urllib.parse import urlsplit

log = logging.getLogger("authlab.config")

_DEV_SECRET = "dev-only-secret-key-change-me-0123456789abcdef"


def _flag(value):
    return value.strip().lower() not in ("0", "false", "no", "off", "")


# name -> (dev default, parser). Every one is documented in README.md "Configuration".
SETTINGS = {
    "SECRET_KEY": (_DEV_SECRET, str),
    "REDIS_URL": ("redis://127.0.0.1:6380/0", str),
    "API_ORIGIN": ("http://localhost:8000", str),
    "FRONTEND_A_ORIGIN": ("http://localhost:8001", str),
    "FRONTEND_B_ORIGIN": ("http://127.0.0.1:8002", str),
    "ISSUER_ORIGIN": ("http://127.0.0.1:8003", str),
    "COOKIE_SAMESITE": ("Lax", str),
    "COOKIE_SECURE": ("0", _flag),
    "DEMO_COOKIE_OPTIONS": ("1", _flag),
    "SESSION_STORE": ("redis", str),
    "SESSION_IDLE_TIMEOUT": ("1800", int),
    "SESSION_ABSOLUTE_TIMEOUT": ("28800", int),
    "REDIS_TIMEOUT": ("0.5", float),
    "LOGIN_USER_LIMIT": ("10/minute;100/hour", str),
    "LOGIN_CLIENT_LIMIT": ("30/minute;300/hour", str),
    "TRUSTED_PROXIES": ("0", int),
    "HSTS_MAX_AGE": ("300", int),
}

# Defaults that are fine for a laptop but must never reach a real deployment.
_MUST_OVERRIDE = {"SECRET_KEY"}


def raw(name):
    """One setting's text as the environment gives it, or its dev default (for the launcher scripts)."""
    return os.environ.get(name, SETTINGS[name][0])


def from_env(environ=None):
    """Read every setting from the environment, warning about each dev default used."""
    environ = os.environ if environ is None else environ
    config, defaulted = {}, []
    for name, (default, parse) in SETTINGS.items():
        raw = environ.get(name)
        if raw is None:
            defaulted.append(name)
            raw = default
        config[name] = parse(raw)
    loud = sorted(_MUST_OVERRIDE.intersection(defaulted))
    if loud:
        log.warning("using the public DEV default for %s: set it in the environment for anything real", ", ".join(loud))
    quiet = [name for name in defaulted if name not in _MUST_OVERRIDE]
    if quiet:
        log.warning("dev defaults in use for: %s", ", ".join(quiet))
    return config


def derived(config):
    """Settings computed from others, so one variable never has to be set twice."""
    from .cookies import name as cookie_name

    https = urlsplit(config["API_ORIGIN"]).scheme == "https"  # HTTPS mode: every auth cookie Secure + __Host-
    return {
        "HTTPS": https,
        "COOKIE_SECURE": config["COOKIE_SECURE"] or https,
        "CORS_ORIGINS": [config["FRONTEND_A_ORIGIN"], config["FRONTEND_B_ORIGIN"]],
        "SESSION_COOKIE_NAME": cookie_name("session_id", https=https),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": config["COOKIE_SAMESITE"],
        "SESSION_COOKIE_SECURE": config["COOKIE_SECURE"] or https,
        "PERMANENT_SESSION_LIFETIME": config["SESSION_IDLE_TIMEOUT"],
    }
