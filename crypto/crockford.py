"""Crockford base32: random codes people can read aloud and type back forgivingly."""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUP_CHARS = 4
_BITS_PER_CHAR = 5
# Crockford decoding: letters easily mistaken for digits are read as those digits.
_LOOKALIKES = {"O": "0", "I": "1", "L": "1"}
_SEPARATORS = frozenset("-_.")


def random_chars(count: int) -> str:
    """`count` characters carrying 5 * count bits from the OS random source."""
    return encode_bits(secrets.randbits(count * _BITS_PER_CHAR), count)


def encode_bits(value: int, count: int) -> str:
    """The low 5 * count bits of `value` as `count` characters, most significant first."""
    chars = []
    for _ in range(count):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def group(chars: str) -> str:
    """Dashed groups of four: `ABCD-EFGH-...`."""
    return "-".join(chars[i : i + GROUP_CHARS] for i in range(0, len(chars), GROUP_CHARS))


def normalise(typed: str, *, length: int, noun: str) -> str:
    """Canonical undashed characters from what someone typed, or ValueError with a message.

    Ignores case, whitespace and `- _ .`; reads O as 0 and I/L as 1. `noun` ("A case code")
    starts each message, which is one plain sentence fit to show the person who typed it.
    """
    chars = []
    for ch in typed:
        if ch.isspace() or ch in _SEPARATORS:
            continue
        upper = ch.upper() if ch.isascii() else ch
        upper = _LOOKALIKES.get(upper, upper)
        if upper not in ALPHABET:
            raise ValueError(_bad_char_message(noun, ch))
        chars.append(upper)
    if len(chars) != length:
        count = "is empty" if not chars else f"has {len(chars)}"
        raise ValueError(f"{noun} has {length} characters; this one {count}.")
    return "".join(chars)


def _bad_char_message(noun: str, ch: str) -> str:
    if ch.isprintable():
        return f"{noun} cannot contain '{ch}'."
    return f"{noun} cannot contain invisible or control characters."
