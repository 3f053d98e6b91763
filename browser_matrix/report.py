"""The matrix's reports from one run: reports/matrix.json, and .md and .html from the templates in templates/.

This module shapes the run into tables (one for all engines, one per engine, the reasons numbered); the templates
lay them out.
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

# The columns of runner.FRONTENDS as the reports title them.
FRONTEND_TITLES = {"A": "A (same-site)", "B": "B (cross-site)", "B_proxy": "B through its own /api/"}


def _mark(cell):
    """✓ worked, ✗ did not; ᵖ: worked, kept in a jar of that site's own (partitioned); – not run in that column."""
    if cell is None:
        return "–"
    return ("✓" + ("ᵖ" if cell["evidence"].get("partitioned") else "")) if cell["works"] else "✗"


def _footnote(reasons, reason):
    if reason not in reasons:
        reasons.append(reason)
    return reasons.index(reason) + 1


def _key(cell):
    return cell["method"], cell["storage"], cell["cookie_option"]


def _scenario(key):
    method, storage, option = key
    return [method, storage, option or "-"]


def _scenarios(runs):
    """Every scenario of these runs, in the order the runner ran them (B's own /api/ column runs cookies only)."""
    return list(dict.fromkeys(_key(cell) for run in runs for cell in run["cells"]))


def _cells(run):
    return {_key(cell): cell for cell in run["cells"]}


LEGEND = [
    ("✓", "`me` answered 200 from that page"),
    ("✓ᵖ", "it did, and the cookie was kept in a jar of that page's site only "
           "(partitioned: the API's own site never sees it)"),
    ("✗", "it did not"),
    ("–", "not run in that column (B through its own /api/ runs the cookie scenarios only)"),
]
COLUMNS_LEGEND = [
    ("A", "page A, same-site with the API (localhost; ports do not count)"),
    ("B", "page B, cross-site (127.0.0.1): the API's cookies are third-party there"),
    ("B through its own /api/", "page B calling the API through B's own server (a reverse proxy): "
                                "the API on the page's site"),
]


@dataclass(frozen=True)
class Table:
    """One table of a report: rows are scenarios, `reasons` the footnotes its cells number."""

    title: str
    headings: list
    rows: list
    reasons: list


def _heading(run):
    scheme = " https" if run.get("scheme") == "https" else ""
    return f"{run['engine']} {run['profile']}{scheme} {FRONTEND_TITLES.get(run['frontend'], run['frontend'])}"


def _shared_reason(cell):
    """The cell's reason with its cookie's name (as the page's table named it) made "method's cookie"."""
    name = cell["evidence"].get("cookie")
    return cell["reason"].replace(f"{name} cookie", "method's cookie") if name else cell["reason"]


def compact(report):
    """All engines in one Table, scenarios x engine/profile/scheme/frontend, cells like "✗3"
    (footnotes shared across methods: the cookie's name becomes "the method's cookie")."""
    runs, reasons = report["runs"], []
    headings = ["method", "storage", "cookie"] + [_heading(r) for r in runs]
    cells = [_cells(run) for run in runs]
    rows = []
    for key in _scenarios(runs):
        row = _scenario(key)
        for found in cells:
            cell = found.get(key)
            note = "" if cell is None else _footnote(reasons, _shared_reason(cell))
            row.append(f"{_mark(cell)}{note}")
        rows.append(row)
    return Table("All engines", headings, rows, reasons)


def _grid(report):
    """A Table per engine: rows are scenarios, columns profile x scheme x frontend, cells like "✗ 401 [3]"."""
    tables = {}
    for run in report["runs"]:
        tables.setdefault((run["engine"], run["version"]), []).append(run)
    for (engine, version), runs in tables.items():
        columns = [f"{FRONTEND_TITLES.get(run['frontend'], run['frontend'])} · {run.get('scheme', 'http')} · "
                   f"{run['profile_title']}" for run in runs]
        reasons, rows, cells = [], [], [_cells(run) for run in runs]
        for key in _scenarios(runs):
            row = _scenario(key)
            for found in cells:
                cell = found.get(key)
                row.append("–" if cell is None
                           else f"{_mark(cell)} {cell['status']} [{_footnote(reasons, cell['reason'])}]")
            rows.append(row)
        yield Table(f"{engine} {version}", ["method", "storage", "cookie option", *columns], rows, reasons)


def _profiles_read(report):
    """One line per browser run: the profile as read back from the running browser."""
    seen = {}
    for run in report["runs"]:
        seen.setdefault((run["engine"], run["profile"], run.get("scheme", "http")), run.get("profile_read"))
    return [f"{engine} {profile} ({scheme}): {json.dumps(read, ensure_ascii=False)}"
            for (engine, profile, scheme), read in seen.items()]


@functools.cache
def _templates():
    """The report templates beside this module; everything but Markdown is autoescaped."""
    return Environment(loader=PackageLoader("browser_matrix"), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=(), disabled_extensions=("md",), default=True),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _context(report):
    """What both reports show: the legend, all engines in one table, one table per engine, the profiles read."""
    return {"generated": report["generated"], "legend": LEGEND, "columns_legend": COLUMNS_LEGEND,
            "all_engines": compact(report), "engines": list(_grid(report)),
            "profiles_read": _profiles_read(report), "absent": report["absent"]}


def markdown(report):
    """reports/matrix.md, the table `make matrix` prints."""
    return _templates().get_template("matrix.md").render(_context(report))


def html_page(report):
    """reports/matrix.html: the per-engine tables with their legend, readable on a phone."""
    return _templates().get_template("matrix.html").render(_context(report))


def write_reports(report, outdir):
    """reports/matrix.json, .md and .html from one run."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "matrix.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (outdir / "matrix.md").write_text(markdown(report))
    (outdir / "matrix.html").write_text(html_page(report))
    return outdir
