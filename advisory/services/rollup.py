"""Cases into the aggregate figures, each counted in its own line's rows and calendar: the local
day it was received on and the opening time to its first response (the rules:
advisory/stats.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory.models import Callback, CallbackStatus, Case, CaseStatus
from advisory.services.line_settings import line_config
from advisory.stats import fold_cases


def fold_by_line(session: Session, cases: Iterable[Case]) -> None:
    """`stats.fold_cases` for cases of any lines, each line's in its calendar (flush only)."""
    by_line: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        by_line[case.line_id].append(case)
    for line_id, of_line in by_line.items():
        fold_cases(session, of_line, line_config(session, line_id).calendar)


def fold_settled_cases(session: Session, *, limit: int = 1000) -> int:
    """Count closed cases whose callbacks are settled, once; returns how many (flush only).

    A closed case's figures cannot change any more (no case is reopened; a booked callback
    can still turn into a missed one, so such a case waits), so they go into the rollup now
    and the figures read live only the cases still moving. The case itself stays until
    retention deletes it.
    """
    booked = (
        select(Callback.id)
        .where(Callback.case_id == Case.id, Callback.status == CallbackStatus.BOOKED)
        .exists()
    )
    cases = session.scalars(
        select(Case)
        .where(Case.status == CaseStatus.CLOSED, Case.stats_folded.is_(False), ~booked)
        .order_by(Case.id)
        .limit(limit)
    ).all()
    fold_by_line(session, cases)
    return len(cases)
