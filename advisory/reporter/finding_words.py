"""Plain words for the identifying details metadata removal finds in a file.

The keys are advisory/metadata's finding keys. The reporter's page says which were removed
from each file before it was sealed; the lawyer's case page says the same of each file.
Both pages' scripts read them as `finding-<key>` texts.
"""

from __future__ import annotations

from flask_babel import gettext as _

from advisory.metadata import FINDING_KEYS
from advisory.reporter.routes import bp


@bp.app_template_global()
def finding_words() -> dict[str, str]:
    """`finding-<key>` → the words for it, in this request's language."""
    words = {
        "gps_position": _("GPS position"),
        "camera_model": _("camera make and model"),
        "date_taken": _("date taken"),
        "author": _("author's name"),
        "software": _("software used"),
        "description": _("description"),
        "comment": _("comments"),
        "xmp": _("XMP details"),
        "iptc": _("IPTC details (such as a byline)"),
        "thumbnail": _("a small preview picture"),
        "trailing_data": _("hidden data after the picture"),
        "timestamp": _("time stamp"),
        "other_exif": _("other camera details"),
        "text_chunks": _("text notes"),
        "content_credentials": _("content credentials (which can name who made the file)"),
        "other_metadata": _("other embedded details"),
    }
    return {f"finding-{key}": words[key] for key in FINDING_KEYS}
