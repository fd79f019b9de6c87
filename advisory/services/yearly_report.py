"""The yearly report for the partnership: counts, response times, deadline compliance.

All figures of a calendar year (line-local days) come from one grouped query per kind of
figure over live cases plus the daily rollup (advisory/services/figures.py), so the report
reads the same before and after retention deletes the cases it counts. The count tables are
cross-tabulations of that query's result with their totals, protected together
(advisory/suppression.py): counts from 1 to 4 are shown as "<5", complementary entries as "×",
and a total hidden in one table is hidden in every table that shows it.

A report is of a set of lines (`line_ids`; None: every line). One of several lines (a
network's) is protected as a sum of the lines' own reports, so that reports of different sets
of lines cannot be subtracted to reveal a hidden count (see `build_yearly_report`).

Pure apart from the session: names and titles come in as `ReportLabels`, so the same report
is written as CSV here and as HTML by the coordinator's templates.
"""

from __future__ import annotations

import csv
import functools
import io
import operator
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from advisory.hours import Calendar
from advisory.models import Channel, Field, Kind, ReporterRole
from advisory.services.figures import (
    PENDING,
    Counts,
    Dimension,
    Period,
    Scope,
    callback_counts,
    case_counts_by_sets,
)
from advisory.services.line_settings import line_calendars
from advisory.services.response_times import Histograms, response_histograms_by_line
from advisory.stats import ALL, NOT_ANSWERED, Metric, percentile
from advisory.suppression import (
    Mark,
    Position,
    Protected,
    complementary_entry,
    protect,
    protect_primary,
    recoverable_linked,
    with_totals,
)

MIN_CASES_FOR_TIMES = 5  # response times of fewer answered cases are not published
OUTCOME = "outcome"  # the column dimension of the compliance tables
NOTE_MARK = "*"  # beside a row whose counts are all hidden, and before the note that says why
TOTAL = "total"

CATEGORY_ORDER: dict[str, tuple[str, ...]] = {
    Dimension.CHANNEL: tuple(channel.value for channel in Channel),
    Dimension.KIND: tuple(kind.value for kind in Kind),
    Dimension.REPORTER_ROLE: (*(role.value for role in ReporterRole), NOT_ANSWERED),
    Dimension.FIELD: (*(field.value for field in Field), NOT_ANSWERED),
    OUTCOME: (Metric.ANSWERED_IN_TIME, Metric.ANSWERED_LATE, Metric.NEVER_ANSWERED, PENDING),
}

# (key, rows, columns) of the count tables, in the order they are published.
COUNT_TABLES: tuple[tuple[str, str, str], ...] = (
    ("month_kind", Dimension.MONTH, Dimension.KIND),
    ("kind_role", Dimension.KIND, Dimension.REPORTER_ROLE),
    ("kind_field", Dimension.KIND, Dimension.FIELD),
    ("kind_channel", Dimension.KIND, Dimension.CHANNEL),
    ("channel_outcome", Dimension.CHANNEL, OUTCOME),
    ("kind_outcome", Dimension.KIND, OUTCOME),
)


@dataclass(frozen=True)
class CountTable:
    key: str
    row_dimension: str
    column_dimension: str
    rows: tuple[str, ...]  # category keys; months as "YYYY-MM"
    columns: tuple[str, ...]
    protected: Protected  # one more row and column than rows/columns: the totals

    def text(self, row: int, column: int) -> str:
        return self.protected.text(row, column)

    def rows_shown_only_as_totals(self) -> tuple[int, ...]:
        """Rows whose total is published but none of their counts (each hidden or zero): a
        reader sees only "×" beside a total there, and is told why."""
        last = len(self.columns)
        return tuple(
            row
            for row in range(len(self.rows))
            if self.protected.shown(row, last)
            and not any(self.protected.shown(row, column) for column in range(last))
        )

    def margin(self, row: int, column: int) -> tuple[str, ...] | None:
        """What a total stands for, the same in every table: ("kind", "discrimination")."""
        last_row, last_column = len(self.rows), len(self.columns)
        if row == last_row and column == last_column:
            return (TOTAL,)
        if column == last_column:
            return (self.row_dimension, self.rows[row])
        if row == last_row:
            return (self.column_dimension, self.columns[column])
        return None


@dataclass(frozen=True)
class ResponseRow:
    """First response times of one channel (or all) in minutes; None when not published."""

    channel: str
    published: bool
    median_wall: int | None
    p90_wall: int | None
    median_opening: int | None
    p90_opening: int | None


@dataclass(frozen=True)
class YearlyReport:
    year: int
    as_of: datetime
    tables: tuple[CountTable, ...]
    responses: tuple[ResponseRow, ...]
    callbacks: Protected  # one row: calls made, reached (no totals)

    def table(self, key: str) -> CountTable:
        return next(table for table in self.tables if table.key == key)

    @property
    def reach_rate(self) -> float | None:
        attempts, reached = self.callbacks.shown(0, 0), self.callbacks.shown(0, 1)
        if not attempts or reached is None:
            return None
        return reached / attempts


@dataclass(frozen=True)
class Withheld:
    """What a report must hide besides its own small cells: in a network's report, whatever
    one of its lines' own reports hides."""

    entries: Mapping[str, set[Position]]  # count table key → positions (totals included)
    callbacks: set[Position]
    response_channels: set[str]  # channels (or ALL) whose response times are not published

    @classmethod
    def hidden_in_any(cls, reports: Sequence[YearlyReport]) -> Withheld:
        entries: dict[str, set[Position]] = {key: set() for key, *_ in COUNT_TABLES}
        callbacks: set[Position] = set()
        channels: set[str] = set()
        for report in reports:
            for table in report.tables:
                entries[table.key] |= table.protected.hidden()
            callbacks |= report.callbacks.hidden()
            channels |= {row.channel for row in report.responses if not row.published}
        return cls(entries, callbacks, channels)


@dataclass(frozen=True)
class LineCounts:
    """A line's figures of the year before protection: each count table's cells (no totals),
    response-time histograms, and callbacks (calls made, reached)."""

    cells: Mapping[str, list[list[int]]]
    histograms: Histograms
    calls: tuple[int, int]

    def __add__(self, other: LineCounts) -> LineCounts:
        cells = {
            key: [
                [a + b for a, b in zip(mine, theirs, strict=True)]
                for mine, theirs in zip(grid, other.cells[key], strict=True)
            ]
            for key, grid in self.cells.items()
        }
        histograms: Histograms = {}
        for source in (self.histograms, other.histograms):
            for channel, metrics in source.items():
                for metric, buckets in metrics.items():
                    histograms.setdefault(channel, {}).setdefault(metric, Counter()).update(buckets)
        calls = (self.calls[0] + other.calls[0], self.calls[1] + other.calls[1])
        return LineCounts(cells, histograms, calls)


def build_yearly_report(
    session: Session,
    *,
    year: int,
    now: datetime,
    line_ids: Collection[int] | None = None,
) -> YearlyReport:
    """The report of `year` for the lines `line_ids` (None: every line), each line's cases on
    the days of its own calendar.

    A report of more than one line is a network's: its counts are sums of the lines' counts,
    and protecting the sum alone would not do, because the difference of two published reports
    (the network and a line, or two networks) is a count nobody published, which may be a
    count a line's own report hides. So each line's own report is made first (same year and
    now), and every entry hidden in any of them (a position in any table, totals, callbacks
    and response times included) is forced hidden in the network's report, which is then
    protected as usual (`_protect_together`, starting from those entries).

    Why that is enough: an entry the network shows is shown in every line's own report, each
    component being 0 or at least 5 there, so the shown sum follows from published single-line
    figures and reveals nothing new; a sum with a hidden component is hidden too. Hence every
    figure of any report is a function of published single-line figures, and subtracting
    reports of different sets of lines reveals no hidden count.

    Every line's figures come from the same three queries (counts, response times, callbacks,
    each grouped by line as well), so a network of ten lines costs about what one line does.
    """
    calendars = line_calendars(session)
    lines = sorted(set(line_ids) if line_ids is not None else {line for line, _ in calendars})
    order = _category_order(year)
    per_line = _count_lines(session, calendars, year=year, now=now, lines=lines, order=order)
    if len(lines) <= 1:
        return _protected_report(year, now, order, per_line[0] if per_line else None, None)
    singles = [_protected_report(year, now, order, counts, None) for counts in per_line]
    total = functools.reduce(operator.add, per_line)
    return _protected_report(year, now, order, total, Withheld.hidden_in_any(singles))


def _category_order(year: int) -> dict[str, tuple[str, ...]]:
    months = tuple(f"{year:04d}-{month:02d}" for month in range(1, 13))
    return {**CATEGORY_ORDER, Dimension.MONTH: months}


def _count_lines(
    session: Session,
    calendars: Sequence[tuple[int, Calendar]],
    *,
    year: int,
    now: datetime,
    lines: Sequence[int],
    order: Mapping[str, tuple[str, ...]],
) -> list[LineCounts]:
    """Each line's counts of `year` (in the order of `lines`), from one query per kind."""
    first = next((calendar for line, calendar in calendars if line in lines), None)
    scope = Scope(
        first or Calendar(),
        Period(date(year, 1, 1), date(year, 12, 31)),
        now,
        line_calendars=tuple(calendars),
    )
    counts = case_counts_by_sets(
        session,
        scope,
        [(Dimension.LINE, *dimensions) for dimensions in COUNTED_BY],
        line_ids=lines,
        received_only=[(Dimension.LINE, *dimensions) for dimensions in RECEIVED_ONLY],
    )
    by_line: dict[tuple[int, tuple[Dimension, ...]], Counts] = {}
    for dimensions, found in zip(COUNTED_BY, counts, strict=True):
        for (line, *key), metrics in found.items():
            by_line.setdefault((int(str(line)), dimensions), {})[tuple(key)] = metrics
    histograms = response_histograms_by_line(session, scope, line_ids=lines)
    calls = callback_counts(session, scope, (Dimension.LINE,), line_ids=lines)
    return [
        LineCounts(
            cells={
                key: _cross_table(
                    by_line.get((line, _counted_by(rows, columns)), {}),
                    _counted_by(rows, columns),
                    rows,
                    columns,
                    order,
                )
                for key, rows, columns in COUNT_TABLES
            },
            histograms=histograms.get(line, {}),
            calls=(
                calls.get((str(line),), Counter())[Metric.CALLBACK_ATTEMPTS],
                calls.get((str(line),), Counter())[Metric.CALLBACK_REACHED],
            ),
        )
        for line in lines
    ]


# The groupings the tables are summed from: each table takes the first that holds its rows
# and columns. Three instead of one per table: the rollup's cells are read once per grouping.
COUNTED_BY: tuple[tuple[Dimension, ...], ...] = (
    (Dimension.MONTH, Dimension.KIND, Dimension.CHANNEL),
    (Dimension.KIND, Dimension.REPORTER_ROLE),
    (Dimension.KIND, Dimension.FIELD),
)
RECEIVED_ONLY = COUNTED_BY[1:]  # their tables count cases received, not outcomes


def _counted_by(rows: str, columns: str) -> tuple[Dimension, ...]:
    wanted = {name for name in (rows, columns) if name != OUTCOME}
    return next(dimensions for dimensions in COUNTED_BY if wanted <= set(dimensions))


def _protected_report(
    year: int,
    now: datetime,
    order: Mapping[str, tuple[str, ...]],
    counts: LineCounts | None,
    withheld: Withheld | None,
) -> YearlyReport:
    """The report of `counts` (None: nothing counted), each entry of `withheld` hidden besides
    its own small cells."""
    if counts is None:
        counts = LineCounts(
            {
                key: [[0] * len(order[columns]) for _ in order[rows]]
                for key, rows, columns in COUNT_TABLES
            },
            {},
            (0, 0),
        )
    tables = _protect_together(
        [
            (key, rows, columns, order, with_totals(counts.cells[key]))
            for key, rows, columns in COUNT_TABLES
        ],
        withheld.entries if withheld else None,
    )
    withheld_channels = withheld.response_channels if withheld else set()
    return YearlyReport(
        year=year,
        as_of=now,
        tables=tables,
        responses=tuple(
            _response_row(counts.histograms, channel, withhold=channel in withheld_channels)
            for channel in (ALL, *CATEGORY_ORDER["channel"])
        ),
        callbacks=_hide(
            protect_primary([list(counts.calls)]), withheld.callbacks if withheld else ()
        ),
    )


def _hide(protected: Protected, positions: Collection[Position]) -> Protected:
    """`protected` with the shown entries at `positions` hidden as well."""
    marks = tuple(
        tuple(
            Mark.HIDDEN if mark is Mark.SHOWN and (row, column) in positions else mark
            for column, mark in enumerate(row_marks)
        )
        for row, row_marks in enumerate(protected.marks)
    )
    return Protected(protected.values, marks)


def _cross_table(
    counts: Mapping[tuple[str | date, ...], Counter[str]],
    by: Sequence[str],
    row_dimension: str,
    column_dimension: str,
    order: Mapping[str, tuple[str, ...]],
) -> list[list[int]]:
    rows, columns = order[row_dimension], order[column_dimension]
    cells = [[0] * len(columns) for _ in rows]
    row_at = {key: index for index, key in enumerate(rows)}
    column_at = {key: index for index, key in enumerate(columns)}
    for key, metrics in counts.items():
        named = {
            dimension: (value.strftime("%Y-%m") if isinstance(value, date) else value)
            for dimension, value in zip(by, key, strict=True)
        }
        row = row_at.get(str(named[row_dimension]))
        if row is None:
            continue
        if column_dimension == OUTCOME:
            for outcome, index in column_at.items():
                cells[row][index] += metrics[outcome]
            continue
        column = column_at.get(str(named[column_dimension]))
        if column is not None:
            cells[row][column] += metrics[Metric.RECEIVED]
    return cells


# (key, row dimension, column dimension, dimension → category keys in order, the counts with
# a row and a column of totals): one count table before protection.
TableSpec = tuple[str, str, str, Mapping[str, tuple[str, ...]], list[list[int]]]


def _protect_together(
    specs: list[TableSpec], forced: Mapping[str, Collection[Position]] | None = None
) -> tuple[CountTable, ...]:
    """Protect each table, the entries `forced` (table key → positions) hidden from the start;
    a total hidden anywhere is forced hidden everywhere; then make sure that no hidden entry
    follows from all the tables read together (tables that are each safe alone can be chained
    through the totals they share), hiding more until none does."""
    forced_margins: set[tuple[str, ...]] = set()
    forced_entries: dict[str, set[tuple[int, int]]] = {
        key: set((forced or {}).get(key, ())) for key, *_ in specs
    }
    while True:
        tables = [_protect_one(spec, forced_margins, forced_entries) for spec in specs]
        hidden_margins = {
            margin
            for table in tables
            for row, column in table.protected.hidden()
            if (margin := table.margin(row, column)) is not None
        }
        if not hidden_margins <= forced_margins:
            forced_margins |= hidden_margins
            continue
        exposed = recoverable_linked(
            [
                (table.protected.values, table.protected.hidden(), _margin_of(table))
                for table in tables
            ]
        )
        if not any(exposed):
            return tuple(tables)
        if not _hide_partners(tables, exposed, forced_entries):
            # Nothing sensible is left to hide beside them: hide every table whole, which
            # always protects (any entry could be one case more or less in all of them).
            for table in tables:
                forced_entries[table.key] = _every_position(table)


def _protect_one(
    spec: TableSpec,
    forced_margins: set[tuple[str, ...]],
    forced_entries: Mapping[str, set[tuple[int, int]]],
) -> CountTable:
    """One table protected, with its forced entries and every total forced anywhere hidden."""
    key, rows, columns, order, grid = spec
    shell = CountTable(key, rows, columns, order[rows], order[columns], _placeholder(grid))
    forced = forced_entries[key] | {
        (row, column)
        for row in range(len(grid))
        for column in range(len(grid[0]))
        if shell.margin(row, column) in forced_margins
    }
    return CountTable(key, rows, columns, order[rows], order[columns], protect(grid, forced))


def _hide_partners(
    tables: list[CountTable],
    exposed: Sequence[set[tuple[int, int]]],
    forced_entries: dict[str, set[tuple[int, int]]],
) -> bool:
    """Force hidden, in each table, a partner for the entries that could be worked out;
    False when no table has one."""
    progress = False
    for table, positions in zip(tables, exposed, strict=True):
        if not positions:
            continue
        values, hidden = table.protected.values, table.protected.hidden()
        partner = complementary_entry(values, hidden, positions)
        if partner is not None:
            forced_entries[table.key].add(partner)
            progress = True
    return progress


def _every_position(table: CountTable) -> set[tuple[int, int]]:
    return {
        (row, column)
        for row in range(len(table.rows) + 1)
        for column in range(len(table.columns) + 1)
    }


def _margin_of(table: CountTable) -> Callable[[tuple[int, int]], tuple[str, ...] | None]:
    return lambda position: table.margin(*position)


def _placeholder(grid: list[list[int]]) -> Protected:
    return Protected(
        tuple(tuple(row) for row in grid), tuple(tuple(Mark.SHOWN for _ in row) for row in grid)
    )


def _response_row(
    histograms: Mapping[str, Mapping[str, Counter[int]]], channel: str, *, withhold: bool = False
) -> ResponseRow:
    """A channel's response times, published from MIN_CASES_FOR_TIMES answered cases on unless
    `withhold`."""
    metrics = histograms.get(channel, {})
    wall = metrics.get(Metric.RESPONSE_WALL_MINUTES, Counter())
    opening = metrics.get(Metric.RESPONSE_OPENING_MINUTES, Counter())
    if withhold or sum(wall.values()) < MIN_CASES_FOR_TIMES:
        return ResponseRow(channel, False, None, None, None, None)
    return ResponseRow(
        channel,
        True,
        percentile(wall, 0.5),
        percentile(wall, 0.9),
        percentile(opening, 0.5),
        percentile(opening, 0.9),
    )


# --- writing it out ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLabels:
    """Everything the CSV says in words, in the reader's language."""

    categories: Mapping[str, Mapping[str, str]]  # dimension → key → name
    titles: Mapping[str, str]  # table key → title
    texts: Mapping[str, str] = field(default_factory=dict)  # see `report_csv`

    def name(self, dimension: str, key: str) -> str:
        return self.categories.get(dimension, {}).get(key, key)


def hours(minutes: int | None, decimal: str = ".") -> str:
    """Minutes as hours with one decimal (the CSV and the page print the same)."""
    return "–" if minutes is None else f"{minutes / 60:.1f}".replace(".", decimal)


@dataclass(frozen=True)
class CsvStyle:
    """How a spreadsheet reads the file: Excel set up for Norway (and most of Europe) wants
    semicolons between cells and a decimal comma; the plain style suits everything else."""

    delimiter: str = ","
    decimal: str = "."


PLAIN_CSV = CsvStyle()
SEMICOLON_CSV = CsvStyle(delimiter=";", decimal=",")


def report_csv(report: YearlyReport, labels: ReportLabels, style: CsvStyle = PLAIN_CSV) -> str:
    """The report as CSV: one block per table, a blank line between blocks.

    `labels.texts` needs: heading, as_of, legend, total, only_total, response_title, channel,
    all, median_wall, p90_wall, median_opening, p90_opening, not_published, callbacks_title,
    attempts, reached, reach_rate.
    """
    text = labels.texts
    out = io.StringIO()
    writer = csv.writer(out, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow([text["heading"]])
    writer.writerow([text["as_of"], report.as_of.strftime("%Y-%m-%d")])
    writer.writerow([text["legend"]])
    for table in report.tables:
        writer.writerows(_count_block(table, labels))
    writer.writerows(_response_block(report, labels, style))
    writer.writerows(_callback_block(report, text))
    return out.getvalue()


def _count_block(table: CountTable, labels: ReportLabels) -> list[list[str]]:
    total = labels.texts["total"]
    heading = [
        labels.name("dimension", table.row_dimension),
        *(labels.name(table.column_dimension, key) for key in table.columns),
        total,
    ]
    noted = table.rows_shown_only_as_totals()
    rows = [
        [
            total if key == TOTAL else _row_name(table, labels, row, noted),
            *(table.text(row, column) for column in range(len(table.columns) + 1)),
        ]
        for row, key in enumerate((*table.rows, TOTAL))
    ]
    notes = [
        [
            f"{NOTE_MARK} {labels.name(table.row_dimension, table.rows[row])}",
            labels.texts["only_total"],
        ]
        for row in noted
    ]
    return [[], [labels.titles[table.key]], heading, *rows, *notes]


def _row_name(table: CountTable, labels: ReportLabels, row: int, noted: tuple[int, ...]) -> str:
    name = labels.name(table.row_dimension, table.rows[row])
    return f"{name} {NOTE_MARK}" if row in noted else name


def _response_block(report: YearlyReport, labels: ReportLabels, style: CsvStyle) -> list[list[str]]:
    text = labels.texts
    heading = [
        text[key] for key in ("channel", "median_wall", "p90_wall", "median_opening", "p90_opening")
    ]
    rows = []
    for response in report.responses:
        name = text["all"] if response.channel == ALL else labels.name("channel", response.channel)
        if not response.published:
            rows.append([name, text["not_published"]])
            continue
        times = (
            response.median_wall,
            response.p90_wall,
            response.median_opening,
            response.p90_opening,
        )
        rows.append([name, *(hours(minutes, style.decimal) for minutes in times)])
    return [[], [text["response_title"]], heading, *rows]


def _callback_block(report: YearlyReport, text: Mapping[str, str]) -> list[list[str]]:
    rate = report.reach_rate
    return [
        [],
        [text["callbacks_title"]],
        [text["attempts"], text["reached"], text["reach_rate"]],
        [
            report.callbacks.text(0, 0),
            report.callbacks.text(0, 1),
            "–" if rate is None else f"{rate:.0%}",
        ],
    ]
