"""Staff sign-in forms. Texts are lazy translations.

No form here has a password field: the password is typed into an input without a name, and
the page's script sends only what it derives from it (advisory/static/js/staff-sign-in.js).
A browser without JavaScript sends none of it, and the server says that JavaScript is needed.
"""

from __future__ import annotations

from wtforms import Field, HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

import crypto
from advisory.forms import Form
from advisory.i18n import LANGUAGE_NAMES
from advisory.i18n import lazy_text as _l

CODE_PATTERN = r"^\s*\d{3}\s?\d{3}\s*$"
# An authentication key: 32 bytes of unpadded base64url, in its one canonical spelling.
AUTH_KEY_CHARS = 43
# A legacy proof: the tag of an argon2id hash, at most a few dozen bytes in base64url.
MAX_PROOF_CHARS = 172
MAX_PUBLIC_KEY_CHARS = 64
MAX_WRAPPED_KEY_CHARS = 512
MAX_GRANTS_CHARS = 12_000


def _is_auth_key(_form: Form, field: Field) -> None:
    try:
        crypto.auth_key_from_text(field.data or "")
    except ValueError:
        raise ValidationError("not an authentication key") from None


def _auth_key(required: bool = True) -> HiddenField:
    """A field a script fills with an authentication key; empty means no script ran."""
    return HiddenField(
        validators=[
            DataRequired() if required else Optional(),
            Length(max=AUTH_KEY_CHARS),
            _is_auth_key,
        ]
    )


def _wrapped_private_key() -> HiddenField:
    return HiddenField(validators=[Optional(), Length(max=MAX_WRAPPED_KEY_CHARS)])


def _grants() -> HiddenField:
    return HiddenField(validators=[Optional(), Length(max=MAX_GRANTS_CHARS)])


class SignInForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    auth_key = _auth_key()
    legacy_proof = HiddenField(validators=[Optional(), Length(max=MAX_PROOF_CHARS)])
    code = StringField(_l("Code from your authenticator app"), validators=[Length(max=12)])
    submit = SubmitField(_l("Sign in"))


def _signing_public_key() -> HiddenField:
    return HiddenField(validators=[Optional(), Length(max=MAX_PUBLIC_KEY_CHARS)])


class EnrolmentForm(Form):
    new_auth_key = _auth_key()
    public_key = HiddenField(validators=[Optional(), Length(max=MAX_PUBLIC_KEY_CHARS)])
    signing_public_key = _signing_public_key()
    wrapped_private_key = _wrapped_private_key()
    grants = _grants()
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Regexp(CODE_PATTERN, message=_l("The code has 6 digits."))],
    )
    submit = SubmitField(_l("Save and continue"))


class PasswordChangeForm(Form):
    current_auth_key = _auth_key()
    new_auth_key = _auth_key()
    wrapped_private_key = _wrapped_private_key()
    grants = _grants()
    submit = SubmitField(_l("Change password"))


class ConvertedKeysForm(Form):
    """A lawyer's browser sends its key pair (if it had none) and grants that replace the
    wraps under the password from before key pairs."""

    public_key = HiddenField(validators=[Optional(), Length(max=MAX_PUBLIC_KEY_CHARS)])
    wrapped_private_key = _wrapped_private_key()
    signing_public_key = _signing_public_key()
    grants = _grants()


class GrantForm(Form):
    """Line keys sealed to a colleague in the granting lawyer's browser."""

    grants = HiddenField(validators=[DataRequired(), Length(max=MAX_GRANTS_CHARS)])


class RotationForm(Form):
    """A new line key made in a holder's browser: its public half and the grants of it."""

    public_key = HiddenField(validators=[DataRequired(), Length(max=MAX_PUBLIC_KEY_CHARS)])
    grants = HiddenField(validators=[DataRequired(), Length(max=MAX_GRANTS_CHARS)])
    recovery_grant = HiddenField(validators=[DataRequired(), Length(max=200)])
    line = HiddenField(validators=[Optional(), Length(max=20)])  # the line's id (`row_id`)


class SignOutForm(Form):
    """No fields but the CSRF token."""


LINE_LANGUAGE = ""  # the choice that follows the line's own language


class StaffLanguageForm(Form):
    language = SelectField(
        _l("Language of your pages"),
        choices=[
            SelectChoice(LINE_LANGUAGE, _l("The line's language")),
            *(SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()),
        ],
        invalid_choice_message=_l("Choose one of the languages in the list."),
    )
    submit = SubmitField(_l("Save language"))
