"""Backups that restore: `backup create` and `backup restore`, as an administrator runs them.

The drill: an instance with cases, messages, replies, an evidence file, rollups and audit
events is backed up, and a new instance (an empty database, no secrets) is rebuilt from the
file. Its lawyer then opens every case with their own password, its reporters find their cases
with their codes, the audit chain verifies, the yearly report is the same to the byte, and
every row is as it was. Then what must fail, fails, and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

import crypto
from advisory import create_app
from advisory.cli import backup as backup_cli
from advisory.extensions import db
from advisory.models import (
    Attachment,
    AttachmentChunk,
    Case,
    Direction,
    LineKey,
    Message,
    Role,
    Staff,
    WrapKind,
    WrappedKey,
)
from advisory.scheduler import run_sweep_in
from advisory.services import attachment_sealing
from advisory.services.backup_file import Header, new_key_pair, write_backup
from advisory.services.backup_rows import (
    TableEnd,
    TableStart,
    backed_up_tables,
    encode_value,
    read_snapshot,
    snapshot_transaction,
)
from advisory.services.follow_up import find_case
from advisory.services.intake import Contact, ReporterKeys, submit_case
from advisory.services.replies import record_reply
from advisory.services.staff import add_staff
from advisory.settings import SECRETS_FILENAME
from advisory.triage import Answers
from advisory.vocabulary import ContactPreference, Kind
from crypto import stream
from crypto.encoding import b64url_decode
from tests.conftest import (
    DEFAULT_NOW,
    TEST_SECRETS,
    base_env,
    dispose_apps,
    new_message,
    set_up_line_key,
)
from tests.migration_fixture import DATABASES, empty_database_url
from tests.reporter_helpers import line_public_key, opened, reporter_public_key_text, sealed
from tests.staff_credentials import credentials_for, give_line_key

PASSWORD = "drill lawyer's long password"
LAWYER = "drill-lawyer"
CANARY = "BACKUP-CANARY-51c2: the conductor's messages after rehearsal"
FILE_CANARY = b"BACKUP-FILE-CANARY-88ad " * 2000  # about 48 KB: one sealed chunk and more
CASES = 3
# The jobs' tables are the scheduler's, not data (advisory/services/backup_rows.py).
NOT_DATA = {"scheduler_lock", "apscheduler_jobs", "alembic_version"}


@dataclass(frozen=True)
class Reported:
    code: str
    reference: str
    message: str
    reply: str


@dataclass(frozen=True)
class Source:
    app: Flask
    cases: list[Reported]
    key_file: Path
    public_key: str


def without_secrets(env: dict[str, str]) -> dict[str, str]:
    """A new host's environment: the secrets come from the backup, into secrets.json."""
    return {name: value for name, value in env.items() if name not in TEST_SECRETS}


def fill(app: Flask) -> list[Reported]:
    """Cases with a message, a reply and a file, a lawyer holding the line key, rollups."""
    with app.app_context():
        upgrade()
        session = db.session()
        new = set_up_line_key(session)
        lawyer = add_staff(
            session, username=LAWYER, role=Role.LAWYER, data_key=data_key(), now=DEFAULT_NOW
        ).staff
        give_line_key(session, lawyer, new.line_key, new.private_key, PASSWORD)
        reported = []
        for number in range(CASES):
            code = crypto.generate_case_code()
            case = submit_case(
                session,
                line_id=new.line.id,
                pepper=bytes.fromhex(TEST_SECRETS["ADVISORY_PEPPER"]),
                submission_token=f"drill-form-token-{number:04d}-xxxxxxxx",
                answers=Answers(kind=Kind.DISCRIMINATION),
                narrative_envelope=None,
                reporter=ReporterKeys(crypto.lookup_token(code), reporter_public_key_text(code)),
                contact=Contact(ContactPreference.INBOX),
                now=DEFAULT_NOW,
            ).case
            message = f"{CANARY} #{number}"
            envelope = sealed("message", message, line_public_key(new), case.reference)
            session.add(new_message(Direction.FROM_REPORTER, envelope, case_id=case.id))
            reply = f"Reply {number}: we will call you tomorrow."
            reply_envelope = sealed(
                "reply", reply, crypto.reporter_private_key(code).public_key(), case.reference
            )
            record_reply(
                session, case=case, envelope=reply_envelope, author=lawyer, now=DEFAULT_NOW
            )
            reported.append(Reported(code, case.reference, message, reply))
        first = session.scalars(select(Case).order_by(Case.id)).first()
        assert first is not None
        where = crypto.EnvelopeContext(new.line.slug, first.reference, "reporter-to-line")
        arrived = attachment_sealing.ArrivedFile(name="notes.txt", data=FILE_CANARY)
        files = attachment_sealing.seal_files(
            [arrived], new.line_key, where, app.extensions["advisory_settings"].attachments
        )
        pepper = bytes.fromhex(TEST_SECRETS["ADVISORY_PEPPER"])
        attachment_sealing.store_sealed(session, pepper, files, case=first, now=DEFAULT_NOW)
        session.commit()
    run_sweep_in(app, "statistics")
    return reported


def data_key() -> bytes:
    return bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])


@pytest.fixture(params=DATABASES)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def source(kind: str, tmp_path: Path) -> Iterator[Source]:
    with empty_database_url(kind, tmp_path / "source", "backup_source") as url:
        (tmp_path / "source").mkdir(mode=0o700, exist_ok=True)
        app = create_app(base_env(tmp_path / "source", url))
        cases = fill(app)
        identity, public = new_key_pair()
        key_file = tmp_path / "backup-key.txt"
        key_file.write_text(identity, encoding="utf-8")
        yield Source(app, cases, key_file, public)
        dispose_apps([app])


@pytest.fixture
def apps() -> Iterator[list[Flask]]:
    """Apps a test makes; their connections are closed at its end (PostgreSQL warns else)."""
    made: list[Flask] = []
    yield made
    dispose_apps(made)


@pytest.fixture
def target_env(kind: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    with empty_database_url(kind, tmp_path / "target", "backup_target") as url:
        (tmp_path / "target").mkdir(mode=0o700, exist_ok=True)
        yield without_secrets(base_env(tmp_path / "target" / "instance", url))


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def created_backup(source: Source, path: Path) -> Path:
    code, output = invoke(source.app, "backup", "create", str(path), "--to", source.public_key)
    assert code == 0, output
    return path


def rows_of(app: Flask) -> str:
    """Every data row of the database as text, table by table, in a fixed order."""
    with app.app_context(), db.engine.connect() as connection:
        names = sorted(set(sa.inspect(connection).get_table_names()) - NOT_DATA)
        parts = []
        for name in names:
            table = sa.Table(name, sa.MetaData(), autoload_with=connection)
            rows = connection.execute(select(table).order_by(*table.primary_key.columns))
            parts.append(f"{name}: {[tuple(row) for row in rows]}")
        return "\n".join(parts)


# --- the drill -----------------------------------------------------------------------------------


def test_a_restored_instance_reads_its_cases_verifies_its_chain_and_reports_the_same(
    kind, source, target_env, tmp_path, apps
):
    backup = created_backup(source, tmp_path / "drill.age")
    code, report_before = invoke(source.app, "report", "yearly", "--year", "2026")
    assert code == 0, report_before

    started = time.monotonic()
    restore = create_app(target_env)
    apps.append(restore)
    code, output = invoke(restore, "backup", "restore", str(backup), "--key", str(source.key_file))
    seconds = time.monotonic() - started

    assert code == 0, output
    rows = rows_of(source.app)
    print(f"\nrestore drill ({kind}): {output.strip()} ({seconds:.2f} s with the app's start)")
    assert "audit chain intact" in output
    restored = create_app(target_env)  # a new process reads the secrets.json it wrote
    apps.append(restored)
    secrets_file = Path(target_env["ADVISORY_INSTANCE_PATH"]) / SECRETS_FILENAME
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert json.loads(secrets_file.read_text()) == {
        name.removeprefix("ADVISORY_").lower(): value for name, value in TEST_SECRETS.items()
    }
    # Every row is as it was
    assert rows_of(restored) == rows
    # The lawyer opens every case with their password; reporters find theirs by their code
    with restored.app_context():
        session = db.session()
        line_key = lawyer_line_key(session)
        pepper = restored.extensions["advisory_settings"].secrets.pepper
        for case in source.cases:
            found = find_case(session, pepper, crypto.lookup_token(case.code))
            assert found is not None
            assert found.reference == case.reference
            texts = {m.direction: m.envelope for m in found.messages}
            assert opened("message", texts[Direction.FROM_REPORTER], line_key, case.reference) == (
                case.message
            )
            own = crypto.reporter_private_key(case.code)
            assert opened("reply", texts[Direction.TO_REPORTER], own, case.reference) == case.reply
        assert opened_file(session, line_key) == FILE_CANARY
    # The chain verifies, and the yearly report is the same to the byte
    assert invoke(restored, "audit", "verify")[0] == 0
    code, report_after = invoke(restored, "report", "yearly", "--year", "2026")
    assert code == 0
    assert report_after == report_before
    assert "Saker etter måned" in report_after  # a real report, not an empty answer


def lawyer_line_key(session) -> X25519PrivateKey:
    """What the lawyer's browser does at sign-in: their key pair from their password, then
    the line key from its grant to them."""
    lawyer = session.scalars(select(Staff).where(Staff.username == LAWYER)).one()
    wrap_key = credentials_for(PASSWORD, LAWYER).wrap_key
    own = crypto.unwrap_staff_private_key(lawyer.wrapped_private_key, wrap_key, lawyer.id)
    grant = session.scalars(
        select(WrappedKey).where(
            WrappedKey.staff_id == lawyer.id, WrappedKey.kind == WrapKind.GRANT
        )
    ).one()
    key_id = session.scalars(select(LineKey.key_id).where(LineKey.id == grant.line_key_id)).one()
    return crypto.open_grant(grant.blob, key_id, lawyer.id, own)


def opened_file(session, line_key) -> bytes:
    attachment = session.scalars(select(Attachment)).one()
    case = session.get(Case, attachment.case_id)
    where = crypto.EnvelopeContext(case.line.slug, case.reference, "reporter-to-line")
    header = json.loads(crypto.open("attachment", attachment.header_envelope, line_key, where))
    chunks = session.scalars(
        select(AttachmentChunk.sealed)
        .where(AttachmentChunk.attachment_id == attachment.id)
        .order_by(AttachmentChunk.seq)
    ).all()
    return stream.open_chunks(b64url_decode(header["key"]), chunks)[: header["size"]]


def test_a_backup_is_one_snapshot_while_the_app_writes(source):
    with source.app.app_context(), db.engine.connect() as reader, snapshot_transaction(reader):
        records = read_snapshot(reader)
        first = next(records)
        assert isinstance(first, TableStart)
        next(records)  # the snapshot is taken at the first read
        # Another connection adds a case and commits while the backup reads
        with db.engine.begin() as writer:
            line_id = writer.execute(sa.text("SELECT MIN(id) FROM line")).scalar_one()
            writer.execute(
                sa.insert(Case.__table__),
                {**case_row(line_id), "reference": "DURING-01"},
            )
        ends = {r.name: r.rows for r in records if isinstance(r, TableEnd)}
    assert ends["case"] == CASES


def case_row(line_id: int) -> dict[str, object]:
    from tests.conftest import new_case

    case = new_case(line_id)
    return {
        column.key: getattr(case, column.key)
        for column in Case.__table__.columns
        if getattr(case, column.key) is not None
    }


# --- what must fail, and keep nothing ------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    """One source for the tests below, which only read it."""
    folder = tmp_path_factory.mktemp("backup-source")
    (folder / "instance").mkdir(mode=0o700)
    app = create_app(base_env(folder / "instance", f"sqlite:///{folder / 'source.db'}"))
    cases = fill(app)
    identity, public = new_key_pair()
    key_file = folder / "backup-key.txt"
    key_file.write_text(identity, encoding="utf-8")
    return Source(app, cases, key_file, public)


@pytest.fixture(scope="module")
def sqlite_backup(sqlite_source: Source, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return created_backup(sqlite_source, tmp_path_factory.mktemp("backup-file") / "b.age")


@pytest.fixture
def empty_target(tmp_path: Path, migrated_template: Path) -> dict[str, str]:
    """A new instance: no secrets, and a database with the tables but no rows (as restore
    leaves one it refused; copied, to spare each test the migrations)."""
    database = tmp_path / "target.db"
    shutil.copyfile(migrated_template, database)
    database.chmod(0o600)
    return without_secrets(base_env(tmp_path / "target", f"sqlite:///{database}"))


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    app = create_app(without_secrets(base_env(folder, f"sqlite:///{folder / 'empty.db'}")))
    with app.app_context():
        upgrade()
    dispose_apps([app])
    return folder / "empty.db"


def restored_into(env: dict[str, str], backup: Path, key_file: Path) -> tuple[int, str]:
    return invoke(create_app(env), "backup", "restore", str(backup), "--key", str(key_file))


def holds_nothing(env: dict[str, str]) -> bool:
    app = create_app(env)
    with app.app_context(), db.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names()) - NOT_DATA
        counts = [
            connection.execute(select(sa.func.count()).select_from(sa.table(name))).scalar()
            for name in tables
        ]
    secrets_file = Path(env["ADVISORY_INSTANCE_PATH"]) / SECRETS_FILENAME
    return not any(counts) and not secrets_file.exists()


def corrupted(path: Path, folder: Path, change) -> Path:
    raw = bytearray(path.read_bytes())
    changed = folder / f"changed-{path.name}"
    changed.write_bytes(change(raw))
    return changed


def flipped(raw: bytearray) -> bytes:
    raw[len(raw) // 2] ^= 0x01
    return bytes(raw)


def cut(raw: bytearray) -> bytes:
    return bytes(raw[: len(raw) - 100])


@pytest.mark.parametrize(("change", "message"), [(flipped, "changed"), (cut, "cut short")])
def test_a_changed_or_cut_backup_restores_nothing(
    sqlite_source, sqlite_backup, empty_target, tmp_path, change, message
):
    backup = corrupted(sqlite_backup, tmp_path, change)

    code, output = restored_into(empty_target, backup, sqlite_source.key_file)

    assert code == 1
    assert "Nothing restored" in output
    assert message in output
    assert "Traceback" not in output
    assert holds_nothing(empty_target)


def test_another_key_restores_nothing(sqlite_source, sqlite_backup, empty_target, tmp_path):
    backup = sqlite_backup
    other = tmp_path / "other-key.txt"
    other.write_text(new_key_pair()[0], encoding="utf-8")

    code, output = invoke(
        create_app(empty_target), "backup", "restore", str(backup), "--key", str(other)
    )

    assert code == 1
    assert "does not open with this key" in output
    assert holds_nothing(empty_target)


def test_a_forged_backup_with_rows_of_no_table_restores_nothing(
    sqlite_source, empty_target, tmp_path
):
    # Anyone with the public key can write a file that decrypts: its contents are checked too
    forged = tmp_path / "forged.age"
    records = [
        TableStart("line", ["id", "slug"]),
        [1, "x"],
        TableEnd("line", 1),
    ]
    recipient = pyrage.x25519.Recipient.from_str(sqlite_source.public_key)
    header = Header(current_revision(sqlite_source.app), "sqlite", "2026-12-05T00:00:00+00:00")
    secrets = {name.removeprefix("ADVISORY_").lower(): bytes(32) for name in TEST_SECRETS}
    with forged.open("wb") as out:
        write_backup(out, recipient, header, secrets, records)

    code, output = invoke(
        create_app(empty_target),
        "backup",
        "restore",
        str(forged),
        "--key",
        str(sqlite_source.key_file),
    )

    assert code == 1
    assert "other columns" in output
    assert holds_nothing(empty_target)


def current_revision(app: Flask) -> str:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


def test_restore_refuses_a_database_that_holds_data(sqlite_source, sqlite_backup, tmp_path):
    backup = sqlite_backup
    before = rows_of(sqlite_source.app)

    code, output = invoke(
        sqlite_source.app, "backup", "restore", str(backup), "--key", str(sqlite_source.key_file)
    )

    assert code == 1
    # The instance's own secrets file is the first thing it meets; a new instance path then
    # meets the database's rows.
    assert "restore into a new instance" in output or "holds data" in output
    assert rows_of(sqlite_source.app) == before


def test_restore_refuses_an_instance_that_has_secrets(
    sqlite_source, sqlite_backup, empty_target, tmp_path
):
    backup = sqlite_backup
    instance = Path(empty_target["ADVISORY_INSTANCE_PATH"])
    instance.mkdir(parents=True)
    own = {name.removeprefix("ADVISORY_").lower(): "44" * 32 for name in TEST_SECRETS}
    (instance / SECRETS_FILENAME).write_text(json.dumps(own))

    code, output = restored_into(empty_target, backup, sqlite_source.key_file)

    assert code == 1
    assert "restore into a new instance (ADVISORY_INSTANCE_PATH)" in output


def test_a_database_with_rows_is_refused_before_anything_is_read(
    sqlite_source, sqlite_backup, tmp_path
):
    backup = sqlite_backup
    url = sqlite_source.app.extensions["advisory_settings"].database_url
    env = without_secrets(base_env(tmp_path / "elsewhere", url))

    code, output = invoke(
        create_app(env), "backup", "restore", str(backup), "--key", str(sqlite_source.key_file)
    )

    assert code == 1
    assert "The database holds data: restore into an empty database (DATABASE_URL)" in output
    assert not (tmp_path / "elsewhere" / SECRETS_FILENAME).exists()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, "ADVISORY_BACKUP_PUBLIC_KEY: not set"),
        ("age1notakey", "ADVISORY_BACKUP_PUBLIC_KEY: not an age public key"),
    ],
)
def test_create_names_the_missing_or_wrong_public_key(sqlite_source, tmp_path, key, expected):
    env = source_env(sqlite_source, tmp_path)
    if key is not None:
        env["ADVISORY_BACKUP_PUBLIC_KEY"] = key
    app = create_app(env)

    code, output = invoke(app, "backup", "create", str(tmp_path / "b.age"))

    assert code == 1
    assert expected in output
    assert not any(tmp_path.glob("*b.age*"))


def source_env(source: Source, folder: Path) -> dict[str, str]:
    """Another process's environment over the source's database."""
    return base_env(folder / "instance", source.app.extensions["advisory_settings"].database_url)


def test_create_into_a_folder_names_the_file_by_time_and_uses_the_setting(sqlite_source, tmp_path):
    identity, public = new_key_pair()
    app = create_app({**source_env(sqlite_source, tmp_path), "ADVISORY_BACKUP_PUBLIC_KEY": public})
    folder = tmp_path / "backups"
    folder.mkdir()

    code, output = invoke(app, "backup", "create", str(folder))

    assert code == 0, output
    (written,) = folder.iterdir()
    assert written.name.startswith("advisory-backup-")
    assert written.suffix == ".age"
    assert f"Backup written to {written}" in output
    key = pyrage.x25519.Identity.from_str(identity.splitlines()[-1])
    assert pyrage.decrypt(written.read_bytes(), [key])[:2] == b"\x1f\x8b"  # gzip inside


def test_keygen_writes_a_private_key_file_and_prints_its_public_key(tmp_path, bare_app):
    runner = bare_app.test_cli_runner()
    key_file = tmp_path / "key.txt"

    result = runner.invoke(args=["backup", "keygen", str(key_file)])

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    identity = pyrage.x25519.Identity.from_str(key_file.read_text().splitlines()[-1])
    assert str(identity.to_public()) in result.output
    assert "AGE-SECRET-KEY" not in result.output
    again = runner.invoke(args=["backup", "keygen", str(key_file)])
    assert again.exit_code == 1
    assert "exists" in again.output
    assert os.path.getsize(key_file) > 0


def forged_backup(source: Source, folder: Path, records: list, *, tail: bytes = b"") -> Path:
    """A file made with the public key, as anyone holding it could make one."""
    forged = folder / "forged.age"
    recipient = pyrage.x25519.Recipient.from_str(source.public_key)
    header = Header(current_revision(source.app), "sqlite", "2026-12-05T00:00:00+00:00")
    secrets = {name.removeprefix("ADVISORY_").lower(): bytes(32) for name in TEST_SECRETS}
    with forged.open("wb") as out:
        write_backup(out, recipient, header, secrets, records)
    if tail:
        key = pyrage.x25519.Identity.from_str(source.key_file.read_text().splitlines()[-1])
        plain = pyrage.decrypt(forged.read_bytes(), [key]) + tail
        forged.write_bytes(pyrage.encrypt(plain, [recipient]))
    return forged


def every_table(rows: dict[str, list]) -> list:
    """Records of every backed-up table, empty but for `rows`."""
    records: list = []
    for table in backed_up_tables():
        records.append(TableStart(table.name, [column.name for column in table.columns]))
        records.extend(rows.get(table.name, []))
        records.append(TableEnd(table.name, len(rows.get(table.name, []))))
    return records


def line_row(source: Source, **changes: object) -> list:
    """The source's line as a backup holds it, with `changes`."""
    line = backed_up_tables()[0]
    with source.app.app_context(), db.engine.connect() as connection:
        row = connection.execute(select(line).order_by(line.c.id)).first()
    assert row is not None
    values = dict(zip(row._fields, (encode_value(value) for value in row), strict=True))
    values.update(changes)
    return [values[column.name] for column in line.columns]


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", 12345), ("created_at", "2026-12-05"), ("slug", None), ("id", True)],
)
def test_a_value_of_another_kind_than_its_column_restores_nothing(
    sqlite_source, empty_target, tmp_path, field, value
):
    forged = forged_backup(
        sqlite_source, tmp_path, every_table({"line": [line_row(sqlite_source, **{field: value})]})
    )

    code, output = restored_into(empty_target, forged, sqlite_source.key_file)

    assert code == 1
    assert f"line.{field} holds a value of another kind" in output
    assert holds_nothing(empty_target)


def test_bytes_after_the_end_restore_nothing(sqlite_source, empty_target, tmp_path):
    forged = forged_backup(sqlite_source, tmp_path, every_table({}), tail=b"\x00junk")

    code, output = restored_into(empty_target, forged, sqlite_source.key_file)

    assert code == 1
    assert "goes on after its end" in output
    assert holds_nothing(empty_target)


def test_rows_the_database_refuses_restore_nothing_and_say_so(
    sqlite_source, empty_target, tmp_path
):
    twice = every_table(
        {"line": [line_row(sqlite_source), line_row(sqlite_source, slug="again")]}
    )  # one id twice
    forged = forged_backup(sqlite_source, tmp_path, twice)

    code, output = restored_into(empty_target, forged, sqlite_source.key_file)

    assert code == 1
    assert "the database refused the rows (IntegrityError)" in output
    assert holds_nothing(empty_target)


def test_a_secrets_file_that_cannot_be_written_keeps_no_rows(
    sqlite_source, sqlite_backup, empty_target, monkeypatch
):
    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_cli, "write_secrets_file", disk_full)

    code, output = restored_into(empty_target, sqlite_backup, sqlite_source.key_file)

    assert code == 1
    assert "secrets.json could not be written (No space left on device)" in output
    assert holds_nothing(empty_target)


def test_create_never_replaces_a_file(sqlite_source, tmp_path):
    earlier = tmp_path / "earlier.age"
    earlier.write_bytes(b"an earlier backup")

    code, output = invoke(
        sqlite_source.app, "backup", "create", str(earlier), "--to", sqlite_source.public_key
    )

    assert code == 1
    assert "exists" in output
    assert earlier.read_bytes() == b"an earlier backup"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["earlier.age"]


def test_the_backup_file_shows_nothing_without_the_private_key(sqlite_source, sqlite_backup):
    source, backup = sqlite_source, sqlite_backup

    raw = backup.read_bytes()

    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert raw.startswith(b"age-encryption.org/v1\n")
    with source.app.app_context():
        envelopes = db.session.scalars(select(Message.envelope)).all()
    searched = [LAWYER, *TEST_SECRETS.values(), *(e[-40:] for e in envelopes)]
    for text in searched:
        assert text.encode() not in raw
    assert bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"]) not in raw
    other, _ = new_key_pair()
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(raw, [pyrage.x25519.Identity.from_str(other.splitlines()[-1])])


@pytest.mark.parametrize("command", ["create", "restore"])
def test_a_database_that_does_not_answer_is_a_message_not_a_traceback(
    sqlite_source, sqlite_backup, tmp_path, command
):
    unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'advisory.db'}"
    env = without_secrets(base_env(tmp_path / "instance", unreachable))
    args = {
        "create": ["create", str(tmp_path / "b.age"), "--to", sqlite_source.public_key],
        "restore": ["restore", str(sqlite_backup), "--key", str(sqlite_source.key_file)],
    }[command]
    if command == "create":
        env.update(TEST_SECRETS)

    code, output = invoke(create_app(env), "backup", *args)

    assert code == 1
    assert "DATABASE_URL: the database did not answer or refused (OperationalError)" in output
    assert "Traceback" not in output
    assert not (tmp_path / "b.age").exists()
