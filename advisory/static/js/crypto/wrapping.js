/**
 * Unwrap (and, for a password change, re-wrap) a line private key in the browser, exactly as
 * crypto/wrapping.py does it:
 * PBKDF2-HMAC-SHA256 over the NFC-normalised UTF-8 passphrase derives an AES-256-GCM key,
 * which decrypts the 32 raw key bytes under the associated data `advisory-line/v1/wrapped-key`.
 *
 * @module crypto/wrapping
 */

import { asciiBytes, b64urlEncode, b64urlField, blobFields, utf8Encode } from "./encoding.js";
import { CryptoError, WRONG_PASSPHRASE_MESSAGE } from "./errors.js";
import { sealGrant } from "./grants.js";
import { KEY_BYTES, importPrivateKey } from "./keys.js";

const WRAPPED_KEY_AAD = asciiBytes("advisory-line/v1/wrapped-key");
const BLOB_VERSION = 1;
const KDF_NAME = "pbkdf2-sha256";
// Blobs come from our own server, but cap the work an altered blob could ask for.
const MAX_ITERATIONS_ACCEPTED = 10_000_000;
const BLOB_FIELDS = ["ciphertext", "iterations", "kdf", "nonce", "salt", "v"];
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const CIPHERTEXT_BYTES = KEY_BYTES + 16; // key + GCM tag

/**
 * Decrypt a wrapped-key blob (crypto.wrap_private_key output) with a passphrase.
 *
 * @param {string} blobJson the compact JSON blob
 * @param {string} passphrase as typed (NFC-normalised here, as on the server)
 * @returns {Promise<CryptoKey>} the X25519 private key, non-extractable
 * @throws {CryptoError} "key-format" for a malformed blob, "wrong-passphrase" for a wrong
 *   passphrase or an altered blob
 */
export async function unwrapPrivateKey(blobJson, passphrase) {
  const raw = await unwrapRaw(blobJson, passphrase);
  try {
    return await importPrivateKey(raw);
  } finally {
    raw.fill(0);
  }
}

/**
 * Turn a line key wrapped under a lawyer's password (before lawyers had key pairs) into a
 * grant to the lawyer's own public key. The raw key exists only inside this call.
 *
 * @param {string} blobJson the wrap under the password
 * @param {string} passphrase the lawyer's password as typed
 * @param {number} staffId
 * @param {string} staffPublicKey the lawyer's own public key text
 * @returns {Promise<string>} the grant text
 * @throws {CryptoError} "wrong-passphrase" when the password does not open the wrap
 */
export async function grantFromPasswordWrap(blobJson, passphrase, staffId, staffPublicKey) {
  const raw = await unwrapRaw(blobJson, passphrase);
  try {
    return await sealGrant(raw, staffId, staffPublicKey);
  } finally {
    raw.fill(0);
  }
}

/**
 * Wrap the key of `blobJson` again under a new passphrase, as crypto.wrap_private_key does
 * (fresh salt and nonce). For a password change: the raw key exists only inside this call,
 * and the new blob is opened once more before it is returned, so a wrap that would not open
 * is never sent.
 *
 * @param {string} blobJson the blob under the old passphrase
 * @param {string} oldPassphrase
 * @param {string} newPassphrase
 * @param {number} iterations PBKDF2 iterations for the new blob (the server says how many)
 * @returns {Promise<string>} the new compact JSON blob
 */
export async function rewrapPrivateKey(blobJson, oldPassphrase, newPassphrase, iterations) {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS_ACCEPTED) {
    throw keyFormat(`iterations must be a whole number up to ${MAX_ITERATIONS_ACCEPTED}`);
  }
  const raw = await unwrapRaw(blobJson, oldPassphrase);
  try {
    const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    const aesKey = await passphraseKey(newPassphrase, salt, iterations, "encrypt");
    const ciphertext = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: nonce, additionalData: WRAPPED_KEY_AAD },
        aesKey,
        raw,
      ),
    );
    const blob = JSON.stringify({
      v: BLOB_VERSION,
      kdf: KDF_NAME,
      iterations,
      salt: b64urlEncode(salt),
      nonce: b64urlEncode(nonce),
      ciphertext: b64urlEncode(ciphertext),
    });
    (await unwrapRaw(blob, newPassphrase)).fill(0);
    return blob;
  } finally {
    raw.fill(0);
  }
}

/**
 * @param {string} blobJson
 * @param {string} passphrase
 * @returns {Promise<Uint8Array>} the 32 raw private key bytes; the caller zeroes them
 */
async function unwrapRaw(blobJson, passphrase) {
  const { iterations, salt, nonce, ciphertext } = parseBlob(blobJson);
  const aesKey = await passphraseKey(passphrase, salt, iterations, "decrypt");
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: nonce, additionalData: WRAPPED_KEY_AAD },
        aesKey,
        ciphertext,
      ),
    );
  } catch {
    throw new CryptoError("wrong-passphrase", WRONG_PASSPHRASE_MESSAGE);
  }
}

/**
 * PBKDF2-HMAC-SHA256 over the NFC-normalised UTF-8 passphrase, as an AES-256-GCM key.
 *
 * @param {string} passphrase
 * @param {Uint8Array} salt
 * @param {number} iterations
 * @param {"encrypt" | "decrypt"} usage
 */
async function passphraseKey(passphrase, salt, iterations, usage) {
  const secret = utf8Encode(String(passphrase).normalize("NFC"), "the passphrase");
  const baseKey = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    baseKey,
    { name: "AES-GCM", length: 256 },
    false,
    [usage],
  );
}

/**
 * The same checks and messages as crypto.wrapping._parse_blob.
 *
 * @param {string} blobJson
 */
function parseBlob(blobJson) {
  const fields = blobFields(blobJson, BLOB_FIELDS, BLOB_VERSION, "wrapped key");
  if (fields.kdf !== KDF_NAME) {
    throw keyFormat(`unsupported key derivation; expected '${KDF_NAME}'`);
  }
  const { iterations } = fields;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS_ACCEPTED) {
    throw keyFormat(`iterations must be a whole number up to ${MAX_ITERATIONS_ACCEPTED}`);
  }
  return {
    iterations,
    salt: b64urlField(fields, "salt", SALT_BYTES, "wrapped key"),
    nonce: b64urlField(fields, "nonce", NONCE_BYTES, "wrapped key"),
    ciphertext: b64urlField(fields, "ciphertext", CIPHERTEXT_BYTES, "wrapped key"),
  };
}

/** @param {string} message */
function keyFormat(message) {
  return new CryptoError("key-format", message);
}
