"""File encryption for evidence attachments: the STREAM construction (Hoang, Reyhanitabar,
Rogaway and Vizár 2015; as in age and Tink) over AES-256-GCM.

Each file gets its own random 32-byte content key. The plaintext is cut into chunks of
exactly `CHUNK_BYTES`, except the last, which holds 1 to `CHUNK_BYTES` bytes; an empty file
is one empty last chunk. Chunk i is sealed under the content key with the nonce
11-byte big-endian i || flag (0x01 for the last chunk, 0x00 otherwise) and no associated
data, giving ciphertext || tag, 16 bytes longer than its plaintext.

The nonce binds each chunk to its position and says whether it ends the file, so chunks
cannot be altered, reordered, dropped, cut off at the end or added to without the opener
noticing. Nonces repeat from one file to the next: a content key seals one file, never two.

Stored sizes are rounded up with Padmé (`pad_to_bucket`) before sealing; the true size
travels in the file's sealed header, so the padding carries no length prefix.

Byte for byte the same as advisory/static/js/crypto/stream.js; the known-answer vectors of
tests/stream_vectors.json pin both.
"""

import os
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import (
    ChunkAuthenticationFailed,
    KeyFormatError,
    StreamExtended,
    StreamTruncated,
)

CHUNK_BYTES = 65536
TAG_BYTES = 16
SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES
KEY_BYTES = 32
COUNTER_BYTES = 11
LAST_CHUNK = b"\x01"
NOT_LAST_CHUNK = b"\x00"
MAX_CHUNKS = 2 ** (8 * COUNTER_BYTES)


def new_content_key() -> bytes:
    """A fresh random content key for one file."""
    return os.urandom(KEY_BYTES)


def chunk_count(plaintext_len: int) -> int:
    """How many chunks a plaintext of this length seals into (0 -> 1, 65536 -> 1, 65537 -> 2)."""
    _check_length(plaintext_len)
    return max(1, -(-plaintext_len // CHUNK_BYTES))


def sealed_length(plaintext_len: int) -> int:
    """The total size of the sealed chunks of a plaintext of this length."""
    return plaintext_len + TAG_BYTES * chunk_count(plaintext_len)


def seal_chunks(key: bytes, plaintext: bytes) -> list[bytes]:
    """Seal a whole plaintext; returns its sealed chunks in order."""
    return list(iter_sealed_chunks(key, plaintext))


def iter_sealed_chunks(key: bytes, plaintext: bytes) -> Iterator[bytes]:
    """Seal a plaintext one chunk at a time, so only one sealed chunk need be held at once.

    The key and plaintext are checked here, not at the first `next()`."""
    aead = AESGCM(_check_key(key))
    if not isinstance(plaintext, bytes | bytearray | memoryview):
        raise TypeError(f"plaintext must be bytes, not {type(plaintext).__name__}")
    return _sealed_chunks(aead, memoryview(plaintext).cast("B"))


def open_chunks(key: bytes, chunks: Iterable[bytes]) -> bytes:
    """Open the sealed chunks of a whole file, in order; returns the plaintext.

    Raises ChunkAuthenticationFailed, StreamTruncated or StreamExtended, each naming where.
    """
    opener = StreamOpener(key)
    plaintext = bytearray()
    for index, chunk in enumerate(chunks):
        plaintext += opener.open(index, chunk)
    opener.finish()
    return bytes(plaintext)


class StreamOpener:
    """Opens a sealed file chunk by chunk, for files too large to hold at once.

    Call `open(index, chunk)` for chunks 0, 1, 2 ... in order, then `finish()`, which raises
    StreamTruncated unless the last chunk came. Use no plaintext before `finish()` returns:
    until then the file may still turn out cut short.
    """

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(_check_key(key))
        self.next_index = 0
        self.done = False

    def open(self, index: int, chunk: bytes) -> bytes:
        """Open chunk `index`, which must be the next one; returns its plaintext."""
        if index != self.next_index:
            raise ValueError(f"chunks open in order: chunk {self.next_index} is next, not {index}")
        if self.done:
            raise StreamExtended(index)
        if not TAG_BYTES <= len(chunk) <= SEALED_CHUNK_BYTES:
            raise ChunkAuthenticationFailed(index)
        # A full-size chunk may or may not be the last; a shorter one can only be the last.
        plaintext = None
        if len(chunk) == SEALED_CHUNK_BYTES:
            plaintext = self._try_open(index, NOT_LAST_CHUNK, chunk)
        if plaintext is None:
            plaintext = self._try_open(index, LAST_CHUNK, chunk)
            if plaintext is None:
                raise ChunkAuthenticationFailed(index)
            if not plaintext and index > 0:
                # Never sealed so: only an empty file ends in an empty chunk.
                raise ChunkAuthenticationFailed(
                    index, "an empty last chunk ends only an empty file"
                )
            self.done = True
        self.next_index = index + 1
        return plaintext

    def finish(self) -> None:
        """Check that the file ended with its last chunk."""
        if not self.done:
            raise StreamTruncated(self.next_index)

    def _try_open(self, index: int, flag: bytes, chunk: bytes) -> bytes | None:
        try:
            return self._aead.decrypt(_nonce(index, flag), chunk, None)
        except InvalidTag:
            return None


def padme(length: int) -> int:
    """The Padmé bucket of a length (Nikitin et al., "Reducing Metadata Leakage from
    Encrypted Files and Communication with PURBs", 2019): the length rounded up so that only
    its top ~log2(log2(L)) bits vary. It adds at most 11.7% of the length, at most 6.3% from
    256 bytes on and 3.2% from 64 KiB on.

    With E = floor(log2 L), S = floor(log2 E) + 1 and lastBits = E - S, the bucket is L
    rounded up to a multiple of 2^lastBits. Lengths 0 and 1 are their own buckets: 0 has no
    logarithm, and for 1 (E = 0, S = 0) there are no bits to round, as for 2 to 7.
    """
    _check_length(length)
    if length == 0:
        return 0
    exponent = length.bit_length() - 1  # floor(log2 L), exact for any size
    last_bits = exponent - exponent.bit_length()  # bit_length(E) = floor(log2 E) + 1, 0 for E=0
    mask = (1 << last_bits) - 1
    return (length + mask) & ~mask


def pad_to_bucket(data: bytes) -> bytes:
    """Append zero bytes up to `padme(len(data))`. No length prefix: the true size is kept
    in the file's sealed header."""
    return bytes(data) + bytes(padme(len(data)) - len(data))


def _sealed_chunks(aead: AESGCM, plaintext: memoryview) -> Iterator[bytes]:
    count = chunk_count(len(plaintext))
    for index in range(count):
        flag = LAST_CHUNK if index == count - 1 else NOT_LAST_CHUNK
        start = index * CHUNK_BYTES
        yield aead.encrypt(_nonce(index, flag), plaintext[start : start + CHUNK_BYTES], None)


def _nonce(index: int, flag: bytes) -> bytes:
    if not 0 <= index < MAX_CHUNKS:
        raise ValueError(f"a chunk index is 0 to 2**88 - 1, not {index}")
    return index.to_bytes(COUNTER_BYTES, "big") + flag


def _check_key(key: bytes) -> bytes:
    if len(key) != KEY_BYTES:
        raise KeyFormatError(f"a content key must be {KEY_BYTES} bytes; this one is {len(key)}")
    return bytes(key)


def _check_length(length: int) -> None:
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"a length must be an int, not {type(length).__name__}")
    if length < 0:
        raise ValueError(f"a length must be 0 or more, not {length}")
