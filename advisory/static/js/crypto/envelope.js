/**
 * Sealed envelopes, byte-for-byte as crypto/envelope.py: HPKE base mode to a line or
 * reporter public key, text form `<version>.<key-id>.<base64url(enc || ciphertext)>`.
 * Plaintext is padded first so the ciphertext length says little about how much someone wrote.
 *
 * - `v1` binds the purpose through HPKE `info` (`advisory-line/v1/<purpose>`), so a "message"
 *   envelope cannot be replayed as a "narrative". Old envelopes keep opening this way.
 * - `v2` also binds where the envelope belongs: the line, the case reference and the
 *   direction (`advisory-line/v2/<purpose> 0 <line> 0 <reference> 0 <direction>`), so an
 *   envelope moved to another case, or a copy passed off as a reply, does not open.
 *
 * @module crypto/envelope
 */

import {
  asciiBytes,
  b64urlDecodeOrNull,
  b64urlEncode,
  concatBytes,
  utf8Decode,
  utf8Encode,
} from "./encoding.js";
import { CryptoError } from "./errors.js";
import { keyIdFor, publicKeyBytesOf, publicKeyFromText } from "./keys.js";
import { BLOCK_BYTES, pad, paddedLength, unpad } from "./padding.js";
import { N_ENC, N_T, openPayload, setupBaseS } from "./rfc9180.js";

export const VERSION = "v1";
export const VERSION_2 = "v2";
export const PURPOSES = Object.freeze(["narrative", "message", "contact", "reply", "attachment"]);
export const DIRECTIONS = Object.freeze([
  "reporter-to-line",
  "reporter-to-reporter",
  "line-to-reporter",
  "line-to-line",
]);
export const MAX_PLAINTEXT_BYTES = 64 * 1024;

// Which way each purpose travels: what a reporter writes goes to the line, and its copy to
// the reporter's own key so they can reread it; a reply goes to the reporter, and its copy
// for the case file to the line.
const DIRECTIONS_BY_PURPOSE = Object.freeze({
  narrative: ["reporter-to-line", "reporter-to-reporter"],
  message: ["reporter-to-line", "reporter-to-reporter"],
  contact: ["reporter-to-line"],
  reply: ["line-to-reporter", "line-to-line"],
  // An evidence file's header: to the line, or with a reply to the reporter and the line.
  attachment: ["reporter-to-line", "line-to-reporter", "line-to-line"],
});
const INFO_PREFIX = "advisory-line/v1/";
const INFO_PREFIX_V2 = "advisory-line/v2/";
const EMPTY_AAD = new Uint8Array(0);
const MIN_PAYLOAD_BYTES = N_ENC + BLOCK_BYTES + N_T;
const MAX_PAYLOAD_BYTES = N_ENC + paddedLength(MAX_PLAINTEXT_BYTES) + N_T;
// Checked before any decoding, as on the server.
const MAX_ENVELOPE_CHARS =
  `${VERSION}.${"0".repeat(16)}.`.length + Math.ceil((MAX_PAYLOAD_BYTES * 4) / 3);
const KEY_ID = /^[0-9a-f]{16}$/;
const VERSION_LIKE = /^v[0-9]{1,3}$/;
const LINE_SLUG = /^[a-z0-9-]{1,40}$/;
const CASE_REFERENCE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const V2_NEEDS_CONTEXT =
  "could not decrypt: a 'v2' envelope opens only with the context it was sealed for";

/**
 * Where a v2 envelope belongs (crypto.EnvelopeContext): checked here, frozen.
 *
 * @typedef {{lineSlug: string, caseReference: string, direction: string}} EnvelopeContext
 */

/**
 * A checked, frozen envelope context; throws CryptoError "invalid-context" with the same
 * message as crypto.EnvelopeContext.
 *
 * @param {string} lineSlug the line's slug, [a-z0-9-]{1,40}
 * @param {string} caseReference the case's public reference, such as "K7QF-9M2X"
 * @param {string} direction one of DIRECTIONS
 * @returns {EnvelopeContext}
 */
export function envelopeContext(lineSlug, caseReference, direction) {
  if (typeof lineSlug !== "string" || !LINE_SLUG.test(lineSlug)) {
    throw invalidContext("a line slug is 1 to 40 characters: a-z, 0-9 and '-'");
  }
  if (typeof caseReference !== "string" || !CASE_REFERENCE.test(caseReference)) {
    throw invalidContext(
      "a case reference is two dashed groups of four upper-case Crockford characters",
    );
  }
  if (!DIRECTIONS.includes(direction)) {
    throw invalidContext(`a direction is one of ${DIRECTIONS.join(", ")}`);
  }
  return Object.freeze({ lineSlug, caseReference, direction });
}

/**
 * HPKE info: `advisory-line/v1/<purpose>` without a context, else the v2 info
 * `advisory-line/v2/<purpose> 0 <line slug> 0 <case reference> 0 <direction>`.
 *
 * @param {string} purpose one of PURPOSES
 * @param {EnvelopeContext} [context] checked again here, so a plain object will do
 * @returns {Uint8Array}
 */
export function infoFor(purpose, context) {
  if (!PURPOSES.includes(purpose)) {
    // Purposes come from code, not users, but clip them anyway so a bug cannot flood logs.
    const text = String(purpose);
    const shown = text.length <= 40 ? text : `${text.slice(0, 40)}…`;
    throw new CryptoError(
      "unknown-purpose",
      `unknown purpose '${shown}'; expected one of ${PURPOSES.join(", ")}`,
    );
  }
  if (context === undefined || context === null) {
    return asciiBytes(INFO_PREFIX + purpose);
  }
  const { lineSlug, caseReference, direction } = envelopeContext(
    context.lineSlug,
    context.caseReference,
    context.direction,
  );
  const allowed = DIRECTIONS_BY_PURPOSE[purpose];
  if (!allowed.includes(direction)) {
    throw invalidContext(`a ${purpose} travels ${allowed.join(" or ")}, not ${direction}`);
  }
  const fields = [purpose, lineSlug, caseReference, direction];
  return asciiBytes(INFO_PREFIX_V2 + fields.join("\0"));
}

/**
 * Pad and seal plaintext to a public key; resolves to envelope text. With a context the
 * envelope is `v2`, bound to that line, case and direction; without one it is `v1`.
 *
 * @param {string} purpose narrative | message | contact | reply
 * @param {string | Uint8Array} plaintext a string is sealed as UTF-8
 * @param {string} publicKeyB64url the recipient's public key text (43 characters)
 * @param {EnvelopeContext} [context] where the envelope belongs
 * @param {{ephemeralSecretForTests?: Uint8Array}} [options] a fixed ephemeral secret, for
 *   known-answer tests only: reusing one breaks HPKE's security
 * @returns {Promise<string>}
 */
export async function seal(purpose, plaintext, publicKeyB64url, context, options = {}) {
  const info = infoFor(purpose, context);
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
    sender = await setupBaseS(publicKeyRaw, info, options.ephemeralSecretForTests);
  } catch {
    // WebCrypto refuses low-order points (an all-zero shared secret), as OpenSSL does.
    throw new CryptoError(
      "key-format",
      "cannot seal to this public key: not a usable X25519 key",
    );
  }
  const ciphertext = await sender.context.seal(EMPTY_AAD, pad(data));
  const payload = b64urlEncode(concatBytes(sender.enc, ciphertext));
  const version = context === undefined || context === null ? VERSION : VERSION_2;
  return `${version}.${await keyIdFor(publicKeyRaw)}.${payload}`;
}

/**
 * Open envelope text sealed for `purpose`; resolves to the unpadded plaintext bytes.
 * A `v2` envelope opens only with the context it was sealed for; a `v1` envelope opens as
 * it always has, whatever context is passed.
 *
 * @param {string} purpose narrative | message | contact | reply
 * @param {string} envelope `v1.<key-id>.<payload>` or `v2.<key-id>.<payload>`
 * @param {CryptoKey} privateKey X25519 private key (non-extractable is fine) whose public
 *   key the envelope was sealed to
 * @param {EnvelopeContext} [context] where the envelope is expected to belong
 * @returns {Promise<Uint8Array>}
 * @throws {CryptoError} code "malformed-envelope", "unknown-key-id", "decryption-failed"
 *   (wrong key, wrong purpose, wrong context or altered data), "invalid-context" or "padding"
 */
export async function open(purpose, envelope, privateKey, context) {
  let info = infoFor(purpose);
  const { version, keyId, payload } = parseEnvelope(envelope);
  if (version === VERSION_2) {
    if (context === undefined || context === null) {
      throw new CryptoError("decryption-failed", V2_NEEDS_CONTEXT);
    }
    info = infoFor(purpose, context);
  }
  const ownKeyId = await keyIdFor(await publicKeyBytesOf(privateKey));
  if (ownKeyId !== keyId) {
    throw new CryptoError(
      "unknown-key-id",
      `no private key for key id '${keyId}' (this envelope was not sealed to key '${ownKeyId}')`,
    );
  }
  return unpad(await openPayload(payload, privateKey, info));
}

/**
 * `open`, decoding the plaintext as UTF-8 text.
 *
 * @param {string} purpose
 * @param {string} envelope
 * @param {CryptoKey} privateKey
 * @param {EnvelopeContext} [context]
 * @returns {Promise<string>}
 */
export async function openText(purpose, envelope, privateKey, context) {
  return utf8Decode(await open(purpose, envelope, privateKey, context));
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
  if (version !== VERSION && version !== VERSION_2) {
    if (VERSION_LIKE.test(version)) {
      throw malformed(`unsupported envelope version '${version}'; expected 'v1' or 'v2'`);
    }
    throw malformed("an envelope must start with 'v1.' or 'v2.'");
  }
  if (!KEY_ID.test(keyId)) {
    throw malformed("an envelope key id is 16 lowercase hex characters");
  }
  const payload = b64urlDecodeOrNull(payloadText);
  if (payload === null) {
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
function invalidContext(message) {
  return new CryptoError("invalid-context", message);
}

/** @param {string} message */
function malformed(message) {
  return new CryptoError("malformed-envelope", message);
}
