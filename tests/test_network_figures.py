"""Figures of a set of lines: each line's cases and rollup rows counted for it alone, and a
network's yearly report protected so that no two reports can be played off each other.

The rule (advisory/services/yearly_report.py `build_yearly_report`): whatever a line's own
report hides, a report of several lines with that line hides too; so every number any report
shows is a sum of numbers the lines' own reports show, and subtracting reports reveals nothing.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from advisory.models import (
    Callback,
    CallbackStatus,
    Case,
    Channel,
    Field,
    Kind,
    Line,
    ReporterRole,
    Role,
    StatsDaily,
    StatsMonthly,
)
from advisory.services.dashboard import build_dashboard
from advisory.services.figures import Period
from advisory.services.line_settings import add_line, texts_of
from advisory.services.retention import apply_retention
from advisory.services.rollup import fold_by_line
from advisory.services.sample_cases import case_columns
from advisory.services.yearly_report import (
    COUNT_TABLES,
    CountTable,
    YearlyReport,
    _protect_together,
    build_yearly_report,
)
from advisory.suppression import Mark, recoverable_linked
from tests.conftest import DEFAULT_NOW, OSLO

YEAR = 2025  # wholly past on DEFAULT_NOW: closed cases are folded and deleted by retention
TABLE_KEYS = tuple(key for key, _, _ in COUNT_TABLES)

MakeCase = Callable[..., Case]


@pytest.fixture
def lines(db_session, line) -> list[int]:
    """Three lines: the test line and two more (ids in order)."""
    others = [Line(slug=slug, name=slug, created_at=DEFAULT_NOW) for slug in ("musikk", "scen")]
    db_session.add_all(others)
    db_session.flush()
    return [line.id, *(other.id for other in others)]


@pytest.fixture
def add_case(make_case, settings) -> MakeCase:
    """A case of a line, received at an instant, closed an hour after its answer (if any)."""
    numbers = itertools.count(1)

    def add_case(line_id: int, received: datetime, **extra) -> Case:
        answered = extra.pop("answered", received + timedelta(hours=1))
        closed = extra.pop("closed", True)
        columns = case_columns(
            settings.calendar,
            reference=f"NET-{next(numbers):05d}",
            line_id=line_id,
            received_at=received,
            channel=extra.pop("channel", Channel.WEB),
            kind=extra.pop("kind", Kind.DISCRIMINATION),
            narrative_envelope="v1.testkey0000000.NETWORK",
            first_response_at=answered,
            closed_at=(answered or received) + timedelta(hours=1) if closed else None,
            **extra,
        )
        return make_case(**columns)

    return add_case


def report_of(db_session, settings, line_ids: Sequence[int] | None) -> YearlyReport:
    return build_yearly_report(db_session, year=YEAR, now=DEFAULT_NOW, line_ids=line_ids)


def grand_total(report: YearlyReport, key: str = "kind_channel") -> int:
    return report.table(key).protected.values[-1][-1]


# --- each line's own figures -------------------------------------------------------------------


def test_rollup_rows_and_live_cases_count_for_their_own_line_only(
    db_session, settings, lines, add_case
):
    # Given line A with 6 cases and line B with 7 in March, some of each closed and folded
    # into the rollup by retention, some still open; line C with none
    a, b, c = lines
    march = datetime(YEAR, 3, 4, 10, 0, tzinfo=OSLO)
    for number in range(6):
        add_case(a, march + timedelta(days=number), closed=number < 4)
    for number in range(7):
        add_case(b, march + timedelta(days=number), kind=Kind.OTHER, closed=number < 2)
    apply_retention(db_session, settings, DEFAULT_NOW)

    # When the reports are built for each line, for two, and for every line
    reports = {
        name: report_of(db_session, settings, ids)
        for name, ids in (("a", [a]), ("b", [b]), ("c", [c]), ("ab", [a, b]), ("all", None))
    }

    # Then the rollup rows carry their line, and each report counts only its lines' cases
    rolled_up = dict(
        db_session.execute(
            select(StatsMonthly.line_id, func.sum(StatsMonthly.count))
            .where(StatsMonthly.metric == "received")
            .group_by(StatsMonthly.line_id)
        ).all()
    )
    assert rolled_up == {a: 4, b: 2}
    assert db_session.scalar(select(func.count()).select_from(Case)) == 2 + 5  # still open
    assert {name: grand_total(report) for name, report in reports.items()} == {
        "a": 6,
        "b": 7,
        "c": 0,
        "ab": 13,
        "all": 13,
    }
    kinds = reports["a"].table("kind_channel")
    assert kinds.protected.values[kinds.rows.index(Kind.DISCRIMINATION.value)][-1] == 6
    assert kinds.protected.values[kinds.rows.index(Kind.OTHER.value)][-1] == 0


def test_the_daily_rollup_is_kept_per_line_too(db_session, settings, lines, add_case):
    a, b, _ = lines
    add_case(a, datetime(YEAR, 5, 6, 10, 0, tzinfo=OSLO))
    add_case(b, datetime(YEAR, 5, 6, 11, 0, tzinfo=OSLO))
    add_case(b, datetime(YEAR, 5, 6, 12, 0, tzinfo=OSLO))

    apply_retention(db_session, settings, DEFAULT_NOW)

    received = dict(
        db_session.execute(
            select(StatsDaily.line_id, StatsDaily.count).where(StatsDaily.metric == "received")
        ).all()
    )
    assert received == {a: 1, b: 2}


def test_a_lines_cases_fall_on_its_own_days_while_live_as_once_folded(
    db_session, settings, line, add_case
):
    # Given a line in Reykjavik beside the first (Oslo), and a case of it received at 23:30
    # on New Year's Eve there, already half past midnight in Oslo
    iceland = add_line(
        db_session,
        slug="island",
        texts={**texts_of(line), "name": "Ísland", "timezone": "Atlantic/Reykjavik"},
        now=DEFAULT_NOW,
    )
    new_years_eve = datetime(YEAR, 12, 31, 23, 30, tzinfo=ZoneInfo("Atlantic/Reykjavik"))
    case = add_case(iceland.id, new_years_eve)
    both = [line.id, iceland.id]

    # When the network's report is built while the case is live, then again once it is folded
    live = (report_of(db_session, settings, both), report_of(db_session, settings, [iceland.id]))
    fold_by_line(db_session, [case])
    folded = (report_of(db_session, settings, both), report_of(db_session, settings, [iceland.id]))

    # Then both count it in December of its own line's year, before and after
    for report in (*live, *folded):
        months = report.table("month_kind")
        assert months.protected.values[months.rows.index(f"{YEAR}-12")][-1] == 1
        assert grand_total(report) == 1
    assert grand_total(build_yearly_report(db_session, year=YEAR + 1, now=DEFAULT_NOW)) == 0


def test_the_dashboard_counts_lines_in_three_time_zones_together(
    db_session, settings, line, add_case
):
    # Given lines in Oslo, Reykjavik and Helsinki, each with an answered case still open
    others = [
        add_line(
            db_session,
            slug=slug,
            texts={**texts_of(line), "name": slug, "timezone": zone},
            now=DEFAULT_NOW,
        )
        for slug, zone in (("island", "Atlantic/Reykjavik"), ("suomi", "Europe/Helsinki"))
    ]
    for line_id in (line.id, *(other.id for other in others)):
        add_case(line_id, DEFAULT_NOW - timedelta(days=3), closed=False)

    # When the dashboard of every line is built
    last_month = Period((DEFAULT_NOW - timedelta(days=30)).date(), DEFAULT_NOW.date())
    dashboard = build_dashboard(db_session, settings, period=last_month, now=DEFAULT_NOW)

    # Then each line's case counts once, with its response time
    assert dashboard.received == 3
    assert dashboard.response.answered == 3


def test_a_networks_report_costs_the_queries_of_one_lines(db_session, settings, lines, add_case):
    # Given three lines with live and folded cases, answered and not
    for number, line_id in enumerate(lines):
        add_case(line_id, datetime(YEAR, 3, 4 + number, 10, 0, tzinfo=OSLO), closed=number != 1)
        add_case(line_id, datetime(YEAR, 5, 4, 10, 0, tzinfo=OSLO), answered=None, closed=False)
    apply_retention(db_session, settings, DEFAULT_NOW)
    engine = db_session.connection().engine
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    # When one line's report is built, then the network's
    counted = []
    for line_ids in ([lines[0]], lines):
        statements.clear()
        event.listen(engine, "before_cursor_execute", remember)
        try:
            report = report_of(db_session, settings, line_ids)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        counted.append((len(statements), grand_total(report)))

    # Then the network counts every line's cases with as many statements as one line
    assert counted[0] == (counted[0][0], 2)
    assert counted[1] == (counted[0][0], 6)


def test_the_dashboard_of_a_line_counts_its_cases_deadlines_and_lawyers(
    db_session, settings, lines, add_case, make_staff
):
    # Given two lines with a lawyer each, and open cases in the dashboard's period
    a, b, _ = lines
    lawyer_a = make_staff(Role.LAWYER, username="lawyer-a", line_id=a)
    make_staff(Role.LAWYER, username="lawyer-b", line_id=b)
    monday = datetime(2026, 11, 16, 10, 0, tzinfo=OSLO)
    add_case(
        a,
        monday,
        answered=monday + timedelta(hours=2),
        closed=False,
        assigned_lawyer_id=lawyer_a.id,
    )
    overdue = add_case(
        a, monday + timedelta(days=1), answered=None, closed=False, channel=Channel.PHONE
    )
    add_case(b, monday, answered=None, closed=False, kind=Kind.OTHER)
    add_case(b, monday + timedelta(hours=1), answered=None, closed=False, kind=Kind.OTHER)
    db_session.add(
        Callback(case=overdue, slot_start=monday + timedelta(days=1, hours=2),
                 slot_end=monday + timedelta(days=1, hours=2, minutes=30),
                 status=CallbackStatus.NO_ANSWER, outcome_at=monday + timedelta(days=1, hours=2))
    )  # fmt: skip
    db_session.flush()
    period = Period(monday.date() - timedelta(days=7), DEFAULT_NOW.astimezone(OSLO).date())

    # When the dashboard is built for line A, for line B and for every line
    def dashboard(line_ids):
        return build_dashboard(
            db_session, settings, period=period, now=DEFAULT_NOW, line_ids=line_ids
        )

    of_a, of_b, of_all = dashboard([a]), dashboard([b]), dashboard(None)

    # Then each counts its own line's cases, deadlines, callbacks and lawyers
    assert (of_a.received, of_b.received, of_all.received) == (2, 2, 4)
    assert of_a.by_kind == {Kind.DISCRIMINATION.value: 2}
    assert of_b.by_kind == {Kind.OTHER.value: 2}
    assert (of_a.open_total, of_b.open_total, of_all.open_total) == (2, 2, 4)
    assert of_a.breached == (overdue.reference,)
    assert (of_b.breached_total, of_all.breached_total) == (2, 3)
    assert (of_a.unassigned_open, of_b.unassigned_open, of_all.unassigned_open) == (1, 2, 3)
    assert (of_a.callback_attempts, of_b.callback_attempts) == (1, 0)
    assert [lawyer.username for lawyer in of_a.lawyers] == ["lawyer-a"]
    assert [lawyer.username for lawyer in of_b.lawyers] == ["lawyer-b"]
    assert {lawyer.username for lawyer in of_all.lawyers} == {"lawyer-a", "lawyer-b"}
    assert of_a.compliance.in_time == 1
    assert of_b.compliance.not_answered == 2


# --- a network's yearly report -----------------------------------------------------------------


def test_a_count_hidden_in_a_lines_report_is_hidden_in_the_networks(
    db_session, settings, lines, add_case
):
    # Given line A with 3 cases of discrimination and line B with 7
    a, b, _ = lines
    for number in range(3):
        add_case(a, datetime(YEAR, 2, 3 + number, 10, 0, tzinfo=OSLO))
    for number in range(7):
        add_case(b, datetime(YEAR, 2, 3 + number, 11, 0, tzinfo=OSLO))
    apply_retention(db_session, settings, DEFAULT_NOW)

    # When line A's report and the network's are built
    of_a = report_of(db_session, settings, [a]).table("kind_channel")
    network = report_of(db_session, settings, [a, b]).table("kind_channel")

    # Then A's 3 are "<5", and the network's 10 is hidden too: 10 minus B's published 7 is 3
    row = of_a.rows.index(Kind.DISCRIMINATION.value)
    total = len(of_a.columns)
    assert of_a.text(row, total) == "<5"
    assert network.protected.values[row][total] == 10
    assert network.text(row, total) == "×"
    # whereas protecting the sum alone would have shown it
    alone = _protect_together(
        [(network.key, network.row_dimension, network.column_dimension,
          {network.row_dimension: network.rows, network.column_dimension: network.columns},
          [list(values) for values in network.protected.values])]
    )[0]  # fmt: skip
    assert alone.text(row, total) == "10"


def _synthetic_lines(add_case, lines: list[int], seed: int) -> None:
    """A handful of cases on each line, in a few months and categories, so that the tables
    have cells of 1 to 4 on one line and larger ones on another; about half closed (retention
    folds those into the rollup), some never answered, some with callbacks."""
    rng = random.Random(seed)
    kinds = [Kind.DISCRIMINATION, Kind.SEXUAL_HARASSMENT, Kind.ABUSE_OF_POWER, Kind.OTHER]
    roles = [ReporterRole.EXPERIENCED, ReporterRole.WITNESSED, None]
    fields = [Field.MUSIC, Field.STAGE, None]
    for line_id, size, skew in zip(lines, (6, 11, 16), (0.5, 0.7, 0.9), strict=True):
        for _ in range(size):
            received = datetime(YEAR, rng.choice((2, 3, 9)), rng.randint(2, 26), 10, tzinfo=OSLO)
            # Mostly the line's favourite kind, so the others are small there.
            kind = kinds[0] if rng.random() < skew else rng.choice(kinds[1:])
            answered = (
                None if rng.random() < 0.15 else received + timedelta(hours=rng.randint(1, 40))
            )
            case = add_case(
                line_id,
                received,
                answered=answered,
                closed=rng.random() < 0.5,
                kind=kind,
                channel=Channel.PHONE if rng.random() < 0.3 else Channel.WEB,
                reporter_role=rng.choice(roles),
                field=rng.choice(fields),
            )
            if case.channel is Channel.PHONE and answered is not None:
                case.callbacks.append(
                    Callback(slot_start=answered, slot_end=answered + timedelta(minutes=30),
                             status=CallbackStatus.REACHED, outcome_at=answered)
                )  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_number_a_network_shows_is_a_sum_of_numbers_its_lines_show(
    db_session, settings, lines, add_case, seed
):
    # Given three lines with a handful of cases each, partly folded into the rollup
    _synthetic_lines(add_case, lines, seed)
    db_session.flush()
    apply_retention(db_session, settings, DEFAULT_NOW)
    assert db_session.scalar(select(func.count()).select_from(Case)) > 0  # some still live
    assert db_session.scalar(select(func.count()).select_from(StatsMonthly)) > 0

    # When the report is built for every non-empty set of the lines
    subsets = [
        frozenset(subset)
        for size in range(1, len(lines) + 1)
        for subset in itertools.combinations(lines, size)
    ]
    reports = {subset: report_of(db_session, settings, sorted(subset)) for subset in subsets}
    singles = {line_id: reports[frozenset({line_id})] for line_id in lines}

    forced_somewhere = False
    for subset, report in reports.items():
        parts = [singles[line_id] for line_id in sorted(subset)]
        for key in TABLE_KEYS:
            table = report.table(key)
            for position in _positions(table):
                components = [part.table(key).protected for part in parts]
                # Then the counts are the lines' counts added up
                assert _value(table, position) == sum(
                    part.values[position[0]][position[1]] for part in components
                )
                hidden_in_a_line = any(_is_hidden(part, position) for part in components)
                if _is_hidden(table.protected, position):
                    forced_somewhere |= hidden_in_a_line and _value(table, position) > 4
                    continue
                # and a number shown is made of numbers each shown in its line's own report
                assert not hidden_in_a_line, (subset, key, position)
        # Callbacks: the same rule; response times: published only where every line's are
        for position in [(0, 0), (0, 1)]:
            if any(_is_hidden(part.callbacks, position) for part in parts):
                assert _is_hidden(report.callbacks, position)
        for number, row in enumerate(report.responses):
            if row.published:
                assert all(part.responses[number].published for part in parts)
        # And no hidden entry follows from what the report shows, its tables read together
        linked = [
            (table.protected.values, table.protected.hidden(), _margin_reader(table))
            for table in report.tables
        ]
        assert not any(recoverable_linked(linked)), subset
    # The rule had something to do: a sum of 5 or more hidden because a line hides a part
    assert forced_somewhere
    # Every line together (None) is the network of all three
    every = report_of(db_session, settings, None)
    assert every.tables == reports[frozenset(lines)].tables
    assert every.callbacks == reports[frozenset(lines)].callbacks


def _positions(table: CountTable) -> list[tuple[int, int]]:
    return [
        (row, column)
        for row in range(len(table.rows) + 1)
        for column in range(len(table.columns) + 1)
    ]


def _value(table: CountTable, position: tuple[int, int]) -> int:
    return table.protected.values[position[0]][position[1]]


def _is_hidden(protected, position: tuple[int, int]) -> bool:
    return protected.marks[position[0]][position[1]] is not Mark.SHOWN


def _margin_reader(table: CountTable):
    return lambda position: table.margin(*position)
