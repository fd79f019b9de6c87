"""The instance directory and what is in it: for the server's own user only, whatever the umask.

The instance directory holds the SQLite database (with its -wal, -shm and -journal files), the
secrets and the demo staff's passwords. It is created 0700, and every file in it 0600; the mode
is set on the open file, so the umask neither widens nor narrows it and nothing is ever
readable by others, not even for a moment. SQLite gives its -wal, -shm and -journal files the
database file's own mode, so the database file is created here, 0600, before SQLite opens it.
An installation from before this was so is tightened at start-up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

from sqlalchemy import make_url

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

log = logging.getLogger(__name__)


def prepare_instance_files(instance_path: Path, url: str) -> int:
    """Anything already there made private; then, for SQLite, the instance directory (0700)
    and the database file (0600) before SQLite creates it with its own, wider mode. Returns
    how many were too open (`tighten`), for `doctor` to say."""
    database = sqlite_file(url, instance_path)
    tightened = tighten(instance_path, database)
    if database is not None:
        create_private_directory(instance_path)
        # A database elsewhere lives in a folder of the operator's choosing: never made here.
        with contextlib.suppress(FileNotFoundError):
            create_sqlite_file(database)
    return tightened


def sqlite_file(url: str, instance_path: Path) -> Path | None:
    """The file of a SQLite database URL (relative to the instance folder, as Flask-SQLAlchemy
    reads it), or None for another database or one in memory."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:") or parsed.query.get("mode") == "memory":
        return None
    path = Path(name)
    return path if path.is_absolute() else instance_path / path


def create_private_directory(path: Path) -> None:
    """Create `path` (and missing parents) with the directory itself 0700."""
    # Created 0700 less the umask, never wider; then exactly 0700.
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != DIRECTORY_MODE:
        path.chmod(DIRECTORY_MODE)


def open_private_file(path: Path, *, replace: bool) -> int:
    """Open `path` for writing as a 0600 file; `replace=False` refuses an existing file.

    Returns the descriptor (for `os.fdopen`).
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away; a kept file had its own
    except OSError:
        os.close(fd)
        raise
    return fd


def write_private_text(path: Path, text: str) -> None:
    """Write (or overwrite) a 0600 text file."""
    with os.fdopen(open_private_file(path, replace=True), "w", encoding="utf-8") as handle:
        handle.write(text)


def create_sqlite_file(path: Path) -> None:
    """An empty 0600 database file for SQLite to open, unless the database exists already."""
    with contextlib.suppress(FileExistsError):
        os.close(open_private_file(path, replace=False))


def tighten(instance_path: Path, sqlite_file: Path | None = None) -> int:
    """Take group and other permissions away from the instance directory and the files in it,
    and from the SQLite database and its companions wherever they are.

    Returns how many were too open, and says so in one log line. Only the directory's own
    files: sub-folders and links are left as they are (a link's target may be anyone's).
    """
    targets: dict[Path, int] = {}
    if instance_path.is_dir():
        targets[instance_path] = DIRECTORY_MODE
        targets.update(dict.fromkeys(sorted(instance_path.iterdir()), FILE_MODE))
    if sqlite_file is not None:
        for end in ("", *_SQLITE_COMPANIONS):
            targets[sqlite_file.with_name(sqlite_file.name + end)] = FILE_MODE
    tightened = sum(_tighten_one(path, mode) for path, mode in targets.items())
    if tightened:
        log.warning(
            "Made %d item(s) private to the server's user (the instance directory %s, files "
            "in it, or its SQLite database): others could read them.",
            tightened,
            instance_path,
        )
    return tightened


def _tighten_one(path: Path, mode: int) -> bool:
    try:
        found = path.lstat()
    except FileNotFoundError:
        return False
    kind = stat.S_IFMT(found.st_mode)
    wanted = stat.S_IFDIR if mode == DIRECTORY_MODE else stat.S_IFREG
    if kind != wanted or stat.S_IMODE(found.st_mode) & ~mode == 0:
        return False
    path.chmod(stat.S_IMODE(found.st_mode) & mode)
    return True
