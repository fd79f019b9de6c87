"""Staff key custody in the crypto package: the password split, lawyers' own wrapped keys,
line-key grants and envelopes bound to their line, case and direction (v2).

The byte formats are pinned by known-answer vectors in `custody_vectors.json`, which the
browser module must reproduce too (tests/browser/test_custody_module.py). `build_vectors`
below makes that file from fixed inputs with the standard library, `cryptography`'s X25519
and AES-GCM, and a short RFC 9180 reference seal (the production code cannot fix HPKE's
ephemeral key), never with the code under test; a test compares the file with it, so the
file cannot drift. Regenerate it after a deliberate format change with
`.venv/bin/python -m tests.test_crypto_custody`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import crypto
from crypto import grants, staff_credentials
from crypto.envelope import DIRECTIONS_BY_PURPOSE, info_for
from tests.reference_hpke import hkdf_expand, labeled_expand, labeled_extract

# The derivations here are checked against the browser and against the real cost.
pytestmark = pytest.mark.usefixtures("real_staff_kdf")

VECTOR_FILE = Path(__file__).parent / "custody_vectors.json"
RFC9180_FILE = Path(__file__).parent / "browser" / "rfc9180_vectors.json"
FAST = {"iterations": 1000, "allow_weak_for_tests": True}
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SECRET_TEXT = "my landlord Mr Example at 12 Sample Street"
INSTANCE = "0123456789abcdef0123456789abcdef"

# --- The vector generator: fixed inputs, outputs computed by hand -------------------------


def fixed_bytes(label: str, size: int = 32) -> bytes:
    """Deterministic test bytes, so the generator needs no randomness."""
    return hashlib.sha256(b"advisory-line custody vector/" + label.encode()).digest()[:size]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hkdf_sha256(ikm: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 with no salt (HMAC zero-pads the empty key to 32 zero bytes)."""
    prk = hmac.new(b"", ikm, hashlib.sha256).digest()
    return hkdf_expand(prk, info, length)


def raw_public(private_raw: bytes) -> bytes:
    key = X25519PrivateKey.from_private_bytes(private_raw)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def fingerprint_by_hand(public_raw: bytes) -> str:
    digest = hashlib.sha256(b"advisory-line/v1/fingerprint\0" + public_raw).digest()
    bits = "".join(f"{byte:08b}" for byte in digest[:10])
    chars = "".join(CROCKFORD[int(bits[i : i + 5], 2)] for i in range(0, 80, 5))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def reference_hpke_seal(
    recipient_public: bytes,
    info: bytes,
    plaintext: bytes,
    ephemeral_secret: bytes,
    aad: bytes = b"",
) -> bytes:
    """RFC 9180 SealBase for DHKEM(X25519, HKDF-SHA256)/HKDF-SHA256/AES-128-GCM with a
    fixed ephemeral key (for vectors only); returns enc || ciphertext."""
    ephemeral = X25519PrivateKey.from_private_bytes(ephemeral_secret)
    enc = raw_public(ephemeral_secret)
    dh = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    kem_suite = b"KEM\x00\x20"
    eae_prk = labeled_extract(kem_suite, b"", b"eae_prk", dh)
    shared = labeled_expand(kem_suite, eae_prk, b"shared_secret", enc + recipient_public, 32)
    suite = b"HPKE\x00\x20\x00\x01\x00\x01"
    context = (
        b"\x00"
        + labeled_extract(suite, b"", b"psk_id_hash", b"")
        + labeled_extract(suite, b"", b"info_hash", info)
    )
    secret = labeled_extract(suite, shared, b"secret", b"")
    key = labeled_expand(suite, secret, b"key", context, 16)
    nonce = labeled_expand(suite, secret, b"base_nonce", context, 12)
    return enc + AESGCM(key).encrypt(nonce, plaintext, aad)


def pad_by_hand(plaintext: bytes) -> bytes:
    size = -(-(4 + len(plaintext)) // 256) * 256
    return (len(plaintext).to_bytes(4, "big") + plaintext).ljust(size, b"\0")


CREDENTIAL_INPUTS = [
    {"username": "kari.nordmann", "password": "correct horse battery staple", "iterations": 1000},
    {
        # Stripped and lower-cased; the password typed decomposed (NFD) derives as NFC.
        "username": "\u3000 Ola_Nordmann-2 ",
        "password": unicodedata.normalize("NFD", "Blåbærsyltetøy på Ærø 🎭"),
        "iterations": 1000,
    },
    {"username": "advokat", "password": "Passord for advokaten!", "iterations": 600_000},
]
STAFF_KEY_INPUTS = [(7, 0), (1234567890123, 1)]  # (staff id, credentials used)
CONTEXT = {"line_slug": "kulturlinja-2", "case_reference": "K7QF-9M2X"}
ENVELOPE_INPUTS = [
    ("narrative", "reporter-to-line", "line", "Det skjedde på øving – «Æ» 🎭"),
    ("message", "reporter-to-line", "line", ""),
    ("contact", "reporter-to-line", "line", "+47 000 00 000"),
    ("reply", "line-to-reporter", "reporter", "Vi ringer deg i morgen."),
    ("reply", "line-to-line", "line", "b" * 253),
    ("narrative", "reporter-to-reporter", "reporter", "Det jeg skrev, for meg selv."),
    ("message", "reporter-to-reporter", "reporter", "Og dette skrev jeg etterpå."),
    ("attachment", "reporter-to-line", "line", '{"name":"skjermbilde.png","size":1234}'),
    ("attachment", "line-to-reporter", "reporter", '{"name":"avtale.pdf","size":99}'),
    ("attachment", "line-to-line", "line", '{"name":"avtale.pdf","size":99}'),
]


LINE_PRIVATE = fixed_bytes("line key")
REPORTER_PRIVATE = fixed_bytes("reporter key")


def build_vectors() -> dict[str, Any]:
    """The whole vector file, from fixed inputs."""
    instance_ids = instance_id_vectors()
    credentials = credential_vectors(instance_ids[0]["instance_id"])
    staff_keys = staff_key_vectors(credentials)
    return {
        "about": (
            "Known-answer vectors of the key custody formats, shared by crypto/ and the "
            "browser module. Made by build_vectors in tests/test_crypto_custody.py; "
            "regenerate with: .venv/bin/python -m tests.test_crypto_custody"
        ),
        "instance_ids": instance_ids,
        "credentials": credentials,
        "staff_keys": staff_keys,
        "fingerprints": fingerprint_vectors(),
        "grants": grant_vectors(staff_keys),
        "envelopes_v2": envelope_vectors(),
    }


def instance_id_vectors() -> list[dict[str, Any]]:
    secret_keys = [b"an instance secret key of 32 bytes!!", fixed_bytes("secret key 2")]
    label = b"advisory-line/v1/instance-id"
    return [
        {
            "secret_key": secret.hex(),
            "instance_id": hmac.new(secret, label, "sha256").digest()[:16].hex(),
        }
        for secret in secret_keys
    ]


def credential_vectors(instance: str) -> list[dict[str, Any]]:
    vectors = []
    for given in CREDENTIAL_INPUTS:
        name = given["username"].strip().lower()
        salt = hashlib.sha256(
            b"advisory-line/v1/staff-salt\0" + instance.encode() + b"\0" + name.encode()
        ).digest()
        password = unicodedata.normalize("NFC", given["password"]).encode()
        master = hashlib.pbkdf2_hmac("sha256", password, salt, given["iterations"], dklen=32)
        auth_key = hkdf_sha256(master, b"advisory-line/v1/staff-auth-key")
        vectors.append(
            given
            | {
                "instance_id": instance,
                "username_normalised": name,
                "salt": salt.hex(),
                "master": master.hex(),
                "auth_key": auth_key.hex(),
                "auth_key_text": b64url(auth_key),
                "wrap_key": hkdf_sha256(master, b"advisory-line/v1/staff-wrap-key").hex(),
            }
        )
    return vectors


def staff_key_vectors(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    vectors = []
    for staff_id, which in STAFF_KEY_INPUTS:
        private = fixed_bytes(f"staff key {staff_id}")
        nonce = fixed_bytes(f"staff key nonce {staff_id}", 12)
        aad = b"advisory-line/v1/staff-private-key\0" + str(staff_id).encode()
        wrap_key = bytes.fromhex(credentials[which]["wrap_key"])
        ciphertext = AESGCM(wrap_key).encrypt(nonce, private, aad)
        public = raw_public(private)
        blob = {"v": 1, "alg": "A256GCM", "nonce": b64url(nonce), "ciphertext": b64url(ciphertext)}
        vectors.append(
            {
                "staff_id": staff_id,
                "credentials": which,
                "wrap_key": wrap_key.hex(),
                "private_key": private.hex(),
                "nonce": nonce.hex(),
                "public_key": b64url(public),
                "key_id": key_id(public),
                "fingerprint": fingerprint_by_hand(public),
                "aad": aad.hex(),
                "blob": json.dumps(blob, separators=(",", ":")),
            }
        )
    return vectors


def fingerprint_vectors() -> list[dict[str, str]]:
    publics = [
        raw_public(LINE_PRIVATE),
        raw_public(REPORTER_PRIVATE),
        bytes(31) + b"\x01",
        b"\x09" + bytes(31),
    ]
    return [{"public_key": b64url(p), "fingerprint": fingerprint_by_hand(p)} for p in publics]


def grant_vectors(staff_keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    line_key_id = key_id(raw_public(LINE_PRIVATE))
    vectors = []
    for index, staff in enumerate(staff_keys):
        staff_id = str(staff["staff_id"]).encode()
        info = b"advisory-line/v1/line-key-grant\0" + line_key_id.encode() + b"\0" + staff_id
        ephemeral = fixed_bytes(f"grant ephemeral {index}")
        staff_public = raw_public(bytes.fromhex(staff["private_key"]))
        payload = reference_hpke_seal(staff_public, info, LINE_PRIVATE, ephemeral)
        vectors.append(
            {
                "line_private_key": LINE_PRIVATE.hex(),
                "line_key_id": line_key_id,
                "staff_id": staff["staff_id"],
                "staff_private_key": staff["private_key"],
                "staff_public_key": staff["public_key"],
                "ephemeral_secret": ephemeral.hex(),
                "info": info.hex(),
                "grant": f"g1.{staff['key_id']}.{b64url(payload)}",
            }
        )
    return vectors


def envelope_vectors() -> list[dict[str, Any]]:
    recipients = {"line": LINE_PRIVATE, "reporter": REPORTER_PRIVATE}
    vectors = []
    for index, (purpose, direction, recipient, text) in enumerate(ENVELOPE_INPUTS):
        fields = [purpose, CONTEXT["line_slug"], CONTEXT["case_reference"], direction]
        info = b"advisory-line/v2/" + b"\0".join(field.encode() for field in fields)
        ephemeral = fixed_bytes(f"envelope ephemeral {index}")
        public = raw_public(recipients[recipient])
        payload = reference_hpke_seal(public, info, pad_by_hand(text.encode()), ephemeral)
        vectors.append(
            {
                "purpose": purpose,
                "context": CONTEXT | {"direction": direction},
                "plaintext": text,
                "recipient_private_key": recipients[recipient].hex(),
                "recipient_public_key": b64url(public),
                "ephemeral_secret": ephemeral.hex(),
                "info": info.hex(),
                "envelope": f"v2.{key_id(public)}.{b64url(payload)}",
            }
        )
    return vectors


def write_vectors() -> None:
    VECTOR_FILE.write_text(json.dumps(build_vectors(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":  # regenerate, before the module reads the file below
    write_vectors()
    raise SystemExit(0)

VECTORS: dict[str, Any] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))


def context_of(vector: dict[str, Any]) -> crypto.EnvelopeContext:
    return crypto.EnvelopeContext(**vector["context"])


def private_key(hex_text: str) -> X25519PrivateKey:
    return crypto.private_key_from_bytes(bytes.fromhex(hex_text))


# --- The vector file ----------------------------------------------------------------------


def test_vector_file_is_what_the_generator_makes() -> None:
    assert build_vectors() == VECTORS


def test_reference_seal_of_the_generator_matches_rfc9180() -> None:
    # The generator's HPKE reference is checked against the RFC's own first encryption.
    rfc = json.loads(RFC9180_FILE.read_text(encoding="utf-8"))
    first = rfc["encryptions"][0]

    sealed = reference_hpke_seal(
        bytes.fromhex(rfc["pkRm"]),
        bytes.fromhex(rfc["info"]),
        bytes.fromhex(first["pt"]),
        bytes.fromhex(rfc["skEm"]),
        aad=bytes.fromhex(first["aad"]),
    )

    assert sealed.hex() == rfc["enc"] + first["ct"]


def test_the_vectors_cover_every_purpose_direction_and_the_production_cost() -> None:
    pairs = {(v["purpose"], v["context"]["direction"]) for v in VECTORS["envelopes_v2"]}
    assert pairs == {(p, d) for p, ds in DIRECTIONS_BY_PURPOSE.items() for d in ds}
    assert crypto.STAFF_KDF_ITERATIONS in {v["iterations"] for v in VECTORS["credentials"]}


# --- Python reproduces every vector -------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["instance_ids"])
def test_instance_id_matches_the_vectors(vector: dict[str, Any]) -> None:
    assert crypto.instance_id(bytes.fromhex(vector["secret_key"])) == vector["instance_id"]


@pytest.mark.parametrize("vector", VECTORS["credentials"], ids=lambda v: v["username"].strip())
def test_credentials_match_the_vectors(vector: dict[str, Any]) -> None:
    salt = staff_credentials.staff_salt(vector["instance_id"], vector["username"])
    credentials = crypto.derive_staff_credentials(
        vector["password"],
        vector["instance_id"],
        vector["username"],
        iterations=vector["iterations"],
        allow_weak_for_tests=True,
    )

    assert crypto.normalise_username(vector["username"]) == vector["username_normalised"]
    assert salt.hex() == vector["salt"]
    assert credentials.auth_key.hex() == vector["auth_key"]
    assert credentials.auth_key_text == vector["auth_key_text"]
    assert credentials.wrap_key.hex() == vector["wrap_key"]


def test_master_key_and_split_match_the_vectors() -> None:
    vector = VECTORS["credentials"][1]

    master = staff_credentials.master_key(vector["password"], bytes.fromhex(vector["salt"]), **FAST)

    assert master.hex() == vector["master"]
    split = staff_credentials.split_master_key(master)
    assert (split.auth_key.hex(), split.wrap_key.hex()) == (vector["auth_key"], vector["wrap_key"])


@pytest.mark.parametrize("vector", VECTORS["staff_keys"], ids=lambda v: str(v["staff_id"]))
def test_staff_key_wraps_match_the_vectors(vector: dict[str, Any]) -> None:
    key = private_key(vector["private_key"])
    wrap_key = bytes.fromhex(vector["wrap_key"])

    blob = crypto.wrap_staff_private_key(
        key, wrap_key, vector["staff_id"], nonce_for_tests=bytes.fromhex(vector["nonce"])
    )
    unwrapped = crypto.unwrap_staff_private_key(vector["blob"], wrap_key, vector["staff_id"])

    assert blob == vector["blob"]
    assert staff_credentials.staff_key_aad(vector["staff_id"]).hex() == vector["aad"]
    assert crypto.private_key_to_bytes(unwrapped).hex() == vector["private_key"]
    assert crypto.public_key_to_text(key.public_key()) == vector["public_key"]
    assert crypto.key_id_for(key.public_key()) == vector["key_id"]
    assert crypto.fingerprint(key.public_key()) == vector["fingerprint"]


@pytest.mark.parametrize("vector", VECTORS["fingerprints"], ids=lambda v: v["fingerprint"])
def test_fingerprints_match_the_vectors(vector: dict[str, Any]) -> None:
    public_key = X25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(vector["public_key"] + "=")
    )

    assert crypto.fingerprint(public_key) == vector["fingerprint"]


@pytest.mark.parametrize("vector", VECTORS["grants"], ids=lambda v: str(v["staff_id"]))
def test_grants_of_the_vectors_open_to_the_line_key(vector: dict[str, Any]) -> None:
    line_key = crypto.open_grant(
        vector["grant"],
        vector["line_key_id"],
        vector["staff_id"],
        private_key(vector["staff_private_key"]),
    )

    assert crypto.private_key_to_bytes(line_key).hex() == vector["line_private_key"]
    assert grants.grant_info(vector["line_key_id"], vector["staff_id"]).hex() == vector["info"]


@pytest.mark.parametrize(
    "vector",
    VECTORS["envelopes_v2"],
    ids=lambda v: f"{v['purpose']}-{v['context']['direction']}",
)
def test_v2_envelopes_of_the_vectors_open_in_their_context(vector: dict[str, Any]) -> None:
    opened = crypto.open(
        vector["purpose"],
        vector["envelope"],
        private_key(vector["recipient_private_key"]),
        context_of(vector),
    )

    assert opened == vector["plaintext"].encode()
    assert info_for(vector["purpose"], context_of(vector)).hex() == vector["info"]


# --- The credential split -----------------------------------------------------------------


def test_default_iterations_meet_the_design_minimum() -> None:
    assert crypto.STAFF_KDF_ITERATIONS >= 600_000
    assert crypto.MIN_STAFF_KDF_ITERATIONS >= 600_000


def test_weak_iteration_count_is_refused_without_the_test_flag() -> None:
    with pytest.raises(ValueError, match="too few; the minimum is 600000"):
        crypto.derive_staff_credentials("password", INSTANCE, "kari", iterations=1000)


@pytest.mark.parametrize("iterations", [0, -1, 10_000_001, True, 1000.0])
def test_iteration_counts_out_of_range_are_refused(iterations: Any) -> None:
    with pytest.raises(ValueError, match="iterations"):
        crypto.derive_staff_credentials(
            "password", INSTANCE, "kari", iterations=iterations, allow_weak_for_tests=True
        )


def test_auth_key_and_wrap_key_differ_and_the_auth_key_is_43_characters() -> None:
    credentials = crypto.derive_staff_credentials("password", INSTANCE, "kari", **FAST)

    assert credentials.auth_key != credentials.wrap_key
    assert len(credentials.auth_key_text) == 43
    assert crypto.auth_key_from_text(credentials.auth_key_text) == credentials.auth_key


def test_credentials_do_not_show_their_keys() -> None:
    credentials = crypto.derive_staff_credentials("password", INSTANCE, "kari", **FAST)

    assert repr(credentials) == "StaffCredentials()"


@pytest.mark.parametrize(
    "text", ["correct horse battery staple", "", "A" * 42, "A" * 44, "A" * 42 + "B", None]
)
def test_anything_but_an_auth_key_is_refused_at_the_door(text: Any) -> None:
    with pytest.raises(ValueError, match="32 bytes of unpadded base64url"):
        crypto.auth_key_from_text(text)


def test_the_salt_depends_on_instance_and_username_only_after_normalising() -> None:
    other_instance = "f" * 32

    salt = staff_credentials.staff_salt(INSTANCE, "kari.nordmann")

    assert staff_credentials.staff_salt(INSTANCE, " Kari.Nordmann\t") == salt
    assert staff_credentials.staff_salt(INSTANCE, "kari.nordman") != salt
    assert staff_credentials.staff_salt(other_instance, "kari.nordmann") != salt


@pytest.mark.parametrize(
    "username", ["", "   ", "kari nordmann", "åse", "kari\x00", "x" * 65, "kari@line", None]
)
def test_usernames_outside_the_alphabet_are_refused(username: Any) -> None:
    with pytest.raises(ValueError, match="a username has 1 to 64 characters"):
        staff_credentials.staff_salt(INSTANCE, username)


@pytest.mark.parametrize("instance", ["", INSTANCE.upper(), INSTANCE[:-1], INSTANCE + "0", None])
def test_malformed_instance_ids_are_refused(instance: Any) -> None:
    with pytest.raises(ValueError, match="32 lowercase hex"):
        staff_credentials.staff_salt(instance, "kari")


def test_instance_ids_differ_between_secret_keys_and_need_one() -> None:
    assert crypto.instance_id(b"one secret") != crypto.instance_id(b"another secret")
    assert re.fullmatch(r"[0-9a-f]{32}", crypto.instance_id(b"one secret"))
    with pytest.raises(ValueError, match="non-empty bytes"):
        crypto.instance_id(b"")


def test_the_password_is_nfc_normalised() -> None:
    composed = unicodedata.normalize("NFC", "Anwältin på kafé")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed

    first = crypto.derive_staff_credentials(composed, INSTANCE, "kari", **FAST)
    second = crypto.derive_staff_credentials(decomposed, INSTANCE, "kari", **FAST)

    assert first == second


def test_an_empty_password_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        crypto.derive_staff_credentials("", INSTANCE, "kari", **FAST)


# --- A lawyer's own key, wrapped -----------------------------------------------------------


def credentials_for(password: str) -> crypto.StaffCredentials:
    return crypto.derive_staff_credentials(password, INSTANCE, "kari", **FAST)


STAFF = credentials_for("password")
STAFF_KEY = crypto.generate_keypair()


def test_a_wrapped_staff_key_unwraps_with_the_wrap_key_and_staff_id() -> None:
    blob = crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, 7)

    unwrapped = crypto.unwrap_staff_private_key(blob, STAFF.wrap_key, 7)

    assert crypto.private_key_to_bytes(unwrapped) == crypto.private_key_to_bytes(STAFF_KEY)


def test_the_staff_key_blob_is_compact_json_with_fresh_nonces() -> None:
    blob = crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, 7)
    again = crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, 7)

    fields = json.loads(blob)
    assert list(fields) == ["v", "alg", "nonce", "ciphertext"]
    assert (fields["v"], fields["alg"]) == (1, "A256GCM")
    assert " " not in blob
    assert json.loads(again)["nonce"] != fields["nonce"]


def test_the_auth_key_cannot_unwrap_the_staff_key() -> None:
    blob = crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, 7)

    with pytest.raises(crypto.WrongPassphrase):
        crypto.unwrap_staff_private_key(blob, STAFF.auth_key, 7)


def test_a_staff_key_blob_for_another_staff_id_is_refused() -> None:
    blob = crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, 7)

    with pytest.raises(crypto.WrongPassphrase):
        crypto.unwrap_staff_private_key(blob, STAFF.wrap_key, 8)


def test_another_password_cannot_unwrap_the_staff_key() -> None:
    blob = crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, 7)

    with pytest.raises(crypto.WrongPassphrase):
        crypto.unwrap_staff_private_key(blob, credentials_for("passwore").wrap_key, 7)


@pytest.mark.parametrize("field", ["nonce", "ciphertext"])
def test_a_tampered_staff_key_blob_is_refused(field: str) -> None:
    fields = json.loads(crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, 7))
    raw = bytearray(base64.urlsafe_b64decode(fields[field] + "=="))
    raw[3] ^= 1
    fields[field] = b64url(bytes(raw))

    with pytest.raises(crypto.WrongPassphrase):
        crypto.unwrap_staff_private_key(json.dumps(fields), STAFF.wrap_key, 7)


def _staff_blob_with(**changes: Any) -> str:
    fields = json.loads(crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, 7))
    fields.update(changes)
    return json.dumps({k: v for k, v in fields.items() if v is not None})


VERSION_MESSAGE = "unsupported wrapped staff key version"
MALFORMED_STAFF_BLOBS = {
    "not-json": ("not json", "must be JSON text"),
    "list": ("[]", "exactly the fields"),
    "extra": (_staff_blob_with(extra=1), "exactly the fields"),
    "missing": (_staff_blob_with(alg=None), "exactly the fields"),
    "v2": (_staff_blob_with(v=2), VERSION_MESSAGE),
    "bool": (_staff_blob_with(v=True), VERSION_MESSAGE),
    "alg": (_staff_blob_with(alg="A128GCM"), "algorithm; expected 'A256GCM'"),
    "short-nonce": (_staff_blob_with(nonce=b64url(bytes(11))), "'nonce' must be 12 bytes"),
    "short-ct": (_staff_blob_with(ciphertext=b64url(bytes(47))), "'ciphertext' must be 48"),
    "long-ct": (_staff_blob_with(ciphertext=b64url(bytes(80))), "'ciphertext' must be 48"),
    "padded": (_staff_blob_with(nonce=b64url(bytes(12)) + "="), "'nonce' must be 12 bytes"),
    "number": (_staff_blob_with(nonce=12), "'nonce' must be 12 bytes"),
}


@pytest.mark.parametrize(
    ("blob", "message"), MALFORMED_STAFF_BLOBS.values(), ids=MALFORMED_STAFF_BLOBS.keys()
)
def test_a_malformed_staff_key_blob_is_refused(blob: str, message: str) -> None:
    with pytest.raises(crypto.KeyFormatError, match=re.escape(message)):
        crypto.unwrap_staff_private_key(blob, STAFF.wrap_key, 7)


@pytest.mark.parametrize("staff_id", [0, -1, 2**63, True, "7", 7.0, None])
def test_staff_ids_that_are_not_positive_64_bit_integers_are_refused(staff_id: Any) -> None:
    with pytest.raises(ValueError, match="a staff id is a positive whole number"):
        crypto.wrap_staff_private_key(STAFF_KEY, STAFF.wrap_key, staff_id)
    with pytest.raises(ValueError, match="a staff id is a positive whole number"):
        crypto.seal_grant(STAFF_KEY, staff_id, STAFF_KEY.public_key())


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_a_wrap_key_of_the_wrong_length_is_refused(size: int) -> None:
    with pytest.raises(crypto.KeyFormatError, match="a wrapping key is 32 bytes"):
        crypto.wrap_staff_private_key(STAFF_KEY, bytes(size), 7)


def test_fingerprints_are_grouped_crockford_and_differ_between_keys() -> None:
    first = crypto.fingerprint(STAFF_KEY.public_key())

    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", first)
    assert crypto.fingerprint(STAFF_KEY.public_key()) == first
    assert crypto.fingerprint(crypto.generate_keypair().public_key()) != first


# --- Grants ---------------------------------------------------------------------------------

LINE_KEY = crypto.generate_keypair()
LINE_KEY_ID = crypto.key_id_for(LINE_KEY.public_key())
OTHER_STAFF_KEY = crypto.generate_keypair()
OTHER_LINE_KEY_ID = crypto.key_id_for(crypto.generate_keypair().public_key())


def test_a_grant_opens_to_the_line_key_for_its_lawyer() -> None:
    grant = crypto.seal_grant(LINE_KEY, 7, STAFF_KEY.public_key())

    opened = crypto.open_grant(grant, LINE_KEY_ID, 7, STAFF_KEY)

    assert crypto.private_key_to_bytes(opened) == crypto.private_key_to_bytes(LINE_KEY)
    assert grant.startswith(f"g1.{crypto.key_id_for(STAFF_KEY.public_key())}.")
    assert len(grant) == grants.GRANT_CHARS == 127
    assert crypto.parse_grant(grant).key_id == crypto.key_id_for(STAFF_KEY.public_key())


@pytest.mark.parametrize(
    ("sealed_to", "line_key_id", "staff_id", "refusal"),
    [
        pytest.param(STAFF_KEY, LINE_KEY_ID, 8, crypto.DecryptionFailed, id="another-staff-id"),
        pytest.param(
            STAFF_KEY, OTHER_LINE_KEY_ID, 7, crypto.DecryptionFailed, id="another-line-key-id"
        ),
        pytest.param(OTHER_STAFF_KEY, LINE_KEY_ID, 7, crypto.UnknownKeyId, id="another-lawyer"),
    ],
)
def test_a_grant_opened_as_another_grant_is_refused(
    sealed_to: X25519PrivateKey, line_key_id: str, staff_id: int, refusal: type[Exception]
) -> None:
    # A grant opens only for the staff id, line key id and lawyer's key it was sealed for
    grant = crypto.seal_grant(LINE_KEY, 7, sealed_to.public_key())

    with pytest.raises(refusal):
        crypto.open_grant(grant, line_key_id, staff_id, STAFF_KEY)


def test_a_grant_relabelled_with_the_lawyers_key_id_is_refused() -> None:
    grant = crypto.seal_grant(LINE_KEY, 7, OTHER_STAFF_KEY.public_key())
    _, _, payload = grant.split(".")
    relabelled = f"g1.{crypto.key_id_for(STAFF_KEY.public_key())}.{payload}"

    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_grant(relabelled, LINE_KEY_ID, 7, STAFF_KEY)


def test_a_forged_grant_holding_another_key_is_refused() -> None:
    # Given a grant anyone could seal with the lawyer's public key: the right line key id
    # and staff id in its info, but a key the forger knows inside,
    forged_key = crypto.generate_keypair()
    payload = grants._SUITE.encrypt(
        crypto.private_key_to_bytes(forged_key),
        STAFF_KEY.public_key(),
        info=grants.grant_info(LINE_KEY_ID, 7),
    )
    forged = f"g1.{crypto.key_id_for(STAFF_KEY.public_key())}.{b64url(payload)}"

    # when the lawyer opens it, then it is refused: it does not hold that line key.
    with pytest.raises(crypto.DecryptionFailed, match="does not hold line key"):
        crypto.open_grant(forged, LINE_KEY_ID, 7, STAFF_KEY)


def _flip_middle_char(text: str) -> str:
    """Change one base64url character inside the last part (not its final character, which
    holds padding bits, so the text stays canonical and only authentication can catch it)."""
    head, _, payload = text.rpartition(".")
    i = len(payload) // 2
    return f"{head}.{payload[:i]}{'B' if payload[i] == 'A' else 'A'}{payload[i + 1 :]}"


def test_a_tampered_grant_is_refused() -> None:
    grant = crypto.seal_grant(LINE_KEY, 7, STAFF_KEY.public_key())

    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_grant(_flip_middle_char(grant), LINE_KEY_ID, 7, STAFF_KEY)


GRANT = crypto.seal_grant(LINE_KEY, 7, STAFF_KEY.public_key())
GRANT_KEY_ID = GRANT.split(".")[1]
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        pytest.param("", "text of 127 characters", id="empty"),
        pytest.param(GRANT[:-1], "text of 127 characters", id="short"),
        pytest.param(GRANT + "A", "text of 127 characters", id="long"),
        pytest.param("g2" + GRANT[2:], "the form g1.<key-id>.<payload>", id="version"),
        pytest.param("g1." + GRANT_KEY_ID + "." + "A" * 106 + ".", "the form g1", id="four-parts"),
        pytest.param(f"g1.0123456789ABCDEF{GRANT[19:]}", "16 lowercase hex", id="upper-id"),
        pytest.param(GRANT[:-1] + "=", "not unpadded base64url", id="padded"),
        pytest.param(GRANT[:20] + "+" + GRANT[21:], "not unpadded base64url", id="plus"),
        pytest.param(GRANT[:-1] + _B64[_B64.index(GRANT[-1]) | 1], "not unpadded", id="bits"),
        pytest.param(None, "text of 127 characters", id="none"),
    ],
)  # fmt: skip
def test_a_malformed_grant_is_refused(grant: Any, message: str) -> None:
    with pytest.raises(crypto.KeyFormatError, match=re.escape(message)):
        crypto.open_grant(grant, LINE_KEY_ID, 7, STAFF_KEY)


@pytest.mark.parametrize(
    "line_key_id",
    ["", LINE_KEY_ID.upper(), LINE_KEY_ID[:15], "g" * 16],
    ids=["empty", "upper-case", "short", "not-hex"],
)
def test_a_malformed_line_key_id_is_refused(line_key_id: str) -> None:
    with pytest.raises(ValueError, match="a line key id is 16 lowercase hex"):
        crypto.open_grant(GRANT, line_key_id, 7, STAFF_KEY)


def test_sealing_a_grant_to_a_low_order_public_key_is_refused() -> None:
    low_order = X25519PublicKey.from_public_bytes(bytes(32))

    with pytest.raises(crypto.KeyFormatError, match="not a usable X25519 key"):
        crypto.seal_grant(LINE_KEY, 7, low_order)


# --- Envelopes v2 ---------------------------------------------------------------------------


def context(direction: str = "reporter-to-line", **changes: str) -> crypto.EnvelopeContext:
    fields = {"line_slug": "main", "case_reference": "K7QF-9M2X", "direction": direction}
    return crypto.EnvelopeContext(**(fields | changes))


PAIRS = [(p, d) for p, ds in DIRECTIONS_BY_PURPOSE.items() for d in ds]


@pytest.mark.parametrize(("purpose", "direction"), PAIRS)
def test_a_v2_envelope_opens_in_its_context(purpose: str, direction: str) -> None:
    sealed = crypto.seal(purpose, "Hei", LINE_KEY.public_key(), context(direction))

    assert sealed.startswith(f"v2.{LINE_KEY_ID}.")
    assert crypto.parse_envelope(sealed).version == "v2"
    assert crypto.open(purpose, sealed, LINE_KEY, context(direction)) == b"Hei"
    assert crypto.open(purpose, sealed, {LINE_KEY_ID: LINE_KEY}, context(direction)) == b"Hei"


@pytest.mark.parametrize(
    "changes",
    [
        {"line_slug": "other-line"},
        {"case_reference": "K7QF-9M2Y"},
        {"direction": "line-to-line"},
    ],
    ids=["line", "reference", "direction"],
)
def test_a_v2_envelope_opened_in_another_context_is_refused(changes: dict[str, str]) -> None:
    sealed = crypto.seal("reply", "Hei", LINE_KEY.public_key(), context("line-to-reporter"))

    with pytest.raises(crypto.DecryptionFailed):
        crypto.open(
            "reply", sealed, LINE_KEY, context(**({"direction": "line-to-reporter"} | changes))
        )


def test_a_v2_envelope_opened_for_another_purpose_is_refused() -> None:
    sealed = crypto.seal("narrative", "Hei", LINE_KEY.public_key(), context())

    with pytest.raises(crypto.DecryptionFailed):
        crypto.open("message", sealed, LINE_KEY, context())


def test_a_v2_envelope_opened_without_a_context_is_refused() -> None:
    sealed = crypto.seal("narrative", "Hei", LINE_KEY.public_key(), context())

    with pytest.raises(crypto.DecryptionFailed, match="only with the context"):
        crypto.open("narrative", sealed, LINE_KEY)


def test_a_tampered_v2_envelope_is_refused() -> None:
    sealed = crypto.seal("message", "Hei", LINE_KEY.public_key(), context())

    with pytest.raises(crypto.DecryptionFailed):
        crypto.open("message", _flip_middle_char(sealed), LINE_KEY, context())


def test_relabelling_the_version_does_not_open_either_way() -> None:
    v2 = crypto.seal("message", "Hei", LINE_KEY.public_key(), context())
    v1 = crypto.seal("message", "Hei", LINE_KEY.public_key())

    with pytest.raises(crypto.DecryptionFailed):
        crypto.open("message", "v1" + v2[2:], LINE_KEY, context())
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open("message", "v2" + v1[2:], LINE_KEY, context())


def test_without_a_context_seal_still_makes_v1() -> None:
    sealed = crypto.seal("narrative", "Hei", LINE_KEY.public_key())

    assert sealed.startswith(f"v1.{LINE_KEY_ID}.")
    assert crypto.parse_envelope(sealed).version == "v1"


def test_a_v1_envelope_opens_with_or_without_a_context() -> None:
    sealed = crypto.seal("reply", "Hei", LINE_KEY.public_key())

    assert crypto.open("reply", sealed, LINE_KEY) == b"Hei"
    assert crypto.open("reply", sealed, LINE_KEY, context("line-to-line")) == b"Hei"
    assert crypto.open("reply", sealed, LINE_KEY, context("line-to-reporter")) == b"Hei"


def test_v1_and_v2_envelopes_have_the_same_length() -> None:
    v1 = crypto.seal("narrative", "x" * 300, LINE_KEY.public_key())
    v2 = crypto.seal("narrative", "x" * 300, LINE_KEY.public_key(), context())

    assert len(v1) == len(v2) == crypto.max_envelope_chars(300)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"line_slug": ""}, "a line slug", id="empty-slug"),
        pytest.param({"line_slug": "Main"}, "a line slug", id="upper-slug"),
        pytest.param({"line_slug": "a" * 41}, "a line slug", id="long-slug"),
        pytest.param({"line_slug": "main\x00"}, "a line slug", id="nul-slug"),
        pytest.param({"line_slug": "main\n"}, "a line slug", id="newline-slug"),
        pytest.param({"case_reference": "k7qf-9m2x"}, "a case reference", id="lower-ref"),
        pytest.param({"case_reference": "K7QF9M2X"}, "a case reference", id="undashed-ref"),
        pytest.param({"case_reference": "K7QF-9M2U"}, "a case reference", id="not-crockford"),
        pytest.param({"case_reference": None}, "a case reference", id="none-ref"),
        pytest.param({"direction": "sideways"}, "a direction is one of", id="direction"),
    ],
)
def test_an_invalid_context_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(crypto.InvalidContext, match=message):
        context(**fields)


@pytest.mark.parametrize(
    ("purpose", "direction"),
    [("narrative", "line-to-line"), ("contact", "line-to-reporter"), ("reply", "reporter-to-line")],
)
def test_a_purpose_travels_only_its_own_directions(purpose: str, direction: str) -> None:
    with pytest.raises(crypto.InvalidContext, match=f"a {purpose} travels"):
        crypto.seal(purpose, "Hei", LINE_KEY.public_key(), context(direction))


def test_a_context_must_be_an_envelope_context() -> None:
    with pytest.raises(TypeError, match="EnvelopeContext"):
        crypto.seal("narrative", "Hei", LINE_KEY.public_key(), ("main", "K7QF-9M2X", "x"))


def test_other_versions_are_still_malformed() -> None:
    sealed = crypto.seal("narrative", "Hei", LINE_KEY.public_key(), context())

    with pytest.raises(crypto.MalformedEnvelope, match="unsupported envelope version 'v3'"):
        crypto.parse_envelope("v3" + sealed[2:])
    with pytest.raises(crypto.MalformedEnvelope, match="must start with 'v1.' or 'v2.'"):
        crypto.parse_envelope("V2" + sealed[2:])


# --- Nothing secret leaks into errors -------------------------------------------------------


def test_no_custody_error_carries_a_secret() -> None:
    secret = SECRET_TEXT
    credentials = credentials_for(secret)
    blob = crypto.wrap_staff_private_key(STAFF_KEY, credentials.wrap_key, 7)
    sealed = crypto.seal("narrative", secret, LINE_KEY.public_key(), context())
    attempts: list[Callable[[], object]] = [
        lambda: crypto.derive_staff_credentials(secret + "\ud800", INSTANCE, "kari", **FAST),
        lambda: crypto.unwrap_staff_private_key(blob, credentials.auth_key, 7),
        lambda: crypto.unwrap_staff_private_key(blob, credentials.wrap_key, 8),
        lambda: crypto.open_grant(GRANT, LINE_KEY_ID, 8, STAFF_KEY),
        lambda: crypto.open("narrative", sealed, LINE_KEY, context(line_slug="other")),
        lambda: crypto.open("narrative", sealed, LINE_KEY),
        lambda: crypto.auth_key_from_text(secret),
    ]
    for attempt in attempts:
        with pytest.raises((crypto.CryptoError, ValueError)) as excinfo:
            attempt()
        error = excinfo.value
        for text in (str(error), repr(error), str(error.__context__), str(error.__cause__)):
            assert "Sample Street" not in text
            assert credentials.wrap_key.hex() not in text
            assert credentials.auth_key_text not in text
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__
