"""Reporter forms. Texts are lazy translations; choices mirror the model enums."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any, TypeVar

from babel.support import NullTranslations
from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

import crypto
from advisory.forms import Form
from advisory.i18n import lazy_text as _l
from advisory.i18n import wtforms_catalogue
from advisory.models import ContactPreference, Field, Happened, Kind, Language, ReporterRole
from advisory.services.attachment_sealing import ArrivedFile
from advisory.services.attachments import Claim
from advisory.services.intake import Contact
from advisory.services.web_report import SealedInBrowser, TypedText, WebReport
from advisory.settings import SUPPORTED_LOCALES
from advisory.slots import parse_slot_start
from advisory.text_limits import (
    MAX_MESSAGE_CHARS,
    MAX_NARRATIVE_CHARS,
    MAX_PHONE_CHARS,
    SEALED_TEXT_BYTES,
)
from advisory.triage import Answers


def _choices(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


# Envelopes of the largest texts (the service checks each one's size exactly).
MAX_ENVELOPE_CHARS = crypto.max_envelope_chars(SEALED_TEXT_BYTES["narrative"])
MAX_MESSAGE_ENVELOPE_CHARS = crypto.max_envelope_chars(SEALED_TEXT_BYTES["message"])
MAX_CONTACT_ENVELOPE_CHARS = crypto.max_envelope_chars(SEALED_TEXT_BYTES["contact"])
MAX_HEADER_ENVELOPE_CHARS = crypto.max_envelope_chars(SEALED_TEXT_BYTES["attachment"])
# More file entries than any setting allows are read no further (the service names the limit).
MAX_FILE_ENTRIES = 20
PHONE_PATTERN = re.compile(rf"^\+?[0-9 ()\-]{{8,{MAX_PHONE_CHARS}}}$")

YES_NO = _choices([("yes", _l("Yes")), ("no", _l("No"))])
YES_NO_UNSURE = [*YES_NO, SelectChoice("unsure", _l("Not sure"))]

KIND_CHOICES = _choices(
    [
        (Kind.SEXUAL_HARASSMENT.value, _l("Sexual harassment")),
        (Kind.DISCRIMINATION.value, _l("Discrimination")),
        (Kind.ABUSE_OF_POWER.value, _l("Abuse of power")),
        (Kind.OTHER.value, _l("Something else")),
        (Kind.GENERAL_QUESTION.value, _l("A general question")),
    ]
)
ROLE_CHOICES = _choices(
    [
        (ReporterRole.EXPERIENCED.value, _l("It happened to me")),
        (ReporterRole.WITNESSED.value, _l("I saw it happen to someone")),
        (ReporterRole.ASKING_FOR_SOMEONE.value, _l("I am asking on someone's behalf")),
        (ReporterRole.EMPLOYER_OR_REPRESENTATIVE.value, _l("I am an employer or a representative")),
    ]
)
HAPPENED_CHOICES = _choices(
    [
        (Happened.LAST_30_DAYS.value, _l("In the last 30 days")),
        (Happened.LAST_YEAR.value, _l("In the last year")),
        (Happened.EARLIER.value, _l("More than a year ago")),
    ]
)
FIELD_CHOICES = _choices(
    [
        ("", _l("Rather not say")),
        (Field.MUSIC.value, _l("Music")),
        (Field.STAGE.value, _l("Stage (theatre, dance, opera)")),
        (Field.FILM_TV.value, _l("Film and TV")),
        (Field.VISUAL_ARTS.value, _l("Visual arts")),
        (Field.LITERATURE.value, _l("Literature")),
        (Field.OTHER.value, _l("Another field")),
    ]
)
LANGUAGE_CHOICES = _choices(
    [
        ("", _l("No preference")),
        (Language.BOKMAL.value, "Norsk (bokmål)"),
        (Language.NYNORSK.value, "Norsk (nynorsk)"),
        (Language.SAMI.value, "Sámegiella"),
        (Language.SWEDISH.value, "Svenska"),
        (Language.DANISH.value, "Dansk"),
        (Language.ENGLISH.value, "English"),
        (Language.OTHER.value, _l("Another language")),
    ]
)
CONTACT_CHOICES = _choices(
    [
        (ContactPreference.INBOX.value, _l("Replies in a secure inbox, read with my case code")),
        (ContactPreference.CALLBACK.value, _l("A lawyer calls me back")),
    ]
)
ANY_TIME = "any"


def fits_an_envelope(form: Form, field: TextAreaField) -> None:
    """Text that can be sealed: within its characters, a character can take up to 4 bytes."""
    if field.data and len(field.data.encode("utf-8", "surrogatepass")) > crypto.MAX_PLAINTEXT_BYTES:
        raise ValidationError(
            _l(
                "This text takes too much space once encoded (emoji and some other characters"
                " count several times); please shorten it."
            )
        )


F = TypeVar("F", RadioField, SelectField)


def optional_answer(field: type[F], label: Any, choices: list[SelectChoice]) -> F:
    """A question one may leave unanswered."""
    return field(label, choices=choices, validators=[Optional()])


def required_answer(field: type[F], label: Any, choices: list[SelectChoice], missing: Any) -> F:
    """A question that must be answered; `missing` says so when it is not."""
    return field(label, choices=choices, validators=[InputRequired(message=missing)])


def check_typed_number(typed: str | None, *, missing: Any) -> None:
    """A phone number typed without JavaScript: there, and digits (with + for abroad)."""
    number = (typed or "").strip()
    if not number:
        raise ValidationError(missing)
    if not PHONE_PATTERN.fullmatch(number):
        raise ValidationError(
            _l("That does not look like a phone number; use digits, and + for abroad.")
        )


# What `secrets.token_urlsafe` makes: nothing else is a form token of this site's.
FORM_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")


def is_form_token(text: str) -> bool:
    """Whether `text` is a form token our pages make (as submission_token_field checks)."""
    return 20 <= len(text) <= 64 and FORM_TOKEN_PATTERN.fullmatch(text) is not None


def submission_token_field() -> HiddenField:
    """The form's one-time token: the case's reference is derived from it, and a second send
    of the same form is recognised by it."""
    return HiddenField(
        validators=[DataRequired(), Length(min=20, max=64), Regexp(FORM_TOKEN_PATTERN)]
    )


def long_text_field(label: Any) -> TextAreaField:
    """The free text of a case (the narrative, a phone note): limited, and it must fit an
    envelope once sealed."""
    too_long = _l("Please keep it under %(max)d characters.", max=MAX_NARRATIVE_CHARS)
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=MAX_NARRATIVE_CHARS, message=too_long),
            fits_an_envelope,
        ],
        render_kw={"maxlength": MAX_NARRATIVE_CHARS},
    )


def _tri_state(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class _Choice:
    """The stock check that a posted value is one of the choices, by set membership.

    WTForms' own builds an option object for every choice of every choice field on every
    post, a tenth of the report form's cost. Same rule, same message; an unanswered
    optional question still fails it and is then cleared by `Optional()`, as before.
    """

    def pre_validate(self: Any, form: FlaskForm) -> None:
        if self.process_errors or not self.validate_choice:
            return
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(
                self.invalid_choice_message or self.gettext("Not a valid choice.")
            )


class ChoiceRadioField(_Choice, RadioField):
    pass


class ChoiceSelectField(_Choice, SelectField):
    pass


class ReporterForm(Form):
    """The reporter pages' forms: WTForms' own messages from a catalogue read once.

    No CSRF field of their own: CSRFProtect checks the token of every POST before any view
    runs (advisory/security.py), and a form's check would only repeat it. Templates send the
    token with `csrf_token()`.
    """

    class Meta:
        csrf = False

        def get_translations(self, form: FlaskForm) -> NullTranslations:
            return wtforms_catalogue()


class LanguageForm(ReporterForm):
    language = HiddenField(validators=[DataRequired(), AnyOf(SUPPORTED_LOCALES)])
    submit = SubmitField()


class QuestionnaireAnswers:
    """`answers()` for a form that asks the triage questionnaire under these field names (the
    reporter's form, and the lawyer's phone intake)."""

    kind: Any
    reporter_role: Any
    ongoing: Any
    immediate_danger: Any
    dismissal_or_warning: Any
    happened: Any
    field: Any
    preferred_language: Any

    def answers(self) -> Answers:
        return Answers(
            kind=Kind(self.kind.data),
            reporter_role=_given(ReporterRole, self.reporter_role.data),
            ongoing=_tri_state(self.ongoing.data),
            immediate_danger=_tri_state(self.immediate_danger.data),
            dismissal_or_warning=_tri_state(self.dismissal_or_warning.data),
            happened=_given(Happened, self.happened.data),
            field=_given(Field, self.field.data),
            preferred_language=_given(Language, self.preferred_language.data),
        )


E = TypeVar("E", bound=enum.Enum)


def _given(choice: type[E], value: str | None) -> E | None:
    """An optional question's answer; blanks are no answer (Optional() lets them through
    without checking them against the choices)."""
    value = (value or "").strip()
    return choice(value) if value else None


class UploadClaimForm(ReporterForm):
    """One file the browser uploaded sealed: its upload token and sealed header."""

    upload = HiddenField(validators=[DataRequired(), Length(max=64)])
    header = HiddenField(validators=[DataRequired(), Length(max=MAX_HEADER_ENVELOPE_CHARS)])


class EvidenceFields:
    """Files with a report or message: chosen in a plain file input (no JavaScript), or
    uploaded sealed by the browser, which then names them here instead."""

    evidence = MultipleFileField(_l("Evidence (optional)"))
    attachments = FieldList(FormField(UploadClaimForm), max_entries=MAX_FILE_ENTRIES)

    def claims(self) -> tuple[Claim, ...]:
        return tuple(
            Claim(entry.form.upload.data or "", entry.form.header.data or "")
            for entry in self.attachments
        )

    def arrived_files(self) -> tuple[ArrivedFile, ...]:
        """The files posted without JavaScript, read into memory (never a temporary file)."""
        files = []
        # Read from the request's file parts by name: form fields take text only (Form).
        for storage in request.files.getlist(self.evidence.name):
            if isinstance(storage, FileStorage) and storage.filename:
                files.append(ArrivedFile(storage.filename, storage.read()))
        return tuple(files)


class ReportForm(EvidenceFields, QuestionnaireAnswers, ReporterForm):
    submission_token = submission_token_field()
    kind = required_answer(
        ChoiceRadioField,
        _l("What is it about?"),
        KIND_CHOICES,
        missing=_l("Please choose what it is about."),
    )
    reporter_role = optional_answer(ChoiceRadioField, _l("How are you involved?"), ROLE_CHOICES)
    immediate_danger = optional_answer(
        ChoiceRadioField, _l("Is anyone in immediate danger?"), YES_NO
    )
    ongoing = optional_answer(ChoiceRadioField, _l("Is it still going on?"), YES_NO_UNSURE)
    dismissal_or_warning = optional_answer(
        ChoiceRadioField, _l("Have you received a dismissal or a written warning?"), YES_NO
    )
    happened = optional_answer(ChoiceRadioField, _l("When did it happen?"), HAPPENED_CHOICES)
    field = optional_answer(ChoiceSelectField, _l("Which field?"), FIELD_CHOICES)
    preferred_language = optional_answer(
        ChoiceSelectField,
        _l("Which language would you like to be answered in?"),
        LANGUAGE_CHOICES,
    )
    narrative = long_text_field(_l("What happened, or what would you like to ask?"))
    contact_preference = required_answer(
        ChoiceRadioField,
        _l("How should we answer you?"),
        CONTACT_CHOICES,
        missing=_l("Please choose how we should answer you."),
    )
    # No Optional(): it would stop validation before validate_phone sees an empty number.
    # A number pad on a phone; never offered again from the browser's saved entries.
    phone = StringField(_l("Phone number"), render_kw={"inputmode": "tel", "autocomplete": "off"})
    voicemail_ok = optional_answer(ChoiceRadioField, _l("May we leave a voicemail?"), YES_NO)
    sms_ok = optional_answer(ChoiceRadioField, _l("May we send a text message?"), YES_NO)
    slot = ChoiceRadioField(_l("When may we call?"), choices=[], validate_choice=False)

    # Filled in by the browser when it encrypts; then the plaintext fields stay empty.
    encryption = HiddenField()
    narrative_envelope = HiddenField(validators=[Length(max=MAX_ENVELOPE_CHARS)])
    narrative_copy_envelope = HiddenField(validators=[Length(max=MAX_ENVELOPE_CHARS)])
    contact_envelope = HiddenField(validators=[Length(max=MAX_CONTACT_ENVELOPE_CHARS)])
    lookup_token = HiddenField(validators=[Length(max=64)])
    reporter_public_key = HiddenField(validators=[Length(max=64)])

    @property
    def encrypted_in_browser(self) -> bool:
        return self.encryption.data == "browser"

    def validate_phone(self, field: StringField) -> None:
        if self.contact_preference.data != ContactPreference.CALLBACK.value:
            return
        if self.encrypted_in_browser and self.contact_envelope.data:
            return
        check_typed_number(field.data, missing=_l("Please give the number we should call."))

    def validate_narrative_envelope(self, field: HiddenField) -> None:
        if self.encrypted_in_browser and not (
            self.lookup_token.data and self.reporter_public_key.data
        ):
            raise ValidationError(_l("The page did not finish encrypting; please send again."))

    def validate_slot(self, field: RadioField) -> None:
        if field.data and field.data != ANY_TIME and parse_slot_start(field.data) is None:
            raise ValidationError(_l("That time is not one we offered; please choose another."))

    def web_report(self) -> WebReport:
        """The report as sent: envelopes from the browser, or what was typed."""
        content: SealedInBrowser | TypedText
        if self.encrypted_in_browser:
            content = SealedInBrowser(
                narrative_envelope=self.narrative_envelope.data or None,
                narrative_copy_envelope=self.narrative_copy_envelope.data or None,
                contact_envelope=self.contact_envelope.data or None,
                lookup_token=self.lookup_token.data or "",
                public_key=self.reporter_public_key.data or "",
            )
        else:
            content = TypedText(narrative=self.narrative.data or "", phone=self.phone.data or "")
        return WebReport(
            submission_token=self.submission_token.data,
            answers=self.answers(),
            contact=self.contact(),
            content=content,
            files=() if self.encrypted_in_browser else self.arrived_files(),
            claims=self.claims() if self.encrypted_in_browser else (),
        )

    def contact(self) -> Contact:
        """The contact choice; the number is sealed and added by the service."""
        return Contact(
            preference=ContactPreference(self.contact_preference.data),
            voicemail_ok=_tri_state(self.voicemail_ok.data),
            sms_ok=_tri_state(self.sms_ok.data),
            slot_start=self.chosen_slot(),
        )

    def chosen_slot(self) -> datetime | None:
        value = self.slot.data
        if not value or value == ANY_TIME:
            return None
        return parse_slot_start(value)


class CaseCodeForm(ReporterForm):
    """Opening the follow-up inbox: the code itself (no JS) or its lookup token (JS)."""

    code = StringField(_l("Your case code"), validators=[Optional(), Length(max=64)])
    lookup_token = HiddenField(validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Open my case"))


class MessageForm(EvidenceFields, CaseCodeForm):
    message = TextAreaField(
        _l("Write to the lawyer"),
        validators=[Optional(), Length(max=MAX_MESSAGE_CHARS)],
        render_kw={"maxlength": MAX_MESSAGE_CHARS},
    )
    message_envelope = HiddenField(validators=[Optional(), Length(max=MAX_MESSAGE_ENVELOPE_CHARS)])
    message_copy_envelope = HiddenField(
        validators=[Optional(), Length(max=MAX_MESSAGE_ENVELOPE_CHARS)]
    )
    submit = SubmitField(_l("Send message"))


class CodeFileForm(ReporterForm):
    """The receipt's "download" button without JavaScript: the code shown, sent back."""

    code = HiddenField(validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Download as a text file"))

    def valid_code(self) -> str | None:
        try:
            return crypto.normalise_case_code(self.code.data or "")
        except crypto.InvalidCaseCode:
            return None


class RebookForm(CaseCodeForm):
    slot = HiddenField(validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Move the callback"))


class EraseForm(CaseCodeForm):
    confirm = HiddenField()
    submit = SubmitField(_l("Delete everything about my case"))
