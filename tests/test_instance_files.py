"""The instance directory is the server user's alone: 0700, every file in it 0600.

Whatever the umask: a fresh installation (`flask init --demo`, then a write, so that SQLite has
its -wal and -shm files) is checked under 022 and under 000. An installation from before is
tightened at start-up, saying so once. SQLite only: PostgreSQL keeps no files here but the
secrets, which the fresh installation covers.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from advisory import create_app
from advisory.extensions import db
from advisory.instance_files import write_private_text
from tests.conftest import TEST_SECRETS, base_env

# Key wrapping at a test-only cost: `init` wraps the new line key.
pytestmark = pytest.mark.usefixtures("cheap_key_wrapping")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def fresh_env(instance: Path) -> dict[str, str]:
    """A new installation: the database in the instance directory, no secrets yet."""
    env = base_env(instance, f"sqlite:///{instance / 'advisory.db'}")
    for variable in TEST_SECRETS:
        del env[variable]
    return env


def test_a_fresh_installation_is_private_whatever_the_umask(tmp_path, umask):
    instance = tmp_path / "instance"
    app = create_app(fresh_env(instance))
    try:
        result = app.test_cli_runner().invoke(args=["init", "--demo"])
        assert result.exit_code == 0, result.output
        with app.app_context(), db.engine.begin() as connection:
            # A write while the pool holds its connection open: SQLite's -wal and -shm exist.
            connection.execute(text("CREATE TABLE written_after_init (id INTEGER)"))
            files = {path.name: mode(path) for path in instance.iterdir()}
    finally:
        with app.app_context():
            db.engine.dispose()

    expected = {"advisory.db", "advisory.db-wal", "advisory.db-shm", "secrets.json"}
    assert expected | {"demo-staff.txt"} <= set(files)
    assert files == dict.fromkeys(files, 0o600)
    assert mode(instance) == 0o700


def test_demo_passwords_written_again_are_private_again(tmp_path, umask):
    path = tmp_path / "demo-staff.txt"
    path.write_text("old")
    path.chmod(0o644)

    write_private_text(path, "new")

    assert path.read_text() == "new"
    assert mode(path) == 0o600


@pytest.fixture
def open_installation(tmp_path: Path) -> Path:
    """An instance directory as an older version left it: open to everyone who can look."""
    instance = tmp_path / "instance"
    instance.mkdir()
    for name in ("advisory.db", "advisory.db-wal", "secrets.json", "demo-staff.txt"):
        (instance / name).write_text("")
        (instance / name).chmod(0o644)
    instance.chmod(0o755)
    return instance


def test_an_existing_installation_is_tightened_at_start_up(open_installation, tmp_path, caplog):
    instance = open_installation
    elsewhere = tmp_path / "shared-note.txt"  # someone else's file, linked from the instance
    elsewhere.write_text("")
    elsewhere.chmod(0o644)
    (instance / "link").symlink_to(elsewhere)
    caplog.set_level(logging.INFO, logger="advisory.instance_files")

    create_app(base_env(instance, f"sqlite:///{instance / 'advisory.db'}"))

    assert mode(instance) == 0o700
    assert {p.name: mode(p) for p in instance.iterdir() if not p.is_symlink()} == {
        "advisory.db": 0o600,
        "advisory.db-wal": 0o600,
        "secrets.json": 0o600,
        "demo-staff.txt": 0o600,
    }
    assert mode(elsewhere) == 0o644  # a link's target is left alone
    # One line says so, naming the instance directory and no file in it.
    [record] = caplog.records
    assert str(instance) in record.getMessage()
    assert "5" in record.getMessage()  # the directory and its four files
    assert not any(name in record.getMessage() for name in ("advisory.db", "secrets", "demo"))


def test_a_private_installation_starts_without_a_word(tmp_path, caplog):
    instance = tmp_path / "instance"
    env = base_env(instance, f"sqlite:///{instance / 'advisory.db'}")
    create_app(env)
    caplog.set_level(logging.INFO, logger="advisory.instance_files")

    create_app(env)

    assert caplog.records == []


def test_a_database_elsewhere_is_created_private_too(tmp_path, umask):
    folder = tmp_path / "databases"
    folder.mkdir()

    create_app(base_env(tmp_path / "instance", f"sqlite:///{folder / 'line.db'}"))

    assert mode(folder / "line.db") == 0o600
