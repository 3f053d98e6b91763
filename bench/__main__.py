"""`python -m bench [--quick] [--publish]`: measure everything, print the table, write reports/ (and, with
--publish, docs/bench/ and docs/bench.md's generated figures)."""

import argparse
import datetime
import json
import shutil
import time
from pathlib import Path

from stack.procs import DEFAULT_SERVER, SERVERS

from . import bench_page, bff_forwarding, chart, report
from .run import Progress, Settings, measure
from .servers import default_workers

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ROOT / "docs" / "bench"  # the committed copy of the last full run, shown by docs/bench.md
# --quick: the same measurements with shorter loads and fewer requests, and no scale or topologies run
# (tests/test_scale.py checks the scale run, tests/system/test_high_availability.py the failover): under a minute.
QUICK = {"seconds": 1, "password_seconds": 2, "pair_public": False, "warmup_s": 1, "warm_all": False, "rounds": 1,
         "counted": 30, "inproc_budget_s": 0.3, "inproc_password_calls": 1, "scale_per_method": 0,
         "topology_run": False}


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="short run (<1 min): reports/bench-quick.*, nothing else")
    p.add_argument("--tool", choices=("auto", "wrk", "locust"), default="auto",
                   help="load generator (auto: wrk if installed)")
    p.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER,
                   help="how the API is served, as `python -m stack.run --server` (docs/servers.md compares them)")
    p.add_argument("--workers", type=int, help="worker processes per API instance (default: the server's usual)")
    p.add_argument("--connections", type=int, help="concurrent connections (default 10, or 2 x workers if more)")
    p.add_argument("--seconds", type=int, help="seconds of load per endpoint per round (whole seconds: wrk)")
    p.add_argument("--rounds", type=int, help="interleaved rounds (medians are reported)")
    p.add_argument("--out", type=Path, default=ROOT / "reports", help="where bench(.json|.png) go")
    p.add_argument("--publish", action="store_true",
                   help="a full run only: also copy it to docs/bench/ and re-render the docs' generated bench block")
    return p.parse_args(argv)


def settings_from(args):
    """Settings for this run: defaults, --quick's column, then explicit flags."""
    s = Settings(workdir=ROOT / "var" / "bench", tool=args.tool, server=args.server,
                 workers=args.workers or default_workers(args.server))
    for name, value in (QUICK if args.quick else {}).items():
        setattr(s, name, value)
    s.connections = args.connections or max(10, 2 * s.workers)
    for name in ("seconds", "rounds"):
        if getattr(args, name):
            setattr(s, name, getattr(args, name))
    return s


def main(argv=None):
    """Run, report, and exit non-zero if a load had failed requests or the shared store lost a login."""
    args = parse(argv)
    if args.publish and args.quick:
        raise SystemExit("bench: --publish is for full runs; a quick run is never published")
    settings = settings_from(args)
    progress, started = Progress(), time.time()
    result = measure(settings, progress)
    progress("BFF forwarding: the same token through BFF-A and straight at the API")
    result["bff_forwarding"] = bff_forwarding.measure(*((50, 1) if args.quick else (200, 3)))
    result.update(
        mode="quick" if args.quick else "full",
        started=_iso(started), finished=_iso(time.time()), elapsed_s=round(time.time() - started, 1),
    )
    name = "bench-quick" if args.quick else "bench"
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = args.out / f"{name}.json", args.out / f"{name}.png"
    report.finish(result)
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    chart.draw(result, png_path)
    print("\n" + report.table(result) + "\n")
    print("\n".join(bff_forwarding.lines(result["bff_forwarding"])) + "\n")
    print(f"wrote {_shown(json_path)} and {_shown(png_path)} in {result['elapsed_s']:.0f} s")
    if args.publish:
        PUBLISHED.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(json_path, PUBLISHED / "bench.json")
        shutil.copyfile(png_path, PUBLISHED / "bench.png")
        bench_page.write(result)
        print(f"copied both to {_shown(PUBLISHED)}/ and re-rendered docs/bench.md's figures from them")
    trouble = report.problems(result)
    for line in trouble:
        print(f"bench: PROBLEM: {line}")
    return 1 if trouble else 0


def _iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat(timespec="seconds")


def _shown(path):
    """A path relative to the repo when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
