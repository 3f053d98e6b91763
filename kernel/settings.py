"""Configuration from environment variables, with dev defaults that say so loudly."""

import logging
import os
from urllib.parse import urlsplit

log = logging.getLogger("authlab.config")

_DEV_SECRET = "dev-only-secret-key-change-me-0123456789abcdef"
_DEV_JWT_SECRET = "dev-only-jwt-hmac-key-change-me-0123456789abcdef"


def _flag(value):
    return value.strip().lower() not in ("0", "false", "no", "off", "")


# name -> (dev default, parser). Every one is documented in docs/configuration.md.
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
    "REDIS_WAIT_REPLICAS": ("auto", str),  # replicas a revocation waits for: auto (1 if the primary has any), or N
    "REDIS_WAIT_TIMEOUT_MS": ("300", int),
    "LOGIN_USER_LIMIT": ("10/minute;100/hour", str),
    "LOGIN_CLIENT_LIMIT": ("60/minute;600/hour", str),
    "TRUSTED_PROXIES": ("0", int),
    "HSTS_MAX_AGE": ("300", int),
    "ISSUER_CA_FILE": ("", str),
    "TOKEN_TTL": ("3600", int),
    "SIGNED_TOKEN_SECRETS": ("", str),
    "JWT_SECRET": (_DEV_JWT_SECRET, str),
    "JWT_AUDIENCE": ("authlab-api", str),
    "JWT_ACCESS_TTL": ("300", int),
    "JWT_REFRESH_TTL": ("86400", int),
    "JWT_LEEWAY": ("10", int),
    "JWT_MAX_LIFETIME": ("3600", int),
    "JWT_REVOCATION_CHECK": ("on", _flag),
    "JWKS_CACHE_SECONDS": ("300", float),
    "JWKS_REFETCH_COOLDOWN": ("30", float),
    "ISSUER_ALGORITHM": ("RS256", str),
    "ISSUER_KEY_OVERLAP": ("900", int),
    "ISSUER_ROTATE_SECRET": ("", str),  # the issuer's `POST /rotate` needs it; unset, rotation is off
    "BFF_A_ORIGIN": ("http://localhost:8004", str),  # the BFFs: redirect URIs of the AS's confidential clients
    "BFF_B_ORIGIN": ("http://127.0.0.1:8005", str),
    "BFF_A_CLIENT_SECRET": ("", str),  # authlab-bff-a's client secret at the AS; unset, that client is off
    "BFF_B_CLIENT_SECRET": ("", str),
    "AS_CODE_TTL": ("60", int),  # seconds an authorization code lives (single-use)
    "AS_REFRESH_FAMILY_TTL": ("86400", int),  # a refresh-token family's whole life; rotation never extends it
    # The backend-for-frontend (bff/) and the attacker's collector (collector/): docs/browser-apps.md.
    "BFF_SITE": ("a", str),  # which frontend this BFF process serves: a or b
    "BFF_SESSION_TTL": ("28800", int),
    "BFF_REFRESH_MARGIN": ("30", int),
    "BFF_API_PATHS": ("jwt/me", str),
    "COLLECTOR_ORIGIN": ("http://127.0.0.1:8006", str),
    "COLLECTOR_DELAYS": ("30,120,600", str),
    "COLLECTOR_TTL": ("1800", int),
    "KEEP_HASH_MEMORY": ("1", _flag),  # keep scrypt's work area between password checks (kernel/hash_memory.py)
    "ALLOW_DEV_SECRETS": ("0", _flag),  # tests that ask for the public defaults; `make run` generates its own
}

# Defaults that are fine for a laptop but must never reach a real deployment.
_MUST_OVERRIDE = {"SECRET_KEY", "JWT_SECRET"}


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
    for name in sorted(_MUST_OVERRIDE.intersection(defaulted)):
        log.warning("using the public DEV default for %s: set it in the environment for anything real", name)
    quiet = [name for name in defaulted if name not in _MUST_OVERRIDE | {"ALLOW_DEV_SECRETS"}]
    if quiet:
        log.warning("dev defaults in use for: %s", ", ".join(quiet))
    return config


def refuse_public_secrets(config, names=_MUST_OVERRIDE):
    """Refuse to build an app (the API, the issuer) on a secret published in this file, unless ALLOW_DEV_SECRETS
    says it is a test; `names`: the secrets that app uses."""
    public = {_DEV_SECRET, _DEV_JWT_SECRET}
    known = sorted(name for name in names if config[name] in public)
    if known and not config["ALLOW_DEV_SECRETS"]:
        raise RuntimeError(
            f"refusing to start: {', '.join(known)} is the public default from kernel/settings.py, so anyone can "
            "forge credentials; set a random value (`make run` generates and keeps one under var/) "
            "or ALLOW_DEV_SECRETS=1 for a throwaway test"
        )


def derived(config):
    """Settings computed from others, so one variable never has to be set twice (the API's, after its checks)."""
    refuse_public_secrets(config)
    https = urlsplit(config["API_ORIGIN"]).scheme == "https"  # HTTPS mode: auth cookies Secure and prefixed
    return {
        "HTTPS": https,
        "COOKIE_SECURE": config["COOKIE_SECURE"] or https,
        "CORS_ORIGINS": [config["FRONTEND_A_ORIGIN"], config["FRONTEND_B_ORIGIN"]],
        "SESSION_COOKIE_NAME": "session_id",  # the base name: kernel/http/cookies.py prefixes it in HTTPS mode
        "PERMANENT_SESSION_LIFETIME": config["SESSION_IDLE_TIMEOUT"],
        "JWT_ISSUER": config["API_ORIGIN"],
        "SIGNED_TOKEN_KEYS": [k for k in config["SIGNED_TOKEN_SECRETS"].split(",") if k] or [config["SECRET_KEY"]],
    }
