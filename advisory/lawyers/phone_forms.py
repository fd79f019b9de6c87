"""The phone-intake form: the web report's questionnaire, asked by a lawyer during a call.

The choices are the reporter form's own lists, so a phone case and a web case answer the same
questions in the same words; only the questions are put for the lawyer, not the caller.
"""

from __future__ import annotations

from wtforms import HiddenField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from advisory.forms import Form
from advisory.i18n import lazy_text as _l
from advisory.reporter.forms import (
    FIELD_CHOICES,
    HAPPENED_CHOICES,
    KIND_CHOICES,
    LANGUAGE_CHOICES,
    MAX_ENVELOPE_CHARS,
    ROLE_CHOICES,
    YES_NO,
    YES_NO_UNSURE,
    QuestionnaireAnswers,
    long_text_field,
    optional_answer,
    required_answer,
    submission_token_field,
)
from advisory.services.phone_intake import Note, PhoneCall, PhoneOutcome

OUTCOME_CHOICES = [
    SelectChoice(PhoneOutcome.ADVICE_GIVEN.value, _l("Advice given: close the case")),
    SelectChoice(PhoneOutcome.REFERRED.value, _l("Referred elsewhere: close the case")),
    SelectChoice(PhoneOutcome.FOLLOW_UP.value, _l("Needs follow-up: keep it open, assigned to me")),
    SelectChoice(PhoneOutcome.OTHER.value, _l("Something else: close the case")),
]


class PhoneIntakeForm(QuestionnaireAnswers, Form):
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
    outcome = required_answer(
        RadioField,
        _l("How did the call end?"),
        OUTCOME_CHOICES,
        missing=_l("Choose how the call ended."),
    )

    # Filled in by the browser when it seals the note; then `note` is not sent at all.
    encryption = HiddenField()
    note_envelope = HiddenField(validators=[Length(max=MAX_ENVELOPE_CHARS)])
    submit = SubmitField(_l("Save the call"))

    @property
    def sealed_in_browser(self) -> bool:
        return self.encryption.data == "browser"

    def call(self) -> PhoneCall:
        return PhoneCall(
            answers=self.answers(),
            outcome=PhoneOutcome(self.outcome.data),
            note=self._note(),
            form_token=self.submission_token.data or "",
        )

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
