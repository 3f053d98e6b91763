"""`make matrix`: run the in-page matrix runner of both frontends in every browser here, write the reports.

Starts its own Redis (unless REDIS_URL is set), API and frontends on free loopback ports (A on
`localhost`, B on `127.0.0.1`), clicks "Run the matrix here" on each frontend in each engine and
cookie profile (WebKit over HTTPS too: MATRIX_HTTPS), prints the table and writes reports/matrix.json, .md and
.html (MATRIX_REPORTS=dir). MATRIX_BROWSERS chooses the engines (browser_matrix/browsers.py).
"""

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from browser_matrix import report as reports
from browser_matrix import runner
from stack import certs, demo, procs, redis_server

ENVIRONMENT = ("MATRIX_BROWSERS: the engines (default chromium,firefox,webkit); MATRIX_HTTPS: the engines that run "
               "the HTTPS column too (default webkit); MATRIX_REPORTS: where the reports go (default reports/); "
               "REDIS_URL: a Redis of your own")


def main(argv=None):
    """Run every engine here, print the table, write the three reports; 1 when no browser could run."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=ENVIRONMENT)
    parser.parse_args(argv)

    outdir = Path(os.environ.get("MATRIX_REPORTS", procs.ROOT / "reports"))
    with tempfile.TemporaryDirectory(prefix="authlab-matrix-") as tmp, ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            redis_url = stack.enter_context(redis_server.server(procs.free_port(), Path(tmp) / "redis",
                                                                log=Path(tmp) / "redis.log")).url
        tls = certs.ensure(Path(tmp) / "tls")
        for scheme in ("http", "https"):
            (Path(tmp) / scheme).mkdir()
        columns = {"http": stack.enter_context(demo.servers(Path(tmp) / "http", redis_url))}
        if runner.https_engines():
            columns["https"] = stack.enter_context(demo.servers(Path(tmp) / "https", redis_url, tls))
        with sync_playwright() as playwright:
            report = runner.run_all(playwright, columns, tmp, tls)
    if not report["runs"]:
        print("authlab matrix: no browser to run in:", "; ".join(m["why"] for m in report["absent"]), file=sys.stderr)
        return 1
    print(reports.markdown(report))
    print(f"reports written to {reports.write_reports(report, outdir)}/matrix.json, matrix.md, matrix.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
