"""What must hold after every fuzzed request: staff pages still open, nothing hostile stored.

They read the world as the example left it, before its transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select

import crypto
from advisory.models import Callback, Case, Direction, LineKey, Message
from crypto.encoding import b64url_decode
from crypto.keys import KEY_BYTES
from tests.fuzz.world import World, case_references, changed_cases

LAWYER_PAGES = ("/queue", "/notices")
COORDINATOR_PAGES = ("/notices", "/coordinator", "/coordinator/report")
NOTICE_PAGES = ("/notices",)
# Tables no staff page shows: sign-in bookkeeping, sessions, wrapped keys; audit events show
# only on the page of their case. A request that wrote only to these changed no list.
UNSHOWN_TABLES = frozenset({"staff", "revoked_staff_session", "wrapped_key", "audit_event"})
# Notices show on the notices page (and as a count in the menu of every page, the same query).
NOTICE_TABLES = frozenset({"notification"})


def check_after_example(world: World) -> None:
    """The staff pages the example's writes could have changed still open; nothing hostile
    was stored. Without writes the pages are the seed's, which the fixture checked."""
    if not world.written:
        return
    check_stored_rows(world)
    shown = world.written - UNSHOWN_TABLES
    lists: tuple[Sequence[str], Sequence[str]] | None = None
    if shown - NOTICE_TABLES:
        lists = (LAWYER_PAGES, COORDINATOR_PAGES)
    if lists is None and shown:
        lists = (NOTICE_PAGES, NOTICE_PAGES)
    check_staff_pages(world, changed_cases(world), lists=lists or ((), ()))


def check_staff_pages(
    world: World,
    cases: Iterable[str] | None = None,
    *,
    lists: tuple[Sequence[str], Sequence[str]] = (LAWYER_PAGES, COORDINATOR_PAGES),
) -> None:
    """Every page a lawyer or a coordinator can reach answers 200: the case pages of `cases`
    (every case of the line by default), and the lawyer's and the coordinator's `lists`."""
    references = case_references(world) if cases is None else sorted(cases)
    world.session.remove()
    lawyer_lists, coordinator_lists = lists
    visits = [
        ("observer", [*(f"/cases/{reference}" for reference in references), *lawyer_lists]),
        ("coordinator_observer", list(coordinator_lists)),
    ]
    for role, pages in visits:
        client = world.client(role)
        for page in pages:
            status = client.get(page).status_code
            assert status == 200, f"afterwards, {page} answers {status} to a {role}"


def check_stored_rows(world: World) -> None:
    """Every stored reporter key is a usable X25519 key; every envelope parses and names a
    key id of its case's line (a reply: the key id of the case's reporter key)."""
    session = world.session
    line_keys: dict[int, set[str]] = {}
    for line_id, key_id in session.execute(select(LineKey.line_id, LineKey.key_id)):
        line_keys.setdefault(line_id, set()).add(key_id)
    cases = {case.id: case for case in session.scalars(select(Case))}
    for case in cases.values():
        where = f"case {case.reference}"
        if case.reporter_public_key is not None:
            problem = key_problem(case.reporter_public_key)
            assert problem is None, f"{where} stored a reporter public key that {problem}"
        _check_envelope(case.narrative_envelope, line_keys.get(case.line_id, set()), where)
    for message in session.scalars(select(Message)):
        case = cases[message.case_id]
        where = f"a message of case {case.reference}"
        lines = line_keys.get(case.line_id, set())
        if message.direction is Direction.TO_REPORTER:
            _check_envelope(message.envelope, _reporter_key_id(case), where)
            _check_envelope(message.line_copy_envelope, lines, f"the line copy of {where}")
        else:
            _check_envelope(message.envelope, lines, where)
    for callback in session.scalars(select(Callback)):
        case = cases[callback.case_id]
        where = f"a callback of case {case.reference}"
        _check_envelope(callback.contact_envelope, line_keys.get(case.line_id, set()), where)
    session.remove()


def key_problem(text: str) -> str | None:
    """Why `text` is not a usable reporter public key, or None when it is one."""
    try:
        raw = b64url_decode(text)
    except ValueError:
        return "is not canonical unpadded base64url"
    if len(raw) != KEY_BYTES:
        return f"is {len(raw)} bytes, not {KEY_BYTES}"
    try:
        # OpenSSL refuses an exchange whose result is all zeros: a low-order point.
        crypto.generate_keypair().exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        return "is a low-order point"
    return None


def _reporter_key_id(case: Case) -> set[str]:
    if case.reporter_public_key is None or key_problem(case.reporter_public_key) is not None:
        return set()
    raw = b64url_decode(case.reporter_public_key)
    return {crypto.key_id_for(X25519PublicKey.from_public_bytes(raw))}


def _check_envelope(envelope: str | None, key_ids: set[str], where: str) -> None:
    if envelope is None:
        return
    try:
        key_id = crypto.envelope_key_id(envelope)
    except crypto.CryptoError as exc:
        raise AssertionError(f"{where} stored an envelope that does not parse: {exc}") from None
    assert key_id in key_ids, f"{where} stored an envelope sealed to key {key_id}, not its own"
