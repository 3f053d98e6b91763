"""The matrix's reports from one run: reports/matrix.json, .md and .html, one table per engine and one for all."""

import html
import json
import re
from pathlib import Path

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


COOKIE_NAME = re.compile(r"\b(__Host-)?(session_id|opaque_token|signed_token|jwt_access) cookie")
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


def _heading(run):
    scheme = " https" if run.get("scheme") == "https" else ""
    return f"{run['engine']} {run['profile']}{scheme} {FRONTEND_TITLES.get(run['frontend'], run['frontend'])}"


def compact(report):
    """(headings, rows, footnotes): one table, scenarios x engine/profile/scheme/frontend, cells like "✗3"
    (footnotes shared across methods: the cookie's name becomes "the method's cookie")."""
    runs, reasons = report["runs"], []
    headings = ["method", "storage", "cookie"] + [_heading(r) for r in runs]
    cells = [_cells(run) for run in runs]
    rows = []
    for key in _scenarios(runs):
        row = _scenario(key)
        for found in cells:
            cell = found.get(key)
            note = "" if cell is None else _footnote(reasons, COOKIE_NAME.sub("method" + chr(39) + "s cookie",
                                                                              cell["reason"]))
            row.append(f"{_mark(cell)}{note}")
        rows.append(row)
    return headings, rows, reasons


def _grid(report):
    """(title, headings, rows, footnotes) per engine: rows are scenarios, columns profile x scheme x frontend."""
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
        yield f"{engine} {version}", ["method", "storage", "cookie option", *columns], rows, reasons


def _table(headings, rows):
    return (["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
            + ["| " + " | ".join(row) + " |" for row in rows])


def _profiles_read(report):
    """One line per browser run: the profile as read back from the running browser."""
    seen = {}
    for run in report["runs"]:
        seen.setdefault((run["engine"], run["profile"], run.get("scheme", "http")), run.get("profile_read"))
    return [f"{engine} {profile} ({scheme}): {json.dumps(read, ensure_ascii=False)}"
            for (engine, profile, scheme), read in seen.items()]


def markdown(report):
    headings, rows, reasons = compact(report)
    legend = "; ".join(f"{mark} = {text.replace('`', '')}" for mark, text in LEGEND)
    lines = [f"**All engines** ({legend}; the number is the reason, below)", ""]
    lines += _table(headings, rows) + [""] + [f"{n}. {reason}" for n, reason in enumerate(reasons, 1)] + [""]
    lines += ["Columns: " + "; ".join(f"**{name}** = {text}" for name, text in COLUMNS_LEGEND) + ".", ""]
    for title, headings, rows, reasons in _grid(report):
        lines += [f"**{title}** (headless; [n] = why, below)", ""]
        lines += _table(headings, rows)
        lines += [""] + [f"{n}. {reason}" for n, reason in enumerate(reasons, 1)] + [""]
    lines += (["Profiles as read from the running browsers:", ""]
              + [f"- {line}" for line in _profiles_read(report)] + [""])
    for missing in report["absent"]:
        lines.append(f"- not run: {missing['engine']}{' / ' + missing['profile'] if 'profile' in missing else ''}: "
                     f"{missing['why']}")
    return "\n".join(lines) + "\n"


STYLE = (
    "body{font:15px/1.5 system-ui;margin:1rem;max-width:100%}"
    ".scroll{overflow-x:auto;max-width:100%}"  # a wide table scrolls inside its own box, never the page
    "td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "table{border-collapse:collapse}.ok{background:#e3f4ea}.no{background:#fbe7e5}"
    "ol,dl{overflow-wrap:anywhere}dt{font-weight:600}"
)


def html_page(report):
    esc = html.escape
    parts = ["<!doctype html><html lang=en><meta charset=utf-8>",
             "<meta name=viewport content='width=device-width, initial-scale=1'><title>authlab matrix</title>",
             f"<style>{STYLE}</style>",
             f"<h1>authlab matrix</h1><p>generated {esc(report['generated'])}</p>",
             "<h2>How to read it</h2><dl id=legend>"
             + "".join(f"<dt>{esc(mark)}</dt><dd>{esc(text.replace('`', ''))}</dd>" for mark, text in LEGEND)
             + "".join(f"<dt>{esc(name)}</dt><dd>{esc(text)}</dd>" for name, text in COLUMNS_LEGEND)
             + "<dt>[n]</dt><dd>the reason the page gave, numbered below each table</dd></dl>"]
    for title, headings, rows, reasons in _grid(report):
        parts.append(f"<h2>{esc(title)}</h2><div class=scroll><table>"
                     f"<caption>{esc(title)}: each scenario in each column</caption><tr>"
                     + "".join(f"<th scope=col>{esc(h)}</th>" for h in headings) + "</tr>")
        for row in rows:
            cells = "".join(f"<td>{esc(c)}</td>" for c in row[:3])
            cells += "".join(f"<td class={'ok' if c.startswith('✓') else 'no'}>{esc(c)}</td>" for c in row[3:])
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table></div><ol>" + "".join(f"<li>{esc(r)}</li>" for r in reasons) + "</ol>")
    parts.append("<h2>Profiles as read from the running browsers</h2><ul>"
                 + "".join(f"<li>{esc(line)}</li>" for line in _profiles_read(report)) + "</ul>")
    parts += [f"<p>not run: {esc(m['engine'])} {esc(m.get('profile', ''))}: {esc(m['why'])}</p>"
              for m in report["absent"]]
    return "\n".join(parts) + "\n"


def write_reports(report, outdir):
    """reports/matrix.json, .md and .html from one run."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "matrix.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (outdir / "matrix.md").write_text(markdown(report))
    (outdir / "matrix.html").write_text(html_page(report))
    return outdir
