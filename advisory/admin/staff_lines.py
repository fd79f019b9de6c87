"""An administrator gives a staff member their lines. A coordinator: the lines whose figures
they see, one line's or a network's summed; none ticked is every line together. A lawyer: the
lines whose cases they work, at least one. The service audits it."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from advisory.admin.forms import ActionForm
from advisory.admin.routes import bp
from advisory.auth.access import require_role
from advisory.context import db_session, now
from advisory.models import Line, Role, Staff
from advisory.services.staff import StaffError
from advisory.services.staff_lines import give_lines
from advisory.transaction import unit_of_work


@bp.post("/staff/<id:staff_id>/lines")
@require_role(Role.ADMIN)
def staff_lines(staff_id: int) -> Response:
    account = db_session().get(Staff, staff_id)
    # As the page offers it: to active coordinators and lawyers only.
    if account is None or not account.active or account.role not in (Role.COORDINATOR, Role.LAWYER):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    known = {str(line_id): line_id for line_id in db_session().scalars(select(Line.id))}
    ticked = request.form.getlist("line")
    if any(value not in known for value in ticked):
        abort(400)  # no page of ours sends a line that is not in its list
    chosen = {known[value] for value in ticked}
    with unit_of_work(StaffError) as work:
        given = give_lines(db_session(), account, chosen, now=now(), actor_staff_id=g.staff.id)
    if work.refusal is not None:  # a lawyer left with no line
        flash(str(work.refusal))
    elif account.role is Role.LAWYER:
        flash(
            _("%(username)s now works on the cases of the lines ticked.", username=account.username)
        )
    elif given:
        flash(
            _("%(username)s now sees the figures of the lines ticked.", username=account.username)
        )
    else:
        flash(_("%(username)s now sees every line together.", username=account.username))
    return redirect(url_for("admin.staff", _anchor=f"account-{account.id}"))
