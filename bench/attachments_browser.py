"""The browser's part of sending evidence, timed in Chromium: sealing, and stripping metadata.

Run by bench/attachments.py. It builds a fresh instance (SQLite, migrations, a line key), serves
it with gunicorn as bench/intake.py does, loads /report in the system Chromium
(/usr/bin/chromium, never a downloaded one) and times in that page:

- sealing `megabytes` of random bytes with /static/js/crypto/stream.js: `sealChunks` over a
  Uint8Array, and `sealStream` over a Blob, as attachments.js reads a picked file (16 chunks
  at a time), and reading that Blob the same way without sealing; a fresh content key
  each run;
- `strip` of /static/js/metadata/index.js on a synthetic 12-megapixel JPEG (below);

and the same JPEG through `advisory.metadata.strip` in this process. Both outputs must be the
same bytes, without the canaries the metadata carried. Each figure is the median of `runs`.
"""

from __future__ import annotations

import base64
import hashlib
import random
import secrets
import statistics
import struct
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from advisory.metadata import strip
from bench.intake import prepare_database, server_env, serving
from bench.sign_in import CHROMIUM
from tests.metadata_fixtures import (
    APP0_JFIF,
    APP2_ICC,
    APP14_ADOBE,
    COMMENT,
    DHT_AC,
    DHT_DC,
    DQT,
    DRI,
    EOI,
    GPS_METHOD,
    IPTC_BYLINE,
    MODEL,
    SOI,
    TRAILING,
    XMP_TEXT,
    iptc_resource,
    jpeg_exif,
    segment,
    xmp_packet,
)

TARGET_SEAL_MB_PER_S = 50
MIB = 1024 * 1024
WIDTH, HEIGHT = 4000, 3000  # 12 megapixels
ENTROPY_BYTES = 5 * MIB
RESTART_EVERY = 4096  # bytes of entropy-coded data between restart markers
CANARIES = (GPS_METHOD, MODEL, XMP_TEXT, IPTC_BYLINE, COMMENT, TRAILING)

SEAL = """async ({ megabytes, runs }) => {
  const stream = await import("/static/js/crypto/stream.js");
  const size = megabytes * 1024 * 1024;
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(data.subarray(at, Math.min(at + 65536, size)));
  }
  const blob = new Blob([data]);
  const array = [], streamed = [], read = [];
  for (let run = 0; run < runs; run += 1) {
    let start = performance.now();
    const chunks = await stream.sealChunks(stream.newContentKey(), data);
    array.push(performance.now() - start);
    if (chunks.length !== stream.chunkCount(size)) throw new Error("sealChunks: chunks missing");
    start = performance.now();
    let sealed = 0;
    for await (const chunk of stream.sealStream(stream.newContentKey(), blob)) {
      sealed += chunk.length;
    }
    streamed.push(performance.now() - start);
    if (sealed !== stream.sealedLength(size)) throw new Error("sealStream: bytes missing");
    start = performance.now();  // what sealStream reads from a Blob, without sealing it
    for (let at = 0; at < size; at += 16 * stream.CHUNK_BYTES) {
      await blob.slice(at, at + 16 * stream.CHUNK_BYTES).arrayBuffer();
    }
    read.push(performance.now() - start);
  }
  return { array, streamed, read };
}"""

STRIP = """async ({ jpeg, runs }) => {
  const { strip } = await import("/static/js/metadata/index.js");
  const text = atob(jpeg);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  const times = [];
  let result;
  for (let run = 0; run < runs; run += 1) {
    const start = performance.now();
    result = strip(bytes, "image/jpeg");
    times.push(performance.now() - start);
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", result.data));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return { times, digest: hex, removed: result.removed };
}"""


def twelve_megapixel_jpeg() -> bytes:
    """A 4000x3000 baseline JPEG as a phone might write it, with the fixtures' metadata: Exif
    (camera, dates, GPS, a thumbnail, Orientation 6), XMP, IPTC, a comment and trailing data.
    Its ~5 MB of entropy-coded data is random, its 0xFF bytes stuffed, with a restart marker
    every 4 KiB: real JPEG structure for the cleaners, though no decoder would show a picture."""
    rng = random.Random(12)
    pieces = [
        rng.randbytes(RESTART_EVERY).replace(b"\xff", b"\xff\x00")
        for _ in range(ENTROPY_BYTES // RESTART_EVERY)
    ]
    entropy = b"".join(
        piece + (bytes([0xFF, 0xD0 + n % 8]) if n < len(pieces) - 1 else b"")
        for n, piece in enumerate(pieces)
    )
    exif, _ = jpeg_exif(6)
    assert exif is not None
    frame = segment(0xC0, b"\x08" + struct.pack(">HH", HEIGHT, WIDTH) + b"\x01\x01\x11\x00")
    scan = segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0]))
    return b"".join(
        [
            SOI,
            APP0_JFIF,
            exif,
            segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet()),
            APP2_ICC,
            segment(0xED, b"Photoshop 3.0\x00" + iptc_resource()),
            APP14_ADOBE,
            segment(0xFE, COMMENT),
            DQT,
            frame,
            DHT_DC,
            DHT_AC,
            DRI,
            scan,
            entropy,
            EOI,
            TRAILING,
        ]
    )


def browser_figures(workdir: Path, megabytes: int, runs: int) -> list[str]:
    """Serve a fresh instance, time sealing and stripping in Chromium and stripping in Python;
    the report's lines."""
    workdir.mkdir()
    secret_hex = {
        f"ADVISORY_{name}": secrets.token_hex(32) for name in ("SECRET_KEY", "PEPPER", "DATA_KEY")
    }
    env = server_env(workdir, f"sqlite:///{workdir / 'bench.db'}", secret_hex)
    prepare_database(env)
    jpeg = twelve_megapixel_jpeg()
    with (
        serving(env, workdir / "gunicorn.log") as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.port}/report")
            sealed = page.evaluate(SEAL, {"megabytes": megabytes, "runs": runs})
            stripped = page.evaluate(
                STRIP, {"jpeg": base64.b64encode(jpeg).decode("ascii"), "runs": runs}
            )
        finally:
            browser.close()

    python_ms = []
    for _ in range(runs):
        started = time.perf_counter()
        result = strip(jpeg, "image/jpeg")
        python_ms.append((time.perf_counter() - started) * 1000)
    same = hashlib.sha256(result.data).hexdigest() == stripped["digest"]
    clean = not any(canary in result.data for canary in CANARIES)

    def rate(milliseconds: list[float]) -> float:
        return megabytes / (statistics.median(milliseconds) / 1000)

    array, blob = rate(sealed["array"]), rate(sealed["streamed"])
    met = "met" if min(array, blob) >= TARGET_SEAL_MB_PER_S else "NOT met"
    return [
        f"browser (Chromium, /report of the served app), median of {runs} runs:",
        f"  seal {megabytes} MB, sealChunks(Uint8Array): {array:.0f} MB/s; "
        f"sealStream(Blob): {blob:.0f} MB/s (target >= {TARGET_SEAL_MB_PER_S} MB/s: {met}); "
        f"reading the Blob alone, as sealStream does: {rate(sealed['read']):.0f} MB/s",
        f"  strip a {WIDTH}x{HEIGHT} JPEG of {len(jpeg) / MIB:.1f} MB: browser "
        f"{statistics.median(stripped['times']):.1f} ms, Python "
        f"{statistics.median(python_ms):.1f} ms; {len(jpeg) - len(result.data)} bytes removed "
        f"({', '.join(result.removed)}); outputs equal: {'yes' if same else 'NO'}; "
        f"canaries gone: {'yes' if clean else 'NO'}",
    ]
