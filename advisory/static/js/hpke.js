/**
 * Advisory Line's browser cryptography: the one module pages import.
 *
 * It produces and reads exactly the bytes the server's `crypto` package does: sealed
 * envelopes (HPKE, RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
 * AES-128-GCM), case-code derivations, passphrase-wrapped line keys, and the staff key
 * custody: the password split, lawyers' own wrapped keys and line-key grants. Everything
 * runs on WebCrypto; there are no dependencies and no build step. Each part lives in
 * `./crypto/`, beside the Python module of the same name:
 *
 *   crypto/envelope.js   seal / open envelope text, v1 and v2 (crypto/envelope.py)
 *   crypto/padding.js    length-hiding padding               (crypto/padding.py)
 *   crypto/case-code.js  case codes, lookup token, reporter key (crypto/case_code.py)
 *   crypto/wrapping.js   unwrap or re-wrap a wrapped key     (crypto/wrapping.py)
 *   crypto/staff-credentials.js  password split into auth key and wrapping key; a
 *                        lawyer's own key pair, wrapped      (crypto/staff_credentials.py)
 *   crypto/fingerprint.js  a public key's fingerprint, to compare by phone
 *                                                            (crypto/staff_credentials.py)
 *   crypto/grants.js     the line key sealed to a lawyer's key (crypto/grants.py)
 *   crypto/keys.js       X25519 keys and key ids             (crypto/keys.py)
 *   crypto/encoding.js   strict base64url, UTF-8, hex        (crypto/encoding.py)
 *   crypto/rfc9180.js    HPKE itself, checked against the RFC's test vectors
 *
 * Usage:
 *
 *   import { isSupported, seal } from "/static/js/hpke.js";
 *   if (await isSupported()) {
 *     form.narrative.value = await seal("narrative", text, linePublicKey);
 *   }
 *
 * @module hpke
 */

import { envelopeContext } from "./crypto/envelope.js";
import { publicKeyBytesOf } from "./crypto/keys.js";

export { CryptoError } from "./crypto/errors.js";
export {
  DIRECTIONS,
  MAX_PLAINTEXT_BYTES,
  PURPOSES,
  envelopeContext,
  open,
  openText,
  seal,
} from "./crypto/envelope.js";
export {
  generateCaseCode,
  lookupTokenFromCode,
  normaliseCaseCode,
  reporterKeyFromCode,
} from "./crypto/case-code.js";
export {
  grantFromPasswordWrap,
  rewrapPrivateKey,
  unwrapPrivateKey,
} from "./crypto/wrapping.js";
export {
  STAFF_KDF_ITERATIONS,
  createStaffKey,
  deriveStaffCredentials,
  normaliseUsername,
  rewrapStaffPrivateKey,
  unwrapStaffKeys,
  unwrapStaffPrivateKey,
} from "./crypto/staff-credentials.js";
export { signReply } from "./crypto/signatures.js";
export { fingerprintOf } from "./crypto/fingerprint.js";
export { createLineKey, grantToColleague, openGrant } from "./crypto/grants.js";

// Lower-level pieces, for the known-answer tests and for callers that hold raw keys.
export { infoFor, parseEnvelope } from "./crypto/envelope.js";
export { staffSalt, wrapStaffPrivateKey } from "./crypto/staff-credentials.js";
export { grantInfo, parseGrant, sealGrant } from "./crypto/grants.js";
export { importPrivateKey, keyIdFor, publicKeyBytesOf } from "./crypto/keys.js";
export {
  Context,
  HPKE_SUITE_ID,
  KEM_SUITE_ID,
  decap,
  encap,
  keySchedule,
  labeledExpand,
  labeledExtract,
  setupBaseR,
  setupBaseS,
} from "./crypto/rfc9180.js";

/**
 * Where the envelopes of a page belong: the line and case its element names
 * (`data-line-slug`, `data-reference`), in one direction. Every envelope a page seals is
 * bound to it (version 2), and one moved to another case or direction does not open.
 *
 * @param {HTMLElement} element
 * @param {string} direction one of DIRECTIONS
 */
export function contextOf(element, direction) {
  const { lineSlug = "", reference = "" } = element.dataset;
  return envelopeContext(lineSlug, reference, direction);
}

/** @type {Promise<boolean> | undefined} */
let support;

/**
 * Whether this browser can seal and open here: a secure context (HTTPS, .onion, or
 * 127.0.0.1/localhost) whose WebCrypto has X25519. Pages fall back to the no-JavaScript
 * path, and say so, when it resolves to false. Never rejects.
 *
 * @returns {Promise<boolean>}
 */
export function isSupported() {
  support ??= probe();
  return support;
}

async function probe() {
  if (!globalThis.isSecureContext || !globalThis.crypto?.subtle) {
    return false;
  }
  if (typeof String.prototype.isWellFormed !== "function") {
    return false;
  }
  try {
    const pair = await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
    await publicKeyBytesOf(pair.privateKey);
    return true;
  } catch {
    return false;
  }
}
