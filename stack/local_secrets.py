"""`make run`'s own secrets: random on the first start, kept in var/secrets.json (mode 0600), reused afterwards.

The issuer's signing keys are generated in memory at every start (issuer/keys.py); only its rotation secret
and the BFFs' client secrets (the AS and each BFF read the same one) are here.
REDIS_PASSWORD is the embedded Redis's (the app reaches it through REDIS_URL, never through this name).
"""

import json
import os
import secrets
from pathlib import Path

NAMES = ("SECRET_KEY", "JWT_SECRET", "ISSUER_ROTATE_SECRET", "REDIS_PASSWORD", "BFF_A_CLIENT_SECRET",
         "BFF_B_CLIENT_SECRET")


def ensure(var):
    """{name: secret} for every name in NAMES, from var/secrets.json, creating the file or missing names first."""
    var = Path(var)
    var.mkdir(parents=True, exist_ok=True)
    path = var / "secrets.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    wanted = {name: kept.get(name) or secrets.token_urlsafe(48) for name in NAMES}
    if wanted != {name: kept.get(name) for name in NAMES}:
        partial = path.with_suffix(".tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({**kept, **wanted}, out, indent=1)
        os.replace(partial, path)
    os.chmod(path, 0o600)  # even if someone widened it
    return wanted
