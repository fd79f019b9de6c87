"""Speed and agreement of advisory.hours against the PyPI package businesstimedelta.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/hours.py [--n 100000] [--bt-n 10000] [--seed 1]

Both sides get the line's default calendar: Mon-Fri 09:00-16:00 in Europe/Oslo, Norwegian public
holidays from the same `holidays` package, and 24 and 31 December. `callback_due` is compared with
`start + BusinessTimeDelta(rule, hours=7)`, `opening_time_between` with `rule.difference(start,
end)` (businesstimedelta cannot subtract two datetimes; `difference` is its subtraction).
Random instants are whole seconds (bt keeps only whole seconds of a difference, as the
microseconds edge set shows), uniform over 2026-2030 in Oslo; `between` ends up to 14 days later.
Edge sets (opening and closing times, DST nights, microseconds, reversed intervals) are compared
but not timed. Needs neither Flask nor a database.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytz
from businesstimedelta import BusinessTimeDelta, HolidayRule, Rules, WorkDayRule

ZONE_NAME = "Europe/Oslo"
OSLO = ZoneInfo(ZONE_NAME)
OSLO_PYTZ = pytz.timezone(ZONE_NAME)
FIRST_DAY, END_DAY = date(2026, 1, 1), date(2031, 1, 1)  # instants in [FIRST_DAY, END_DAY)
HOLIDAY_YEARS = range(2026, 2032)  # one year past the instants: deadlines run into 2031
MAX_SPAN = timedelta(days=14)
SHOWN = 5  # differences printed per comparison
EDGE_SAMPLE = 2_000  # instants in the microseconds and END before START edge sets


def load_hours() -> ModuleType:
    """advisory/hours.py alone: it is pure, while importing the package builds the Flask app."""
    path = Path(__file__).resolve().parent.parent / "advisory" / "hours.py"
    spec = importlib.util.spec_from_file_location("advisory_hours_bench", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building Calendar
    spec.loader.exec_module(module)
    return module


def bt_rule() -> Rules:
    """The default calendar in businesstimedelta's terms."""
    closed = set(holidays.country_holidays("NO", years=HOLIDAY_YEARS))  # PUBLIC, as ours
    closed |= {date(year, 12, day) for year in HOLIDAY_YEARS for day in (24, 31)}
    # A frozenset: HolidayRule walks day by day asking `day in holidays`, a list would crawl.
    # Past the last listed holiday it fails, hence HOLIDAY_YEARS runs one year on.
    # A closed day is local midnight + 24 h, an hour off on a DST day; harmless here, as
    # the clocks change on Sunday nights, outside opening hours.
    return Rules(
        [
            WorkDayRule(wall(9), wall(16), working_days=[0, 1, 2, 3, 4], tz=OSLO_PYTZ),
            HolidayRule(frozenset(closed), tz=OSLO_PYTZ),
        ]
    )


def to_bt(instant: datetime) -> datetime:
    """The same instant as Oslo wall time, the way businesstimedelta wants it.

    businesstimedelta reads a naive datetime as UTC (localize_unlocalized_dt), so naive Oslo
    wall times would be off by one or two hours depending on the season: never hand it those.
    It takes aware datetimes, converts them with `astimezone(rule.tz)` and builds its 09:00 and
    16:00 boundaries with pytz's `localize`, which picks the right offset on both sides of a
    DST change (boundaries never fall in Oslo's 02:00-03:00 gap or overlap). So we convert with
    `astimezone` too: pytz's `fromutc` gives the correct CET/CEST offset, whereas
    `replace(tzinfo=OSLO_PYTZ)` would give pytz's LMT (+00:43). Its results are pytz-aware;
    aware datetimes compare as instants, so we compare them with ours directly.
    """
    return instant.astimezone(OSLO_PYTZ)


def random_instants(rng: random.Random, n: int) -> list[datetime]:
    low = int(datetime.combine(FIRST_DAY, wall(0), OSLO).timestamp())
    high = int(datetime.combine(END_DAY, wall(0), OSLO).timestamp())
    return [datetime.fromtimestamp(rng.randrange(low, high), UTC) for _ in range(n)]


def random_spans(rng: random.Random, starts: Sequence[datetime]) -> list[datetime]:
    span = int(MAX_SPAN.total_seconds())
    return [start + timedelta(seconds=rng.randrange(span + 1)) for start in starts]


EdgeSet = tuple[list[datetime], list[datetime], bool]


def edge_sets(rng: random.Random) -> dict[str, EdgeSet]:
    """Named (starts, ends, compare callback_due too) where implementations tend to part ways."""
    boundaries: list[datetime] = []
    day = FIRST_DAY
    while day < END_DAY:
        for hh, mm, ss in ((0, 0, 0), (8, 59, 59), (9, 0, 0), (15, 59, 59), (16, 0, 0)):
            boundaries.append(datetime.combine(day, wall(hh, mm, ss), OSLO).astimezone(UTC))
        day += timedelta(days=1)
    dst = [
        change + timedelta(seconds=delta)
        for change in dst_changes()
        for delta in (-3601, -1, 0, 1, 1800, 3600)
    ]
    micro = [
        start + timedelta(microseconds=rng.randrange(1, 10**6))
        for start in rng.sample(boundaries, EDGE_SAMPLE)
    ]

    def later(starts: list[datetime]) -> list[datetime]:
        # Ends that also sit on edges: a few boundaries further on.
        ordered = sorted(starts)
        return [
            ordered[min(i + rng.randrange(1, 30), len(ordered) - 1)] for i in range(len(ordered))
        ]

    return {
        "09:00, 16:00, midnight, +/-1 s": (sorted(boundaries), later(boundaries), True),
        "DST changes, +/-1 s and 1 h": (sorted(dst), later(dst), True),
        "microseconds": (sorted(micro), later(micro), True),
        "END before START": (later(micro), sorted(micro), False),
    }


def dst_changes() -> list[datetime]:
    """The UTC instants at which Oslo's offset changes, 2026-2030."""
    changes = []
    at = datetime.combine(FIRST_DAY, wall(0), UTC)
    end = datetime.combine(END_DAY, wall(0), UTC)
    while at < end:
        if (
            at.astimezone(OSLO).utcoffset()
            != (at + timedelta(hours=1)).astimezone(OSLO).utcoffset()
        ):
            changes.append(at + timedelta(hours=1))
        at += timedelta(hours=1)
    return changes


def rate(compute: Callable[[Any], Any], inputs: Sequence[Any]) -> tuple[list[Any], float]:
    compute(inputs[0])  # warm caches (our holiday tables) outside the clock
    began = time.perf_counter()
    results = [compute(item) for item in inputs]
    return results, len(inputs) / (time.perf_counter() - began)


def closed_days_between(calendar: Any, start: datetime, end: datetime) -> list[date]:
    day, last = start.astimezone(OSLO).date(), end.astimezone(OSLO).date()
    closed = []
    while day <= last:
        if day.weekday() < 5 and not calendar.open_intervals(day):
            closed.append(day)
        day += timedelta(days=1)
    return closed


def dst_between(start: datetime, end: datetime) -> bool:
    return start.astimezone(OSLO).utcoffset() != end.astimezone(OSLO).utcoffset()


def explain_due(calendar: Any, start: datetime, ours: datetime, theirs: datetime) -> str:
    if theirs > ours and calendar.next_opening(ours + timedelta(microseconds=1)) == theirs:
        return "ends at closing time: bt returns the next opening"
    if abs(theirs - ours) == start.astimezone(OSLO).utcoffset():
        return "off by the UTC offset: a naive wall time read as UTC?"
    if dst_between(start, max(ours, theirs)):
        return "DST change in between"
    if closed_days_between(calendar, start, max(ours, theirs)):
        return "closed weekday in between (holiday list?)"
    return "unexplained"


def explain_between(calendar: Any, start: datetime, end: datetime, ours: Any, theirs: Any) -> str:
    if end < start:
        return "END before START: bt sorts the pair, ours counts nothing"
    if timedelta(0) < ours - theirs < timedelta(seconds=1):
        return "bt drops sub-second opening time (BusinessTimeDelta keeps whole seconds)"
    if dst_between(start, end):
        return "DST change in between"
    if closed_days_between(calendar, start, end):
        return "closed weekday in between (holiday list?)"
    return "unexplained"


def differences(
    starts: Sequence[datetime],
    ends: Sequence[datetime] | None,
    ours: Iterable[Any],
    theirs: Iterable[Any],
) -> list[tuple[datetime, datetime | None, Any, Any]]:
    ends_or_none: Iterable[datetime | None] = ends if ends is not None else [None] * len(starts)
    return [
        (start, end, mine, other)
        for start, end, mine, other in zip(starts, ends_or_none, ours, theirs, strict=True)
        if mine != other
    ]


def show(value: Any) -> str:
    """Instants in Oslo time; durations as hours:minutes:seconds (str(timedelta) counts days)."""
    if isinstance(value, datetime):
        return value.astimezone(OSLO).isoformat()
    if isinstance(value, timedelta):
        seconds, micro = divmod(value // timedelta(microseconds=1), 10**6)
        text = f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}"
        return f"{text}.{micro:06}" if micro else text
    return str(value)


def report(calendar: Any, diffs: list[tuple[datetime, datetime | None, Any, Any]]) -> None:
    """Every difference classified and counted; the first few shown with both results."""
    categories: Counter[str] = Counter()
    examples = []
    for start, end, mine, other in diffs:
        if end is None:
            why = explain_due(calendar, start, mine, other)
            line = f"due {show(start)}: ours {show(mine)}, bt {show(other)}"
        else:
            why = explain_between(calendar, start, end, mine, other)
            line = f"between {show(start)} and {show(end)}: ours {show(mine)}, bt {show(other)}"
        categories[why] += 1
        if len(examples) < SHOWN:
            examples.append(f"{line} -- {why}")
    for why, count in categories.most_common():
        print(f"    {count} x {why}")
    for example in examples:
        print(f"      e.g. {example}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="random instants for ours")
    parser.add_argument(
        "--bt-n",
        type=int,
        default=10_000,
        help="how many of them businesstimedelta gets (it is slow; default 10000)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.n < 1 or args.bt_n < 1:
        parser.error("--n and --bt-n must be at least 1")
    bt_n = min(args.bt_n, args.n)

    calendar = load_hours().Calendar()  # the defaults are the line's default calendar
    rule = bt_rule()
    seven_hours = BusinessTimeDelta(rule, hours=7)
    rng = random.Random(args.seed)
    starts = random_instants(rng, args.n)
    ends = random_spans(rng, starts)
    pairs = list(zip(starts, ends, strict=True))
    # Converted once, outside the clock: the timed loops measure the libraries, not pytz.
    bt_starts = [to_bt(start) for start in starts[:bt_n]]
    bt_pairs = [(to_bt(start), to_bt(end)) for start, end in pairs[:bt_n]]

    print(
        f"advisory.hours vs businesstimedelta 1.0.1, default calendar ({ZONE_NAME}, Mon-Fri "
        f"09:00-16:00, NO holidays + 24/31 Dec), seed {args.seed}"
    )
    print(
        f"random whole-second instants {FIRST_DAY}..{END_DAY - timedelta(days=1)}; "
        f"between: END = START + U[0, {MAX_SPAN.days} d]"
    )
    if bt_n < args.n:
        print(f"businesstimedelta is slow: it runs the first {bt_n} of the {args.n} instants")
    print()
    print(f"{'ops/s':<22}{f'ours (n={args.n})':>18}{f'bt (n={bt_n})':>16}{'ours / bt':>12}")

    our_due, our_due_rate = rate(calendar.callback_due, starts)
    bt_due, bt_due_rate = rate(lambda start: start + seven_hours, bt_starts)
    print(
        f"{'callback_due':<22}{our_due_rate:>18,.0f}{bt_due_rate:>16,.0f}"
        f"{our_due_rate / bt_due_rate:>11.1f}x"
    )
    our_between, our_between_rate = rate(lambda p: calendar.opening_time_between(*p), pairs)
    bt_between, bt_between_rate = rate(lambda p: rule.difference(*p).timedelta, bt_pairs)
    print(
        f"{'opening_time_between':<22}{our_between_rate:>18,.0f}{bt_between_rate:>16,.0f}"
        f"{our_between_rate / bt_between_rate:>11.1f}x"
    )

    print(f"\nagreement on the {bt_n} random instants both computed:")
    due_diffs = differences(starts[:bt_n], None, our_due[:bt_n], bt_due)
    print(f"  callback_due: {len(due_diffs)} differences")
    report(calendar, due_diffs)
    between_diffs = differences(starts[:bt_n], ends[:bt_n], our_between[:bt_n], bt_between)
    print(f"  opening_time_between: {len(between_diffs)} differences")
    report(calendar, between_diffs)

    print("\nedge sets (not timed):")
    for name, (edge_starts, edge_ends, with_due) in edge_sets(rng).items():
        edge_pairs = list(zip(edge_starts, edge_ends, strict=True))
        between = differences(
            edge_starts,
            edge_ends,
            [calendar.opening_time_between(start, end) for start, end in edge_pairs],
            [rule.difference(to_bt(start), to_bt(end)).timedelta for start, end in edge_pairs],
        )
        counts = f"opening_time_between {len(between)} differences"
        due = []
        if with_due:
            due = differences(
                edge_starts,
                None,
                [calendar.callback_due(start) for start in edge_starts],
                [to_bt(start) + seven_hours for start in edge_starts],
            )
            counts = f"callback_due {len(due)} differences, {counts}"
        print(f"  {name} (n={len(edge_starts)}): {counts}")
        report(calendar, due)
        report(calendar, between)


if __name__ == "__main__":
    main()
