"""The world the fuzz suite posts into: its app, its seed, and one transaction per example.

Hypothesis runs many examples inside one test function, so the suite cannot use the
function-scoped `db_session`. Instead the world is an app on a database of its own, seeded
once per module (tests/fuzz/seed.py), and every example runs in a transaction that is rolled
back. Every example therefore starts from the same seed, which Hypothesis needs to replay and
shrink a failure.

Signed-in clients are cookies minted once (a staff session and the Flask session that holds
the CSRF token), set on a fresh test client for each request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from werkzeug.test import TestResponse

import crypto
from advisory.extensions import db
from advisory.models import AuditEvent, Callback, Case, Message
from tests.fuzz.values import (
    MULTIPART_BOUNDARY,
    FilePart,
    FuzzRequest,
    multipart,
    resolve,
    url_path,
    urlencoded,
)

UNKNOWN_KEY_ID = "0123456789abcdef"  # names no key of the world


@dataclass(repr=False)
class World:
    app: Flask
    engine: Engine
    line_id: int
    refs: dict[str, str] = field(default_factory=dict)
    public_keys: dict[str, X25519PublicKey] = field(default_factory=dict)
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)
    seed: Fingerprints | None = None
    # The running example's session, and the tables it wrote to (INSERT, UPDATE, DELETE).
    session: scoped_session[Any] = field(default_factory=lambda: db.session)
    written: set[str] = field(default_factory=set)

    def __repr__(self) -> str:  # Hypothesis prints it with every failing example
        return f"<fuzz world on {self.engine.dialect.name}>"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(repr(self))

    # --- Resolver, seen by one role -----------------------------------------------------------

    def for_role(self, role: str) -> RoleView:
        return RoleView(self, role)

    def public_key(self, holder: str) -> X25519PublicKey:
        return self.public_keys[holder]

    def key_id(self, holder: str) -> str:
        if holder == "unknown":
            return UNKNOWN_KEY_ID
        return crypto.key_id_for(self.public_keys[holder])

    # --- one example ------------------------------------------------------------------------

    @contextmanager
    def example(self) -> Iterator[None]:
        """One transaction for the example, rolled back afterwards whatever happened.

        Requests run in savepoints inside it (their commits release a savepoint), as in the
        `db_session` fixture; a fresh transaction per example keeps PostgreSQL from piling up
        subtransactions, which slows every later statement.
        """
        connection = self.engine.connect()
        transaction = connection.begin()
        original = db.session
        self.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        db.session = self.session
        self.written = set()
        try:
            yield
        finally:
            self.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()

    def client(self, role: str) -> FlaskClient:
        client = self.app.test_client()
        for name, value in self.cookies.get(role, {}).items():
            client.set_cookie(name, value)
        return client

    def send(self, request: FuzzRequest) -> TestResponse:
        view = self.for_role(request.role)
        path = url_path(resolve(segment, view) for segment in request.path)
        query = urlencoded((resolve(n, view), resolve(v, view)) for n, v in request.query)
        arguments: dict[str, Any] = {"method": request.method, "query_string": query.decode()}
        if request.body is not None:
            pairs = [
                (
                    resolve(name, view),
                    value if isinstance(value, FilePart) else resolve(value, view),
                )
                for name, value in request.body.fields
            ]
            if request.body.multipart:
                arguments["data"] = multipart(pairs)
                arguments["content_type"] = f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"
            else:
                text_pairs = [
                    (name, value) for name, value in pairs if not isinstance(value, FilePart)
                ]
                arguments["data"] = urlencoded(text_pairs)
                arguments["content_type"] = "application/x-www-form-urlencoded"
        return self.client(request.role).open(path, **arguments)

    def _note_write(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        written = _WRITE.match(statement)
        if written is not None:
            self.written.add(written.group(1).lower())


# The table an INSERT, UPDATE or DELETE statement writes to.
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Fingerprints:
    """What a case's rows looked like, by reference, and the last audit event, to tell which
    cases an example changed."""

    cases: dict[str, int]
    last_audit_id: int


def fingerprints(session: Session) -> Fingerprints:
    """A hash of each case's row with its messages and callbacks; the newest audit event id."""
    rows: dict[int, list[str]] = {}
    references: dict[int, str] = {}
    for row in session.execute(select(Case.__table__)).mappings():
        references[row["id"]] = row["reference"]
        rows[row["id"]] = [repr(sorted(row.items()))]
    for table in (Message.__table__, Callback.__table__):
        for row in session.execute(select(table).order_by(table.c.id)).mappings():
            rows[row["case_id"]].append(repr(sorted(row.items())))
    last_audit = session.scalar(select(func.max(AuditEvent.id))) or 0
    cases = {references[case_id]: hash(tuple(parts)) for case_id, parts in rows.items()}
    return Fingerprints(cases, last_audit)


def changed_cases(world: World) -> set[str]:
    """References of the line's cases the running example created or changed, or audited."""
    assert world.seed is not None
    now = fingerprints(world.session())
    changed = {ref for ref, print_ in now.cases.items() if world.seed.cases.get(ref) != print_}
    audited = select(AuditEvent.case_reference).where(
        AuditEvent.id > world.seed.last_audit_id, AuditEvent.case_reference.is_not(None)
    )
    changed |= {ref for ref in world.session.scalars(audited) if ref is not None}
    return changed & set(case_references(world))


@dataclass(frozen=True)
class RoleView:
    """The world as one role sees it: `Ref("csrf")` is that role's own token."""

    world: World
    role: str

    def ref(self, name: str) -> str:
        return self.world.refs.get(f"{self.role}:{name}") or self.world.refs[name]

    def public_key(self, holder: str) -> X25519PublicKey:
        return self.world.public_key(holder)

    def key_id(self, holder: str) -> str:
        return self.world.key_id(holder)


def case_references(world: World) -> list[str]:
    """The references of every case of the line, as stored now."""
    query = select(Case.reference).where(Case.line_id == world.line_id).order_by(Case.id)
    return list(world.session.scalars(query))
