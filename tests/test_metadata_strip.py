"""Evidence loses its identifying metadata before it is sealed (advisory/metadata).

The files are built in code by tests/metadata_fixtures.py, which the browser's cleaner is
tested against too. For every fixture: the cleaned file is exactly the expected bytes, the
picture comes through byte for byte, no metadata marker or canary string survives, the
findings are right, and cleaning again changes and finds nothing. Each segment, chunk and
extension is kept or left out by the rules of its format (`fx.RULES`). Damaged and hostile
files are `UnreadableFile` with their reason, and a seeded fuzz of every format finds nothing
else.
"""

from __future__ import annotations

import ast
import random
import signal
import struct
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from advisory.metadata import (
    FINDING_KEYS,
    REASONS,
    Stripped,
    UnreadableFile,
    UnsupportedType,
    inspect_pdf,
    strip,
)
from tests import metadata_fixtures as fx

PACKAGE = Path(__file__).parent.parent / "advisory" / "metadata"
IMAGES = [name for name, build in fx.ALL.items() if build().media_type.startswith("image/")]


def clean(fixture: fx.Fixture) -> Stripped:
    return strip(fixture.original, fixture.media_type)


def test_the_finding_keys_are_the_ones_the_pages_translate():
    assert FINDING_KEYS == (
        "gps_position",
        "camera_model",
        "date_taken",
        "author",
        "software",
        "description",
        "comment",
        "xmp",
        "iptc",
        "thumbnail",
        "trailing_data",
        "timestamp",
        "other_exif",
        "text_chunks",
        "content_credentials",
        "other_metadata",
    )


@pytest.mark.parametrize("name", fx.ALL)
def test_a_file_cleans_to_its_expected_bytes_and_findings(name):
    fixture = fx.ALL[name]()

    cleaned = clean(fixture)

    assert cleaned.data == fixture.stripped
    assert cleaned.removed == fixture.removed
    assert cleaned.found_not_removed == fixture.found_not_removed
    assert cleaned.orientation == fixture.orientation


@pytest.mark.parametrize("name", IMAGES)
def test_the_picture_comes_through_byte_for_byte(name):
    fixture = fx.ALL[name]()

    cleaned = clean(fixture).data

    assert fixture.image_data
    for part in fixture.image_data:
        assert fixture.original.count(part) == 1
        assert cleaned.count(part) == 1
    if fixture.media_type == "image/jpeg":  # everything from the (last) scan to EOI
        assert cleaned.endswith(fixture.image_data[-1])


@pytest.mark.parametrize("name", IMAGES)
def test_no_metadata_marker_and_no_canary_survives(name):
    fixture = fx.ALL[name]()

    cleaned = clean(fixture)

    data = cleaned.data
    if cleaned.orientation is not None:  # the one Exif that may stay: the Orientation alone
        kept = fx.orientation_only_exif(cleaned.orientation)
        assert data.count(kept) == 1
        data = data.replace(kept, b"")
    for marker in (*fx.MARKERS, *fixture.canaries):
        assert marker not in data, marker
    for canary in fixture.canaries:
        assert canary in fixture.original, canary  # the canaries were there to begin with


@pytest.mark.parametrize("name", fx.ALL)
def test_cleaning_a_cleaned_file_changes_and_removes_nothing(name):
    once = clean(fx.ALL[name]())

    twice = strip(once.data, fx.ALL[name]().media_type)

    assert twice.data == once.data
    assert twice.removed == ()
    assert twice.found_not_removed == once.found_not_removed
    assert twice.orientation == once.orientation


@pytest.mark.parametrize("name", fx.RULES)
def test_each_segment_chunk_and_extension_is_kept_or_left_out_by_its_rule(name):
    rule = fx.RULES[name]

    cleaned = clean(rule)

    assert (cleaned.data, cleaned.removed) == (rule.stripped, rule.removed)
    assert (cleaned.data == rule.original) == (rule.removed == ())
    assert strip(cleaned.data, rule.media_type).data == cleaned.data


@pytest.mark.parametrize("order", ["II", "MM"])
@pytest.mark.parametrize(
    ("orientation", "kept"),
    [(None, None), (0, None), (1, None), *((n, n) for n in range(2, 9)), (9, None)],
)
def test_a_photo_keeps_its_orientation_of_2_to_8_and_nothing_else(orientation, kept, order):
    fixture = fx.jpeg_with_metadata(orientation, order=order)

    cleaned = clean(fixture)

    assert cleaned.orientation == kept
    assert cleaned.data == fixture.stripped
    assert (b"Exif" in cleaned.data) == (kept is not None)


def one_tag_jpeg(tag: fx.Tag, order: fx.ByteOrder, *, in_exif_ifd: bool = False) -> bytes:
    body = fx.tiff(order, [] if in_exif_ifd else [tag], [tag] if in_exif_ifd else [])
    exif = fx.segment(0xE1, b"Exif\x00\x00" + body)
    return fx.SOI + fx.APP0_JFIF + exif + fx.BASELINE_TABLES + fx.BASELINE_SCAN


@pytest.mark.parametrize("order", ["II", "MM"])
@pytest.mark.parametrize(
    ("tag", "in_exif_ifd", "removed"),
    [
        (fx.ascii_tag(0x010F, fx.MAKE), False, ("camera_model",)),
        (fx.ascii_tag(0x0110, fx.MODEL), False, ("camera_model",)),
        (fx.ascii_tag(0x0132, fx.DATE), False, ("date_taken",)),
        (fx.ascii_tag(0x9003, fx.DATE), True, ("date_taken",)),
        (fx.ascii_tag(0x9004, fx.DATE), True, ("date_taken",)),
        (fx.ascii_tag(0x013B, fx.ARTIST), False, ("author",)),
        (fx.ascii_tag(0x0131, fx.SOFTWARE), False, ("software",)),
        (fx.ascii_tag(0x010E, fx.DESCRIPTION), False, ("description",)),
        (fx.Tag(0x829A, fx.RATIONAL, (1, 60)), True, ("other_exif",)),  # ExposureTime
        (fx.Tag(0x011A, fx.RATIONAL, (72, 1)), False, ("other_exif",)),  # XResolution
        (fx.Tag(0x0112, fx.SHORT, (1,)), False, ()),  # Orientation: structure, and 1 is dropped
        (fx.Tag(0xA005, fx.LONG, (0,)), True, ()),  # the Interoperability pointer: structure
    ],
)
def test_each_exif_tag_is_reported_as_what_it_reveals(tag, in_exif_ifd, removed, order):
    cleaned = strip(one_tag_jpeg(tag, order, in_exif_ifd=in_exif_ifd), "image/jpeg")

    assert cleaned.removed == removed
    assert cleaned.data == fx.baseline_jpeg()


def png_with(*chunks: bytes) -> bytes:
    idat = fx.chunk(b"IDAT", fx.stored_zlib(b"\x00\x80"))
    return fx.PNG_SIGNATURE + fx.IHDR + b"".join(chunks) + idat + fx.IEND


@pytest.mark.parametrize(
    ("chunk", "removed"),
    [
        (fx.chunk(b"tEXt", b"Author\x00Ada"), ("author", "text_chunks")),
        (fx.chunk(b"tEXt", b"Software\x00GIMP"), ("software", "text_chunks")),
        (fx.chunk(b"zTXt", b"Comment\x00\x00" + fx.stored_zlib(b"hi")), ("comment", "text_chunks")),
        (fx.chunk(b"iTXt", b"Description\x00\x00\x00\x00\x00x"), ("description", "text_chunks")),
        (fx.chunk(b"tEXt", b"Creation Time\x002031"), ("date_taken", "text_chunks")),
        (fx.chunk(b"tEXt", b"Title\x00Payslip"), ("text_chunks",)),
        (fx.chunk(b"tEXt", b"author\x00lower case is another keyword"), ("text_chunks",)),
        (fx.chunk(b"tEXt", b"no keyword end"), ("text_chunks",)),
        (fx.chunk(b"tIME", struct.pack(">HBBBBB", 2031, 5, 17, 9, 41, 0)), ("timestamp",)),
        (fx.chunk(b"eXIf", fx.tiff("MM", [], gps=fx.gps_tags())), ("gps_position",)),
        (fx.chunk(b"eXIf", b"not a TIFF at all"), ()),
    ],
)
def test_each_png_metadata_chunk_is_dropped_and_reported(chunk, removed):
    cleaned = strip(png_with(fx.PHYS, chunk), "image/png")

    assert cleaned.removed == removed
    assert cleaned.data == png_with(fx.PHYS)


@pytest.mark.parametrize(
    ("info", "found"),
    [
        (b"<< /Author (Ada) >>", ("author",)),
        (b"<< /Author<416461> >>", ("author",)),  # a hex string, no space
        (b"<< /Creator 7 0 R >>", ("software",)),  # a reference: the string is elsewhere
        (b"<< /Producer (x) /ModDate (D:2031) >>", ("date_taken", "software")),
        (b"<< /Subject (pay) /Title (slip) >>", ("description",)),
        (b"<< /Authors (not a document information name) >>", ()),
    ],
)
def test_a_pdf_is_never_rewritten_and_says_what_it_still_holds(info, found):
    document = fx.pdf([b"<< /Type /Catalog /Pages 2 0 R >>", *fx.PDF_PAGES, info], b"/Info 4 0 R")

    inspected = inspect_pdf(document)

    assert inspected == strip(document, "application/pdf")
    assert inspected.data == document
    assert inspected.removed == ()
    assert inspected.found_not_removed == found


@pytest.mark.parametrize("media_type", ["text/plain", "audio/ogg", "audio/mpeg", "audio/webm"])
def test_text_and_audio_pass_through_unchanged(media_type):
    data = fx.jpeg_with_metadata().original  # bytes are bytes: the type decides

    cleaned = strip(data, media_type)

    assert cleaned == Stripped(data)


@pytest.mark.parametrize(
    "media_type",
    ["image/heic", "image/svg+xml", "IMAGE/JPEG", "image/jpeg; q=1", "audio/", "text/html", ""],
)
def test_an_unknown_media_type_is_unsupported(media_type):
    with pytest.raises(UnsupportedType) as raised:
        strip(fx.baseline_jpeg(), media_type)

    assert raised.value.media_type == media_type


@pytest.mark.parametrize("name", fx.HOSTILE)
def test_a_damaged_file_is_unreadable_with_its_reason(name):
    data, media_type, reason = fx.HOSTILE[name]

    with pytest.raises(UnreadableFile) as raised:
        strip(data, media_type)

    assert raised.value.reason == reason
    assert reason in REASONS


def test_a_result_never_shows_the_file_in_its_repr():
    cleaned = strip(b"the foreman threatened me on Friday", "text/plain")

    assert "foreman" not in repr(cleaned)
    assert repr(cleaned) == "Stripped(removed=(), found_not_removed=(), orientation=None)"


def test_the_package_imports_only_the_standard_library_and_itself():
    """A domain module (see tests/test_import_layers.py): no Flask, no database, no app."""
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: a relative import"
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                stdlib = name.split(".")[0] in sys.stdlib_module_names
                assert stdlib or name.startswith("advisory.metadata"), f"{path.name}: {name}"


# ---------------------------------------------------------------------------------------------
# Fuzz: seeded mutations of every format never raise anything but UnreadableFile, never take
# long, and whatever cleans is already clean the second time.

FUZZED = {
    "jpeg_with_metadata": 3000,
    "progressive_jpeg_with_metadata": 2000,
    "jpeg_exif_ifd_loop": 1000,
    "jpeg_with_other_segments": 2000,
    "png_with_text_chunks": 3000,
    "png_with_content_credentials": 1000,
    "webp_with_exif_and_xmp": 3000,
    "webp_with_other_chunks": 2000,
    "gif_with_comment": 3000,
    "gif_with_application_extensions": 2000,
    "pdf_with_info": 500,
}
INTERESTING = [b"\xff\xff", b"\x00\x00", b"\xff\xd9", b"\xff\xda", b"\x00\x01", b"\xff\xff\xff\xff"]


def mutate(rng: random.Random, data: bytes) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not mutated:
            break
        at = rng.randrange(len(mutated))
        operation = rng.randrange(7)
        if operation == 0:
            mutated[at] = rng.randrange(256)
        elif operation == 1:
            mutated[at] ^= 1 << rng.randrange(8)
        elif operation == 2:
            del mutated[at:]
        elif operation == 3:
            del mutated[at : at + rng.randint(1, 32)]
        elif operation == 4:
            mutated[at:at] = rng.randbytes(rng.randint(1, 16))
        elif operation == 5:
            start = rng.randrange(len(mutated))
            mutated[at:at] = mutated[start : start + rng.randint(1, 64)]
        else:
            mutated[at : at + 2] = rng.choice(INTERESTING)
    return bytes(mutated)


def with_fixed_crcs(png: bytes) -> bytes:
    """Every chunk's CRC made right again, as far as the lengths can be followed."""
    fixed, position = bytearray(png), 8
    while position + 12 <= len(fixed):
        end = position + 12 + int.from_bytes(fixed[position : position + 4], "big")
        if end > len(fixed):
            break
        fixed[end - 4 : end] = struct.pack(">I", zlib.crc32(fixed[position + 4 : end - 4]))
        position = end
    return bytes(fixed)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts a loop that does not end."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", FUZZED)
def test_mutated_files_are_cleaned_or_unreadable_and_nothing_else(name):
    fixture = fx.ALL[name]()
    rng = random.Random(name)
    cleaned_files, reasons = 0, Counter[str]()

    with deadline(10):
        for _ in range(FUZZED[name]):
            data = mutate(rng, fixture.original)
            if fixture.media_type == "image/png" and rng.random() < 0.7:
                data = with_fixed_crcs(data)
            try:
                cleaned = strip(data, fixture.media_type)
            except UnreadableFile as error:
                reasons[error.reason] += 1
                continue
            cleaned_files += 1
            again = strip(cleaned.data, fixture.media_type)
            assert (again.data, again.removed) == (cleaned.data, ())

    assert set(reasons) <= set(REASONS)
    assert cleaned_files > 0, reasons  # both ways were walked
    assert reasons


# ---------------------------------------------------------------------------------------------
# Speed, printed only: a 12-megapixel photo (about 5 MB of scan data) cleans in time linear in
# its size, the scan data searched by bytes patterns rather than byte by byte in Python.


def large_jpeg(scan_bytes: int) -> tuple[bytes, bytes]:
    """A 4000x3000 baseline JPEG header with full metadata, and `scan_bytes` of random scan
    data (stuffed, a restart marker every 4 KiB); the photo and its scan (SOS to EOI)."""
    rng = random.Random(12)
    pieces = [
        rng.randbytes(4096).replace(b"\xff", b"\xff\x00") + bytes([0xFF, 0xD0 + i % 8])
        for i in range(scan_bytes // 4096)
    ]
    scan = fx.segment(0xDA, bytes([1, 1, 0, 0, 63, 0])) + b"".join(pieces) + fx.EOI
    frame = fx.segment(0xC0, b"\x08" + struct.pack(">HH", 3000, 4000) + b"\x01\x01\x11\x00")
    exif, _ = fx.jpeg_exif(6)
    assert exif is not None
    head = fx.SOI + fx.APP0_JFIF + exif + fx.segment(0xFE, fx.COMMENT)
    return head + fx.DQT + frame + fx.DHT_DC + fx.DHT_AC + fx.DRI + scan + fx.TRAILING, scan


def test_a_12_megapixel_photo_cleans_in_linear_time():
    rates = []
    for megabytes in (1, 5):
        photo, scan = large_jpeg(megabytes * 1_000_000)
        started = time.perf_counter()
        cleaned = strip(photo, "image/jpeg")
        elapsed = time.perf_counter() - started
        assert cleaned.data.endswith(scan)
        assert cleaned.orientation == 6
        rates.append(len(photo) / elapsed / 1e6)
        print(f"\nJPEG {len(photo) / 1e6:.1f} MB cleaned in {elapsed * 1000:.1f} ms")
    print(f"MB/s at 1 MB and at 5 MB (about equal when linear): {rates[0]:.0f}, {rates[1]:.0f}")
