"""The rollup: closed cases are counted once, when settled; figures never count one twice."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from advisory.jobs import SWEEPS, sweep_statistics
from advisory.models import (
    Callback,
    CallbackStatus,
    CaseStatus,
    Channel,
    Field,
    Kind,
    ReporterRole,
    StatsDaily,
    StatsMonthly,
)
from advisory.services.figures import Dimension, Period, Scope, case_counts
from advisory.services.retention import apply_retention
from advisory.stats import ALL, Metric, fold_cases
from tests.conftest import DEFAULT_NOW

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


def closed_case(make_case, days_ago: int = 3):
    received = DEFAULT_NOW - timedelta(days=days_ago)
    return make_case(
        received_at=received,
        callback_due_at=received + timedelta(days=1),
        first_response_at=received + timedelta(hours=2),
        status=CaseStatus.CLOSED,
        closed_at=received + timedelta(days=1),
        channel=Channel.PHONE,
        kind=Kind.ABUSE_OF_POWER,
        reporter_role=ReporterRole.WITNESSED,
        field=Field.MUSIC,
    )


def totals(db_session, model) -> dict[tuple[str, str, str, str, str], int]:
    rows = db_session.execute(
        select(
            model.channel, model.kind, model.reporter_role, model.field, model.metric, model.count
        )
    )
    found: dict[tuple[str, str, str, str, str], int] = {}
    for channel, kind, role, field, metric, count in rows:
        key = (channel, kind, role, field, metric)
        found[key] = found.get(key, 0) + count
    return found


def test_the_statistics_sweep_counts_a_settled_closed_case_once(db_session, make_case, settings):
    case = closed_case(make_case)
    scope = Scope(settings.calendar, NOVEMBER, DEFAULT_NOW)
    before = case_counts(db_session, scope, (Dimension.CHANNEL, Dimension.KIND))

    assert sweep_statistics(db_session, settings, DEFAULT_NOW) == 1
    assert sweep_statistics(db_session, settings, DEFAULT_NOW) == 0  # marked: not again
    after = case_counts(db_session, scope, (Dimension.CHANNEL, Dimension.KIND))

    assert case.stats_folded is True
    assert after == before  # counted from the rollup now, not live as well
    assert after[("phone", "abuse_of_power")][Metric.RECEIVED] == 1
    daily, monthly = totals(db_session, StatsDaily), totals(db_session, StatsMonthly)
    # Per day: channel and kind; per month: every category. Histograms by channel only.
    assert daily[("phone", "abuse_of_power", ALL, ALL, Metric.RECEIVED)] == 1
    assert monthly[("phone", "abuse_of_power", "witnessed", "music", Metric.RECEIVED)] == 1
    assert monthly[("phone", ALL, ALL, ALL, Metric.RESPONSE_WALL_MINUTES)] == 1
    assert daily[("phone", ALL, ALL, ALL, Metric.RESPONSE_OPENING_MINUTES)] == 1


def test_a_closed_case_with_a_booked_callback_waits(db_session, make_case, settings):
    case = closed_case(make_case)
    start = DEFAULT_NOW + timedelta(hours=1)
    db_session.add(Callback(case=case, slot_start=start, slot_end=start + timedelta(minutes=30)))
    db_session.flush()

    assert sweep_statistics(db_session, settings, DEFAULT_NOW) == 0
    assert not case.stats_folded

    case.callbacks[0].status = CallbackStatus.MISSED  # the callbacks sweep settles it
    db_session.flush()
    assert sweep_statistics(db_session, settings, DEFAULT_NOW) == 1
    monthly = totals(db_session, StatsMonthly)
    assert monthly[("phone", "abuse_of_power", "witnessed", "music", Metric.CALLBACK_ATTEMPTS)] == 1


def test_retention_does_not_count_a_case_the_sweep_counted(db_session, make_case, settings):
    closed_case(make_case, days_ago=95)  # closed 94 days ago: past retention
    sweep_statistics(db_session, settings, DEFAULT_NOW)
    counted = totals(db_session, StatsDaily)

    assert apply_retention(db_session, settings, DEFAULT_NOW) == 1

    assert totals(db_session, StatsDaily) == counted


def test_open_cases_are_left_to_the_live_count(db_session, make_case, settings):
    make_case(status=CaseStatus.IN_PROGRESS)

    assert sweep_statistics(db_session, settings, DEFAULT_NOW) == 0
    assert db_session.scalar(select(func.count()).select_from(StatsDaily)) == 0


def test_folding_twice_by_hand_counts_once(db_session, make_case, settings):
    case = closed_case(make_case)

    fold_cases(db_session, [case], settings.calendar)
    fold_cases(db_session, [case], settings.calendar)

    assert totals(db_session, StatsDaily)[("phone", "abuse_of_power", ALL, ALL, "received")] == 1


def test_the_statistics_sweep_runs_after_callbacks_and_before_retention():
    names = list(SWEEPS)

    assert names.index("callbacks") < names.index("statistics") < names.index("retention")
