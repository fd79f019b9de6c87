"""Forms of the case page. Each action is its own small form, so each posts only what it needs."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from flask_babel.speaklater import LazyString
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

import crypto
from advisory.forms import Form
from advisory.i18n import lazy_text as _l
from advisory.models import CaseStatus, CloseOutcome
from advisory.reporter.forms import MAX_FILE_ENTRIES, MAX_HEADER_ENVELOPE_CHARS
from advisory.services.attachments import Claim
from advisory.services.case_actions import CallbackOutcome, SealedReply, TypedReply
from advisory.text_limits import MAX_REPLY_CHARS, SEALED_TEXT_BYTES

# The largest reply, sealed; the service checks each envelope's size exactly.
MAX_ENVELOPE_CHARS = crypto.max_envelope_chars(SEALED_TEXT_BYTES["reply"])


class ActionForm(Form):
    """Reveal a number: no fields but the CSRF token."""


class TakeForm(Form):
    # Asked only when the case is a colleague's: taking it over tells them. The confirmation
    # names the colleague the page showed, so a case that moved meanwhile is asked about again.
    confirm = BooleanField(_l("Yes, take the case over from my colleague"))
    holder = HiddenField(validators=[Optional(), Length(max=20)])

    def confirmed_holder(self) -> int | None:
        """The colleague the lawyer confirmed taking the case from, if they did."""
        text = self.holder.data or ""
        return int(text) if self.confirm.data and text.isascii() and text.isdigit() else None


class AssignForm(Form):
    assignee = SelectField(_l("Give the case to"), validators=[InputRequired()])


class DeclineForm(Form):
    confirm = BooleanField(
        _l("I have a conflict of interest in this case"),
        validators=[DataRequired(message=_l("Tick the box to confirm the conflict of interest."))],
    )


Named = TypeVar("Named", bound=StrEnum)  # the enum a field chooses from

# The statuses a lawyer may set; the queue names them the same (advisory/lawyers/routes.py).
STATUS_NAMES = {
    CaseStatus.NEW: _l("New"),
    CaseStatus.IN_PROGRESS: _l("In progress"),
    CaseStatus.AWAITING_REPORTER: _l("Awaiting reporter"),
}
CLOSE_OUTCOME_NAMES = {
    CloseOutcome.ADVICE_GIVEN: _l("Advice given"),
    CloseOutcome.REFERRED: _l("Referred elsewhere"),
    CloseOutcome.NO_CONTACT: _l("No contact"),
    CloseOutcome.WITHDRAWN: _l("Withdrawn by the reporter"),
    CloseOutcome.OTHER: _l("Other"),
}
CALLBACK_OUTCOME_NAMES = {
    CallbackOutcome.REACHED: _l("Reached"),
    CallbackOutcome.NO_ANSWER: _l("No answer"),
    CallbackOutcome.WRONG_NUMBER: _l("Wrong number"),
}


def _choices(names: Mapping[Named, LazyString]) -> list[SelectChoice]:
    """The enum's values as choices, in the order of `names`."""
    return [SelectChoice(value.value, name) for value, name in names.items()]


def _outcome_field(
    label: LazyString, names: Mapping[Named, LazyString], missing: LazyString
) -> RadioField:
    """One outcome to choose from `names`; `missing` says so when none is chosen."""
    return RadioField(label, choices=_choices(names), validators=[InputRequired(message=missing)])


class StatusForm(Form):
    status = SelectField(_l("Status"), choices=_choices(STATUS_NAMES), validators=[InputRequired()])


class CloseForm(Form):
    outcome = _outcome_field(_l("Outcome"), CLOSE_OUTCOME_NAMES, _l("Choose how the case ended."))


class CallbackOutcomeForm(Form):
    outcome = _outcome_field(
        _l("How did the call go?"), CALLBACK_OUTCOME_NAMES, _l("Choose how the call went.")
    )


class ReplyFileForm(Form):
    """One file the lawyer's browser uploaded sealed: its upload token, its header sealed to
    the reporter, and the header's copy for the line."""

    class Meta:
        csrf = False  # a part of the reply form, whose own token is checked

    upload = HiddenField(validators=[DataRequired(), Length(max=64)])
    header = HiddenField(validators=[DataRequired(), Length(max=MAX_HEADER_ENVELOPE_CHARS)])
    copy = HiddenField(validators=[DataRequired(), Length(max=MAX_HEADER_ENVELOPE_CHARS)])


class ReplyForm(Form):
    # With JavaScript the browser fills both envelopes and empties `text` before sending.
    text = TextAreaField(
        _l("Reply to the reporter"),
        validators=[Optional(), Length(max=MAX_REPLY_CHARS)],
        render_kw={"maxlength": MAX_REPLY_CHARS},
    )
    envelope = HiddenField(validators=[Optional(), Length(max=MAX_ENVELOPE_CHARS)])
    line_copy_envelope = HiddenField(validators=[Optional(), Length(max=MAX_ENVELOPE_CHARS)])
    # The lawyer's signature over the envelope to the reporter (crypto.signatures).
    signature = HiddenField(validators=[Optional(), Length(max=100)])
    # Files, only with JavaScript: sealed and uploaded by the browser, named here
    # (`attachments-N-upload`, `-header`, `-copy`).
    attachments = FieldList(FormField(ReplyFileForm), max_entries=MAX_FILE_ENTRIES)

    def claims(self) -> tuple[Claim, ...]:
        """The uploads the reply names, each with its two sealed headers."""
        return tuple(
            Claim(entry.form.upload.data or "", entry.form.header.data or "", entry.form.copy.data)
            for entry in self.attachments
        )

    def reply(self) -> SealedReply | TypedReply:
        """The browser's envelopes when it sealed the reply, else the typed text."""
        if self.envelope.data:
            return SealedReply(
                self.envelope.data, self.line_copy_envelope.data or "", self.signature.data or ""
            )
        return TypedReply(self.text.data or "")

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        if not super().validate(extra_validators):
            return False
        if not (self.text.data or "").strip() and not self.envelope.data:
            self.text.errors = [_l("Write a reply first.")]
            return False
        return True
