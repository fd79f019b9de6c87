"""GIF: the blocks from the header to the trailer, with Comment extensions ("comment") and
application extensions other than NETSCAPE2.0 and ANIMEXTS1.0 (the loop count) left out (XMP:
"xmp"; any other, ImageMagick's 8BIM and IPTC profiles among them: "other_metadata"), and
anything after the trailer 0x3B dropped ("trailing_data"). Images, colour tables, graphic
controls, plain text and the two loop-count extensions are copied byte for byte.

Every extension and image is walked sub-block by sub-block to its empty block, so an XMP
packet (whose "magic trailer" makes it parse as sub-blocks) is skipped as a whole.

Unreadable: no "GIF87a"/"GIF89a" header ("not_a_gif"), a block that is neither an extension,
an image nor the trailer ("bad_block"), anything running past the end, a missing trailer
among them ("truncated").
"""

from __future__ import annotations

from advisory.metadata.errors import UnreadableFile
from advisory.metadata.findings import (
    COMMENT,
    OTHER_METADATA,
    TRAILING_DATA,
    XMP,
    Stripped,
    ordered,
)
from advisory.metadata.reading import Output, need

SCREEN_DESCRIPTOR_END = 13
IMAGE_DESCRIPTOR_BYTES = 10
EXTENSION = 0x21
IMAGE = 0x2C
TRAILER = 0x3B
COMMENT_LABEL = 0xFE
APPLICATION_LABEL = 0xFF
# The first sub-block of an application extension: 11 bytes of identifier and code.
XMP_APPLICATION = b"\x0bXMP DataXMP"
KEPT_APPLICATIONS = (b"\x0bNETSCAPE2.0", b"\x0bANIMEXTS1.0")
COLOUR_TABLE_FLAG = 0x80


def strip(data: bytes) -> Stripped:
    if not data.startswith((b"GIF87a", b"GIF89a")):
        raise UnreadableFile("not_a_gif")
    need(data, 0, SCREEN_DESCRIPTOR_END)
    out = Output(data)
    removed: set[str] = set()
    position = SCREEN_DESCRIPTOR_END + _colour_table_bytes(data[10])
    out.keep(0, position)

    while True:
        need(data, position, 1)
        introducer = data[position]
        if introducer == TRAILER:
            out.keep(position, position + 1)
            if position + 1 < len(data):
                removed.add(TRAILING_DATA)
            break
        if introducer == EXTENSION:
            need(data, position, 2)
            label = data[position + 1]
            end = _after_sub_blocks(data, position + 2)
            if label == COMMENT_LABEL:
                removed.add(COMMENT)
            elif label == APPLICATION_LABEL and data.startswith(XMP_APPLICATION, position + 2):
                removed.add(XMP)
            elif label == APPLICATION_LABEL and not data.startswith(
                KEPT_APPLICATIONS, position + 2
            ):
                removed.add(OTHER_METADATA)
            else:
                out.keep(position, end)
        elif introducer == IMAGE:
            need(data, position, IMAGE_DESCRIPTOR_BYTES + 1)
            table_end = position + IMAGE_DESCRIPTOR_BYTES + _colour_table_bytes(data[position + 9])
            # After the local colour table: the LZW minimum code size, then the sub-blocks.
            end = _after_sub_blocks(data, table_end + 1)
            out.keep(position, end)
        else:
            raise UnreadableFile("bad_block", f"block {introducer:#04x} at {position}")
        position = end

    return Stripped(out.finish(), ordered(removed))


def _colour_table_bytes(packed: int) -> int:
    """The size of the colour table a descriptor's packed byte announces (0 if none)."""
    return 3 * 2 ** ((packed & 0x07) + 1) if packed & COLOUR_TABLE_FLAG else 0


def _after_sub_blocks(data: bytes, position: int) -> int:
    """Where a chain of data sub-blocks starting at `position` ends (after its empty block)."""
    at = position
    while True:
        need(data, at, 1)
        size = data[at]
        at += 1 + size
        if size == 0:
            return at
