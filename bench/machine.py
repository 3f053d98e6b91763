"""The machine and software a run's figures came from, so a table never travels without its context."""

import os
import platform
from importlib import metadata

import redis

LIBRARIES = (
    "flask", "werkzeug", "gunicorn", "flask-session", "flask-login", "redis", "hiredis", "pyjwt", "itsdangerous",
    "cryptography",
)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def describe(redis_url, load_tool):
    """Cores, CPU, Python, Redis server, load tool and library versions, plus the load average right now."""
    client = redis.Redis.from_url(redis_url)
    try:
        redis_version = client.info("server")["redis_version"]
    finally:
        client.close()
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "redis_server": redis_version,
        "load_tool": load_tool,
        "libraries": {name: _version(name) for name in LIBRARIES},
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
