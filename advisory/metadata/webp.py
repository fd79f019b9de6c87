"""WebP: the RIFF chunks the picture needs (VP8, VP8L, VP8X, ALPH, ANIM, ANMF, ICCP) copied
byte for byte with their padding byte, every other chunk left out: EXIF (read like JPEG Exif
for findings), "XMP " ("xmp"), C2PA content credentials ("content_credentials") and any other
("other_metadata"). The VP8X header no longer announces Exif or XMP (flags 0x08 and 0x04
cleared), the RIFF size is made to match, and anything after the RIFF container is dropped
("trailing_data"). What an ANMF frame holds is copied as it is.

Unreadable: no "RIFF" .... "WEBP" header ("not_a_webp"), a RIFF size too small for the form
type ("bad_riff_size"), a RIFF size past the end of the file or a chunk past the end of the
RIFF container ("truncated").
"""

from __future__ import annotations

from advisory.metadata.errors import UnreadableFile
from advisory.metadata.exif import EXIF_PREFIX, read_exif
from advisory.metadata.findings import (
    CONTENT_CREDENTIALS,
    OTHER_METADATA,
    TRAILING_DATA,
    XMP,
    Stripped,
    ordered,
)
from advisory.metadata.reading import Output, need, u32le

HEADER_BYTES = 12
CHUNK_HEADER_BYTES = 8
VP8X_EXIF_FLAG = 0x08
VP8X_XMP_FLAG = 0x04
KEPT = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})


def strip(data: bytes) -> Stripped:
    if not (data.startswith(b"RIFF") and data.startswith(b"WEBP", 8)):
        raise UnreadableFile("not_a_webp")
    riff_end = 8 + u32le(data, 4)
    if riff_end < HEADER_BYTES:
        raise UnreadableFile("bad_riff_size")
    need(data, 0, riff_end)
    out = Output(data)
    header_place = out.placeholder()
    removed: set[str] = set()

    position = HEADER_BYTES
    while position < riff_end:
        if position + CHUNK_HEADER_BYTES > riff_end:
            raise UnreadableFile("truncated", f"chunk header at {position}")
        fourcc = data[position : position + 4]
        size = u32le(data, position + 4)
        end = position + CHUNK_HEADER_BYTES + size + size % 2
        if end > riff_end:
            raise UnreadableFile("truncated", f"{fourcc!r} chunk at {position}")
        start, stop = position + CHUNK_HEADER_BYTES, position + CHUNK_HEADER_BYTES + size
        if fourcc == b"EXIF":
            if data.startswith(EXIF_PREFIX, start, stop):
                start += len(EXIF_PREFIX)
            read_exif(data[start:stop], removed)
        elif fourcc == b"XMP ":
            removed.add(XMP)
        elif fourcc == b"C2PA":
            removed.add(CONTENT_CREDENTIALS)
        elif fourcc not in KEPT:
            removed.add(OTHER_METADATA)
        elif fourcc == b"VP8X" and size > 0:
            chunk = bytearray(data[position:end])
            chunk[CHUNK_HEADER_BYTES] &= ~(VP8X_EXIF_FLAG | VP8X_XMP_FLAG) & 0xFF
            out.add(bytes(chunk))
        else:
            out.keep(position, end)
        position = end
    if riff_end < len(data):
        removed.add(TRAILING_DATA)

    riff_size = len(b"WEBP") + out.length  # the form type and the chunks kept
    out.fill(header_place, b"RIFF" + riff_size.to_bytes(4, "little") + b"WEBP")
    return Stripped(out.finish(), ordered(removed))
