"""A staff member's own language: the pages they see, whatever line or browser."""

from __future__ import annotations

from advisory.line_config import PAGE_LANGUAGES
from advisory.models import Staff


class UnknownLanguage(ValueError):
    """Not one of the languages pages are written in."""


def choose_language(staff: Staff, language: str | None) -> None:
    """Keep `language` for their pages; None goes back to their line's."""
    if language is not None and language not in PAGE_LANGUAGES:
        raise UnknownLanguage(language)
    staff.language = language
