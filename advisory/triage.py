"""Triage: a case's priority from the questionnaire (pure: no Flask, no database, no clock).

DESIGN.md, "Triage": P1 danger or ongoing with threats, P2 ongoing or deadline-sensitive or
recent, P3 other matters, P4 general questions. How we read that for our questionnaire:

- The questionnaire has no separate question about threats. "Is anyone in immediate danger?"
  is the question that covers threats, so a yes there is P1, ongoing or not. A matter that is
  ongoing without danger is P2.
- Danger wins over everything, including "general question": we never put someone who says
  they are in danger at the back of the queue because of the kind they picked.
- Otherwise a general question is P4 whatever else was answered. The follow-up questions
  (ongoing, dismissal or warning, when it happened) describe a matter, and a reporter who chose
  "general question" told us there is none; a lawyer who sees otherwise re-prioritises.
- A question not answered (None) counts as "no": an unanswered questionnaire is P3 for a matter
  and P4 for a general question. Only an explicit yes to danger shows the emergency numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from advisory.hours import Calendar
from advisory.vocabulary import Field, Happened, Kind, Language, ReporterRole

P1, P2, P3, P4 = 1, 2, 3, 4
PRIORITIES = (P1, P2, P3, P4)


@dataclass(frozen=True)
class Answers:
    """The questionnaire as the reporter left it: only the kind of matter is required."""

    kind: Kind
    reporter_role: ReporterRole | None = None
    ongoing: bool | None = None
    immediate_danger: bool | None = None
    dismissal_or_warning: bool | None = None  # deadline-sensitive
    happened: Happened | None = None
    field: Field | None = None
    preferred_language: Language | None = None


def _default_recent() -> frozenset[Happened]:
    return frozenset({Happened.LAST_30_DAYS})


@dataclass(frozen=True)
class TriagePolicy:
    """The knobs of triage; the defaults are DESIGN.md's."""

    # Internal target for P1, in opening time, shown beside the promised `callback_due_at`.
    p1_target: timedelta = timedelta(hours=2)
    # Which answers to "when did it happen?" count as recent (and so make a matter P2).
    recent: frozenset[Happened] = field(default_factory=_default_recent)

    def __post_init__(self) -> None:
        if self.p1_target <= timedelta(0):
            raise ValueError("triage: the P1 target must be longer than zero")
        # Frozen means frozen: a caller's set cannot change the policy later.
        object.__setattr__(self, "recent", frozenset(Happened(value) for value in self.recent))


DEFAULT_POLICY = TriagePolicy()


def priority(answers: Answers, policy: TriagePolicy = DEFAULT_POLICY) -> int:
    """1 (most urgent) to 4, by the rules in this module's docstring, first match wins."""
    if answers.immediate_danger is True:
        return P1
    if answers.kind is Kind.GENERAL_QUESTION:
        return P4
    if (
        answers.ongoing is True
        or answers.dismissal_or_warning is True
        or (answers.happened is not None and answers.happened in policy.recent)
    ):
        return P2
    return P3


def internal_target(
    priority: int,
    received_at: datetime,
    calendar: Calendar,
    policy: TriagePolicy = DEFAULT_POLICY,
) -> datetime | None:
    """The internal deadline for a P1 case (opening time after receipt); None for the others."""
    if priority not in PRIORITIES:
        raise ValueError(f"triage: {priority!r} is not a priority (1 to 4)")
    if priority != P1:
        return None
    return calendar.add_opening_time(received_at, policy.p1_target)


def needs_emergency_numbers(answers: Answers) -> bool:
    """Show the emergency numbers at once: someone said they are in immediate danger."""
    return answers.immediate_danger is True
