"""What a reporter reads when the line refuses a report, a message or a booking.

The services name the problem; the words live here, so they pass through the catalogue and
reach the reader in their own language.
"""

from __future__ import annotations

from flask_babel import gettext as _

from advisory.services.callbacks import SlotProblem, SlotUnavailable
from advisory.services.intake import IntakeError, IntakeProblem


def intake_refusal(error: IntakeError) -> str:
    texts = {
        IntakeProblem.NOT_READY: _("The line is not ready to take reports yet."),
        IntakeProblem.OLD_KEY: _("The page used an old key; reload it and send again."),
        IntakeProblem.NO_REFERENCE: _("Could not allocate a case reference; please try again."),
        IntakeProblem.DAMAGED: _("The encrypted text arrived damaged; please send it again."),
    }
    return texts[error.problem]


def slot_refusal(error: SlotUnavailable) -> str:
    texts = {
        SlotProblem.TAKEN: _("That time is no longer available; please choose another."),
        SlotProblem.NONE_FREE: _("No callback time is free in the coming weeks."),
        SlotProblem.NOTHING_BOOKED: _("There is no booked callback to move."),
    }
    return texts[error.problem]
