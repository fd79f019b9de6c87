"""Staff sign-in forms. Texts are lazy translations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from advisory.passwords import MIN_PASSWORD_LENGTH

MAX_PASSWORD_CHARS = 1024
CODE_PATTERN = r"^\s*\d{3}\s?\d{3}\s*$"


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_CHARS)]
    )
    code = StringField(_l("Code from your authenticator app"), validators=[Length(max=12)])
    submit = SubmitField(_l("Sign in"))


class EnrolmentForm(FlaskForm):
    new_password = PasswordField(
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
    repeat_password = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
    )
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Regexp(CODE_PATTERN, message=_l("The code has 6 digits."))],
    )
    submit = SubmitField(_l("Save and continue"))


class SignOutForm(FlaskForm):
    """No fields but the CSRF token."""
