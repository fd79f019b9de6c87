"""Sealed files in the browser module (crypto/stream.js) in Chromium, against crypto/stream.py
byte for byte.

The known-answer vectors of tests/stream_vectors.json (made by tests/test_crypto_stream.py)
are reproduced here: every sealed chunk of every vector, and every Padmé bucket. Then Python
seals and the browser opens, and the reverse; and every tampered file of the Python tests is
refused in the browser with the same error name and message.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

import crypto
from tests.test_crypto_stream import KEY, TAMPERINGS

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "stream_vectors.json").read_text(encoding="utf-8")
)
CHUNK = crypto.CHUNK_BYTES
CODES = {
    "ChunkAuthenticationFailed": "chunk-authentication-failed",
    "StreamTruncated": "stream-truncated",
    "StreamExtended": "stream-extended",
    "KeyFormatError": "key-format",
}

_PRELUDE = """
const stream = await import('/static/js/crypto/stream.js');
const { bytesToHex, hexToBytes } = await import('/static/js/crypto/encoding.js');
const sha256 = async (bytes) =>
  bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
const plaintextFor = (seed, length) => {
  const bytes = new Uint8Array(length);
  for (let j = 0; j < length; j += 1) {
    bytes[j] = (seed + 7 * j + 101 * Math.floor(j / 65536)) % 256;
  }
  return bytes;
};
const describe = (chunks) => Promise.all(chunks.map(async (sealed, index) => ({
  index,
  last: index === chunks.length - 1,
  length: sealed.length,
  head: bytesToHex(sealed.subarray(0, 32)),
  tag: bytesToHex(sealed.subarray(sealed.length - 16)),
  sha256: await sha256(sealed),
})));
const collect = async (generator) => {
  const chunks = [];
  for await (const chunk of generator) chunks.push(chunk);
  return chunks;
};
const errorOf = async (attempt) => {
  try { await attempt(); return null; } catch (error) {
    return { name: error.name, code: error.code ?? null, message: error.message };
  }
};
"""


def in_browser(page: Page, body: str, arg: Any = None) -> Any:
    """Run `body` as an async function in the page, with `stream`, helpers and `arg`."""
    return page.evaluate(f"async (arg) => {{ {_PRELUDE}\n{body}\n}}", arg)


def python_error(attempt: Any) -> dict[str, Any]:
    """What Python raises for the same input, as the browser reports its errors."""
    with pytest.raises((crypto.CryptoError, ValueError, TypeError)) as excinfo:
        attempt()
    name = type(excinfo.value).__name__
    return {"name": name, "code": CODES.get(name), "message": str(excinfo.value)}


@pytest.fixture(scope="module")
def stream_page(module_page: Page) -> Page:
    return module_page


# --- The known-answer vectors -------------------------------------------------------------


def test_browser_reproduces_the_stream_vectors(stream_page: Page) -> None:
    got = in_browser(
        stream_page,
        """
        const results = [];
        for (const v of arg) {
          const key = hexToBytes(v.key);
          const plaintext = plaintextFor(v.plaintext_seed, v.plaintext_length);
          const chunks = await stream.sealChunks(key, plaintext);
          const fromBlob = await collect(stream.sealStream(key, new Blob([plaintext])));
          results.push({
            plaintextSha256: await sha256(plaintext),
            chunks: await describe(chunks),
            blobChunks: await describe(fromBlob),
            openedSha256: await sha256(await stream.openChunks(key, chunks)),
          });
        }
        return results;
        """,
        VECTORS["streams"],
    )

    assert len(got) == len(VECTORS["streams"]) == 6
    for vector, result in zip(VECTORS["streams"], got, strict=True):
        expected_chunks = [
            {name: value for name, value in chunk.items() if name != "nonce"}
            for chunk in vector["chunks"]
        ]
        assert result == {
            "plaintextSha256": vector["plaintext_sha256"],
            "chunks": expected_chunks,
            "blobChunks": expected_chunks,
            "openedSha256": vector["plaintext_sha256"],
        }, vector["name"]


def test_browser_reproduces_the_padme_vectors(stream_page: Page) -> None:
    lengths = [vector["length"] for vector in VECTORS["padme"]]

    got = in_browser(
        stream_page,
        """
        return arg.map((length) => ({
          padded: stream.padme(length),
          bucket: length <= 100000 ? stream.padToBucket(new Uint8Array(length).fill(7)) : null,
        })).map(({ padded, bucket }) => ({
          padded,
          bucket: bucket && { length: bucket.length,
                              zeros: bucket.length - bucket.filter((b) => b === 7).length },
        }));
        """,
        lengths,
    )

    for vector, result in zip(VECTORS["padme"], got, strict=True):
        assert result["padded"] == vector["padded"], vector["length"]
        if result["bucket"] is not None:
            assert result["bucket"] == {
                "length": vector["padded"],
                "zeros": vector["padded"] - vector["length"],
            }


def test_browser_constants_and_counts_match_python(stream_page: Page) -> None:
    lengths = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 10**9, 2**40 + 1]

    got = in_browser(
        stream_page,
        """
        return {
          constants: [stream.CHUNK_BYTES, stream.SEALED_CHUNK_BYTES, stream.KEY_BYTES],
          counts: arg.map((n) => [stream.chunkCount(n), stream.sealedLength(n)]),
          key: stream.newContentKey().length,
          keysDiffer: bytesToHex(stream.newContentKey()) !== bytesToHex(stream.newContentKey()),
        };
        """,
        lengths,
    )

    assert got == {
        "constants": [crypto.CHUNK_BYTES, crypto.SEALED_CHUNK_BYTES, crypto.stream.KEY_BYTES],
        "counts": [[crypto.chunk_count(n), crypto.sealed_length(n)] for n in lengths],
        "key": 32,
        "keysDiffer": True,
    }


# --- Across the two sides -------------------------------------------------------------------


def test_the_browser_opens_what_python_sealed(stream_page: Page) -> None:
    key = crypto.new_content_key()
    plaintext = random.Random(1).randbytes(2 * CHUNK + 123)
    chunks = crypto.seal_chunks(key, plaintext)

    got = in_browser(
        stream_page,
        """
        const key = hexToBytes(arg.key);
        const chunks = arg.chunks.map(hexToBytes);
        const opener = new stream.StreamOpener(key);
        const pieces = [];
        for (const [index, chunk] of chunks.entries()) {
          pieces.push(bytesToHex(await opener.open(index, chunk)));
        }
        opener.finish();
        const fromAsync = (async function* () { yield* chunks; })();
        return {
          whole: bytesToHex(await stream.openChunks(key, chunks)),
          fromAsync: bytesToHex(await stream.openChunks(key, fromAsync)),
          pieces,
        };
        """,
        {"key": key.hex(), "chunks": [chunk.hex() for chunk in chunks]},
    )

    assert got["whole"] == got["fromAsync"] == plaintext.hex()
    assert got["pieces"] == [
        plaintext[i : i + CHUNK].hex() for i in range(0, len(plaintext), CHUNK)
    ]


def test_python_opens_what_the_browser_sealed(stream_page: Page) -> None:
    plaintext = random.Random(2).randbytes(3 * CHUNK + 5)

    got = in_browser(
        stream_page,
        """
        const key = stream.newContentKey();
        const plaintext = hexToBytes(arg);
        const padded = stream.padToBucket(plaintext);
        const chunks = await collect(stream.sealStream(key, new Blob([padded])));
        return { key: bytesToHex(key), chunks: chunks.map(bytesToHex) };
        """,
        plaintext.hex(),
    )

    chunks = [bytes.fromhex(chunk) for chunk in got["chunks"]]
    opened = crypto.open_chunks(bytes.fromhex(got["key"]), chunks)
    assert opened == crypto.pad_to_bucket(plaintext)
    assert len(chunks) == crypto.chunk_count(crypto.padme(len(plaintext)))


def test_the_browser_reads_a_blob_a_window_of_chunks_at_a_time(stream_page: Page) -> None:
    # 16 chunks (a megabyte) per read: never the whole file, and few reads of a large one.
    got = in_browser(
        stream_page,
        """
        const blob = new Blob([new Uint8Array(33 * stream.CHUNK_BYTES + 10)]);
        const slices = [];
        const slice = blob.slice.bind(blob);
        blob.slice = (start, end) => { slices.push([start, end]); return slice(start, end); };
        const sealed = stream.sealStream(stream.newContentKey(), blob);
        const first = await sealed.next();
        const afterFirst = slices.length;
        const rest = await collect(sealed);
        return { afterFirst, slices, firstLength: first.value.length,
                 restLengths: rest.map((chunk) => chunk.length) };
        """,
    )

    window = 16 * CHUNK
    assert got == {
        "afterFirst": 1,
        "slices": [[0, window], [window, 2 * window], [2 * window, 33 * CHUNK + 10]],
        "firstLength": crypto.SEALED_CHUNK_BYTES,
        "restLengths": [crypto.SEALED_CHUNK_BYTES] * 32 + [10 + 16],
    }


# --- Refused in the browser as in Python ------------------------------------------------------


def test_tampered_files_are_refused_in_the_browser_as_in_python(stream_page: Page) -> None:
    # Each distinct chunk crosses once; a case is a list of positions in that pool.
    pool: dict[bytes, int] = {}
    cases = {
        name: [pool.setdefault(chunk, len(pool)) for chunk in chunks]
        for name, (chunks, _, _) in TAMPERINGS.items()
    }

    errors = in_browser(
        stream_page,
        """
        const key = hexToBytes(arg.key);
        const pool = arg.pool.map(hexToBytes);
        const results = {};
        for (const [name, positions] of Object.entries(arg.cases)) {
          const chunks = positions.map((i) => pool[i]);
          results[name] = await errorOf(() => stream.openChunks(key, chunks));
        }
        return results;
        """,
        {"key": KEY.hex(), "pool": [chunk.hex() for chunk in pool], "cases": cases},
    )

    assert list(errors) == list(TAMPERINGS)
    for name, (chunks, error, message) in TAMPERINGS.items():
        expected = python_error(lambda chunks=chunks: crypto.open_chunks(KEY, chunks))
        assert expected["name"] == error.__name__
        assert expected["message"] == message
        assert errors[name] == expected, name


def test_bad_keys_are_refused_in_the_browser_as_in_python(stream_page: Page) -> None:
    sizes = [0, 16, 31, 33]

    got = in_browser(
        stream_page,
        """
        const results = [];
        for (const size of arg) {
          const key = new Uint8Array(size);
          results.push([
            await errorOf(() => stream.sealChunks(key, new Uint8Array(1))),
            await errorOf(() => stream.sealStream(key, new Uint8Array(1))),
            await errorOf(() => stream.openChunks(key, [])),
            await errorOf(() => new stream.StreamOpener(key)),
          ]);
        }
        return results;
        """,
        sizes,
    )

    for size, errors in zip(sizes, got, strict=True):
        expected = python_error(lambda size=size: crypto.StreamOpener(bytes(size)))
        assert expected["name"] == "KeyFormatError"
        assert errors == [expected | {"name": "CryptoError"}] * 4, size


def test_bad_lengths_are_refused_in_the_browser_as_in_python(stream_page: Page) -> None:
    got = in_browser(
        stream_page,
        """
        return [await errorOf(() => stream.padme(-1)), await errorOf(() => stream.padme(1.5)),
                await errorOf(() => stream.chunkCount(-1))];
        """,
    )

    negative = python_error(lambda: crypto.padme(-1))
    assert got[0] == {"name": "RangeError", "code": None, "message": negative["message"]}
    assert got[1] == {
        "name": "TypeError",
        "code": None,
        "message": "a length must be a whole number, not 1.5",
    }
    assert got[2] == got[0]


def test_the_browser_opener_keeps_order_as_in_python(stream_page: Page) -> None:
    chunks = crypto.seal_chunks(KEY, bytes(CHUNK + 1))

    got = in_browser(
        stream_page,
        """
        const [c0, c1] = arg.chunks.map(hexToBytes);
        const opener = new stream.StreamOpener(hexToBytes(arg.key));
        const outOfTurn = await errorOf(() => opener.open(1, c1));
        await opener.open(0, c0);
        const early = await errorOf(() => opener.finish());
        await opener.open(1, c1);
        opener.finish();
        const extended = await errorOf(() => opener.open(2, c1));
        return { outOfTurn, early, extended };
        """,
        {"key": KEY.hex(), "chunks": [chunk.hex() for chunk in chunks]},
    )

    opener = crypto.StreamOpener(KEY)
    out_of_turn = python_error(lambda: opener.open(1, chunks[1]))
    opener.open(0, chunks[0])
    early = python_error(opener.finish)
    opener.open(1, chunks[1])
    extended = python_error(lambda: opener.open(2, chunks[1]))
    assert got == {
        "outOfTurn": {"name": "RangeError", "code": None, "message": out_of_turn["message"]},
        "early": early,
        "extended": extended,
    }
