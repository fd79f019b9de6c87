"""`flask --app advisory backup …`: encrypted backups, and rebuilding an instance from one.

`keygen` makes the key pair on the machine that will keep the private key (offline);
`create` needs only the public key (ADVISORY_BACKUP_PUBLIC_KEY); `restore` needs the private
key file for as long as it runs. See advisory/services/backup_file.py for the file itself.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import click
import pyrage
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import Connection, inspect, literal, select
from sqlalchemy import table as table_clause
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from advisory import audit
from advisory.context import current_settings, now
from advisory.database import MIGRATIONS_DIR, expecting_writes
from advisory.extensions import db
from advisory.instance_files import open_private_file
from advisory.instance_secrets import write_secrets_file
from advisory.services.backup_file import (
    BackupFileError,
    BackupKeyError,
    Header,
    new_key_pair,
    private_key,
    public_key,
    read_backup,
    write_backup,
)
from advisory.services.backup_rows import (
    BackupFormatError,
    Record,
    RowLoader,
    TableEnd,
    backed_up_tables,
    read_snapshot,
    snapshot_transaction,
)
from advisory.services.readiness import code_heads, database_heads
from advisory.settings import SECRET_NAMES, SECRETS_FILENAME, Secrets

backup_group = AppGroup("backup", help="Make encrypted backups, and restore one.")


@backup_group.command("keygen")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
def keygen(key_file: Path) -> None:
    """Write a new private key to KEY_FILE (0600) and print its public key.

    Run it on the computer that will keep the private key, offline if you can; only the
    public key goes to the server, as ADVISORY_BACKUP_PUBLIC_KEY."""
    identity, recipient = new_key_pair()
    try:
        fd = open_private_file(key_file, replace=False)
    except FileExistsError:
        raise click.ClickException(f"{key_file} exists; choose another name") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(identity)
    click.echo(f"Private key written to {key_file}: keep it offline, and a copy apart.")
    click.echo(f"Public key, for ADVISORY_BACKUP_PUBLIC_KEY:\n\n    {recipient}\n")


@backup_group.command("create")
@click.argument("destination", type=click.Path(path_type=Path))
@click.option("--to", "recipient_text", help="The age public key (default: the setting).")
def create(destination: Path, recipient_text: str | None) -> None:
    """Write an encrypted backup of the database and the instance secrets.

    DESTINATION is a file, or a folder to write advisory-backup-<time>.age into. The app may
    go on serving: every table is read from one snapshot."""
    settings = current_settings()
    recipient_text = recipient_text or settings.backup_public_key
    if not recipient_text:
        raise click.ClickException(
            "ADVISORY_BACKUP_PUBLIC_KEY: not set; make a key pair with `backup keygen` "
            "and set its public key"
        )
    try:
        recipient = public_key(recipient_text)
    except BackupKeyError as error:
        raise click.ClickException(f"ADVISORY_BACKUP_PUBLIC_KEY: {error}") from None
    if settings.secrets is None:
        raise click.ClickException("This instance has no secrets yet: run `init` first.")
    secrets = {name: getattr(settings.secrets, name) for name in SECRET_NAMES}
    moment = now()
    path = destination / _file_name(moment) if destination.is_dir() else destination
    started = time.monotonic()
    counts: dict[str, int] = {}
    try:
        with (
            _written_whole(path) as out,
            db.engine.connect() as connection,
            snapshot_transaction(connection),
        ):
            revision = _schema_revision(connection)
            header = Header(revision, connection.dialect.name, moment.isoformat())
            records = _counted(read_snapshot(connection), counts)
            write_backup(out, recipient, header, secrets, records)
    except SQLAlchemyError as error:
        raise _database_refused(error, "no backup written") from None
    seconds = time.monotonic() - started
    click.echo(
        f"Backup written to {path}: {sum(counts.values())} rows of {len(counts)} tables, "
        f"{path.stat().st_size} bytes, in {seconds:.1f} s; encrypted to {recipient}."
    )


@backup_group.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The private key file from `backup keygen` (or age-keygen).",
)
def restore(source: Path, key_file: Path) -> None:
    """Rebuild this instance from a backup: an empty database and no secrets file yet.

    Nothing is kept unless the whole file decrypts, every table is complete, and the audit
    chain verifies under the restored key."""
    settings = current_settings()
    try:
        identity = private_key(key_file.read_text(encoding="utf-8"))
    except (BackupKeyError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{key_file}: {error}") from None
    secrets_file = settings.instance_path / SECRETS_FILENAME
    if secrets_file.exists():
        raise click.ClickException(
            f"{secrets_file} exists: restore into a new instance (ADVISORY_INSTANCE_PATH)"
        )
    try:
        # Before the migrations: a database given by mistake is left as it was.
        if _holds_rows():
            raise click.ClickException(
                "The database holds data: restore into an empty database (DATABASE_URL)"
            )
        upgrade()
    except SQLAlchemyError as error:
        raise _database_refused(error, "nothing restored") from None
    started = time.monotonic()
    restored: list[Secrets] = []
    secrets_to = None if settings.secrets is not None else settings.instance_path
    try:
        counts, events = _load(source, identity, settings.secrets, restored, secrets_to)
    except (BackupFileError, BackupFormatError) as error:
        raise click.ClickException(f"Nothing restored: {error}") from None
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"Nothing restored: the database refused the rows ({type(error).__name__})"
        ) from None
    except OSError as error:
        raise click.ClickException(
            f"Nothing restored: {SECRETS_FILENAME} could not be written ({error.strerror})"
        ) from None
    audit.use_chain_key(db.engine, restored[0].data_key)
    seconds = time.monotonic() - started
    click.echo(
        f"Restored {sum(counts.values())} rows of {len(counts)} tables in {seconds:.1f} s; "
        f"audit chain intact: {events} events."
    )


def _load(
    source: Path,
    identity: pyrage.x25519.Identity,
    configured: Secrets | None,
    restored: list[Secrets],
    secrets_to: Path | None,
) -> tuple[dict[str, int], int]:
    """Every row in one transaction, committed only when the file and the chain check out;
    the secrets file (in `secrets_to`, unless the environment holds them) is written before
    the commit and taken away again if the commit fails, so neither is kept alone."""
    heads = code_heads(MIGRATIONS_DIR)

    def on_header(header: Header, values: dict[str, bytes]) -> None:
        if (header.revision,) != heads:
            raise BackupFileError(
                f"the backup was made at schema revision {header.revision}, this version is at "
                f"{', '.join(heads)}: restore it with the version that made it, then upgrade"
            )
        secrets = _secrets(values)
        if configured is not None and configured != secrets:
            raise BackupFileError(
                "the ADVISORY_SECRET_KEY/_PEPPER/_DATA_KEY in the environment differ from the "
                "backup's: unset them, and the backup's go to secrets.json"
            )
        restored.append(secrets)

    written: list[Path] = []
    with (
        _removed_on_failure(written),
        expecting_writes(),
        db.engine.connect() as connection,
        connection.begin(),
    ):
        loader = RowLoader(connection)
        with source.open("rb") as file:
            read_backup(file, identity, on_header, loader.take)
        counts = loader.finish()
        broken, events = _verify_chain(connection, restored[0])
        if broken is not None:
            raise BackupFileError(f"the restored audit chain is broken at {broken}")
        if secrets_to is not None:
            path = secrets_to / SECRETS_FILENAME
            try:
                write_secrets_file(secrets_to, restored[0])
            except FileExistsError:
                raise BackupFileError(f"{path} was made meanwhile by someone else") from None
            except OSError:
                path.unlink(missing_ok=True)  # what was written of it, if anything
                raise
            written.append(path)
    return counts, events


@contextlib.contextmanager
def _removed_on_failure(paths: list[Path]) -> Iterator[None]:
    """The files named in `paths` by the block are removed if it fails (its commit included)."""
    try:
        yield
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        raise


def _verify_chain(connection: Connection, secrets: Secrets) -> tuple[str | None, int]:
    with Session(bind=connection) as session:
        broken = audit.verify_chain(session, audit.chain_key(secrets.data_key))
        return (broken.where if broken else None), audit.event_count(session)


def _secrets(values: dict[str, bytes]) -> Secrets:
    if set(values) != set(SECRET_NAMES) or any(len(value) != 32 for value in values.values()):
        raise BackupFileError("the backup's secrets are incomplete")
    return Secrets(**values)


def _holds_rows() -> bool:
    """Any of the backed-up tables exists and has a row."""
    with db.engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        for table in backed_up_tables():
            first = select(literal(1)).select_from(table_clause(table.name)).limit(1)
            if table.name in present and connection.execute(first).first() is not None:
                return True
    return False


def _database_refused(error: SQLAlchemyError, outcome: str) -> click.ClickException:
    # The class only: a database error's message may quote a row.
    return click.ClickException(
        f"DATABASE_URL: the database did not answer or refused ({type(error).__name__}); {outcome}"
    )


def _schema_revision(connection: Connection) -> str:
    revisions = database_heads(connection)
    heads = code_heads(MIGRATIONS_DIR)
    if revisions != heads:
        raise click.ClickException(
            f"The database is at revision {', '.join(revisions) or 'none'}, this version at "
            f"{', '.join(heads)}: run `init --if-needed` to upgrade it first"
        )
    return revisions[0]


def _counted(records: Iterator[Record], counts: dict[str, int]) -> Iterator[Record]:
    for record in records:
        if isinstance(record, TableEnd):
            counts[record.name] = record.rows
        yield record


def _file_name(moment: datetime) -> str:
    return f"advisory-backup-{moment.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}.age"


@contextlib.contextmanager
def _written_whole(path: Path) -> Iterator[BinaryIO]:
    """A new 0600 file that appears under `path` only once completely written; an existing
    file there (an earlier backup, say) is never replaced."""
    if path.exists():
        raise click.ClickException(f"{path} exists; choose another name, or a folder")
    try:
        # mkstemp makes a fresh 0600 file of its own, never one someone placed there.
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror}") from None
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(partial, path)  # fails, rather than replaces, if the name was taken since
        except FileExistsError:
            raise click.ClickException(f"{path} exists; choose another name, or a folder") from None
    finally:
        partial.unlink(missing_ok=True)
