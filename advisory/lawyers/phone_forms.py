"""The phone-intake forms: the web report's questionnaire, asked by a lawyer during a call or
while listening to the line's voicemail.

The choices are the reporter form's own lists, so a phone case and a web case answer the same
questions in the same words; only the questions are put for the lawyer, not the caller.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import abort, g, request
from wtforms import DateField, HiddenField, RadioField, StringField, SubmitField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from advisory.context import db_session, now
from advisory.forms import Form
from advisory.i18n import lazy_text as _l
from advisory.line_config import LineConfig
from advisory.reporter.forms import (
    FIELD_CHOICES,
    HAPPENED_CHOICES,
    KIND_CHOICES,
    LANGUAGE_CHOICES,
    MAX_CONTACT_ENVELOPE_CHARS,
    MAX_ENVELOPE_CHARS,
    ROLE_CHOICES,
    YES_NO,
    YES_NO_UNSURE,
    QuestionnaireAnswers,
    check_typed_number,
    long_text_field,
    optional_answer,
    required_answer,
    submission_token_field,
)
from advisory.services.line_membership import lawyer_lines
from advisory.services.line_settings import config_of
from advisory.services.phone_intake import (
    LeftAtProblem,
    Note,
    Number,
    PhoneCall,
    PhoneOutcome,
    Voicemail,
    left_at_problem,
    oldest_left_date,
)
from advisory.text_limits import MAX_PHONE_CHARS
from advisory.url_converters import row_id


def intake_line_id() -> int:
    """The line the call came in on: the one the page names (`line`, in its address or its
    form), which must be one of the lawyer's lines; their own line when none is named. A
    lawyer without a line has no phone page; a line not theirs is not found."""
    lines = _lawyers_lines()
    if not lines:
        abort(403)
    named = request.values.get("line", "")
    if not named:
        return next(iter(lines))
    line_id = row_id(named)
    if line_id not in lines:
        abort(404)
    return line_id


def intake_lines() -> dict[int, str]:
    """The lawyer's lines by id when they work on several (the page lets them choose)."""
    lines = _lawyers_lines()
    return {line_id: config.name for line_id, config in lines.items()} if len(lines) > 1 else {}


def _lawyers_lines() -> dict[int, LineConfig]:
    """The signed-in lawyer's lines, their own first, read once per request (the form's
    checks, the page and the service all ask)."""
    if "advisory_intake_lines" not in g:
        g.advisory_intake_lines = {
            line.id: config_of(line) for line in lawyer_lines(db_session(), g.staff)
        }
    lines: dict[int, LineConfig] = g.advisory_intake_lines
    return lines


def own_line() -> LineConfig:
    """The settings of the line the call came in on (`intake_line_id`): its calendar says
    when it is open and in which time zone a voicemail was left."""
    return _lawyers_lines()[intake_line_id()]


OUTCOME_CHOICES = [
    SelectChoice(PhoneOutcome.ADVICE_GIVEN.value, _l("Advice given: close the case")),
    SelectChoice(PhoneOutcome.REFERRED.value, _l("Referred elsewhere: close the case")),
    SelectChoice(PhoneOutcome.FOLLOW_UP.value, _l("Needs follow-up: keep it open, assigned to me")),
    SelectChoice(PhoneOutcome.OTHER.value, _l("Something else: close the case")),
]
LEFT_AT_TEXTS = {
    LeftAtProblem.FUTURE: _l("That is later than now; a voicemail cannot be left in the future."),
    LeftAtProblem.TOO_OLD: _l(
        "That is longer ago than the voicemail keeps messages; check the date."
    ),
}

# The voicemail's own questions, made here so that they come first in the form's order (WTForms
# orders fields as they were made), as on the page and in its list of problems.
_LEFT_DATE = DateField(
    _l("Day the message was left"),
    validators=[InputRequired(message=_l("Give the day the message was left."))],
)
_LEFT_TIME = TimeField(
    _l("Time it was left"),
    validators=[InputRequired(message=_l("Give the time the message was left."))],
)


class _CaseQuestions(QuestionnaireAnswers, Form):
    """What a call and a voicemail both record: the questionnaire and the lawyer's note."""

    submission_token = submission_token_field()
    kind = required_answer(
        RadioField,
        _l("What is the call about?"),
        KIND_CHOICES,
        missing=_l("Choose what the call is about."),
    )
    immediate_danger = optional_answer(RadioField, _l("Is anyone in immediate danger?"), YES_NO)
    reporter_role = optional_answer(RadioField, _l("How is the caller involved?"), ROLE_CHOICES)
    ongoing = optional_answer(RadioField, _l("Is it still going on?"), YES_NO_UNSURE)
    dismissal_or_warning = optional_answer(
        RadioField, _l("Dismissal or written warning received?"), YES_NO
    )
    happened = optional_answer(RadioField, _l("When did it happen?"), HAPPENED_CHOICES)
    # Chips rather than drop-downs: one tap instead of two.
    field = optional_answer(RadioField, _l("Which field?"), FIELD_CHOICES)
    preferred_language = optional_answer(RadioField, _l("Language of the call"), LANGUAGE_CHOICES)
    note = long_text_field(_l("Note (optional)"))

    # Filled in by the browser when it seals the note; then `note` is not sent at all.
    encryption = HiddenField()
    note_envelope = HiddenField(validators=[Length(max=MAX_ENVELOPE_CHARS)])

    @property
    def sealed_in_browser(self) -> bool:
        return self.encryption.data == "browser"

    def _note(self) -> Note:
        """The sealed note when the browser sealed it, else what was typed.

        A form sealed in the browser never uses a plaintext note, even if one was sent. A
        note sealed on an earlier try (the page came back with a question) stays in the
        form as an envelope and is used unless a new note was typed here.
        """
        envelope = self.note_envelope.data or None
        typed = (self.note.data or "").strip() or None
        if self.sealed_in_browser or (envelope and not typed):
            return Note(envelope=envelope)
        return Note(plaintext=typed)


class PhoneIntakeForm(_CaseQuestions):
    outcome = required_answer(
        RadioField,
        _l("How did the call end?"),
        OUTCOME_CHOICES,
        missing=_l("Choose how the call ended."),
    )
    submit = SubmitField(_l("Save the call"))

    def call(self) -> PhoneCall:
        return PhoneCall(
            answers=self.answers(),
            outcome=PhoneOutcome(self.outcome.data),
            note=self._note(),
            form_token=self.submission_token.data or "",
        )


class VoicemailForm(_CaseQuestions):
    """A message left on the line's voicemail: when, the number if one was left, the answers.

    The day and time are the line's local time. The number is never shown again: a page that
    comes back with a question asks for it anew.
    """

    left_date = _LEFT_DATE
    left_time = _LEFT_TIME
    number_given = required_answer(
        RadioField,
        _l("Did the caller leave a number?"),
        YES_NO,
        missing=_l("Say whether the caller left a number."),
    )
    phone = StringField(
        _l("The number the caller left"),
        render_kw={"maxlength": MAX_PHONE_CHARS, "inputmode": "tel", "autocomplete": "off"},
    )
    # The number as the browser sealed it; then `phone` is not sent at all.
    contact_envelope = HiddenField(validators=[Length(max=MAX_CONTACT_ENVELOPE_CHARS)])
    submit = SubmitField(_l("Save the voicemail"))

    @staticmethod
    def line_zone() -> ZoneInfo:
        return ZoneInfo(own_line().calendar.timezone)

    def validate_left_date(self, field: DateField) -> None:
        # Checked before the day meets a time and a zone: year 1 or 9999 has no instant here.
        day: date | None = field.data
        if day is None:
            return  # not a date at all: WTForms has said so
        if day > now().astimezone(self.line_zone()).date():
            raise ValidationError(LEFT_AT_TEXTS[LeftAtProblem.FUTURE])
        if day < oldest_left_date(now(), self.line_zone()):
            raise ValidationError(LEFT_AT_TEXTS[LeftAtProblem.TOO_OLD])

    def validate_left_time(self, field: TimeField) -> None:
        if self.left_date.errors or self.left_date.data is None or field.data is None:
            return  # the day is wrong already: no instant to judge
        problem = left_at_problem(self.left_at(), now())
        if problem is not None:
            raise ValidationError(LEFT_AT_TEXTS[problem])

    def validate_phone(self, field: StringField) -> None:
        if self.number_given.data != "yes":
            return
        if self.sealed_in_browser:
            if not self.contact_envelope.data:
                raise ValidationError(_l("The number was not encrypted; please type it again."))
            return
        check_typed_number(field.data, missing=_l("Type the number the caller left."))

    def left_at(self) -> datetime:
        """When the message was left: the typed day and time in the line's zone (validated)."""
        day: date = self.left_date.data
        at: time = self.left_time.data
        return datetime.combine(day, at, tzinfo=self.line_zone())

    def voicemail(self) -> Voicemail:
        return Voicemail(
            answers=self.answers(),
            left_at=self.left_at(),
            number=self._number(),
            note=self._note(),
            form_token=self.submission_token.data or "",
        )

    def _number(self) -> Number:
        """The number as sealed in the browser, or as typed; nothing when none was left (a
        number typed and then answered "no" is not kept, nor even sealed)."""
        if self.number_given.data != "yes":
            return Number()
        if self.sealed_in_browser:
            return Number(envelope=self.contact_envelope.data or None)
        return Number(plaintext=(self.phone.data or "").strip() or None)
