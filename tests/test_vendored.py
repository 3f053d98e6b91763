"""The pages' vendored browser OAuth client is the pinned npm release, byte for byte (no browser needed)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDORED = ROOT / "frontend_shared" / "vendor" / "oauth4webapi.js"
PACKAGE = ROOT / "node_modules" / "oauth4webapi"


def pinned_version():
    """The exact version package.json pins and package-lock.json resolved: the one the pages must carry."""
    declared = json.loads((ROOT / "package.json").read_text())["devDependencies"]["oauth4webapi"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/oauth4webapi"]["version"]
    assert declared == locked, "package.json and package-lock.json disagree: npm install --save-exact"
    return locked


def test_the_vendored_file_is_the_pinned_release_unchanged():
    """One header line naming the version, then the package's entry file as npm ships it: `make vendor` refreshes it."""
    version = pinned_version()
    installed = json.loads((PACKAGE / "package.json").read_text())
    assert installed["version"] == version, "node_modules is stale: make install"
    entry = PACKAGE / installed["exports"]["."]["default"]
    header, _, body = VENDORED.read_bytes().partition(b"\n")
    assert header.startswith(f"// oauth4webapi {version} ".encode()), header
    assert body == entry.read_bytes(), "the vendored copy differs from the pinned release: make vendor"


def test_its_licence_travels_with_it():
    """MIT asks for the notice beside the copy."""
    licence = (ROOT / "frontend_shared" / "vendor" / "oauth4webapi.LICENSE.md").read_bytes()
    assert licence == (PACKAGE / "LICENSE.md").read_bytes()
    assert b"MIT License" in licence
