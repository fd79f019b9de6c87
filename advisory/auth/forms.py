"""Staff sign-in forms. Texts are lazy translations."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from advisory.forms import Form
from advisory.i18n import lazy_text as _l
from advisory.passwords import MIN_PASSWORD_LENGTH

MAX_PASSWORD_CHARS = 1024
CODE_PATTERN = r"^\s*\d{3}\s?\d{3}\s*$"


class SignInForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_CHARS)]
    )
    code = StringField(_l("Code from your authenticator app"), validators=[Length(max=12)])
    submit = SubmitField(_l("Sign in"))


# New wraps of a lawyer's line keys, made in the browser: a few hundred characters per key.
MAX_WRAPS_CHARS = 20_000


def _new_password() -> PasswordField:
    """A fresh field per form, made in the class body, so each form keeps its field order."""
    return PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_CHARS,
                message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH),
            ),
        ],
    )


def _repeat_password() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
    )


class EnrolmentForm(Form):
    # Asked only of a lawyer who already holds line keys: the browser re-wraps them with it.
    current_password = PasswordField(
        _l("The password you signed in with"),
        validators=[Optional(), Length(max=MAX_PASSWORD_CHARS)],
    )
    wrapped_keys = HiddenField(validators=[Optional(), Length(max=MAX_WRAPS_CHARS)])
    new_password = _new_password()
    repeat_password = _repeat_password()
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Regexp(CODE_PATTERN, message=_l("The code has 6 digits."))],
    )
    submit = SubmitField(_l("Save and continue"))


class PasswordChangeForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_CHARS)]
    )
    new_password = _new_password()
    repeat_password = _repeat_password()
    wrapped_keys = HiddenField(validators=[Optional(), Length(max=MAX_WRAPS_CHARS)])
    submit = SubmitField(_l("Change password"))


class SignOutForm(Form):
    """No fields but the CSRF token."""
