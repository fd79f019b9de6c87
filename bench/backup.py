"""The restore drill at size: a backup of 100 000 cases, and an instance rebuilt from it.

    .venv/bin/python -m bench.backup [--cases 100000] [--open 20000] [--lines 10]
        [--lawyers 12] [--skip-postgres] [--skip-sqlite]

For each backend (SQLite, then PostgreSQL) the script seeds a database as bench/queue.py does
(cases with sealed messages, callbacks, an intact audit chain, on --lines lines), then runs
the commands an administrator runs, through the CLI in this process:

- `backup create FILE --to PUBLIC_KEY`, timed, with the file's size;
- `backup restore FILE --key KEYFILE` into a new instance (an empty SQLite file, or a second
  schema of the bench database, and an instance folder without secrets), timed;
- on the restored instance, `audit verify` and the yearly report, which must equal the
  source's report byte for byte.

It prints the rows restored and the seconds each step took. No target: the figures are for
the operator who plans a restore window.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from advisory import create_app
from advisory.extensions import db
from advisory.services.backup_file import new_key_pair
from bench.intake import prepare_database, server_env
from bench.postgres import DEFAULT_POSTGRES_URL, postgres_schema, run_on_postgres
from bench.queue import prepare_lines, seed

PG_SCHEMA = "bench_backup"
PG_RESTORED_SCHEMA = "bench_backup_restored"


def invoke(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed: {result.output}")
    return result.output


def drill(backend: str, source_url: str, target_url: str, folder: Path, args) -> list[str]:
    secret_hex = {
        f"ADVISORY_{name}": secrets.token_hex(32) for name in ("SECRET_KEY", "PEPPER", "DATA_KEY")
    }
    env = server_env(folder / "source", source_url, secret_hex)
    prepare_database(env)
    prepare_lines(env, args.lines, datetime.now(UTC))
    seeded = seed(
        source_url, args, datetime.now(UTC), bytes.fromhex(secret_hex["ADVISORY_DATA_KEY"])
    )
    counts = ", ".join(f"{n} {table}" for table, n in seeded.counts.items())
    print(f"{backend}: seeded {counts} in {seeded.seconds:.1f} s")

    identity, public = new_key_pair()
    key_file = folder / "backup-key.txt"
    key_file.write_text(identity, encoding="utf-8")
    backup = folder / "drill.age"
    year = str(datetime.now(UTC).year)
    source = create_app(env)
    started = time.perf_counter()
    created = invoke(source, "backup", "create", str(backup), "--to", public)
    create_seconds = time.perf_counter() - started
    report_before = invoke(source, "report", "yearly", "--year", year)

    target_env = server_env(folder / "target", target_url, {})
    target = create_app(target_env)
    started = time.perf_counter()
    restored = invoke(target, "backup", "restore", str(backup), "--key", str(key_file))
    restore_seconds = time.perf_counter() - started
    verified = create_app(target_env)
    chain = invoke(verified, "audit", "verify").strip()
    same = invoke(verified, "report", "yearly", "--year", year) == report_before
    for app in (source, target, verified):
        with app.app_context():
            db.engine.dispose()
    return [
        f"{backend}: {created.strip()}",
        f"{backend}: create {create_seconds:.1f} s, restore {restore_seconds:.1f} s "
        f"(the command, app start included): {restored.strip()}",
        f"{backend}: {chain}; yearly report {'identical' if same else 'DIFFERENT'}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--lawyers", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)

    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        if not args.skip_sqlite:
            folder = Path(tmp) / "sqlite"
            folder.mkdir()
            source, target = (f"sqlite:///{folder / name}" for name in ("source.db", "target.db"))
            lines += drill("sqlite", source, target, folder, args)

        def on_postgres(source_url: str, folder: Path) -> list[str]:
            import sqlalchemy as sa

            with postgres_schema(sa.make_url(args.postgres_url), PG_RESTORED_SCHEMA) as target:
                return drill("postgresql", source_url, target, folder, args)

        result = run_on_postgres(
            args.postgres_url, PG_SCHEMA, Path(tmp), on_postgres, skip=args.skip_postgres
        )
        lines += result or []
    print("\n".join(["", *lines]))
    return 0 if all("DIFFERENT" not in line for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
