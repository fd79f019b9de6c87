/**
 * Staff credentials, byte-for-byte as crypto/staff_credentials.py: the password never
 * leaves this browser.
 *
 * PBKDF2-HMAC-SHA256 over the NFC-normalised UTF-8 password (salt: SHA-256 of a label, the
 * instance id and the username, so it needs no round trip) gives a master key; HKDF-SHA256
 * splits it into an authentication key, sent instead of the password, and a wrapping key,
 * kept here as a non-extractable AES-256-GCM key. The wrapping key encrypts the staff
 * member's own X25519 private key, with associated data naming the purpose and staff id.
 *
 * @module crypto/staff-credentials
 */

import {
  asciiBytes,
  b64urlEncode,
  b64urlField,
  blobFields,
  concatBytes,
  utf8Encode,
} from "./encoding.js";
import { CryptoError, WRONG_PASSPHRASE_MESSAGE } from "./errors.js";
import { fingerprintOf } from "./fingerprint.js";
import { signingKeyFromOwnRaw } from "./signatures.js";
import {
  KEY_BYTES,
  importPrivateKey,
  keyIdFor,
  publicKeyBytesOf,
  publicKeyToText,
} from "./keys.js";

export const STAFF_KDF_ITERATIONS = 600_000;
const MIN_STAFF_KDF_ITERATIONS = 600_000;
const MAX_STAFF_KDF_ITERATIONS = 10_000_000;

const STAFF_SALT_LABEL = asciiBytes("advisory-line/v1/staff-salt");
const AUTH_KEY_INFO = asciiBytes("advisory-line/v1/staff-auth-key");
const WRAP_KEY_INFO = asciiBytes("advisory-line/v1/staff-wrap-key");
const STAFF_KEY_AAD_LABEL = asciiBytes("advisory-line/v1/staff-private-key");
const ZERO = Uint8Array.of(0);
const DERIVED_BITS = 256;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const BLOB_VERSION = 1;
const BLOB_ALG = "A256GCM";
const BLOB_FIELDS = ["alg", "ciphertext", "nonce", "v"];
const INSTANCE_ID = /^[0-9a-f]{32}$/;
const USERNAME = /^[a-z0-9._-]{1,64}$/;
// Exactly the characters Python's str.strip() removes (JavaScript's trim() differs: it
// lacks U+001C..U+001F and U+0085, and adds U+FEFF), so both sides salt the same name.
const PYTHON_WHITESPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
    0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
    0x2029, 0x202f, 0x205f, 0x3000,
  ].map((codePoint) => String.fromCodePoint(codePoint)),
);

/**
 * The keys split from a password: what to send, and what to keep.
 *
 * @typedef {{authKey: string, wrapKey: CryptoKey}} StaffCredentials
 *   authKey: base64url of the 32-byte authentication key (43 characters), sent instead of
 *   the password; wrapKey: the non-extractable AES-256-GCM wrapping key, never sent
 */

/**
 * Derive the staff credentials at sign-in, enrolment or password change. The master key
 * and the authentication key bytes exist only inside this call.
 *
 * @param {string} password as typed (NFC-normalised here)
 * @param {string} instanceId the instance id the sign-in page names (32 lowercase hex)
 * @param {string} username as typed (stripped and lower-cased here)
 * @param {{iterations?: number, allowWeakForTests?: boolean}} [options] fewer than
 *   STAFF_KDF_ITERATIONS only with allowWeakForTests
 * @returns {Promise<StaffCredentials>}
 */
export async function deriveStaffCredentials(
  password,
  instanceId,
  username,
  { iterations = STAFF_KDF_ITERATIONS, allowWeakForTests = false } = {},
) {
  checkIterations(iterations, allowWeakForTests);
  const salt = await staffSalt(instanceId, username);
  const secret = passwordBytes(password);
  let master;
  try {
    const passwordKey = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, [
      "deriveBits",
    ]);
    master = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt, iterations },
        passwordKey,
        DERIVED_BITS,
      ),
    );
  } finally {
    secret.fill(0);
  }
  let hkdfKey;
  try {
    hkdfKey = await crypto.subtle.importKey("raw", master, "HKDF", false, [
      "deriveBits",
      "deriveKey",
    ]);
  } finally {
    master.fill(0);
  }
  const authBytes = new Uint8Array(
    await crypto.subtle.deriveBits(hkdfParams(AUTH_KEY_INFO), hkdfKey, DERIVED_BITS),
  );
  const authKey = b64urlEncode(authBytes);
  authBytes.fill(0);
  const wrapKey = await crypto.subtle.deriveKey(
    hkdfParams(WRAP_KEY_INFO),
    hkdfKey,
    { name: "AES-GCM", length: DERIVED_BITS },
    false,
    ["encrypt", "decrypt"],
  );
  return { authKey, wrapKey };
}

/**
 * The username as the salt uses it (crypto.normalise_username): stripped as Python strips,
 * lower case, and [a-z0-9._-]{1,64}.
 *
 * @param {string} username
 * @returns {string}
 */
export function normaliseUsername(username) {
  const chars = Array.from(typeof username === "string" ? username : "");
  let start = 0;
  let end = chars.length;
  while (start < end && PYTHON_WHITESPACE.has(chars[start])) {
    start += 1;
  }
  while (end > start && PYTHON_WHITESPACE.has(chars[end - 1])) {
    end -= 1;
  }
  const name = chars.slice(start, end).join("").toLowerCase();
  if (!USERNAME.test(name)) {
    throw new RangeError(
      "a username has 1 to 64 characters: lower-case letters, digits, '.', '_' or '-'",
    );
  }
  return name;
}

/**
 * SHA-256(label || 0 || instance id || 0 || username): the same salt at every sign-in.
 *
 * @param {string} instanceId
 * @param {string} username
 * @returns {Promise<Uint8Array>}
 */
export async function staffSalt(instanceId, username) {
  if (typeof instanceId !== "string" || !INSTANCE_ID.test(instanceId)) {
    throw new RangeError("an instance id is 32 lowercase hex characters");
  }
  const name = normaliseUsername(username);
  const input = concatBytes(
    STAFF_SALT_LABEL,
    ZERO,
    asciiBytes(instanceId),
    ZERO,
    asciiBytes(name),
  );
  return new Uint8Array(await crypto.subtle.digest("SHA-256", input));
}

/**
 * Make a staff member's own key pair at enrolment: the private key is wrapped under the
 * wrapping key at once, and kept here only as a non-extractable key. The raw bytes exist
 * only inside this call, and the wrap is opened once more before it is returned.
 *
 * @param {CryptoKey} wrapKey from deriveStaffCredentials
 * @param {number} staffId
 * @returns {Promise<{privateKey: CryptoKey, publicKey: string, keyId: string,
 *   fingerprint: string, wrappedPrivateKey: string}>}
 */
export async function createStaffKey(wrapKey, staffId) {
  // Any 32 random bytes are an X25519 private key (clamped at use), as in `cryptography`.
  const raw = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  try {
    const wrappedPrivateKey = await wrapStaffPrivateKey(raw, wrapKey, staffId);
    const check = await unwrapRaw(wrappedPrivateKey, wrapKey, staffId);
    check.fill(0);
    const privateKey = await importPrivateKey(raw);
    const publicKeyRaw = await publicKeyBytesOf(privateKey);
    const publicKey = publicKeyToText(publicKeyRaw);
    const { signingKey, signingPublicKey } = await signingKeyFromOwnRaw(raw);
    return {
      privateKey,
      publicKey,
      keyId: await keyIdFor(publicKeyRaw),
      fingerprint: await fingerprintOf(publicKey),
      wrappedPrivateKey,
      signingKey,
      signingPublicKey,
    };
  } finally {
    raw.fill(0);
  }
}

/**
 * Encrypt 32 raw private key bytes under the wrapping key (crypto.wrap_staff_private_key);
 * resolves to the compact JSON blob {"v":1,"alg":"A256GCM","nonce":..,"ciphertext":..}.
 *
 * @param {Uint8Array} rawPrivateKey
 * @param {CryptoKey} wrapKey
 * @param {number} staffId
 * @param {{nonceForTests?: Uint8Array}} [options] a fixed nonce, for known-answer tests
 *   only: reusing a nonce under one key breaks AES-GCM
 * @returns {Promise<string>}
 */
export async function wrapStaffPrivateKey(rawPrivateKey, wrapKey, staffId, options = {}) {
  const additionalData = staffKeyAad(staffId);
  checkWrapKey(wrapKey);
  if (!(rawPrivateKey instanceof Uint8Array) || rawPrivateKey.length !== KEY_BYTES) {
    throw new CryptoError("key-format", `a private key is ${KEY_BYTES} bytes`);
  }
  const nonce = options.nonceForTests ?? crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) {
    throw new RangeError(`a nonce is ${NONCE_BYTES} bytes`);
  }
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData },
      wrapKey,
      rawPrivateKey,
    ),
  );
  return JSON.stringify({
    v: BLOB_VERSION,
    alg: BLOB_ALG,
    nonce: b64urlEncode(nonce),
    ciphertext: b64urlEncode(ciphertext),
  });
}

/**
 * Unwrap a staff private key (crypto.unwrap_staff_private_key).
 *
 * @param {string} blobJson
 * @param {CryptoKey} wrapKey
 * @param {number} staffId the staff member the key was wrapped for
 * @returns {Promise<CryptoKey>} the X25519 private key, non-extractable
 * @throws {CryptoError} "key-format" for a malformed blob; "wrong-passphrase" for a wrong
 *   password, another staff id or an altered blob
 */
export async function unwrapStaffPrivateKey(blobJson, wrapKey, staffId) {
  const raw = await unwrapRaw(blobJson, wrapKey, staffId);
  try {
    return await importPrivateKey(raw);
  } finally {
    raw.fill(0);
  }
}

/**
 * Unwrap a staff private key and derive its signing key, both non-extractable: what a
 * lawyer's browser keeps after sign-in.
 *
 * @param {string} blobJson
 * @param {CryptoKey} wrapKey
 * @param {number} staffId
 * @returns {Promise<{privateKey: CryptoKey, signingKey: CryptoKey, signingPublicKey: string}>}
 */
export async function unwrapStaffKeys(blobJson, wrapKey, staffId) {
  const raw = await unwrapRaw(blobJson, wrapKey, staffId);
  try {
    const privateKey = await importPrivateKey(raw);
    return { privateKey, ...(await signingKeyFromOwnRaw(raw)) };
  } finally {
    raw.fill(0);
  }
}

/**
 * Wrap a staff private key again under a new wrapping key, for a password change: one
 * small blob, re-wrapped here. The new blob is opened once more before it is returned, so
 * a wrap that would not open is never sent.
 *
 * @param {string} blobJson the blob under the old wrapping key
 * @param {CryptoKey} oldWrapKey
 * @param {CryptoKey} newWrapKey
 * @param {number} staffId
 * @returns {Promise<string>} the new blob
 */
export async function rewrapStaffPrivateKey(blobJson, oldWrapKey, newWrapKey, staffId) {
  const raw = await unwrapRaw(blobJson, oldWrapKey, staffId);
  try {
    const blob = await wrapStaffPrivateKey(raw, newWrapKey, staffId);
    (await unwrapRaw(blob, newWrapKey, staffId)).fill(0);
    return blob;
  } finally {
    raw.fill(0);
  }
}

/**
 * A staff id as bound into associated data and HPKE info (crypto.check_staff_id; here a
 * safe integer, which every database id is in practice).
 *
 * @param {number} staffId
 * @returns {number}
 */
export function checkStaffId(staffId) {
  if (!Number.isSafeInteger(staffId) || staffId < 1) {
    throw new RangeError("a staff id is a positive whole number");
  }
  return staffId;
}

/**
 * @param {string} blobJson
 * @param {CryptoKey} wrapKey
 * @param {number} staffId
 * @returns {Promise<Uint8Array>} the 32 raw private key bytes; the caller zeroes them
 */
async function unwrapRaw(blobJson, wrapKey, staffId) {
  const additionalData = staffKeyAad(staffId);
  checkWrapKey(wrapKey);
  const { nonce, ciphertext } = parseBlob(blobJson);
  try {
    const params = { name: "AES-GCM", iv: nonce, additionalData };
    return new Uint8Array(await crypto.subtle.decrypt(params, wrapKey, ciphertext));
  } catch {
    throw new CryptoError("wrong-passphrase", WRONG_PASSPHRASE_MESSAGE);
  }
}

/** @param {number} staffId */
function staffKeyAad(staffId) {
  return concatBytes(STAFF_KEY_AAD_LABEL, ZERO, asciiBytes(String(checkStaffId(staffId))));
}

/** @param {Uint8Array} info */
function hkdfParams(info) {
  // An empty salt is RFC 5869's "no salt", as salt=None in Python.
  return { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info };
}

/**
 * @param {string} password
 * @returns {Uint8Array}
 */
function passwordBytes(password) {
  if (typeof password !== "string") {
    throw new TypeError("the password must be a string");
  }
  if (password.length === 0) {
    throw new RangeError("the password must not be empty");
  }
  // NFC so the same password typed on different systems yields the same bytes.
  return utf8Encode(password.normalize("NFC"), "the password");
}

/**
 * @param {number} iterations
 * @param {boolean} allowWeakForTests
 */
function checkIterations(iterations, allowWeakForTests) {
  if (!Number.isInteger(iterations)) {
    throw new RangeError("PBKDF2 iterations must be a whole number");
  }
  if (iterations < MIN_STAFF_KDF_ITERATIONS && !allowWeakForTests) {
    throw new RangeError(
      `${iterations} PBKDF2 iterations is too few; the minimum is ${MIN_STAFF_KDF_ITERATIONS}`,
    );
  }
  if (iterations < 1 || iterations > MAX_STAFF_KDF_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be between 1 and ${MAX_STAFF_KDF_ITERATIONS}`);
  }
}

/** @param {unknown} key */
function checkWrapKey(key) {
  const ok =
    key instanceof CryptoKey &&
    key.type === "secret" &&
    key.algorithm.name === "AES-GCM" &&
    key.algorithm.length === DERIVED_BITS;
  if (!ok) {
    throw new CryptoError("key-format", "a wrapping key is an AES-GCM CryptoKey of 256 bits");
  }
}

/**
 * The same checks and messages as crypto.staff_credentials._parse_blob.
 *
 * @param {string} blobJson
 */
function parseBlob(blobJson) {
  const fields = blobFields(blobJson, BLOB_FIELDS, BLOB_VERSION, "wrapped staff key");
  if (fields.alg !== BLOB_ALG) {
    throw keyFormat(`unsupported wrapped staff key algorithm; expected '${BLOB_ALG}'`);
  }
  return {
    nonce: b64urlField(fields, "nonce", NONCE_BYTES, "wrapped staff key"),
    ciphertext: b64urlField(fields, "ciphertext", KEY_BYTES + TAG_BYTES, "wrapped staff key"),
  };
}

/** @param {string} message */
function keyFormat(message) {
  return new CryptoError("key-format", message);
}
