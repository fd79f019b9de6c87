"""JPEG: the segments from SOI to EOI, with the metadata segments left out and everything the
picture needs copied byte for byte: APP0 JFIF, APP2 ICC profile, APP14 Adobe, the tables,
frame and scan headers, and the entropy-coded data with its stuffed bytes (FF00) and restart
markers, for every scan of a progressive JPEG (with tables between the scans).

Left out, each with what it reveals:

    APP0 JFXX (a thumbnail)                  "thumbnail"
    APP1 Exif                                what it holds (see exif.py)
    APP1 XMP, extended XMP                   "xmp"
    APP11 JUMBF (C2PA content credentials)   "content_credentials"
    APP13 (Photoshop, IPTC)                  "iptc"
    COM                                      "comment"
    any other APPn                           "other_metadata"
    anything after EOI                       "trailing_data"

Any other APPn: an APP0 that is not JFIF, an APP1 that is neither Exif nor XMP, an APP2 that
is not an ICC profile (MPF, FlashPix), APP3 to APP10, an APP11 that is not JUMBF, APP12
("Ducky" among them), an APP14 that is not Adobe, APP15. Every other marker is kept.

An Exif Orientation of 2 to 8 comes back as a new APP1 Exif holding only that (big-endian; see
exif.orientation_tiff), where the first Exif segment was; an Orientation of 1, or none, leaves
no Exif at all.

Only the segment structure can make a file unreadable: no SOI ("not_a_jpeg"), a segment
length below 2 ("bad_segment_length"), a length past the end or a scan without an end
("truncated"), no marker where one must be ("bad_marker"). Damaged Exif is read as far as it
goes (see exif.py) and dropped all the same.

Linear in the file's size: the scan data is searched with a compiled pattern, not byte by byte.
"""

from __future__ import annotations

import re

from advisory.metadata.errors import UnreadableFile
from advisory.metadata.exif import EXIF_PREFIX, orientation_tiff, read_exif
from advisory.metadata.findings import (
    COMMENT,
    CONTENT_CREDENTIALS,
    IPTC,
    OTHER_METADATA,
    THUMBNAIL,
    TRAILING_DATA,
    XMP,
    Stripped,
    ordered,
)
from advisory.metadata.reading import Output, need

MARKER = 0xFF
SOI = 0xD8
EOI = 0xD9
SOS = 0xDA
APP0 = 0xE0
APP1 = 0xE1
APP2 = 0xE2
APP11 = 0xEB
APP13 = 0xED
APP14 = 0xEE
APP15 = 0xEF
COM = 0xFE
RST0 = 0xD0
RST7 = 0xD7
TEM = 0x01
STANDALONE = frozenset({EOI, TEM, *range(RST0, RST7 + 1)})

# What starts the payload of the application segments that are kept.
KEPT = {APP0: b"JFIF\x00", APP2: b"ICC_PROFILE\x00", APP14: b"Adobe"}
JFXX_PREFIX = b"JFXX\x00"
XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"
EXTENDED_XMP_PREFIX = b"http://ns.adobe.com/xmp/extension/\x00"
# JUMBF in APP11 (ISO 19566-5, as C2PA embeds it): "JP", a box instance number (2 bytes) and a
# packet sequence number (4), then the superbox's length (4) and its type, "jumb".
JUMBF_PREFIX = b"JP"
JUMBF_BOX_AT = 12
JUMBF_BOX = b"jumb"

# After a marker's 0xFF, the first byte that is not a fill byte (0xFF).
_NOT_FILL = re.compile(rb"[^\xff]")
# In entropy-coded data: a 0xFF that is neither stuffing (FF00) nor a restart marker (FFD0-D7).
_END_OF_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def strip(data: bytes) -> Stripped:
    if not data.startswith(b"\xff\xd8"):
        raise UnreadableFile("not_a_jpeg")
    out = Output(data)
    out.keep(0, 2)
    removed: set[str] = set()
    exif_place: int | None = None
    orientation: int | None = None

    position = 2
    while True:
        code, payload_start, end = _read_segment(data, position)
        if code == EOI:
            out.keep(position, end)
            if end < len(data):
                removed.add(TRAILING_DATA)
            break
        if code == APP1 and data.startswith(EXIF_PREFIX, payload_start, end):
            if exif_place is None:
                exif_place = out.placeholder()
            found = read_exif(data[payload_start + len(EXIF_PREFIX) : end], removed)
            if orientation is None:
                orientation = found
        else:
            finding = _finding(code, data, payload_start, end)
            if finding is None:
                out.keep(position, end)
            else:
                removed.add(finding)
        position = end
        if code == SOS:
            position = _end_of_entropy_coded_data(data, end)
            out.keep(end, position)

    if orientation is not None and orientation != 1 and exif_place is not None:
        out.fill(exif_place, _app1_exif(orientation_tiff(orientation)))
    else:
        orientation = None
    return Stripped(out.finish(), ordered(removed), orientation=orientation)


def _finding(code: int, data: bytes, start: int, end: int) -> str | None:
    """What a segment other than APP1 Exif reveals if it is left out; None if it is kept.
    `data[start:end]` is its payload."""
    if code == COM:
        return COMMENT
    if not APP0 <= code <= APP15:
        return None  # tables, frame and scan headers, and every other marker
    if code in KEPT and data.startswith(KEPT[code], start, end):
        return None
    if code == APP0 and data.startswith(JFXX_PREFIX, start, end):
        return THUMBNAIL
    if code == APP1 and data.startswith((XMP_PREFIX, EXTENDED_XMP_PREFIX), start, end):
        return XMP
    if (
        code == APP11
        and data.startswith(JUMBF_PREFIX, start, end)
        and data.startswith(JUMBF_BOX, start + JUMBF_BOX_AT, end)
    ):
        return CONTENT_CREDENTIALS
    if code == APP13:
        return IPTC
    return OTHER_METADATA


def _read_segment(data: bytes, position: int) -> tuple[int, int, int]:
    """The marker segment at `position`: its marker code, where its payload starts and where
    it ends. Fill bytes (extra 0xFF) before the code belong to the segment."""
    need(data, position, 2)
    if data[position] != MARKER:
        raise UnreadableFile("bad_marker", f"no marker at {position}")
    at = position + 1
    if data[at] == MARKER:
        code_at = _NOT_FILL.search(data, at)
        if code_at is None:
            raise UnreadableFile("truncated", f"fill bytes to the end from {position}")
        at = code_at.start()
    code = data[at]
    if code in STANDALONE:
        return code, at + 1, at + 1
    if code in (SOI, 0x00):
        raise UnreadableFile("bad_marker", f"marker {code:#04x} at {at}")
    need(data, at + 1, 2)
    length = data[at + 1] << 8 | data[at + 2]
    if length < 2:
        raise UnreadableFile("bad_segment_length", f"length {length} at {at}")
    need(data, at + 1, length)
    return code, at + 3, at + 1 + length


def _end_of_entropy_coded_data(data: bytes, start: int) -> int:
    """Where a scan's entropy-coded data, starting at `start`, ends: at the first marker that
    is neither a stuffed 0xFF00 nor a restart marker."""
    end = _END_OF_SCAN.search(data, start)
    if end is None:
        raise UnreadableFile("truncated", "scan data without an end")
    return end.start()


def _app1_exif(tiff: bytes) -> bytes:
    """An APP1 Exif segment around a TIFF structure."""
    length = 2 + len(EXIF_PREFIX) + len(tiff)
    return bytes([MARKER, APP1]) + length.to_bytes(2, "big") + EXIF_PREFIX + tiff
