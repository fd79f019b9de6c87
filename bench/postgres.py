"""PostgreSQL for the benchmarks: their own database, and a schema per run dropped afterwards.

The test suite's database is never touched: each benchmark names its schema, selected for the
app with `?options=-csearch_path%3D<schema>`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"

T = TypeVar("T")


def ensure_database(url: sa.URL) -> bool:
    """Create the bench database if missing; False (and a message) if PostgreSQL is unreachable."""
    server = sa.create_engine(
        url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    try:
        with server.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not exists:
                name = connection.dialect.identifier_preparer.quote(url.database or "")
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).splitlines()[0]
        print(f"postgresql: skipped, {url.render_as_string()} is unreachable ({reason})")
        return False
    finally:
        server.dispose()
    return True


@contextmanager
def postgres_schema(url: sa.URL, schema: str) -> Iterator[str]:
    """A fresh `schema` in the bench database, dropped afterwards; yields the app's URL."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(schema)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {quoted}")
    try:
        app_url = url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield app_url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted} CASCADE")
        admin.dispose()


def run_on_postgres(
    url_text: str,
    schema: str,
    workdir: Path,
    run: Callable[[str, Path], T],
    *,
    skip: bool,
    lead: str = "",
) -> T | None:
    """`run(app_url, folder)` in a fresh `schema` of the bench database, with a folder of its
    own under `workdir`; None when skipped (--skip-postgres) or PostgreSQL is unreachable."""
    url = sa.make_url(url_text)
    if skip:
        print("postgresql: skipped (--skip-postgres)")
        return None
    if not ensure_database(url):
        return None
    with postgres_schema(url, schema) as app_url:
        print(f"postgresql: {lead}schema {schema} of database {url.database}")
        folder = workdir / "postgresql"
        folder.mkdir()
        return run(app_url, folder)


def run_on_sqlite_then_postgres(
    url_text: str,
    schema: str,
    workdir: Path,
    run: Callable[[str, str, Path], T],
    *,
    skip_postgres: bool,
) -> list[T]:
    """`run(backend, app_url, folder)` on a fresh SQLite file, then the same in a fresh
    `schema` of the bench database (see `run_on_postgres`); the results in that order."""
    folder = workdir / "sqlite"
    folder.mkdir()
    results = [run("sqlite", f"sqlite:///{folder / 'bench.db'}", folder)]
    on_postgres = run_on_postgres(
        url_text,
        schema,
        workdir,
        lambda url, folder: run("postgresql", url, folder),
        skip=skip_postgres,
        lead="the same, in ",
    )
    if on_postgres is not None:
        results.append(on_postgres)
    return results
