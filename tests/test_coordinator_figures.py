"""The dashboard's figures on the hand-made fixture of tests/coordinator_fixture.py, every
number worked out there and here.

Runs on SQLite and on PostgreSQL (when configured) with the same fixture and the same
expected numbers, so both databases give the same figures.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from advisory.models import Case, CaseStatus, StatsDaily
from advisory.services.dashboard import build_dashboard
from advisory.services.figures import PENDING, Dimension, Scope, case_counts
from advisory.services.yearly_report import build_yearly_report
from advisory.stats import Metric, fold_cases, minute_bucket
from tests.conftest import DEFAULT_NOW
from tests.coordinator_fixture import PERIOD, fixture_cases

__all__ = ["fixture_cases"]  # a fixture, used by name


def test_the_deleted_case_lives_on_in_the_rollup_by_day_and_bucket(db_session, fixture_cases):
    rows = db_session.execute(
        select(StatsDaily.metric, StatsDaily.bucket, StatsDaily.count).where(
            StatsDaily.day == date(2026, 11, 2)
        )
    ).all()

    assert sorted(rows) == sorted(
        [
            (Metric.RECEIVED, 0, 1),
            (Metric.ANSWERED_IN_TIME, 0, 1),
            (Metric.RESPONSE_WALL_MINUTES, 60, 1),
            (Metric.RESPONSE_OPENING_MINUTES, 60, 1),
        ]
    )


def test_volumes_per_week_by_channel_and_kind(db_session, fixture_cases, settings):
    dashboard = build_dashboard(db_session, settings, period=PERIOD, now=DEFAULT_NOW)

    assert [week.monday for week in dashboard.weeks] == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 23),
    ]
    assert [week.by_channel for week in dashboard.weeks] == [
        {"web": 1},  # H, from the rollup
        {"web": 2},  # A, B
        {"web": 4, "phone": 1},  # C, E, F, G and D
        {},
    ]
    assert dashboard.weeks[2].by_kind == {
        "abuse_of_power": 1,
        "other": 1,
        "general_question": 1,
        "discrimination": 1,
        "sexual_harassment": 1,
    }
    assert dashboard.received == 8  # X came in before the period
    assert dashboard.by_channel == {"web": 7, "phone": 1}
    assert dashboard.by_kind == {
        "discrimination": 3,
        "sexual_harassment": 2,
        "abuse_of_power": 1,
        "other": 1,
        "general_question": 1,
    }


def test_deadline_compliance_counts_late_never_and_pending_cases(
    db_session, fixture_cases, settings
):
    dashboard = build_dashboard(db_session, settings, period=PERIOD, now=DEFAULT_NOW)
    compliance = dashboard.compliance

    assert compliance.in_time == 4  # A, D, E, H
    assert compliance.late == 1  # B
    assert compliance.not_answered == 2  # C (closed unanswered), G (deadline passed)
    assert compliance.pending == 1  # F: deadline at 11:00 today
    assert compliance.share_in_time == pytest.approx(4 / 7)
    assert dashboard.weeks[1].compliance.share_in_time == pytest.approx(1 / 2)  # A yes, B no


def test_response_times_in_clock_and_opening_hours(db_session, fixture_cases, settings):
    dashboard = build_dashboard(db_session, settings, period=PERIOD, now=DEFAULT_NOW)
    response = dashboard.response

    # Clock minutes: H 60, D 180, A 210, E 3810 (Friday 18:00 to Monday 09:30), B 5520.
    # (From a day on, buckets are hourly: E counts as 3780.)
    # Opening minutes: E 30, H 60, D 180, A 210, B 600 (Thu 1 h + Fri 7 h + Mon 2 h).
    assert response.answered == 5
    assert response.median_wall == 210  # rank ceil(0.5 × 5) = 3
    assert response.p90_wall == 5520  # rank ceil(0.9 × 5) = 5; hourly bucket from a day on
    assert response.median_opening == 180
    assert response.p90_opening == 600
    assert dict(response.bands) == {
        "under_1h": 0,
        "1_4h": 3,  # H (exactly 1 h), D, A
        "4_24h": 0,
        "1_2d": 0,
        "2_7d": 2,  # E, B
        "over_7d": 0,
    }
    assert list(dashboard.response_by_channel) == ["web", "phone"]  # as the charts order them
    phone = dashboard.response_by_channel["phone"]
    assert (phone.answered, phone.median_wall, phone.median_opening) == (1, 180, 180)


def test_minute_buckets_are_fine_below_a_day_and_hourly_after():
    assert [minute_bucket(m) for m in (0, 59.9, 60, 64, 65, 1439, 1440, 1499, 1500)] == [
        0,
        59,
        60,
        60,
        65,
        1435,
        1440,
        1440,
        1500,
    ]


def test_callback_attempts_and_reach_rate(db_session, fixture_cases, settings):
    dashboard = build_dashboard(db_session, settings, period=PERIOD, now=DEFAULT_NOW)

    assert dashboard.callback_attempts == 2  # D: no answer, then reached; F's is still booked
    assert dashboard.callbacks_reached == 1
    assert dashboard.reach_rate == pytest.approx(0.5)


def test_open_cases_by_age_deadlines_now_and_load_per_lawyer(db_session, fixture_cases, settings):
    dashboard = build_dashboard(db_session, settings, period=PERIOD, now=DEFAULT_NOW)

    # Open: E, F (1-3 days), D, G (3-7), A, B (7-14), X (over 30). C is closed, H deleted.
    assert dashboard.open_by_age == ((0, 0), (1, 2), (3, 2), (7, 2), (14, 0), (30, 1))
    assert dashboard.open_total == 7
    assert dashboard.at_risk == ("CASE-000F",)  # one opening hour left, warning at two
    assert dashboard.breached == ("CASE-000G",)
    assert (dashboard.at_risk_total, dashboard.breached_total) == (1, 1)
    assert dashboard.unassigned_open == 1  # F
    loads = {load.username: (load.open_cases, load.within_deadline) for load in dashboard.lawyers}
    # One: A in time, B late, G deadline passed. Two: D, E and X in time.
    assert loads == {"lawyer-one": (3, 1), "lawyer-two": (3, 3), "lawyer-idle": (0, 0)}


def test_capacity_warnings_and_callbacks_after_their_deadline(db_session, fixture_cases, settings):
    dashboard = build_dashboard(db_session, settings, period=PERIOD, now=DEFAULT_NOW)
    capacity = dashboard.capacity

    assert capacity.warnings == 1
    assert dict(capacity.warnings_by_week)[date(2026, 11, 16)] == 1
    assert capacity.booked_after_deadline == 1  # F's callback at 14:00, due 11:00
    assert capacity.attempts_exhausted == 0
    # 14 half-hour slots a day, 2 places each; one place booked today.
    assert [(day.day, day.places, day.booked) for day in capacity.upcoming] == [
        (date(2026, 11, 23), 28, 1),
        (date(2026, 11, 24), 28, 0),
        (date(2026, 11, 25), 28, 0),
        (date(2026, 11, 26), 28, 0),
        (date(2026, 11, 27), 28, 0),
    ]


def test_live_and_folded_cases_count_the_same(db_session, fixture_cases, settings):
    """Folding every case of the period into the rollup changes no count."""
    scope = Scope(settings.calendar, PERIOD, DEFAULT_NOW)
    by = (Dimension.WEEK, Dimension.CHANNEL, Dimension.KIND)
    live = case_counts(db_session, scope, by)
    closed = [case for key, case in fixture_cases.items() if key in "ABCDEG"]
    for case in closed:
        case.status, case.closed_at = CaseStatus.CLOSED, DEFAULT_NOW
    db_session.flush()
    before = case_counts(db_session, scope, by)

    fold_cases(db_session, closed, settings.calendar)
    db_session.execute(delete(Case).where(Case.id.in_([case.id for case in closed])))
    db_session.flush()
    after = case_counts(db_session, scope, by)

    assert after == before
    assert sum(counts[Metric.RECEIVED] for counts in after.values()) == 8
    assert sum(counts[PENDING] for counts in live.values()) == 1
    assert db_session.scalar(select(func.count()).select_from(Case)) == 2  # F and X


def test_a_case_received_before_local_midnight_counts_on_its_local_day(
    db_session, make_case, settings
):
    # 23:30 UTC on Sunday 1 November is 00:30 on Monday 2 November in Oslo.
    received = datetime(2026, 11, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    make_case(received_at=received, callback_due_at=settings.calendar.callback_due(received))
    scope = Scope(settings.calendar, PERIOD, DEFAULT_NOW)

    counts = case_counts(db_session, scope, (Dimension.WEEK,))

    assert {key: c[Metric.RECEIVED] for key, c in counts.items()} == {(date(2026, 11, 2),): 1}


# --- the yearly report on the same fixture -----------------------------------------------------


def test_the_yearly_report_counts_the_fixture_by_hand(db_session, fixture_cases, settings):
    report = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)

    def values(key):
        return [list(row) for row in report.table(key).protected.values]

    # Kinds in order: sexual harassment, discrimination, abuse of power, other, general
    # question; the last column and row are the totals. All nine cases came in in 2026.
    month_kind = values("month_kind")
    assert month_kind[9] == [0, 1, 0, 0, 0, 1]  # October: X
    assert month_kind[10] == [2, 3, 1, 1, 1, 8]  # November: B G | A F H | C | D | E
    assert month_kind[12] == [2, 4, 1, 1, 1, 9]
    assert sum(row[-1] for row in month_kind[:9] + month_kind[11:12]) == 0
    # Channels web, phone, voicemail: D is the only phone case.
    assert values("kind_channel") == [
        [2, 0, 0, 2],
        [4, 0, 0, 4],
        [1, 0, 0, 1],
        [0, 1, 0, 1],
        [1, 0, 0, 1],
        [8, 1, 0, 9],
    ]
    # Roles experienced, witnessed, for someone, employer, not stated; H's role survives in
    # the monthly rollup after the case itself was deleted.
    assert values("kind_role") == [
        [0, 1, 0, 0, 1, 2],  # B witnessed, G
        [2, 0, 0, 0, 2, 4],  # A and H experienced, F, X
        [0, 0, 0, 0, 1, 1],  # C
        [1, 0, 0, 0, 0, 1],  # D
        [0, 0, 0, 0, 1, 1],  # E
        [3, 1, 0, 0, 5, 9],
    ]
    # Fields music, stage, film/TV, visual arts, literature, another, not stated.
    assert values("kind_field")[1] == [2, 0, 0, 0, 0, 0, 2, 4]  # A and H music
    assert values("kind_field")[-1] == [2, 1, 1, 0, 0, 0, 5, 9]
    # Outcomes in time, late, not answered, awaiting: B late; C and G never; F pending.
    assert values("channel_outcome") == [
        [4, 1, 2, 1, 8],  # web: A E H X | B | C G | F
        [1, 0, 0, 0, 1],  # phone: D
        [0, 0, 0, 0, 0],
        [5, 1, 2, 1, 9],
    ]
    assert values("kind_outcome") == [
        [0, 1, 1, 0, 2],
        [3, 0, 0, 1, 4],
        [0, 0, 1, 0, 1],
        [1, 0, 0, 0, 1],
        [1, 0, 0, 0, 1],
        [5, 1, 2, 1, 9],
    ]


def test_the_yearly_report_publishes_times_of_five_answered_cases_and_hides_small_counts(
    db_session, fixture_cases, settings
):
    report = build_yearly_report(db_session, year=2026, now=DEFAULT_NOW)
    times = {row.channel: row for row in report.responses}

    # Answered: H, X, D, A, E, B. Clock minutes 60, 120, 180, 210, 3780 (E's 3810 in its
    # hourly bucket), 5520: median at rank 3, 90th percentile at rank 6. Opening minutes
    # E 30, H 60, X 120, D 180, A 210, B 600.
    everything = times["*"]
    assert (everything.median_wall, everything.p90_wall) == (180, 5520)
    assert (everything.median_opening, everything.p90_opening) == (120, 600)
    # Web without D: 60, 120, 210, 3780, 5520 and 30, 60, 120, 210, 600 (ranks 3 and 5).
    web = times["web"]
    assert (web.median_wall, web.p90_wall, web.median_opening, web.p90_opening) == (
        210,
        5520,
        120,
        600,
    )
    assert not times["phone"].published  # one answered phone case: not published
    assert not times["voicemail"].published
    # D's two calls, one reached: both counts below five, so no rate either.
    assert (report.callbacks.text(0, 0), report.callbacks.text(0, 1)) == ("<5", "<5")
    assert report.reach_rate is None
    for table in report.tables:
        for row, line in enumerate(table.protected.values):
            for column, value in enumerate(line):
                if 1 <= value <= 4:
                    assert table.text(row, column) == "<5", (table.key, row, column)
