"""The staff accounts page: administrators add, deactivate, reactivate and reset accounts.

Each action is the service the `flask --app advisory staff …` commands call, which also
writes the audit events; a view only checks the form, calls it, commits and answers. A new
one-time password is shown once, on the answer to the post that made it, and kept nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from advisory.admin.forms import ROLE_LABELS, USERNAME_TAKEN, ActionForm, AddStaffForm, ConfirmForm
from advisory.auth.access import require_role
from advisory.context import data_key, db_session, now
from advisory.models import Role, Staff
from advisory.services import staff as service
from advisory.services.line_settings import all_lines
from advisory.services.staff import Deactivation, NewStaff, StaffError
from advisory.services.staff_lines import lines_by_staff
from advisory.transaction import unit_of_work

bp = Blueprint("admin", __name__, url_prefix="/staff/admin")


@dataclass(frozen=True)
class AccountRow:
    """What the page says of an account: status words only, never a hash, seed or key."""

    id: int
    username: str
    role: Role
    active: bool
    enrolled: bool  # chose their own password and connected an authenticator app
    key_pair: bool | None  # lawyers: has their browser made their key pair
    is_me: bool


@dataclass(frozen=True)
class Unconfirmed:
    """A deactivate or reset posted without its box ticked: which row, which form."""

    staff_id: int
    action: str
    message: str


@bp.get("/staff")
@require_role(Role.ADMIN)
def staff() -> str:
    return render_staff()


@bp.post("/staff")
@require_role(Role.ADMIN)
def add() -> Response | tuple[str, int]:
    form = AddStaffForm().with_lines(all_lines(db_session()))
    if not form.validate_on_submit():
        return render_staff(add_form=form), 400
    # What the form checked cannot fail here, but someone may have taken the name since.
    with unit_of_work(StaffError, IntegrityError) as work:
        new = service.add_staff(
            db_session(),
            username=form.username.data or "",
            role=form.chosen_role,
            data_key=data_key(),
            now=now(),
            line_id=form.chosen_line_id,
        )
    if work.refusal is not None:
        form.username.errors = [USERNAME_TAKEN]
        return render_staff(add_form=form), 400
    return hand_over(new, "added")


@bp.post("/staff/<id:staff_id>/deactivate")
@require_role(Role.ADMIN)
def deactivate(staff_id: int) -> Response | tuple[str, int]:
    own = _("You cannot deactivate your own account.")
    account = _confirmed_account(staff_id, "deactivate", not_yourself=own)
    if not isinstance(account, Staff):
        return account
    with unit_of_work():
        done = service.deactivate_staff(db_session(), username=account.username, now=now())
    _say_deactivated(done)
    return redirect(url_for("admin.staff"), code=303)


@bp.post("/staff/<id:staff_id>/reactivate")
@require_role(Role.ADMIN)
def reactivate(staff_id: int) -> Response | tuple[str, int]:
    account = _account_or_404(staff_id)
    ActionForm()  # CSRF is checked before any view runs; the form has nothing else
    with unit_of_work(StaffError) as work:
        new = service.reactivate_staff(
            db_session(), username=account.username, data_key=data_key(), now=now()
        )
    if work.refusal is not None:  # the one refusal left for an account that exists: active
        message = _("%(username)s is already active.", username=account.username)
        return render_staff(refusal=message), 409
    return hand_over(new, "reactivated")


@bp.post("/staff/<id:staff_id>/reset")
@require_role(Role.ADMIN)
def reset(staff_id: int) -> Response | tuple[str, int]:
    own = _(
        "You cannot reset your own account. Change your password on your own page, or ask "
        "another administrator."
    )
    account = _confirmed_account(staff_id, "reset", not_yourself=own)
    if not isinstance(account, Staff):
        return account
    with unit_of_work(StaffError) as work:
        new = service.reset_staff(
            db_session(), username=account.username, data_key=data_key(), now=now()
        )
    if work.refusal is not None:  # the one refusal left for an account that exists: inactive
        message = _(
            "%(username)s is deactivated. Reactivate the account instead: that also gives a "
            "new one-time password.",
            username=account.username,
        )
        return render_staff(refusal=message), 409
    return hand_over(new, "reset")


def _confirmed_account(staff_id: int, action: str, *, not_yourself: str) -> Staff | tuple[str, int]:
    """The account a deactivation or reset names, or the page that refuses it: never one's
    own account, and only with its confirmation box ticked."""
    account = _account_or_404(staff_id)
    if account.id == g.staff.id:
        return render_staff(refusal=not_yourself), 400
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_staff(unconfirmed=_unconfirmed(account, action, form)), 400
    return account


# --- pages -------------------------------------------------------------------------------------


def render_staff(
    add_form: AddStaffForm | None = None,
    *,
    refusal: str | None = None,
    unconfirmed: Unconfirmed | None = None,
) -> str:
    me: Staff = g.staff
    rows = [_row(account, me) for account in service.list_staff(db_session())]
    lines = all_lines(db_session())
    return render_template(
        "admin/staff.html",
        rows=rows,
        add_form=add_form or AddStaffForm(formdata=None).with_lines(lines),
        action_form=ConfirmForm(formdata=None),  # the CSRF token of every row's forms
        role_labels=ROLE_LABELS,
        refusal=refusal,
        unconfirmed=unconfirmed,
        lines=lines,
        given_lines=lines_by_staff(db_session()),
    )


def hand_over(new: NewStaff, reason: str) -> Response:
    """The one-time password, this once. The TOTP seed is not shown: enrolment replaces it."""
    page = render_template(
        "admin/handover.html",
        username=new.staff.username,
        role=new.staff.role,
        role_labels=ROLE_LABELS,
        one_time_password=new.one_time_password,
        reason=reason,
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _row(account: Staff, me: Staff) -> AccountRow:
    return AccountRow(
        id=account.id,
        username=account.username,
        role=account.role,
        active=account.active,
        enrolled=not account.must_change_password and account.totp_confirmed,
        key_pair=account.public_key is not None if account.role is Role.LAWYER else None,
        is_me=account.id == me.id,
    )


def _say_deactivated(done: Deactivation) -> None:
    name = done.staff.username
    flash(
        _("%(username)s is deactivated: signed out everywhere, and cannot sign in.", username=name)
    )
    if done.unassigned:
        flash(
            ngettext(
                "%(num)d open case is unassigned again.",
                "%(num)d open cases are unassigned again.",
                len(done.unassigned),
            )
        )
    if done.rotation_advised:
        flash(
            _(
                "%(username)s held the line key. The lawyers who hold it are offered a new line"
                " key on their Colleagues page, so that new reports are sealed to a key"
                " %(username)s never held.",
                username=name,
            )
        )


def _unconfirmed(account: Staff, action: str, form: ConfirmForm) -> Unconfirmed:
    errors = form.confirm.errors or [_("Tick the box to confirm, then press the button.")]
    return Unconfirmed(account.id, action, str(errors[0]))


def _account_or_404(staff_id: int) -> Staff:
    account = db_session().get(Staff, staff_id)
    if account is None:
        abort(404)
    return account
