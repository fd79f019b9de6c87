"""Invariant 1 (no plaintext at rest) for what exists so far: staff secrets and the line key.

A one-time password, a TOTP seed, the recovery passphrase and the line private key are
handed to people once; none of them may be readable anywhere the server keeps data.
"""

import logging
import re
from pathlib import Path

from sqlalchemy import select

import crypto
from advisory import create_app
from advisory.extensions import db
from advisory.models import LineKey, Staff, WrapKind, WrappedKey
from tests.canary import dump_database
from tests.conftest import base_env

PASSPHRASE = re.compile(r"\b(?:[0-9A-Z]{4}-){7}[0-9A-Z]{4}\b")


def test_staff_and_key_secrets_are_not_stored_readably(runner, db_session, caplog):
    caplog.set_level(logging.DEBUG)
    # Given a line initialised with demo staff and one more lawyer
    init = runner.invoke(args=["init", "--demo"])
    added = runner.invoke(args=["staff", "add", "canary-lawyer", "--role", "lawyer"])
    assert init.exit_code == 0, init.output
    assert added.exit_code == 0, added.output
    secrets = _printed_secrets(init.output + added.output)
    assert len(secrets) >= 8  # passphrase, 4 passwords, 4 seeds (so the search is not vacuous)
    private_key = _line_private_key(db_session, secrets)
    secrets.append(crypto.private_key_to_bytes(private_key).hex())

    # When everything in the database is dumped as text
    dump = dump_database(db_session.connection())

    # Then no secret appears, neither in the database nor in any log record
    assert "canary-lawyer" in dump  # the dump really contains the rows
    for secret in secrets:
        assert secret not in dump
        assert secret not in caplog.text


def test_sqlite_file_holds_no_staff_secret(tmp_path: Path):
    env = base_env(tmp_path, f"sqlite:///{tmp_path / 'file.db'}")
    app = create_app(env)
    output = app.test_cli_runner().invoke(args=["init", "--demo"]).output
    with app.app_context():
        db.engine.dispose()  # close connections so every page is in the files
    secrets = _printed_secrets(output)
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("file.db*"))
    assert b"demo-lawyer" in raw
    for secret in secrets:
        assert secret.encode() not in raw


def _printed_secrets(output: str) -> list[str]:
    found = PASSPHRASE.findall(output)
    found += re.findall(r"password (\S+)", output)
    found += re.findall(r"TOTP secret (\S+)", output)
    found += re.findall(r"One-time password \(must be changed at first sign-in\): (\S+)", output)
    found += re.findall(r"secret=([A-Z2-7]+)", output)
    return found


def _line_private_key(session, secrets):
    """Recover the line private key through the recovery passphrase, to search for it too."""
    line_key = session.scalars(select(LineKey)).one()
    recovery = session.scalars(select(WrappedKey).where(WrappedKey.kind == WrapKind.RECOVERY)).one()
    assert len(session.scalars(select(Staff)).all()) == 4
    passphrase = next(s for s in secrets if PASSPHRASE.fullmatch(s))
    private_key = crypto.unwrap_private_key(
        recovery.blob, crypto.normalise_recovery_passphrase(passphrase)
    )
    public = crypto.public_key_to_text(private_key.public_key())
    assert public == line_key.public_key
    return private_key
