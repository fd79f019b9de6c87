"""Invariant 1 (no plaintext at rest) for what exists so far: staff secrets and the line key.

A one-time password, a TOTP seed, the recovery passphrase and the line private key are
handed to people once; none of them may be readable anywhere the server keeps data.
"""

import logging
import re
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

import crypto
from advisory import create_app
from advisory.extensions import db
from advisory.jobs import SWEEPS
from advisory.models import Case, LineKey, Staff, WrapKind, WrappedKey
from advisory.scheduler import SchedulerService, run_sweep_in
from tests import reporter_helpers
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW, base_env

PASSPHRASE = re.compile(r"\b(?:[0-9A-Z]{4}-){7}[0-9A-Z]{4}\b")


def test_staff_and_key_secrets_are_not_stored_readably(runner, db_session, caplog):
    caplog.set_level(logging.DEBUG)
    # Given the demo lines initialised with demo staff and one more lawyer
    init = runner.invoke(args=["init", "--demo"])
    added = runner.invoke(
        args=["staff", "add", "canary-lawyer", "--role", "lawyer", "--line", "main"]
    )
    assert init.exit_code == 0, init.output
    assert added.exit_code == 0, added.output
    secrets = _printed_secrets(init.output + added.output)
    # two passphrases, 5 passwords (the 4 demo staff's, canary-lawyer's one-time one) and
    # 4 TOTP seeds (so the search is not vacuous)
    assert len(secrets) == 11
    for private_key in _line_private_keys(db_session, secrets):
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
    # "password X  TOTP secret Y", as the demo staff are listed (not "a password and ...")
    found += re.findall(r"password (\S+)  TOTP secret", output)
    found += re.findall(r"TOTP secret (\S+)", output)
    found += re.findall(r"One-time password \(must be changed at first sign-in\): (\S+)", output)
    found += re.findall(r"secret=([A-Z2-7]+)", output)
    return found


def _line_private_keys(session, secrets):
    """Recover each line's private key through its recovery passphrase, to search for it too."""
    assert len(session.scalars(select(Staff)).all()) == 5
    passphrases = [s for s in secrets if PASSPHRASE.fullmatch(s)]
    keys = []
    for line_key in session.scalars(select(LineKey).order_by(LineKey.id)):
        recovery = session.scalars(
            select(WrappedKey).where(
                WrappedKey.kind == WrapKind.RECOVERY, WrappedKey.line_key_id == line_key.id
            )
        ).one()
        for passphrase in passphrases:
            try:
                private_key = crypto.unwrap_private_key(
                    recovery.blob, crypto.normalise_recovery_passphrase(passphrase)
                )
            except crypto.WrongPassphrase:  # another line's passphrase
                continue
            assert crypto.public_key_to_text(private_key.public_key()) == line_key.public_key
            keys.append(private_key)
            break
    assert len(keys) == 2  # both demo lines' keys were found
    return keys


# --- reporters' words and numbers, through every web channel ------------------------------------

CANARIES = {
    "narrative_no_js": "CANARY-NARRATIVE-NOJS-8d1c",
    "phone_no_js": "+47 915 55 123",
    "message_no_js": "CANARY-MESSAGE-NOJS-2b7e",
    "narrative_js": "CANARY-NARRATIVE-JS-6a40",
    "phone_js": "+47 916 66 234",
    "message_js": "CANARY-MESSAGE-JS-93f5",
}


def _submit_and_follow_up(client, new_key):
    """Report once without JS and once as the browser would, then write a message on each."""
    no_js = reporter_helpers.post_report(
        client,
        narrative=CANARIES["narrative_no_js"],
        contact_preference="callback",
        phone=CANARIES["phone_no_js"],
    )
    assert no_js.status_code == 200
    code = reporter_helpers.case_code_on(reporter_helpers.page_of(no_js))

    js_code = crypto.generate_case_code()
    js = reporter_helpers.post_sealed_report(
        client,
        new_key,
        js_code,
        narrative=CANARIES["narrative_js"],
        phone=CANARIES["phone_js"],
        contact_preference="callback",
    )
    assert js.response.status_code == 200

    csrf = reporter_helpers.follow_up_csrf(client)
    written = client.post(
        "/follow-up/message",
        data={"csrf_token": csrf, "code": code, "message": CANARIES["message_no_js"]},
    )
    assert written.status_code == 200
    envelope = reporter_helpers.sealed(
        "message",
        CANARIES["message_js"],
        reporter_helpers.line_public_key(new_key),
        js.reference,
        line_slug=js.line_slug,
    )
    written = client.post(
        "/follow-up/message",
        data={
            "csrf_token": csrf,
            "lookup_token": reporter_helpers.lookup_token_text(js_code),
            "message_envelope": envelope,
        },
    )
    assert written.status_code == 200


def test_reporter_canaries_are_nowhere_in_the_database_logs_or_job_store(
    app, client, db_session, caplog
):
    caplog.set_level(logging.DEBUG)
    # Given two reports (no JS and browser-sealed) with numbers, and a message on each
    new_key = reporter_helpers.set_up_line_key(db_session)
    _submit_and_follow_up(client, new_key)
    # And the sweeps have run over them, with the job store written as the scheduler does
    for name in SWEEPS:
        SWEEPS[name](db_session, app.extensions["advisory_settings"], DEFAULT_NOW)
    db_session.flush()

    # When everything the database holds is dumped, job store table included
    dump = dump_database(db_session.connection())

    # Then the envelopes are there and open to the canaries, but no canary is readable
    assert dump.count("v2.") >= 6  # 2 narratives, 2 numbers, 2 messages
    cases = [(case.line.slug, case.reference) for case in db_session.scalars(select(Case))]
    opened = _open_all_envelopes(dump, new_key.private_key, cases)
    assert set(CANARIES.values()) <= opened
    for canary in CANARIES.values():
        assert canary not in dump
        assert canary not in caplog.text


def test_sqlite_files_and_job_store_hold_no_reporter_canary(tmp_path: Path):
    # Given a real installation on SQLite that took both kinds of report
    env = base_env(tmp_path, f"sqlite:///{tmp_path / 'file.db'}")
    app = create_app(env)
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    with app.app_context():
        upgrade()
        new_key = reporter_helpers.set_up_line_key(db.session())
        assert new_key.line_key.public_key  # loaded now, readable after the session ends
    try:
        _submit_and_follow_up(app.test_client(), new_key)
        run_all_sweeps_once_in(app)
        # And the scheduler has written its job store beside them
        service = SchedulerService(app)
        service._step()
        service.stop()
        service._step_down()
        service.lock.release()
    finally:
        with app.app_context():
            db.engine.dispose()

    raw = b"".join(path.read_bytes() for path in tmp_path.glob("file.db*"))
    assert b"apscheduler_jobs" in raw
    for canary in CANARIES.values():
        assert canary.encode() not in raw


def run_all_sweeps_once_in(app):
    for name in SWEEPS:
        run_sweep_in(app, name)


def _open_all_envelopes(dump: str, private_key, cases: list[tuple[str, str]]) -> set[str]:
    """Every envelope in `dump` that opens for one of the cases, whatever its purpose."""
    opened = set()
    for envelope in re.findall(r"v2\.[0-9a-f]{16}\.[A-Za-z0-9_-]+", dump):
        for purpose in crypto.PURPOSES:
            for slug, reference in cases:
                try:
                    text = reporter_helpers.opened(
                        purpose, envelope, private_key, reference, line_slug=slug
                    )
                except crypto.CryptoError:
                    continue
                opened.add(text)
    return opened
