"""Staff key custody in the browser module (hpke.js) in Chromium, against crypto/ byte for byte.

The known-answer vectors of tests/custody_vectors.json (made by tests/test_crypto_custody.py)
are reproduced here: the password split, wrapped staff keys, fingerprints, grants and v2
envelopes, with fixed nonces and ephemeral secrets where a seal needs them. Then Python seals
and the browser opens, and the reverse; every check refuses in the browser what Python
refuses, with the same code and message; and the keys the browser keeps are non-extractable.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import hpke as python_hpke
from playwright.sync_api import Page

import crypto
from crypto import signatures
from crypto.encoding import b64url_encode

if TYPE_CHECKING:
    pass

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "custody_vectors.json").read_text(encoding="utf-8")
)
INSTANCE = "0123456789abcdef0123456789abcdef"
FAST = {"iterations": 1000, "allow_weak_for_tests": True}
CONTEXT = {"line_slug": "kulturlinja", "case_reference": "K7QF-9M2X"}
PAIRS = [
    ("narrative", "reporter-to-line"),
    ("message", "reporter-to-line"),
    ("narrative", "reporter-to-reporter"),
    ("message", "reporter-to-reporter"),
    ("contact", "reporter-to-line"),
    ("reply", "line-to-reporter"),
    ("reply", "line-to-line"),
    ("attachment", "reporter-to-line"),
    ("attachment", "line-to-reporter"),
    ("attachment", "line-to-line"),
]

_PRELUDE = """
const hpke = await import('/static/js/hpke.js');
const { bytesToHex, hexToBytes, b64urlEncode, b64urlDecode } =
  await import('/static/js/crypto/encoding.js');
const fast = { iterations: 1000, allowWeakForTests: true };
const importWrapKey = (bytes) =>
  crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
const publicTextOf = async (key) => b64urlEncode(await hpke.publicKeyBytesOf(key));
const contextOf = (c) => hpke.envelopeContext(c.line_slug, c.case_reference, c.direction);
"""


def in_browser(page: Page, body: str, arg: Any = None) -> Any:
    """Run `body` as an async function in the page, with `hpke`, helpers and `arg`."""
    return page.evaluate(f"async (arg) => {{ {_PRELUDE}\n{body}\n}}", arg)


def per_vector(page: Page, name: str, body: str) -> list[tuple[dict[str, Any], Any]]:
    """Run `body` once per vector of `name` (as `v`); each vector with what `body` returned."""
    wrapped = f"""
    const results = [];
    for (const v of arg) {{
      results.push(await (async () => {{ {body}\n }})());
    }}
    return results;
    """
    return list(zip(VECTORS[name], in_browser(page, wrapped, VECTORS[name]), strict=True))


def assert_reproduces(
    results: list[tuple[dict[str, Any], Any]], fields: dict[str, str], **fixed: Any
) -> None:
    """Each result holds its vector's `fields` (result name: vector name) and the `fixed` values."""
    for vector, result in results:
        assert result == {name: vector[key] for name, key in fields.items()} | fixed


def rejections(page: Page, body: str, cases: list[Any]) -> list[dict[str, Any] | None]:
    """Run `body` once per case (as `c`), each expected to throw; its error, or None."""
    wrapped = f"""
    const results = [];
    for (const c of arg) {{
      try {{ {body}\n results.push(null); }} catch (error) {{
        results.push({{ name: error.name, code: error.code ?? null, message: error.message }});
      }}
    }}
    return results;
    """
    return in_browser(page, wrapped, cases)


def python_error(attempt: Any) -> str:
    """The message of what Python raises for the same input."""
    with pytest.raises((crypto.CryptoError, ValueError)) as excinfo:
        attempt()
    return str(excinfo.value)


# The key a recovery passphrase gives: a rotation in the browser seals to its public half.
RECOVERY_KEY = crypto.recovery_private_key("0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-WXYZ")


def raw_hex(private_key: Any) -> str:
    return crypto.private_key_to_bytes(private_key).hex()


def context(direction: str) -> crypto.EnvelopeContext:
    return crypto.EnvelopeContext(**CONTEXT, direction=direction)


@pytest.fixture(scope="module")
def custody_page(module_page: Page) -> Page:
    return module_page


# --- The known-answer vectors -------------------------------------------------------------


def test_browser_derives_the_vector_credentials(custody_page: Page) -> None:
    # The wrap key cannot leave the browser, so it is compared through what it makes: the
    # vector's staff key wrapped under it with the vector's nonce.
    fast_vectors = [v for v in VECTORS["credentials"] if v["iterations"] < 600_000]
    wraps = {v["credentials"]: v for v in VECTORS["staff_keys"]}
    got = in_browser(
        custody_page,
        """
        const results = [];
        for (const [index, v] of arg.credentials.entries()) {
          const { authKey, wrapKey } = await hpke.deriveStaffCredentials(
            v.password, v.instance_id, v.username,
            { iterations: v.iterations, allowWeakForTests: true });
          const wrap = arg.wraps[index];
          results.push({
            username: hpke.normaliseUsername(v.username),
            salt: bytesToHex(await hpke.staffSalt(v.instance_id, v.username)),
            authKey,
            blob: wrap && await hpke.wrapStaffPrivateKey(
              hexToBytes(wrap.private_key), wrapKey, wrap.staff_id,
              { nonceForTests: hexToBytes(wrap.nonce) }),
          });
        }
        return results;
        """,
        {"credentials": fast_vectors, "wraps": [wraps.get(i) for i in range(len(fast_vectors))]},
    )

    assert len(got) == len(fast_vectors) >= 2
    for index, (vector, result) in enumerate(zip(fast_vectors, got, strict=True)):
        assert result["username"] == vector["username_normalised"]
        assert result["salt"] == vector["salt"]
        assert result["authKey"] == vector["auth_key_text"]
        if index in wraps:
            assert result["blob"] == wraps[index]["blob"]


def test_browser_derives_the_production_cost_vector_once(custody_page: Page) -> None:
    (vector,) = (v for v in VECTORS["credentials"] if v["iterations"] == 600_000)
    staff_key = crypto.generate_keypair()
    nonce = bytes(range(12))
    expected_blob = crypto.wrap_staff_private_key(
        staff_key, bytes.fromhex(vector["wrap_key"]), 1, nonce_for_tests=nonce
    )

    got = in_browser(
        custody_page,
        """
        const started = performance.now();
        const { authKey, wrapKey } = await hpke.deriveStaffCredentials(
          arg.v.password, arg.v.instance_id, arg.v.username);
        const milliseconds = performance.now() - started;
        const blob = await hpke.wrapStaffPrivateKey(
          hexToBytes(arg.key), wrapKey, 1, { nonceForTests: hexToBytes(arg.nonce) });
        return { authKey, blob, milliseconds };
        """,
        {"v": vector, "key": raw_hex(staff_key), "nonce": nonce.hex()},
    )

    assert got["authKey"] == vector["auth_key_text"]
    assert got["blob"] == expected_blob
    print(
        f"\nChromium: PBKDF2-SHA256 at {crypto.STAFF_KDF_ITERATIONS} iterations and the HKDF"
        f" split took {got['milliseconds']:.0f} ms"
    )


def test_browser_wraps_and_unwraps_the_vector_staff_keys(custody_page: Page) -> None:
    wrapped = per_vector(
        custody_page,
        "staff_keys",
        """
        const wrapKey = await importWrapKey(hexToBytes(v.wrap_key));
        const key = await hpke.unwrapStaffPrivateKey(v.blob, wrapKey, v.staff_id);
        const publicKey = await publicTextOf(key);
        return {
          blob: await hpke.wrapStaffPrivateKey(hexToBytes(v.private_key), wrapKey, v.staff_id,
                                               { nonceForTests: hexToBytes(v.nonce) }),
          publicKey,
          keyId: await hpke.keyIdFor(b64urlDecode(publicKey)),
          fingerprint: await hpke.fingerprintOf(publicKey),
          extractable: key.extractable,
        };
        """,
    )

    assert_reproduces(
        wrapped,
        {
            "blob": "blob",
            "publicKey": "public_key",
            "keyId": "key_id",
            "fingerprint": "fingerprint",
        },
        extractable=False,
    )


def test_browser_fingerprints_match_the_vectors(custody_page: Page) -> None:
    got = in_browser(
        custody_page,
        "return Promise.all(arg.map((v) => hpke.fingerprintOf(v.public_key)));",
        VECTORS["fingerprints"],
    )

    assert got == [v["fingerprint"] for v in VECTORS["fingerprints"]]


def test_browser_seals_and_opens_the_vector_grants(custody_page: Page) -> None:
    grants = per_vector(
        custody_page,
        "grants",
        """
        const staffKey = await hpke.importPrivateKey(hexToBytes(v.staff_private_key));
        const lineKey = await hpke.openGrant(v.grant, v.line_key_id, v.staff_id, staffKey);
        return {
          grant: await hpke.sealGrant(
            hexToBytes(v.line_private_key), v.staff_id, v.staff_public_key,
            { ephemeralSecretForTests: hexToBytes(v.ephemeral_secret) }),
          info: bytesToHex(hpke.grantInfo(v.line_key_id, v.staff_id)),
          lineKeyId: await hpke.keyIdFor(await hpke.publicKeyBytesOf(lineKey)),
          extractable: lineKey.extractable,
        };
        """,
    )

    assert_reproduces(
        grants, {"grant": "grant", "info": "info", "lineKeyId": "line_key_id"}, extractable=False
    )


def test_browser_seals_and_opens_the_vector_v2_envelopes(custody_page: Page) -> None:
    envelopes = per_vector(
        custody_page,
        "envelopes_v2",
        """
        const context = contextOf(v.context);
        const key = await hpke.importPrivateKey(hexToBytes(v.recipient_private_key));
        return {
          envelope: await hpke.seal(v.purpose, v.plaintext, v.recipient_public_key, context,
                                    { ephemeralSecretForTests: hexToBytes(v.ephemeral_secret) }),
          info: bytesToHex(hpke.infoFor(v.purpose, context)),
          plaintext: await hpke.openText(v.purpose, v.envelope, key, context),
        };
        """,
    )

    assert_reproduces(envelopes, {"envelope": "envelope", "info": "info", "plaintext": "plaintext"})


# --- Python seals, the browser opens, and the reverse ---------------------------------------


def test_staff_keys_cross_between_python_and_the_browser(custody_page: Page) -> None:
    # Given a staff key wrapped by Python under a password's wrap key,
    # when the browser derives the same password, unwraps the key, re-wraps it for a new
    # password and enrols a new key of its own,
    # then Python unwraps both with its own derivations, and the fingerprints agree.
    staff_key = crypto.generate_keypair()
    old = crypto.derive_staff_credentials("gammelt passord", INSTANCE, "kari", **FAST)
    new = crypto.derive_staff_credentials("nytt passord på æøå", INSTANCE, "kari", **FAST)
    blob = crypto.wrap_staff_private_key(staff_key, old.wrap_key, 42)

    got = in_browser(
        custody_page,
        """
        const old = await hpke.deriveStaffCredentials(
          'gammelt passord', arg.instance, 'Kari', fast);
        const fresh = await hpke.deriveStaffCredentials(
          'nytt passord på æøå'.normalize('NFD'), arg.instance, 'kari', fast);
        const key = await hpke.unwrapStaffPrivateKey(arg.blob, old.wrapKey, 42);
        const enrolled = await hpke.createStaffKey(fresh.wrapKey, 43);
        return {
          oldAuthKey: old.authKey,
          newAuthKey: fresh.authKey,
          publicKey: await publicTextOf(key),
          rewrapped: await hpke.rewrapStaffPrivateKey(arg.blob, old.wrapKey, fresh.wrapKey, 42),
          enrolled: { ...enrolled, privateKey: await publicTextOf(enrolled.privateKey) },
        };
        """,
        {"instance": INSTANCE, "blob": blob},
    )

    assert got["oldAuthKey"] == old.auth_key_text
    assert got["newAuthKey"] == new.auth_key_text
    assert got["publicKey"] == crypto.public_key_to_text(staff_key.public_key())
    rewrapped = crypto.unwrap_staff_private_key(got["rewrapped"], new.wrap_key, 42)
    assert raw_hex(rewrapped) == raw_hex(staff_key)
    enrolled = got["enrolled"]
    enrolled_key = crypto.unwrap_staff_private_key(enrolled["wrappedPrivateKey"], new.wrap_key, 43)
    public_key = enrolled_key.public_key()
    assert enrolled["publicKey"] == enrolled["privateKey"] == crypto.public_key_to_text(public_key)
    assert enrolled["keyId"] == crypto.key_id_for(public_key)
    assert enrolled["fingerprint"] == crypto.fingerprint(public_key)


def test_grants_cross_between_python_and_the_browser(custody_page: Page) -> None:
    # Given a line key granted by Python to lawyer A,
    # when A's browser opens the grant, reads a v2 envelope with it, and grants colleague B,
    # and then makes a new line key for both in a rotation,
    # then Python opens B's grant to the same line key, and both rotation grants.
    line_key = crypto.generate_keypair()
    line_key_id = crypto.key_id_for(line_key.public_key())
    key_a, key_b = crypto.generate_keypair(), crypto.generate_keypair()
    grant_a = crypto.seal_grant(line_key, 5, key_a.public_key())
    envelope = crypto.seal(
        "narrative", "Før tildelingen", line_key.public_key(), context("reporter-to-line")
    )

    got = in_browser(
        custody_page,
        """
        const keyA = await hpke.importPrivateKey(hexToBytes(arg.keyA));
        const lineKey = await hpke.openGrant(arg.grantA, arg.lineKeyId, 5, keyA);
        const context = contextOf(arg.context);
        const rotation = await hpke.createLineKey([
          { staffId: 5, publicKey: arg.publicA }, { staffId: 6, publicKey: arg.publicB }],
          arg.recoveryPublic);
        return {
          text: await hpke.openText('narrative', arg.envelope, lineKey, context),
          grantB: await hpke.grantToColleague(arg.grantA, arg.lineKeyId, 5, keyA, 6, arg.publicB),
          rotation: { ...rotation, privateKey: await publicTextOf(rotation.privateKey) },
        };
        """,
        {
            "keyA": raw_hex(key_a),
            "grantA": grant_a,
            "lineKeyId": line_key_id,
            "publicA": crypto.public_key_to_text(key_a.public_key()),
            "publicB": crypto.public_key_to_text(key_b.public_key()),
            "envelope": envelope,
            "context": CONTEXT | {"direction": "reporter-to-line"},
            "recoveryPublic": crypto.public_key_to_text(RECOVERY_KEY.public_key()),
        },
    )

    assert got["text"] == "Før tildelingen"
    opened_by_b = crypto.open_grant(got["grantB"], line_key_id, 6, key_b)
    assert raw_hex(opened_by_b) == raw_hex(line_key)
    rotation = got["rotation"]
    assert rotation["privateKey"] == rotation["publicKey"]
    assert [g["staffId"] for g in rotation["grants"]] == [5, 6]
    new_a = crypto.open_grant(rotation["grants"][0]["grant"], rotation["keyId"], 5, key_a)
    new_b = crypto.open_grant(rotation["grants"][1]["grant"], rotation["keyId"], 6, key_b)
    assert raw_hex(new_a) == raw_hex(new_b) != raw_hex(line_key)
    assert crypto.public_key_to_text(new_a.public_key()) == rotation["publicKey"]
    # … and to the recovery key, which the recovery passphrase gives back
    recovery_grant = rotation["recoveryGrant"]
    recovered = crypto.open_recovery_grant(recovery_grant, rotation["keyId"], RECOVERY_KEY)
    assert raw_hex(recovered) == raw_hex(new_a)
    with pytest.raises(crypto.CryptoError):  # not a lawyer's grant: it opens only as recovery
        crypto.open_grant(recovery_grant, rotation["keyId"], 5, RECOVERY_KEY)


@pytest.mark.parametrize(("purpose", "direction"), PAIRS)
def test_v2_envelopes_cross_between_python_and_the_browser(
    custody_page: Page, purpose: str, direction: str
) -> None:
    recipient = crypto.generate_keypair()
    text = "Skal ikke kunne flyttes – 🎭"
    python_sealed = crypto.seal(purpose, text, recipient.public_key(), context(direction))

    got = in_browser(
        custody_page,
        """
        const key = await hpke.importPrivateKey(hexToBytes(arg.key));
        const context = contextOf(arg.context);
        return {
          opened: await hpke.openText(arg.purpose, arg.sealed, key, context),
          sealed: await hpke.seal(arg.purpose, arg.text, arg.publicKey, context),
        };
        """,
        {
            "key": raw_hex(recipient),
            "publicKey": crypto.public_key_to_text(recipient.public_key()),
            "purpose": purpose,
            "text": text,
            "sealed": python_sealed,
            "context": CONTEXT | {"direction": direction},
        },
    )

    assert got["opened"] == text
    assert got["sealed"].startswith("v2.")
    assert crypto.open(purpose, got["sealed"], recipient, context(direction)) == text.encode()


def test_v1_envelopes_open_in_the_browser_with_or_without_a_context(custody_page: Page) -> None:
    recipient = crypto.generate_keypair()
    sealed = crypto.seal("reply", "Gammel konvolutt", recipient.public_key())

    got = in_browser(
        custody_page,
        """
        const key = await hpke.importPrivateKey(hexToBytes(arg.key));
        const context = hpke.envelopeContext('kulturlinja', 'K7QF-9M2X', 'line-to-line');
        return [await hpke.openText('reply', arg.sealed, key),
                await hpke.openText('reply', arg.sealed, key, context),
                (await hpke.seal('reply', 'x', arg.publicKey)).slice(0, 3)];
        """,
        {
            "key": raw_hex(recipient),
            "sealed": sealed,
            "publicKey": crypto.public_key_to_text(recipient.public_key()),
        },
    )

    assert got == ["Gammel konvolutt", "Gammel konvolutt", "v1."]


# --- What the browser keeps -----------------------------------------------------------------


def test_keys_the_browser_keeps_are_non_extractable(custody_page: Page) -> None:
    line_key, staff_key = crypto.generate_keypair(), crypto.generate_keypair()
    credentials = crypto.derive_staff_credentials("passord", INSTANCE, "kari", **FAST)
    blob = crypto.wrap_staff_private_key(staff_key, credentials.wrap_key, 9)
    grant = crypto.seal_grant(line_key, 9, staff_key.public_key())

    got = in_browser(
        custody_page,
        """
        const { wrapKey } = await hpke.deriveStaffCredentials(
          'passord', arg.instance, 'kari', fast);
        const staffKey = await hpke.unwrapStaffPrivateKey(arg.blob, wrapKey, 9);
        const lineKey = await hpke.openGrant(arg.grant, arg.lineKeyId, 9, staffKey);
        const enrolled = await hpke.createStaffKey(wrapKey, 10);
        const rotated = await hpke.createLineKey([], arg.recoveryPublic);
        const kept = { wrapKey, staffKey, lineKey, enrolled: enrolled.privateKey,
                       rotated: rotated.privateKey };
        const results = {};
        for (const [name, key] of Object.entries(kept)) {
          let exported = false;
          for (const format of ['raw', 'pkcs8', 'jwk']) {
            try { await crypto.subtle.exportKey(format, key); exported = true; } catch {}
          }
          results[name] = { extractable: key.extractable, exported, usages: key.usages.sort() };
        }
        return results;
        """,
        {
            "instance": INSTANCE,
            "blob": blob,
            "grant": grant,
            "lineKeyId": crypto.key_id_for(line_key.public_key()),
            "recoveryPublic": crypto.public_key_to_text(RECOVERY_KEY.public_key()),
        },
    )

    assert got["wrapKey"] == {
        "extractable": False,
        "exported": False,
        "usages": ["decrypt", "encrypt"],
    }
    for name in ("staffKey", "lineKey", "enrolled", "rotated"):
        assert got[name] == {"extractable": False, "exported": False, "usages": ["deriveBits"]}, (
            name
        )


# --- Every check refuses what Python refuses ------------------------------------------------


def test_the_auth_key_cannot_unwrap_the_staff_key_in_the_browser(custody_page: Page) -> None:
    credentials = crypto.derive_staff_credentials("passord", INSTANCE, "kari", **FAST)
    blob = crypto.wrap_staff_private_key(crypto.generate_keypair(), credentials.wrap_key, 9)

    (error,) = rejections(
        custody_page,
        """
        const { authKey } = await hpke.deriveStaffCredentials('passord', c.instance, 'kari', fast);
        await hpke.unwrapStaffPrivateKey(c.blob, await importWrapKey(b64urlDecode(authKey)), 9);
        """,
        [{"instance": INSTANCE, "blob": blob}],
    )

    assert error is not None
    assert error["code"] == "wrong-passphrase"
    assert error["message"] == python_error(
        lambda: crypto.unwrap_staff_private_key(blob, credentials.auth_key, 9)
    )


def test_a_staff_key_blob_for_another_staff_id_is_refused_in_the_browser(
    custody_page: Page,
) -> None:
    vector = VECTORS["staff_keys"][0]

    (error,) = rejections(
        custody_page,
        """
        const wrapKey = await importWrapKey(hexToBytes(c.wrap_key));
        await hpke.unwrapStaffPrivateKey(c.blob, wrapKey, c.staff_id + 1);
        """,
        [vector],
    )

    assert error is not None
    assert error["code"] == "wrong-passphrase"


def test_malformed_staff_key_blobs_are_refused_like_python(custody_page: Page) -> None:
    from tests.test_crypto_custody import MALFORMED_STAFF_BLOBS, STAFF

    blobs = [blob for blob, _ in MALFORMED_STAFF_BLOBS.values()]
    errors = rejections(
        custody_page,
        """
        const wrapKey = await importWrapKey(hexToBytes(c.wrapKey));
        await hpke.unwrapStaffPrivateKey(c.blob, wrapKey, 7);
        """,
        [{"blob": blob, "wrapKey": STAFF.wrap_key.hex()} for blob in blobs],
    )

    for blob, error in zip(blobs, errors, strict=True):
        expected = python_error(
            lambda b=blob: crypto.unwrap_staff_private_key(b, STAFF.wrap_key, 7)
        )
        assert error == {"name": "CryptoError", "code": "key-format", "message": expected}, blob


def test_grants_are_refused_in_the_browser_as_in_python(custody_page: Page) -> None:
    line_key, staff_key, other_key = (crypto.generate_keypair() for _ in range(3))
    line_key_id = crypto.key_id_for(line_key.public_key())
    other_line_key_id = crypto.key_id_for(other_key.public_key())
    grant = crypto.seal_grant(line_key, 7, staff_key.public_key())
    version, key_id, payload = grant.split(".")
    i = len(payload) // 2
    tampered = (
        f"{version}.{key_id}.{payload[:i]}{'B' if payload[i] == 'A' else 'A'}{payload[i + 1 :]}"
    )
    forged_payload = python_hpke.Suite(
        python_hpke.KEM.X25519, python_hpke.KDF.HKDF_SHA256, python_hpke.AEAD.AES_128_GCM
    ).encrypt(
        crypto.private_key_to_bytes(other_key),
        staff_key.public_key(),
        info=crypto.grants.grant_info(line_key_id, 7),
    )
    forged = f"g1.{key_id}.{b64url_encode(forged_payload)}"
    cases = {
        "another staff id": (grant, line_key_id, 8, staff_key, "decryption-failed"),
        "another line key id": (grant, other_line_key_id, 7, staff_key, "decryption-failed"),
        "another lawyer's key": (grant, line_key_id, 7, other_key, "unknown-key-id"),
        "tampered": (tampered, line_key_id, 7, staff_key, "decryption-failed"),
        "forged": (forged, line_key_id, 7, staff_key, "decryption-failed"),
        "short": (grant[:-1], line_key_id, 7, staff_key, "key-format"),
        "other version": ("g2" + grant[2:], line_key_id, 7, staff_key, "key-format"),
        "padded": (grant[:-1] + "=", line_key_id, 7, staff_key, "key-format"),
        "upper-case key id": (
            f"g1.0123456789ABCDEF{grant[19:]}",
            line_key_id,
            7,
            staff_key,
            "key-format",
        ),
    }

    errors = rejections(
        custody_page,
        """
        const key = await hpke.importPrivateKey(hexToBytes(c.key));
        await hpke.openGrant(c.grant, c.lineKeyId, c.staffId, key);
        """,
        [
            {"grant": g, "lineKeyId": lk, "staffId": s, "key": raw_hex(k)}
            for g, lk, s, k, _ in cases.values()
        ],
    )

    for (name, (g, lk, s, k, code)), error in zip(cases.items(), errors, strict=True):
        expected = python_error(lambda g=g, lk=lk, s=s, k=k: crypto.open_grant(g, lk, s, k))
        assert error == {"name": "CryptoError", "code": code, "message": expected}, name
    assert "does not hold line key" in errors[list(cases).index("forged")]["message"]


def test_v2_envelopes_are_refused_in_the_browser_as_in_python(custody_page: Page) -> None:
    recipient = crypto.generate_keypair()
    sealed = crypto.seal("reply", "Svar", recipient.public_key(), context("line-to-reporter"))
    head, _, payload = sealed.rpartition(".")
    i = len(payload) // 2
    tampered = f"{head}.{payload[:i]}{'B' if payload[i] == 'A' else 'A'}{payload[i + 1 :]}"
    right = CONTEXT | {"direction": "line-to-reporter"}
    cases = {
        "another line": ("reply", sealed, right | {"line_slug": "annen-linje"}),
        "another case": ("reply", sealed, right | {"case_reference": "K7QF-9M2Y"}),
        "another direction": ("reply", sealed, right | {"direction": "line-to-line"}),
        "another purpose": ("message", sealed, right | {"direction": "reporter-to-line"}),
        "no context": ("reply", sealed, None),
        "tampered": ("reply", tampered, right),
        "relabelled v1": ("reply", "v1" + sealed[2:], right),
    }

    errors = rejections(
        custody_page,
        """
        const key = await hpke.importPrivateKey(hexToBytes(c.key));
        const context = c.context && contextOf(c.context);
        await hpke.open(c.purpose, c.envelope, key, context);
        """,
        [
            {"purpose": p, "envelope": e, "context": c, "key": raw_hex(recipient)}
            for p, e, c in cases.values()
        ],
    )

    for (name, (p, e, c)), error in zip(cases.items(), errors, strict=True):
        ctx = c and crypto.EnvelopeContext(**c)
        expected = python_error(lambda p=p, e=e, ctx=ctx: crypto.open(p, e, recipient, ctx))
        assert error == {"name": "CryptoError", "code": "decryption-failed", "message": expected}, (
            name
        )


INVALID_CONTEXTS = [
    ("narrative", {"line_slug": "Kulturlinja"}),
    ("narrative", {"line_slug": "x" * 41}),
    ("narrative", {"line_slug": "linje\n"}),
    ("narrative", {"case_reference": "k7qf-9m2x"}),
    ("narrative", {"case_reference": "K7QF-9M2U"}),
    ("narrative", {"direction": "sideways"}),
    ("narrative", {"direction": "line-to-line"}),
    ("contact", {"direction": "line-to-reporter"}),
    ("reply", {"direction": "reporter-to-line"}),
]


def test_invalid_contexts_are_refused_in_the_browser_as_in_python(custody_page: Page) -> None:
    contexts = [CONTEXT | {"direction": "reporter-to-line"} | c for _, c in INVALID_CONTEXTS]
    public_key = crypto.public_key_to_text(crypto.generate_keypair().public_key())

    errors = rejections(
        custody_page,
        "await hpke.seal(c.purpose, 'x', c.publicKey, contextOf(c.context));",
        [
            {"purpose": purpose, "context": ctx, "publicKey": public_key}
            for (purpose, _), ctx in zip(INVALID_CONTEXTS, contexts, strict=True)
        ],
    )

    for (purpose, ctx), error in zip(
        [(p, c) for (p, _), c in zip(INVALID_CONTEXTS, contexts, strict=True)], errors, strict=True
    ):
        expected = python_error(
            lambda p=purpose, c=ctx: crypto.seal(
                p, "x", crypto.public_key_from_text(public_key), crypto.EnvelopeContext(**c)
            )
        )
        assert error == {"name": "CryptoError", "code": "invalid-context", "message": expected}, ctx


TYPED_USERNAMES = [
    "kari",
    " Kari.Nordmann ",
    "\x1ckari\x85",  # whitespace to Python's strip(), not to JavaScript's trim()
    "\u212aari",  # the Kelvin sign lower-cases to k on both sides
    "\ufeffkari",  # whitespace to trim(), not to strip()
    "åse",
    "kari nordmann",
    "",
    "x" * 65,
]


def test_usernames_normalise_or_fail_as_in_python(custody_page: Page) -> None:
    got = in_browser(
        custody_page,
        """
        return arg.map((typed) => {
          try { return { name: hpke.normaliseUsername(typed) }; }
          catch (error) { return { error: error.message }; }
        });
        """,
        TYPED_USERNAMES,
    )

    for typed, result in zip(TYPED_USERNAMES, got, strict=True):
        try:
            expected = {"name": crypto.normalise_username(typed)}
        except ValueError as exc:
            expected = {"error": str(exc)}
        assert result == expected, repr(typed)
    assert sum("error" in result for result in got) == 5


def test_weak_iterations_and_bad_input_are_refused_in_the_browser_as_in_python(
    custody_page: Page,
) -> None:
    cases = [
        ("correct horse", INSTANCE, "kari", {"iterations": 1000}),
        ("correct horse", INSTANCE, "kari", {"iterations": 10_000_001}),
        ("", INSTANCE, "kari", {"iterations": 1000, "allow_weak_for_tests": True}),
        (
            "correct horse",
            INSTANCE.upper(),
            "kari",
            {"iterations": 1000, "allow_weak_for_tests": True},
        ),
    ]

    errors = rejections(
        custody_page,
        """
        await hpke.deriveStaffCredentials(c.password, c.instance, c.username,
          { iterations: c.options.iterations,
            allowWeakForTests: Boolean(c.options.allow_weak_for_tests) });
        """,
        [{"password": p, "instance": i, "username": u, "options": o} for p, i, u, o in cases],
    )

    for (p, i, u, o), error in zip(cases, errors, strict=True):
        expected = python_error(
            lambda p=p, i=i, u=u, o=o: crypto.derive_staff_credentials(p, i, u, **o)
        )
        assert error is not None
        assert error["message"] == expected, (p, o)


def test_staff_ids_that_are_not_positive_whole_numbers_are_refused(custody_page: Page) -> None:
    staff_ids = [0, -1, 1.5, "7", None]

    errors = rejections(
        custody_page,
        "hpke.grantInfo('0123456789abcdef', c);",
        staff_ids,
    )

    for staff_id, error in zip(staff_ids, errors, strict=True):
        expected = python_error(lambda s=staff_id: crypto.grants.grant_info("0123456789abcdef", s))
        assert error == {"name": "RangeError", "code": None, "message": expected}, staff_id


def test_the_nfc_password_is_what_counts_in_the_browser(custody_page: Page) -> None:
    password = "Anwältin på kafé"
    expected = crypto.derive_staff_credentials(password, INSTANCE, "kari", **FAST).auth_key_text

    got = in_browser(
        custody_page,
        """
        const results = [];
        for (const form of ['NFC', 'NFD']) {
          const { authKey } = await hpke.deriveStaffCredentials(
            arg.password.normalize(form), arg.instance, 'kari', fast);
          results.push(authKey);
        }
        return results;
        """,
        {"password": unicodedata.normalize("NFC", password), "instance": INSTANCE},
    )

    assert got == [expected, expected]


def test_reply_signatures_of_the_browser_verify_on_the_server(module_page: Page) -> None:
    own = crypto.generate_keypair()
    expected = signatures.signing_public_key_text(signatures.signing_key_for(own))

    got = module_page.evaluate(
        """async (arg) => {
        const { signingKeyFromOwnRaw, signReply } = await import(
          "/static/js/crypto/signatures.js");
        const raw = Uint8Array.from(arg.raw.match(/../g).map((h) => parseInt(h, 16)));
        const { signingKey, signingPublicKey } = await signingKeyFromOwnRaw(raw);
        return {
          signingPublicKey,
          extractable: signingKey.extractable,
          signature: await signReply(signingKey, "main", "K7QF-9M2X", "v2.0123456789abcdef.AA"),
        };
        }""",
        {"raw": raw_hex(own)},
    )

    assert got["signingPublicKey"] == expected
    assert got["extractable"] is False
    assert signatures.reply_signature_valid(
        expected, got["signature"], "main", "K7QF-9M2X", "v2.0123456789abcdef.AA"
    )
    assert not signatures.reply_signature_valid(
        expected, got["signature"], "main", "K7QF-9M2Y", "v2.0123456789abcdef.AA"
    )
