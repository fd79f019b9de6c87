"""Words for the lawyers' pages: why an action or a call was refused, and what the audit
trail's actions mean."""

from __future__ import annotations

from flask_babel import gettext as _

from advisory.lawyers.routes import column_labels, status_names
from advisory.models import CallbackStatus, CaseStatus, CloseOutcome, Happened


def refusal(reason: str, otherwise: str | None = None) -> str:
    """The explanation for a service's refusal `reason`; `otherwise` for one without its own."""
    texts = {
        "closed": _("The case is closed; nothing more can be done with it."),
        "not_a_colleague": _("That person is not a lawyer on this line."),
        "declined_by_them": _("That lawyer has declined this case."),
        "held_by_colleague": _(
            'A colleague holds this case: use "Take over the case" to take it from them.'
        ),
        "assigned_to_someone_else": _("Only the lawyer the case is assigned to can decline it."),
        "not_sealed": _("The reply did not arrive sealed; nothing was sent. Please try again."),
        "bad_signature": _(
            "Your signature on the reply did not hold, so nothing was sent. Sign out, sign in"
            " again and send it once more."
        ),
        "no_reply_key": _(
            "This case has no secure inbox (it came in by phone), so it cannot get a written reply."
        ),
        "reply_key_damaged": _(
            "This case's reply key was stored damaged, so a written reply cannot be sealed to"
            " the reporter. Nothing else about the case is affected."
        ),
        "no_line_key": _("The line has no key to seal a copy of the reply to."),
        "too_long": _("The reply is too long to seal; please shorten it."),
        "unknown_status": _("That status cannot be chosen here."),
        "number_gone": _("The number is no longer stored: the callback is done or cancelled."),
        "already_logged": _("That callback has already been logged."),
        "not_found": _("That callback does not belong to this case."),
        # Recording a call
        "no_line": _("Your account belongs to no line, so you cannot record calls."),
        "not_ready": _("The line has no key yet, so nothing can be recorded."),
        "damaged": _("The encrypted note arrived damaged; please save again."),
        "unknown_key": _("The page used a key this line does not have; reload it and save again."),
        "note_too_long": _("The note is too long to encrypt; please shorten it."),
        "no_reference": _("No case reference could be allocated; please save again."),
    }
    return texts.get(reason, otherwise or _("That could not be done."))


def action_names() -> dict[str, str]:
    return {
        "case.opened": _("opened the case"),
        "evidence.read": _("opened an evidence file"),
        "case.taken": _("took the case"),
        "case.assigned": _("gave the case to a colleague"),
        "case.declined": _("declined (conflict of interest)"),
        "case.replied": _("replied to the reporter"),
        "case.status_changed": _("changed the status"),
        "case.closed": _("closed the case"),
        "case.phone_intake": _("recorded a phone call"),
        "case.voicemail_intake": _("recorded a voicemail"),
        "callback.number_revealed": _("revealed the phone number"),
        "callback.logged": _("logged a callback"),
    }


def labels() -> dict[str, dict[str, str]]:
    """The queue's names for answers, plus what only the case page shows."""
    names = column_labels()
    names["status"] = {str(key): value for key, value in status_names().items()}
    names["status"][CaseStatus.CLOSED] = _("Closed")
    names["happened"] = {
        Happened.LAST_30_DAYS: _("In the last 30 days"),
        Happened.LAST_YEAR: _("In the last year"),
        Happened.EARLIER: _("Earlier"),
    }
    names["outcome"] = {
        CloseOutcome.ADVICE_GIVEN: _("Advice given"),
        CloseOutcome.REFERRED: _("Referred elsewhere"),
        CloseOutcome.NO_CONTACT: _("No contact"),
        CloseOutcome.WITHDRAWN: _("Withdrawn by the reporter"),
        CloseOutcome.OTHER: _("Other"),
    }
    names["callback"] = {
        CallbackStatus.BOOKED: _("booked"),
        CallbackStatus.REACHED: _("reached"),
        CallbackStatus.NO_ANSWER: _("no answer"),
        CallbackStatus.WRONG_NUMBER: _("wrong number"),
        CallbackStatus.CANCELLED: _("cancelled"),
        CallbackStatus.MISSED: _("missed"),
    }
    return names
