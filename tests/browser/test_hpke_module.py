"""The browser crypto module (advisory/static/js/hpke.js) in Chromium, against RFC 9180 and Python.

Each test loads the landing page from the live server and imports the module the way pages
will: `await import('/static/js/hpke.js')`, same-origin, under the site's normal CSP.
Bytes cross the Python/browser boundary as hex or base64url text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import Page

import crypto
from crypto.encoding import b64url_encode
from tests.reference_hpke import labeled_expand, labeled_extract

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "rfc9180_vectors.json").read_text(encoding="utf-8")
)
PURPOSES = ("narrative", "message", "contact", "reply")
# Padding boundaries (4-byte prefix: 252 bytes fill one block, 253 need two) and a long
# text of two-, three- and four-byte UTF-8 characters.
PLAINTEXTS = {
    "empty": "",
    "252 bytes": "a" * 252,
    "253 bytes": "b" * 253,
    "5000 non-ASCII chars": ("Blåbær – «Æ» 🎭 ø " * 300)[:5000],
}
ALL_BYTES = bytes(range(256))

_PRELUDE = """
const hpke = await import('/static/js/hpke.js');
const { bytesToHex, hexToBytes, b64urlEncode } = await import('/static/js/crypto/encoding.js');
"""


def in_browser(page: Page, body: str, arg: Any = None) -> Any:
    """Run `body` as an async function in the page, with `hpke`, hex helpers and `arg`."""
    return page.evaluate(f"async (arg) => {{ {_PRELUDE}\n{body}\n}}", arg)


def rejection(page: Page, body: str, arg: Any = None) -> dict[str, str] | None:
    """Run `body` expecting it to throw; returns the error's code and message (None if not)."""
    wrapped = f"""
    try {{ {body}\n }} catch (error) {{
      return {{ name: error.name, code: error.code ?? null, message: error.message }};
    }}
    return null;
    """
    return in_browser(page, wrapped, arg)


@pytest.fixture(scope="module")
def hpke_page(module_page: Page) -> Page:
    return module_page


def raw_public(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- RFC 9180 Appendix A.1.1 -------------------------------------------------------------


def test_browser_key_schedule_matches_rfc9180_vectors(hpke_page: Page) -> None:
    got = in_browser(
        hpke_page,
        """
        const v = arg;
        const empty = new Uint8Array(0);
        const skE = await hpke.importPrivateKey(hexToBytes(v.skEm));
        const skR = await hpke.importPrivateKey(hexToBytes(v.skRm));
        const { sharedSecret, enc } = await hpke.encap(hexToBytes(v.pkRm), hexToBytes(v.skEm));
        const suite = hpke.HPKE_SUITE_ID;
        const pskIdHash = await hpke.labeledExtract(suite, empty, "psk_id_hash", empty);
        const infoHash = await hpke.labeledExtract(suite, empty, "info_hash", hexToBytes(v.info));
        const sender = await hpke.setupBaseS(hexToBytes(v.pkRm), hexToBytes(v.info),
                                             hexToBytes(v.skEm));
        const receiver = await hpke.setupBaseR(hexToBytes(v.enc), skR, hexToBytes(v.info));
        return {
          pkEm: bytesToHex(await hpke.publicKeyBytesOf(skE)),
          pkRm: bytesToHex(await hpke.publicKeyBytesOf(skR)),
          enc: bytesToHex(enc),
          shared_secret: bytesToHex(sharedSecret),
          decap_shared_secret: bytesToHex(await hpke.decap(hexToBytes(v.enc), skR)),
          key_schedule_context: "00" + bytesToHex(pskIdHash) + bytesToHex(infoHash),
          secret: bytesToHex(await hpke.labeledExtract(suite, sharedSecret, "secret", empty)),
          setup_enc: bytesToHex(sender.enc),
          sender: [sender.context.key, sender.context.baseNonce,
                   sender.context.exporterSecret].map(bytesToHex),
          receiver: [receiver.key, receiver.baseNonce, receiver.exporterSecret].map(bytesToHex),
        };
        """,
        VECTORS,
    )

    schedule = [VECTORS["key"], VECTORS["base_nonce"], VECTORS["exporter_secret"]]
    assert got["pkEm"] == VECTORS["pkEm"]
    assert got["pkRm"] == VECTORS["pkRm"]
    assert got["enc"] == got["setup_enc"] == VECTORS["enc"]
    assert got["shared_secret"] == got["decap_shared_secret"] == VECTORS["shared_secret"]
    assert got["key_schedule_context"] == VECTORS["key_schedule_context"]
    assert got["secret"] == VECTORS["secret"]
    assert got["sender"] == schedule
    assert got["receiver"] == schedule


def test_browser_seals_and_opens_rfc9180_encryptions_in_sequence(hpke_page: Page) -> None:
    # Given the listed encryptions (aad "Count-<seq>") up to sequence number 256,
    # when the browser seals and opens every message from 0 to 256 in order,
    # then the listed ciphertexts come out, and open to the listed plaintexts.
    got = in_browser(
        hpke_page,
        """
        const v = arg;
        const info = hexToBytes(v.info);
        const listed = new Map(v.encryptions.map((e) => [e.sequence_number, e]));
        const last = Math.max(...listed.keys());
        const skR = await hpke.importPrivateKey(hexToBytes(v.skRm));
        const { context: sender } = await hpke.setupBaseS(hexToBytes(v.pkRm), info,
                                                          hexToBytes(v.skEm));
        const receiver = await hpke.setupBaseR(hexToBytes(v.enc), skR, info);
        const sealed = {};
        const opened = {};
        const pt = hexToBytes(v.encryptions[0].pt);
        for (let seq = 0; seq <= last; seq += 1) {
          const aad = new TextEncoder().encode(`Count-${seq}`);
          const ct = await sender.seal(aad, pt);
          // Open the RFC's own ciphertext where it lists one, else what we just sealed.
          const toOpen = listed.has(seq) ? hexToBytes(listed.get(seq).ct) : ct;
          const back = await receiver.open(aad, toOpen);
          if (listed.has(seq)) {
            sealed[seq] = bytesToHex(ct);
            opened[seq] = bytesToHex(back);
          }
        }
        return { sealed, opened, sequences: [sender.sequence, receiver.sequence] };
        """,
        VECTORS,
    )

    for encryption in VECTORS["encryptions"]:
        seq = str(encryption["sequence_number"])
        assert got["sealed"][seq] == encryption["ct"], f"ciphertext at sequence number {seq}"
        assert got["opened"][seq] == encryption["pt"], f"plaintext at sequence number {seq}"
    assert {e["sequence_number"] for e in VECTORS["encryptions"]} >= {0, 1, 2, 4, 255, 256}
    assert got["sequences"] == [257, 257]


def test_browser_exports_match_rfc9180_vectors(hpke_page: Page) -> None:
    got = in_browser(
        hpke_page,
        """
        const v = arg;
        const info = hexToBytes(v.info);
        const skR = await hpke.importPrivateKey(hexToBytes(v.skRm));
        const { context: sender } = await hpke.setupBaseS(hexToBytes(v.pkRm), info,
                                                          hexToBytes(v.skEm));
        const receiver = await hpke.setupBaseR(hexToBytes(v.enc), skR, info);
        const results = [];
        for (const e of v.exports) {
          const context = hexToBytes(e.exporter_context);
          results.push([bytesToHex(await sender.export(context, e.L)),
                        bytesToHex(await receiver.export(context, e.L))]);
        }
        return results;
        """,
        VECTORS,
    )

    assert got == [[e["exported_value"]] * 2 for e in VECTORS["exports"]]


def test_browser_rejects_a_vector_ciphertext_with_the_wrong_aad(hpke_page: Page) -> None:
    error = rejection(
        hpke_page,
        """
        const v = arg;
        const skR = await hpke.importPrivateKey(hexToBytes(v.skRm));
        const receiver = await hpke.setupBaseR(hexToBytes(v.enc), skR, hexToBytes(v.info));
        await receiver.open(hexToBytes(v.encryptions[1].aad), hexToBytes(v.encryptions[0].ct));
        """,
        VECTORS,
    )

    assert error is not None
    assert error["code"] == "decryption-failed"


def test_vector_file_agrees_with_python_cryptography() -> None:
    """The transcribed vectors are checked on their own, so a typo cannot pass as a JS bug.

    `cryptography`'s HPKE API is single-shot (sequence 0, empty aad) and has no export, so
    it checks the KEM and key schedule; a short RFC 9180 reference on stdlib HMAC and
    AESGCM checks the rest.
    """
    v = {k: bytes.fromhex(x) for k, x in VECTORS.items() if isinstance(x, str) and k != "source"}
    sk_e = X25519PrivateKey.from_private_bytes(v["skEm"])
    sk_r = X25519PrivateKey.from_private_bytes(v["skRm"])
    assert raw_public(sk_e.public_key()) == v["pkEm"] == v["enc"]
    assert raw_public(sk_r.public_key()) == v["pkRm"]

    kem_suite = b"KEM\x00\x20"
    dh = sk_e.exchange(sk_r.public_key())
    eae_prk = labeled_extract(kem_suite, b"", b"eae_prk", dh)
    shared = labeled_expand(kem_suite, eae_prk, b"shared_secret", v["enc"] + v["pkRm"], 32)
    assert shared == v["shared_secret"]

    suite = b"HPKE\x00\x20\x00\x01\x00\x01"
    context = (
        b"\x00"
        + labeled_extract(suite, b"", b"psk_id_hash", b"")
        + labeled_extract(suite, b"", b"info_hash", v["info"])
    )
    assert context == v["key_schedule_context"]
    secret = labeled_extract(suite, shared, b"secret", b"")
    assert secret == v["secret"]
    assert labeled_expand(suite, secret, b"key", context, 16) == v["key"]
    assert labeled_expand(suite, secret, b"base_nonce", context, 12) == v["base_nonce"]
    assert labeled_expand(suite, secret, b"exp", context, 32) == v["exporter_secret"]

    aead = AESGCM(v["key"])
    for encryption in VECTORS["encryptions"]:
        seq = encryption["sequence_number"]
        nonce = bytes.fromhex(encryption["nonce"])
        pt, aad = bytes.fromhex(encryption["pt"]), bytes.fromhex(encryption["aad"])
        assert aad == f"Count-{seq}".encode()
        assert int.from_bytes(nonce, "big") == int.from_bytes(v["base_nonce"], "big") ^ seq
        assert aead.encrypt(nonce, pt, aad).hex() == encryption["ct"]
    for export in VECTORS["exports"]:
        exporter_context = bytes.fromhex(export["exporter_context"])
        value = labeled_expand(suite, v["exporter_secret"], b"sec", exporter_context, 32)
        assert value.hex() == export["exported_value"]

    # cryptography's own HPKE, from enc + skRm + info, lands on the same key and base nonce.
    pt = bytes.fromhex(VECTORS["encryptions"][0]["pt"])
    single_shot = v["enc"] + aead.encrypt(v["base_nonce"], pt, b"")
    python_hpke = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
    assert python_hpke.decrypt(single_shot, sk_r, info=v["info"]) == pt


# --- Interoperability with crypto/ -------------------------------------------------------


@pytest.mark.parametrize("purpose", PURPOSES)
def test_browser_envelopes_open_in_python(
    hpke_page: Page, live_server: LiveServer, purpose: str
) -> None:
    got = in_browser(
        hpke_page,
        """
        const envelopes = {};
        for (const [name, text] of Object.entries(arg.plaintexts)) {
          envelopes[name] = await hpke.seal(arg.purpose, text, arg.publicKey);
        }
        const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
        envelopes["all bytes"] = await hpke.seal(arg.purpose, allBytes, arg.publicKey);
        return envelopes;
        """,
        {
            "purpose": purpose,
            "plaintexts": PLAINTEXTS,
            "publicKey": live_server.line_public_key_b64,
        },
    )

    line_key = live_server.line_private_key
    expected = {name: text.encode() for name, text in PLAINTEXTS.items()} | {"all bytes": ALL_BYTES}
    for name, plaintext in expected.items():
        envelope = got[name]
        assert crypto.envelope_key_id(envelope) == crypto.key_id_for(line_key.public_key())
        assert crypto.open(purpose, envelope, line_key) == plaintext, name
        python_envelope = crypto.seal(purpose, plaintext, line_key.public_key())
        assert len(envelope) == len(python_envelope), name
    # One 256-byte block holds up to 252 bytes: 32 (enc) + 256 + 16 (tag) = 304 bytes.
    assert len(crypto.parse_envelope(got["empty"]).payload) == 304
    assert len(crypto.parse_envelope(got["252 bytes"]).payload) == 304
    assert len(crypto.parse_envelope(got["253 bytes"]).payload) == 304 + 256


@pytest.mark.parametrize("purpose", PURPOSES)
def test_python_envelopes_open_in_browser(
    hpke_page: Page, live_server: LiveServer, purpose: str
) -> None:
    line_key = live_server.line_private_key
    envelopes = {
        name: crypto.seal(purpose, text, line_key.public_key()) for name, text in PLAINTEXTS.items()
    }
    got = in_browser(
        hpke_page,
        """
        // A plain WebCrypto key, imported here without the module's help.
        const pkcs8 = hexToBytes("302e020100300506032b656e04220420" + arg.rawPrivateKey);
        const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, false,
                                                  ["deriveBits"]);
        const texts = {};
        for (const [name, envelope] of Object.entries(arg.envelopes)) {
          texts[name] = await hpke.openText(arg.purpose, envelope, key);
        }
        const bytes = await hpke.open(arg.purpose, arg.bytesEnvelope, key);
        return { texts, bytes: bytesToHex(bytes) };
        """,
        {
            "purpose": purpose,
            "envelopes": envelopes,
            "bytesEnvelope": crypto.seal(purpose, ALL_BYTES, line_key.public_key()),
            "rawPrivateKey": crypto.private_key_to_bytes(line_key).hex(),
        },
    )

    assert got["texts"] == PLAINTEXTS
    assert got["bytes"] == ALL_BYTES.hex()


# --- Case codes ---------------------------------------------------------------------------

TYPED_CODES = [
    "0123-4567-89AB-CDEF-GHJK",
    "oi23 4567 89ab cdef ghjk",  # lower case, O and I for 0 and 1, spaces
    "0L2345.6789_ABCDEFGHJK",  # L for 1, other separators, no dashes
    "\x1c0123-4567-89AB-CDEF-GHJK\u3000",  # whitespace to Python, though not to JS's \s
]
BAD_CODES = [
    "",
    "   ",
    "ABCD",
    "0123-4567-89AB-CDEF-GHJK-M",
    "0123-4567-89AB-CDEF-GHJU",
    "0123!4567-89AB-CDEF-GHJK",
    "0123-4567-89AB-CDEF-GHJÅ",
    "0123-4567-89AB-CDEF-GHJ😀",
    "0123\u200b4567-89AB-CDEF-GHJK",  # zero-width space
    "0123-4567-89AB-CDEF-GHJ\ufeff",  # BOM: whitespace to JS's \s, not to Python
    "0123\x004567-89AB-CDEF-GHJK",
]


def _python_normalised(typed: str) -> dict[str, str]:
    try:
        return {"code": crypto.normalise_case_code(typed)}
    except crypto.InvalidCaseCode as exc:
        return {"error": str(exc)}


def test_case_code_derivations_match_python(hpke_page: Page) -> None:
    typed = [*TYPED_CODES, *(crypto.generate_case_code() for _ in range(3))]
    got = in_browser(
        hpke_page,
        """
        const results = [];
        for (const code of arg) {
          const { privateKey, publicKeyB64url } = await hpke.reporterKeyFromCode(code);
          results.push({
            normalised: hpke.normaliseCaseCode(code),
            token: await hpke.lookupTokenFromCode(code),
            publicKey: publicKeyB64url,
            extractable: privateKey.extractable,
          });
        }
        return results;
        """,
        typed,
    )

    for code, result in zip(typed, got, strict=True):
        reporter_key = crypto.reporter_private_key(code)
        assert result["normalised"] == crypto.normalise_case_code(code)
        assert result["token"] == b64url_encode(crypto.lookup_token(code))
        assert result["publicKey"] == crypto.public_key_to_text(reporter_key.public_key())
        assert result["extractable"] is False


def test_case_code_normalisation_rejects_what_python_rejects(hpke_page: Page) -> None:
    inputs = [*TYPED_CODES, *BAD_CODES]
    got = in_browser(
        hpke_page,
        """
        return arg.map((typed) => {
          try {
            return { code: hpke.normaliseCaseCode(typed) };
          } catch (error) {
            return { error: error.message, errorCode: error.code };
          }
        });
        """,
        inputs,
    )

    for typed, result in zip(inputs, got, strict=True):
        error_code = result.pop("errorCode", None)
        assert result == _python_normalised(typed), repr(typed)
        assert error_code in (None, "invalid-case-code")
    assert sum("error" in result for result in got) == len(BAD_CODES)


def test_generated_case_codes_are_canonical(hpke_page: Page) -> None:
    codes = in_browser(hpke_page, "return Array.from({ length: 20 }, hpke.generateCaseCode);")

    assert len(set(codes)) == len(codes)
    for code in codes:
        assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", code)
        assert crypto.normalise_case_code(code) == code


def test_reporter_reads_a_reply_sealed_by_python(hpke_page: Page) -> None:
    code = crypto.generate_case_code()
    reply = crypto.seal(
        "reply", "Vi ringer deg i morgen.", crypto.reporter_private_key(code).public_key()
    )

    got = in_browser(
        hpke_page,
        """
        const { privateKey } = await hpke.reporterKeyFromCode(arg.code.toLowerCase());
        return await hpke.openText("reply", arg.reply, privateKey);
        """,
        {"code": code, "reply": reply},
    )

    assert got == "Vi ringer deg i morgen."


# --- Wrapped keys -------------------------------------------------------------------------


def test_unwrapped_key_opens_python_envelope(hpke_page: Page) -> None:
    # Given a key wrapped by the server under an NFC passphrase,
    # when the browser unwraps it with the same passphrase typed decomposed (NFD),
    # then the key opens an envelope sealed to it, and stays non-extractable.
    key = crypto.generate_keypair()
    passphrase = "Kåre på kafé, riktig hest"
    blob = crypto.wrap_private_key(key, passphrase, iterations=1000, allow_weak_for_tests=True)
    envelope = crypto.seal("narrative", "Det skjedde på øving.", key.public_key())

    got = in_browser(
        hpke_page,
        """
        const key = await hpke.unwrapPrivateKey(arg.blob, arg.passphrase);
        return {
          text: await hpke.openText("narrative", arg.envelope, key),
          extractable: key.extractable,
        };
        """,
        {
            "blob": blob,
            "passphrase": unicodedata.normalize("NFD", passphrase),
            "envelope": envelope,
        },
    )

    assert got == {"text": "Det skjedde på øving.", "extractable": False}


def test_unwrap_rejects_a_wrong_passphrase(hpke_page: Page) -> None:
    key = crypto.generate_keypair()
    blob = crypto.wrap_private_key(key, "right", iterations=1000, allow_weak_for_tests=True)

    error = rejection(hpke_page, "await hpke.unwrapPrivateKey(arg, 'wrong');", blob)

    assert error is not None
    assert error["code"] == "wrong-passphrase"
    assert error["message"] == str(crypto.WrongPassphrase())


def test_unwrap_rejects_a_malformed_blob(hpke_page: Page) -> None:
    key = crypto.generate_keypair()
    fields = json.loads(
        crypto.wrap_private_key(key, "right", iterations=1000, allow_weak_for_tests=True)
    )
    fields["salt"] = fields["salt"][:-2]

    error = rejection(hpke_page, "await hpke.unwrapPrivateKey(arg, 'right');", json.dumps(fields))

    assert error is not None
    assert error["code"] == "key-format"
    with pytest.raises(crypto.KeyFormatError) as python_error:
        crypto.unwrap_private_key(json.dumps(fields), "right")
    assert error["message"] == str(python_error.value)


# --- Tampering and misuse -----------------------------------------------------------------


def _flip_payload_char(envelope: str) -> str:
    """Change one base64url character well inside the payload (not the last, which has
    padding bits, so the result stays canonical and only authentication can catch it)."""
    version, key_id, payload = envelope.split(".")
    i = len(payload) // 2
    flipped = "B" if payload[i] == "A" else "A"
    return f"{version}.{key_id}.{payload[:i]}{flipped}{payload[i + 1 :]}"


def test_tampered_envelope_is_rejected(hpke_page: Page, live_server: LiveServer) -> None:
    line_key = live_server.line_private_key
    envelope = in_browser(
        hpke_page,
        "return await hpke.seal('message', 'Ingen skal vite det.', arg);",
        live_server.line_public_key_b64,
    )
    tampered = _flip_payload_char(envelope)

    error = rejection(
        hpke_page,
        """
        const pkcs8 = hexToBytes("302e020100300506032b656e04220420" + arg.rawPrivateKey);
        const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, false,
                                                  ["deriveBits"]);
        await hpke.open("message", arg.tampered, key);
        """,
        {"tampered": tampered, "rawPrivateKey": crypto.private_key_to_bytes(line_key).hex()},
    )

    assert error is not None
    assert error["code"] == "decryption-failed"
    assert error["message"] == str(crypto.DecryptionFailed())
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open("message", tampered, line_key)


def test_envelope_for_another_purpose_is_rejected(hpke_page: Page) -> None:
    error = rejection(
        hpke_page,
        """
        const pair = await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
        const publicKey = b64urlEncode(await hpke.publicKeyBytesOf(pair.privateKey));
        const envelope = await hpke.seal("narrative", "hei", publicKey);
        await hpke.open("message", envelope, pair.privateKey);
        """,
    )

    assert error is not None
    assert error["code"] == "decryption-failed"


def test_envelope_for_another_key_is_rejected(hpke_page: Page, live_server: LiveServer) -> None:
    error = rejection(
        hpke_page,
        """
        const envelope = await hpke.seal("contact", "+47 000 00 000", arg);
        const { privateKey } = await hpke.reporterKeyFromCode("0123-4567-89AB-CDEF-GHJK");
        await hpke.open("contact", envelope, privateKey);
        """,
        live_server.line_public_key_b64,
    )

    assert error is not None
    assert error["code"] == "unknown-key-id"
    assert crypto.key_id_for(live_server.line_private_key.public_key()) in error["message"]


MALFORMED_ENVELOPES = [
    "nonsense",
    "v2.0123456789abcdef.AAAA",
    "x1.0123456789abcdef.AAAA",
    "v1.0123456789ABCDEF.AAAA",
    "v1.0123456789abcdef.AAA=",
    "v1.0123456789abcdef.AAAA",
    "v1.0123456789abcdef." + "A" * 420,
]


def test_malformed_envelopes_are_rejected_like_python(hpke_page: Page) -> None:
    got = in_browser(
        hpke_page,
        """
        const pair = await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
        const errors = [];
        for (const envelope of arg) {
          try {
            await hpke.open("narrative", envelope, pair.privateKey);
            errors.push(null);
          } catch (error) {
            errors.push({ code: error.code, message: error.message });
          }
        }
        return errors;
        """,
        MALFORMED_ENVELOPES,
    )

    for envelope, error in zip(MALFORMED_ENVELOPES, got, strict=True):
        with pytest.raises(crypto.MalformedEnvelope) as python_error:
            crypto.parse_envelope(envelope)
        assert error == {"code": "malformed-envelope", "message": str(python_error.value)}


def test_unknown_purpose_is_refused(hpke_page: Page, live_server: LiveServer) -> None:
    error = rejection(
        hpke_page, "await hpke.seal('gossip', 'x', arg);", live_server.line_public_key_b64
    )

    assert error is not None
    assert error["code"] == "unknown-purpose"


def test_module_reports_support_on_a_loopback_origin(hpke_page: Page) -> None:
    assert in_browser(hpke_page, "return await hpke.isSupported();") is True
