/**
 * Sealed envelopes, byte-for-byte as crypto/envelope.py: HPKE base mode to a line or
 * reporter public key, text form `v1.<key-id>.<base64url(enc || ciphertext)>`.
 *
 * The purpose is bound through HPKE `info` (`advisory-line/v1/<purpose>`), so a "message"
 * envelope cannot be replayed as a "narrative"; plaintext is padded first so the
 * ciphertext length says little about how much someone wrote.
 *
 * @module crypto/envelope
 */

import {
  asciiBytes,
  b64urlDecode,
  b64urlEncode,
  concatBytes,
  utf8Decode,
  utf8Encode,
} from "./encoding.js";
import { CryptoError, DECRYPTION_FAILED_MESSAGE } from "./errors.js";
import { keyIdFor, publicKeyBytesOf, publicKeyFromText } from "./keys.js";
import { BLOCK_BYTES, pad, paddedLength, unpad } from "./padding.js";
import { N_ENC, N_T, setupBaseR, setupBaseS } from "./rfc9180.js";

export const VERSION = "v1";
export const PURPOSES = Object.freeze(["narrative", "message", "contact", "reply"]);
export const MAX_PLAINTEXT_BYTES = 64 * 1024;

const INFO_PREFIX = "advisory-line/v1/";
const EMPTY_AAD = new Uint8Array(0);
const MIN_PAYLOAD_BYTES = N_ENC + BLOCK_BYTES + N_T;
const MAX_PAYLOAD_BYTES = N_ENC + paddedLength(MAX_PLAINTEXT_BYTES) + N_T;
// Checked before any decoding, as on the server.
const MAX_ENVELOPE_CHARS =
  `${VERSION}.${"0".repeat(16)}.`.length + Math.ceil((MAX_PAYLOAD_BYTES * 4) / 3);
const KEY_ID = /^[0-9a-f]{16}$/;
const VERSION_LIKE = /^v[0-9]{1,3}$/;

/**
 * HPKE info for a purpose: `advisory-line/v1/<purpose>`.
 *
 * @param {string} purpose one of PURPOSES
 * @returns {Uint8Array}
 */
export function infoFor(purpose) {
  if (!PURPOSES.includes(purpose)) {
    // Purposes come from code, not users, but clip them anyway so a bug cannot flood logs.
    const text = String(purpose);
    const shown = text.length <= 40 ? text : `${text.slice(0, 40)}…`;
    throw new CryptoError(
      "unknown-purpose",
      `unknown purpose '${shown}'; expected one of ${PURPOSES.join(", ")}`,
    );
  }
  return asciiBytes(INFO_PREFIX + purpose);
}

/**
 * Pad and seal plaintext to a public key; resolves to envelope text.
 *
 * @param {string} purpose narrative | message | contact | reply
 * @param {string | Uint8Array} plaintext a string is sealed as UTF-8
 * @param {string} publicKeyB64url the recipient's public key text (43 characters)
 * @returns {Promise<string>}
 */
export async function seal(purpose, plaintext, publicKeyB64url) {
  const info = infoFor(purpose);
  const data = plaintextBytes(plaintext);
  if (data.length > MAX_PLAINTEXT_BYTES) {
    throw new CryptoError(
      "plaintext-too-large",
      `plaintext is ${data.length} bytes; the maximum is ${MAX_PLAINTEXT_BYTES} bytes`,
    );
  }
  const publicKeyRaw = publicKeyFromText(publicKeyB64url);
  let sender;
  try {
    sender = await setupBaseS(publicKeyRaw, info);
  } catch {
    // WebCrypto refuses low-order points (an all-zero shared secret), as OpenSSL does.
    throw new CryptoError(
      "key-format",
      "cannot seal to this public key: not a usable X25519 key",
    );
  }
  const ciphertext = await sender.context.seal(EMPTY_AAD, pad(data));
  const payload = b64urlEncode(concatBytes(sender.enc, ciphertext));
  return `${VERSION}.${await keyIdFor(publicKeyRaw)}.${payload}`;
}

/**
 * Open envelope text sealed for `purpose`; resolves to the unpadded plaintext bytes.
 *
 * @param {string} purpose narrative | message | contact | reply
 * @param {string} envelope `v1.<key-id>.<payload>`
 * @param {CryptoKey} privateKey X25519 private key (non-extractable is fine) whose public
 *   key the envelope was sealed to
 * @returns {Promise<Uint8Array>}
 * @throws {CryptoError} code "malformed-envelope", "unknown-key-id", "decryption-failed"
 *   (wrong key, wrong purpose or altered data) or "padding"
 */
export async function open(purpose, envelope, privateKey) {
  const info = infoFor(purpose);
  const { keyId, payload } = parseEnvelope(envelope);
  const ownKeyId = await keyIdFor(await publicKeyBytesOf(privateKey));
  if (ownKeyId !== keyId) {
    throw new CryptoError(
      "unknown-key-id",
      `no private key for key id '${keyId}' (this envelope was not sealed to key '${ownKeyId}')`,
    );
  }
  let padded;
  try {
    const recipient = await setupBaseR(payload.subarray(0, N_ENC), privateKey, info);
    padded = await recipient.open(EMPTY_AAD, payload.subarray(N_ENC));
  } catch {
    throw new CryptoError("decryption-failed", DECRYPTION_FAILED_MESSAGE);
  }
  return unpad(padded);
}

/**
 * `open`, decoding the plaintext as UTF-8 text.
 *
 * @param {string} purpose
 * @param {string} envelope
 * @param {CryptoKey} privateKey
 * @returns {Promise<string>}
 */
export async function openText(purpose, envelope, privateKey) {
  return utf8Decode(await open(purpose, envelope, privateKey));
}

/**
 * Split and check envelope text without decrypting (same checks and messages as
 * crypto.parse_envelope).
 *
 * @param {string} envelope
 * @returns {{version: string, keyId: string, payload: Uint8Array}}
 */
export function parseEnvelope(envelope) {
  if (typeof envelope !== "string") {
    throw malformed("an envelope must be text");
  }
  if (envelope.length > MAX_ENVELOPE_CHARS) {
    throw malformed(
      `envelope is ${envelope.length} characters; the maximum is ${MAX_ENVELOPE_CHARS}`,
    );
  }
  const parts = envelope.split(".");
  if (parts.length !== 3) {
    throw malformed("an envelope has three dot-separated parts: v1.<key-id>.<payload>");
  }
  const [version, keyId, payloadText] = parts;
  if (version !== VERSION) {
    if (VERSION_LIKE.test(version)) {
      throw malformed(`unsupported envelope version '${version}'; expected 'v1'`);
    }
    throw malformed("an envelope must start with 'v1.'");
  }
  if (!KEY_ID.test(keyId)) {
    throw malformed("an envelope key id is 16 lowercase hex characters");
  }
  let payload;
  try {
    payload = b64urlDecode(payloadText);
  } catch {
    throw malformed("envelope payload is not unpadded base64url");
  }
  if (payload.length < MIN_PAYLOAD_BYTES) {
    throw malformed(
      `envelope payload is ${payload.length} bytes; the minimum is ${MIN_PAYLOAD_BYTES}`,
    );
  }
  if ((payload.length - N_ENC - N_T) % BLOCK_BYTES !== 0) {
    throw malformed("envelope payload is not a whole number of padding blocks");
  }
  return { version, keyId, payload };
}

/**
 * @param {string | Uint8Array} plaintext
 * @returns {Uint8Array}
 */
function plaintextBytes(plaintext) {
  if (typeof plaintext === "string") {
    return utf8Encode(plaintext, "plaintext");
  }
  if (plaintext instanceof Uint8Array) {
    return plaintext;
  }
  throw new TypeError("plaintext must be a string or a Uint8Array");
}

/** @param {string} message */
function malformed(message) {
  return new CryptoError("malformed-envelope", message);
}
