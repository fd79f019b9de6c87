"""`flask --app advisory report yearly --year YYYY --format csv|html`: the yearly report.

The same figures, protection and words as the coordinator's page, in the line's default
language; aggregate figures only, never case content.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app, render_template
from flask.cli import AppGroup
from flask_babel import force_locale, get_locale

from advisory.cli.line_choice import named_line
from advisory.context import db_session, now
from advisory.coordinator import presenting
from advisory.coordinator.forms import FIRST_YEAR
from advisory.coordinator.labels import report_labels
from advisory.i18n import default_language
from advisory.line_config import PAGE_LANGUAGES
from advisory.services.line_settings import all_lines, figures_calendar
from advisory.services.yearly_report import (
    PLAIN_CSV,
    SEMICOLON_CSV,
    build_yearly_report,
    report_csv,
)
from advisory.settings import PROJECT_ROOT

STYLESHEET = PROJECT_ROOT / "advisory" / "static" / "css" / "site.css"

report_group = AppGroup("report", help="Aggregate figures for the partnership (no case content).")


@report_group.command("yearly")
@click.option("--year", type=int, required=True, help="Calendar year, in the line's time zone.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "html"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--separator",
    type=click.Choice(["comma", "semicolon"]),
    default="comma",
    show_default=True,
    help="CSV only: semicolon (with decimal commas) suits Excel set up for Norway.",
)
@click.option(
    "--line",
    "slugs",
    multiple=True,
    metavar="SLUG",
    help="A line to report on; repeat for a network's sum (default: every line together).",
)
@click.option(
    "--language",
    type=click.Choice(PAGE_LANGUAGES),
    help="The report's language (default: the first line's).",
)
def report_yearly(
    year: int,
    output_format: str,
    output: Path | None,
    separator: str,
    slugs: tuple[str, ...],
    language: str | None,
) -> None:
    """The yearly report: counts, response times, deadline compliance, small cells hidden.

    HTML with --output gets its stylesheet (print rules included) written beside the file;
    on standard output it is a bare page that the browser's own styles print.
    """
    at = now()
    lines = [named_line(slug) for slug in dict.fromkeys(slugs)] or all_lines(db_session())
    # This year is the first line's; each line's cases are counted on its own days.
    this_year = figures_calendar(db_session(), lines).local_date(at).year
    line_ids = [line.id for line in lines]
    if not FIRST_YEAR <= year <= this_year:
        raise click.ClickException(
            f"No figures for {year}: choose a year from {FIRST_YEAR} to {this_year}."
        )
    if output is not None and output_format == "html":
        _refuse_to_overwrite(_stylesheet_beside(output))
    report = build_yearly_report(db_session(), year=year, now=at, line_ids=line_ids)
    scope = {"names": tuple(line.name for line in lines)}
    # A request context of its own: the labels and the template need a locale.
    with current_app.test_request_context(), force_locale(language or default_language()):
        labels = report_labels(year)
        if output_format == "csv":
            style = SEMICOLON_CSV if separator == "semicolon" else PLAIN_CSV
            text = report_csv(report, labels, style)
        else:
            text = render_template(
                "coordinator/report_file.html",
                report=report,
                labels=labels,
                present=presenting,
                stylesheet=_stylesheet_beside(output).name if output else "",
                scope=scope,
                language=str(get_locale()),
            )
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    if output_format == "html":
        _stylesheet_beside(output).write_text(STYLESHEET.read_text(encoding="utf-8"), "utf-8")
    click.echo(f"Wrote the {year} report to {output}.")


def _stylesheet_beside(output: Path) -> Path:
    return output.with_name(f"{output.stem}.css")


def _refuse_to_overwrite(stylesheet: Path) -> None:
    """The stylesheet goes beside the page; a file of that name that is not ours stays."""
    if stylesheet.exists() and stylesheet.read_bytes() != STYLESHEET.read_bytes():
        raise click.ClickException(
            f"{stylesheet} exists and is not the report's stylesheet; choose another --output."
        )
