"""Forms of the case page. Each action is its own small form, so each posts only what it needs."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

import crypto
from advisory.forms import Form
from advisory.i18n import lazy_text as _l
from advisory.models import CaseStatus, CloseOutcome
from advisory.services.case_actions import CallbackOutcome, SealedReply, TypedReply
from advisory.text_limits import MAX_REPLY_CHARS, SEALED_TEXT_BYTES

# The largest reply, sealed; the service checks each envelope's size exactly.
MAX_ENVELOPE_CHARS = crypto.max_envelope_chars(SEALED_TEXT_BYTES["reply"])


class ActionForm(Form):
    """Take the case, reveal a number: no fields but the CSRF token."""


class AssignForm(Form):
    assignee = SelectField(_l("Give the case to"), validators=[InputRequired()])


class DeclineForm(Form):
    confirm = BooleanField(
        _l("I have a conflict of interest in this case"),
        validators=[DataRequired(message=_l("Tick the box to confirm the conflict of interest."))],
    )


class StatusForm(Form):
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(CaseStatus.NEW.value, _l("New")),
            SelectChoice(CaseStatus.IN_PROGRESS.value, _l("In progress")),
            SelectChoice(CaseStatus.AWAITING_REPORTER.value, _l("Awaiting reporter")),
        ],
        validators=[InputRequired()],
    )


class CloseForm(Form):
    outcome = RadioField(
        _l("Outcome"),
        choices=[
            SelectChoice(CloseOutcome.ADVICE_GIVEN.value, _l("Advice given")),
            SelectChoice(CloseOutcome.REFERRED.value, _l("Referred elsewhere")),
            SelectChoice(CloseOutcome.NO_CONTACT.value, _l("No contact")),
            SelectChoice(CloseOutcome.WITHDRAWN.value, _l("Withdrawn by the reporter")),
            SelectChoice(CloseOutcome.OTHER.value, _l("Other")),
        ],
        validators=[InputRequired(message=_l("Choose how the case ended."))],
    )


class CallbackOutcomeForm(Form):
    outcome = RadioField(
        _l("How did the call go?"),
        choices=[
            SelectChoice(CallbackOutcome.REACHED.value, _l("Reached")),
            SelectChoice(CallbackOutcome.NO_ANSWER.value, _l("No answer")),
            SelectChoice(CallbackOutcome.WRONG_NUMBER.value, _l("Wrong number")),
        ],
        validators=[InputRequired(message=_l("Choose how the call went."))],
    )


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
