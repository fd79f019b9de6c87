"""Identifying metadata taken out of a reporter's evidence before it is sealed.

    from advisory.metadata import UnreadableFile, strip
    cleaned = strip(data, "image/jpeg")  # cleaned.data, .removed, .found_not_removed

Small, strict parsers of the file structure only: no image decoding, no third-party library,
time linear in the file's size. What each format loses and keeps is in its module:

    jpeg.py      every APPn but APP0 JFIF, APP2 ICC and APP14 Adobe (an Exif Orientation of 2
                 to 8 is written back), COM, trailing data
    png.py       tEXt, zTXt, iTXt, eXIf, tIME, caBX, trailing data
    webp.py      every chunk but the picture's and ICCP (and the VP8X flags), trailing data
    gif.py       Comment, and application extensions but the loop count, trailing data
    pdf.py       never rewritten: what it still reveals is reported
    exif.py      Exif read for findings, and the Orientation-only Exif written back
    findings.py  the finding keys, in the order results list them, and `Stripped`
    errors.py    UnsupportedType, UnreadableFile and its reason keys
    reading.py   bounds-checked reads, and output assembled from slices of the input

Plain text and audio pass through unchanged. An unknown media type is `UnsupportedType`; a
damaged or hostile file is `UnreadableFile(reason)` and nothing else. The browser's cleaner
(advisory/static/js/metadata) does the same, byte for byte, with the same keys; the shared
fixtures are tests/metadata_fixtures.py.

A domain module: the standard library and this package only (no Flask, no database).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from advisory.metadata import gif, jpeg, pdf, png, webp
from advisory.metadata.errors import REASONS, UnreadableFile, UnsupportedType
from advisory.metadata.findings import FINDING_KEYS, Stripped

__all__ = [
    "CLEANERS",
    "FINDING_KEYS",
    "REASONS",
    "Stripped",
    "UnreadableFile",
    "UnsupportedType",
    "inspect_pdf",
    "strip",
]

CLEANERS: dict[str, Callable[[bytes], Stripped]] = {
    "image/jpeg": jpeg.strip,
    "image/png": png.strip,
    "image/webp": webp.strip,
    "image/gif": gif.strip,
    "application/pdf": pdf.inspect,
}
_PASSED_THROUGH = re.compile(r"text/plain|audio/[^/]+")


def strip(data: bytes, media_type: str) -> Stripped:
    """The file without its identifying metadata, and what was taken out or is still in it.

    `media_type` exactly as the browser gives it ("image/jpeg", "audio/ogg", …).
    """
    if not isinstance(data, bytes):
        raise TypeError("metadata: strip takes the file's bytes as bytes")
    cleaner = CLEANERS.get(media_type)
    if cleaner is not None:
        return cleaner(data)
    if _PASSED_THROUGH.fullmatch(media_type):
        return Stripped(data)
    raise UnsupportedType(media_type)


def inspect_pdf(data: bytes) -> Stripped:
    """A PDF, unchanged, with what it still reveals in `found_not_removed`."""
    return pdf.inspect(data)
