"""What a reporter reads when the line refuses a report, a message or a booking.

The services name the problem; the words live here, so they pass through the catalogue and
reach the reader in their own language.
"""

from __future__ import annotations

from flask_babel import gettext as _

from advisory.services.callbacks import SlotProblem, SlotUnavailable
from advisory.services.intake import IntakeError, IntakeProblem


def intake_refusal(error: IntakeError) -> str:
    problem = error.problem
    if problem is IntakeProblem.NOT_READY:
        return _("The line is not ready to take reports yet.")
    if problem is IntakeProblem.OLD_KEY:
        return _("The page used an old key; reload it and send again.")
    if problem is IntakeProblem.NO_REFERENCE:
        return _("Could not allocate a case reference; please try again.")
    return _("The encrypted text arrived damaged; please send it again.")


def slot_refusal(error: SlotUnavailable) -> str:
    problem = error.problem
    if problem is SlotProblem.NONE_FREE:
        return _("No callback time is free in the coming weeks.")
    if problem is SlotProblem.NOTHING_BOOKED:
        return _("There is no booked callback to move.")
    return _("That time is no longer available; please choose another.")
