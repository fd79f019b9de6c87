from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField
from wtforms.validators import AnyOf, DataRequired

from advisory.settings import SUPPORTED_LOCALES


class LanguageForm(FlaskForm):
    language = HiddenField(validators=[DataRequired(), AnyOf(SUPPORTED_LOCALES)])
    submit = SubmitField()
