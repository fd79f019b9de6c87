/**
 * HPKE (RFC 9180), base mode, for the one suite Advisory Line uses:
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM (0x0020 / 0x0001 / 0x0001),
 * the same suite crypto/envelope.py uses through `cryptography`.
 *
 * Only WebCrypto primitives underneath: X25519 deriveBits, HMAC-SHA256 and AES-GCM. Names
 * follow the RFC's pseudocode so each function can be read beside its section.
 *
 * @module crypto/rfc9180
 */

import { asciiBytes, concatBytes, i2osp } from "./encoding.js";
import { CryptoError, DECRYPTION_FAILED_MESSAGE } from "./errors.js";
import { importPrivateKey, importPublicKey, publicKeyBytesOf, x25519 } from "./keys.js";

const KEM_ID = 0x0020; // DHKEM(X25519, HKDF-SHA256)
const KDF_ID = 0x0001; // HKDF-SHA256
const AEAD_ID = 0x0001; // AES-128-GCM
const MODE_BASE = 0x00;

/** Sizes from RFC 9180 section 7: shared secret, enc, AEAD key, nonce, tag, hash. */
export const N_SECRET = 32;
export const N_ENC = 32;
export const N_K = 16;
export const N_N = 12;
export const N_T = 16;
export const N_H = 32;

/** suite_id of the KEM (section 4.1) and of HPKE as a whole (section 5.1). */
export const KEM_SUITE_ID = concatBytes(asciiBytes("KEM"), i2osp(KEM_ID, 2));
export const HPKE_SUITE_ID = concatBytes(
  asciiBytes("HPKE"),
  i2osp(KEM_ID, 2),
  i2osp(KDF_ID, 2),
  i2osp(AEAD_ID, 2),
);

const HPKE_VERSION = asciiBytes("HPKE-v1");
const EMPTY = new Uint8Array(0);

// --- HKDF-SHA256 (RFC 5869) -------------------------------------------------------------

/**
 * @param {Uint8Array} key
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
async function hmacSha256(key, data) {
  // HMAC zero-pads its key to the block size, so an empty key is the same key as N_H zero
  // bytes (which is what RFC 5869 asks for an absent salt); WebCrypto refuses empty keys.
  const keyBytes = key.length === 0 ? new Uint8Array(N_H) : key;
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    keyBytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, data));
}

/**
 * HKDF-Extract(salt, ikm) → 32-byte pseudorandom key.
 *
 * @param {Uint8Array} salt empty for "no salt"
 * @param {Uint8Array} ikm
 * @returns {Promise<Uint8Array>}
 */
export function hkdfExtract(salt, ikm) {
  return hmacSha256(salt, ikm);
}

/**
 * HKDF-Expand(prk, info, length).
 *
 * @param {Uint8Array} prk
 * @param {Uint8Array} info
 * @param {number} length at most 255 * 32 bytes
 * @returns {Promise<Uint8Array>}
 */
export async function hkdfExpand(prk, info, length) {
  if (!Number.isInteger(length) || length < 0 || length > 255 * N_H) {
    throw new RangeError(`HKDF-SHA256 cannot expand to ${length} bytes`);
  }
  const okm = new Uint8Array(length);
  let block = EMPTY;
  for (let counter = 1, filled = 0; filled < length; counter += 1) {
    block = await hmacSha256(prk, concatBytes(block, info, Uint8Array.of(counter)));
    okm.set(block.subarray(0, length - filled), filled);
    filled += block.length;
  }
  return okm;
}

// --- Labeled KDF (section 4) ------------------------------------------------------------

/**
 * LabeledExtract(salt, label, ikm) under a suite id.
 *
 * @param {Uint8Array} suiteId KEM_SUITE_ID or HPKE_SUITE_ID
 * @param {Uint8Array} salt
 * @param {string} label
 * @param {Uint8Array} ikm
 * @returns {Promise<Uint8Array>}
 */
export function labeledExtract(suiteId, salt, label, ikm) {
  const labeledIkm = concatBytes(HPKE_VERSION, suiteId, asciiBytes(label), ikm);
  return hkdfExtract(salt, labeledIkm);
}

/**
 * LabeledExpand(prk, label, info, L) under a suite id.
 *
 * @param {Uint8Array} suiteId KEM_SUITE_ID or HPKE_SUITE_ID
 * @param {Uint8Array} prk
 * @param {string} label
 * @param {Uint8Array} info
 * @param {number} length
 * @returns {Promise<Uint8Array>}
 */
export function labeledExpand(suiteId, prk, label, info, length) {
  const labeledInfo = concatBytes(
    i2osp(length, 2),
    HPKE_VERSION,
    suiteId,
    asciiBytes(label),
    info,
  );
  return hkdfExpand(prk, labeledInfo, length);
}

// --- DHKEM(X25519, HKDF-SHA256) (section 4.1) -------------------------------------------

/**
 * ExtractAndExpand(dh, kem_context) → shared secret.
 *
 * @param {Uint8Array} dh
 * @param {Uint8Array} kemContext enc || pkRm
 * @returns {Promise<Uint8Array>}
 */
export async function extractAndExpand(dh, kemContext) {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, EMPTY, "eae_prk", dh);
  return labeledExpand(KEM_SUITE_ID, eaePrk, "shared_secret", kemContext, N_SECRET);
}

/**
 * Encap(pkR): a fresh ephemeral key pair, or the one given by its 32 secret bytes (only for
 * known-answer tests: reusing an ephemeral key breaks HPKE's security).
 *
 * @param {Uint8Array} pkRRaw the recipient's raw public key
 * @param {Uint8Array} [ephemeralSecret] skEm, for deterministic test vectors only
 * @returns {Promise<{sharedSecret: Uint8Array, enc: Uint8Array}>}
 */
export async function encap(pkRRaw, ephemeralSecret) {
  const pkR = await importPublicKey(pkRRaw);
  let skE;
  let enc;
  if (ephemeralSecret === undefined) {
    const pair = await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
    skE = pair.privateKey;
    enc = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  } else {
    skE = await importPrivateKey(ephemeralSecret);
    enc = await publicKeyBytesOf(skE);
  }
  const dh = await x25519(skE, pkR);
  const sharedSecret = await extractAndExpand(dh, concatBytes(enc, pkRRaw));
  return { sharedSecret, enc };
}

/**
 * Decap(enc, skR) → shared secret.
 *
 * @param {Uint8Array} enc the sender's ephemeral public key
 * @param {CryptoKey} skR the recipient's X25519 private key
 * @returns {Promise<Uint8Array>}
 */
export async function decap(enc, skR) {
  const pkE = await importPublicKey(enc);
  const dh = await x25519(skR, pkE);
  const pkRm = await publicKeyBytesOf(skR);
  return extractAndExpand(dh, concatBytes(enc, pkRm));
}

// --- Key schedule and encryption context (sections 5.1 to 5.3) --------------------------

/**
 * KeyScheduleS/R for mode_base (no PSK): the encryption context for a shared secret.
 *
 * @param {Uint8Array} sharedSecret
 * @param {Uint8Array} info
 * @returns {Promise<Context>}
 */
export async function keySchedule(sharedSecret, info) {
  const pskIdHash = await labeledExtract(HPKE_SUITE_ID, EMPTY, "psk_id_hash", EMPTY);
  const infoHash = await labeledExtract(HPKE_SUITE_ID, EMPTY, "info_hash", info);
  const context = concatBytes(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE_ID, sharedSecret, "secret", EMPTY);
  const key = await labeledExpand(HPKE_SUITE_ID, secret, "key", context, N_K);
  const baseNonce = await labeledExpand(HPKE_SUITE_ID, secret, "base_nonce", context, N_N);
  const exporterSecret = await labeledExpand(HPKE_SUITE_ID, secret, "exp", context, N_H);
  const aesKey = await crypto.subtle.importKey("raw", key, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return new Context(aesKey, key, baseNonce, exporterSecret);
}

/**
 * SetupBaseS(pkR, info): what a sender needs to seal to a public key.
 *
 * @param {Uint8Array} pkRRaw
 * @param {Uint8Array} info
 * @param {Uint8Array} [ephemeralSecret] skEm, for deterministic test vectors only
 * @returns {Promise<{enc: Uint8Array, context: Context}>}
 */
export async function setupBaseS(pkRRaw, info, ephemeralSecret) {
  const { sharedSecret, enc } = await encap(pkRRaw, ephemeralSecret);
  return { enc, context: await keySchedule(sharedSecret, info) };
}

/**
 * SetupBaseR(enc, skR, info): what a recipient needs to open what was sealed with `enc`.
 *
 * @param {Uint8Array} enc
 * @param {CryptoKey} skR
 * @param {Uint8Array} info
 * @returns {Promise<Context>}
 */
export async function setupBaseR(enc, skR, info) {
  return keySchedule(await decap(enc, skR), info);
}

/**
 * Single-shot OpenBase (RFC 9180 section 6.1) of a payload laid out as `enc || ciphertext`,
 * with empty associated data, as envelopes and grants are. Any failure, of the key exchange
 * as of the AEAD, is "decryption-failed": which one it was is not said.
 *
 * @param {Uint8Array} payload
 * @param {CryptoKey} skR
 * @param {Uint8Array} info
 * @returns {Promise<Uint8Array>}
 */
export async function openPayload(payload, skR, info) {
  try {
    const recipient = await setupBaseR(payload.subarray(0, N_ENC), skR, info);
    return await recipient.open(new Uint8Array(0), payload.subarray(N_ENC));
  } catch {
    throw new CryptoError("decryption-failed", DECRYPTION_FAILED_MESSAGE);
  }
}

/**
 * An HPKE encryption context: seal or open messages in order, and export secrets.
 *
 * Each seal/open uses the next sequence number, which only advances on success. Calls are
 * queued, so overlapping promises still run in call order and never share a nonce.
 */
export class Context {
  #aesKey;
  #key;
  #baseNonce;
  #exporterSecret;
  #sequence = 0;
  #queue = Promise.resolve();

  /**
   * @param {CryptoKey} aesKey the AEAD key, imported for AES-GCM
   * @param {Uint8Array} key the same key's bytes, for known-answer tests
   * @param {Uint8Array} baseNonce
   * @param {Uint8Array} exporterSecret
   */
  constructor(aesKey, key, baseNonce, exporterSecret) {
    this.#aesKey = aesKey;
    this.#key = key;
    this.#baseNonce = baseNonce;
    this.#exporterSecret = exporterSecret;
  }

  /** @returns {Uint8Array} the AEAD key (a copy) */
  get key() {
    return this.#key.slice();
  }

  /** @returns {Uint8Array} the base nonce (a copy) */
  get baseNonce() {
    return this.#baseNonce.slice();
  }

  /** @returns {Uint8Array} the exporter secret (a copy) */
  get exporterSecret() {
    return this.#exporterSecret.slice();
  }

  /** @returns {number} the sequence number the next seal or open will use */
  get sequence() {
    return this.#sequence;
  }

  /**
   * ContextS.Seal(aad, pt).
   *
   * @param {Uint8Array} aad
   * @param {Uint8Array} plaintext
   * @returns {Promise<Uint8Array>} ciphertext with its 16-byte tag
   */
  seal(aad, plaintext) {
    return this.#inOrder(async () => {
      const ciphertext = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: this.#nonce(), additionalData: aad, tagLength: 8 * N_T },
        this.#aesKey,
        plaintext,
      );
      this.#sequence += 1;
      return new Uint8Array(ciphertext);
    });
  }

  /**
   * ContextR.Open(aad, ct); throws CryptoError "decryption-failed" if authentication fails.
   *
   * @param {Uint8Array} aad
   * @param {Uint8Array} ciphertext
   * @returns {Promise<Uint8Array>} plaintext
   */
  open(aad, ciphertext) {
    return this.#inOrder(async () => {
      let plaintext;
      try {
        plaintext = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: this.#nonce(), additionalData: aad, tagLength: 8 * N_T },
          this.#aesKey,
          ciphertext,
        );
      } catch {
        throw new CryptoError("decryption-failed", DECRYPTION_FAILED_MESSAGE);
      }
      this.#sequence += 1;
      return new Uint8Array(plaintext);
    });
  }

  /**
   * Context.Export(exporter_context, L): a secret both sides derive alike.
   *
   * @param {Uint8Array} exporterContext
   * @param {number} length
   * @returns {Promise<Uint8Array>}
   */
  export(exporterContext, length) {
    return labeledExpand(HPKE_SUITE_ID, this.#exporterSecret, "sec", exporterContext, length);
  }

  /** ComputeNonce(seq): the base nonce XOR the big-endian sequence number. */
  #nonce() {
    if (this.#sequence >= Number.MAX_SAFE_INTEGER) {
      // The RFC's limit is 2^96 - 1; no envelope comes anywhere near either.
      throw new CryptoError("message-limit", "this HPKE context has sealed its last message");
    }
    const sequence = i2osp(this.#sequence, N_N);
    return this.#baseNonce.map((byte, i) => byte ^ sequence[i]);
  }

  /**
   * Run `task` after every earlier seal/open of this context has settled.
   *
   * @template T
   * @param {() => Promise<T>} task
   * @returns {Promise<T>}
   */
  #inOrder(task) {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
