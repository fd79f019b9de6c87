/**
 * Case codes in the browser, byte-for-byte as crypto/case_code.py and crypto/crockford.py.
 *
 * A case code is 100 random bits as 20 Crockford base32 characters, in dashed groups of four (`K7QX-4M2P-9TRH-3WDN-B6VZ`).
 * HKDF-SHA256 (IKM = the 20 canonical characters without dashes, empty salt) derives the
 * lookup token and the reporter's X25519 key, so the server never needs the code itself.
 *
 * @module crypto/case-code
 */

import { asciiBytes, b64urlEncode } from "./encoding.js";
import { CryptoError } from "./errors.js";
import { importPrivateKey, publicKeyBytesOf, publicKeyToText } from "./keys.js";
import { hkdfExpand, hkdfExtract } from "./rfc9180.js";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CASE_CODE_CHARS = 20;
const GROUP_CHARS = 4;
const NOUN = "A case code";
const LOOKUP_TOKEN_INFO = asciiBytes("advisory-line/v1/lookup-token");
const REPORTER_KEY_INFO = asciiBytes("advisory-line/v1/reporter-key");
const DERIVED_BYTES = 32;
// Crockford decoding: letters easily mistaken for digits are read as those digits.
const LOOKALIKES = new Map([["O", "0"], ["I", "1"], ["L", "1"]]);
const SEPARATORS = new Set(["-", "_", "."]);
// Exactly the characters for which Python's str.isspace() is true (JavaScript's \s differs:
// it lacks U+001C..U+001F and U+0085, and adds U+FEFF).
const PYTHON_WHITESPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
    0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
    0x2029, 0x202f, 0x205f, 0x3000,
  ].map((codePoint) => String.fromCodePoint(codePoint)),
);
// Python's str.isprintable() is false for these general categories (other than the space).
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}]$/u;

/**
 * Canonical dashed form of a typed case code. Ignores case, whitespace and `- _ .`; reads
 * O as 0 and I/L as 1. Throws CryptoError "invalid-case-code" whose message, the same
 * English sentence as the server's, is fit to show the person who typed it.
 *
 * @param {string} typed
 * @returns {string}
 */
export function normaliseCaseCode(typed) {
  const chars = [];
  for (const ch of String(typed)) {
    if (PYTHON_WHITESPACE.has(ch) || SEPARATORS.has(ch)) {
      continue;
    }
    let upper = ch.length === 1 && ch.charCodeAt(0) < 0x80 ? ch.toUpperCase() : ch;
    upper = LOOKALIKES.get(upper) ?? upper;
    if (upper.length !== 1 || !ALPHABET.includes(upper)) {
      throw new CryptoError("invalid-case-code", badCharMessage(ch));
    }
    chars.push(upper);
  }
  if (chars.length !== CASE_CODE_CHARS) {
    const count = chars.length === 0 ? "is empty" : `has ${chars.length}`;
    throw new CryptoError(
      "invalid-case-code",
      `${NOUN} has ${CASE_CODE_CHARS} characters; this one ${count}.`,
    );
  }
  return group(chars.join(""));
}

/**
 * A new case code: 100 bits from crypto.getRandomValues, in canonical dashed form.
 *
 * @returns {string}
 */
export function generateCaseCode() {
  // 256 is a multiple of 32, so the low five bits of each random byte are uniform.
  const bytes = crypto.getRandomValues(new Uint8Array(CASE_CODE_CHARS));
  return group(Array.from(bytes, (byte) => ALPHABET[byte & 31]).join(""));
}

/**
 * The lookup token for a case code (crypto.lookup_token), as unpadded base64url.
 *
 * @param {string} code as typed; normalised first
 * @returns {Promise<string>}
 */
export async function lookupTokenFromCode(code) {
  return b64urlEncode(await derive(code, LOOKUP_TOKEN_INFO));
}

/**
 * The reporter's X25519 key pair for a case code (crypto.reporter_private_key): replies are
 * sealed to its public half.
 *
 * @param {string} code as typed; normalised first
 * @returns {Promise<{privateKey: CryptoKey, publicKeyB64url: string}>} the private key is
 *   non-extractable
 */
export async function reporterKeyFromCode(code) {
  const raw = await derive(code, REPORTER_KEY_INFO);
  try {
    const privateKey = await importPrivateKey(raw);
    const publicKeyB64url = publicKeyToText(await publicKeyBytesOf(privateKey));
    return { privateKey, publicKeyB64url };
  } finally {
    raw.fill(0);
  }
}

/**
 * HKDF-SHA256(IKM = canonical code without dashes, salt = empty, info) → 32 bytes.
 *
 * @param {string} code
 * @param {Uint8Array} info
 * @returns {Promise<Uint8Array>}
 */
async function derive(code, info) {
  const ikm = asciiBytes(normaliseCaseCode(code).replaceAll("-", ""));
  const prk = await hkdfExtract(new Uint8Array(0), ikm);
  return hkdfExpand(prk, info, DERIVED_BYTES);
}

/** @param {string} chars */
function group(chars) {
  const groups = [];
  for (let i = 0; i < chars.length; i += GROUP_CHARS) {
    groups.push(chars.slice(i, i + GROUP_CHARS));
  }
  return groups.join("-");
}

/** @param {string} ch */
function badCharMessage(ch) {
  if (NOT_PRINTABLE.test(ch)) {
    return `${NOUN} cannot contain invisible or control characters.`;
  }
  return `${NOUN} cannot contain '${ch}'.`;
}
