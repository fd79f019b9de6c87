"""Forms of the case page. Each action is its own small form, so each posts only what it needs."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from advisory.i18n import lazy_text as _l
from advisory.models import CaseStatus, CloseOutcome
from advisory.services.case_actions import CallbackOutcome

# A sealed reply: the padded plaintext limit plus envelope overhead, with room to spare.
MAX_ENVELOPE_CHARS = 40_000
MAX_REPLY_CHARS = 10_000


class ActionForm(FlaskForm):
    """Take the case, reveal a number: no fields but the CSRF token."""


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Give the case to"), validators=[InputRequired()])


class DeclineForm(FlaskForm):
    confirm = BooleanField(
        _l("I have a conflict of interest in this case"),
        validators=[DataRequired(message=_l("Tick the box to confirm the conflict of interest."))],
    )


class StatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(CaseStatus.NEW.value, _l("New")),
            SelectChoice(CaseStatus.IN_PROGRESS.value, _l("In progress")),
            SelectChoice(CaseStatus.AWAITING_REPORTER.value, _l("Awaiting reporter")),
        ],
        validators=[InputRequired()],
    )


class CloseForm(FlaskForm):
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


class CallbackOutcomeForm(FlaskForm):
    outcome = RadioField(
        _l("How did the call go?"),
        choices=[
            SelectChoice(CallbackOutcome.REACHED.value, _l("Reached")),
            SelectChoice(CallbackOutcome.NO_ANSWER.value, _l("No answer")),
            SelectChoice(CallbackOutcome.WRONG_NUMBER.value, _l("Wrong number")),
        ],
        validators=[InputRequired(message=_l("Choose how the call went."))],
    )


class ReplyForm(FlaskForm):
    # With JavaScript the browser fills both envelopes and empties `text` before sending.
    text = TextAreaField(
        _l("Reply to the reporter"), validators=[Optional(), Length(max=MAX_REPLY_CHARS)]
    )
    envelope = HiddenField(validators=[Optional(), Length(max=MAX_ENVELOPE_CHARS)])
    line_copy_envelope = HiddenField(validators=[Optional(), Length(max=MAX_ENVELOPE_CHARS)])

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        if not super().validate(extra_validators):
            return False
        if not (self.text.data or "").strip() and not self.envelope.data:
            self.text.errors = [_l("Write a reply first.")]
            return False
        return True
