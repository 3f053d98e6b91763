"""The load generators: wrk when it is installed, else Locust from PyPI; both report the same LoadResult."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class LoadResult:
    """One timed load on one URL."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers plus socket errors and timeouts: a correct run has none
    foreign_cpu: float | None = None  # share of all cores other programs used meanwhile (noise.Meter)
    server_cpu_us: float | None = None  # CPU the API's workers and Redis spent per request meanwhile
    redis_cpu_us: float | None = None  # the part of it Redis spent

    def as_dict(self):
        return asdict(self)


class Wrk:
    """wrk (C, event loop): one thread, N keep-alive-or-not connections, percentiles from its histogram."""

    name = "wrk"

    def version(self):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).split("Copyright")[0].strip()

    def run(self, url, headers, seconds, connections):
        script = str(HERE / "wrk_summary.lua")
        argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script]
        for name, value in headers.items():
            argv += ["-H", f"{name}: {value}"]
        out = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 30)
        lines = [line for line in out.stdout.splitlines() if line.startswith("BENCH_JSON ")]
        if out.returncode or not lines:
            raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
        s = json.loads(lines[-1].removeprefix("BENCH_JSON "))
        took = s["duration_us"] / 1e6
        errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
        return LoadResult(s["requests"], took, s["requests"] / took, s["p50_us"] / 1000, s["p99_us"] / 1000, errors)


class Locust:
    """Locust (PyPI, gevent) headless: N users in a closed loop; used where wrk is not installed."""

    name = "locust"

    def version(self):
        from importlib.metadata import version

        return f"locust {version('locust')}"

    def run(self, url, headers, seconds, connections):
        base, path = _split(url)
        argv = [
            sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--skip-log", "--json",
            "--users", str(connections), "--spawn-rate", str(connections), "--run-time", f"{seconds}s",
            "--host", base, "--loglevel", "ERROR", "--exit-code-on-error", "0", "--stop-timeout", "5",
        ]
        env = {**os.environ, "BENCH_PATH": path, "BENCH_HEADERS": json.dumps(headers)}
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, env=env)
        try:
            (stats,) = json.loads(out.stdout)
        except ValueError:
            raise RuntimeError(f"locust failed ({out.returncode}): {out.stderr.strip()[-2000:]}") from None
        count, took = stats["num_requests"], stats["last_request_timestamp"] - stats["start_time"]
        times = {float(ms): n for ms, n in stats["response_times"].items()}  # Locust's rounded-ms histogram
        p50, p99 = _percentile(times, 50), _percentile(times, 99)
        return LoadResult(count, took, count / took, p50, p99, stats["num_failures"])


def _percentile(histogram, pct):
    """The value below which pct % of the counted samples fall."""
    rank, seen = sum(histogram.values()) * pct / 100, 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


def _split(url):
    """('http://host:port', '/path') from a full URL."""
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host}", slash + path


def pick(name="auto"):
    """The load tool to use: wrk if installed (or asked for), else Locust."""
    if name == "wrk" or (name == "auto" and shutil.which("wrk")):
        if not shutil.which("wrk"):
            raise SystemExit("bench: --tool wrk asked for, but wrk is not installed (apt-get install wrk)")
        return Wrk()
    return Locust()
