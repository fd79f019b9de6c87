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
    create_private_directory(instance_path)
    values = {name: secrets.token_bytes(32) for name in SECRET_NAMES}
    path = instance_path / SECRETS_FILENAME
    # Never replace existing secrets (that would orphan every session and lookup HMAC); the
    # mode is set at creation so the file is never readable by others, even briefly.
    fd = open_private_file(path, replace=False)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({name: value.hex() for name, value in values.items()}, handle)
    return Secrets(**values)
