/**
 * Line-key grants, byte-for-byte as crypto/grants.py: a line's private key sealed to one
 * lawyer's own public key, text form `g1.<lawyer public key id>.<base64url(enc || ct)>`.
 *
 * HPKE base mode seals the 32 raw line private key bytes; `info` binds the line key id and
 * the staff id. A lawyer opens their grant with their unwrapped private key and gets the
 * line key as a non-extractable key; to grant a colleague, or to hand a new line key to
 * every holder, the raw bytes exist only inside one call here.
 *
 * @module crypto/grants
 */

import { asciiBytes, b64urlDecodeOrNull, b64urlEncode, concatBytes } from "./encoding.js";
import { CryptoError } from "./errors.js";
import {
  KEY_BYTES,
  checkPrivateKey,
  importPrivateKey,
  keyIdFor,
  publicKeyBytesOf,
  publicKeyFromText,
  publicKeyToText,
} from "./keys.js";
import { N_ENC, N_T, openPayload, setupBaseS } from "./rfc9180.js";
import { checkStaffId } from "./staff-credentials.js";

export const GRANT_VERSION = "g1";
const GRANT_INFO_LABEL = asciiBytes("advisory-line/v1/line-key-grant");
const RECOVERY_HOLDER = asciiBytes("recovery");
const GRANT_PAYLOAD_BYTES = N_ENC + KEY_BYTES + N_T;
// "g1." + 16 hex + "." + base64url of 80 bytes: every grant has exactly this length.
const GRANT_CHARS = GRANT_VERSION.length + 1 + 16 + 1 + Math.ceil((GRANT_PAYLOAD_BYTES * 4) / 3);
const KEY_ID = /^[0-9a-f]{16}$/;
const ZERO = Uint8Array.of(0);
const EMPTY_AAD = new Uint8Array(0);

/**
 * HPKE info of a grant: label || 0 || line key id || 0 || staff id.
 *
 * @param {string} lineKeyId
 * @param {number} staffId
 * @returns {Uint8Array}
 */
export function grantInfo(lineKeyId, staffId) {
  if (typeof lineKeyId !== "string" || !KEY_ID.test(lineKeyId)) {
    throw new RangeError("a line key id is 16 lowercase hex characters");
  }
  const staff = asciiBytes(String(checkStaffId(staffId)));
  return concatBytes(GRANT_INFO_LABEL, ZERO, asciiBytes(lineKeyId), ZERO, staff);
}

/**
 * HPKE info of a recovery grant (crypto.grants.recovery_grant_info).
 *
 * @param {string} lineKeyId
 * @returns {Uint8Array}
 */
export function recoveryGrantInfo(lineKeyId) {
  if (typeof lineKeyId !== "string" || !KEY_ID.test(lineKeyId)) {
    throw new RangeError("a line key id is 16 lowercase hex characters");
  }
  return concatBytes(GRANT_INFO_LABEL, ZERO, asciiBytes(lineKeyId), ZERO, RECOVERY_HOLDER);
}

/**
 * Seal raw line private key bytes to one lawyer's public key (crypto.seal_grant).
 *
 * @param {Uint8Array} linePrivateKeyRaw the 32 raw bytes; the caller zeroes them
 * @param {number} staffId the lawyer the grant is for
 * @param {string} staffPublicKeyB64url that lawyer's public key text
 * @param {{ephemeralSecretForTests?: Uint8Array}} [options] a fixed ephemeral secret, for
 *   known-answer tests only: reusing one breaks HPKE's security
 * @returns {Promise<string>} the grant text
 */
export async function sealGrant(linePrivateKeyRaw, staffId, staffPublicKeyB64url, options = {}) {
  if (!(linePrivateKeyRaw instanceof Uint8Array) || linePrivateKeyRaw.length !== KEY_BYTES) {
    throw new CryptoError("key-format", `a private key is ${KEY_BYTES} bytes`);
  }
  const lineKey = await importPrivateKey(linePrivateKeyRaw);
  const info = grantInfo(await keyIdFor(await publicKeyBytesOf(lineKey)), staffId);
  return sealWithInfo(linePrivateKeyRaw, staffPublicKeyB64url, info, options);
}

/**
 * Seal raw line private key bytes to the recovery public key (crypto.seal_recovery_grant).
 *
 * @param {Uint8Array} linePrivateKeyRaw the 32 raw bytes; the caller zeroes them
 * @param {string} recoveryPublicKeyB64url the line's recovery public key text
 * @returns {Promise<string>} the grant text
 */
export async function sealRecoveryGrant(linePrivateKeyRaw, recoveryPublicKeyB64url) {
  if (!(linePrivateKeyRaw instanceof Uint8Array) || linePrivateKeyRaw.length !== KEY_BYTES) {
    throw new CryptoError("key-format", `a private key is ${KEY_BYTES} bytes`);
  }
  const lineKey = await importPrivateKey(linePrivateKeyRaw);
  const info = recoveryGrantInfo(await keyIdFor(await publicKeyBytesOf(lineKey)));
  return sealWithInfo(linePrivateKeyRaw, recoveryPublicKeyB64url, info, {});
}

/**
 * @param {Uint8Array} linePrivateKeyRaw
 * @param {string} publicKeyB64url
 * @param {Uint8Array} info
 * @param {{ephemeralSecretForTests?: Uint8Array}} options
 */
async function sealWithInfo(linePrivateKeyRaw, publicKeyB64url, info, options) {
  const staffPublicKeyRaw = publicKeyFromText(publicKeyB64url);
  let sender;
  try {
    sender = await setupBaseS(staffPublicKeyRaw, info, options.ephemeralSecretForTests);
  } catch {
    // WebCrypto refuses low-order points (an all-zero shared secret), as OpenSSL does.
    throw new CryptoError("key-format", "cannot seal to this public key: not a usable X25519 key");
  }
  const ciphertext = await sender.context.seal(EMPTY_AAD, linePrivateKeyRaw);
  const payload = b64urlEncode(concatBytes(sender.enc, ciphertext));
  return `${GRANT_VERSION}.${await keyIdFor(staffPublicKeyRaw)}.${payload}`;
}

/**
 * Open a grant (crypto.open_grant): the line key, as a non-extractable key.
 *
 * @param {string} grant
 * @param {string} lineKeyId the line key the grant is expected to hold
 * @param {number} staffId the lawyer opening it
 * @param {CryptoKey} staffPrivateKey that lawyer's unwrapped private key
 * @returns {Promise<CryptoKey>}
 * @throws {CryptoError} "key-format" for a malformed grant, "unknown-key-id" if it was
 *   sealed to another key, "decryption-failed" for another lawyer, another line key or
 *   altered data, or a grant holding another key than `lineKeyId`
 */
export async function openGrant(grant, lineKeyId, staffId, staffPrivateKey) {
  const raw = await openRaw(grant, lineKeyId, staffId, staffPrivateKey);
  try {
    return await importPrivateKey(raw);
  } finally {
    raw.fill(0);
  }
}

/**
 * Seal the line key of one's own grant to a colleague, after both compared the colleague's
 * fingerprint. The raw line key exists only inside this call.
 *
 * @param {string} ownGrant the granting lawyer's grant
 * @param {string} lineKeyId
 * @param {number} ownStaffId
 * @param {CryptoKey} ownPrivateKey the granting lawyer's unwrapped private key
 * @param {number} colleagueStaffId
 * @param {string} colleaguePublicKeyB64url
 * @returns {Promise<string>} the colleague's grant
 */
export async function grantToColleague(
  ownGrant,
  lineKeyId,
  ownStaffId,
  ownPrivateKey,
  colleagueStaffId,
  colleaguePublicKeyB64url,
) {
  const raw = await openRaw(ownGrant, lineKeyId, ownStaffId, ownPrivateKey);
  try {
    return await sealGrant(raw, colleagueStaffId, colleaguePublicKeyB64url);
  } finally {
    raw.fill(0);
  }
}

/**
 * A new line key for a rotation, sealed at once to every holder and to the recovery public
 * key; this browser keeps it only as a non-extractable key.
 *
 * @param {Array<{staffId: number, publicKey: string}>} holders
 * @param {string} recoveryPublicKey the line's recovery public key text
 * @returns {Promise<{privateKey: CryptoKey, publicKey: string, keyId: string,
 *   grants: Array<{staffId: number, grant: string}>, recoveryGrant: string}>}
 */
export async function createLineKey(holders, recoveryPublicKey) {
  // Any 32 random bytes are an X25519 private key (clamped at use), as in `cryptography`.
  const raw = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  try {
    const grants = [];
    for (const { staffId, publicKey } of holders) {
      grants.push({ staffId, grant: await sealGrant(raw, staffId, publicKey) });
    }
    const recoveryGrant = await sealRecoveryGrant(raw, recoveryPublicKey);
    const privateKey = await importPrivateKey(raw);
    const publicKeyRaw = await publicKeyBytesOf(privateKey);
    return {
      privateKey,
      publicKey: publicKeyToText(publicKeyRaw),
      keyId: await keyIdFor(publicKeyRaw),
      grants,
      recoveryGrant,
    };
  } finally {
    raw.fill(0);
  }
}

/**
 * Split and check grant text without opening it (same checks and messages as
 * crypto.parse_grant).
 *
 * @param {string} grant
 * @returns {{keyId: string, payload: Uint8Array}}
 */
export function parseGrant(grant) {
  if (typeof grant !== "string" || grant.length !== GRANT_CHARS) {
    throw keyFormat(`a grant is text of ${GRANT_CHARS} characters`);
  }
  const parts = grant.split(".");
  if (parts.length !== 3 || parts[0] !== GRANT_VERSION) {
    throw keyFormat("a grant has the form g1.<key-id>.<payload>");
  }
  const [, keyId, payloadText] = parts;
  if (!KEY_ID.test(keyId)) {
    throw keyFormat("a grant key id is 16 lowercase hex characters");
  }
  const payload = b64urlDecodeOrNull(payloadText);
  if (payload === null) {
    throw keyFormat("grant payload is not unpadded base64url");
  }
  if (payload.length !== GRANT_PAYLOAD_BYTES) {
    throw keyFormat(`a grant payload is ${GRANT_PAYLOAD_BYTES} bytes`);
  }
  return { keyId, payload };
}

/**
 * @param {string} grant
 * @param {string} lineKeyId
 * @param {number} staffId
 * @param {CryptoKey} staffPrivateKey
 * @returns {Promise<Uint8Array>} the 32 raw line key bytes; the caller zeroes them
 */
async function openRaw(grant, lineKeyId, staffId, staffPrivateKey) {
  const info = grantInfo(lineKeyId, staffId);
  const { keyId, payload } = parseGrant(grant);
  checkPrivateKey(staffPrivateKey);
  if ((await keyIdFor(await publicKeyBytesOf(staffPrivateKey))) !== keyId) {
    throw new CryptoError("unknown-key-id", `no private key for key id '${keyId}'`);
  }
  const raw = await openPayload(payload, staffPrivateKey, info);
  // Anyone with the lawyer's public key can seal a grant: it must hold the named line key.
  const lineKey = await importPrivateKey(raw);
  if ((await keyIdFor(await publicKeyBytesOf(lineKey))) !== lineKeyId) {
    raw.fill(0);
    throw new CryptoError("decryption-failed", `the grant does not hold line key '${lineKeyId}'`);
  }
  return raw;
}

/** @param {string} message */
function keyFormat(message) {
  return new CryptoError("key-format", message);
}
