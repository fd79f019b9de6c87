"""A lawyer's keys: handed to their browser, converted there, granted to colleagues from there.

The views pass blobs between browsers and the database; nothing here can open one. Only
lawyers reach them: coordinators and admins never hold or handle key material.
"""

from __future__ import annotations

from flask import abort, g, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

import crypto
from advisory.auth import sessions
from advisory.auth.access import require_role
from advisory.auth.forms import ConvertedKeysForm, GrantForm, RotationForm
from advisory.auth.routes import bp
from advisory.context import data_key, db_session, now
from advisory.models import Role, Staff, WrapKind
from advisory.services import line_key_rotation, staff_keys
from advisory.services.reply_signatures import (
    SignatureError,
    register_signing_key,
    trusted_signing_key,
)
from advisory.services.staff_keys import StaffKeyError
from advisory.transaction import unit_of_work
from advisory.url_converters import row_id


@bp.get("/keys")
@require_role(Role.LAWYER)
def key_material() -> Response:
    """The signed-in lawyer's own pair and grants, for their browser to unlock."""
    material = staff_keys.key_material(db_session(), g.staff)
    signing = trusted_signing_key(g.staff, data_key=data_key())
    response = jsonify(**material, signingPublicKey=signing, csrfToken=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/keys/converted")
@require_role(Role.LAWYER)
def converted_keys() -> Response | tuple[Response, int]:
    """A key pair made at the first sign-in after the upgrade, and wraps under the password
    turned into grants to it."""
    form = ConvertedKeysForm()
    staff: Staff = g.staff
    with unit_of_work(StaffKeyError, SignatureError) as work:
        if not form.validate_on_submit():
            raise StaffKeyError("bad_form")
        pair = staff_keys.parse_key_pair(form.public_key.data, form.wrapped_private_key.data)
        if pair is not None and staff.public_key is not None:
            raise StaffKeyError("has_pair")  # a pair is replaced only at enrolment
        if pair is not None:
            staff_keys.replace_key_pair(db_session(), staff, pair, data_key=data_key(), now=now())
        signing = form.signing_public_key.data
        trusted = trusted_signing_key(staff, data_key=data_key())
        if signing and staff.public_key is not None and trusted is None:
            # Only a key pair without a signing key yet gets one: never replaced afterwards.
            register_signing_key(staff, signing, data_key=data_key())
        staff_keys.store_grants(
            db_session(),
            staff,
            staff_keys.parse_grants(form.grants.data),
            kinds=(WrapKind.STAFF,),
            new_rows=False,
            now=now(),
        )
    if work.refusal is not None:
        return jsonify(stored=False, reason=work.refusal.args[0]), 400
    return jsonify(stored=True)


@bp.get("/colleagues")
@require_role(Role.LAWYER)
def colleagues() -> str:
    return _render_colleagues()


@bp.post("/colleagues/<id:staff_id>/grant")
@require_role(Role.LAWYER)
def grant(staff_id: int) -> Response | tuple[str, int]:
    colleague = _colleague_or_404(staff_id)
    form = GrantForm()
    if not form.validate_on_submit():
        return _render_colleagues(problem=_("Granting needs JavaScript.")), 400
    with unit_of_work(StaffKeyError) as work:
        staff_keys.store_grants(
            db_session(),
            colleague.staff,
            staff_keys.parse_grants(form.grants.data),
            kinds=(),  # only keys they lack: a colleague never replaces what someone holds
            granted_by=g.staff,
            now=now(),
        )
    if work.refusal is not None:
        return _render_colleagues(
            problem=_(
                "The line key could not be given to %(name)s. Please try again.",
                name=colleague.staff.username,
            )
        ), 400
    return redirect(url_for("auth.colleagues", granted=colleague.staff.username))


@bp.post("/line-key/rotate")
@require_role(Role.LAWYER)
def rotate_line_key() -> Response | tuple[str, int]:
    """A new line key from this lawyer's browser, for every current holder."""
    form = RotationForm()
    problem = _("The new line key could not be started. Nothing was changed; please try again.")
    if not form.validate_on_submit():
        return _render_colleagues(problem=_("Starting a new line key needs JavaScript.")), 400
    line = row_id(form.line.data) if form.line.data else None
    if form.line.data and line is None:  # no page of ours sends a line that is no row id
        return _render_colleagues(problem=problem), 400
    with unit_of_work(line_key_rotation.RotationError, StaffKeyError) as work:
        line_key_rotation.rotate_from_browser(
            db_session(),
            g.staff,
            public_key=form.public_key.data or "",
            grants=staff_keys.parse_grants(form.grants.data, keys=staff_keys.STAFF_ID),
            recovery_grant=form.recovery_grant.data or "",
            data_key=data_key(),
            now=now(),
            line_id=line,
        )
    if work.refusal is not None:
        if work.refusal.args[0] == "holders_changed":
            problem = _(
                "Who holds the line key changed while the page was open. Nothing was changed;"
                " please try again."
            )
        return _render_colleagues(problem=problem), 400
    return redirect(url_for("auth.colleagues", rotated=1))


def _colleague_or_404(staff_id: int) -> staff_keys.Colleague:
    found = [c for c in staff_keys.colleagues(db_session(), g.staff) if c.staff.id == staff_id]
    if not found:
        abort(404)
    return found[0]


def _render_colleagues(problem: str | None = None) -> str:
    staff: Staff = g.staff
    return render_template(
        "auth/colleagues.html",
        staff=staff,
        colleagues=staff_keys.colleagues(db_session(), staff),
        holds_keys=staff_keys.holds_line_keys(db_session(), staff),
        form=GrantForm(),
        problem=problem,
        rotations=line_key_rotation.rotation_states(db_session(), staff, data_key=data_key()),
        rotation_form=RotationForm(),
    )


@bp.app_template_global()
def staff_instance_id() -> str:
    """This installation's public id: part of the salt a browser derives staff keys with."""
    return crypto.instance_id(data_key())


@bp.app_template_global()
def staff_idle_seconds() -> int:
    """The session's idle timeout, for the page's timer that drops unlocked keys with it."""
    return int(sessions.IDLE_TIMEOUT.total_seconds())
