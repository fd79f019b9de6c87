/**
 * X25519 keys in WebCrypto: import from raw bytes, the public half of a private key, and key
 * ids. Mirrors crypto/keys.py; key ids and text forms are byte-for-byte the same.
 *
 * @module crypto/keys
 */

import {
  b64urlDecodeOrNull,
  b64urlEncode,
  bytesToHex,
  concatBytes,
  hexToBytes,
} from "./encoding.js";
import { CryptoError } from "./errors.js";

export const KEY_BYTES = 32;
const KEY_ID_CHARS = 16;
const X25519 = { name: "X25519" };
// PKCS#8 PrivateKeyInfo for X25519 (RFC 8410) up to the 32 raw key bytes that follow it.
const PKCS8_X25519_PREFIX = hexToBytes("302e020100300506032b656e04220420");
// The X25519 base point u = 9 (RFC 7748): X25519(k, 9) is the public key for private key k.
const BASE_POINT = new Uint8Array(KEY_BYTES);
BASE_POINT[0] = 9;

/** Public halves already computed, so each private key costs one scalar multiplication. */
const publicKeyCache = new WeakMap();

/**
 * A WebCrypto X25519 public key from its 32 raw bytes.
 *
 * @param {Uint8Array} raw
 * @returns {Promise<CryptoKey>}
 */
export async function importPublicKey(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== KEY_BYTES) {
    throw new CryptoError(
      "key-format",
      `a public key is ${KEY_BYTES} bytes (43 base64url characters); this one is ${raw?.length}`,
    );
  }
  return crypto.subtle.importKey("raw", raw, X25519, true, []);
}

/**
 * The 32 raw bytes of a public key from its text form (crypto.public_key_to_text).
 *
 * @param {string} text unpadded base64url, 43 characters
 * @returns {Uint8Array}
 */
export function publicKeyFromText(text) {
  const raw = b64urlDecodeOrNull(text);
  if (raw === null) {
    throw new CryptoError("key-format", "a public key must be unpadded base64url text");
  }
  if (raw.length !== KEY_BYTES) {
    throw new CryptoError(
      "key-format",
      `a public key is ${KEY_BYTES} bytes (43 base64url characters); this one is ${raw.length}`,
    );
  }
  return raw;
}

/**
 * A WebCrypto X25519 private key (usable for deriveBits) from its 32 raw bytes, via PKCS#8.
 * Any 32 bytes are a key: X25519 clamps at use, exactly as `cryptography` does.
 *
 * @param {Uint8Array} raw
 * @param {{extractable?: boolean}} [options] non-extractable unless asked otherwise
 * @returns {Promise<CryptoKey>}
 */
export async function importPrivateKey(raw, { extractable = false } = {}) {
  if (!(raw instanceof Uint8Array) || raw.length !== KEY_BYTES) {
    throw new CryptoError(
      "key-format",
      `a private key is ${KEY_BYTES} bytes; this one is ${raw?.length}`,
    );
  }
  const pkcs8 = concatBytes(PKCS8_X25519_PREFIX, raw);
  try {
    return await crypto.subtle.importKey("pkcs8", pkcs8, X25519, extractable, ["deriveBits"]);
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * X25519(privateKey, publicKey): the 32-byte Diffie-Hellman output. WebCrypto refuses
 * an all-zero result (a low-order public key) with an OperationError.
 *
 * @param {CryptoKey} privateKey
 * @param {CryptoKey} publicKey
 * @returns {Promise<Uint8Array>}
 */
export async function x25519(privateKey, publicKey) {
  const bits = await crypto.subtle.deriveBits(
    { name: "X25519", public: publicKey },
    privateKey,
    8 * KEY_BYTES,
  );
  return new Uint8Array(bits);
}

/**
 * The raw public key of an X25519 private key, extractable or not.
 *
 * WebCrypto has no "public key of this private key" call, and a non-extractable key cannot
 * be exported; but the public key is X25519(k, 9), which deriveBits computes for any key.
 *
 * @param {CryptoKey} privateKey
 * @returns {Promise<Uint8Array>}
 */
export async function publicKeyBytesOf(privateKey) {
  checkPrivateKey(privateKey);
  let publicKey = publicKeyCache.get(privateKey);
  if (publicKey === undefined) {
    publicKey = await x25519(privateKey, await importPublicKey(BASE_POINT));
    publicKeyCache.set(privateKey, publicKey);
  }
  return publicKey.slice();
}

/**
 * Key id: the first 16 lowercase hex characters of SHA-256(raw public key), same as
 * crypto.key_id_for. It names a key in envelopes; it is not a security boundary.
 *
 * @param {Uint8Array} publicKeyRaw
 * @returns {Promise<string>}
 */
export async function keyIdFor(publicKeyRaw) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", publicKeyRaw));
  return bytesToHex(digest).slice(0, KEY_ID_CHARS);
}

/**
 * The text form of a raw public key: unpadded base64url (crypto.public_key_to_text).
 *
 * @param {Uint8Array} publicKeyRaw
 * @returns {string}
 */
export function publicKeyToText(publicKeyRaw) {
  return b64urlEncode(publicKeyRaw);
}

/**
 * Refuse anything but an X25519 private CryptoKey that may derive bits, with a clear message.
 *
 * @param {unknown} key
 */
export function checkPrivateKey(key) {
  const ok =
    key instanceof CryptoKey &&
    key.type === "private" &&
    key.algorithm.name === "X25519" &&
    key.usages.includes("deriveBits");
  if (!ok) {
    throw new CryptoError(
      "key-format",
      "expected an X25519 private CryptoKey with the 'deriveBits' usage",
    );
  }
}
