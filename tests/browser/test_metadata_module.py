"""The browser's metadata cleaner (advisory/static/js/metadata/) in Chromium, against the
shared fixtures (tests/metadata_fixtures.py) and the server's twin (advisory/metadata) byte for
byte.

The module is imported into the live landing page under the site's normal CSP, as the
evidence form will: `await import('/static/js/metadata/index.js')`. Bytes cross the boundary
as base64; each test runs its whole batch in one `page.evaluate`.
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
import zlib
from typing import Any

import pytest
from playwright.sync_api import Page

from advisory import metadata
from tests.metadata_fixtures import (
    ALL,
    APP0_JFIF,
    DHT_AC,
    DHT_DC,
    DQT,
    EOI,
    HOSTILE,
    RULES,
    SOI,
    Fixture,
    chunk,
    jpeg_exif,
    segment,
)

_PRELUDE = """
const metadata = await import('/static/js/metadata/index.js');
const fromBase64 = (text) => {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
};
const toBase64 = (bytes) => {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
};
// What strip makes of a file, in the shape `python_outcome` gives.
const outcome = (data, mediaType) => {
  try {
    const r = metadata.strip(fromBase64(data), mediaType);
    return ['cleaned', toBase64(r.data), r.removed, r.foundNotRemoved, r.orientation];
  } catch (error) {
    if (error instanceof metadata.UnreadableFile) return ['unreadable', error.reason];
    if (error instanceof metadata.UnsupportedType) return ['unsupported', error.mediaType];
    return ['other error', `${error.name}: ${error.message}`];
  }
};
"""

FUZZ_SEED = 20310517
FUZZ_VARIANTS_PER_FILE = 30
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf")


def in_browser(page: Page, body: str, arg: Any = None) -> Any:
    """Run `body` as an async function in the page, with `metadata`, base64 helpers and `arg`."""
    return page.evaluate(f"async (arg) => {{ {_PRELUDE}\n{body}\n}}", arg)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def outcomes_in_browser(page: Page, files: list[tuple[bytes, str]]) -> list[list[Any]]:
    return in_browser(
        page,
        "return arg.map(([data, type]) => outcome(data, type));",
        [[b64(data), media_type] for data, media_type in files],
    )


def python_outcome(data: bytes, media_type: str) -> list[Any]:
    """What advisory.metadata makes of a file, in the shape the page's `outcome` gives."""
    try:
        cleaned = metadata.strip(data, media_type)
    except metadata.UnreadableFile as error:
        return ["unreadable", error.reason]
    except metadata.UnsupportedType as error:
        return ["unsupported", error.media_type]
    return [
        "cleaned",
        b64(cleaned.data),
        list(cleaned.removed),
        list(cleaned.found_not_removed),
        cleaned.orientation,
    ]


def expected_outcome(fixture: Fixture) -> list[Any]:
    return [
        "cleaned",
        b64(fixture.stripped),
        list(fixture.removed),
        list(fixture.found_not_removed),
        fixture.orientation,
    ]


@pytest.fixture(scope="module")
def metadata_page(module_page: Page) -> Page:
    return module_page


@pytest.fixture(scope="module")
def fixtures() -> dict[str, Fixture]:
    return {name: build() for name, build in ALL.items()}


# --- The shared fixtures ----------------------------------------------------------------------


def test_browser_cleans_every_fixture_to_the_expected_bytes_and_findings(
    metadata_page: Page, fixtures: dict[str, Fixture]
) -> None:
    got = outcomes_in_browser(
        metadata_page, [(f.original, f.media_type) for f in fixtures.values()]
    )

    wrong = {
        name: result
        for (name, fixture), result in zip(fixtures.items(), got, strict=True)
        if result != expected_outcome(fixture)
    }
    assert wrong == {}
    assert len(got) == len(ALL) >= 15


def test_cleaning_a_cleaned_fixture_changes_nothing_more(
    metadata_page: Page, fixtures: dict[str, Fixture]
) -> None:
    got = outcomes_in_browser(
        metadata_page, [(f.stripped, f.media_type) for f in fixtures.values()]
    )

    for (name, fixture), result in zip(fixtures.items(), got, strict=True):
        assert result[:3] == ["cleaned", b64(fixture.stripped), []], name
        assert result[4] == fixture.orientation, name


def test_each_segment_chunk_and_extension_is_kept_or_left_out_as_in_python(
    metadata_page: Page,
) -> None:
    got = outcomes_in_browser(metadata_page, [(f.original, f.media_type) for f in RULES.values()])

    wrong = {
        name: result
        for (name, rule), result in zip(RULES.items(), got, strict=True)
        if result != expected_outcome(rule)
        or result != python_outcome(rule.original, rule.media_type)
    }
    assert wrong == {}


def test_every_hostile_file_is_unreadable_for_the_same_reason_as_in_python(
    metadata_page: Page,
) -> None:
    got = outcomes_in_browser(
        metadata_page, [(data, media_type) for data, media_type, _ in HOSTILE.values()]
    )

    assert dict(zip(HOSTILE, got, strict=True)) == {
        name: ["unreadable", reason] for name, (_, _, reason) in HOSTILE.items()
    }


@pytest.mark.parametrize(
    "media_type",
    ["image/tiff", "IMAGE/JPEG", "image/jpeg; charset=binary", "", "audio", "text/html"],
)
def test_an_unknown_media_type_is_unsupported_as_in_python(
    metadata_page: Page, media_type: str
) -> None:
    (got,) = outcomes_in_browser(metadata_page, [(b"\xff\xd8\xff\xd9", media_type)])

    assert got == python_outcome(b"\xff\xd8\xff\xd9", media_type) == ["unsupported", media_type]


# --- Mutations: nothing but UnreadableFile, and always what Python makes of the same bytes ---


def _fix_png_crcs(data: bytes) -> bytes:
    """`data` with every whole chunk's CRC made right again, so a mutation gets past the CRC."""
    fixed = bytearray(data)
    position = 8
    while position + 12 <= len(fixed):
        (length,) = struct.unpack_from(">I", fixed, position)
        end = position + 12 + length
        if end > len(fixed):
            break
        struct.pack_into(">I", fixed, end - 4, zlib.crc32(fixed[position + 4 : end - 4]))
        position = end
    return bytes(fixed)


_SPLICES = (
    b"\xff\xd8", b"\xff\xd9", b"\xff\xda\x00\x02", b"\xff\xe1\xff\xff", b"\xff\xff\xff",
    b"\xff\x00", b"\xff\xd0", b"\x21\xfe", b"\x21\xff\x0b", b"\x2c", b"\x3b",
    b"EXIF\xff\xff\xff\xff", b"VP8X", b"\x00\x00\x00\x00IEND", b"/Author", b"<x:xmpmeta",
)  # fmt: skip
_EXTREMES = (b"\x00\x00", b"\xff\xff", b"\x00\x01", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff")


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits: bit flips, bytes set, cuts, insertions, duplicated slices,
    length-like fields set to extremes, and marker or chunk names spliced in."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(out) + 1)
        kind = rng.randrange(7)
        if kind == 0 and at < len(out):
            out[at] ^= 1 << rng.randrange(8)
        elif kind == 1 and at < len(out):
            out[at] = rng.randrange(256)
        elif kind == 2:
            del out[at:]
        elif kind == 3:
            del out[at : at + rng.randint(1, 16)]
        elif kind == 4:
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        elif kind == 5:
            out[at:at] = out[at : at + rng.randint(1, 64)]
        elif kind == 6:
            out[at : at + 2] = rng.choice(_EXTREMES + _SPLICES)
        if not out:
            out = bytearray(data[:1])
    return bytes(out)


def mutation_corpus() -> list[tuple[bytes, str]]:
    """A few hundred damaged variants of the fixtures, the same on every run."""
    rng = random.Random(FUZZ_SEED)
    corpus = []
    for build in ALL.values():
        fixture = build()
        if fixture.media_type not in IMAGE_TYPES:
            continue
        for index in range(FUZZ_VARIANTS_PER_FILE):
            source = fixture.stripped if index % 4 == 3 else fixture.original
            variant = _mutate(source, rng)
            if fixture.media_type == "image/png" and index % 2:
                variant = _fix_png_crcs(variant)
            corpus.append((variant, fixture.media_type))
    return corpus


def test_mutated_files_only_ever_give_unreadable_file_and_agree_with_python(
    metadata_page: Page,
) -> None:
    corpus = mutation_corpus()

    got = outcomes_in_browser(metadata_page, corpus)

    kinds = [result[0] for result in got]
    assert "other error" not in kinds, [r for r in got if r[0] == "other error"][:5]
    assert {r[1] for r in got if r[0] == "unreadable"} <= set(metadata.REASONS)
    disagreements = [
        (index, media_type, result, python_outcome(data, media_type))
        for index, ((data, media_type), result) in enumerate(zip(corpus, got, strict=True))
        if result != python_outcome(data, media_type)
    ]
    assert disagreements == []
    # The corpus reaches past the first checks: some variants still clean, many do not.
    assert len(corpus) >= 300
    assert kinds.count("cleaned") >= 30
    assert kinds.count("unreadable") >= 100


# --- Speed ------------------------------------------------------------------------------------


def large_jpeg(scan_bytes: int = 5_000_000) -> bytes:
    """A 12-megapixel-sized baseline JPEG: full metadata, then `scan_bytes` of entropy-coded
    data (random, every 0xFF stuffed, a restart marker every 4 KiB). Not a picture a decoder
    would show, but the same work for the cleaner as one."""
    rng = random.Random(FUZZ_SEED)
    exif, _ = jpeg_exif(6)
    assert exif is not None
    raw = rng.randbytes(scan_bytes).replace(b"\xff", b"\xff\x00")
    blocks = [raw[i : i + 4096] for i in range(0, len(raw), 4096)]
    # A block may end in the FF of a stuffed FF00 whose 00 starts the next: keep pairs whole.
    scan = b"".join(
        block + (b"\xff" + bytes([0xD0 + n % 8]) if not block.endswith(b"\xff") else b"")
        for n, block in enumerate(blocks)
    )
    frame = segment(0xC0, b"\x08" + struct.pack(">HH", 3000, 4000) + b"\x01\x01\x11\x00")
    return (
        SOI + APP0_JFIF + exif + segment(0xFE, b"comment") + DQT + frame + DHT_DC + DHT_AC
        + segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0])) + scan + EOI
    )  # fmt: skip


def large_png(data_bytes: int = 5_000_000) -> bytes:
    """A PNG with `data_bytes` of IDAT (in 64 KiB chunks, each with its CRC) and text chunks."""
    rng = random.Random(FUZZ_SEED)
    raw = rng.randbytes(data_bytes)
    idat = b"".join(chunk(b"IDAT", raw[i : i + 65536]) for i in range(0, len(raw), 65536))
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 4000, 3000, 8, 2, 0, 0, 0))
    text = chunk(b"tEXt", b"Author\x00someone")
    return b"\x89PNG\r\n\x1a\n" + ihdr + text + idat + chunk(b"IEND", b"")


def test_a_large_photo_cleans_as_in_python_and_says_how_long(metadata_page: Page) -> None:
    # A megabyte each keeps the suite quick; bench/attachments.py times a 12-megapixel photo.
    files = {
        "JPEG": (large_jpeg(1_000_000), "image/jpeg"),
        "PNG": (large_png(1_000_000), "image/png"),
    }
    expected = {
        name: hashlib.sha256(metadata.strip(data, media_type).data).hexdigest()
        for name, (data, media_type) in files.items()
    }

    got = in_browser(
        metadata_page,
        """
        const results = {};
        for (const [name, [data, mediaType]] of Object.entries(arg)) {
          const bytes = fromBase64(data);
          const times = [];
          let cleaned;
          for (let run = 0; run < 2; run += 1) {
            const started = performance.now();
            cleaned = metadata.strip(bytes, mediaType);
            times.push(performance.now() - started);
          }
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', cleaned.data));
          results[name] = {
            size: bytes.length,
            sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
            milliseconds: times,
          };
        }
        return results;
        """,
        {name: [b64(data), media_type] for name, (data, media_type) in files.items()},
    )

    assert {name: result["sha256"] for name, result in got.items()} == expected
    for name, result in got.items():
        first, *again = result["milliseconds"]
        print(
            f"\nChromium: stripping a {result['size'] / 1e6:.1f} MB {name} took {first:.0f} ms"
            f" (then {', '.join(f'{t:.0f}' for t in again)} ms)"
        )


def test_a_pdf_shows_the_values_its_document_information_still_holds(metadata_page: Page) -> None:
    pdf = ALL["pdf_with_info"]().original
    unicode_title = "\ufeffSak om Åse".encode("utf-16-be")
    hostile = (
        b"%PDF-1.7\n<< /Author (Kari \\(HR\\) Nordmann\\n) /Title <"
        + unicode_title.hex().encode()
        + b"> /Subject 12 0 R /Creator (\xe2\x80\xaeevil) /Producer ("
        + b"x" * 500
        + b") >>"
    )

    got = in_browser(
        metadata_page,
        """
        const { pdfDetails } = await import('/static/js/metadata/pdf.js');
        return arg.map((file) => pdfDetails(fromBase64(file)));
        """,
        [b64(pdf), b64(hostile)],
    )

    assert got[0] == [
        {"finding": "author", "value": "Ada Canary-Reporter"},
        {"finding": "software", "value": "CanarySoft 4.2"},
        {"finding": "software", "value": "CanaryPDF 1.0"},
        {"finding": "date_taken", "value": "2031-05-17"},
        {"finding": "description", "value": "canary title"},
    ]
    details = {(d["finding"], d["value"]) for d in got[1]}
    assert ("author", "Kari (HR) Nordmann") in details
    assert ("description", "Sak om Åse") in details
    assert all(len(d["value"]) <= 80 for d in got[1])
    assert not any("\u202e" in d["value"] for d in got[1])  # no text-direction tricks
    assert not any(d["finding"] == "description" and d["value"] == "R" for d in got[1])
