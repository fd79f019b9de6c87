"""PNG: the chunks from IHDR to IEND, each checked against its CRC, with the metadata chunks
left out and anything after IEND dropped ("trailing_data"). Every other chunk (the image data,
palette, colour information, APNG frames, private chunks) is copied byte for byte.

Left out: tEXt, zTXt and iTXt ("text_chunks", and by keyword: Author "author", Software
"software", Comment "comment", Description "description", Creation Time "date_taken", and an
iTXt XML:com.adobe.xmp "xmp"; only the keyword is read, nothing is decompressed), eXIf (read
like JPEG Exif for findings), tIME ("timestamp") and caBX, C2PA content credentials
("content_credentials").

Unreadable: no PNG signature ("not_a_png"), a first chunk that is not IHDR ("missing_ihdr"),
chunks that end without IEND ("missing_iend"), a chunk length above 2**31 - 1
("bad_chunk_length") or past the end ("truncated"), a CRC that does not match ("bad_crc").
"""

from __future__ import annotations

import zlib

from advisory.metadata.errors import UnreadableFile
from advisory.metadata.exif import read_exif
from advisory.metadata.findings import (
    AUTHOR,
    COMMENT,
    CONTENT_CREDENTIALS,
    DATE_TAKEN,
    DESCRIPTION,
    SOFTWARE,
    TEXT_CHUNKS,
    TIMESTAMP,
    TRAILING_DATA,
    XMP,
    Stripped,
    ordered,
)
from advisory.metadata.reading import Output, need, u32be

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNK_LENGTH = 0x7FFFFFFF
TEXT_CHUNK_TYPES = frozenset({b"tEXt", b"zTXt", b"iTXt"})
KEYWORD_FINDINGS = {
    b"Author": AUTHOR,
    b"Software": SOFTWARE,
    b"Comment": COMMENT,
    b"Description": DESCRIPTION,
    b"Creation Time": DATE_TAKEN,
}
XMP_KEYWORD = b"XML:com.adobe.xmp"  # an XMP packet, in an iTXt chunk
LONGEST_KEYWORD = 79


def strip(data: bytes) -> Stripped:
    if not data.startswith(SIGNATURE):
        raise UnreadableFile("not_a_png")
    view = memoryview(data)
    out = Output(data)
    out.keep(0, len(SIGNATURE))
    removed: set[str] = set()

    position = len(SIGNATURE)
    first = True
    while True:
        if position == len(data):
            raise UnreadableFile("missing_ihdr" if first else "missing_iend")
        need(data, position, 8)
        length = u32be(data, position)
        if length > MAX_CHUNK_LENGTH:
            raise UnreadableFile("bad_chunk_length", f"length {length} at {position}")
        need(data, position, 12 + length)
        chunk_type = data[position + 4 : position + 8]
        end = position + 12 + length
        if first and chunk_type != b"IHDR":
            raise UnreadableFile("missing_ihdr")
        if zlib.crc32(view[position + 4 : end - 4]) != u32be(data, end - 4):
            raise UnreadableFile("bad_crc", f"{chunk_type!r} at {position}")
        if chunk_type in TEXT_CHUNK_TYPES:
            removed.add(TEXT_CHUNKS)
            keyword = _keyword(data, position + 8, end - 4)
            finding = KEYWORD_FINDINGS.get(keyword)
            if finding is not None:
                removed.add(finding)
            if chunk_type == b"iTXt" and keyword == XMP_KEYWORD:
                removed.add(XMP)
        elif chunk_type == b"eXIf":
            read_exif(data[position + 8 : end - 4], removed)
        elif chunk_type == b"tIME":
            removed.add(TIMESTAMP)
        elif chunk_type == b"caBX":
            removed.add(CONTENT_CREDENTIALS)
        else:
            out.keep(position, end)
        position = end
        first = False
        if chunk_type == b"IEND":
            break

    if position < len(data):
        removed.add(TRAILING_DATA)
    return Stripped(out.finish(), ordered(removed))


def _keyword(data: bytes, start: int, end: int) -> bytes:
    """A text chunk's keyword: its bytes up to the first NUL within 80 bytes, else none."""
    nul = data.find(b"\x00", start, min(end, start + LONGEST_KEYWORD + 1))
    return b"" if nul == -1 else data[start:nul]
