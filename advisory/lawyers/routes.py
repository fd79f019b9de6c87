"""The lawyers' queue page. Plain GET filters, so the list works without JavaScript."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _

from advisory.auth.access import require_role
from advisory.context import current_settings, db_session, now
from advisory.coordinator.labels import channel_names, reporter_role_names
from advisory.lawyers.forms import STATUS_NAMES
from advisory.models import CaseStatus, Role
from advisory.reporter.forms import FIELD_CHOICES, KIND_CHOICES
from advisory.services import queue as service
from advisory.services.queue import OPEN_STATUSES, DeadlineState, QueueFilter
from advisory.url_converters import row_id

bp = Blueprint("queue", __name__)

# The filters by the values the form sends.
FILTERS = {choice.value: choice for choice in QueueFilter}
STATUSES = {status.value: status for status in OPEN_STATUSES}
PRIORITIES = {str(priority): priority for priority in (1, 2, 3, 4)}


@bp.get("/queue")
@require_role(Role.LAWYER)
def queue() -> str:
    # Unknown values fall back to the defaults: a filter link is never an error page.
    args = request.args
    chosen_filter = FILTERS.get(args.get("filter", ""), QueueFilter.ALL)
    status = STATUSES.get(args.get("status", ""))
    priority = PRIORITIES.get(args.get("priority", ""))
    page_number = args.get("page", default=1, type=int) or 1
    # Not one of theirs (or not a row id): every line of theirs.
    line_id = row_id(args.get("line", ""))
    page = service.queue_page(
        db_session(),
        lawyer=g.staff,
        filter=chosen_filter,
        status=status,
        priority=priority,
        page=page_number,
        now=now(),
        at_risk_opening_hours=current_settings().at_risk_opening_hours,
        line_id=line_id,
    )
    return render_template(
        "queue/queue.html",
        page=page,
        chosen_line=line_id if line_id in page.line_names else None,
        chosen_filter=chosen_filter,
        status=status,
        priority=priority,
        filters=_filter_names(),
        statuses=status_names(),
        states=_state_names(),
        priorities=PRIORITIES.values(),
        labels=column_labels(),
    )


def _filter_names() -> dict[QueueFilter, str]:
    return {
        QueueFilter.MINE: _("Mine"),
        QueueFilter.UNASSIGNED: _("Unassigned"),
        QueueFilter.ALL: _("All"),
    }


def status_names() -> dict[CaseStatus, str]:
    return {status: str(name) for status, name in STATUS_NAMES.items()}


def _state_names() -> dict[DeadlineState, str]:
    return {
        DeadlineState.OK: "",
        DeadlineState.AT_RISK: _("at risk"),
        DeadlineState.BREACHED: _("breached"),
    }


def column_labels() -> dict[str, dict[str, str]]:
    """Names for the questionnaire's answers; the kind and field as the reporter saw them."""
    return {
        "kind": {choice.value: str(choice.label) for choice in KIND_CHOICES},
        "field": {choice.value: str(choice.label) for choice in FIELD_CHOICES if choice.value},
        "reporter_role": reporter_role_names(),
        "channel": channel_names(),
    }
