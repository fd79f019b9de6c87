"""The yearly report: the same before and after retention deletes what it counted; small cells
protected in every table; the CSV and the command line."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from advisory.coordinator.labels import report_labels
from advisory.models import (
    Callback,
    CallbackStatus,
    Case,
    Channel,
    Field,
    Kind,
    ReporterRole,
    Role,
    StatsDaily,
)
from advisory.services.retention import apply_retention
from advisory.services.sample_cases import case_columns
from advisory.services.yearly_report import (
    CATEGORY_ORDER,
    _protect_together,
    build_yearly_report,
    report_csv,
)
from advisory.suppression import Mark, recoverable, recoverable_linked, with_totals
from tests.conftest import DEFAULT_NOW, OSLO
from tests.test_queue import sign_in_as

ENVELOPE = re.compile(r"v1\.[A-Za-z0-9_-]+\.")


@pytest.fixture
def year_of_cases(db_session, line, make_case, settings):
    """A year of varied cases: most closed long ago, some open; callbacks; awkward instants."""
    rng = random.Random(2026)
    calendar = settings.calendar
    weights = {
        Kind.SEXUAL_HARASSMENT: 30,
        Kind.DISCRIMINATION: 25,
        Kind.ABUSE_OF_POWER: 20,
        Kind.OTHER: 8,
    }
    instants = [
        datetime(2026, 3, 29, 0, 30, tzinfo=OSLO),  # the night summer time begins
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=OSLO),  # the second 02:30
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # already 2027 in Oslo: not counted
        datetime(2025, 12, 31, 23, 30, tzinfo=UTC),  # already 2026 in Oslo: counted
    ]
    instants += [
        datetime(2026, 1, 1, tzinfo=OSLO) + timedelta(minutes=rng.randrange(320 * 24 * 60))
        for _ in range(240)
    ]
    kinds = rng.choices(list(weights), weights=list(weights.values()), k=len(instants))
    for index in (10, 20, 30):  # rare: three general questions, a small cell everywhere
        kinds[index] = Kind.GENERAL_QUESTION
    for number, (instant, kind) in enumerate(zip(instants, kinds, strict=True)):
        received = instant.astimezone(UTC)  # arithmetic on UTC: no wall-clock surprises
        answered = None
        if rng.random() < 0.9:
            answered = received + timedelta(minutes=rng.choice([20, 90, 400, 1500, 3000, 9000]))
            answered += timedelta(seconds=rng.randrange(60), microseconds=rng.randrange(10**6))
        closed = rng.random() < 0.8 and received < DEFAULT_NOW - timedelta(days=5)
        closed_at = min(received + timedelta(days=rng.randrange(1, 40)), DEFAULT_NOW)
        columns = case_columns(
            calendar,
            reference=f"YEAR-{number:04d}",
            line_id=line.id,
            received_at=received,
            first_response_at=answered if answered is None or answered < DEFAULT_NOW else None,
            channel=rng.choice([Channel.WEB] * 6 + [Channel.PHONE] * 3 + [Channel.VOICEMAIL]),
            kind=kind,
            reporter_role=rng.choice([*ReporterRole, None]),
            field=rng.choice([*Field, None, None]),
            closed_at=closed_at if closed else None,
            narrative_envelope=f"v1.testkey0000000.YEAR-ENVELOPE-{number}",
        )
        case = make_case(**columns)
        for attempt in range(rng.choice([0, 0, 1, 2])):
            start = received + timedelta(hours=2 + attempt)
            status = rng.choice([CallbackStatus.REACHED, CallbackStatus.NO_ANSWER])
            case.callbacks.append(
                Callback(
                    slot_start=start,
                    slot_end=start + timedelta(minutes=30),
                    status=status,
                    attempts=attempt + 1,
                    outcome_at=start,
                )
            )
    db_session.flush()


def csv_of(app, report) -> str:
    with app.test_request_context():
        return report_csv(report, report_labels(report.year))


def test_the_report_is_identical_before_and_after_retention_deletes_its_cases(
    app, db_session, settings, year_of_cases
):
    # Given the report of 2026 while every case still exists
    before = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)
    cases_before = db_session.scalar(select(func.count()).select_from(Case))

    # When retention deletes the cases closed more than 60 days ago (folding them in first)
    deleted = apply_retention(db_session, settings, DEFAULT_NOW)
    after = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)

    # Then most cases are gone, and the report (every count, mark and time) is the same
    cases_after = db_session.scalar(select(func.count()).select_from(Case))
    assert deleted >= 100
    assert cases_after < cases_before - 100
    assert db_session.scalar(select(func.count()).select_from(StatsDaily)) > 0
    assert after == before
    assert csv_of(app, after) == csv_of(app, before)
    month_kind = after.table("month_kind")
    grand_total = month_kind.protected.values[-1][-1]
    assert grand_total == 243  # 244 instants, one of them in 2027 in Oslo


def test_a_rare_kind_is_a_small_cell_in_every_table_and_no_hidden_cell_is_recoverable(
    db_session, settings, year_of_cases
):
    report = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)

    general = Kind.GENERAL_QUESTION.value
    for table in report.tables:
        values = table.protected.values
        hidden = table.protected.hidden()
        assert recoverable(values, hidden) == set(), table.key
        for row, marks in enumerate(table.protected.marks):
            for column, mark in enumerate(marks):
                value = values[row][column]
                if 1 <= value <= 4:
                    assert mark is Mark.SMALL
                    assert table.text(row, column) == "<5"
                if mark is Mark.HIDDEN:
                    assert table.text(row, column) == "×"
        if general in table.rows:  # the kind's total: 3 cases, hidden as "<5"
            row = table.rows.index(general)
            assert table.text(row, len(table.columns)) == "<5"
        if general in table.columns:
            assert table.text(len(table.rows), table.columns.index(general)) == "<5"


def test_a_total_hidden_in_one_table_is_hidden_in_every_table_that_shows_it(
    db_session, settings, year_of_cases
):
    report = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)

    hidden_margins: dict[tuple[str, ...], set[str]] = {}
    shown_margins: dict[tuple[str, ...], set[str]] = {}
    for table in report.tables:
        for row in range(len(table.rows) + 1):
            for column in range(len(table.columns) + 1):
                margin = table.margin(row, column)
                if margin is None:
                    continue
                bucket = shown_margins if table.protected.shown(row, column) else hidden_margins
                bucket.setdefault(margin, set()).add(table.key)
    assert hidden_margins  # the rare kind at least
    assert set(hidden_margins).isdisjoint(shown_margins)


def test_no_hidden_count_follows_from_the_tables_read_together():
    # Each table is safe alone, but kind × channel, channel × outcome and kind × outcome share
    # totals: answered in time = web + 59 = sexual harassment + 59, so web = sexual harassment;
    # then the rows and columns of kind × channel give "other" by web (2) and "other" (17).
    kinds, channels = CATEGORY_ORDER["kind"], CATEGORY_ORDER["channel"]
    outcomes = CATEGORY_ORDER["outcome"]
    kind_channel = [[0, 3, 0], [0, 0, 0], [1, 18, 0], [2, 15, 0], [0, 40, 1]]
    channel_outcome = [[3, 0, 0, 0], [59, 11, 5, 1], [0, 1, 0, 0]]
    kind_outcome = [[3, 0, 0, 0], [0, 0, 0, 0], [13, 4, 1, 1], [14, 2, 1, 0], [32, 6, 3, 0]]
    order = {"kind": kinds, "channel": channels, "outcome": outcomes}
    specs = [
        ("kind_channel", "kind", "channel", order, with_totals(kind_channel)),
        ("channel_outcome", "channel", "outcome", order, with_totals(channel_outcome)),
        ("kind_outcome", "kind", "outcome", order, with_totals(kind_outcome)),
    ]

    tables = _protect_together(specs)

    read_together = recoverable_linked(
        [
            (table.protected.values, table.protected.hidden(), lambda p, t=table: t.margin(*p))
            for table in tables
        ]
    )
    assert read_together == [set(), set(), set()]
    for table in tables:
        for row, marks in enumerate(table.protected.marks):
            for column, mark in enumerate(marks):
                if 1 <= table.protected.values[row][column] <= 4:
                    assert mark is Mark.SMALL


def test_the_csv_has_one_block_per_table_and_the_response_times(
    app, db_session, settings, year_of_cases
):
    report = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)

    rows = list(csv.reader(io.StringIO(csv_of(app, report))))

    titles = [row[0] for row in rows if len(row) == 1]
    assert "2026" in titles[0]
    blocks = [index for index, row in enumerate(rows) if not row]
    assert len(blocks) == len(report.tables) + 2  # tables, response times, callbacks
    month_block = rows[blocks[0] + 1 : blocks[1]]
    noted = report.table("month_kind").rows_shown_only_as_totals()
    assert noted  # a quiet month with every count hidden: its note follows the table
    assert len(month_block) == 1 + 1 + 12 + 1 + len(noted)  # title, header, months, total, notes
    assert all(len(row) == 1 + len(Kind) + 1 for row in month_block[1:15])
    assert all(len(row) == 2 and row[0].startswith("* ") for row in month_block[15:])
    assert "YEAR-ENVELOPE" not in csv_of(app, report)


def test_response_times_of_the_year_are_nearest_rank_hours(app, db_session, make_case, settings):
    # Five answered phone cases: 1, 2, 3, 4 and 30 clock hours (all on 2 March, a Monday).
    received = datetime(2026, 3, 2, 8, 0, tzinfo=OSLO)
    for hours in (1, 2, 3, 4, 30):
        make_case(
            received_at=received,
            callback_due_at=settings.calendar.callback_due(received),
            first_response_at=received + timedelta(hours=hours),
            channel=Channel.PHONE,
        )
    report = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)

    phone = next(row for row in report.responses if row.channel == "phone")
    web = next(row for row in report.responses if row.channel == "web")
    assert phone.published
    assert (phone.median_wall, phone.p90_wall) == (180, 1800)
    # Opening hours: 08:00 is before opening, so 1 h is 0, 2 h is 1 h, 3 h is 2 h, 4 h is 3 h,
    # and 30 h (Tuesday 14:00) is Monday's 7 h and Tuesday's 5 h.
    assert (phone.median_opening, phone.p90_opening) == (120, 720)
    assert not web.published  # no answered web case: nothing to publish
    assert report.table("kind_channel").text(5, 1) == "5"  # phone total: 5, shown


def test_the_command_writes_csv_and_html(
    app, runner, db_session, settings, year_of_cases, tmp_path
):
    db_session.commit()
    target = tmp_path / "report.html"

    as_csv = runner.invoke(args=["report", "yearly", "--year", "2026", "--format", "csv"])
    as_html = runner.invoke(
        args=["report", "yearly", "--year", "2026", "--format", "html", "--output", str(target)]
    )

    assert as_csv.exit_code == 0, as_csv.output
    assert "2026" in as_csv.output.splitlines()[0]
    semicolons = runner.invoke(
        args=["report", "yearly", "--year", "2026", "--format", "csv", "--separator", "semicolon"]
    )
    assert semicolons.exit_code == 0, semicolons.output
    plain_rows = list(csv.reader(io.StringIO(as_csv.output)))
    semicolon_rows = list(csv.reader(io.StringIO(semicolons.output), delimiter=";"))
    assert [[cell.replace(",", ".") for cell in row] for row in semicolon_rows] == [
        [cell.replace(",", ".") for cell in row] for row in plain_rows
    ]
    assert "YEAR-ENVELOPE" not in as_csv.output
    assert ENVELOPE.search(as_csv.output) is None  # no envelope of any field
    assert as_html.exit_code == 0, as_html.output
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "<table" in html
    assert '<link rel="stylesheet" href="report.css">' in html
    assert "<style" not in html  # the page's own CSP would refuse it; a file keeps the rule
    assert "style=" not in html
    assert "<script" not in html
    assert "@media print" in (tmp_path / "report.css").read_text(encoding="utf-8")
    assert "YEAR-ENVELOPE" not in html
    assert ENVELOPE.search(html) is None


def test_the_command_never_overwrites_a_stylesheet_that_is_not_its_own(
    runner, db_session, year_of_cases, tmp_path
):
    db_session.commit()
    target = tmp_path / "figures.html"
    theirs = tmp_path / "figures.css"
    theirs.write_text("body { color: hotpink; }", encoding="utf-8")
    args = ["report", "yearly", "--year", "2026", "--format", "html", "--output", str(target)]

    refused = runner.invoke(args=args)

    assert refused.exit_code != 0
    assert "figures.css" in refused.output
    assert theirs.read_text(encoding="utf-8") == "body { color: hotpink; }"
    assert not target.exists()
    # Its own stylesheet from an earlier run is simply written again
    theirs.unlink()
    assert runner.invoke(args=args).exit_code == 0
    assert runner.invoke(args=args).exit_code == 0


def test_html_on_standard_output_is_a_bare_page_without_a_stylesheet(
    runner, db_session, year_of_cases
):
    db_session.commit()

    result = runner.invoke(args=["report", "yearly", "--year", "2026", "--format", "html"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("<!doctype html>")
    assert 'id="table-month_kind"' in result.output
    assert "<link" not in result.output
    assert "<style" not in result.output
    assert "style=" not in result.output
    assert "<script" not in result.output
    assert "YEAR-ENVELOPE" not in result.output


@pytest.mark.parametrize(
    ("language", "months"),
    [("nb", "Januar"), ("nn", "Januar"), ("sv", "Januari"), ("da", "Januar"), ("en", "January")],
)
def test_the_report_is_written_in_any_of_the_five_languages(
    runner, db_session, year_of_cases, language, months
):
    db_session.commit()

    result = runner.invoke(
        args=["report", "yearly", "--year", "2026", "--format", "html", "--language", language]
    )

    assert result.exit_code == 0, result.output
    assert f'<html lang="{language}">' in result.output
    assert months in result.output
    others = {"nb", "nn", "sv", "da", "en"} - {language}
    assert not any(f'<html lang="{other}">' in result.output for other in others)


def test_the_command_refuses_a_year_that_has_not_begun(runner):
    result = runner.invoke(args=["report", "yearly", "--year", "2999", "--format", "csv"])

    assert result.exit_code != 0
    assert "2999" in result.output


def test_an_empty_year_is_all_zeros(db_session, settings):
    report = build_yearly_report(db_session, year=2020, now=DEFAULT_NOW)

    assert all(
        value == 0 for table in report.tables for row in table.protected.values for value in row
    )
    assert not any(row.published for row in report.responses)
    assert report.reach_rate is None
    assert date(2020, 1, 1).year == report.year


@pytest.fixture
def a_quiet_january(db_session, line, make_case, settings):
    """January: two cases of each of three kinds (every count small, the month's total not);
    February and March: ten of each."""
    kinds = (Kind.SEXUAL_HARASSMENT, Kind.DISCRIMINATION, Kind.ABUSE_OF_POWER)
    for month, each in ((1, 2), (2, 10), (3, 10)):
        for number, kind in enumerate(kinds * each):
            received = datetime(2026, month, 10, 10, number, tzinfo=OSLO).astimezone(UTC)
            make_case(
                **case_columns(
                    settings.calendar,
                    reference=f"Q{month}{number:02d}-QUIE",
                    line_id=line.id,
                    received_at=received,
                    channel=Channel.WEB,
                    kind=kind,
                    narrative_envelope=f"v1.testkey0000000.QUIET-{month}-{number}",
                )
            )
    db_session.commit()  # requests end their session: only committed rows outlive them


def test_a_row_with_every_count_hidden_says_why_in_the_csv_and_on_the_page(
    app, client, db_session, settings, a_quiet_january, make_staff
):
    # Given a year whose January has only small counts beside a published total: February's
    # counts are hidden too, or January's could be worked out from the columns' totals
    report = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)
    month_kind = report.table("month_kind")
    assert month_kind.rows_shown_only_as_totals() == (0, 1)

    with app.test_request_context():  # the page's language: the same words on both
        labels = report_labels(2026)
        rows = list(csv.reader(io.StringIO(report_csv(report, labels))))
    january, february, march = (labels.name("month", f"2026-0{month}") for month in (1, 2, 3))

    # Then the CSV marks the row and explains it below the table
    assert [f"{january} *", "<5", "<5", "<5", "0", "0", "6"] in rows
    assert [f"{february} *", "×", "×", "×", "0", "0", "30"] in rows
    assert [f"* {january}", labels.texts["only_total"]] in rows
    assert [f"* {february}", labels.texts["only_total"]] in rows
    assert [march, "10", "10", "10", "0", "0", "30"] in rows
    assert [f"* {march}", labels.texts["only_total"]] not in rows

    # And so does the page, the note tied to the row it explains
    coordinator = make_staff(Role.COORDINATOR, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, coordinator)
    page = client.get("/coordinator/report?year=2026").get_data(as_text=True)
    assert 'aria-describedby="note-month_kind-0"' in page
    assert f'id="note-month_kind-0">* {january}: {labels.texts["only_total"]}</p>' in page
    assert f'id="note-month_kind-1">* {february}: {labels.texts["only_total"]}</p>' in page
    assert "note-month_kind-2" not in page
