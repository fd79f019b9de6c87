"""Forms of the staff accounts page. Texts are lazy translations.

The service (advisory/services/staff.py) refuses a bad or taken username with English text
meant for the command line; these forms check the same rules first, so the page can say why
in the reader's language, beside the field.
"""

from __future__ import annotations

from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from advisory.context import db_session
from advisory.forms import UNSTORABLE, Form
from advisory.i18n import lazy_text as _l
from advisory.models import Line, Role, Staff
from advisory.services.line_keys import default_line
from advisory.services.staff import USERNAME_PATTERN

USERNAME_RULE = _l(
    "Use 3 to 64 characters: letters a–z, digits, '.', '_' or '-', starting with a letter or "
    "a digit."
)
USERNAME_TAKEN = _l("There is already an account with this username. Choose another.")
NO_LINE_YET = _l(
    "A lawyer belongs to the line, and there is no line yet: "
    "run `flask --app advisory init` on the server first."
)
ROLE_LABELS = {
    Role.LAWYER: _l("Lawyer"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
}


def normalised_username(typed: str) -> str:
    """What the service stores for what was typed (it strips and lower-cases)."""
    return typed.strip().lower()


class AddStaffForm(Form):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Give the person's username."))],
        render_kw={"maxlength": 64, "autocapitalize": "none"},
    )
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        default=Role.LAWYER.value,
        invalid_choice_message=_l("Choose one of the roles in the list."),
    )
    line = SelectField(
        _l("Line (for a lawyer)"),
        choices=[],  # the deployment's lines, set by `with_lines`
        invalid_choice_message=_l("Choose one of the lines in the list."),
        validate_choice=False,  # checked in validate_line, where the lines are known
    )
    submit = SubmitField(_l("Add"))

    def with_lines(self, lines: list[Line]) -> AddStaffForm:
        self.line.choices = [SelectChoice(str(line.id), line.name) for line in lines]
        if not self.line.data and lines:
            self.line.data = str(lines[0].id)
        return self

    @property
    def chosen_line_id(self) -> int | None:
        """Only after validation: the line a new lawyer belongs to."""
        return int(self.line.data) if self.chosen_role is Role.LAWYER else None

    def validate_line(self, field: SelectField) -> None:
        if self.role.data != Role.LAWYER.value:
            return
        known = {str(value) for value, _label, *_rest in field.iter_choices()}
        if field.data not in known:
            raise ValidationError(_l("Choose one of the lines in the list."))

    def validate_username(self, field: StringField) -> None:
        if UNSTORABLE.search(field.data or ""):
            return  # the base form takes the character out and says so
        name = normalised_username(field.data or "")
        if not USERNAME_PATTERN.fullmatch(name):
            raise ValidationError(USERNAME_RULE)
        taken = db_session().scalars(select(Staff.id).where(Staff.username == name)).first()
        if taken is not None:
            raise ValidationError(USERNAME_TAKEN)

    def validate_role(self, field: SelectField) -> None:
        if field.data == Role.LAWYER.value and default_line(db_session()) is None:
            raise ValidationError(NO_LINE_YET)

    @property
    def chosen_role(self) -> Role:
        """Only after validation: the role chosen from the list."""
        return Role(self.role.data)


class ConfirmForm(Form):
    """Deactivate, reset: a step that cannot be undone is ticked before it is taken.

    The checkbox's label names the account on each row, so the template writes it.
    """

    confirm = BooleanField(
        validators=[DataRequired(message=_l("Tick the box to confirm, then press the button."))]
    )


class ActionForm(Form):
    """Reactivate: no fields but the CSRF token."""
