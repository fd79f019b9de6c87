/**
 * Fingerprints of public keys, byte-for-byte as crypto.fingerprint: what two colleagues read
 * to each other by phone before one grants the other the line key.
 *
 * SHA-256("advisory-line/v1/fingerprint" || 0x00 || raw public key); the first 80 bits as
 * 16 Crockford base32 characters, in dashed groups of four, such as `7H2K-9QXW-4MDN-B6VZ`.
 *
 * @module crypto/fingerprint
 */

import { asciiBytes, concatBytes } from "./encoding.js";
import { publicKeyFromText } from "./keys.js";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const FINGERPRINT_LABEL = asciiBytes("advisory-line/v1/fingerprint");
const FINGERPRINT_CHARS = 16; // 80 bits
const GROUP_CHARS = 4;

/**
 * The fingerprint of a public key.
 *
 * @param {string} publicKeyB64url the key's text form (crypto.public_key_to_text)
 * @returns {Promise<string>} e.g. "7K2Q-M9XD-4RTP-HN3B"
 * @throws {CryptoError} "key-format" if the text is not a public key
 */
export async function fingerprintOf(publicKeyB64url) {
  const raw = publicKeyFromText(publicKeyB64url);
  const input = concatBytes(FINGERPRINT_LABEL, Uint8Array.of(0), raw);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  let bits = 0n;
  for (const byte of digest.subarray(0, (FINGERPRINT_CHARS * 5) / 8)) {
    bits = (bits << 8n) | BigInt(byte);
  }
  const chars = [];
  for (let i = 0; i < FINGERPRINT_CHARS; i += 1) {
    chars.unshift(ALPHABET[Number(bits & 31n)]);
    bits >>= 5n;
  }
  const groups = [];
  for (let i = 0; i < FINGERPRINT_CHARS; i += GROUP_CHARS) {
    groups.push(chars.slice(i, i + GROUP_CHARS).join(""));
  }
  return groups.join("-");
}
