"""Forms of the lines pages: one text field per setting, in the forms `lines set` takes.

The settings are checked together by `line_config.read_config`; its problems (English, for the
command line) are shown beside the fields as the words below, in the reader's language.
"""

from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from advisory.closing_days import NORDIC_COUNTRIES
from advisory.forms import Form
from advisory.i18n import lazy_text as _l
from advisory.line_config import FIELDS, MAX_LENGTHS

LABELS = {
    "name": _l("Public name"),
    "description": _l("Short description"),
    "timezone": _l("Time zone"),
    "weekly_hours": _l("Weekly opening hours"),
    "holiday_country": _l("Holidays of"),
    "closed_days": _l("Also closed every year"),
    "closed_dates": _l("Also closed on these dates"),
    "deadline_hours": _l("Deadline, in opening hours"),
    "p1_target_hours": _l("Target for urgent cases, in opening hours"),
    "slot_minutes": _l("Callback slot, minutes"),
    "slot_capacity": _l("Callbacks at once"),
    "duty_roster": _l("Duty roster"),
    "languages": _l("Languages offered"),
    "default_language": _l("Default language"),
    "emergency_numbers": _l("Emergency numbers"),
    "retention_days": _l("Days a closed case is kept"),
    "smtp_sender": _l("Sender of e-mail notices"),
    "phone": _l("The line's phone number"),
}
HINTS = {
    "timezone": _l("For example Europe/Oslo or Europe/Stockholm."),
    "weekly_hours": _l(
        "For example: mon=09:00-16:00; fri=09:00-11:30,12:00-15:00. Days left out are closed."
    ),
    "holiday_country": _l("NO, SE, DK, FI or IS; empty for no public holidays."),
    "closed_days": _l("Month and day, apart by commas: 12-27, 12-30."),
    "closed_dates": _l("Dates, apart by commas: 2027-05-07, 2027-12-28."),
    "deadline_hours": _l("Empty: one working day (the longest day of the week)."),
    "duty_roster": _l(
        "Callbacks at once by weekday and time, for example mon=09:00-12:00*3. "
        "Other times take the number above."
    ),
    "languages": _l("Apart by commas, from nb, nn, sv, da and en."),
    "emergency_numbers": _l(
        "Number=service, apart by semicolons. Services: emergency, police, ambulance, fire, "
        "medical_advice, police_tips."
    ),
    "smtp_sender": _l("Empty: the deployment's sender."),
    "phone": _l("Empty for a web-only line."),
}
INVALID = _l("This cannot be used: %(why)s")
COUNTRY_CHOICES = [SelectChoice(code, code) for code in NORDIC_COUNTRIES]


class LineSettingsForm(Form):
    """Every setting of a line as text; `preview` shows the next 14 days without saving."""

    preview = SubmitField(_l("Preview the next 14 days"))
    save = SubmitField(_l("Save"))

    def texts(self) -> dict[str, str]:
        return {name: (self[name].data or "").strip() for name in FIELDS}


for _name in FIELDS:
    # As long as the field may be (a whole number: a few digits), so nothing typed is cut off.
    _longest = MAX_LENGTHS.get(_name, 4)
    setattr(
        LineSettingsForm,
        _name,
        StringField(LABELS[_name], render_kw={"autocapitalize": "none", "maxlength": _longest}),
    )


class AddLineForm(Form):
    slug = StringField(
        _l("Address"),
        validators=[DataRequired(message=_l("Give the line an address."))],
        render_kw={"maxlength": 40, "autocapitalize": "none"},
    )
    name = StringField(
        _l("Public name"),
        validators=[DataRequired(message=_l("Give the line a name."))],
        render_kw={"maxlength": 120},
    )
    country = SelectField(_l("Country"), choices=COUNTRY_CHOICES, default="NO")
    submit = SubmitField(_l("Add line"))
