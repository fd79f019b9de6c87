"""Length-hiding padding applied to plaintext before it is sealed.

Layout: 4-byte big-endian length || plaintext || zero bytes, up to the next multiple of 256,
so ciphertext length reveals only roughly how much someone wrote.
"""

from crypto.errors import PaddingError

BLOCK_BYTES = 256
_PREFIX_BYTES = 4


def padded_length(plaintext_length: int) -> int:
    """Total padded size for a plaintext of this length (0 -> 256, 252 -> 256, 253 -> 512)."""
    needed = _PREFIX_BYTES + plaintext_length
    return -(-needed // BLOCK_BYTES) * BLOCK_BYTES


def pad(plaintext: bytes) -> bytes:
    """Prefix the length and zero-fill to a whole number of blocks."""
    prefix = len(plaintext).to_bytes(_PREFIX_BYTES, "big")
    return (prefix + plaintext).ljust(padded_length(len(plaintext)), b"\0")


def unpad(padded: bytes) -> bytes:
    """Undo `pad`, refusing anything `pad` could not have produced."""
    if len(padded) < _PREFIX_BYTES:
        raise PaddingError("padded data is shorter than its length prefix")
    length = int.from_bytes(padded[:_PREFIX_BYTES], "big")
    if len(padded) != padded_length(length):
        raise PaddingError("padded data has the wrong size for its length prefix")
    end = _PREFIX_BYTES + length
    if padded[end:].count(0) != len(padded) - end:
        raise PaddingError("padding bytes are not all zero")
    return padded[_PREFIX_BYTES:end]
