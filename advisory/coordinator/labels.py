"""Names of categories, outcomes and tables on the coordinator's pages and in the CSV.

Functions, not constants: they are called with a request (or a forced locale) in place, so
every name is in the reader's language.
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from advisory.models import Channel, Field, Kind, ReporterRole
from advisory.services.figures import PENDING, Dimension
from advisory.services.yearly_report import NOTE_MARK, OUTCOME, ReportLabels
from advisory.stats import NOT_ANSWERED, Metric
from advisory.suppression import SMALL_MAX


def category_names() -> dict[str, dict[str, str]]:
    return {
        Dimension.CHANNEL: channel_names(),
        Dimension.KIND: {
            Kind.SEXUAL_HARASSMENT: _("Sexual harassment"),
            Kind.DISCRIMINATION: _("Discrimination"),
            Kind.ABUSE_OF_POWER: _("Abuse of power"),
            Kind.OTHER: _("Other matters"),
            Kind.GENERAL_QUESTION: _("General questions"),
        },
        Dimension.REPORTER_ROLE: {**reporter_role_names(), NOT_ANSWERED: _("Not stated")},
        Dimension.FIELD: {
            Field.MUSIC: _("Music"),
            Field.STAGE: _("Stage (theatre, dance, opera)"),
            Field.FILM_TV: _("Film and TV"),
            Field.VISUAL_ARTS: _("Visual arts"),
            Field.LITERATURE: _("Literature"),
            Field.OTHER: _("Another field"),
            NOT_ANSWERED: _("Not stated"),
        },
        OUTCOME: outcome_names(),
        "dimension": {
            Dimension.MONTH: _("Month"),
            Dimension.KIND: _("Kind of matter"),
            Dimension.CHANNEL: _("Channel"),
            Dimension.REPORTER_ROLE: _("Role"),
            Dimension.FIELD: _("Field"),
        },
    }


def channel_names() -> dict[str, str]:
    """Also the lawyers' names for the channels: one word for each, whoever reads it."""
    return {
        Channel.WEB: _("Web"),
        Channel.PHONE: _("Phone"),
        Channel.VOICEMAIL: _("Voicemail"),
    }


def reporter_role_names() -> dict[str, str]:
    """The roles of whoever got in touch, as the queue and the figures name them."""
    return {
        ReporterRole.EXPERIENCED: _("Experienced it"),
        ReporterRole.WITNESSED: _("Witness"),
        ReporterRole.ASKING_FOR_SOMEONE: _("On someone's behalf"),
        ReporterRole.EMPLOYER_OR_REPRESENTATIVE: _("Employer or representative"),
    }


def outcome_names() -> dict[str, str]:
    return {
        Metric.ANSWERED_IN_TIME: _("Answered within the deadline"),
        Metric.ANSWERED_LATE: _("Answered after the deadline"),
        Metric.NEVER_ANSWERED: _("Not answered"),
        PENDING: _("Awaiting a first answer"),
    }


def month_name(month: date) -> str:
    return str(format_date(month, "LLLL")).capitalize()


def report_labels(year: int) -> ReportLabels:
    categories = category_names()
    categories[Dimension.MONTH] = {
        f"{year}-{month:02d}": month_name(date(year, month, 1)) for month in range(1, 13)
    }
    return ReportLabels(
        categories=categories,
        titles={
            "month_kind": _("Cases by month and kind of matter"),
            "kind_role": _("Cases by kind of matter and the role of whoever got in touch"),
            "kind_field": _("Cases by kind of matter and field"),
            "kind_channel": _("Cases by kind of matter and channel"),
            "channel_outcome": _("Deadline compliance by channel"),
            "kind_outcome": _("Deadline compliance by kind of matter"),
        },
        texts={
            "heading": _("Advisory Line: figures for %(year)s", year=year),
            "as_of": _("Figures as of"),
            "legend": _(
                "“<5”: from 1 to 4 cases. “×”: hidden so that a small number cannot be "
                "worked out from the totals."
            ),
            "total": _("Total"),
            "note_mark": NOTE_MARK,
            "only_total": _(
                "Only the total is shown: every count in this row is under %(threshold)d, or "
                "hidden so that a count under %(threshold)d cannot be worked out from the totals.",
                threshold=SMALL_MAX + 1,
            ),
            "response_title": _("Time to first response, in hours"),
            "channel": _("Channel"),
            "all": _("All channels"),
            "median_wall": _("Median, clock hours"),
            "p90_wall": _("90th percentile, clock hours"),
            "median_opening": _("Median, opening hours"),
            "p90_opening": _("90th percentile, opening hours"),
            "not_published": _("Fewer than 5 answered cases: not published"),
            "callbacks_title": _("Callbacks"),
            "attempts": _("Calls due"),
            "reached": _("Reached"),
            "reach_rate": _("Reach rate"),
        },
    )
