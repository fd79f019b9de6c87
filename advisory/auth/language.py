"""A staff member chooses the language of their own pages, kept on their account."""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from werkzeug.wrappers import Response

from advisory.auth.access import ALL_ROLES, require_role
from advisory.auth.forms import StaffLanguageForm
from advisory.auth.routes import bp, render_home
from advisory.services.staff_language import choose_language
from advisory.transaction import unit_of_work


@bp.post("/language")
@require_role(*ALL_ROLES)
def choose_own_language() -> Response | tuple[str, int]:
    form = StaffLanguageForm()
    if not form.validate_on_submit():
        return render_home(language_form=form), 400
    with unit_of_work():
        choose_language(g.staff, form.language.data or None)
    refresh()  # the message below is in the language just chosen
    flash(_("Your pages are now in this language."))
    return redirect(url_for("auth.home", _anchor="language"))
