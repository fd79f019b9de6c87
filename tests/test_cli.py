"""`flask --app advisory init` and `staff`: what they create, what they print, what they refuse.

Commands run through the Flask CLI runner inside the test's rolled-back transaction, on every
configured database. Wrapping the line key costs 600 000 PBKDF2 iterations; only the test that
checks the recovery passphrase pays that price, the others wrap with a test-only low count.
"""

from __future__ import annotations

import json
import re
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select

import crypto
from advisory import create_app, passwords, totp
from advisory.cli.init import DEMO_CREDENTIALS_FILE
from advisory.instance_secrets import create_secrets_file
from advisory.models import Line, LineKey, Role, Staff, WrapKind, WrappedKey
from advisory.services.line_membership import lawyer_line_ids
from advisory.settings import SECRET_NAMES, SECRETS_FILENAME, load_settings
from tests.conftest import DEFAULT_NOW, TEST_SECRETS, base_env, dispose_apps
from tests.staff_credentials import auth_key_bytes, auth_key_for, credentials_for, enrolment_form

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
CROCKFORD_GROUP = "[0-9A-HJKMNP-TV-Z]{4}"
RECOVERY_PASSPHRASE = re.compile(rf"\b{CROCKFORD_GROUP}(?:-{CROCKFORD_GROUP}){{7}}\b")
ONE_TIME_PASSWORD = re.compile(r"^One-time password[^:]*: (\S+)$", re.MULTILINE)


# Key wrapping at a test-only cost here; a test asks for `real_kdf_cost` to get the real one.
pytestmark = pytest.mark.usefixtures("cheap_key_wrapping")


@pytest.fixture
def initialised(runner):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def instance_path(app) -> Path:
    return app.extensions["advisory_settings"].instance_path


@pytest.fixture
def demo_credentials_file(instance_path) -> Iterator[Path]:
    """`init --demo` writes this into the shared instance folder; no later test may see it."""
    path = instance_path / DEMO_CREDENTIALS_FILE
    yield path
    path.unlink(missing_ok=True)


# --- init ---------------------------------------------------------------------------------------


def test_init_prints_a_recovery_passphrase_that_unwraps_the_new_line_key(
    runner, db_session, instance_path, real_kdf_cost
):
    result = runner.invoke(args=["init"])

    assert result.exit_code == 0, result.output
    passphrase = _recovery_passphrase(result.output)
    [line] = db_session.scalars(select(Line)).all()
    [line_key] = db_session.scalars(select(LineKey)).all()
    [wrapped] = db_session.scalars(select(WrappedKey)).all()
    assert line_key.line_id == line.id
    assert line_key.retired_at is None
    assert line_key.key_id in result.output
    assert (wrapped.kind, wrapped.staff_id, wrapped.line_key_id) == (
        WrapKind.RECOVERY,
        None,
        line_key.id,
    )
    assert json.loads(wrapped.blob)["iterations"] == crypto.PBKDF2_ITERATIONS
    private_key = crypto.unwrap_private_key(
        wrapped.blob, crypto.normalise_recovery_passphrase(passphrase)
    )
    assert crypto.public_key_to_text(private_key.public_key()) == line_key.public_key
    assert crypto.key_id_for(private_key.public_key()) == line_key.key_id
    # Secrets came from the environment, so init had no reason to write a secrets file.
    assert not (instance_path / SECRETS_FILENAME).exists()


def test_init_twice_refuses_and_prints_no_passphrase(runner, db_session, initialised):
    again = runner.invoke(args=["init"])

    assert again.exit_code != 0
    assert "Already initialised" in again.output
    assert "--force" in again.output
    assert "RECOVERY PASSPHRASE" not in again.output
    assert not RECOVERY_PASSPHRASE.search(again.output)
    assert len(db_session.scalars(select(LineKey)).all()) == 1
    assert len(db_session.scalars(select(WrappedKey)).all()) == 1


def test_init_if_needed_initialises_once_and_then_succeeds_quietly(runner, db_session):
    first = runner.invoke(args=["init", "--if-needed"])
    second = runner.invoke(args=["init", "--if-needed"])

    assert first.exit_code == 0, first.output
    _recovery_passphrase(first.output)
    assert second.exit_code == 0, second.output
    assert not RECOVERY_PASSPHRASE.search(second.output)
    assert len(db_session.scalars(select(LineKey)).all()) == 1


def test_init_force_retires_the_old_key_and_starts_a_new_one(runner, db_session, initialised):
    old_passphrase = _recovery_passphrase(initialised.output)

    forced = runner.invoke(args=["init", "--force"])

    assert forced.exit_code == 0, forced.output
    new_passphrase = _recovery_passphrase(forced.output)
    assert new_passphrase != old_passphrase
    assert len(db_session.scalars(select(Line)).all()) == 1
    old_key, new_key = db_session.scalars(select(LineKey).order_by(LineKey.id)).all()
    assert old_key.retired_at == DEFAULT_NOW
    assert new_key.retired_at is None
    assert new_key.key_id != old_key.key_id
    assert new_key.key_id in forced.output
    recovery = db_session.scalars(select(WrappedKey).where(WrappedKey.kind == WrapKind.RECOVERY))
    by_key = {wrapped.line_key_id: wrapped for wrapped in recovery}
    assert set(by_key) == {old_key.id, new_key.id}
    # The old key stays wrapped (its cases stay readable); the new passphrase opens the new key.
    private_key = crypto.unwrap_private_key(
        by_key[new_key.id].blob, crypto.normalise_recovery_passphrase(new_passphrase)
    )
    assert crypto.public_key_to_text(private_key.public_key()) == new_key.public_key


def test_init_demo_makes_two_lines_each_with_a_lawyer_holding_its_key(
    runner, db_session, demo_credentials_file
):
    # The first line's demo lawyer works on both lines and holds both keys; the Swedish
    # line's works on it alone.
    result = runner.invoke(args=["init", "--demo"])

    assert result.exit_code == 0, result.output
    staff = {s.username: s for s in db_session.scalars(select(Staff))}
    assert {name: s.role for name, s in staff.items()} == {
        "demo-lawyer": Role.LAWYER,
        "demo-coordinator": Role.COORDINATOR,
        "demo-admin": Role.ADMIN,
        "demo-lawyer-musikk": Role.LAWYER,
    }
    lines = db_session.scalars(select(Line).order_by(Line.id)).all()
    assert [(line.slug, line.holiday_country) for line in lines] == [
        ("main", "NO"),
        ("musikk", "SE"),
    ]
    assert lines[0].weekly_hours != lines[1].weekly_hours  # the Swedish line keeps other hours
    held = {"demo-lawyer": lines, "demo-lawyer-musikk": [lines[1]]}
    for username, their_lines in held.items():
        lawyer = staff[username]
        assert lawyer.line_id == their_lines[0].id
        assert lawyer_line_ids(db_session, lawyer) == [line.id for line in their_lines]
        granted = {
            wrap.line_key.line_id: wrap
            for wrap in db_session.scalars(
                select(WrappedKey).where(
                    WrappedKey.kind == WrapKind.GRANT, WrappedKey.staff_id == lawyer.id
                )
            )
        }
        assert set(granted) == {line.id for line in their_lines}
        password = _demo_password(result.output, username)
        credentials = credentials_for(password, username)
        assert passwords.verify_auth_key(lawyer.password_hash, credentials.auth_key)
        own = crypto.unwrap_staff_private_key(
            lawyer.wrapped_private_key, credentials.wrap_key, lawyer.id
        )
        for line in their_lines:
            [line_key] = db_session.scalars(select(LineKey).where(LineKey.line_id == line.id))
            private_key = crypto.open_grant(granted[line.id].blob, line_key.key_id, lawyer.id, own)
            assert crypto.public_key_to_text(private_key.public_key()) == line_key.public_key
    assert stat.S_IMODE(demo_credentials_file.stat().st_mode) == 0o600


# --- staff add ----------------------------------------------------------------------------------


def test_staff_add_prints_a_one_time_password_and_no_totp_secret(runner, db_session, initialised):
    result = runner.invoke(args=["staff", "add", "alice", "--role", "lawyer"])

    assert result.exit_code == 0, result.output
    password = _one_time_password(result.output)
    # The first sign-in makes the seed the person enrols; one printed here would be useless
    assert "otpauth://" not in result.output

    [alice] = db_session.scalars(select(Staff)).all()
    [line] = db_session.scalars(select(Line)).all()
    assert (alice.username, alice.role, alice.line_id) == ("alice", Role.LAWYER, line.id)
    assert alice.must_change_password is True
    assert alice.totp_confirmed is False
    assert alice.password_hash.startswith("$argon2id$")
    assert password not in alice.password_hash
    assert passwords.verify_auth_key(alice.password_hash, auth_key_bytes(password, "alice"))
    assert not passwords.verify_auth_key(
        alice.password_hash, auth_key_bytes(password + "x", "alice")
    )
    seed = totp.open_seed(DATA_KEY, alice.totp_secret_encrypted)
    assert seed not in result.output


def test_the_secret_the_welcome_page_shows_after_staff_add_confirms_the_enrolment(
    runner, client, db_session, initialised
):
    # Given an account added on the command line, and its one-time password as printed
    result = runner.invoke(args=["staff", "add", "alice", "--role", "lawyer"])
    password = _one_time_password(result.output)
    assert "secret that page shows" in result.output
    # When they sign in with it (no code yet) and read the secret off the welcome page
    token = _csrf_token(client, "/staff/login")
    signed_in = client.post(
        "/staff/login",
        data={
            "username": "alice",
            "auth_key": auth_key_for(password, "alice"),
            "csrf_token": token,
        },
    )
    assert signed_in.headers["Location"] == "/staff/welcome"
    welcome = client.get("/staff/welcome").get_data(as_text=True)
    shown = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', welcome)
    assert shown is not None
    secret = shown.group(1).replace(" ", "")
    # Then no secret the command printed is it, and a code from it confirms the enrolment
    assert secret not in result.output
    alice_id = db_session.scalars(select(Staff.id).where(Staff.username == "alice")).one()
    code = pyotp.TOTP(secret).at(DEFAULT_NOW)
    form = enrolment_form("a passphrase of her own", "alice", alice_id, code)
    token = _csrf_token(client, "/staff/welcome")
    enrolled = client.post("/staff/welcome", data={**form, "csrf_token": token})
    assert enrolled.status_code == 302, enrolled.get_data(as_text=True)
    assert db_session.scalars(select(Staff.totp_confirmed).where(Staff.id == alice_id)).one()


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_staff_add_for_roles_without_a_line_works_before_init(runner, db_session, role):
    result = runner.invoke(args=["staff", "add", "bob", "--role", role.value])

    assert result.exit_code == 0, result.output
    [bob] = db_session.scalars(select(Staff)).all()
    assert (bob.role, bob.line_id) == (role, None)


def test_staff_add_stores_usernames_in_lower_case(runner, db_session):
    result = runner.invoke(args=["staff", "add", "Carol.Berg", "--role", "coordinator"])

    assert result.exit_code == 0, result.output
    assert db_session.scalars(select(Staff.username)).all() == ["carol.berg"]


@pytest.mark.parametrize(
    "username",
    [
        "ab",  # too short
        "a" * 65,  # too long
        "_alice",  # must start with a letter or digit
        "alice smith",
        "ålesund",
        "alice@example.org",
        "alice/../admin",
        "alice\tbob",
    ],
)
def test_staff_add_refuses_an_invalid_username(runner, db_session, username):
    result = runner.invoke(args=["staff", "add", username, "--role", "coordinator"])

    assert result.exit_code != 0
    assert "A username has 3 to 64 characters" in result.output
    assert "One-time password" not in result.output
    assert db_session.scalars(select(Staff)).all() == []


@pytest.mark.parametrize("second", ["alice", "ALICE", " alice "])
def test_staff_add_refuses_a_duplicate(runner, db_session, second):
    first = runner.invoke(args=["staff", "add", "alice", "--role", "coordinator"])
    again = runner.invoke(args=["staff", "add", second, "--role", "admin"])

    assert first.exit_code == 0, first.output
    assert again.exit_code != 0
    assert "There is already a staff member called 'alice'" in again.output
    assert "One-time password" not in again.output
    [alice] = db_session.scalars(select(Staff)).all()
    assert alice.role == Role.COORDINATOR


@pytest.mark.parametrize(
    ("role_args", "complaint"),
    [
        (["--role", "judge"], "Invalid value for '--role'"),
        (["--role", "LAWYER"], "Invalid value for '--role'"),
        ([], "Missing option '--role'"),
    ],
)
def test_staff_add_refuses_a_bad_role(runner, db_session, role_args, complaint):
    result = runner.invoke(args=["staff", "add", "alice", *role_args])

    assert result.exit_code != 0
    assert complaint in result.output
    assert db_session.scalars(select(Staff)).all() == []


def test_staff_add_refuses_a_lawyer_before_init(runner, db_session):
    result = runner.invoke(args=["staff", "add", "alice", "--role", "lawyer"])

    assert result.exit_code != 0
    assert "init` first" in result.output
    assert "One-time password" not in result.output
    assert db_session.scalars(select(Staff)).all() == []


# --- staff list ---------------------------------------------------------------------------------


def test_staff_list_says_when_there_is_nobody(runner, db_session):
    result = runner.invoke(args=["staff", "list"])

    assert result.exit_code == 0, result.output
    assert "No staff yet." in result.output


def test_staff_list_shows_names_and_roles_and_no_secrets(runner, db_session, initialised):
    added = [
        runner.invoke(args=["staff", "add", "alice", "--role", "lawyer"]),
        runner.invoke(args=["staff", "add", "bob", "--role", "coordinator"]),
        runner.invoke(args=["staff", "add", "root", "--role", "admin"]),
    ]
    assert all(result.exit_code == 0 for result in added), [r.output for r in added]

    listing = runner.invoke(args=["staff", "list"])

    assert listing.exit_code == 0, listing.output
    rows = {line.split()[0]: line.split()[1] for line in listing.output.splitlines()[1:]}
    assert rows == {"alice": "lawyer", "bob": "coordinator", "root": "admin"}
    for member in db_session.scalars(select(Staff)):
        assert member.password_hash not in listing.output
        assert member.totp_secret_encrypted not in listing.output
    for result in added:
        assert _one_time_password(result.output) not in listing.output
        assert "otpauth://" not in result.output
    assert "$argon2" not in listing.output


# --- a fresh installation, without secrets ------------------------------------------------------


@contextmanager
def app_of(env: dict[str, str]) -> Iterator[Flask]:
    """An app on `env` whose database connections are closed afterwards."""
    app = create_app(env)
    try:
        yield app
    finally:
        dispose_apps([app])


def invoke_once(env: dict[str, str], *args: str) -> Result:
    """Run one command in an app of its own, as a separate process would."""
    with app_of(env) as app:
        return app.test_cli_runner().invoke(args=list(args))


def test_init_on_a_fresh_installation_writes_a_private_secrets_file(tmp_path):
    # Given an installation whose environment holds no secrets
    env = env_without_secrets(tmp_path / "instance", tmp_path)
    with app_of(env) as fresh:
        assert not fresh.extensions["advisory_settings"].initialised
        # When it is initialised
        result = fresh.test_cli_runner().invoke(args=["init"])

    # Then the secrets file exists, is the owner's alone, and holds three fresh secrets
    assert result.exit_code == 0, result.output
    _recovery_passphrase(result.output)
    path = tmp_path / "instance" / SECRETS_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert set(stored) == set(SECRET_NAMES)
    assert all(re.fullmatch("[0-9a-f]{64}", value) for value in stored.values())
    assert len(set(stored.values())) == 3
    for value in stored.values():
        assert value not in result.output
        assert value.upper() not in result.output
    # And the next start of the app reads them
    settings = load_settings(env)
    assert settings.initialised
    assert settings.secrets is not None
    assert settings.secrets.data_key == bytes.fromhex(stored["data_key"])


def test_a_restarted_app_finds_the_secrets_init_wrote(tmp_path):
    env = env_without_secrets(tmp_path, tmp_path)
    assert invoke_once(env, "init").exit_code == 0

    with app_of(env) as second:
        settings = second.extensions["advisory_settings"]
        assert settings.initialised
        assert settings.secrets == load_settings(env).secrets
        # Initialising again neither fails with --if-needed nor replaces the secrets.
        before = (tmp_path / SECRETS_FILENAME).read_bytes()
        again = second.test_cli_runner().invoke(args=["init", "--if-needed"])
        assert again.exit_code == 0, again.output
        assert (tmp_path / SECRETS_FILENAME).read_bytes() == before


def test_staff_add_before_any_secrets_exist_asks_for_init(tmp_path):
    env = env_without_secrets(tmp_path, tmp_path)

    result = invoke_once(env, "staff", "add", "bob", "--role", "admin")

    assert result.exit_code != 0
    assert "init` first" in result.output
    assert not (tmp_path / SECRETS_FILENAME).exists()


def test_init_refuses_to_replace_lost_secrets_of_an_initialised_database(tmp_path):
    # Given an initialised installation whose secrets file has been lost
    env = env_without_secrets(tmp_path, tmp_path)
    assert invoke_once(env, "init").exit_code == 0
    (tmp_path / SECRETS_FILENAME).unlink()

    # When init runs again, even in the forgiving mode make run uses
    result = invoke_once(env, "init", "--if-needed")

    # Then it stops and asks for the backup instead of minting secrets that fit nothing
    assert result.exit_code != 0
    assert "restore it" in result.output
    assert not (tmp_path / SECRETS_FILENAME).exists()


def test_init_force_demo_with_existing_demo_staff_says_why_it_stops(
    runner, db_session, demo_credentials_file
):
    assert runner.invoke(args=["init", "--demo"]).exit_code == 0

    again = runner.invoke(args=["init", "--force", "--demo"])

    assert again.exit_code != 0
    assert "already a staff member called 'demo-lawyer'" in again.output
    assert "Traceback" not in again.output


# --- the secrets file itself --------------------------------------------------------------------


def test_create_secrets_file_creates_the_instance_folder_and_matches_what_it_returns(tmp_path):
    instance = tmp_path / "not" / "yet" / "there"

    secrets = create_secrets_file(instance)

    stored = json.loads((instance / SECRETS_FILENAME).read_text(encoding="utf-8"))
    assert stored == {name: getattr(secrets, name).hex() for name in SECRET_NAMES}
    assert stat.S_IMODE((instance / SECRETS_FILENAME).stat().st_mode) == 0o600


def test_create_secrets_file_never_overwrites_existing_secrets(tmp_path):
    create_secrets_file(tmp_path)
    before = (tmp_path / SECRETS_FILENAME).read_bytes()

    with pytest.raises(FileExistsError):
        create_secrets_file(tmp_path)

    assert (tmp_path / SECRETS_FILENAME).read_bytes() == before


def env_without_secrets(instance_path: Path, tmp_path: Path) -> dict[str, str]:
    """A fresh installation's environment: its own SQLite file and no secrets yet."""
    env = base_env(instance_path, f"sqlite:///{tmp_path / 'fresh.db'}")
    for variable in TEST_SECRETS:
        del env[variable]
    return env


# --- helpers ------------------------------------------------------------------------------------


def _recovery_passphrase(output: str) -> str:
    assert "RECOVERY PASSPHRASE" in output
    [passphrase] = RECOVERY_PASSPHRASE.findall(output)
    return passphrase


def _csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _one_time_password(output: str) -> str:
    [password] = ONE_TIME_PASSWORD.findall(output)
    return password


def _demo_password(output: str, username: str) -> str:
    match = re.search(rf"username {re.escape(username)}\s+password (\S+)", output)
    assert match, output
    return match.group(1)


# --- production configurations ------------------------------------------------------------------


@pytest.fixture
def production_app(tmp_path: Path) -> Flask:
    """An app as a real deployment configures it: ADVISORY_ENV=production."""
    env = base_env(tmp_path, f"sqlite:///{tmp_path / 'prod.db'}", ADVISORY_ENV="production")
    return create_app(env)


def test_a_production_configuration_has_no_demo_commands(production_app):
    result = production_app.test_cli_runner().invoke(args=["demo", "seed"])

    assert result.exit_code != 0
    assert "No such command 'demo'" in result.output


def test_init_with_demo_staff_is_refused_in_production_and_makes_nothing(production_app, tmp_path):
    result = production_app.test_cli_runner().invoke(args=["init", "--demo"])

    assert result.exit_code != 0
    assert "development only" in result.output
    assert not (tmp_path / DEMO_CREDENTIALS_FILE).exists()
    # Refused before the migrations ran: no table was made
    with sqlite3.connect(tmp_path / "prod.db") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == []


def test_demo_reply_reads_its_text_from_standard_input_only(runner, db_session, initialised):
    result = runner.invoke(args=["demo", "reply", "text on the command line"])

    assert result.exit_code != 0
    assert "Got unexpected extra argument" in result.output
