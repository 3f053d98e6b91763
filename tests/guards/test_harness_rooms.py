"""The harness keeps to its rooms: the launchers (stack/) never reach up to the entry points (commands/) or the
browsers (browser_matrix/), only the entry points run as programs, and importing a launcher starts nothing."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Which of the harness's packages each may import (the apps, the standard library and libraries are not checked).
MAY_IMPORT = {"stack": set(), "browser_matrix": {"stack"}, "commands": {"stack", "browser_matrix"}}
# The one launcher that is also a program: the page server procs.frontend starts as `python -m stack.static_server`.
SERVER_PROCESSES = {"stack.static_server"}


def modules(package):
    """(dotted name, parsed source) of every module in one of the harness's packages."""
    for path in sorted((ROOT / package).glob("*.py")):
        name = package if path.stem == "__init__" else f"{package}.{path.stem}"
        yield name, ast.parse(path.read_text(), str(path))


def harness_imports(tree, package):
    """The harness packages a module imports, absolute or relative (a relative import stays in its own package)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add(package if node.level else (node.module or "").split(".")[0])
    return found & set(MAY_IMPORT) - {package}


def runs_as_program(tree):
    """Whether the module has an `if __name__ == "__main__":` block."""
    return any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body)


@pytest.mark.parametrize("package", MAY_IMPORT)
def test_each_package_imports_only_the_rooms_below_it(package):
    wrong = {name: sorted(found - MAY_IMPORT[package]) for name, tree in modules(package)
             if (found := harness_imports(tree, package)) - MAY_IMPORT[package]}
    assert not wrong, f"{package} may import only {sorted(MAY_IMPORT[package]) or 'none of them'}: {wrong}"


def test_only_the_entry_points_and_the_page_server_run_as_programs():
    programs = {name for package in MAY_IMPORT for name, tree in modules(package) if runs_as_program(tree)}
    commands = {name for name, _ in modules("commands")} - {"commands"}
    assert commands and programs == commands | SERVER_PROCESSES
    assert all(f'"-m", "{name}"' in (ROOT / "stack" / "procs.py").read_text() for name in SERVER_PROCESSES)


def test_importing_the_launchers_and_the_browsers_starts_nothing():
    """Every module of stack/ and browser_matrix/ imported in a fresh interpreter: no thread, no child process, no
    environment variable set or changed."""
    names = [name for package in ("stack", "browser_matrix") for name, _ in modules(package)]
    probe = (
        "import importlib, json, os, sys, threading; import psutil; before = dict(os.environ)\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))\n"
        "print(json.dumps({'threads': threading.active_count(), 'children': len(psutil.Process().children()),"
        " 'environment': changed}))"
    )
    # A bare environment: this test process has imported the launchers itself, and a child inherits what they set.
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={"PATH": os.environ["PATH"]},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"threads": 1, "children": 0, "environment": []}
