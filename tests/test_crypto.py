"""Behaviour of the crypto package: envelopes, keys, wrapped keys, case codes, data at rest.

Byte-level definitions shared with the browser are pinned by known-answer tests computed here
independently (hashlib/hmac), so a change on either side shows up as a failing vector.
"""

import base64
import hashlib
import hmac
import inspect
import json
import re
import unicodedata
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

import crypto
from crypto import crockford, envelope, padding
from crypto.keys import KEY_BYTES, is_small_order

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CASE_CODE_FORMAT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}")
SECRET_TEXT = "my landlord Mr Example at 12 Sample Street"
FAST = {"iterations": 1000, "allow_weak_for_tests": True}

# Module-level keys: hypothesis tests cannot use function-scoped fixtures.
LINE_KEY = crypto.generate_keypair()
OTHER_KEY = crypto.generate_keypair()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf_sha256(ikm: bytes, info: bytes, length: int = 32, salt: bytes = b"") -> bytes:
    """RFC 5869 by hand, as the browser module does it with HMAC."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    counter = 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def with_payload(text: str, payload: bytes) -> str:
    parsed = crypto.parse_envelope(text)
    return f"{parsed.version}.{parsed.key_id}.{b64url(payload)}"


def line_key_id() -> str:
    return crypto.key_id_for(LINE_KEY.public_key())


# --- Envelopes: round trips -------------------------------------------------------------------


@pytest.mark.parametrize("purpose", crypto.PURPOSES)
def test_each_purpose_round_trips(purpose: str) -> None:
    sealed = crypto.seal(purpose, b"hello lawyer", LINE_KEY.public_key())

    assert crypto.open(purpose, sealed, LINE_KEY) == b"hello lawyer"


def test_text_plaintext_is_sealed_as_utf8() -> None:
    sealed = crypto.seal("narrative", "Kündigung – 3 Monate", LINE_KEY.public_key())

    assert crypto.open("narrative", sealed, LINE_KEY) == "Kündigung – 3 Monate".encode()


def test_key_map_opens_envelopes_for_old_and_new_keys() -> None:
    # Given a line that rotated from OTHER_KEY to LINE_KEY
    old = crypto.seal("message", b"old", OTHER_KEY.public_key())
    new = crypto.seal("message", b"new", LINE_KEY.public_key())
    keys = {crypto.key_id_for(k.public_key()): k for k in (LINE_KEY, OTHER_KEY)}

    # Then both stay readable
    assert crypto.open("message", old, keys) == b"old"
    assert crypto.open("message", new, keys) == b"new"


@settings(max_examples=60, deadline=None)
@given(plaintext=st.binary(max_size=1200))
def test_any_plaintext_round_trips(plaintext: bytes) -> None:
    sealed = crypto.seal("contact", plaintext, LINE_KEY.public_key())

    assert crypto.open("contact", sealed, LINE_KEY) == plaintext


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_round_trips(text: str) -> None:
    sealed = crypto.seal("reply", text, LINE_KEY.public_key())

    assert crypto.open("reply", sealed, LINE_KEY).decode() == text


def test_envelope_text_has_version_key_id_and_payload() -> None:
    sealed = crypto.seal("message", b"x", LINE_KEY.public_key())

    version, key_id, payload = sealed.split(".")
    assert version == "v1"
    assert key_id == line_key_id()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", payload)


def test_parse_envelope_exposes_parts_but_repr_hides_payload() -> None:
    sealed = crypto.seal("message", b"x", LINE_KEY.public_key())

    parsed = crypto.parse_envelope(sealed)

    assert (parsed.version, parsed.key_id) == ("v1", line_key_id())
    assert b64url(parsed.payload) == sealed.split(".")[2]
    assert sealed.split(".")[2] not in repr(parsed)
    assert crypto.envelope_key_id(sealed) == line_key_id()


def test_sealing_twice_gives_different_envelopes() -> None:
    first = crypto.seal("message", b"same", LINE_KEY.public_key())
    second = crypto.seal("message", b"same", LINE_KEY.public_key())

    assert first != second


# --- Envelopes: padding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plaintext_length", "padded"),
    [(0, 256), (1, 256), (200, 256), (252, 256), (253, 512), (508, 512), (509, 768)],
)
def test_padded_length_is_next_multiple_of_256_after_the_prefix(
    plaintext_length: int, padded: int
) -> None:
    assert padding.padded_length(plaintext_length) == padded
    assert len(padding.pad(bytes(plaintext_length))) == padded


@settings(max_examples=200)
@given(plaintext=st.binary(max_size=2000))
def test_padding_matches_the_obvious_definition(plaintext: bytes) -> None:
    size = 256
    while size < 4 + len(plaintext):
        size += 256
    expected = len(plaintext).to_bytes(4, "big") + plaintext + bytes(size - 4 - len(plaintext))

    assert padding.pad(plaintext) == expected
    assert padding.unpad(expected) == plaintext


@pytest.mark.parametrize(
    ("plaintext_length", "payload_bytes"),
    [
        (0, 32 + 256 + 16),
        (1, 32 + 256 + 16),
        (200, 32 + 256 + 16),
        (252, 32 + 256 + 16),
        (253, 32 + 512 + 16),
    ],
)
def test_envelope_payload_is_enc_plus_padded_plus_tag(
    plaintext_length: int, payload_bytes: int
) -> None:
    sealed = crypto.seal("narrative", b"a" * plaintext_length, LINE_KEY.public_key())

    assert len(crypto.parse_envelope(sealed).payload) == payload_bytes


def test_one_byte_and_200_bytes_give_envelopes_of_equal_length() -> None:
    short = crypto.seal("narrative", b"a", LINE_KEY.public_key())
    longer = crypto.seal("narrative", b"a" * 200, LINE_KEY.public_key())
    past_boundary = crypto.seal("narrative", b"a" * 253, LINE_KEY.public_key())

    assert len(short) == len(longer)
    assert len(past_boundary) > len(longer)


@pytest.mark.parametrize(
    ("padded", "error"),
    [
        pytest.param(
            (5).to_bytes(4, "big") + b"abcde" + b"\x01" + bytes(246),
            crypto.PaddingError,
            id="nonzero-fill",
        ),
        pytest.param(
            (300).to_bytes(4, "big") + bytes(252), crypto.PaddingError, id="length-beyond-data"
        ),
        pytest.param(
            (1).to_bytes(4, "big") + b"a" + bytes(507), crypto.PaddingError, id="extra-block"
        ),
        pytest.param(b"\0\0", crypto.MalformedEnvelope, id="shorter-than-a-block"),
    ],
)
def test_bad_padding_inside_an_authentic_envelope_is_refused(
    padded: bytes, error: type[Exception]
) -> None:
    # Anyone can seal to the public key, so even authentic data may carry bad padding.
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
    payload = suite.encrypt(padded, LINE_KEY.public_key(), info=b"advisory-line/v1/message")
    sealed = f"v1.{line_key_id()}.{b64url(payload)}"

    with pytest.raises(error):
        crypto.open("message", sealed, LINE_KEY)


def test_nonzero_padding_raises_padding_error() -> None:
    with pytest.raises(crypto.PaddingError, match="not all zero"):
        padding.unpad((1).to_bytes(4, "big") + b"a" + b"\x07" + bytes(250))


def test_largest_plaintext_seals_and_opens() -> None:
    plaintext = bytes(crypto.MAX_PLAINTEXT_BYTES)

    sealed = crypto.seal("narrative", plaintext, LINE_KEY.public_key())

    assert len(sealed) <= envelope.MAX_ENVELOPE_CHARS
    assert crypto.open("narrative", sealed, LINE_KEY) == plaintext


@pytest.mark.parametrize("plaintext", [5, None, ["a"]])
def test_plaintext_must_be_bytes_or_text(plaintext: object) -> None:
    with pytest.raises(TypeError, match="plaintext must be bytes or str"):
        crypto.seal("message", plaintext, LINE_KEY.public_key())  # type: ignore[arg-type]


def test_oversized_plaintext_is_refused_with_the_limit() -> None:
    with pytest.raises(crypto.PlaintextTooLarge, match=str(crypto.MAX_PLAINTEXT_BYTES)):
        crypto.seal("narrative", bytes(crypto.MAX_PLAINTEXT_BYTES + 1), LINE_KEY.public_key())


# --- Envelopes: refusals ----------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_flipped_byte_is_refused(data: st.DataObject) -> None:
    sealed = crypto.seal("message", b"do not alter", LINE_KEY.public_key())
    payload = bytearray(crypto.parse_envelope(sealed).payload)
    index = data.draw(st.integers(0, len(payload) - 1), label="index")
    bit = data.draw(st.integers(0, 7), label="bit")
    payload[index] ^= 1 << bit

    with pytest.raises(crypto.DecryptionFailed, match="wrong key, wrong purpose or altered data"):
        crypto.open("message", with_payload(sealed, bytes(payload)), LINE_KEY)


def test_wrong_purpose_is_refused() -> None:
    sealed = crypto.seal("message", b"x", LINE_KEY.public_key())

    with pytest.raises(crypto.DecryptionFailed) as excinfo:
        crypto.open("reply", sealed, LINE_KEY)

    assert str(excinfo.value) == "could not decrypt: wrong key, wrong purpose or altered data"


def test_wrong_private_key_under_the_right_key_id_is_refused() -> None:
    sealed = crypto.seal("message", b"x", LINE_KEY.public_key())

    with pytest.raises(crypto.DecryptionFailed, match="wrong key"):
        crypto.open("message", sealed, {line_key_id(): OTHER_KEY})


def test_single_key_that_does_not_match_the_key_id_is_refused() -> None:
    sealed = crypto.seal("message", b"x", LINE_KEY.public_key())

    with pytest.raises(crypto.UnknownKeyId) as excinfo:
        crypto.open("message", sealed, OTHER_KEY)

    assert excinfo.value.key_id == line_key_id()
    assert line_key_id() in str(excinfo.value)


def test_unknown_key_id_names_the_key_id() -> None:
    sealed = crypto.seal("message", b"x", LINE_KEY.public_key())
    other_id = crypto.key_id_for(OTHER_KEY.public_key())

    with pytest.raises(crypto.UnknownKeyId, match=f"no private key for key id '{line_key_id()}'"):
        crypto.open("message", sealed, {other_id: OTHER_KEY})


def test_altered_key_id_is_unknown() -> None:
    sealed = crypto.seal("message", b"x", LINE_KEY.public_key())
    version, key_id, payload = sealed.split(".")
    altered = f"{version}.{'0' * 16 if key_id != '0' * 16 else '1' * 16}.{payload}"

    with pytest.raises(crypto.UnknownKeyId):
        crypto.open("message", altered, {line_key_id(): LINE_KEY})


@pytest.mark.parametrize("purpose", ["", "Narrative", "narrative ", "notes", "at-rest"])
def test_unknown_purpose_is_refused_for_seal_and_open(purpose: str) -> None:
    sealed = crypto.seal("message", b"x", LINE_KEY.public_key())

    with pytest.raises(crypto.UnknownPurpose, match="expected one of narrative, message"):
        crypto.seal(purpose, b"x", LINE_KEY.public_key())
    with pytest.raises(crypto.UnknownPurpose):
        crypto.open(purpose, sealed, LINE_KEY)


VALID = crypto.seal("message", b"valid", LINE_KEY.public_key())
VALID_ID = crypto.key_id_for(LINE_KEY.public_key())
VALID_PAYLOAD = VALID.split(".")[2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "three dot-separated parts", id="empty"),
        pytest.param("v1", "three dot-separated parts", id="version-only"),
        pytest.param(VALID + ".extra", "three dot-separated parts", id="four-parts"),
        pytest.param("v3" + VALID[2:], "unsupported envelope version 'v3'", id="future-version"),
        pytest.param("V1" + VALID[2:], "must start with 'v1.'", id="upper-case-version"),
        pytest.param("x" + VALID, "must start with 'v1.'", id="junk-prefix"),
        pytest.param(f"v1.{VALID_ID.upper()}.{VALID_PAYLOAD}", "16 lowercase hex", id="upper-id"),
        pytest.param(f"v1.{VALID_ID[:15]}.{VALID_PAYLOAD}", "16 lowercase hex", id="short-id"),
        pytest.param(f"v1.{VALID_ID}0.{VALID_PAYLOAD}", "16 lowercase hex", id="long-id"),
        pytest.param(f"v1.{'g' * 16}.{VALID_PAYLOAD}", "16 lowercase hex", id="non-hex-id"),
        pytest.param(f"v1.{VALID_ID}.{VALID_PAYLOAD}==", "not unpadded base64url", id="padded"),
        pytest.param(f"v1.{VALID_ID}.+{VALID_PAYLOAD[1:]}", "not unpadded base64url", id="plus"),
        pytest.param(f"v1.{VALID_ID}.{VALID_PAYLOAD[:-1]}", "not unpadded base64url", id="cut"),
        pytest.param(f"v1.{VALID_ID}. {VALID_PAYLOAD}", "not unpadded base64url", id="space"),
        pytest.param(f"v1.{VALID_ID}.", "the minimum is 304", id="no-payload"),
        pytest.param(f"v1.{VALID_ID}.{b64url(bytes(303))}", "the minimum is 304", id="short"),
        pytest.param(f"v1.{VALID_ID}.{b64url(bytes(305))}", "whole number of padding", id="odd"),
        pytest.param("v1." + "a" * 200_000, "the maximum is", id="huge"),
    ],
)
def test_malformed_envelope_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(crypto.MalformedEnvelope, match=re.escape(message)):
        crypto.parse_envelope(text)
    with pytest.raises(crypto.MalformedEnvelope):
        crypto.open("message", text, LINE_KEY)


def test_non_canonical_base64_trailing_bits_are_refused() -> None:
    # 304 bytes leave 4 unused bits in the last character; setting one changes only the text.
    b64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = b64_alphabet.index(VALID_PAYLOAD[-1])
    altered = VALID_PAYLOAD[:-1] + b64_alphabet[last | 1]
    assert unb64url(altered) == unb64url(VALID_PAYLOAD)

    with pytest.raises(crypto.MalformedEnvelope, match="not unpadded base64url"):
        crypto.parse_envelope(f"v1.{VALID_ID}.{altered}")


def test_sealing_to_a_low_order_public_key_is_refused() -> None:
    zero_key = X25519PublicKey.from_public_bytes(bytes(32))

    with pytest.raises(crypto.KeyFormatError, match="not a usable X25519 key"):
        crypto.seal("message", b"x", zero_key)


# --- Keys -------------------------------------------------------------------------------------

RFC7748_ALICE_PRIVATE = bytes.fromhex(
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
)
RFC7748_ALICE_PUBLIC = bytes.fromhex(
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
)


def test_public_key_text_is_unpadded_base64url_of_raw_bytes() -> None:
    key = crypto.private_key_from_bytes(RFC7748_ALICE_PRIVATE)

    text = crypto.public_key_to_text(key.public_key())

    assert text == b64url(RFC7748_ALICE_PUBLIC)
    assert len(text) == 43
    assert crypto.public_key_to_text(crypto.public_key_from_text(text)) == text


def test_key_id_is_first_16_hex_of_sha256_of_raw_public_key() -> None:
    key = crypto.private_key_from_bytes(RFC7748_ALICE_PRIVATE)

    key_id = crypto.key_id_for(key.public_key())

    assert key_id == hashlib.sha256(RFC7748_ALICE_PUBLIC).hexdigest()[:16]
    assert key_id == "300c9c9603b92a4b"


def test_key_id_is_deterministic_and_differs_between_keys() -> None:
    same = crypto.public_key_from_text(crypto.public_key_to_text(LINE_KEY.public_key()))

    assert crypto.key_id_for(same) == crypto.key_id_for(LINE_KEY.public_key())
    assert crypto.key_id_for(OTHER_KEY.public_key()) != crypto.key_id_for(LINE_KEY.public_key())
    assert re.fullmatch(r"[0-9a-f]{16}", crypto.key_id_for(LINE_KEY.public_key()))


def test_private_key_bytes_round_trip() -> None:
    raw = crypto.private_key_to_bytes(LINE_KEY)

    restored = crypto.private_key_from_bytes(raw)

    assert len(raw) == KEY_BYTES
    assert crypto.key_id_for(restored.public_key()) == line_key_id()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is 32 bytes"),
        (b64url(bytes(31)), "this one is 31"),
        (b64url(bytes(33)), "this one is 33"),
        (b64url(bytes(32)) + "=", "unpadded base64url"),
        ("not a key at all!", "unpadded base64url"),
        (base64.b64encode(bytes([0xFB] * 32)).decode().rstrip("="), "unpadded base64url"),
    ],
)
def test_bad_public_key_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(crypto.KeyFormatError, match=message):
        crypto.public_key_from_text(text)


FIELD_PRIME = 2**255 - 19
# The points of small order on Curve25519 and its twist, as canonical u-coordinates
# (order 1 or 2: 0; order 4: 1 and p - 1; order 8: the two below).
SMALL_ORDER_U = [
    0,
    1,
    FIELD_PRIME - 1,
    325606250916557431795983626356110631294008115727848805560023387167927233504,
    39382357235489614581723060781553021112529911719440698176882885853963445705823,
]


def u_text(u: int) -> str:
    return b64url(u.to_bytes(32, "little"))


@pytest.mark.parametrize("u", SMALL_ORDER_U)
def test_a_public_key_of_small_order_is_refused(u: int) -> None:
    with pytest.raises(crypto.KeyFormatError, match="small order"):
        crypto.public_key_from_text(u_text(u))


@pytest.mark.parametrize("u", [FIELD_PRIME, FIELD_PRIME + 1, 2**255, 2**256 - 1])
def test_a_public_key_that_is_not_a_canonical_coordinate_is_refused(u: int) -> None:
    # p and p + 1 would be read as the small-order points 0 and 1; a set top bit is ignored
    # by X25519, so two texts would name one key.
    with pytest.raises(crypto.KeyFormatError, match="canonical"):
        crypto.public_key_from_text(u_text(u))


@pytest.mark.parametrize("text", [None, 43, b"A" * 43])
def test_a_public_key_that_is_not_text_is_refused(text: object) -> None:
    with pytest.raises(crypto.KeyFormatError, match="base64url text"):
        crypto.public_key_from_text(text)  # type: ignore[arg-type]


def test_real_keys_are_not_taken_for_small_order_points() -> None:
    for _ in range(20):
        public = crypto.generate_keypair().public_key()
        assert not is_small_order(public)
        assert crypto.public_key_from_text(crypto.public_key_to_text(public)) == public


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_private_key_of_wrong_length_is_refused(size: int) -> None:
    with pytest.raises(crypto.KeyFormatError, match=f"this one is {size}"):
        crypto.private_key_from_bytes(bytes(size))


# --- Wrapped keys -----------------------------------------------------------------------------


def test_wrapped_key_unwraps_with_the_passphrase() -> None:
    blob = crypto.wrap_private_key(LINE_KEY, "correct horse battery staple", **FAST)

    unwrapped = crypto.unwrap_private_key(blob, "correct horse battery staple")

    assert crypto.private_key_to_bytes(unwrapped) == crypto.private_key_to_bytes(LINE_KEY)


def test_default_iterations_meet_the_design_minimum() -> None:
    default = inspect.signature(crypto.wrap_private_key).parameters["iterations"].default

    assert default == crypto.PBKDF2_ITERATIONS
    assert crypto.PBKDF2_ITERATIONS >= 600_000
    assert crypto.MIN_ITERATIONS_ALLOWED >= 600_000


def test_weak_iteration_count_is_refused_without_the_test_flag() -> None:
    with pytest.raises(ValueError, match="too few; the minimum is 600000"):
        crypto.wrap_private_key(LINE_KEY, "passphrase", iterations=1000)


def test_blob_is_compact_json_with_its_parameters() -> None:
    blob = crypto.wrap_private_key(LINE_KEY, "passphrase", **FAST)

    fields = json.loads(blob)

    assert list(fields) == ["v", "kdf", "iterations", "salt", "nonce", "ciphertext"]
    assert fields["v"] == 1
    assert fields["kdf"] == "pbkdf2-sha256"
    assert fields["iterations"] == 1000
    assert len(unb64url(fields["salt"])) == 16
    assert len(unb64url(fields["nonce"])) == 12
    assert len(unb64url(fields["ciphertext"])) == 32 + 16
    assert " " not in blob


def test_blob_built_by_hand_unwraps() -> None:
    # Pins the format for the browser: PBKDF2-SHA256 -> AES-256-GCM, fixed associated data.
    salt, nonce, passphrase = bytes(range(16)), bytes(range(12)), "Passwort für Anwältin"
    raw = crypto.private_key_to_bytes(LINE_KEY)
    key = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, 1000, dklen=32)
    ciphertext = AESGCM(key).encrypt(nonce, raw, b"advisory-line/v1/wrapped-key")
    blob = json.dumps(
        {"v": 1, "kdf": "pbkdf2-sha256", "iterations": 1000, "salt": b64url(salt),
         "nonce": b64url(nonce), "ciphertext": b64url(ciphertext)}
    )  # fmt: skip

    assert crypto.private_key_to_bytes(crypto.unwrap_private_key(blob, passphrase)) == raw


def test_passphrase_is_nfc_normalised() -> None:
    composed = unicodedata.normalize("NFC", "Café")
    decomposed = unicodedata.normalize("NFD", "Café")
    assert composed != decomposed

    blob = crypto.wrap_private_key(LINE_KEY, decomposed, **FAST)

    assert crypto.private_key_to_bytes(crypto.unwrap_private_key(blob, composed)) == (
        crypto.private_key_to_bytes(LINE_KEY)
    )


@pytest.mark.parametrize("attempt", ["wrong", "passphras", "Passphrase", "passphrase ", ""])
def test_wrong_passphrase_raises_wrong_passphrase(attempt: str) -> None:
    blob = crypto.wrap_private_key(LINE_KEY, "passphrase", **FAST)

    with pytest.raises(crypto.WrongPassphrase, match="wrong passphrase or altered data"):
        crypto.unwrap_private_key(blob, attempt)


@pytest.mark.parametrize("field", ["salt", "nonce", "ciphertext", "iterations"])
def test_tampered_blob_is_refused(field: str) -> None:
    fields = json.loads(crypto.wrap_private_key(LINE_KEY, "passphrase", **FAST))
    if field == "iterations":
        fields[field] += 1
    else:
        raw = bytearray(unb64url(fields[field]))
        raw[-1] ^= 1
        fields[field] = b64url(bytes(raw))

    with pytest.raises(crypto.WrongPassphrase):
        crypto.unwrap_private_key(json.dumps(fields), "passphrase")


def _blob_with(**changes: object) -> str:
    fields = json.loads(crypto.wrap_private_key(LINE_KEY, "passphrase", **FAST))
    fields.update(changes)
    return json.dumps({k: v for k, v in fields.items() if v is not None})


@pytest.mark.parametrize(
    ("make_blob", "message"),
    [
        pytest.param(lambda: "not json", "must be JSON", id="not-json"),
        pytest.param(lambda: "[1, 2]", "exactly the fields", id="list"),
        pytest.param(lambda: _blob_with(salt=None), "exactly the fields", id="missing-field"),
        pytest.param(lambda: _blob_with(extra=1), "exactly the fields", id="extra-field"),
        pytest.param(lambda: _blob_with(v=2), "unsupported wrapped key version", id="v2"),
        pytest.param(lambda: _blob_with(v=True), "unsupported wrapped key version", id="v-bool"),
        pytest.param(lambda: _blob_with(kdf="scrypt"), "unsupported key derivation", id="kdf"),
        pytest.param(lambda: _blob_with(iterations="1000"), "iterations", id="iter-text"),
        pytest.param(lambda: _blob_with(iterations=0), "iterations", id="iter-zero"),
        pytest.param(lambda: _blob_with(iterations=10**9), "iterations", id="iter-huge"),
        pytest.param(lambda: _blob_with(salt=b64url(bytes(8))), "'salt' must be 16", id="salt"),
        pytest.param(lambda: _blob_with(nonce="!!!"), "'nonce' must be 12", id="nonce"),
        pytest.param(lambda: _blob_with(ciphertext=5), "'ciphertext' must be 48", id="ct-type"),
    ],
)
def test_malformed_blob_is_refused(make_blob: Callable[[], str], message: str) -> None:
    with pytest.raises(crypto.KeyFormatError, match=message):
        crypto.unwrap_private_key(make_blob(), "passphrase")


def test_empty_passphrase_cannot_wrap() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        crypto.wrap_private_key(LINE_KEY, "", **FAST)


def test_recovery_passphrase_is_32_crockford_chars_in_8_groups() -> None:
    passphrase = crypto.generate_recovery_passphrase()

    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){7}", passphrase)
    assert crypto.normalise_recovery_passphrase(passphrase) == passphrase


def test_recovery_passphrase_draws_160_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    monkeypatch.setattr(crockford.secrets, "randbits", lambda k: asked.append(k) or 2**k - 1)

    assert crypto.generate_recovery_passphrase() == "-".join(["ZZZZ"] * 8)
    assert asked == [160]


def test_recovery_passphrase_typed_loosely_still_unwraps() -> None:
    # Given a key wrapped under the normalised recovery passphrase
    passphrase = crypto.generate_recovery_passphrase()
    blob = crypto.wrap_private_key(
        LINE_KEY, crypto.normalise_recovery_passphrase(passphrase), **FAST
    )
    # When it is typed back in lower case without dashes
    typed = " " + passphrase.replace("-", "").lower() + "\n"

    # Then normalising it first unwraps the key
    unwrapped = crypto.unwrap_private_key(blob, crypto.normalise_recovery_passphrase(typed))
    assert crypto.private_key_to_bytes(unwrapped) == crypto.private_key_to_bytes(LINE_KEY)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABCD", "A recovery passphrase has 32 characters; this one has 4."),
        ("U" * 32, "A recovery passphrase cannot contain 'U'."),
    ],
)
def test_malformed_recovery_passphrase_is_refused(typed: str, message: str) -> None:
    with pytest.raises(crypto.InvalidRecoveryPassphrase) as excinfo:
        crypto.normalise_recovery_passphrase(typed)

    assert str(excinfo.value) == message


# --- Case codes -------------------------------------------------------------------------------

KNOWN_CODE = "K7QX-4M2P-9TRH-3WDN-B6VZ"
KNOWN_LOOKUP_TOKEN = "ec8ce56512cfd176979245f0c632a1c7af2cea4155e6bb6c8864816b4ef432e2"
KNOWN_REPORTER_PRIVATE = "96e4bd0dbe6dbcc5aab74b5e6a1d4662deb42199174d636f51c933a8ca9e9434"
KNOWN_REPORTER_PUBLIC = "Uvu4b99I6-mLDgOAX-PjxxPUr3MIQfIHoJ-qvmjDj1c"


def test_generated_case_code_is_canonical() -> None:
    for _ in range(50):
        code = crypto.generate_case_code()

        assert CASE_CODE_FORMAT.fullmatch(code)
        assert crypto.normalise_case_code(code) == code


def test_case_code_draws_100_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    monkeypatch.setattr(crockford.secrets, "randbits", lambda k: asked.append(k) or 2**k - 1)

    assert crypto.generate_case_code() == "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    assert asked == [100]


def test_case_codes_use_the_whole_alphabet_and_do_not_repeat() -> None:
    codes = [crypto.generate_case_code() for _ in range(300)]

    assert len(set(codes)) == len(codes)
    assert set("".join(codes).replace("-", "")) == set(ALPHABET)
    assert {code[0] for code in codes} == set(ALPHABET)  # first char carries full 5 bits too


@pytest.mark.parametrize(
    "typed",
    [
        "K7QX-4M2P-9TRH-3WDN-B6VZ",
        "k7qx-4m2p-9trh-3wdn-b6vz",
        "K7QX 4M2P 9TRH 3WDN B6VZ",
        "K7QX4M2P9TRH3WDNB6VZ",
        "  K7QX-4M2P-9TRH-3WDN-B6VZ\t\n",
        "K7QX_4M2P.9TRH--3WDN - B6VZ",
        "k7qx4m2p\u00a09trh3wdnb6vz",
    ],
)
def test_typed_case_code_is_normalised(typed: str) -> None:
    assert crypto.normalise_case_code(typed) == KNOWN_CODE


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("OOOO-OOOO-OOOO-OOOO-OOOO", "0000-0000-0000-0000-0000"),
        ("oooo-iiii-llll-IIII-LLLL", "0000-1111-1111-1111-1111"),
        ("AB0O-CD1I-EF1L-GH00-JKMN", "AB00-CD11-EF11-GH00-JKMN"),
    ],
)
def test_lookalike_letters_are_read_as_digits(typed: str, canonical: str) -> None:
    assert crypto.normalise_case_code(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("K7QX-4M2P-9TRH-3WDN-B", "A case code has 20 characters; this one has 17."),
        ("K7QX-4M2P-9TRH-3WDN-B6VZ-A", "A case code has 20 characters; this one has 21."),
        ("", "A case code has 20 characters; this one is empty."),
        ("  - -  ", "A case code has 20 characters; this one is empty."),
        ("K7QX-4M2P-9TRH-3WDN-B6VU", "A case code cannot contain 'U'."),
        ("k7qx-4m2p-9trh-3wdn-b6vu", "A case code cannot contain 'u'."),
        ("K7QX-4M2P-9TRH-3WDN-B6V*", "A case code cannot contain '*'."),
        ("K7QX-4M2P-9TRH-3WDN-B6VÖ", "A case code cannot contain 'Ö'."),
        (
            "K7QX-4M2P-9TRH-3WDN-B6V\x00",
            "A case code cannot contain invisible or control characters.",
        ),
    ],
)
def test_bad_case_code_is_refused_with_a_plain_message(typed: str, message: str) -> None:
    with pytest.raises(crypto.InvalidCaseCode) as excinfo:
        crypto.normalise_case_code(typed)

    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)
    assert isinstance(excinfo.value, crypto.CryptoError)


def test_non_ascii_letters_are_not_upper_cased_into_the_alphabet() -> None:
    # "ß".upper() is "SS"; it must not sneak in as two valid characters.
    with pytest.raises(crypto.InvalidCaseCode, match="cannot contain 'ß'"):
        crypto.normalise_case_code("K7QX-4M2P-9TRH-3WDN-B6ß")


def test_lookup_token_matches_hkdf_computed_by_hand() -> None:
    ikm = KNOWN_CODE.replace("-", "").encode("ascii")

    by_hand = hkdf_sha256(ikm, b"advisory-line/v1/lookup-token")

    assert by_hand.hex() == KNOWN_LOOKUP_TOKEN
    assert crypto.lookup_token(KNOWN_CODE).hex() == KNOWN_LOOKUP_TOKEN
    # RFC 5869: an absent salt is HashLen zero bytes, which HMAC treats like an empty key.
    assert hkdf_sha256(ikm, b"advisory-line/v1/lookup-token", salt=bytes(32)) == by_hand


def test_reporter_key_matches_hkdf_computed_by_hand() -> None:
    ikm = KNOWN_CODE.replace("-", "").encode("ascii")

    by_hand = hkdf_sha256(ikm, b"advisory-line/v1/reporter-key")
    key = crypto.reporter_private_key(KNOWN_CODE)

    assert by_hand.hex() == KNOWN_REPORTER_PRIVATE
    assert crypto.private_key_to_bytes(key) == by_hand
    assert crypto.public_key_to_text(key.public_key()) == KNOWN_REPORTER_PUBLIC


def test_derivations_are_deterministic_and_ignore_typing_differences() -> None:
    loose = KNOWN_CODE.lower().replace("-", " ")

    assert crypto.lookup_token(loose) == crypto.lookup_token(KNOWN_CODE)
    assert crypto.private_key_to_bytes(crypto.reporter_private_key(loose)) == (
        crypto.private_key_to_bytes(crypto.reporter_private_key(KNOWN_CODE))
    )


def test_derivations_differ_between_codes_and_between_uses() -> None:
    other = crypto.generate_case_code()
    assert other != KNOWN_CODE

    token = crypto.lookup_token(KNOWN_CODE)
    reporter = crypto.private_key_to_bytes(crypto.reporter_private_key(KNOWN_CODE))

    assert crypto.lookup_token(other) != token
    assert crypto.private_key_to_bytes(crypto.reporter_private_key(other)) != reporter
    assert token != reporter


def test_derivation_from_invalid_code_is_refused() -> None:
    with pytest.raises(crypto.InvalidCaseCode):
        crypto.lookup_token("not a code")


def test_reply_sealed_to_reporter_key_opens_only_with_the_code() -> None:
    # Given the server knows only the reporter's public key
    public = crypto.reporter_private_key(KNOWN_CODE).public_key()
    sealed = crypto.seal("reply", b"call us on Monday", public)

    # Then the code holder can read it and someone with another code cannot
    assert crypto.open("reply", sealed, crypto.reporter_private_key(KNOWN_CODE)) == (
        b"call us on Monday"
    )
    with pytest.raises(crypto.UnknownKeyId):
        crypto.open("reply", sealed, crypto.reporter_private_key(crypto.generate_case_code()))


def test_lookup_hmac_is_hmac_sha256_of_the_token() -> None:
    pepper, token = b"p" * 32, crypto.lookup_token(KNOWN_CODE)

    assert crypto.lookup_hmac(pepper, token) == hmac.new(pepper, token, hashlib.sha256).digest()
    assert crypto.lookup_hmac(b"q" * 32, token) != crypto.lookup_hmac(pepper, token)


def test_empty_pepper_is_refused() -> None:
    with pytest.raises(ValueError, match="pepper"):
        crypto.lookup_hmac(b"", crypto.lookup_token(KNOWN_CODE))


def test_reference_is_8_crockford_chars() -> None:
    references = {crypto.generate_reference() for _ in range(50)}

    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", r) for r in references)
    assert len(references) == 50


# --- Secrets at rest --------------------------------------------------------------------------

AT_REST_KEY = bytes(range(32))


def test_at_rest_round_trips() -> None:
    text = crypto.encrypt_at_rest(AT_REST_KEY, b"JBSWY3DPEHPK3PXP", "totp")

    assert text.startswith("r1.")
    assert len(unb64url(text[3:])) == 12 + 16 + 16
    assert crypto.decrypt_at_rest(AT_REST_KEY, text, "totp") == b"JBSWY3DPEHPK3PXP"


def test_at_rest_matches_aes_gcm_computed_by_hand() -> None:
    text = crypto.encrypt_at_rest(AT_REST_KEY, b"secret", "totp")
    data = unb64url(text.removeprefix("r1."))

    plain = AESGCM(AT_REST_KEY).decrypt(data[:12], data[12:], b"advisory-line/v1/at-rest/totp")

    assert plain == b"secret"


def test_at_rest_wrong_purpose_fails() -> None:
    text = crypto.encrypt_at_rest(AT_REST_KEY, b"secret", "totp")

    with pytest.raises(crypto.DecryptionFailed, match="wrong key, wrong purpose"):
        crypto.decrypt_at_rest(AT_REST_KEY, text, "recovery")


def test_at_rest_wrong_key_fails() -> None:
    text = crypto.encrypt_at_rest(AT_REST_KEY, b"secret", "totp")

    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_at_rest(bytes(32), text, "totp")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "secret",
        "r2.AAAA",
        "r1.",
        "r1.!!!!",
        "r1." + b64url(bytes(27)),
        "R1." + b64url(bytes(40)),
    ],
)
def test_at_rest_malformed_text_fails(text: str) -> None:
    with pytest.raises(crypto.DecryptionFailed, match="could not decrypt"):
        crypto.decrypt_at_rest(AT_REST_KEY, text, "totp")


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_at_rest_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(crypto.KeyFormatError, match=f"must be 32 bytes; this one is {size}"):
        crypto.encrypt_at_rest(bytes(size), b"x", "totp")


def test_subkey_matches_hkdf_computed_by_hand() -> None:
    master = bytes(range(32))

    by_hand = hkdf_sha256(master, b"advisory-line/v1/subkey/totp")

    assert crypto.derive_subkey(master, "totp") == by_hand
    assert by_hand.hex() == "042e188657ea87422341217e033a650b8efe69df6e7137f9e7706532dd2ab780"


def test_subkeys_differ_by_label() -> None:
    master = bytes(range(32))

    assert crypto.derive_subkey(master, "totp") != crypto.derive_subkey(master, "pepper")
    assert crypto.derive_subkey(master, "totp") != master


def test_short_master_secret_is_refused() -> None:
    with pytest.raises(crypto.KeyFormatError, match="at least 32 bytes"):
        crypto.derive_subkey(bytes(16), "totp")


# --- Nothing secret leaks into errors ---------------------------------------------------------


def _failures_with_secret_plaintext() -> list[BaseException]:
    secret = SECRET_TEXT.encode()
    sealed = crypto.seal("narrative", secret, LINE_KEY.public_key())
    at_rest = crypto.encrypt_at_rest(AT_REST_KEY, secret, "totp")
    attempts: list[Callable[[], object]] = [
        lambda: crypto.open("message", sealed, LINE_KEY),
        lambda: crypto.open("narrative", sealed, OTHER_KEY),
        lambda: crypto.open("narrative", sealed, {line_key_id(): OTHER_KEY}),
        lambda: crypto.seal("narrative", SECRET_TEXT * 2000, LINE_KEY.public_key()),
        lambda: crypto.seal("narrative", SECRET_TEXT + "\ud800", LINE_KEY.public_key()),
        lambda: crypto.seal("bogus", SECRET_TEXT, LINE_KEY.public_key()),
        lambda: crypto.decrypt_at_rest(AT_REST_KEY, at_rest, "other"),
        lambda: crypto.unwrap_private_key(
            crypto.wrap_private_key(LINE_KEY, SECRET_TEXT, **FAST), SECRET_TEXT + "!"
        ),
        lambda: crypto.wrap_private_key(LINE_KEY, SECRET_TEXT + "\ud800", **FAST),
    ]
    caught = []
    for attempt in attempts:
        with pytest.raises((crypto.CryptoError, ValueError)) as excinfo:
            attempt()
        caught.append(excinfo.value)
    return caught


def test_no_exception_message_contains_the_plaintext() -> None:
    for error in _failures_with_secret_plaintext():
        for text in (str(error), repr(error), str(error.__context__), str(error.__cause__)):
            assert "Sample Street" not in text
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__


def test_a_submission_code_is_a_valid_case_code_fixed_by_secret_and_token():
    secret = bytes(range(32))
    code = crypto.case_code_for_submission(secret, "token-one")
    assert crypto.normalise_case_code(code) == code
    assert crypto.case_code_for_submission(secret, "token-one") == code
    assert crypto.case_code_for_submission(secret, "token-two") != code
    assert crypto.case_code_for_submission(bytes(range(1, 33)), "token-one") != code


def test_a_submission_reference_is_a_case_reference_fixed_by_secret_and_token():
    secret = bytes(range(32))
    reference = crypto.reference_for_submission(secret, "token-one")

    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", reference)
    assert crypto.EnvelopeContext("main", reference, "reporter-to-line").case_reference
    assert crypto.reference_for_submission(secret, "token-one") == reference
    assert crypto.reference_for_submission(secret, "token-two") != reference
    assert crypto.reference_for_submission(bytes(range(1, 33)), "token-one") != reference
    # Not the submission code's bits: the two derivations are kept apart by their labels
    code = crypto.case_code_for_submission(secret, "token-one").replace("-", "")
    assert not code.startswith(reference.replace("-", ""))
    with pytest.raises(ValueError, match="32 bytes"):
        crypto.reference_for_submission(bytes(16), "token-one")


def test_submission_codes_spread_over_the_whole_alphabet():
    secret = bytes(range(32))
    codes = [crypto.case_code_for_submission(secret, f"t{n}") for n in range(200)]
    assert len(set(codes)) == 200
    assert {code[0] for code in codes} == set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


@pytest.mark.parametrize("size", [0, 1, 252, 253, 20, 40_000, crypto.MAX_PLAINTEXT_BYTES])
def test_an_envelope_tells_how_much_text_it_can_hold_and_forms_how_long_it_is(size: int) -> None:
    sealed = crypto.seal("message", b"x" * size, LINE_KEY.public_key())

    assert crypto.parse_envelope(sealed).padded_bytes == padding.padded_length(size)
    assert len(sealed) == crypto.max_envelope_chars(size)
