"""A local CA and one server certificate for localhost and 127.0.0.1 (trustme), for `make run-https` and the tests.

The CA's private key is never written to disk: trusting `ca.pem` can only ever vouch for the one certificate
issued with it, which expires after a year (a new CA and certificate are made then, to be trusted again).
"""

import base64
import datetime
import hashlib
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

NAMES = ("localhost", "127.0.0.1", "::1")  # every origin of the demo, frontends A and B included
LIFETIME = datetime.timedelta(days=365)


@dataclass(frozen=True)
class Files:
    ca: Path  # what clients trust
    cert: Path  # server certificate chain (PEM)
    key: Path  # server private key (PEM, mode 0600)

    def spki_hash(self):
        """base64 SHA-256 of the server key, for Chromium's --ignore-certificate-errors-spki-list."""
        cert = x509.load_pem_x509_certificate(self.cert.read_bytes())
        spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def _still_valid(files):
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    except (OSError, ValueError):
        return False
    return files.ca.exists() and files.key.exists() and cert.not_valid_after_utc > _now() + datetime.timedelta(days=1)


def _now():
    return datetime.datetime.now(datetime.UTC)


def ensure(directory):
    """The CA and server files under `directory`, made now unless valid ones are already there."""
    directory = Path(directory)
    files = Files(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    if _still_valid(files):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="authlab local CA", organization_unit_name="make run-https")
    leaf = ca.issue_cert(*NAMES, not_after=(_now() + LIFETIME).replace(tzinfo=None))
    files.key.touch(mode=0o600)
    leaf.private_key_pem.write_to_path(str(files.key))
    files.cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    ca.cert_pem.write_to_path(str(files.ca))
    return files
