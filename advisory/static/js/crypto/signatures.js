/**
 * Lawyers sign their replies, byte-for-byte as crypto/signatures.py.
 *
 * The Ed25519 signing key is derived from the lawyer's own X25519 private key with HKDF-SHA256
 * (info `advisory-line/v1/staff-signing-key`), so it needs no wrap of its own. It is imported
 * here as a non-extractable key; the seed exists only inside `signingKeyFromOwnRaw`. A reply is
 * signed over `advisory-line/v1/reply-signature 0 <line slug> 0 <case reference> 0 <envelope>`,
 * so a signature cannot be moved to another reply or case.
 *
 * @module crypto/signatures
 */

import { asciiBytes, b64urlEncode, concatBytes, hexToBytes } from "./encoding.js";

const SIGNING_KEY_INFO = asciiBytes("advisory-line/v1/staff-signing-key");
const REPLY_SIGNATURE_LABEL = asciiBytes("advisory-line/v1/reply-signature");
// PKCS #8 for an Ed25519 private key (RFC 8410): this header, then the 32-byte seed.
const PKCS8_PREFIX = hexToBytes("302e020100300506032b657004220420");
const ZERO = Uint8Array.of(0);

/**
 * The signing key of a lawyer whose own raw private key is at hand (only inside the calls
 * that unwrap or make it).
 *
 * @param {Uint8Array} ownRaw the 32 raw bytes of the lawyer's X25519 private key
 * @returns {Promise<{signingKey: CryptoKey, signingPublicKey: string}>} the key,
 *   non-extractable, and its public half as 43 base64url characters
 */
export async function signingKeyFromOwnRaw(ownRaw) {
  const hkdf = await crypto.subtle.importKey("raw", ownRaw, "HKDF", false, ["deriveBits"]);
  const seed = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: SIGNING_KEY_INFO },
      hkdf,
      256,
    ),
  );
  const pkcs8 = concatBytes(PKCS8_PREFIX, seed);
  try {
    // Extractable once, only to read the public half (WebCrypto cannot derive it otherwise).
    const readable = await crypto.subtle.importKey("pkcs8", pkcs8, "Ed25519", true, ["sign"]);
    const { x } = await crypto.subtle.exportKey("jwk", readable);
    const signingKey = await crypto.subtle.importKey("pkcs8", pkcs8, "Ed25519", false, ["sign"]);
    return { signingKey, signingPublicKey: String(x) };
  } finally {
    seed.fill(0);
    pkcs8.fill(0);
  }
}

/**
 * @param {CryptoKey} signingKey
 * @param {string} lineSlug
 * @param {string} caseReference
 * @param {string} envelope the reply sealed to the reporter
 * @returns {Promise<string>} the signature, 86 base64url characters
 */
export async function signReply(signingKey, lineSlug, caseReference, envelope) {
  const signed = concatBytes(
    REPLY_SIGNATURE_LABEL,
    ZERO,
    asciiBytes(lineSlug),
    ZERO,
    asciiBytes(caseReference),
    ZERO,
    asciiBytes(envelope),
  );
  return b64urlEncode(new Uint8Array(await crypto.subtle.sign("Ed25519", signingKey, signed)));
}
