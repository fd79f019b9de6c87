"""PDF: never rewritten (a correct rewrite is a PDF library, and a wrong one loses evidence).
The file comes back unchanged, with what it still reveals in `found_not_removed`, found by
scanning its bytes for the document-information names followed by a delimiter (so a literal
string, a hex string or a reference all count) and for an XMP packet:

- /Author: "author"; /Creator, /Producer: "software"; /CreationDate, /ModDate: "date_taken";
  /Title, /Subject: "description"; "<x:xmpmeta": "xmp".

What sits in compressed streams (object streams, a compressed XMP stream) is not seen. A name
anywhere counts, so an outline's /Title says "description" too: better said once too often.

Unreadable: no "%PDF-" at the start ("not_a_pdf").
"""

from __future__ import annotations

import re

from advisory.metadata.errors import UnreadableFile
from advisory.metadata.findings import (
    AUTHOR,
    DATE_TAKEN,
    DESCRIPTION,
    SOFTWARE,
    XMP,
    Stripped,
    ordered,
)

HEADER = b"%PDF-"
# PDF whitespace and delimiters (ISO 32000-1, 7.2.2 and 7.2.3), or the end: what ends a name.
_NAME_END = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"
NAMES = (
    (b"/Author", AUTHOR),
    (b"/Creator", SOFTWARE),
    (b"/Producer", SOFTWARE),
    (b"/CreationDate", DATE_TAKEN),
    (b"/ModDate", DATE_TAKEN),
    (b"/Title", DESCRIPTION),
    (b"/Subject", DESCRIPTION),
)
_NAME_PATTERNS = tuple((re.compile(re.escape(name) + _NAME_END), key) for name, key in NAMES)
XMP_PACKET = b"<x:xmpmeta"


def inspect(data: bytes) -> Stripped:
    if not data.startswith(HEADER):
        raise UnreadableFile("not_a_pdf")
    found = {key for pattern, key in _NAME_PATTERNS if pattern.search(data)}
    if XMP_PACKET in data:
        found.add(XMP)
    return Stripped(data, found_not_removed=ordered(found))
