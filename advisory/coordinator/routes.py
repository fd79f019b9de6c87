"""The coordinator's pages: dashboard, yearly report (HTML to print, and CSV).

Coordinators and admins only. Figures and public references only: nothing here selects,
links to or shows a case's content, and the references of cases at risk are plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, g, render_template, request
from werkzeug.datastructures import MultiDict

from advisory.auth.access import require_role
from advisory.context import current_settings, db_session, now
from advisory.coordinator import presenting
from advisory.coordinator.forms import PeriodForm, YearForm
from advisory.coordinator.labels import category_names, report_labels
from advisory.hours import Calendar
from advisory.models import Role
from advisory.services.dashboard import build_dashboard
from advisory.services.line_settings import figures_calendar
from advisory.services.staff_lines import figure_lines
from advisory.services.yearly_report import (
    PLAIN_CSV,
    SEMICOLON_CSV,
    build_yearly_report,
    report_csv,
)

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

STAFF_WITH_FIGURES = (Role.COORDINATOR, Role.ADMIN)


@bp.get("")
@require_role(*STAFF_WITH_FIGURES)
def dashboard() -> tuple[str, int]:
    today = _today()
    form = PeriodForm(formdata=request.args)
    valid = form.check(today)
    period = form.chosen(today) if valid else PeriodForm(formdata=None).chosen(today)
    scope = _figure_scope()
    figures = build_dashboard(
        db_session(),
        current_settings(),
        period=period,
        now=now(),
        line_ids=scope.line_ids,
        calendar=scope.calendar,
    )
    page = render_template(
        "coordinator/dashboard.html",
        scope=scope,
        form=form,
        figures=figures,
        charts=presenting.dashboard_charts(figures),
        names=category_names(),
        ages=presenting.age_names(),
        bands=presenting.band_names(),
        present=presenting,
    )
    return page, 200 if valid else 400


@bp.get("/report")
@require_role(*STAFF_WITH_FIGURES)
def report() -> tuple[str, int]:
    form = _year_form()
    valid = form.check(_today())
    year = form.year.data if valid and form.year.data else _today().year
    scope = _figure_scope()
    figures = build_yearly_report(db_session(), year=year, now=now(), line_ids=scope.line_ids)
    page = render_template(
        "coordinator/report.html",
        scope=scope,
        form=form,
        report=figures,
        labels=report_labels(year),
        present=presenting,
        standalone_css=None,
    )
    return page, 200 if valid else 400


@bp.get("/report.csv")
@require_role(*STAFF_WITH_FIGURES)
def report_download() -> Response | tuple[str, int]:
    form = _year_form()
    if not form.check(_today()) or form.year.data is None:
        return report()
    year = form.year.data
    # ?separator=semicolon: for Excel set up for Norway, which splits cells at semicolons.
    semicolons = request.args.get("separator") == "semicolon"
    scope = _figure_scope()
    figures = build_yearly_report(db_session(), year=year, now=now(), line_ids=scope.line_ids)
    text = report_csv(figures, report_labels(year), SEMICOLON_CSV if semicolons else PLAIN_CSV)
    name = f"advisory-line-{year}{'-semicolon' if semicolons else ''}.csv"
    return Response(
        # A byte order mark, so that spreadsheets opening the file read it as UTF-8 (æ, ø, å).
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _year_form() -> YearForm:
    if "year" in request.args:
        return YearForm(formdata=request.args)
    return YearForm(formdata=MultiDict({"year": str(_today().year)}))


@dataclass(frozen=True)
class FigureScope:
    """Whose figures a page shows: the lines given to the coordinator (summed when there are
    several), or every line; days are counted in the first of them's calendar."""

    names: tuple[str, ...]
    line_ids: tuple[int, ...]
    calendar: Calendar


def _figure_scope() -> FigureScope:
    if "advisory_figure_scope" not in g:
        lines = figure_lines(db_session(), g.staff)
        calendar = figures_calendar(db_session(), lines)
        g.advisory_figure_scope = FigureScope(
            tuple(line.name for line in lines), tuple(line.id for line in lines), calendar
        )
    scope: FigureScope = g.advisory_figure_scope
    return scope


def _today() -> date:
    """Today in the calendar of the lines the figures are for."""
    return _figure_scope().calendar.local_date(now())
