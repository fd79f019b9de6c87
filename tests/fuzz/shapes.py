"""Hypothesis strategies for hostile input, and for forms that mix it with valid values.

Most fields of a drawn form are valid, so that a post gets past the first check and reaches
the code behind it; a few are hostile, left out, sent twice or sent as a file. Shrinking
heads for fewer odd fields, so a failure shrinks to the one field that matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from crypto.encoding import b64url_encode
from crypto.envelope import MAX_PAYLOAD_BYTES, MIN_PAYLOAD_BYTES
from tests.fuzz.values import (
    Around,
    Body,
    FilePart,
    ForgedEnvelope,
    FuzzRequest,
    Raw,
    Ref,
    Repeat,
    Sealed,
    Value,
)

# --- text ---------------------------------------------------------------------------------------

ODD_TEXTS = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\x85\u2028\u2029",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u200e",  # right-to-left and left-to-right marks
    "\u200b\u200d\ufeff",
    "\ufffd\uffff\U0010ffff",
    "😀",
    "👩\u200d👩\u200d👧\u200d👦🇳🇴",
    "e\u0301",
    "\u0301" * 40,
    "Z\u0337\u0322\u031ba\u0338l\u0336g\u0334o\u0335",
    "\ud800",
    "a\udfffb",
    "İıßﬃ\u212a",
    "١٢٣",  # Arabic-Indic digits
    "𝟏𝟐𝟑",  # mathematical digits
    "<script>alert(1)</script>",
    "{{7*7}}{%raw%}",
    "' OR 1=1 --",
    "%00%ff",
    "../../etc/passwd",
    "&#0;&amp;",
]
WRONG_TYPES = ["true", "null", "[]", "{}", "-1", "1.5", "1e309", "NaN", "-0", "0x10", "9" * 40]
INVALID_UTF8 = [Raw(b"\xff\xfe"), Raw(b"\xc0\x80"), Raw(b"\xed\xa0\x80"), Raw(b"a\x80b")]
# Long values, by their unit: 17 000 emoji are 68 000 bytes of UTF-8 in 17 000 characters.
LONG_UNITS = ["A", "😀", "\x00", "e\u0301", "\u202e", "[", "9"]
LONG_COUNTS = [1_000, 17_000, 20_001, 70_000]

unicode_text = st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=40)
long_text = st.builds(Repeat, st.sampled_from(LONG_UNITS), st.sampled_from(LONG_COUNTS))

hostile_text: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from(ODD_TEXTS),
    st.sampled_from(WRONG_TYPES),
    unicode_text,
    long_text,
    st.sampled_from(INVALID_UTF8),
)

# --- numbers ------------------------------------------------------------------------------------

EDGE_INTEGERS = [0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30]
integers = st.one_of(st.sampled_from(EDGE_INTEGERS), st.integers())
ODD_NUMBERS = ["", " 1", "+1", "01", "1_000", "1.0", "1e3", "0x1", "١٢", "𝟏", "9" * 5000]
hostile_number: st.SearchStrategy[Value] = st.one_of(
    integers.map(str), st.sampled_from(ODD_NUMBERS), hostile_text
)
# What Flask's <int:...> converter lets through: digits, any script's, any length.
path_ids: st.SearchStrategy[Value] = st.one_of(
    st.integers(min_value=0).map(str),
    st.sampled_from([str(n) for n in EDGE_INTEGERS if n >= 0]),
    st.sampled_from(["00001", "0" * 30, "١", "٢٣", "-1", "1.5", "1e3"]),
)

# --- dates and times ----------------------------------------------------------------------------

ZONES = [
    UTC,
    timezone(timedelta(hours=14)),
    timezone(-timedelta(hours=12)),
    timezone(timedelta(hours=23, minutes=59)),
    timezone(-timedelta(hours=23, minutes=59)),
    ZoneInfo("Europe/Oslo"),
    ZoneInfo("Pacific/Kiritimati"),
]
any_datetime = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59, 999999),
    timezones=st.one_of(st.none(), st.sampled_from(ZONES)),
)
ODD_TIMES = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T10:00:00+01:00",
    "2026-02-30T10:00:00+01:00",
    "2026-12-31T23:59:60+01:00",
    "2026-11-24T24:00:00+01:00",
    "2026-11-24T10:00:00+24:00",
    "2026-11-24T10:00:00+01:00[Europe/Oslo]",
    "2026-11-24T10:00:00.1234567+01:00",
    "20261124T100000Z",
    "2026-W48-2",
    "2026W482",
    "2026-328",
    "+002026-11-24",
    "٢٠٢٦-١١-٢٤T10:00:00+01:00",
    "now",
    "any",
]
iso_datetimes = any_datetime.map(lambda moment: moment.isoformat())
iso_dates = st.dates().map(lambda day: day.isoformat())
iso_week_dates = st.builds(
    "{:04d}-W{:02d}-{}".format, st.integers(1, 9999), st.integers(1, 53), st.integers(1, 7)
)
# The free callback time the seed offers, written other ways: naive, in UTC, as a date, a week.
FREE_SLOT_SPELLINGS = [Ref(f"free_slot_{spelling}") for spelling in ("naive", "z", "date", "week")]

hostile_time: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from(ODD_TIMES),
    st.sampled_from(FREE_SLOT_SPELLINGS),
    iso_datetimes,
    iso_dates,
    iso_week_dates,
    hostile_text,
)

# --- keys, tokens and envelopes -----------------------------------------------------------------

_P = 2**255 - 19
# X25519 u-coordinates of low order (0, 1, the two of order 8, -1), and the same points
# written non-canonically (plus p, or with the top bit set, which RFC 7748 says to ignore).
_LOW_ORDER = [
    0,
    1,
    325606250916557431795983626356110631294008115727848805560023387167927233504,
    39382357235489614581723060781553021112529911719440698176882885853963445705823,
    _P - 1,
]
_NON_CANONICAL = [u + _P for u in _LOW_ORDER[:2]] + [u + 2**255 for u in _LOW_ORDER]


def _raw_key(u: int) -> str:
    return b64url_encode(u.to_bytes(32, "little"))


FORGED_KEYS: list[Value] = [
    *(_raw_key(u) for u in _LOW_ORDER + _NON_CANONICAL),
    "!!!!",
    "-",
    "AAAA",
    "A" * 42 + "B",  # non-zero trailing bits: not the one canonical spelling
    "A" * 43 + "=",
    "+/" * 21 + "A",  # standard base64 alphabet
    b64url_encode(bytes(31)),
    b64url_encode(bytes(33)),
    b64url_encode(bytes(64)),
    "\x00" * 43,
    Around(" ", Ref("key_fresh"), ""),
    Around("", Ref("key_fresh"), "\x00"),
]
hostile_key: st.SearchStrategy[Value] = st.one_of(st.sampled_from(FORGED_KEYS), hostile_text)

FORGED_TOKENS: list[Value] = [
    *(b64url_encode(bytes(n)) for n in (1, 16, 31, 33, 48, 64)),
    "A" * 42 + "B",
    "=",
    "!!!",
    Around("", Ref("token_inbox"), "="),
    Around(" ", Ref("token_inbox"), ""),
]
hostile_token: st.SearchStrategy[Value] = st.one_of(st.sampled_from(FORGED_TOKENS), hostile_text)

PAYLOAD_SIZES = [0, 1, 47, MIN_PAYLOAD_BYTES - 1, MIN_PAYLOAD_BYTES, MIN_PAYLOAD_BYTES + 1]
PAYLOAD_SIZES += [MIN_PAYLOAD_BYTES + 256, MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES + 256]
ODD_ENVELOPES = [
    "v1",
    "v1..",
    "v1.0123456789abcdef.",
    "v2.0123456789abcdef.AAAA",
    "v1.0123456789ABCDEF.AAAA",
    "v1.zz.AAAA",
    "v1.0123456789abcdef.AAAA.AAAA",
    "v1.0123456789abcdef.!!!!",
    Repeat("A", 120_001),
]


def forged_envelopes(purpose: str) -> st.SearchStrategy[Value]:
    """Envelopes that look right and are not: wrong key, wrong length, damaged, wrapped."""
    real = Sealed(purpose, "line")
    return st.one_of(
        st.builds(
            ForgedEnvelope,
            st.sampled_from(["line", "other_line", "unknown"]),
            st.sampled_from(PAYLOAD_SIZES),
            st.sampled_from([0, 0xFF]),
        ),
        st.sampled_from(
            [
                Sealed(purpose, "other_line"),
                Sealed(purpose, "reporter_inbox"),
                Around(" ", real, ""),
                Around("", real, "="),
                Around("", real, ".x"),
                *ODD_ENVELOPES,
            ]
        ),
        hostile_text,
    )


# --- forms --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    valid: st.SearchStrategy[Value]
    hostile: st.SearchStrategy[Value] = hostile_text
    # How often the field is picked to be sent oddly, against the form's other fields: a
    # field with shapes of its own (a time, a key, a long text) is worth more draws.
    weight: int = 3


def choice(values: Sequence[str], hostile: st.SearchStrategy[Value] = hostile_text) -> Field:
    """A field with fixed choices; hostile: an unknown, a near miss, or any hostile text."""
    near_misses = [v.upper() for v in values if v] + [f" {v}" for v in values]
    hostile_choice = st.one_of(st.sampled_from(near_misses), hostile)
    return Field(st.sampled_from(list(values)), hostile_choice, weight=1)


def valid_or(*values: Value, hostile: st.SearchStrategy[Value] = hostile_text) -> Field:
    """The first value is the one shrinking heads for; repeat a value to draw it more often."""
    return Field(st.sampled_from(list(values)), hostile)


def text_field(max_chars: int, *examples: str) -> Field:
    """Free text up to `max_chars` characters; hostile: at and past the limit, in characters
    of one to four UTF-8 bytes (17 000 emoji are 68 000 bytes), or any hostile text."""
    valid = st.one_of(st.sampled_from(list(examples)), st.text(max_size=30))
    at_the_limit = st.builds(
        Repeat,
        st.sampled_from(["A", "é", "€", "😀", "e\u0301"]),
        st.sampled_from([max_chars, max_chars + 1, max_chars // 4 + 1, 17_000]),
    )
    return Field(valid, st.one_of(at_the_limit, hostile_text))


CSRF = Field(
    st.just(Ref("csrf")),
    st.one_of(st.sampled_from([Ref("reporter:csrf"), Ref("visitor:csrf"), ""]), hostile_text),
    weight=1,
)
FILES = st.builds(
    FilePart,
    st.sampled_from(["note.txt", "", "../../x", "\x00.png", "😀.pdf"]),
    st.sampled_from([b"", b"x", b"\x00" * 64, "😀".encode() * 100]),
)
UNKNOWN_NAMES = st.sampled_from(["", "x", "csrf_token[]", "kind.value", "\x00", "a" * 300])
# How a field that is not sent valid is sent instead.
ODD_MODES = ("hostile", "hostile", "hostile", "omitted", "twice", "file")
MAX_ODD_FIELDS = 3


@st.composite
def form_fields(
    draw: st.DrawFn, fields: dict[str, Field], *, files: bool = True
) -> tuple[tuple[Value, Value | FilePart], ...]:
    """Name/value pairs for a form of `fields`: a few fields hostile, missing, repeated or a
    file, the others valid (so the request gets past the first check)."""
    names = [name for name, field in fields.items() for _ in range(field.weight)]
    odd = (
        draw(st.lists(st.sampled_from(names), max_size=MAX_ODD_FIELDS, unique=True))
        if names
        else []
    )
    modes = [mode for mode in ODD_MODES if files or mode != "file"]
    pairs: list[tuple[Value, Value | FilePart]] = []
    for name, field in fields.items():
        mode = draw(st.sampled_from(modes)) if name in odd else ""
        if mode == "hostile":
            pairs.append((name, draw(field.hostile)))
        elif mode == "twice":
            pairs += [(name, draw(field.hostile)), (name, draw(field.valid))]
        elif mode == "file":
            pairs.append((name, draw(FILES)))
        elif mode != "omitted":
            pairs.append((name, draw(field.valid)))
    if draw(st.integers(0, 7)) == 7:
        pairs.append((draw(UNKNOWN_NAMES), draw(hostile_text)))
    return tuple(pairs)


# --- requests -----------------------------------------------------------------------------------


def mostly(
    valid: st.SearchStrategy[Value], hostile: st.SearchStrategy[Value]
) -> st.SearchStrategy[Value]:
    """Valid three times in four (a path segment, an outcome)."""
    return st.one_of(valid, valid, valid, hostile)


@st.composite
def posts(
    draw: st.DrawFn,
    roles: Sequence[str],
    path: st.SearchStrategy[tuple[Value, ...]],
    fields: dict[str, Field],
) -> FuzzRequest:
    """A POST by one of `roles`; sometimes multipart, always when a field is a file."""
    segments = draw(path)
    pairs = draw(form_fields(fields))
    files = any(isinstance(value, FilePart) for _, value in pairs)
    as_multipart = files or draw(st.integers(0, 9)) == 9
    return FuzzRequest(
        draw(st.sampled_from(roles)), "POST", segments, body=Body(pairs, as_multipart)
    )


@st.composite
def gets(
    draw: st.DrawFn,
    roles: Sequence[str],
    path: st.SearchStrategy[tuple[Value, ...]],
    params: dict[str, Field],
) -> FuzzRequest:
    """A GET form: the same fields, in the query string."""
    pairs = draw(form_fields(params, files=False))
    query = tuple((name, value) for name, value in pairs if not isinstance(value, FilePart))
    return FuzzRequest(draw(st.sampled_from(roles)), "GET", draw(path), query=query)


def at(*segments: Value | st.SearchStrategy[Value]) -> st.SearchStrategy[tuple[Value, ...]]:
    """A path of fixed segments and drawn ones (a case reference, an id)."""
    return st.tuples(*(s if isinstance(s, st.SearchStrategy) else st.just(s) for s in segments))
