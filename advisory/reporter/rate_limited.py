"""The reporter's pages over a rate limit: the same page again, everything typed kept except
the phone number, and the local time at which to try again (advisory/ratelimit.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import render_template, request
from flask_babel import gettext as _

from advisory.ratelimit import LimitedPage, plain_page, register_limited_pages, too_many
from advisory.reporter.forms import CaseCodeForm, EraseForm, MessageForm, RebookForm, ReportForm
from advisory.reporter.routes import bp, render_report_again
from advisory.services.intake import IntakeError


def _report_page(when: datetime | None) -> str:
    message = too_many(
        when, _("What you wrote is still below; only a phone number has to be typed again.")
    )
    try:
        return render_report_again(ReportForm(), message)
    except IntakeError:  # no line key: there is no form to show again
        return plain_page(when)


def _code_page(when: datetime | None) -> str:
    return render_template("reporter/follow_up.html", form=CaseCodeForm(), problem=too_many(when))


def _resend_page(form_class: type[CaseCodeForm]) -> Callable[[datetime | None], str]:
    """The post again, ready to send: the case code as the inbox had it, the message as typed."""

    def page(when: datetime | None) -> str:
        form = form_class()
        kept = [f for f in form if f.data and f.name not in ("csrf_token", "submit", "message")]
        return render_template(
            "errors/rate_limited.html",
            message=too_many(when, _("What you sent is kept here; send it again after that.")),
            action=request.path,
            hidden=[(f.name, f.data) for f in kept],
            typed_message=form.message.data if isinstance(form, MessageForm) else None,
        )

    return page


PAGES: dict[str, LimitedPage] = {
    "reporter.submit_report": _report_page,
    "reporter.open_inbox": _code_page,
    "reporter.send_message": _resend_page(MessageForm),
    "reporter.cancel": _resend_page(CaseCodeForm),
    "reporter.rebook": _resend_page(RebookForm),
    "reporter.erase": _resend_page(EraseForm),
}


bp.record_once(lambda state: register_limited_pages(state.app, PAGES))
