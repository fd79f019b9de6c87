"""Triage: every priority rule, their precedence, and the P1 internal target."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from advisory.hours import Calendar
from advisory.models import Field, Happened, Kind, Language, ReporterRole
from advisory.triage import (
    P1,
    P2,
    P3,
    P4,
    Answers,
    TriagePolicy,
    internal_target,
    needs_emergency_numbers,
    priority,
)
from tests.conftest import OSLO

MATTER = Kind.DISCRIMINATION
QUESTION = Kind.GENERAL_QUESTION


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # P1: someone is in immediate danger (the danger question covers threats).
        pytest.param(Answers(MATTER, immediate_danger=True), P1, id="danger"),
        pytest.param(Answers(MATTER, immediate_danger=True, ongoing=True), P1, id="danger-ongoing"),
        pytest.param(
            Answers(MATTER, immediate_danger=True, happened=Happened.EARLIER),
            P1,
            id="danger-long-ago",
        ),
        pytest.param(Answers(QUESTION, immediate_danger=True), P1, id="danger-beats-question"),
        # P2: ongoing, deadline-sensitive (dismissal or warning) or recent.
        pytest.param(Answers(MATTER, ongoing=True), P2, id="ongoing"),
        pytest.param(Answers(MATTER, ongoing=True, immediate_danger=False), P2, id="ongoing-safe"),
        pytest.param(Answers(MATTER, dismissal_or_warning=True), P2, id="dismissal-or-warning"),
        pytest.param(Answers(MATTER, happened=Happened.LAST_30_DAYS), P2, id="recent"),
        pytest.param(
            Answers(MATTER, ongoing=False, happened=Happened.EARLIER, dismissal_or_warning=True),
            P2,
            id="old-but-deadline",
        ),
        pytest.param(Answers(Kind.SEXUAL_HARASSMENT, ongoing=True), P2, id="harassment-ongoing"),
        pytest.param(Answers(Kind.OTHER, happened=Happened.LAST_30_DAYS), P2, id="other-recent"),
        # P3: any other matter.
        pytest.param(Answers(MATTER, happened=Happened.LAST_YEAR), P3, id="last-year"),
        pytest.param(Answers(MATTER, happened=Happened.EARLIER), P3, id="earlier"),
        pytest.param(
            Answers(
                Kind.ABUSE_OF_POWER,
                ongoing=False,
                immediate_danger=False,
                dismissal_or_warning=False,
                happened=Happened.EARLIER,
            ),
            P3,
            id="all-no",
        ),
        # P4: a general question, whatever else was answered, unless there is danger.
        pytest.param(Answers(QUESTION), P4, id="question"),
        pytest.param(Answers(QUESTION, ongoing=True), P4, id="question-ongoing"),
        pytest.param(Answers(QUESTION, dismissal_or_warning=True), P4, id="question-deadline"),
        pytest.param(Answers(QUESTION, happened=Happened.LAST_30_DAYS), P4, id="question-recent"),
        pytest.param(Answers(QUESTION, immediate_danger=False), P4, id="question-no-danger"),
    ],
)
def test_priority_follows_the_rules_in_order(answers, expected):
    assert priority(answers, TriagePolicy()) == expected


@pytest.mark.parametrize("kind", [kind for kind in Kind if kind is not QUESTION])
def test_an_unanswered_matter_is_p3(kind):
    assert priority(Answers(kind)) == P3


def test_an_unanswered_general_question_is_p4():
    assert priority(Answers(QUESTION)) == P4


@pytest.mark.parametrize(
    "extra",
    [
        {"reporter_role": ReporterRole.EMPLOYER_OR_REPRESENTATIVE},
        {"reporter_role": ReporterRole.ASKING_FOR_SOMEONE},
        {"field": Field.FILM_TV},
        {"preferred_language": Language.SAMI},
    ],
)
def test_who_asks_in_what_field_and_language_does_not_change_priority(extra):
    assert priority(Answers(MATTER, **extra)) == P3
    assert priority(Answers(MATTER, ongoing=True, **extra)) == P2


@pytest.mark.parametrize(
    ("recent", "happened", "expected"),
    [
        ({Happened.LAST_30_DAYS}, Happened.LAST_30_DAYS, P2),
        ({Happened.LAST_30_DAYS}, Happened.LAST_YEAR, P3),
        ({Happened.LAST_30_DAYS, Happened.LAST_YEAR}, Happened.LAST_YEAR, P2),
        ({Happened.LAST_30_DAYS, Happened.LAST_YEAR}, Happened.EARLIER, P3),
        (set(), Happened.LAST_30_DAYS, P3),
    ],
)
def test_the_policy_decides_what_counts_as_recent(recent, happened, expected):
    policy = TriagePolicy(recent=frozenset(recent))
    assert priority(Answers(MATTER, happened=happened), policy) == expected


def test_the_policy_is_frozen_against_the_callers_set():
    recent = {Happened.LAST_30_DAYS}
    policy = TriagePolicy(recent=recent)
    recent.add(Happened.EARLIER)
    assert policy.recent == frozenset({Happened.LAST_30_DAYS})
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.p1_target = timedelta(hours=1)


@pytest.mark.parametrize("target", [timedelta(0), timedelta(hours=-1)])
def test_a_p1_target_of_no_time_is_refused(target):
    with pytest.raises(ValueError, match="P1 target"):
        TriagePolicy(p1_target=target)


@pytest.mark.parametrize(
    ("immediate_danger", "expected"), [(True, True), (False, False), (None, False)]
)
def test_emergency_numbers_only_on_an_explicit_yes_to_danger(immediate_danger, expected):
    assert needs_emergency_numbers(Answers(MATTER, immediate_danger=immediate_danger)) is expected
    assert needs_emergency_numbers(Answers(QUESTION, immediate_danger=immediate_danger)) is expected


@pytest.mark.parametrize(
    ("received_at", "target"),
    [
        # Monday 10:00 → two opening hours later, same day.
        (datetime(2026, 11, 23, 10, 0, tzinfo=OSLO), datetime(2026, 11, 23, 12, 0, tzinfo=OSLO)),
        # Monday 15:00: one hour today, one tomorrow after opening.
        (datetime(2026, 11, 23, 15, 0, tzinfo=OSLO), datetime(2026, 11, 24, 10, 0, tzinfo=OSLO)),
        # Friday evening: the clock starts on Monday morning.
        (datetime(2026, 11, 27, 20, 0, tzinfo=OSLO), datetime(2026, 11, 30, 11, 0, tzinfo=OSLO)),
    ],
)
def test_p1_target_is_counted_in_opening_hours(received_at, target):
    assert internal_target(P1, received_at, Calendar(), TriagePolicy()) == target


def test_p1_target_follows_the_policy():
    received_at = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
    policy = TriagePolicy(p1_target=timedelta(minutes=30))
    assert internal_target(P1, received_at, Calendar(), policy) == received_at + timedelta(
        minutes=30
    )


@pytest.mark.parametrize("other", [P2, P3, P4])
def test_only_p1_has_an_internal_target(other):
    received_at = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
    assert internal_target(other, received_at, Calendar()) is None


@pytest.mark.parametrize("not_a_priority", [0, 5, -1])
def test_internal_target_refuses_a_priority_out_of_range(not_a_priority):
    received_at = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
    with pytest.raises(ValueError, match="not a priority"):
        internal_target(not_a_priority, received_at, Calendar())
