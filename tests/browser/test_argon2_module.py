"""Argon2id and BLAKE2b in the browser (advisory/static/js/crypto/argon2.js and blake2b.js),
against RFC 9106, RFC 7693, argon2-cffi and hashlib, in Chromium.

Each test imports the modules into the live landing page, under the site's normal CSP, as
pages will: `await import('/static/js/crypto/argon2.js')`. Bytes cross the boundary as hex.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest
from argon2.low_level import Type, hash_secret_raw
from playwright.sync_api import Page

from advisory import passwords
from tests.conftest import PRODUCTION_ARGON2
from tests.support.legacy_proofs import legacy_password_hash

if TYPE_CHECKING:
    pass

_PRELUDE = """
const { argon2id } = await import('/static/js/crypto/argon2.js');
const { blake2b, Blake2b } = await import('/static/js/crypto/blake2b.js');
const { bytesToHex, hexToBytes } = await import('/static/js/crypto/encoding.js');
const utf8 = (text) => new TextEncoder().encode(text);
"""


def in_browser(page: Page, body: str, arg: Any = None) -> Any:
    """Run `body` as an async function in the page, with both modules, hex helpers and `arg`."""
    return page.evaluate(f"async (arg) => {{ {_PRELUDE}\n{body}\n}}", arg)


@pytest.fixture(scope="module")
def crypto_page(module_page: Page) -> Page:
    return module_page


# --- BLAKE2b (RFC 7693) ---------------------------------------------------------------------


def test_blake2b_512_of_abc_is_the_rfc7693_example(crypto_page: Page) -> None:
    # RFC 7693, Appendix A.
    expected = (
        "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
    )

    got = in_browser(crypto_page, "return bytesToHex(blake2b(utf8('abc')));")

    assert got == expected == hashlib.blake2b(b"abc").hexdigest()


# Empty input, one byte, and both sides of one and two 128-byte blocks.
MESSAGE_LENGTHS = [0, 1, 3, 127, 128, 129, 255, 256, 257, 1000]
DIGEST_SIZES = [1, 4, 20, 32, 48, 63, 64]


def test_blake2b_matches_hashlib_for_every_length(crypto_page: Page) -> None:
    messages = {n: bytes((7 * i + n) % 256 for i in range(n)) for n in MESSAGE_LENGTHS}

    got = in_browser(
        crypto_page,
        """
        const out = {};
        for (const [length, hex] of Object.entries(arg.messages)) {
          for (const size of arg.sizes) {
            const message = hexToBytes(hex);
            // The same digest from one update and from pieces of 1, 7 and 128 bytes.
            const pieces = [1, 7, 128].map((step) => {
              const hash = new Blake2b(size);
              for (let at = 0; at < message.length; at += step) {
                hash.update(message.subarray(at, at + step));
              }
              return bytesToHex(hash.digest());
            });
            out[`${length}/${size}`] = [bytesToHex(blake2b(message, size)), ...pieces];
          }
        }
        return out;
        """,
        {"messages": {n: m.hex() for n, m in messages.items()}, "sizes": DIGEST_SIZES},
    )

    for length, message in messages.items():
        for size in DIGEST_SIZES:
            expected = hashlib.blake2b(message, digest_size=size).hexdigest()
            assert got[f"{length}/{size}"] == [expected] * 4, f"{length} bytes, digest {size}"


def test_blake2b_refuses_digest_sizes_outside_1_to_64(crypto_page: Page) -> None:
    got = in_browser(
        crypto_page,
        """
        return [0, 65, 1.5, "32"].map((size) => {
          try {
            blake2b(utf8('abc'), size);
            return null;
          } catch (error) {
            return error.name;
          }
        });
        """,
    )

    assert got == ["RangeError"] * 4


# --- Argon2id (RFC 9106) ------------------------------------------------------------------


def test_argon2id_matches_the_rfc9106_test_vector(crypto_page: Page) -> None:
    # RFC 9106, section 5.3: secret and associated data included.
    got = in_browser(
        crypto_page,
        """
        const filled = (length, byte) => new Uint8Array(length).fill(byte);
        return bytesToHex(await argon2id({
          password: filled(32, 0x01),
          salt: filled(16, 0x02),
          secret: filled(8, 0x03),
          associatedData: filled(12, 0x04),
          iterations: 3,
          memoryKiB: 32,
          parallelism: 4,
          tagLength: 32,
        }));
        """,
    )

    assert got == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"


# time cost, memory (KiB), lanes, tag bytes, password, salt
PARAMETER_SETS = {
    "smallest, empty password": (1, 8, 1, 32, "", b"saltsalt"),
    "two lanes, non-ASCII": (2, 64, 2, 16, "Blåbær – «Æ» 🎭", b"0123456789abcdef"),
    "memory not a multiple of 4 lanes": (3, 100, 3, 65, "pässwörd", b"twelve bytes"),
    "several address blocks per segment": (1, 2048, 1, 97, "lang " * 40, bytes(range(16))),
    "four passes, shortest tag": (4, 520, 4, 4, "ø", bytes(range(33))),
    "eight lanes, long tag": (2, 1024, 8, 128, "Ærlig talt", b"\xff" * 16),
    "longest tag": (3, 4096, 2, 1024, "🎭🎭", b"\x00" * 16),
}


@pytest.mark.parametrize(
    ("time_cost", "memory_kib", "lanes", "tag_length", "password", "salt"),
    PARAMETER_SETS.values(),
    ids=PARAMETER_SETS.keys(),
)
def test_argon2id_tag_equals_argon2_cffi(
    crypto_page: Page,
    time_cost: int,
    memory_kib: int,
    lanes: int,
    tag_length: int,
    password: str,
    salt: bytes,
) -> None:
    expected = hash_secret_raw(
        password.encode(), salt, time_cost, memory_kib, lanes, tag_length, Type.ID
    )

    got = in_browser(
        crypto_page,
        """
        const password = utf8(arg.password);
        const salt = hexToBytes(arg.salt);
        const tag = await argon2id({
          password,
          salt,
          iterations: arg.timeCost,
          memoryKiB: arg.memoryKiB,
          parallelism: arg.lanes,
          tagLength: arg.tagLength,
        });
        // The caller's arrays are left as they were.
        return {
          tag: bytesToHex(tag),
          inputsKept: bytesToHex(password) === bytesToHex(utf8(arg.password))
            && bytesToHex(salt) === arg.salt,
        };
        """,
        {
            "password": password,
            "salt": salt.hex(),
            "timeCost": time_cost,
            "memoryKiB": memory_kib,
            "lanes": lanes,
            "tagLength": tag_length,
        },
    )

    assert got == {"tag": expected.hex(), "inputsKept": True}


def test_argon2id_refuses_inputs_argon2id_does_not_allow(crypto_page: Page) -> None:
    got = in_browser(
        crypto_page,
        """
        const good = {
          password: utf8("pw"), salt: new Uint8Array(8), iterations: 1, memoryKiB: 8,
          parallelism: 1, tagLength: 32,
        };
        const changes = {
          "password as text": { password: "pw" },
          "salt as an array": { salt: [0, 0, 0, 0, 0, 0, 0, 0] },
          "secret as text": { secret: "key" },
          "a 7-byte salt": { salt: new Uint8Array(7) },
          "no passes": { iterations: 0 },
          "half a pass": { iterations: 1.5 },
          "fewer than 8 KiB per lane": { memoryKiB: 15, parallelism: 2 },
          "no lanes": { parallelism: 0 },
          "a 3-byte tag": { tagLength: 3 },
          "memory beyond the cap": { memoryKiB: 4 * 1024 * 1024 },
          "a number as text": { memoryKiB: "64" },
        };
        const errors = {};
        for (const [name, change] of Object.entries(changes)) {
          try {
            await argon2id({ ...good, ...change });
            errors[name] = null;
          } catch (error) {
            errors[name] = error.name;
          }
        }
        return { errors, goodTag: bytesToHex(await argon2id(good)) };
        """,
    )

    assert got["goodTag"] == hash_secret_raw(b"pw", bytes(8), 1, 8, 1, 32, Type.ID).hex()
    assert got["errors"] == {
        "password as text": "TypeError",
        "salt as an array": "TypeError",
        "secret as text": "TypeError",
        "a 7-byte salt": "RangeError",
        "no passes": "RangeError",
        "half a pass": "RangeError",
        "fewer than 8 KiB per lane": "RangeError",
        "no lanes": "RangeError",
        "a 3-byte tag": "RangeError",
        "memory beyond the cap": "RangeError",
        "a number as text": "RangeError",
    }


def test_a_production_hash_is_proved_in_the_browser_without_blocking_the_page(
    crypto_page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a hash made by the current code at its real cost,
    time_cost, memory_kib, lanes = PRODUCTION_ARGON2
    monkeypatch.setattr(passwords, "TIME_COST", time_cost)
    monkeypatch.setattr(passwords, "MEMORY_COST_KIB", memory_kib)
    monkeypatch.setattr(passwords, "PARALLELISM", lanes)
    password = "Kåre på kafé, riktig hest"
    stored = legacy_password_hash(password)
    parameters = passwords.legacy_parameters(stored)
    assert parameters is not None
    assert (parameters.time_cost, parameters.memory_kib, parameters.parallelism) == (3, 65536, 4)

    # when the browser computes the tag from the parameters the server hands out,
    got = in_browser(
        crypto_page,
        """
        const longTasks = [];
        const observer = new PerformanceObserver((list) => {
          longTasks.push(...list.getEntries().map((entry) => entry.duration));
        });
        observer.observe({ type: "longtask" });
        const tag = await argon2id({
          password: utf8(arg.password),
          salt: hexToBytes(arg.salt),
          iterations: arg.timeCost,
          memoryKiB: arg.memoryKiB,
          parallelism: arg.lanes,
          tagLength: arg.tagLength,
        });
        // Long tasks are reported after they end: one more turn of the event loop.
        await new Promise((resolve) => setTimeout(resolve, 100));
        observer.disconnect();
        return { tag: bytesToHex(tag), longestTask: Math.max(0, ...longTasks) };
        """,
        {
            "password": password,
            "salt": parameters.salt.hex(),
            "timeCost": parameters.time_cost,
            "memoryKiB": parameters.memory_kib,
            "lanes": parameters.parallelism,
            "tagLength": parameters.hash_len,
        },
    )

    # then the tag proves the password, and no single task held the page for long (the whole
    # computation takes well over a second here).
    assert passwords.legacy_proof_matches(stored, bytes.fromhex(got["tag"])) is True
    assert got["longestTask"] < 500


def test_browsers_without_scheduler_yield_still_get_the_event_loop_between_segments(
    crypto_page: Page,
) -> None:
    # Given a browser without scheduler.yield (the module then yields by message),
    # when a timer is due while the tag is computed,
    # then the timer runs before the tag is ready, and the tag is still right.
    got = in_browser(
        crypto_page,
        """
        Object.defineProperty(scheduler, "yield", { value: undefined, configurable: true });
        try {
          let timerRanAt = null;
          setTimeout(() => { timerRanAt = performance.now(); }, 0);
          const tag = await argon2id({
            password: utf8("pw"), salt: new Uint8Array(8), iterations: 2, memoryKiB: 4096,
            parallelism: 1, tagLength: 32,
          });
          const doneAt = performance.now();
          return { tag: bytesToHex(tag), timerFirst: timerRanAt !== null && timerRanAt < doneAt };
        } finally {
          delete scheduler.yield;
        }
        """,
    )

    expected = hash_secret_raw(b"pw", bytes(8), 2, 4096, 1, 32, Type.ID)
    assert got == {"tag": expected.hex(), "timerFirst": True}
    assert in_browser(crypto_page, "return typeof scheduler.yield;") == "function"
