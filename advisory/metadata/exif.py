"""Exif (a TIFF structure), read for what it reveals, and the one Exif the cleaners write: a
lone Orientation, so that a photo still shows the right way up.

Reading is defensive and never raises: an IFD whose offset or entries run past the end is
skipped, each IFD is visited at most once (an IFD pointing to itself or to an earlier one is
not read again), and nothing is read beyond the entries' tags, the Orientation and the IFD
pointers. IFDs are visited in a fixed order (IFD0, the Exif IFDs, the GPS IFD, then IFD1), the
same as the browser's cleaner, so both find the same in the same damaged bytes.

What is found (each tag of IFD0 and of the Exif IFD that is not structure):

- a readable GPS IFD: "gps_position"; a readable IFD1 (the thumbnail's): "thumbnail";
- Make, Model: "camera_model"; DateTime, DateTimeOriginal, DateTimeDigitized: "date_taken";
  Artist: "author"; Software: "software"; ImageDescription: "description";
- any other tag: "other_exif". Orientation and the pointers to the Exif, GPS and
  Interoperability IFDs are structure, not findings.
"""

from __future__ import annotations

from typing import Literal

from advisory.metadata.findings import (
    AUTHOR,
    CAMERA_MODEL,
    DATE_TAKEN,
    DESCRIPTION,
    GPS_POSITION,
    OTHER_EXIF,
    SOFTWARE,
    THUMBNAIL,
)

# What starts the payload of a JPEG APP1 Exif segment (and sometimes a WebP EXIF chunk).
EXIF_PREFIX = b"Exif\x00\x00"

ORIENTATION = 0x0112
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
INTEROPERABILITY_IFD = 0xA005
SHORT = 3
ENTRY_BYTES = 12

TAG_FINDINGS = {
    0x010F: CAMERA_MODEL,  # Make
    0x0110: CAMERA_MODEL,  # Model
    0x0132: DATE_TAKEN,  # DateTime
    0x9003: DATE_TAKEN,  # DateTimeOriginal
    0x9004: DATE_TAKEN,  # DateTimeDigitized
    0x013B: AUTHOR,  # Artist
    0x0131: SOFTWARE,  # Software
    0x010E: DESCRIPTION,  # ImageDescription
}
STRUCTURAL_TAGS = frozenset({ORIENTATION, EXIF_IFD, GPS_IFD, INTEROPERABILITY_IFD})


class _Tiff:
    """A TIFF byte string in its byte order; reads past the end give None."""

    def __init__(self, data: bytes, byteorder: Literal["little", "big"]) -> None:
        self.data = data
        self.byteorder: Literal["little", "big"] = byteorder
        self.visited: set[int] = set()

    def u16(self, offset: int) -> int | None:
        if offset + 2 > len(self.data):
            return None
        return int.from_bytes(self.data[offset : offset + 2], self.byteorder)

    def u32(self, offset: int) -> int | None:
        if offset + 4 > len(self.data):
            return None
        return int.from_bytes(self.data[offset : offset + 4], self.byteorder)

    def visit(self, offset: int | None) -> tuple[range, int] | None:
        """The entry offsets of the IFD at `offset` and the offset of the next IFD (0 if
        none); None for no offset, an IFD already visited, or one that does not fit."""
        if not offset or offset in self.visited:
            return None
        self.visited.add(offset)
        count = self.u16(offset)
        if count is None or offset + 2 + count * ENTRY_BYTES > len(self.data):
            return None
        entries = range(offset + 2, offset + 2 + count * ENTRY_BYTES, ENTRY_BYTES)
        return entries, self.u32(offset + 2 + count * ENTRY_BYTES) or 0


def read_exif(tiff_bytes: bytes, found: set[str]) -> int | None:
    """Add the findings of an Exif TIFF structure to `found`; its Orientation if 1 to 8.

    `tiff_bytes` starts at the "II*\\0" or "MM\\0*" header.
    """
    tiff = _tiff_of(tiff_bytes)
    if tiff is None:
        return None
    ifd0 = tiff.visit(tiff.u32(4))
    if ifd0 is None:
        return None
    entries, next_ifd = ifd0
    orientation = None
    exif_ifds: list[int | None] = []
    gps_offset: int | None = None
    for entry in entries:
        tag = tiff.u16(entry)
        if tag == ORIENTATION and tiff.u16(entry + 2) == SHORT:
            value = tiff.u16(entry + 8)
            orientation = value if value is not None and 1 <= value <= 8 else None
        elif tag == EXIF_IFD:
            exif_ifds.append(tiff.u32(entry + 8))
        elif tag == GPS_IFD:
            gps_offset = tiff.u32(entry + 8)
    _add_tag_findings(tiff, entries, found)
    for offset in exif_ifds:
        exif_ifd = tiff.visit(offset)
        if exif_ifd is not None:
            _add_tag_findings(tiff, exif_ifd[0], found)
    if tiff.visit(gps_offset) is not None:
        found.add(GPS_POSITION)
    if tiff.visit(next_ifd) is not None:
        found.add(THUMBNAIL)
    return orientation


def _add_tag_findings(tiff: _Tiff, entries: range, found: set[str]) -> None:
    for entry in entries:
        tag = tiff.u16(entry)
        if tag not in STRUCTURAL_TAGS:
            found.add(TAG_FINDINGS.get(tag or 0, OTHER_EXIF))


def _tiff_of(data: bytes) -> _Tiff | None:
    if len(data) < 8:
        return None
    if data.startswith(b"II*\x00"):
        return _Tiff(data, "little")
    if data.startswith(b"MM\x00*"):
        return _Tiff(data, "big")
    return None


def orientation_tiff(orientation: int) -> bytes:
    """A minimal Exif TIFF: big-endian ("MM"), IFD0 with only the Orientation (one SHORT),
    no next IFD. 26 bytes, the same as the browser's cleaner writes."""
    if not 1 <= orientation <= 8:
        raise ValueError(f"metadata: orientation {orientation} is not 1 to 8")
    return (
        b"MM\x00*\x00\x00\x00\x08"  # header: big-endian, IFD0 at 8
        + b"\x00\x01"  # one entry
        + ORIENTATION.to_bytes(2, "big")
        + SHORT.to_bytes(2, "big")
        + (1).to_bytes(4, "big")  # count
        + orientation.to_bytes(2, "big")
        + b"\x00\x00"  # the rest of the value field
        + b"\x00\x00\x00\x00"  # no next IFD
    )
