"""Creates the per-installation secrets file: once, owner-only, never printed."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from advisory.instance_files import create_private_directory, open_private_file
from advisory.settings import SECRET_NAMES, SECRETS_FILENAME, Secrets


def create_secrets_file(instance_path: Path) -> Secrets:
    """Write fresh secrets to instance/secrets.json with mode 0600; refuse to overwrite."""
    values = Secrets(**{name: secrets.token_bytes(32) for name in SECRET_NAMES})
    write_secrets_file(instance_path, values)
    return values


def write_secrets_file(instance_path: Path, values: Secrets) -> None:
    """Write `values` (fresh ones, or a backup's) to instance/secrets.json, 0600; an existing
    file is never replaced."""
    create_private_directory(instance_path)
    path = instance_path / SECRETS_FILENAME
    # Never replace existing secrets (that would orphan every session and lookup HMAC); the
    # mode is set at creation so the file is never readable by others, even briefly.
    fd = open_private_file(path, replace=False)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({name: getattr(values, name).hex() for name in SECRET_NAMES}, handle)
