"""The two errors a cleaner raises, and the stable reason keys of the second.

A damaged or hostile file ends in `UnreadableFile` and nothing else. Its `reason` is one of
REASONS, the same key the browser's cleaner (advisory/static/js/metadata) gives for the same
bytes, so a page can translate it and a log can count it. Neither message holds file content.
"""

from __future__ import annotations

REASONS = (
    "not_a_jpeg",
    "not_a_png",
    "not_a_webp",
    "not_a_gif",
    "not_a_pdf",
    "truncated",  # the file ends before a structure it announces (a length, a scan, a trailer)
    "bad_marker",  # JPEG: no marker where one must be, or a marker that cannot be there
    "bad_segment_length",  # JPEG: a segment length below 2
    "bad_chunk_length",  # PNG: a chunk length above 2**31 - 1
    "bad_crc",  # PNG: a chunk whose CRC does not match
    "missing_ihdr",  # PNG: the first chunk is not IHDR
    "missing_iend",  # PNG: the chunks end without IEND
    "bad_riff_size",  # WebP: a RIFF size too small to hold the "WEBP" form type
    "bad_block",  # GIF: a block that is neither an extension, an image nor the trailer
)
_LONGEST_SHOWN_TYPE = 80


class UnsupportedType(ValueError):
    """The media type is not one this package knows how to clean."""

    def __init__(self, media_type: str) -> None:
        super().__init__(f"no metadata cleaner for {media_type[:_LONGEST_SHOWN_TYPE]!r}")
        self.media_type = media_type


class UnreadableFile(ValueError):
    """The file does not have the structure its media type promises."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"metadata: {reason!r} is not one of REASONS")
        super().__init__(f"unreadable file: {detail or reason}")
        self.reason = reason
