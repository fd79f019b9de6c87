/**
 * The one error type the crypto modules throw, mirroring crypto/errors.py.
 *
 * `code` tells callers what went wrong without parsing messages; messages match the Python
 * side's where both sides can fail the same way. Like there, no message ever carries
 * plaintext, a passphrase or key material.
 *
 * @module crypto/errors
 */

/** Same text as crypto.errors.DECRYPTION_FAILED_MESSAGE. */
export const DECRYPTION_FAILED_MESSAGE =
  "could not decrypt: wrong key, wrong purpose or altered data";

/** Same text as crypto.errors.WrongPassphrase. */
export const WRONG_PASSPHRASE_MESSAGE =
  "could not unwrap the key: wrong passphrase or altered data";

/**
 * @typedef {"malformed-envelope" | "unknown-key-id" | "decryption-failed" | "padding"
 *   | "unknown-purpose" | "plaintext-too-large" | "key-format" | "invalid-text"
 *   | "invalid-case-code" | "wrong-passphrase" | "message-limit" | "invalid-context"} CryptoErrorCode
 */

export class CryptoError extends Error {
  /**
   * @param {CryptoErrorCode} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = "CryptoError";
    /** @type {CryptoErrorCode} */
    this.code = code;
  }
}
