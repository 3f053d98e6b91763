"""`make matrix`: starts what it needs, runs the in-page matrix in every browser here, writes the reports."""

import json
import os
import subprocess
import sys

import pytest

from stack.procs import ROOT

pytestmark = pytest.mark.browser


def test_make_matrix_writes_json_markdown_and_html_with_the_browser_version(tmp_path):
    """One real run of `python -m stack.matrix` (what `make matrix` calls), on its own Redis and ports."""
    env = {**os.environ, "MATRIX_REPORTS": str(tmp_path), "MATRIX_BROWSERS": "chromium,firefox,webkit"}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-m", "stack.matrix"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "matrix.json").read_text())
    runs = [(run["engine"], run["profile"], run["frontend"]) for run in report["runs"] if run["engine"] == "chromium"]
    assert runs == [("chromium", p, f) for p in ("default", "third_party_allowed") for f in ("A", "B")]
    version = report["runs"][0]["version"]
    assert version[0].isdigit()
    markdown = (tmp_path / "matrix.md").read_text()
    assert f"**chromium {version}**" in markdown
    assert f"chromium {version}" in (tmp_path / "matrix.html").read_text()
    assert markdown in done.stdout  # the same table is printed
    for missing in report["absent"]:  # engines that are not here are named, not silently dropped
        assert f"not run: {missing['engine']}" in markdown
    cells = [run["cells"] for run in report["runs"]]
    assert all(len(c) == len(cells[0]) for c in cells)
