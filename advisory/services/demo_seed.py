"""A demo year of synthetic cases, so the coordinator's dashboard has something to show.

Development only (`flask --app advisory demo seed`, or `make run DEMO_SEED=1`). Every case is
made up: structured answers drawn at random with plausible weights, no narrative text but a
sealed placeholder (an envelope to the line key, like any real narrative; it says that the
case is synthetic), and callback numbers that are sealed fake numbers. Cases closed longer
ago than the retention period are then handed to the ordinary sweeps: every closed case is
counted into the daily and monthly figures, and the old ones are deleted, as in production;
the figures of the year therefore come partly from live cases and partly from the rollup.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import crypto
from advisory.hours import Calendar
from advisory.line_config import LineConfig
from advisory.models import (
    Callback,
    Case,
    CaseStatus,
    Channel,
    CloseOutcome,
    ContactPreference,
    Happened,
    LineKey,
    Role,
    Staff,
    StatsDaily,
    StatsMonthly,
)
from advisory.services.callbacks import SlotUnavailable, book_callback
from advisory.services.demo import DEMO_USERNAMES
from advisory.services.line_keys import active_line_key, default_line
from advisory.services.line_settings import config_of
from advisory.services.retention import apply_retention
from advisory.services.rollup import fold_settled_cases
from advisory.services.sample_cases import (
    CHANNEL_WEIGHTS,
    FIELD_WEIGHTS,
    KIND_WEIGHTS,
    ROLE_WEIGHTS,
    answered_calls,
    arrival,
    case_columns,
    pick,
)
from advisory.services.sealing import TO_LINE, case_context, context, seal_for_line
from advisory.services.staff import add_staff
from advisory.settings import Settings
from advisory.triage import Answers, TriagePolicy, internal_target, priority

EXTRA_LAWYERS = ("demo-lawyer-2", "demo-lawyer-3")
PLACEHOLDER = "Synthetic demo case: no real person wrote this."
FAKE_NUMBER = "+47 000 00 000"
# Anything in these and the demo year would mix with what is there.
_HOLDS_DATA = (Case, StatsDaily, StatsMonthly)


class DemoSeedError(Exception):
    """The database is not ready for demo data."""


class AlreadySeeded(DemoSeedError):
    """The database already holds cases or figures: demo data is only for an empty one."""


@dataclass(frozen=True)
class SeedSummary:
    created: int  # cases made up
    folded: int  # of which retention folded into the rollup and deleted
    live: int  # cases left in the case table


def seed_demo_year(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    data_key: bytes,
    per_day: float = 3.0,
    seed: int = 2026,
) -> SeedSummary:
    """Make up a year of cases up to `now` and let retention fold the old ones (flush only)."""
    line = default_line(session)
    line_key = active_line_key(session, line.id) if line is not None else None
    if line is None or line_key is None:
        raise DemoSeedError("Run `flask --app advisory init --demo` first.")
    if not _demo_instance(session):
        raise DemoSeedError(
            "Demo data goes only into a demo instance (`flask --app advisory init --demo`): "
            "once folded into the figures it cannot be told apart from real cases."
        )
    if any(session.scalar(select(func.count()).select_from(table)) for table in _HOLDS_DATA):
        raise AlreadySeeded("The database already holds cases or figures; demo data goes alone.")
    lawyers = _lawyers(session, data_key, now)
    rng = random.Random(seed)  # noqa: S311 (made-up demo data: repeatable, not secret)
    config = config_of(line)  # the cases are the line's: its calendar sets their deadlines
    zone = ZoneInfo(config.calendar.timezone)
    references: set[str] = set()
    created = 0
    day = (now - timedelta(days=365)).astimezone(zone).date()
    while day <= now.astimezone(zone).date():
        weekday = day.weekday() < 5
        expected = per_day * (1.25 if weekday else 0.35)
        for _ in range(_poisson(rng, expected)):
            received = arrival(rng, day, zone)
            if received >= now:
                continue
            _make_case(session, config, rng, line_key, lawyers, received, now, references)
            created += 1
        day += timedelta(days=1)
    session.flush()
    _book_open_callbacks(session, config, line_key, now)
    live_before = session.scalar(select(func.count()).select_from(Case)) or 0
    # What the scheduler would have done meanwhile: count the closed cases, delete old ones.
    while fold_settled_cases(session):
        pass
    apply_retention(session, settings, now)
    live = session.scalar(select(func.count()).select_from(Case)) or 0
    return SeedSummary(created=created, folded=live_before - live, live=live)


def _demo_instance(session: Session) -> bool:
    """An instance made with `init --demo`: its demo staff exist (a real one has none)."""
    query = (
        select(func.count()).select_from(Staff).where(Staff.username.in_(DEMO_USERNAMES.values()))
    )
    return bool(session.scalar(query))


def _lawyers(session: Session, data_key: bytes, now: datetime) -> list[Staff]:
    query = select(Staff).where(Staff.role == Role.LAWYER, Staff.active.is_(True))
    existing = {staff.username: staff for staff in session.scalars(query)}
    for username in EXTRA_LAWYERS:
        if username not in existing:
            # Unusable without the one-time password, which nobody sees: names for the load table.
            existing[username] = add_staff(
                session, username=username, role=Role.LAWYER, data_key=data_key, now=now
            ).staff
    return sorted(existing.values(), key=lambda staff: staff.username)


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _make_case(
    session: Session,
    config: LineConfig,
    rng: random.Random,
    line_key: LineKey,
    lawyers: list[Staff],
    received: datetime,
    now: datetime,
    references: set[str],
) -> None:
    calendar = config.calendar
    policy = TriagePolicy(p1_target=timedelta(hours=config.p1_target_hours))
    channel = pick(rng, CHANNEL_WEIGHTS)
    answers = _answers(rng)
    rank = priority(answers, policy)
    callback = channel is not Channel.WEB or rng.random() < 0.2
    answered = _first_response(rng, calendar, received, now)
    closed_at = _closing(rng, received, answered, now)
    reference = _new_reference(references)
    lawyer = rng.choice(lawyers) if lawyers and (answered or rng.random() < 0.6) else None
    narrative = seal_for_line(
        line_key, "narrative", PLACEHOLDER, context(line_key.line.slug, reference, TO_LINE)
    )
    case = Case(
        **case_columns(
            calendar,
            reference=reference,
            line_id=line_key.line_id,
            received_at=received,
            channel=channel,
            narrative_envelope=narrative,
            first_response_at=answered,
            closed_at=closed_at,
            close_outcome=CloseOutcome.ADVICE_GIVEN if answered else CloseOutcome.NO_CONTACT,
            callback=callback,
            **asdict(answers),  # the questionnaire's answers are columns of the same names
            priority=rank,
            internal_target_at=internal_target(rank, received, calendar, policy),
            assigned_lawyer_id=lawyer.id if lawyer else None,
        )
    )
    session.add(case)
    if callback and answered is not None:
        _past_callbacks(rng, case, answered)


def _answers(rng: random.Random) -> Answers:
    return Answers(
        kind=pick(rng, KIND_WEIGHTS),
        reporter_role=pick(rng, ROLE_WEIGHTS),
        ongoing=rng.random() < 0.35,
        immediate_danger=rng.random() < 0.02,
        dismissal_or_warning=rng.random() < 0.08,
        happened=rng.choice(list(Happened)),
        field=pick(rng, FIELD_WEIGHTS),
    )


def _first_response(
    rng: random.Random, calendar: Calendar, received: datetime, now: datetime
) -> datetime | None:
    """After some opening time: mostly within the working day, some late, a few never."""
    delay = timedelta(minutes=min(rng.lognormvariate(5.0, 0.9), 40 * 60))
    answered = calendar.add_opening_time(received, delay)
    if rng.random() < 0.03 or answered >= now:
        return None
    return answered


def _closing(
    rng: random.Random, received: datetime, answered: datetime | None, now: datetime
) -> datetime | None:
    """Cases are closed some 10 to 45 days after they came in, 1 to 20 days after the answer."""
    if now - received <= timedelta(days=rng.randrange(10, 45)):
        return None
    return min((answered or received) + timedelta(days=rng.randrange(1, 20)), now)


def _new_reference(references: set[str]) -> str:
    reference = crypto.generate_reference()
    while reference in references:
        reference = crypto.generate_reference()
    references.add(reference)
    return reference


def _past_callbacks(rng: random.Random, case: Case, answered: datetime) -> None:
    """Calls that got no answer before the one that reached the caller at `answered`."""
    for number, (start, status) in enumerate(answered_calls(rng, answered), start=1):
        case.callbacks.append(
            Callback(
                slot_start=start,
                slot_end=start + timedelta(minutes=30),
                status=status,
                attempts=number,
                outcome_at=start + timedelta(minutes=10),
            )
        )


def _book_open_callbacks(
    session: Session, config: LineConfig, line_key: LineKey, now: datetime
) -> None:
    """Open callback cases not answered yet get a booked slot (a warning if none is in time)."""
    waiting = session.scalars(
        select(Case).where(
            Case.status != CaseStatus.CLOSED,
            Case.first_response_at.is_(None),
            Case.contact_preference == ContactPreference.CALLBACK,
        )
    ).all()
    for case in waiting:
        number = seal_for_line(line_key, "contact", FAKE_NUMBER, case_context(case, TO_LINE))
        try:
            book_callback(session, case=case, now=now, contact_envelope=number, line=config)
        except SlotUnavailable:
            continue
    session.flush()
