"""What a reporter reads when the line refuses a report, a message or a booking.

The services name the problem; the words live here, so they pass through the catalogue and
reach the reader in their own language.
"""

from __future__ import annotations

from flask_babel import gettext as _

from advisory.services.attachments import AttachmentRefused
from advisory.services.callbacks import SlotProblem, SlotUnavailable
from advisory.services.intake import IntakeError, IntakeProblem
from advisory.services.sealed_input import SealedInputRefused, SealedProblem
from advisory.settings import AttachmentLimits

Problem = IntakeProblem | SealedProblem | SlotProblem


def intake_refusal(error: IntakeError) -> str:
    return _texts()[error.problem]


def sealed_refusal(error: SealedInputRefused) -> str:
    return _texts()[error.problem]


def slot_refusal(error: SlotUnavailable) -> str:
    return _texts()[error.problem]


def attachment_refusal(refusal: AttachmentRefused, limits: AttachmentLimits) -> str:
    """Why a file was not taken, naming the file when one is to blame."""
    megabytes = limits.max_file_bytes // (1024 * 1024)
    total = limits.max_total_bytes // (1024 * 1024)
    name = refusal.file_name or ""
    texts = {
        "too_many": _("You can attach at most %(count)d files.", count=limits.max_files),
        "too_large": _("The files are %(total)d MB together at most.", total=total),
        "file_too_large": _(
            "The file %(name)s is larger than %(size)d MB.", name=name, size=megabytes
        ),
        "unsupported_type": _(
            "The file %(name)s is not a type we take: pictures (JPEG, PNG, WebP, GIF), PDF,"
            " plain text or sound.",
            name=name,
        ),
        "unreadable": _("The file %(name)s is damaged and cannot be read.", name=name),
        "empty": _("The file %(name)s is empty.", name=name),
    }
    return texts.get(
        refusal.reason, _("A file did not arrive whole; please attach it again and send.")
    )


def _texts() -> dict[Problem, str]:
    """Every problem's words, in the language of this request (the problems' values differ
    across the three kinds, so one table holds them all)."""
    return {
        IntakeProblem.NOT_READY: _("The line is not ready to take reports yet."),
        IntakeProblem.NO_REFERENCE: _("Could not allocate a case reference; please try again."),
        SealedProblem.DAMAGED: _("The encrypted text arrived damaged; please send it again."),
        SealedProblem.TOO_LARGE: _(
            "The encrypted text is larger than this form takes; please shorten it and send again."
        ),
        SealedProblem.UNKNOWN_KEY: _("The page used an old key; reload it and send again."),
        SealedProblem.OTHER_LINE: _(
            "The page was sealed for another line; reload this page and send again."
        ),
        SealedProblem.BAD_KEY: _("The page sent a damaged reply key; reload it and send again."),
        SealedProblem.BAD_TOKEN: _("The page sent a damaged code; please send again."),
        SlotProblem.TAKEN: _("That time is no longer available; please choose another."),
        SlotProblem.NONE_FREE: _("No callback time is free in the coming weeks."),
        SlotProblem.NOTHING_BOOKED: _("There is no booked callback to move."),
    }
