/**
 * Length-hiding padding applied before sealing, byte-for-byte as crypto/padding.py:
 * 4-byte big-endian length || plaintext || zero bytes, up to the next multiple of 256.
 *
 * @module crypto/padding
 */

import { CryptoError } from "./errors.js";

export const BLOCK_BYTES = 256;
const PREFIX_BYTES = 4;

/**
 * Total padded size for a plaintext of this length (0 → 256, 252 → 256, 253 → 512).
 *
 * @param {number} plaintextLength
 * @returns {number}
 */
export function paddedLength(plaintextLength) {
  return Math.ceil((PREFIX_BYTES + plaintextLength) / BLOCK_BYTES) * BLOCK_BYTES;
}

/**
 * Prefix the length and zero-fill to a whole number of blocks.
 *
 * @param {Uint8Array} plaintext
 * @returns {Uint8Array}
 */
export function pad(plaintext) {
  const padded = new Uint8Array(paddedLength(plaintext.length));
  new DataView(padded.buffer).setUint32(0, plaintext.length);
  padded.set(plaintext, PREFIX_BYTES);
  return padded;
}

/**
 * Undo `pad`, refusing anything `pad` could not have produced (same messages as Python).
 *
 * @param {Uint8Array} padded
 * @returns {Uint8Array}
 */
export function unpad(padded) {
  if (padded.length < PREFIX_BYTES) {
    throw new CryptoError("padding", "padded data is shorter than its length prefix");
  }
  const view = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
  const length = view.getUint32(0);
  if (padded.length !== paddedLength(length)) {
    throw new CryptoError("padding", "padded data has the wrong size for its length prefix");
  }
  const end = PREFIX_BYTES + length;
  if (!padded.subarray(end).every((byte) => byte === 0)) {
    throw new CryptoError("padding", "padding bytes are not all zero");
  }
  return padded.slice(PREFIX_BYTES, end);
}
