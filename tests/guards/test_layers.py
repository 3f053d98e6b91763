"""The import graph runs one way: the kernel imports no app, apps import no other app, layers never look up.

Every .py file of the kernel and the apps is parsed (never imported), and every import in it, at module level or
inside a function, absolute or relative, becomes an arrow `module -> module`. A wrong arrow fails with its file and
line. The last test feeds the same checker made-up wrong arrows, so a checker that finds nothing cannot pass.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL = "kernel"
APPS = ("backend", "issuer", "bff", "collector")
# What runs the apps: nothing under them may be imported by an app or the kernel.
TOOLS = ("stack", "commands", "browser_matrix", "bench", "tests")
FIRST_PARTY = (KERNEL, *APPS, *TOOLS)
KERNEL_BASE = ("kernel.settings", "kernel.clock", "kernel.users", "kernel.failures")  # below http and stores
KERNEL_SIDES = ("kernel.http", "kernel.stores")  # independent of each other

def within(module, package):
    """True for the package itself and anything under it."""
    return module == package or module.startswith(package + ".")


def module_name(path):
    """The dotted name of a file under ROOT (a package's __init__.py is the package)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources():
    """{module name: path} of every .py file of the kernel and of the apps that exist."""
    found = {}
    for package in (KERNEL, *APPS):
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def arrows(module, text, known, is_package=False):
    """[(target module, line)] of every import in `text`, the source of `module`; `known`: the modules that exist,
    so `from package import name` points at the submodule when `name` is one."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule if submodule in known else base, node.lineno))
    return found


def broken_rule(source, target):
    """Why the arrow source -> target is wrong, or None when it is allowed."""
    if target.split(".")[0] not in FIRST_PARTY:
        return None  # the standard library and third-party packages
    own_app = next((app for app in APPS if within(source, app)), None)
    if within(source, KERNEL) and not within(target, KERNEL):
        return "the kernel imports no app, and nothing that runs the apps"
    if any(within(source, base) for base in KERNEL_BASE):
        if any(within(target, side) for side in KERNEL_SIDES):
            return "settings, clock, users and failures sit below kernel.http and kernel.stores"
    for side, other in (KERNEL_SIDES, KERNEL_SIDES[::-1]):
        if within(source, side) and within(target, other):
            return f"{side} never imports {other}"
    if own_app and not (within(target, KERNEL) or within(target, own_app)):
        return f"an app ({own_app}) imports only the kernel and itself"
    if within(source, "backend.methods") and within(target, "backend") and not within(target, "backend.methods"):
        return "the methods sit below the API's app-level modules (create_app, limits, audit, ...)"
    return None


def violations(modules, known=None):
    """Every wrong arrow of {module name: (path, text)}, as `path:line: source -> target: rule`; `known`: the
    modules that exist (those of `modules` unless given)."""
    known = set(modules) if known is None else known
    found = []
    for module, (path, text) in sorted(modules.items()):
        for target, line in arrows(module, text, known, path.name == "__init__.py"):
            rule = broken_rule(module, target)
            if rule:
                found.append(f"{path.relative_to(ROOT)}:{line}: {module} -> {target}: {rule}")
    return found


def test_every_arrow_of_the_import_graph_runs_one_way():
    modules = {name: (path, path.read_text(encoding="utf-8")) for name, path in sources().items()}
    assert "kernel.http.errors" in modules and "backend.methods.basic" in modules and "issuer" in modules
    assert violations(modules) == []


KNOWN = {"kernel.http.errors", "kernel.http.cookies", "kernel.stores.redis_client", "kernel.stores.sessions",
         "kernel.settings", "kernel.users", "backend", "backend.limits", "backend.methods", "backend.methods.basic",
         "issuer", "issuer.keys", "bff"}

PACKAGES = {"backend", "backend.methods", "issuer", "bff"}


def synthetic_path(module):
    """Where a made-up module would live (a package's __init__.py, so its relative imports resolve as they would)."""
    relative = module.replace(".", "/")
    return ROOT / (f"{relative}/__init__.py" if module in PACKAGES else f"{relative}.py")


@pytest.mark.parametrize(
    ("module", "source", "line", "wrong"),
    [
        ("kernel.http.errors", "from kernel.stores import redis_client", 1, "kernel.stores.redis_client"),
        ("kernel.stores.sessions", "import os\n\ndef f():\n    from ..http import cookies\n", 4, "kernel.http.cookies"),
        ("kernel.settings", "import kernel.http.errors", 1, "kernel.http.errors"),
        ("kernel.users", "from backend.methods import basic", 1, "backend.methods.basic"),
        ("kernel.clock", "import stack.procs", 1, "stack.procs"),
        ("issuer", "from backend.methods import REGISTRY", 1, "backend.methods"),
        ("bff", "from issuer import keys", 1, "issuer.keys"),
        ("backend.methods.basic", "from .. import limits", 1, "backend.limits"),
        ("backend.methods.basic", "import flask\nimport backend", 2, "backend"),
        ("backend.limits", "from bff import app", 1, "bff"),
    ],
)
def test_a_wrong_arrow_is_reported_with_its_file_and_line(module, source, line, wrong):
    """The checker itself: a made-up source with one wrong arrow is reported, naming its file, line and target."""
    path = synthetic_path(module)
    found = violations({module: (path, source)}, KNOWN)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path.relative_to(ROOT)}:{line}: {module} -> {wrong}: "), found


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("backend.methods.basic", "from kernel import users\nfrom . import Method\nimport flask"),
        ("issuer", "from kernel.http import errors\nfrom .keys import KeyRing\nfrom .rate_limits import rate_limited"),
        ("kernel.http.cookies", "from .errors import ApiError\nfrom kernel import settings"),
        ("backend.limits", "from .methods import basic\nfrom kernel.stores import redis_client"),
    ],
)
def test_an_allowed_arrow_is_not_reported(module, source):
    """The other half: arrows down the layers (and the pending moves) pass, so the guard does not cry wolf."""
    path = synthetic_path(module)
    assert violations({module: (path, source)}, KNOWN) == []
