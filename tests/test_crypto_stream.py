"""Sealed files for evidence attachments (crypto/stream.py): STREAM over AES-256-GCM, chunk by
chunk, and Padmé size buckets.

The byte format is pinned by known-answer vectors in `stream_vectors.json`, which the browser
module must reproduce too (tests/browser/test_stream_module.py). `build_vectors` below makes
that file from fixed inputs with `cryptography`'s AESGCM and plain integer arithmetic, never
with crypto/stream.py; a test compares the file with it, so the file cannot drift. Regenerate
it after a deliberate format change with `.venv/bin/python tests/test_crypto_stream.py` (or
`-m tests.test_crypto_stream`).

The vectors hold each chunk's nonce, length, first bytes, tag and SHA-256 rather than the
whole ciphertext, which would make a file of megabytes; each plaintext is rebuilt from its
seed by `plaintext_for`, and pinned by its own SHA-256.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # as a script, the project root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hashlib
import json
import random
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

import crypto
from crypto import stream

VECTOR_FILE = Path(__file__).parent / "stream_vectors.json"
CHUNK = 65536
TAG = 16

# --- The vector generator: fixed inputs, outputs computed by hand -------------------------

STREAM_INPUTS = [  # (name, plaintext length)
    ("empty", 0),
    ("one byte", 1),
    ("exactly one chunk", CHUNK),
    ("one chunk and one byte", CHUNK + 1),
    ("three chunks", 2 * CHUNK + 1000),
    ("three full chunks", 3 * CHUNK),
]
PADME_LENGTHS = [
    *(0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 100, 255, 256, 257, 1000),
    *(CHUNK - 1, CHUNK, CHUNK + 1, 10**6, 10**7, 25 * 2**20),
    # Past 32 bits: the browser must not round with 32-bit bit operations.
    *(2**31 - 1, 2**31 + 1, 2**32 + 1, 5 * 10**12),
]


def fixed_bytes(label: str, size: int = 32) -> bytes:
    """Deterministic test bytes, so the generator needs no randomness."""
    return hashlib.sha256(b"advisory-line stream vector/" + label.encode()).digest()[:size]


def plaintext_for(seed: int, length: int) -> bytes:
    """Byte j is (seed + 7j + 101 floor(j / 65536)) mod 256: each chunk's bytes differ from
    the others', so a chunk sealed from the wrong offset would not match."""
    return bytes((seed + 7 * j + 101 * (j >> 16)) % 256 for j in range(length))


def reference_nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def reference_seal(key: bytes, plaintext: bytes) -> list[bytes]:
    """STREAM by hand: 64 KiB chunks, the last 1 to 64 KiB (or empty for an empty file)."""
    starts = list(range(0, len(plaintext), CHUNK)) or [0]
    return [
        AESGCM(key).encrypt(
            reference_nonce(index, index == len(starts) - 1),
            plaintext[start : start + CHUNK],
            None,
        )
        for index, start in enumerate(starts)
    ]


def describe_chunks(chunks: list[bytes]) -> list[dict[str, Any]]:
    """What the vectors keep of each sealed chunk."""
    return [
        {
            "index": index,
            "last": index == len(chunks) - 1,
            "nonce": reference_nonce(index, index == len(chunks) - 1).hex(),
            "length": len(sealed),
            "head": sealed[:32].hex(),
            "tag": sealed[-TAG:].hex(),
            "sha256": hashlib.sha256(sealed).hexdigest(),
        }
        for index, sealed in enumerate(chunks)
    ]


def reference_padme(length: int) -> int:
    """Padmé as the paper writes it, with integer logarithms; 0 and 1 are their own buckets."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1  # E = floor(log2 L)
    size_bits = exponent.bit_length()  # S = floor(log2 E) + 1
    mask = 2 ** (exponent - size_bits) - 1
    return (length + mask) & ~mask


def build_vectors() -> dict[str, Any]:
    """The whole vector file, from fixed inputs."""
    streams = []
    for number, (name, length) in enumerate(STREAM_INPUTS):
        key = fixed_bytes(f"content key {name}")
        seed = 37 * number + 11
        plaintext = plaintext_for(seed, length)
        streams.append(
            {
                "name": name,
                "key": key.hex(),
                "plaintext_seed": seed,
                "plaintext_length": length,
                "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
                "chunks": describe_chunks(reference_seal(key, plaintext)),
            }
        )
    return {
        "about": (
            "Known-answer vectors of sealed files (STREAM over AES-256-GCM, 64 KiB chunks) "
            "and Padmé size buckets, shared by crypto/stream.py and the browser module. "
            "Plaintext byte j is (plaintext_seed + 7j + 101 floor(j / 65536)) mod 256. Made by "
            "build_vectors in tests/test_crypto_stream.py; regenerate with: "
            ".venv/bin/python tests/test_crypto_stream.py"
        ),
        "chunk_bytes": CHUNK,
        "streams": streams,
        "padme": [{"length": n, "padded": reference_padme(n)} for n in PADME_LENGTHS],
    }


def write_vectors() -> None:
    VECTOR_FILE.write_text(json.dumps(build_vectors(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":  # regenerate, before the module reads the file below
    write_vectors()
    raise SystemExit(0)

VECTORS: dict[str, Any] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
STREAMS = {vector["name"]: vector for vector in VECTORS["streams"]}


def plaintext_of(vector: dict[str, Any]) -> bytes:
    return plaintext_for(vector["plaintext_seed"], vector["plaintext_length"])


# --- The vector file ----------------------------------------------------------------------


def test_vector_file_is_what_the_generator_makes() -> None:
    assert build_vectors() == VECTORS


def test_the_vectors_cover_the_chunk_boundaries() -> None:
    counts = [len(vector["chunks"]) for vector in VECTORS["streams"]]
    last_lengths = [vector["chunks"][-1]["length"] for vector in VECTORS["streams"]]

    assert counts == [1, 1, 1, 2, 3, 3]
    assert last_lengths == [TAG, 1 + TAG, CHUNK + TAG, 1 + TAG, 1000 + TAG, CHUNK + TAG]


@pytest.mark.parametrize("name", list(STREAMS))
def test_sealing_reproduces_the_vectors(name: str) -> None:
    vector = STREAMS[name]
    plaintext = plaintext_of(vector)
    assert hashlib.sha256(plaintext).hexdigest() == vector["plaintext_sha256"]

    chunks = crypto.seal_chunks(bytes.fromhex(vector["key"]), plaintext)

    assert describe_chunks(chunks) == vector["chunks"]


@pytest.mark.parametrize("name", list(STREAMS))
def test_the_reference_seal_of_the_vectors_opens(name: str) -> None:
    vector = STREAMS[name]
    key = bytes.fromhex(vector["key"])
    plaintext = plaintext_of(vector)

    assert crypto.open_chunks(key, reference_seal(key, plaintext)) == plaintext


def test_padme_reproduces_the_vectors() -> None:
    got = [{"length": v["length"], "padded": crypto.padme(v["length"])} for v in VECTORS["padme"]]

    assert got == VECTORS["padme"]
    known = {0: 0, 1: 1, 9: 10, 100: 104, 1000: 1024, CHUNK: CHUNK, 10**7: 10_223_616}
    assert {v["length"]: v["padded"] for v in VECTORS["padme"] if v["length"] in known} == known


# --- Round trips ----------------------------------------------------------------------------

PROPERTY = settings(max_examples=40, deadline=None, database=None)
KEY = fixed_bytes("test key")
NEAR_BOUNDARIES = st.builds(
    lambda chunks, offset: max(0, chunks * CHUNK + offset),
    st.integers(0, 3),
    st.integers(-2, 2),
)
LENGTHS = st.one_of(NEAR_BOUNDARIES, st.integers(0, 3 * CHUNK + 100))


@PROPERTY
@given(length=LENGTHS, seed=st.integers(0, 2**32))
def test_what_is_sealed_opens_to_the_same_bytes(length: int, seed: int) -> None:
    plaintext = random.Random(seed).randbytes(length)

    chunks = crypto.seal_chunks(KEY, plaintext)

    count = crypto.chunk_count(length)
    assert len(chunks) == count
    assert all(len(chunk) == crypto.SEALED_CHUNK_BYTES for chunk in chunks[:-1])
    assert len(chunks[-1]) == length - (count - 1) * CHUNK + TAG
    assert sum(map(len, chunks)) == crypto.sealed_length(length)
    assert crypto.open_chunks(KEY, chunks) == plaintext
    assert crypto.open_chunks(KEY, iter(chunks)) == plaintext


@PROPERTY
@given(length=LENGTHS)
def test_chunk_by_chunk_opening_gives_the_same_bytes(length: int) -> None:
    plaintext = random.Random(length).randbytes(length)
    opener = crypto.StreamOpener(KEY)

    pieces = [opener.open(i, chunk) for i, chunk in enumerate(crypto.seal_chunks(KEY, plaintext))]
    opener.finish()

    assert b"".join(pieces) == plaintext
    assert all(len(piece) == CHUNK for piece in pieces[:-1])


def test_sealing_one_chunk_at_a_time_gives_the_same_chunks() -> None:
    plaintext = bytearray(random.Random(5).randbytes(2 * CHUNK + 7))

    sealed = crypto.iter_sealed_chunks(KEY, plaintext)
    first = next(sealed)

    assert [first, *sealed] == crypto.seal_chunks(KEY, bytes(plaintext))
    assert crypto.seal_chunks(KEY, memoryview(plaintext)) == crypto.seal_chunks(KEY, plaintext)


@pytest.mark.parametrize(
    ("length", "count"),
    [(0, 1), (1, 1), (CHUNK - 1, 1), (CHUNK, 1), (CHUNK + 1, 2), (3 * CHUNK, 3), (10**9, 15259)],
)
def test_chunk_count(length: int, count: int) -> None:
    assert crypto.chunk_count(length) == count
    assert crypto.sealed_length(length) == length + TAG * count


def test_content_keys_are_fresh_32_byte_keys() -> None:
    keys = {crypto.new_content_key() for _ in range(8)}

    assert len(keys) == 8
    assert {len(key) for key in keys} == {32}


# --- Tampering --------------------------------------------------------------------------------

FILE = plaintext_for(3, 2 * CHUNK + 100)
C0, C1, C2 = reference_seal(KEY, FILE)
OTHER_C0, OTHER_C1, OTHER_C2 = reference_seal(fixed_bytes("another file's key"), FILE)


def seal_at(index: int, last: bool, plaintext: bytes, key: bytes = KEY) -> bytes:
    """One chunk sealed at any position, with either flag: what only a key holder can make."""
    return AESGCM(key).encrypt(reference_nonce(index, last), plaintext, None)


def flip_bit(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def altered(index: int) -> str:
    key_hint = ", or the key is wrong" if index == 0 else ""
    return f"chunk {index} does not open: it was altered or moved{key_hint}"


TRUNCATED = "the file ends before its last chunk: chunks are missing"


def appended(index: int) -> str:
    return f"chunk {index} comes after the last chunk: data was added to the end of the file"


# name: (chunks, error class, message). The browser test refuses the same, with the same names.
TAMPERINGS: dict[str, tuple[list[bytes], type[crypto.CryptoError], str]] = {
    "a reordered pair": ([C1, C0, C2], crypto.ChunkAuthenticationFailed, altered(0)),
    "the last chunk moved forward": ([C0, C2, C1], crypto.ChunkAuthenticationFailed, altered(1)),
    "a dropped middle chunk": ([C0, C2], crypto.ChunkAuthenticationFailed, altered(1)),
    "a dropped first chunk": ([C1, C2], crypto.ChunkAuthenticationFailed, altered(0)),
    "a dropped last chunk": ([C0, C1], crypto.StreamTruncated, TRUNCATED),
    "no chunks at all": ([], crypto.StreamTruncated, TRUNCATED),
    "a copy of the last chunk appended": ([C0, C1, C2, C2], crypto.StreamExtended, appended(3)),
    "a fresh chunk appended": (
        [C0, C1, C2, seal_at(3, False, bytes(CHUNK))],
        crypto.StreamExtended,
        appended(3),
    ),
    "a fresh last chunk appended": (
        [C0, C1, C2, seal_at(3, True, b"more")],
        crypto.StreamExtended,
        appended(3),
    ),
    "a flipped bit in a middle chunk": (
        [C0, flip_bit(C1, 1000), C2],
        crypto.ChunkAuthenticationFailed,
        altered(1),
    ),
    "a flipped bit in the last tag": (
        [C0, C1, flip_bit(C2, len(C2) - 1)],
        crypto.ChunkAuthenticationFailed,
        altered(2),
    ),
    "a middle chunk flagged last": (
        [C0, seal_at(1, True, FILE[CHUNK : 2 * CHUNK]), C2],
        crypto.StreamExtended,
        appended(2),
    ),
    "a short chunk not flagged last": (
        [seal_at(0, False, FILE[:100]), C1, C2],
        crypto.ChunkAuthenticationFailed,
        altered(0),
    ),
    "a middle chunk cut short": ([C0, C1[:-1], C2], crypto.ChunkAuthenticationFailed, altered(1)),
    "the last chunk cut short": ([C0, C1, C2[:-1]], crypto.ChunkAuthenticationFailed, altered(2)),
    "a chunk shorter than a tag": ([C0, C1, C2[:15]], crypto.ChunkAuthenticationFailed, altered(2)),
    "a chunk longer than full size": (
        [C0 + b"\0", C1, C2],
        crypto.ChunkAuthenticationFailed,
        altered(0),
    ),
    "a chunk from another file": ([C0, OTHER_C1, C2], crypto.ChunkAuthenticationFailed, altered(1)),
    "an empty last chunk after full ones": (
        [C0, C1, seal_at(2, True, b"")],
        crypto.ChunkAuthenticationFailed,
        "chunk 2 does not open: an empty last chunk ends only an empty file",
    ),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_a_tampered_file_does_not_open(name: str) -> None:
    chunks, error, message = TAMPERINGS[name]

    with pytest.raises(error) as excinfo:
        crypto.open_chunks(KEY, chunks)

    assert type(excinfo.value) is error
    assert str(excinfo.value) == message


def test_the_untampered_chunks_of_the_tampering_table_open() -> None:
    assert crypto.open_chunks(KEY, [C0, C1, C2]) == FILE
    other_key = fixed_bytes("another file's key")
    assert crypto.open_chunks(other_key, [OTHER_C0, OTHER_C1, OTHER_C2]) == FILE


def test_the_wrong_key_fails_at_the_first_chunk() -> None:
    with pytest.raises(crypto.ChunkAuthenticationFailed) as excinfo:
        crypto.open_chunks(fixed_bytes("wrong key"), [C0, C1, C2])

    assert excinfo.value.index == 0
    assert (
        str(excinfo.value) == "chunk 0 does not open: it was altered or moved, or the key is wrong"
    )


def test_authentication_failures_are_decryption_failures() -> None:
    # Code that already handles DecryptionFailed handles a sealed file that does not open.
    assert issubclass(crypto.ChunkAuthenticationFailed, crypto.DecryptionFailed)
    for error in (crypto.StreamTruncated, crypto.StreamExtended):
        assert issubclass(error, crypto.CryptoError)


def test_the_opener_says_where_a_file_goes_wrong() -> None:
    # Given a file opened chunk by chunk
    opener = crypto.StreamOpener(KEY)
    assert opener.open(0, C0) == FILE[:CHUNK]

    # When a chunk comes out of turn, that is the caller's mistake, not the file's
    with pytest.raises(ValueError, match="chunks open in order: chunk 1 is next, not 2"):
        opener.open(2, C2)
    # And a chunk that does not open there names its position
    with pytest.raises(crypto.ChunkAuthenticationFailed, match="chunk 1 does not open"):
        opener.open(1, C2)

    # Then the file can still be finished with the right chunks, and nothing may follow
    opener.open(1, C1)
    with pytest.raises(crypto.StreamTruncated):
        opener.finish()
    assert opener.open(2, C2) == FILE[2 * CHUNK :]
    opener.finish()
    with pytest.raises(crypto.StreamExtended, match="chunk 3 comes after the last chunk"):
        opener.open(3, C2)


def test_stream_errors_carry_no_secret() -> None:
    attempts = [chunks for chunks, _, _ in TAMPERINGS.values()]
    for chunks in attempts:
        with pytest.raises(crypto.CryptoError) as excinfo:
            crypto.open_chunks(KEY, chunks)
        error = excinfo.value
        for text in (str(error), repr(error)):
            assert KEY.hex() not in text
            assert FILE[:16].hex() not in text
        assert error.__cause__ is None
        assert error.__context__ is None


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_content_key_must_be_32_bytes(size: int) -> None:
    key = bytes(size)
    message = f"a content key must be 32 bytes; this one is {size}"
    attempts = [
        lambda: crypto.seal_chunks(key, b"x"),
        lambda: crypto.iter_sealed_chunks(key, b"x"),  # checked before the first chunk
        lambda: crypto.open_chunks(key, [C0]),
        lambda: crypto.StreamOpener(key),
    ]
    for attempt in attempts:
        with pytest.raises(crypto.KeyFormatError) as excinfo:
            attempt()
        assert str(excinfo.value) == message


def test_only_bytes_are_sealed() -> None:
    with pytest.raises(TypeError, match="plaintext must be bytes, not str"):
        crypto.iter_sealed_chunks(KEY, "text")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("length", "error", "message"),
    [
        (-1, ValueError, "a length must be 0 or more, not -1"),
        (1.0, TypeError, "a length must be an int, not float"),
        (True, TypeError, "a length must be an int, not bool"),
    ],
)
def test_lengths_are_whole_numbers_from_zero(length: Any, error: type, message: str) -> None:
    for function in (crypto.padme, crypto.chunk_count, crypto.sealed_length):
        with pytest.raises(error) as excinfo:
            function(length)
        assert str(excinfo.value) == message


# --- Padmé ----------------------------------------------------------------------------------

LARGE_LENGTHS = st.integers(0, 2**64)


@PROPERTY
@given(length=LARGE_LENGTHS)
def test_padme_matches_the_reference(length: int) -> None:
    assert crypto.padme(length) == reference_padme(length)


@PROPERTY
@given(a=LARGE_LENGTHS, b=LARGE_LENGTHS)
def test_padme_is_monotonic(a: int, b: int) -> None:
    low, high = sorted((a, b))

    assert crypto.padme(low) <= crypto.padme(high)


@PROPERTY
@given(length=LARGE_LENGTHS)
def test_padme_never_shrinks_and_a_bucket_is_its_own_bucket(length: int) -> None:
    padded = crypto.padme(length)

    assert padded >= length
    assert crypto.padme(padded) == padded


@pytest.mark.parametrize(("from_length", "bound"), [(1, 0.117), (256, 0.063), (CHUNK, 0.032)])
def test_padme_costs_at_most_what_its_docstring_says(from_length: int, bound: float) -> None:
    # Within a bucket the cost is largest just past a multiple of the rounding step, and of
    # those most just past a power of two (the fewest bytes for the same step): 2**E + 1.
    worst_cases = [2**e + 1 for e in range(64) if 2**e + 1 >= from_length]
    worst_cases += random.Random(from_length).sample(range(from_length, 2**40), 200)

    assert max((crypto.padme(n) - n) / n for n in worst_cases) <= bound


def test_padme_overhead_stays_under_twelve_percent_from_256_bytes() -> None:
    lengths = [*range(256, 70_000, 7), *(2**e + d for e in range(8, 50) for d in (-1, 1))]

    assert max((crypto.padme(n) - n) / n for n in lengths) <= 0.12


def test_padding_to_a_bucket_appends_zero_bytes_only() -> None:
    data = b"\xff" * 1000

    padded = crypto.pad_to_bucket(data)

    assert len(padded) == crypto.padme(1000) == 1024
    assert padded == data + bytes(24)
    assert crypto.pad_to_bucket(b"") == b""
    assert crypto.pad_to_bucket(b"\x07") == b"\x07"
    assert crypto.pad_to_bucket(bytearray(b"x" * 65536)) == b"x" * 65536


def test_padded_files_seal_and_open_to_their_bucket() -> None:
    data = random.Random(9).randbytes(100_000)

    chunks = crypto.seal_chunks(KEY, crypto.pad_to_bucket(data))

    assert sum(map(len, chunks)) == crypto.sealed_length(crypto.padme(100_000))
    assert crypto.open_chunks(KEY, chunks)[:100_000] == data


def test_the_stream_module_matches_its_published_constants() -> None:
    assert crypto.CHUNK_BYTES == VECTORS["chunk_bytes"] == 65536
    assert crypto.SEALED_CHUNK_BYTES == 65536 + 16
    assert stream.KEY_BYTES == 32
