/**
 * Byte and text encodings shared by the crypto modules, mirroring crypto/encoding.py.
 *
 * Base64url is always unpadded and decoded strictly, so each byte string has exactly one
 * text form on both sides.
 *
 * @module crypto/encoding
 */

import { CryptoError } from "./errors.js";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const B64URL_CHARS = /^[A-Za-z0-9_-]*$/;
// String.fromCharCode takes its bytes as arguments; stay far below engine argument limits.
const CHUNK_BYTES = 0x8000;

/**
 * UTF-8 bytes of a string, refusing unpaired surrogates as Python's `utf8()` does (a
 * TextEncoder would silently turn them into U+FFFD and seal something else than was typed).
 *
 * @param {string} text
 * @param {string} what names the text in the error, e.g. "plaintext"
 * @returns {Uint8Array}
 */
export function utf8Encode(text, what) {
  if (typeof text !== "string") {
    throw new TypeError(`${what} must be a string`);
  }
  if (!text.isWellFormed()) {
    throw new CryptoError(
      "invalid-text",
      `${what} is not valid text (it contains unpaired surrogates)`,
    );
  }
  return encoder.encode(text);
}

/**
 * Decode UTF-8, refusing invalid sequences instead of replacing them.
 *
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function utf8Decode(bytes) {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new CryptoError("invalid-text", "decrypted data is not valid UTF-8 text");
  }
}

/**
 * ASCII bytes of a fixed label such as "HPKE-v1".
 *
 * @param {string} label
 * @returns {Uint8Array}
 */
export function asciiBytes(label) {
  return encoder.encode(label);
}

/**
 * Base64url without padding, same as crypto.encoding.b64url_encode.
 *
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function b64urlEncode(bytes) {
  let binary = "";
  for (let start = 0; start < bytes.length; start += CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(start, start + CHUNK_BYTES));
  }
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Decode unpadded base64url, refusing anything but its one canonical spelling
 * (same rules as crypto.encoding.b64url_decode).
 *
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {SyntaxError} on anything else; callers turn it into an error that names the field
 */
export function b64urlDecode(text) {
  if (typeof text !== "string" || !B64URL_CHARS.test(text) || text.length % 4 === 1) {
    throw new SyntaxError("not unpadded base64url text");
  }
  const standard = text.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(standard + "=".repeat((4 - (text.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  if (b64urlEncode(bytes) !== text) {
    throw new SyntaxError("not canonical base64url text");
  }
  return bytes;
}

/**
 * `text` decoded if it is unpadded base64url, else null (as crypto.encoding.b64url_decode_or_none),
 * so that callers throw the error their format names.
 *
 * @param {unknown} text
 * @returns {Uint8Array | null}
 */
export function b64urlDecodeOrNull(text) {
  try {
    return b64urlDecode(/** @type {string} */ (text));
  } catch {
    return null;
  }
}

/**
 * Lowercase hex, as Python's `bytes.hex()`.
 *
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function bytesToHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Parse hex (either case), as Python's `bytes.fromhex()` without whitespace.
 *
 * @param {string} hex
 * @returns {Uint8Array}
 */
export function hexToBytes(hex) {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new SyntaxError("not hex text");
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

/**
 * Concatenate byte strings.
 *
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * I2OSP from RFC 8017: a non-negative integer as `length` big-endian bytes.
 *
 * @param {number} value a safe integer
 * @param {number} length
 * @returns {Uint8Array}
 */
export function i2osp(value, length) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError("I2OSP takes a non-negative safe integer");
  }
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0 && rest > 0; i -= 1) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  if (rest > 0) {
    throw new RangeError(`${value} does not fit in ${length} bytes`);
  }
  return out;
}

/**
 * A JSON blob's field that must be exactly `size` bytes of base64url (as
 * crypto.encoding.b64url_field; the same message).
 *
 * @param {Record<string, unknown>} fields
 * @param {string} name
 * @param {number} size
 * @param {string} what names the blob in the error
 * @returns {Uint8Array}
 */
export function b64urlField(fields, name, size, what) {
  const raw = b64urlDecodeOrNull(fields[name]);
  if (raw === null || raw.length !== size) {
    const message = `${what} field '${name}' must be ${size} bytes of base64url`;
    throw new CryptoError("key-format", message);
  }
  return raw;
}

/**
 * The fields of a JSON blob that must be an object with exactly the fields `names` (sorted)
 * and the version `version` in `v`; the same checks and messages as the `_parse_blob`
 * functions of crypto.wrapping and crypto.staff_credentials.
 *
 * @param {string} blobJson
 * @param {string[]} names
 * @param {number} version
 * @param {string} what names the blob in the error, e.g. "wrapped key"
 * @returns {Record<string, unknown>}
 */
export function blobFields(blobJson, names, version, what) {
  let fields;
  try {
    fields = JSON.parse(blobJson);
  } catch {
    throw new CryptoError("key-format", `a ${what} must be JSON text`);
  }
  const isObject = fields !== null && typeof fields === "object" && !Array.isArray(fields);
  if (!isObject || Object.keys(fields).sort().join() !== names.join()) {
    throw new CryptoError("key-format", `a ${what} has exactly the fields ${names.join(", ")}`);
  }
  if (fields.v !== version) {
    throw new CryptoError("key-format", `unsupported ${what} version; expected ${version}`);
  }
  return fields;
}
