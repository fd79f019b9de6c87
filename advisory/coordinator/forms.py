"""The coordinator's forms: which period the dashboard shows, which year the report covers.

Both are GET forms that change nothing (like the queue's filters), so they carry no CSRF
token; they are still WTForms forms, so what was typed comes back with a message saying
what is wrong.
"""

from __future__ import annotations

from datetime import date, timedelta

from wtforms import DateField, IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from advisory.forms import Form
from advisory.i18n import lazy_text as _l
from advisory.services.figures import Period

LAST_DAYS = ("30", "90", "365")
RANGE = "range"
MAX_RANGE_DAYS = 731  # two years; the yearly report is there for longer looks back
FIRST_YEAR = 2000
LAST_YEAR = 9998  # the calendar reaches a year further; beyond it dates overflow


class _GetForm(Form):
    class Meta:
        csrf = False


class PeriodForm(_GetForm):
    period = RadioField(
        _l("Period"),
        choices=[
            SelectChoice("30", _l("Last 30 days")),
            SelectChoice("90", _l("Last 90 days")),
            SelectChoice("365", _l("Last 365 days")),
            SelectChoice(RANGE, _l("From one date to another")),
        ],
        default="30",
        validators=[Optional()],
    )
    first_day = DateField(_l("From"), validators=[Optional()])
    last_day = DateField(_l("To"), validators=[Optional()])

    def check(self, today: date) -> bool:
        """Validate, including what depends on today's date; errors go on the fields."""
        if not self.validate():
            return False
        if self.period.data != RANGE:
            return True
        first, last = self.first_day.data, self.last_day.data
        if first is None:
            self.first_day.errors = [_l("Give the first day, or choose one of the last periods.")]
        if last is None:
            self.last_day.errors = [_l("Give the last day, or choose one of the last periods.")]
        if first is None or last is None:
            return False
        if first < date(FIRST_YEAR, 1, 1):
            self.first_day.errors = [
                _l("The figures begin in %(year)d; choose a later first day.", year=FIRST_YEAR)
            ]
            return False
        if last < first:
            self.last_day.errors = [_l("The last day cannot come before the first.")]
        elif last > today:
            self.last_day.errors = [_l("The last day cannot be in the future.")]
        elif (last - first).days + 1 > MAX_RANGE_DAYS:
            self.last_day.errors = [
                _l(
                    "At most %(days)d days at a time; the yearly report covers whole years.",
                    days=MAX_RANGE_DAYS,
                )
            ]
        return not self.last_day.errors

    def chosen(self, today: date) -> Period:
        """The period asked for (call after `check`), or the last 30 days."""
        if self.period.data == RANGE and self.first_day.data and self.last_day.data:
            return Period(self.first_day.data, self.last_day.data)
        days = int(self.period.data) if self.period.data in LAST_DAYS else 30
        return Period(today - timedelta(days=days - 1), today)


def in_report_years(form: Form, field: IntegerField) -> None:
    # Compared as whole numbers: WTForms' NumberRange turns a year of a thousand digits into
    # a float on the way, which overflows.
    if field.data is None or not FIRST_YEAR <= field.data <= LAST_YEAR:
        raise ValidationError(
            _l("Choose a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        )


class YearForm(_GetForm):
    year = IntegerField(
        _l("Year"),
        validators=[InputRequired(), in_report_years],
        render_kw={"min": FIRST_YEAR, "max": LAST_YEAR},
    )

    def check(self, today: date) -> bool:
        if not self.validate():
            return False
        if self.year.data is not None and self.year.data > today.year:
            self.year.errors = [_l("There are no figures for a year that has not begun.")]
            return False
        return True
