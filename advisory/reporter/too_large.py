"""The reporter's forms, refused as too large (413), come back with what could be kept.

The rest of the body is read (advisory/too_large.py); on the way, the fields of the form are
kept while they fit the route's limit. The report form comes back filled in, with the same
submission token (nothing was stored, so sending it again still makes one case), and never
with a phone number; the inbox's message comes back ready to send again with the case code
it was sent with. Every other reporter post gets the plain page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import render_template, request
from flask_babel import format_number
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import Form
from wtforms.fields.core import UnboundField

from advisory.body_limits import RefusedBody, read_refused_body
from advisory.reporter.forms import MAX_MESSAGE_CHARS, MAX_NARRATIVE_CHARS, MessageForm, ReportForm
from advisory.reporter.routes import bp, render_report_again
from advisory.services.intake import IntakeError
from advisory.too_large import larger_than, page_above, plain_page, refused_limit


@dataclass(frozen=True)
class _RefillPage:
    """A page shown again with what could be kept of the refused form."""

    fields: tuple[str, ...]
    render: Callable[[RefusedBody, int], str]


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    limit = refused_limit()
    page = _PAGES.get(request.endpoint or "")
    keep = frozenset(page.fields) if page is not None else frozenset()
    refused = read_refused_body(request, keep, budget=limit)
    return (page.render(refused, limit) if page is not None else plain_page(limit)), 413


def _report_page(refused: RefusedBody, limit: int) -> str:
    form = ReportForm(formdata=refused.fields)
    if not form.submission_token.data:  # nothing was stored, so a new token is safe
        form.submission_token.data = secrets.token_urlsafe(24)
    if refused.dropped & {"narrative", "narrative_envelope"}:
        form.narrative.errors = [
            _(
                "This text was too long to take in, so it could not be kept. Please write it "
                "again, at most %(chars)s characters; you can send more afterwards from the "
                "secure inbox.",
                chars=format_number(MAX_NARRATIVE_CHARS),
            )
        ]
    message = larger_than(limit)
    if refused.fields:
        message += " " + _(
            "Everything else you wrote is kept below; only a phone number has to be typed again."
        )
    try:
        return render_report_again(form, message)
    except IntakeError:  # no line key: there is no form to show again
        return plain_page(limit)


def _message_page(refused: RefusedBody, limit: int) -> str:
    form = MessageForm(formdata=refused.fields)
    credential = [(f.name, f.data) for f in (form.code, form.lookup_token) if f.data]
    if not credential:  # without the case code the message cannot be sent again from here
        return plain_page(limit)
    if refused.dropped & {"message", "message_envelope"}:
        problem = _(
            "Your message was too long to take in, so it could not be kept. Please write it "
            "again, at most %(chars)s characters.",
            chars=format_number(MAX_MESSAGE_CHARS),
        )
    else:
        problem = _("Your message is kept below; you can send it again.")
    return render_template(
        "errors/too_large.html",
        problems=[larger_than(limit), problem],
        action=request.path,
        hidden=credential[:1],
        typed_message=form.message.data or "",
        back=page_above(request.path),
    )


def _field_names(form_class: type[Form], leave_out: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The names of a form class's fields (what WTForms binds when the form is made)."""
    return tuple(
        name
        for name in dir(form_class)
        if isinstance(getattr(form_class, name), UnboundField) and name not in leave_out
    )


_REPORT_REFILL = _RefillPage(
    _field_names(ReportForm, leave_out=("phone", "contact_envelope")), _report_page
)
_PAGES = {
    # A phone number is never echoed into a page, not even sealed.
    "reporter.submit_report": _REPORT_REFILL,
    "reporter.report_in_language": _REPORT_REFILL,  # the same form, in another language
    "reporter.send_message": _RefillPage(_field_names(MessageForm), _message_page),
}
