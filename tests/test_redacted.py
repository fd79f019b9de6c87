"""Values that carry secrets or case text never show them in a repr (a log line, a traceback)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from advisory.models import ContactPreference, Role, Staff
from advisory.reporter.credentials import Credential
from advisory.services.case_actions import TypedReply
from advisory.services.intake import ReporterKeys
from advisory.services.phone_intake import Note
from advisory.services.receipt_links import ShownReceipt
from advisory.services.staff import NewStaff
from advisory.services.web_report import Receipt, SealedInBrowser, TypedText
from advisory.settings import Secrets, SmtpSettings

SECRET = "CANARY-5f1e"
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

VALUES = {
    "sealed": SealedInBrowser(SECRET, SECRET, SECRET, SECRET, SECRET),
    "typed": TypedText(narrative=SECRET, phone=SECRET),
    "reply": TypedReply(text=SECRET),
    "reporter keys": ReporterKeys(lookup_token=SECRET.encode(), public_key=SECRET),
    "note": Note(plaintext=SECRET),
    "credential": Credential(lookup_token=SECRET.encode(), code=SECRET),
    "secrets": Secrets(secret_key=SECRET.encode(), pepper=SECRET.encode(), data_key=b"k"),
    "new staff": NewStaff(
        Staff(username="kari", role=Role.LAWYER), one_time_password=SECRET, totp_seed=SECRET
    ),
    "receipt": Receipt(link=SECRET, received_at=WHEN),
    "shown receipt": ShownReceipt(
        due=WHEN,
        contact_preference=ContactPreference.INBOX,
        callback_at=None,
        callback_unbooked=False,
        emergency=False,
        sealed_in_browser=False,
        code=SECRET,
    ),
    "smtp": SmtpSettings(
        host="mail.example", port=587, starttls=True, sender="a@b.c", username="u", password=SECRET
    ),
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_a_repr_shows_no_secret(value):
    assert SECRET not in repr(value)
    assert SECRET not in str(value)
    assert type(value).__name__ in repr(value)


def test_what_is_not_secret_still_helps_in_a_repr():
    assert "kari" in repr(VALUES["new staff"])
    assert "mail.example" in repr(VALUES["smtp"])
    assert "2026" in repr(VALUES["receipt"])
    assert "sealed_in_browser=False" in repr(VALUES["shown receipt"])


SECRET_COLUMN_MARKS = ("envelope", "hash", "secret", "blob", "private", "token", "mac", "signature")


def test_a_row_repr_names_only_columns_that_hold_no_content_or_secret():
    from advisory.extensions import Base

    models = [mapper.class_ for mapper in Base.registry.mappers]
    assert len(models) >= 10
    for model in models:
        columns = set(model.__table__.columns.keys())
        assert set(model.shown_in_repr) <= columns, model
        assert not [
            name
            for name in model.shown_in_repr
            if any(mark in name for mark in SECRET_COLUMN_MARKS)
        ], model
