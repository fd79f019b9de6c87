"""The notices page: unread notes for the signed-in staff member, and marking them read.

A note holds a kind and a case reference, never content (invariant 6), so every role may see
its own. Lawyers get a link to the case; for coordinators and admins the reference stays plain
text, as on their other pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from advisory.auth.access import ALL_ROLES, require_role
from advisory.context import db_session, now
from advisory.models import Notification, Role
from advisory.services import notifications as service
from advisory.services.notifications import NotificationKind, NotificationNotFound
from advisory.transaction import unit_of_work

bp = Blueprint("notices", __name__)


@dataclass(frozen=True)
class Notice:
    id: int
    title: str
    case_reference: str | None
    created_at: datetime
    audit_anchor: str | None  # only on an audit log anchor


@bp.get("/notices")
@require_role(*ALL_ROLES)
def notices() -> str:
    items = [_notice(note) for note in service.unread_for(db_session(), g.staff)]
    return render_template(
        "notices/notices.html", notices=items, links_to_cases=g.staff.role is Role.LAWYER
    )


@bp.post("/notices/<id:notification_id>/read")
@require_role(*ALL_ROLES)
def mark_read(notification_id: int) -> Response:
    with unit_of_work(NotificationNotFound) as work:
        service.mark_read(db_session(), notification_id, g.staff, now())
    if work.refusal is not None:
        abort(404)  # the same answer for a note that is someone else's and one that never was
    return redirect(url_for("notices.notices"), code=303)


@bp.post("/notices/read")
@require_role(*ALL_ROLES)
def mark_all_read() -> Response:
    with unit_of_work():
        service.mark_all_read(db_session(), g.staff, now())
    return redirect(url_for("notices.notices"), code=303)


@bp.app_template_global()
def unread_notice_count() -> int:
    """For the staff menu; 0 when nobody is signed in."""
    staff = g.get("staff")
    if staff is None:
        return 0
    return service.unread_count(db_session(), staff)


def _notice(note: Notification) -> Notice:
    return Notice(
        note.id, notice_title(note.kind), note.case_reference, note.created_at, note.audit_anchor
    )


def notice_title(kind: str) -> str:
    titles = {
        NotificationKind.DEADLINE_AT_RISK: _("Deadline at risk"),
        NotificationKind.DEADLINE_BREACHED: _("Deadline passed without an answer"),
        NotificationKind.CALLBACK_REMINDER: _("Callback due soon"),
        NotificationKind.CALLBACK_MISSED: _("Callback missed"),
        NotificationKind.CALLBACK_ATTEMPTS_EXHAUSTED: _("Callback attempts used up"),
        NotificationKind.CAPACITY_WARNING: _("Callback booked after the deadline: no free time"),
        NotificationKind.CASE_ASSIGNED: _("Case assigned to you"),
        NotificationKind.CASE_TAKEN: _("Case taken over by a colleague"),
        NotificationKind.NEW_CASE: _("New case on the line"),
        NotificationKind.CALLBACK_UNBOOKED: _(
            "No callback place free: the case is answered in the inbox"
        ),
        NotificationKind.VOICEMAIL_UNBOOKED: _(
            "No callback place free for a voicemail: its number was not kept"
        ),
        NotificationKind.VOICEMAIL_RECORDED_LATE: _("Voicemail recorded late"),
        NotificationKind.AUDIT_ANCHOR: _("Audit log anchor"),
    }
    try:
        return titles[NotificationKind(kind)]
    except ValueError:  # a kind a newer version wrote
        return _("Notice")
