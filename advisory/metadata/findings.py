"""Finding keys (what a cleaner found in a file, in words the pages translate) and the result.

The keys and their order are shared with the browser's cleaner (advisory/static/js/metadata
/findings.js): a result lists each key once, in the order of FINDING_KEYS, whatever order the
file held them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

GPS_POSITION = "gps_position"
CAMERA_MODEL = "camera_model"
DATE_TAKEN = "date_taken"
AUTHOR = "author"
SOFTWARE = "software"
DESCRIPTION = "description"
COMMENT = "comment"
XMP = "xmp"
IPTC = "iptc"
THUMBNAIL = "thumbnail"
TRAILING_DATA = "trailing_data"
TIMESTAMP = "timestamp"
OTHER_EXIF = "other_exif"
TEXT_CHUNKS = "text_chunks"
CONTENT_CREDENTIALS = "content_credentials"  # C2PA manifests (JUMBF), which can name the creator
OTHER_METADATA = "other_metadata"  # a dropped segment, chunk or extension no other key names

FINDING_KEYS = (
    GPS_POSITION,
    CAMERA_MODEL,
    DATE_TAKEN,
    AUTHOR,
    SOFTWARE,
    DESCRIPTION,
    COMMENT,
    XMP,
    IPTC,
    THUMBNAIL,
    TRAILING_DATA,
    TIMESTAMP,
    OTHER_EXIF,
    TEXT_CHUNKS,
    CONTENT_CREDENTIALS,
    OTHER_METADATA,
)


def ordered(found: Iterable[str]) -> tuple[str, ...]:
    """Finding keys in the order of FINDING_KEYS, each once."""
    keys = set(found)
    unknown = keys.difference(FINDING_KEYS)
    if unknown:
        raise ValueError(f"metadata: unknown finding keys {sorted(unknown)}")
    return tuple(key for key in FINDING_KEYS if key in keys)


@dataclass(frozen=True)
class Stripped:
    """A cleaned file and what the cleaner found.

    `removed`: what was in the file and is not in `data`. `found_not_removed`: what is still
    in `data` (a PDF, which is never rewritten). `orientation`: the Exif Orientation (2 to 8)
    that `data` still carries so that a photo shows the right way up; None when it carries
    none. The repr leaves out the file itself: evidence never goes to a log.
    """

    data: bytes = field(repr=False)
    removed: tuple[str, ...] = ()
    found_not_removed: tuple[str, ...] = ()
    orientation: int | None = None

    def __post_init__(self) -> None:
        for keys in (self.removed, self.found_not_removed):
            if keys != ordered(keys):
                raise ValueError(f"metadata: finding keys {keys} are not in FINDING_KEYS order")
        if self.orientation is not None and not 2 <= self.orientation <= 8:
            raise ValueError(f"metadata: orientation {self.orientation} is not 2 to 8")
