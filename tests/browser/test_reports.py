"""`make matrix`: starts what it needs, runs the in-page matrix in every browser here, writes the reports."""

import json
import os
import subprocess
import sys

import pytest

from stack import browsers
from stack.procs import ROOT

pytestmark = pytest.mark.browser


@pytest.mark.timeout(300)  # a whole `make matrix` in one engine: ~1 minute here, more on a busy machine
def test_make_matrix_writes_json_markdown_and_html_with_the_browser_version(tmp_path, engine_here):
    """One real run of `python -m stack.matrix` (what `make matrix` calls), on its own Redis and ports, in WebKit
    over http alone (the quickest engine; test_matrix.py covers every engine's cells and the HTTPS column)."""
    engine_here("webkit")
    env = {**os.environ, "MATRIX_REPORTS": str(tmp_path), "MATRIX_BROWSERS": "webkit", "MATRIX_HTTPS": ""}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-m", "stack.matrix"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "matrix.json").read_text())
    runs = [(run["engine"], run["profile"], run["scheme"], run["frontend"]) for run in report["runs"]]
    assert runs == [("webkit", p, "http", f) for p in browsers.profiles("webkit") for f in ("A", "B")]
    version = report["runs"][0]["version"]
    assert version[0].isdigit()
    markdown = (tmp_path / "matrix.md").read_text()
    assert f"**webkit {version}**" in markdown and "**All engines**" in markdown
    assert f"webkit {version}" in (tmp_path / "matrix.html").read_text()
    assert markdown in done.stdout  # the same table is printed
    cells = [run["cells"] for run in report["runs"]]
    assert all(len(c) == len(cells[0]) for c in cells)
    keys = {"method", "storage", "cookie_option", "works", "status", "reason", "evidence"}
    assert all(keys <= set(cell) and "partitioned" in cell["evidence"] for run in cells for cell in run)
