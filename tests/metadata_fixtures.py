"""Evidence files with identifying metadata, built in code, and what the cleaners must make of
them: shared by the Python tests (tests/test_metadata_strip.py) and the browser's cleaner
(advisory/static/js/metadata), so that both are held to the same bytes.

No binary files: each builder assembles its file from named parts and the expected cleaned
file from the same parts, without the metadata. Deterministic: no clock, no randomness, no
compressor (compressed data is written as stored deflate blocks; zlib computes the PNG CRCs
only), so the bytes are the same on every machine and in every language that reads
`manifest()`.

- `ALL`: name → builder of a `Fixture` (a file that cleans; its expected result).
- `RULES`: name → `Fixture`: the bare picture with one segment, chunk or extension more, kept
  or left out as the rules of its format say (a truth table both cleaners are held to).
- `HOSTILE`: name → (bytes, media type, the `UnreadableFile.reason` it must give).
- `manifest()`: all three as JSON-ready data (base64 bytes);
  `python -m tests.metadata_fixtures` prints it.

The pictures are tiny but real: the JPEGs are a 16x8 greyscale image (a white and a grey
block) that decoders show, with a stuffed FF00 and a restart marker in every scan; the PNG,
WebP and GIF are 1x1.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal
from zlib import crc32

from advisory.metadata import FINDING_KEYS

# Strings a cleaned file must not contain (besides those a fixture lists in `canaries`).
MARKERS = (
    *(b"Exif", b"GPS", b"http://ns.adobe.com/xap", b"tEXt", b"zTXt", b"iTXt", b"eXIf"),
    *(b"JFXX", b"MPF\x00", b"FLIR", b"Ducky", b"8BIM", b"jumb", b"c2pa", b"C2PA", b"caBX"),
)

MAKE = b"CanaryCam"
MODEL = b"CanaryCam X9 Pro"
ARTIST = b"Ada Canary-Reporter"
SOFTWARE = b"CanarySoft 4.2"
DESCRIPTION = b"canary description: the loading bay"
DATE = b"2031:05:17 09:41:00"
GPS_METHOD = b"ASCII\x00\x00\x00GPS canary fix"
XMP_TEXT = b"canary-xmp-creator"
IPTC_BYLINE = b"Canary IPTC Byline"
COMMENT = b"canary-comment: taken at the union office"
THUMBNAIL_TEXT = b"canary-thumbnail"
TRAILING = b"canary-trailing-data"
C2PA_SIGNER = b"canary-c2pa-signer"


@dataclass(frozen=True, kw_only=True)
class Fixture:
    """A file that cleans, and its expected result.

    `image_data`: parts that must come through byte for byte (JPEG: SOS to EOI; PNG: the
    IDAT chunks; WebP: the VP8L chunk; GIF: the image descriptor and its data).
    `canaries`: identifying strings embedded in `original` that `stripped` must not contain.
    """

    media_type: str
    original: bytes
    stripped: bytes
    removed: tuple[str, ...] = ()
    found_not_removed: tuple[str, ...] = ()
    orientation: int | None = None
    image_data: tuple[bytes, ...] = ()
    canaries: tuple[bytes, ...] = ()


def _ordered(keys: set[str]) -> tuple[str, ...]:
    return tuple(key for key in FINDING_KEYS if key in keys)


# ---------------------------------------------------------------------------------------------
# TIFF (Exif), in either byte order

ByteOrder = Literal["II", "MM"]
ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 2, 3, 4, 5, 7


@dataclass(frozen=True)
class Tag:
    """An IFD entry: `values` are ints (SHORT, LONG; RATIONAL as numerator, denominator
    pairs) or bytes (ASCII with its NUL, UNDEFINED)."""

    tag: int
    type: int
    values: bytes | tuple[int, ...]


def ascii_tag(tag: int, text: bytes) -> Tag:
    return Tag(tag, ASCII, text + b"\x00")


def _encode(order: ByteOrder, entry: Tag) -> tuple[int, bytes]:
    if isinstance(entry.values, bytes):
        return len(entry.values), entry.values
    fmt = {SHORT: "H", LONG: "I", RATIONAL: "I"}[entry.type]
    count = len(entry.values) // 2 if entry.type == RATIONAL else len(entry.values)
    prefix = "<" if order == "II" else ">"
    return count, struct.pack(prefix + fmt * len(entry.values), *entry.values)


def _ifd_bytes(order: ByteOrder, offset: int, entries: Sequence[Tag], next_ifd: int) -> bytes:
    """One IFD at `offset`: entries, next-IFD offset, then the values that do not fit in 4."""
    prefix = "<" if order == "II" else ">"
    area = offset + 2 + 12 * len(entries) + 4
    head, tail = [struct.pack(prefix + "H", len(entries))], []
    for entry in entries:
        count, value = _encode(order, entry)
        if len(value) <= 4:
            field_bytes = value.ljust(4, b"\x00")
        else:
            field_bytes = struct.pack(prefix + "I", area)
            padded = value + b"\x00" * (len(value) % 2)
            tail.append(padded)
            area += len(padded)
        head.append(struct.pack(prefix + "HHI", entry.tag, entry.type, count) + field_bytes)
    return b"".join([*head, struct.pack(prefix + "I", next_ifd), *tail])


def _ifd_size(order: ByteOrder, entries: Sequence[Tag]) -> int:
    return len(_ifd_bytes(order, 0, entries, 0))


def tiff(
    order: ByteOrder,
    ifd0: Sequence[Tag],
    exif: Sequence[Tag] = (),
    gps: Sequence[Tag] = (),
    thumbnail: bytes = b"",
) -> bytes:
    """A TIFF structure: IFD0 (with pointers to the Exif and GPS IFDs when they have
    entries), then the Exif IFD, the GPS IFD and, if there is a thumbnail, IFD1 and it."""
    prefix = "<" if order == "II" else ">"

    def with_pointers(exif_at: int, gps_at: int) -> list[Tag]:
        pointers = [Tag(0x8769, LONG, (exif_at,))] if exif else []
        return [*ifd0, *pointers, *([Tag(0x8825, LONG, (gps_at,))] if gps else [])]

    exif_at = 8 + _ifd_size(order, with_pointers(0, 0))
    gps_at = exif_at + (_ifd_size(order, exif) if exif else 0)
    ifd1_at = gps_at + (_ifd_size(order, gps) if gps else 0)
    thumbnail_at = ifd1_at + _ifd_size(order, [Tag(0x0201, LONG, (0,))] * 2)
    parts = [
        (b"II*\x00" if order == "II" else b"MM\x00*") + struct.pack(prefix + "I", 8),
        _ifd_bytes(order, 8, with_pointers(exif_at, gps_at), ifd1_at if thumbnail else 0),
    ]
    if exif:
        parts.append(_ifd_bytes(order, exif_at, exif, 0))
    if gps:
        parts.append(_ifd_bytes(order, gps_at, gps, 0))
    if thumbnail:
        ifd1 = [Tag(0x0201, LONG, (thumbnail_at,)), Tag(0x0202, LONG, (len(thumbnail),))]
        parts += [_ifd_bytes(order, ifd1_at, ifd1, 0), thumbnail]
    return b"".join(parts)


def camera_tags() -> tuple[list[Tag], list[Tag]]:
    """IFD0 and Exif IFD tags that say who, with what and when, and one that is "other"."""
    ifd0 = [
        ascii_tag(0x010E, DESCRIPTION),
        ascii_tag(0x010F, MAKE),
        ascii_tag(0x0110, MODEL),
        ascii_tag(0x0131, SOFTWARE),
        ascii_tag(0x0132, DATE),
        ascii_tag(0x013B, ARTIST),
    ]
    exif = [Tag(0x829A, RATIONAL, (1, 125)), ascii_tag(0x9003, DATE)]  # ExposureTime: "other"
    return ifd0, exif


def gps_tags() -> list[Tag]:
    return [
        ascii_tag(0x0001, b"N"),
        Tag(0x0002, RATIONAL, (59, 1, 54, 1, 4417, 100)),
        ascii_tag(0x0003, b"E"),
        Tag(0x0004, RATIONAL, (10, 1, 45, 1, 1234, 100)),
        Tag(0x001B, UNDEFINED, GPS_METHOD),
    ]


def orientation_only_exif(orientation: int) -> bytes:
    """The APP1 segment a cleaner writes back: big-endian, IFD0 with one SHORT Orientation."""
    body = b"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01"
    return segment(0xE1, b"Exif\x00\x00" + body + struct.pack(">HHI", orientation, 0, 0))


# ---------------------------------------------------------------------------------------------
# C2PA content credentials: a JUMBF manifest store, as JPEG (APP11), PNG (caBX) and WebP (C2PA)
# carry it

C2PA_UUID = bytes.fromhex("6332706100110010800000aa00389b71")  # "c2pa": the manifest store
CLAIM_UUID = bytes.fromhex("6332636c00110010800000aa00389b71")  # "c2cl": a claim


def box(box_type: bytes, content: bytes) -> bytes:
    """An ISO BMFF box, as JUMBF is made of."""
    return struct.pack(">I", 8 + len(content)) + box_type + content


def c2pa_manifest_store() -> bytes:
    """A "jumb" superbox labelled "c2pa" holding a claim that names who signed it."""
    claim = box(b"jumd", CLAIM_UUID + b"\x03c2pa.claim\x00") + box(
        b"json", b'{"claim_generator":"' + C2PA_SIGNER + b'"}'
    )
    return box(b"jumb", box(b"jumd", C2PA_UUID + b"\x03c2pa\x00") + box(b"jumb", claim))


# ---------------------------------------------------------------------------------------------
# JPEG


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


SOI, EOI = b"\xff\xd8", b"\xff\xd9"
APP0_JFIF = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
APP2_ICC = segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"fake-icc-profile-body")
APP14_ADOBE = segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x00")
DQT = segment(0xDB, b"\x00" + b"\x01" * 64)  # table 0: every step 1
DRI = segment(0xDD, b"\x00\x01")  # a restart marker after every MCU
# Huffman tables: DC category 0 is "0", category 11 is "10000"; AC: only EOB, "0".
DHT_DC = segment(0xC4, b"\x00" + bytes([1, 0, 0, 0, 1] + [0] * 11) + b"\x00\x0b")
DHT_AC = segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")


def _frame(sof: int, width: int = 16, height: int = 8) -> bytes:
    return segment(sof, b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00")


def _scan(start: int, end: int) -> bytes:
    return segment(0xDA, bytes([1, 1, 0x00, start, end, 0]))


# Block 1: DC +2047 ("10000" and eleven 1 bits: 87 FF, stuffed to 87 FF 00), EOB ("0"), padding
# 1s: 7F. Restart RST0. Block 2: DC 0, EOB, padding: 3F.
BASELINE_SCAN = _scan(0, 63) + b"\x87\xff\x00\x7f" + b"\xff\xd0" + b"\x3f" + EOI
# Progressive: a DC scan (the same DC values, byte-aligned: 87 FF 00, RST0, 7F), the AC table,
# then an AC scan (EOB for each block, a restart between them).
PROGRESSIVE_DC_SCAN = _scan(0, 0) + b"\x87\xff\x00\xff\xd0\x7f"
PROGRESSIVE_AC_SCAN = _scan(1, 63) + b"\x7f\xff\xd0\x7f"


BASELINE_TABLES = DQT + _frame(0xC0) + DHT_DC + DHT_AC + DRI

# Application segments left out besides Exif, XMP and Photoshop/IPTC.
JFXX_THUMBNAIL = segment(
    0xE0, b"JFXX\x00\x10" + SOI + segment(0xFE, b"canary-jfxx-thumbnail") + EOI
)  # extension code 0x10: a JPEG thumbnail
APP1_FLIR = segment(0xE1, b"FLIR\x00\x01\x01\x00" + b"canary-flir-camera-serial")
# MPF: an IFD with the version, the number of pictures and an entry for each (zeros here).
MPF_INDEX = [
    Tag(0xB000, UNDEFINED, b"0100"),
    Tag(0xB001, LONG, (2,)),
    Tag(0xB002, UNDEFINED, bytes(32)),
]
APP2_MPF = segment(0xE2, b"MPF\x00" + tiff("MM", MPF_INDEX))
# Photoshop "Save for Web": quality 80, then a copyright as a count of UTF-16 units and them.
DUCKY_COPYRIGHT = "canary-ducky-copyright".encode("utf-16-be")
APP12_DUCKY = segment(
    0xEC,
    b"Ducky"
    + struct.pack(">HHI", 1, 4, 80)
    + struct.pack(">HHI", 3, 4 + len(DUCKY_COPYRIGHT), len(DUCKY_COPYRIGHT) // 2)
    + DUCKY_COPYRIGHT
    + b"\x00\x00",
)
# What a multi-picture (MPF) camera writes after the first picture's EOI: a second one.
MPF_SECOND_PICTURE = SOI + segment(0xFE, b"canary-mpf-second-picture") + EOI


def app11_jumbf(jumbf: bytes, parts: int = 1) -> bytes:
    """A JUMBF box in `parts` APP11 segments (JPEG XT): each has "JP", the box instance
    number, its sequence number, and the box's LBox and TBox before its share of the rest."""
    header, rest = jumbf[:8], jumbf[8:]
    share = -(-len(rest) // parts)
    return b"".join(
        segment(
            0xEB,
            b"JP" + struct.pack(">HI", 1, n + 1) + header + rest[n * share : (n + 1) * share],
        )
        for n in range(parts)
    )


def baseline_jpeg() -> bytes:
    """The bare 16x8 picture: no metadata at all."""
    return SOI + APP0_JFIF + BASELINE_TABLES + BASELINE_SCAN


def jpeg_exif(
    orientation: int | None = 6,
    *,
    gps: bool = True,
    thumbnail: bool = True,
    details: bool = True,
    order: ByteOrder = "II",
) -> tuple[bytes | None, set[str]]:
    """An APP1 Exif segment (None when it would hold nothing) and the findings in it."""
    ifd0, exif = camera_tags() if details else ([], [])
    if orientation is not None:
        ifd0 = sorted([*ifd0, Tag(0x0112, SHORT, (orientation,))], key=lambda t: t.tag)
    thumb = SOI + segment(0xFE, THUMBNAIL_TEXT) + EOI if thumbnail else b""
    if not (ifd0 or exif or gps or thumb):
        return None, set()
    body = tiff(order, ifd0, exif, gps_tags() if gps else (), thumb)
    found = set()
    if details:
        found |= {"camera_model", "date_taken", "author", "software", "description", "other_exif"}
    if gps:
        found.add("gps_position")
    if thumbnail:
        found.add("thumbnail")
    return segment(0xE1, b"Exif\x00\x00" + body), found


def jpeg_with_metadata(
    orientation: int | None = 6,
    gps: bool = True,
    xmp: bool = True,
    iptc: bool = True,
    comment: bool = True,
    thumbnail: bool = True,
    trailing: bytes = TRAILING,
    *,
    details: bool = True,
    order: ByteOrder = "II",
    progressive: bool = False,
) -> Fixture:
    """The 16x8 picture with the metadata asked for; `details`: Make, Model, dates, Artist,
    Software, ImageDescription and an exposure time. `progressive`: two scans, with the AC
    Huffman table and the comment between them."""
    exif, removed = jpeg_exif(
        orientation, gps=gps, thumbnail=thumbnail, details=details, order=order
    )
    kept_orientation = orientation if exif and orientation and 2 <= orientation <= 8 else None
    metadata = b""
    if exif:
        metadata += exif
    if xmp:
        metadata += segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet())
        metadata += segment(
            0xE1,
            b"http://ns.adobe.com/xmp/extension/\x00"
            + b"0123456789ABCDEF0123456789ABCDEF"  # the GUID of the main packet
            + struct.pack(">II", 64, 0)  # its full length, this part's offset
            + b"<rdf:Description canary-extended-xmp/>",
        )
        removed.add("xmp")
    photoshop = b""
    if iptc:
        photoshop = segment(0xED, b"Photoshop 3.0\x00" + iptc_resource())
        removed.add("iptc")
    note = segment(0xFE, COMMENT) if comment else b""
    if comment:
        removed.add("comment")
    if trailing:
        removed.add("trailing_data")

    head = SOI + APP0_JFIF
    kept_exif = orientation_only_exif(kept_orientation) if kept_orientation else b""
    if progressive:
        tables = DQT + _frame(0xC2) + DHT_DC + DRI
        original_tail = tables + PROGRESSIVE_DC_SCAN + note + DHT_AC + PROGRESSIVE_AC_SCAN + EOI
        stripped_tail = tables + PROGRESSIVE_DC_SCAN + DHT_AC + PROGRESSIVE_AC_SCAN + EOI
        image_data = (PROGRESSIVE_DC_SCAN, PROGRESSIVE_AC_SCAN + EOI)
    else:
        original_tail = note + BASELINE_TABLES + BASELINE_SCAN
        stripped_tail = BASELINE_TABLES + BASELINE_SCAN
        image_data = (BASELINE_SCAN,)
    return Fixture(
        media_type="image/jpeg",
        original=head + metadata + APP2_ICC + photoshop + APP14_ADOBE + original_tail + trailing,
        stripped=head + kept_exif + APP2_ICC + APP14_ADOBE + stripped_tail,
        removed=_ordered(removed),
        orientation=kept_orientation,
        image_data=image_data,
        canaries=_canaries(
            (MAKE, MODEL, ARTIST, SOFTWARE, DESCRIPTION, DATE) * details
            + (GPS_METHOD,) * gps
            + (XMP_TEXT, b"canary-extended-xmp") * xmp
            + (IPTC_BYLINE,) * iptc
            + (COMMENT,) * comment
            + (THUMBNAIL_TEXT,) * thumbnail
            + (trailing,)
        ),
    )


def iptc_by_line() -> bytes:
    """An IPTC record: 2:80, By-line."""
    return b"\x1c\x02\x50" + struct.pack(">H", len(IPTC_BYLINE)) + IPTC_BYLINE


def iptc_resource() -> bytes:
    """A Photoshop image resource ("8BIM", 0x0404, no name) holding the IPTC By-line."""
    iptc = iptc_by_line()
    return b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc


def _canaries(strings: tuple[bytes, ...]) -> tuple[bytes, ...]:
    return tuple(dict.fromkeys(s for s in strings if s))


def xmp_packet() -> bytes:
    return (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
        b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"'
        b' xmlns:xmp="http://ns.adobe.com/xap/1.0/"><dc:creator>' + XMP_TEXT + b"</dc:creator>"
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
        b'<?xpacket end="w"?>'
    )


def progressive_jpeg_with_metadata() -> Fixture:
    """Two scans (DC, then AC) with a comment and the AC table between them; Orientation 3."""
    return jpeg_with_metadata(orientation=3, progressive=True, order="MM")


def jpeg_orientation_only() -> Fixture:
    """An Exif holding nothing but Orientation 6: already clean, written back the same."""
    return jpeg_with_metadata(6, False, False, False, False, False, b"", details=False)


def jpeg_without_metadata() -> Fixture:
    """The bare picture: nothing to remove."""
    return jpeg_with_metadata(None, False, False, False, False, False, b"", details=False)


def _exif_variant(tiff_body: bytes, removed: set[str], orientation: int | None) -> Fixture:
    """The bare picture with one damaged Exif segment after APP0."""
    exif = segment(0xE1, b"Exif\x00\x00" + tiff_body)
    kept = orientation_only_exif(orientation) if orientation else b""
    return Fixture(
        media_type="image/jpeg",
        original=SOI + APP0_JFIF + exif + BASELINE_TABLES + BASELINE_SCAN,
        stripped=SOI + APP0_JFIF + kept + BASELINE_TABLES + BASELINE_SCAN,
        removed=_ordered(removed),
        orientation=orientation,
        image_data=(BASELINE_SCAN,),
        canaries=(MAKE,),
    )


def jpeg_exif_ifd_loop() -> Fixture:
    """IFD0 points to itself as its next IFD and as its Exif IFD: read once, no thumbnail."""
    entries = [ascii_tag(0x010F, MAKE), Tag(0x0112, SHORT, (6,)), Tag(0x8769, LONG, (8,))]
    body = b"MM\x00*" + struct.pack(">I", 8) + _ifd_bytes("MM", 8, entries, 8)
    return _exif_variant(body, {"camera_model"}, 6)


def jpeg_exif_offsets_past_the_end() -> Fixture:
    """GPS, Exif and next-IFD pointers past the end: only IFD0 is read; GPS is not claimed."""
    entries = [
        ascii_tag(0x010F, MAKE),
        Tag(0x0112, SHORT, (8,)),
        Tag(0x8769, LONG, (0xFFFF_FF00,)),
        Tag(0x8825, LONG, (0x7FFF_FFF0,)),
    ]
    body = b"II*\x00" + struct.pack("<I", 8) + _ifd_bytes("II", 8, entries, 0xFFFF_FFFF)
    return _exif_variant(body, {"camera_model"}, 8)


def jpeg_exif_absurd_entry_count() -> Fixture:
    """IFD0 claims 65 535 entries in a segment of a few dozen bytes: nothing is read."""
    body = b"MM\x00*\x00\x00\x00\x08\xff\xff" + ascii_tag(0x010F, MAKE).values * 2
    return _exif_variant(body, set(), None)


def jpeg_exif_not_tiff() -> Fixture:
    """An Exif segment without a TIFF header: dropped, nothing to report."""
    return _exif_variant(b"XX*\x00" + MAKE, set(), None)


def jpeg_with_other_segments() -> Fixture:
    """The bare picture with the application segments a camera, an editor or a signer adds
    besides Exif, XMP and IPTC: a JFXX thumbnail, a FLIR APP1, an MPF APP2 (and the second
    picture after EOI that it points to), content credentials in two APP11 segments and a
    Ducky APP12, between the JFIF, ICC and Adobe segments that stay."""
    picture = BASELINE_TABLES + BASELINE_SCAN
    original = [
        *(SOI, APP0_JFIF, JFXX_THUMBNAIL, APP1_FLIR, APP2_ICC, APP2_MPF),
        *(app11_jumbf(c2pa_manifest_store(), parts=2), APP12_DUCKY, APP14_ADOBE),
        *(picture, MPF_SECOND_PICTURE),
    ]
    return Fixture(
        media_type="image/jpeg",
        original=b"".join(original),
        stripped=SOI + APP0_JFIF + APP2_ICC + APP14_ADOBE + picture,
        removed=("thumbnail", "trailing_data", "content_credentials", "other_metadata"),
        image_data=(BASELINE_SCAN,),
        canaries=(
            b"canary-jfxx-thumbnail",
            b"canary-flir-camera-serial",
            b"MPF\x00",
            C2PA_SIGNER,
            DUCKY_COPYRIGHT,
            b"canary-mpf-second-picture",
        ),
    )


# ---------------------------------------------------------------------------------------------
# PNG


def _adler32(data: bytes) -> int:
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a


def stored_zlib(data: bytes) -> bytes:
    """A zlib stream holding `data` in one stored (uncompressed) deflate block."""
    if len(data) >= 0x10000:
        raise ValueError("a stored deflate block holds at most 65 535 bytes")
    block = b"\x01" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data
    return b"\x78\x01" + block + struct.pack(">I", _adler32(data))


def chunk(chunk_type: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + chunk_type
        + data
        + struct.pack(">I", crc32(chunk_type + data))
    )


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IHDR = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))  # 1x1, 8-bit grey
PHYS = chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1))
PRIVATE = chunk(b"prVt", b"kept as it is")
IEND = chunk(b"IEND", b"")
PNG_IDAT = chunk(b"IDAT", stored_zlib(b"\x00\x80"))  # filter 0, one grey pixel


def png_with_text_chunks() -> Fixture:
    """A 1x1 grey PNG with every kind of text chunk, eXIf, tIME and trailing data; its image
    data split over two IDAT chunks."""
    pixels = stored_zlib(b"\x00\x80")  # filter 0, one grey pixel
    idat = chunk(b"IDAT", pixels[:5]) + chunk(b"IDAT", pixels[5:])
    ifd0, _ = camera_tags()
    exif_body = tiff("MM", ifd0[1:3], gps=gps_tags())  # Make, Model and GPS
    text = [
        chunk(b"tEXt", b"Author\x00" + ARTIST),
        chunk(b"tEXt", b"Software\x00" + SOFTWARE),
        chunk(b"zTXt", b"Comment\x00\x00" + stored_zlib(COMMENT)),
        chunk(b"iTXt", b"Description\x00\x00\x00\x00\x00" + DESCRIPTION),
        chunk(b"tEXt", b"Creation Time\x00" + DATE),
        chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp_packet()),
        chunk(b"tEXt", b"Source\x00" + MODEL),
    ]
    original = b"".join(
        [PNG_SIGNATURE, IHDR, text[0], PHYS, *text[1:4], chunk(b"eXIf", exif_body)]
        + [chunk(b"tIME", struct.pack(">HBBBBB", 2031, 5, 17, 9, 41, 0)), PRIVATE, idat]
        + [*text[4:], IEND, TRAILING]
    )
    return Fixture(
        media_type="image/png",
        original=original,
        stripped=PNG_SIGNATURE + IHDR + PHYS + PRIVATE + idat + IEND,
        removed=_ordered(
            {"gps_position", "camera_model", "date_taken", "author", "software", "description"}
            | {"comment", "xmp", "trailing_data", "timestamp", "text_chunks"}
        ),
        image_data=(idat,),
        canaries=(MAKE, MODEL, ARTIST, SOFTWARE, DESCRIPTION, DATE, XMP_TEXT, TRAILING),
    )


def png_with_content_credentials() -> Fixture:
    """A 1x1 grey PNG with a C2PA manifest store in a caBX chunk before its image data."""
    cabx = chunk(b"caBX", c2pa_manifest_store())
    return Fixture(
        media_type="image/png",
        original=PNG_SIGNATURE + IHDR + PHYS + cabx + PNG_IDAT + IEND,
        stripped=PNG_SIGNATURE + IHDR + PHYS + PNG_IDAT + IEND,
        removed=("content_credentials",),
        image_data=(PNG_IDAT,),
        canaries=(C2PA_SIGNER,),
    )


# ---------------------------------------------------------------------------------------------
# WebP


def riff_chunk(fourcc: bytes, data: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) % 2)


def riff(chunks: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


# A 1x1 lossless image, the one feature tests use (13 bytes: odd, so the chunk has a padding byte).
VP8L = riff_chunk(b"VP8L", bytes.fromhex("2f00000010071011118888fe07"))


def vp8x(flags: int) -> bytes:
    return riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + b"\x00\x00\x00" + b"\x00\x00\x00")


def webp_with_exif_and_xmp(*, exif_prefix: bool = False) -> Fixture:
    """An extended-format 1x1 WebP whose VP8X announces Exif and XMP, with an odd-sized EXIF
    chunk (prefixed with "Exif\\0\\0" as some writers do, if asked), an XMP chunk and
    trailing data after the RIFF container."""
    ifd0, exif = camera_tags()
    body = tiff("II", [*ifd0, Tag(0x0112, SHORT, (6,))], exif, gps_tags()) + b"!"
    exif_chunk = riff_chunk(b"EXIF", b"Exif\x00\x00" * exif_prefix + body)
    original = riff(vp8x(0x08 | 0x04) + VP8L + exif_chunk + riff_chunk(b"XMP ", xmp_packet()))
    return Fixture(
        media_type="image/webp",
        original=original + TRAILING,
        stripped=riff(vp8x(0) + VP8L),
        removed=_ordered(
            {"gps_position", "camera_model", "date_taken", "author", "software", "description"}
            | {"xmp", "other_exif", "trailing_data"}
        ),
        image_data=(VP8L,),
        canaries=(MAKE, MODEL, ARTIST, SOFTWARE, DESCRIPTION, DATE, XMP_TEXT, TRAILING),
    )


ICCP = riff_chunk(b"ICCP", b"fake-icc-profile-body")  # 21 bytes: padded
VP8X_ICC_FLAG = 0x20
# A RIFF INFO list naming the artist, as some RIFF writers add to any RIFF file.
LIST_INFO = riff_chunk(b"LIST", b"INFO" + riff_chunk(b"IART", ARTIST + b"\x00"))


def webp_with_other_chunks() -> Fixture:
    """An extended-format 1x1 WebP with an ICC profile (kept, and its VP8X flag), an INFO
    list naming the artist and a C2PA manifest store."""
    c2pa = riff_chunk(b"C2PA", c2pa_manifest_store())
    return Fixture(
        media_type="image/webp",
        original=riff(vp8x(VP8X_ICC_FLAG) + ICCP + VP8L + LIST_INFO + c2pa),
        stripped=riff(vp8x(VP8X_ICC_FLAG) + ICCP + VP8L),
        removed=("content_credentials", "other_metadata"),
        image_data=(VP8L,),
        canaries=(ARTIST, C2PA_SIGNER),
    )


# ---------------------------------------------------------------------------------------------
# GIF


def sub_blocks(data: bytes, size: int = 255) -> bytes:
    parts = [
        bytes([len(data[i : i + size])]) + data[i : i + size] for i in range(0, len(data), size)
    ]
    return b"".join(parts) + b"\x00"


GIF_HEAD = b"GIF89a" + struct.pack("<HH", 1, 1) + b"\x80\x00\x00" + b"\xff\xff\xff\x00\x00\x00"
NETSCAPE = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
ANIMEXTS = b"\x21\xff\x0bANIMEXTS1.0\x03\x01\x00\x00\x00"  # the same loop count, by another name
GRAPHIC_CONTROL = b"\x21\xf9\x04\x00\x00\x00\x00\x00"
GIF_IMAGE = b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00" + b"\x02\x02\x44\x01\x00"
# XMP in GIF: the packet as raw bytes, then a 258-byte "magic trailer" that makes any reader of
# sub-blocks land on the terminator.
XMP_MAGIC_TRAILER = b"\x01" + bytes(range(0xFF, -1, -1)) + b"\x00"


def gif_with_comment() -> Fixture:
    """A 1x1 GIF89a with a loop count, a long comment, an XMP packet and trailing data."""
    comment = b"\x21\xfe" + sub_blocks(COMMENT * 8, size=200)
    xmp = b"\x21\xff\x0bXMP DataXMP" + xmp_packet() + XMP_MAGIC_TRAILER
    original = [GIF_HEAD, NETSCAPE, comment, xmp, GRAPHIC_CONTROL, GIF_IMAGE, b";", TRAILING]
    return Fixture(
        media_type="image/gif",
        original=b"".join(original),
        stripped=GIF_HEAD + NETSCAPE + GRAPHIC_CONTROL + GIF_IMAGE + b";",
        removed=("comment", "xmp", "trailing_data"),
        image_data=(GIF_IMAGE,),
        canaries=(COMMENT, XMP_TEXT, TRAILING),
    )


def application_extension(identifier: bytes, data: bytes) -> bytes:
    """A GIF application extension: 11 bytes of identifier and code, then `data` in sub-blocks."""
    return b"\x21\xff\x0b" + identifier + sub_blocks(data)


def gif_with_application_extensions() -> Fixture:
    """A 1x1 GIF89a with both loop-count extensions (kept) and the IPTC By-line in a
    Photoshop resource, as ImageMagick writes it ("MGK8BIM0000")."""
    photoshop = application_extension(b"MGK8BIM0000", iptc_resource())
    return Fixture(
        media_type="image/gif",
        original=GIF_HEAD + NETSCAPE + ANIMEXTS + photoshop + GRAPHIC_CONTROL + GIF_IMAGE + b";",
        stripped=GIF_HEAD + NETSCAPE + ANIMEXTS + GRAPHIC_CONTROL + GIF_IMAGE + b";",
        removed=("other_metadata",),
        image_data=(GIF_IMAGE,),
        canaries=(IPTC_BYLINE,),
    )


# ---------------------------------------------------------------------------------------------
# PDF


def pdf(objects: Sequence[bytes], trailer: bytes) -> bytes:
    """A PDF with a correct cross-reference table: `objects` are the bodies of 1 0 obj, …"""
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    size = b"/Size %d " % (len(objects) + 1)
    return out + b"trailer\n<< " + size + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref


PDF_PAGES = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
]


def pdf_with_info() -> Fixture:
    """A one-page PDF with an Info dictionary (literal and hex strings) and an XMP stream."""
    xmp = xmp_packet()
    info = (
        b"<< /Author (" + ARTIST + b") /Creator <" + SOFTWARE.hex().encode() + b">"
        b" /Producer (CanaryPDF 1.0) /CreationDate (D:20310517094100Z) /Title (canary title) >>"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
        *PDF_PAGES,
        b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(xmp)
        + xmp
        + b"\nendstream",
        info,
    ]
    original = pdf(objects, b"/Root 1 0 R /Info 5 0 R")
    return Fixture(
        media_type="application/pdf",
        original=original,
        stripped=original,
        found_not_removed=("date_taken", "author", "software", "description", "xmp"),
    )


def pdf_without_metadata() -> Fixture:
    original = pdf([b"<< /Type /Catalog /Pages 2 0 R >>", *PDF_PAGES], b"/Root 1 0 R")
    return Fixture(media_type="application/pdf", original=original, stripped=original)


def plain_text() -> Fixture:
    note = b"The forklift has no brakes since March. Nobody listens.\n"
    return Fixture(media_type="text/plain", original=note, stripped=note)


def audio_clip() -> Fixture:
    """Audio passes through as it is (an Ogg page header is enough to stand for one)."""
    clip = b"OggS\x00\x02" + bytes(20) + b"not decoded"
    return Fixture(media_type="audio/ogg", original=clip, stripped=clip)


ALL: dict[str, Callable[[], Fixture]] = {
    "jpeg_with_metadata": jpeg_with_metadata,
    "jpeg_big_endian_exif": lambda: jpeg_with_metadata(orientation=5, order="MM"),
    "jpeg_orientation_1": lambda: jpeg_with_metadata(orientation=1),
    "jpeg_no_orientation": lambda: jpeg_with_metadata(orientation=None),
    "jpeg_orientation_only": jpeg_orientation_only,
    "jpeg_without_metadata": jpeg_without_metadata,
    "progressive_jpeg_with_metadata": progressive_jpeg_with_metadata,
    "jpeg_exif_ifd_loop": jpeg_exif_ifd_loop,
    "jpeg_exif_offsets_past_the_end": jpeg_exif_offsets_past_the_end,
    "jpeg_exif_absurd_entry_count": jpeg_exif_absurd_entry_count,
    "jpeg_exif_not_tiff": jpeg_exif_not_tiff,
    "jpeg_with_other_segments": jpeg_with_other_segments,
    "png_with_text_chunks": png_with_text_chunks,
    "png_with_content_credentials": png_with_content_credentials,
    "webp_with_exif_and_xmp": webp_with_exif_and_xmp,
    "webp_with_prefixed_exif": lambda: webp_with_exif_and_xmp(exif_prefix=True),
    "webp_with_other_chunks": webp_with_other_chunks,
    "gif_with_comment": gif_with_comment,
    "gif_with_application_extensions": gif_with_application_extensions,
    "pdf_with_info": pdf_with_info,
    "pdf_without_metadata": pdf_without_metadata,
    "plain_text": plain_text,
    "audio_clip": audio_clip,
}


# ---------------------------------------------------------------------------------------------
# One segment, chunk or extension at a time: kept as it is, or left out with what it reveals


def _rule(media_type: str, head: bytes, block: bytes, tail: bytes, *removed: str) -> Fixture:
    """`head + block + tail`, cleaned to itself when nothing is removed, else without `block`."""
    original = head + block + tail
    return Fixture(
        media_type=media_type,
        original=original,
        stripped=head + tail if removed else original,
        removed=removed,
    )


def jpeg_rule(block: bytes, *removed: str) -> Fixture:
    """The bare picture with one more segment after APP0 JFIF."""
    return _rule("image/jpeg", SOI + APP0_JFIF, block, BASELINE_TABLES + BASELINE_SCAN, *removed)


def png_rule(block: bytes, *removed: str) -> Fixture:
    """The 1x1 PNG with one more chunk after IHDR."""
    return _rule("image/png", PNG_SIGNATURE + IHDR, block, PNG_IDAT + IEND, *removed)


def gif_rule(block: bytes, *removed: str) -> Fixture:
    """The 1x1 GIF with one more extension before its image."""
    return _rule("image/gif", GIF_HEAD, block, GRAPHIC_CONTROL + GIF_IMAGE + b";", *removed)


def webp_rule(block: bytes, *removed: str, flags: int = 0) -> Fixture:
    """The extended-format 1x1 WebP with one more chunk after VP8X (whose flags stay)."""
    rule = _rule("image/webp", vp8x(flags), block, VP8L, *removed)
    return replace(rule, original=riff(rule.original), stripped=riff(rule.stripped))


def _rules() -> dict[str, Fixture]:
    jumbf = c2pa_manifest_store()
    not_jumbf = b"JP" + struct.pack(">HI", 1, 1) + box(b"lch ", b"a JPEG XT box, not JUMBF")
    adobe_xmp = b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet()
    return {
        "jpeg_app0_jfxx_thumbnail": jpeg_rule(JFXX_THUMBNAIL, "thumbnail"),
        "jpeg_app0_avi1": jpeg_rule(segment(0xE0, b"AVI1\x00" + bytes(9)), "other_metadata"),
        "jpeg_app1_xmp": jpeg_rule(segment(0xE1, adobe_xmp), "xmp"),
        "jpeg_app1_flir": jpeg_rule(APP1_FLIR, "other_metadata"),
        "jpeg_app1_exif_without_its_second_nul": jpeg_rule(
            segment(0xE1, b"Exif\x00" + tiff("II", [ascii_tag(0x010F, MAKE)])), "other_metadata"
        ),
        "jpeg_app2_icc_profile": jpeg_rule(APP2_ICC),
        "jpeg_app2_mpf": jpeg_rule(APP2_MPF, "other_metadata"),
        "jpeg_app2_flashpix": jpeg_rule(segment(0xE2, b"FPXR\x00\x00\x01"), "other_metadata"),
        **{
            f"jpeg_app{n}": jpeg_rule(segment(0xE0 + n, b"canary-app%d" % n), "other_metadata")
            for n in range(3, 11)
        },
        "jpeg_app11_jumbf": jpeg_rule(app11_jumbf(jumbf), "content_credentials"),
        "jpeg_app11_jumbf_in_three_segments": jpeg_rule(
            app11_jumbf(jumbf, parts=3), "content_credentials"
        ),
        "jpeg_app11_not_jumbf": jpeg_rule(segment(0xEB, not_jumbf), "other_metadata"),
        "jpeg_app12_ducky": jpeg_rule(APP12_DUCKY, "other_metadata"),
        "jpeg_app13_photoshop": jpeg_rule(
            segment(0xED, b"Photoshop 3.0\x00" + iptc_resource()), "iptc"
        ),
        "jpeg_app14_adobe": jpeg_rule(APP14_ADOBE),
        "jpeg_app14_not_adobe": jpeg_rule(segment(0xEE, b"Canary\x00"), "other_metadata"),
        "jpeg_app14_empty": jpeg_rule(segment(0xEE, b""), "other_metadata"),
        "jpeg_app15": jpeg_rule(segment(0xEF, b"canary-app15"), "other_metadata"),
        "jpeg_com": jpeg_rule(segment(0xFE, COMMENT), "comment"),
        "jpeg_jpg1_marker_is_not_an_application_segment": jpeg_rule(segment(0xF1, b"kept")),
        "png_cabx": png_rule(chunk(b"caBX", jumbf), "content_credentials"),
        "png_itxt_xmp": png_rule(
            chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp_packet()),
            "xmp",
            "text_chunks",
        ),
        "png_private_chunk": png_rule(PRIVATE),
        "gif_netscape_loop_count": gif_rule(NETSCAPE),
        "gif_animexts_loop_count": gif_rule(ANIMEXTS),
        "gif_xmp": gif_rule(b"\x21\xff\x0bXMP DataXMP" + xmp_packet() + XMP_MAGIC_TRAILER, "xmp"),
        "gif_imagemagick_8bim": gif_rule(
            application_extension(b"MGK8BIM0000", iptc_resource()), "other_metadata"
        ),
        "gif_imagemagick_iptc": gif_rule(
            application_extension(b"MGKIPTC0000", iptc_by_line()), "other_metadata"
        ),
        "gif_icc_profile": gif_rule(
            application_extension(b"ICCRGBG1012", b"fake-icc-profile-body"), "other_metadata"
        ),
        "gif_netscape_2_1": gif_rule(
            application_extension(b"NETSCAPE2.1", b"\x01\x00\x00"), "other_metadata"
        ),
        "gif_application_extension_with_a_short_identifier": gif_rule(
            b"\x21\xff\x03abc\x00", "other_metadata"
        ),
        "gif_plain_text": gif_rule(
            b"\x21\x01\x0c" + bytes(12) + sub_blocks(b"plain text on the picture")
        ),
        "webp_iccp": webp_rule(ICCP, flags=VP8X_ICC_FLAG),
        "webp_alph": webp_rule(riff_chunk(b"ALPH", b"\x00\xff"), flags=0x10),
        "webp_anim": webp_rule(riff_chunk(b"ANIM", bytes(6)), flags=0x02),
        "webp_c2pa": webp_rule(riff_chunk(b"C2PA", jumbf), "content_credentials"),
        "webp_list_info": webp_rule(LIST_INFO, "other_metadata"),
        "webp_unknown_odd_sized_chunk": webp_rule(riff_chunk(b"XYZW", b"odd"), "other_metadata"),
        "webp_lower_case_vp8l": webp_rule(
            riff_chunk(b"vp8l", bytes.fromhex("2f00000010071011118888fe07")), "other_metadata"
        ),
    }


RULES: dict[str, Fixture] = _rules()


# ---------------------------------------------------------------------------------------------
# Hostile and damaged files: (bytes, media type, reason)


def _jpeg_hostile() -> dict[str, tuple[bytes, str, str]]:
    bare = baseline_jpeg()
    dqt_at = bare.index(DQT)
    scan_at = bare.index(BASELINE_SCAN) + len(_scan(0, 63))

    def dqt_length(length: int) -> bytes:
        return bare[:dqt_at] + b"\xff\xdb" + struct.pack(">H", length) + bare[dqt_at + 4 :]

    cases = {
        "jpeg_not_a_jpeg": (PNG_SIGNATURE + bare, "not_a_jpeg"),
        "jpeg_empty": (b"", "not_a_jpeg"),
        "jpeg_segment_length_past_the_end": (dqt_length(0xFFFF), "truncated"),
        "jpeg_segment_length_0": (dqt_length(0), "bad_segment_length"),
        "jpeg_segment_length_1": (dqt_length(1), "bad_segment_length"),
        "jpeg_truncated_scan": (bare[: scan_at + 3], "truncated"),
        "jpeg_scan_ends_on_ff": (bare[: scan_at + 5], "truncated"),
        "jpeg_scan_without_data": (bare[:scan_at], "truncated"),
        "jpeg_no_eoi_only_fill": (bare[:scan_at] + b"\xff" * 64, "truncated"),
        "jpeg_garbage_between_segments": (bare[:dqt_at] + b"garbage" + bare[dqt_at:], "bad_marker"),
        "jpeg_second_soi": (bare[:dqt_at] + SOI + bare[dqt_at:], "bad_marker"),
        "jpeg_exif_length_past_the_end": (SOI + b"\xff\xe1\x40\x00Exif\x00\x00MM", "truncated"),
    }
    return {name: (data, "image/jpeg", reason) for name, (data, reason) in cases.items()}


def _png_hostile() -> dict[str, tuple[bytes, str, str]]:
    good = png_with_text_chunks().stripped
    idat_at = good.index(b"IDAT") - 4
    bad_crc = bytearray(good)
    bad_crc[idat_at + 9] ^= 0x01  # a byte of the first IDAT's data
    cases = {
        "png_not_a_png": (b"\x89PNG\r\n\x1a\x00" + good[8:], "not_a_png"),
        "png_signature_only": (PNG_SIGNATURE, "missing_ihdr"),
        "png_chunk_length_past_the_end": (
            good[:idat_at] + struct.pack(">I", 0x100000) + good[idat_at + 4 :],
            "truncated",
        ),
        "png_chunk_length_over_2_gib": (
            good[:idat_at] + struct.pack(">I", 0x8000_0000) + good[idat_at + 4 :],
            "bad_chunk_length",
        ),
        "png_bad_crc": (bytes(bad_crc), "bad_crc"),
        "png_first_chunk_not_ihdr": (PNG_SIGNATURE + PHYS + good[8:], "missing_ihdr"),
        "png_no_iend": (good[: -len(IEND)], "missing_iend"),
        "png_cut_in_a_chunk": (good[: idat_at + 6], "truncated"),
    }
    return {name: (data, "image/png", reason) for name, (data, reason) in cases.items()}


def _webp_hostile() -> dict[str, tuple[bytes, str, str]]:
    good = webp_with_exif_and_xmp().stripped
    chunks = good[12:]

    def with_riff_size(size: int) -> bytes:
        return b"RIFF" + struct.pack("<I", size) + b"WEBP" + chunks

    vp8l_at = chunks.index(b"VP8L")
    chunk_lie = chunks[: vp8l_at + 4] + struct.pack("<I", 0x7000) + chunks[vp8l_at + 8 :]
    cases = {
        "webp_not_a_webp": (b"RIFF" + good[4:8] + b"WAVE" + chunks, "not_a_webp"),
        "webp_riff_size_past_the_end": (with_riff_size(len(good) - 8 + 1000), "truncated"),
        "webp_riff_size_too_small": (with_riff_size(2), "bad_riff_size"),
        "webp_chunk_size_past_the_riff": (riff(chunk_lie), "truncated"),
        "webp_chunk_header_cut": (with_riff_size(len(good) - 8 + 4) + b"EXIF", "truncated"),
    }
    return {name: (data, "image/webp", reason) for name, (data, reason) in cases.items()}


def _other_hostile() -> dict[str, tuple[bytes, str, str]]:
    gif = gif_with_comment().stripped
    return {
        "gif_not_a_gif": (b"GIF90a" + gif[6:], "image/gif", "not_a_gif"),
        "gif_no_trailer": (gif[:-1], "image/gif", "truncated"),
        "gif_short_screen_descriptor": (gif[:10], "image/gif", "truncated"),
        "gif_unknown_block": (gif[:-1] + b"\x99;", "image/gif", "bad_block"),
        "gif_sub_block_past_the_end": (
            gif[: len(GIF_HEAD)] + b"\x21\xfe\xffshort",
            "image/gif",
            "truncated",
        ),
        "pdf_not_a_pdf": (b"%!PS-Adobe-3.0\n%%EOF\n", "application/pdf", "not_a_pdf"),
    }


HOSTILE: dict[str, tuple[bytes, str, str]] = {
    **_jpeg_hostile(),
    **_png_hostile(),
    **_webp_hostile(),
    **_other_hostile(),
}


def manifest() -> dict[str, object]:
    """`ALL`, `RULES` and `HOSTILE` as JSON-ready data, bytes in base64, for the browser's
    tests."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    def encoded(f: Fixture) -> dict[str, object]:
        return {
            "media_type": f.media_type,
            "original": b64(f.original),
            "stripped": b64(f.stripped),
            "removed": list(f.removed),
            "found_not_removed": list(f.found_not_removed),
            "orientation": f.orientation,
            "image_data": [b64(part) for part in f.image_data],
            "canaries": [b64(canary) for canary in f.canaries],
        }

    fixtures = {name: encoded(build()) for name, build in ALL.items()}
    rules = {name: encoded(rule) for name, rule in RULES.items()}
    hostile = {
        name: {"data": b64(data), "media_type": media_type, "reason": reason}
        for name, (data, media_type, reason) in HOSTILE.items()
    }
    markers = [b64(m) for m in MARKERS]
    return {"fixtures": fixtures, "rules": rules, "hostile": hostile, "markers": markers}


if __name__ == "__main__":
    print(json.dumps(manifest(), indent=1, sort_keys=True))
