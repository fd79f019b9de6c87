/**
 * File encryption for evidence attachments, byte for byte as crypto/stream.py: the STREAM
 * construction (Hoang, Reyhanitabar, Rogaway and Vizár 2015; as in age and Tink) over
 * AES-256-GCM.
 *
 * Each file gets its own random 32-byte content key. The plaintext is cut into chunks of
 * exactly CHUNK_BYTES, except the last, which holds 1 to CHUNK_BYTES bytes; an empty file is
 * one empty last chunk. Chunk i is sealed under the content key with the nonce 11-byte
 * big-endian i || flag (0x01 for the last chunk, 0x00 otherwise) and no associated data,
 * giving ciphertext || tag, 16 bytes longer than its plaintext.
 *
 * The nonce binds each chunk to its position and says whether it ends the file, so chunks
 * cannot be altered, reordered, dropped, cut off at the end or added to without the opener
 * noticing. Nonces repeat from one file to the next: a content key seals one file, never two.
 *
 * Stored sizes are rounded up with Padmé (`padToBucket`) before sealing; the true size
 * travels in the file's sealed header, so the padding carries no length prefix.
 *
 * Usage, for a file the reporter picked:
 *
 *   const key = newContentKey();
 *   for await (const chunk of sealStream(key, new Blob([padToBucket(bytes)]))) upload(chunk);
 *
 * @module crypto/stream
 */

import { CryptoError } from "./errors.js";

export const CHUNK_BYTES = 65536;
/** How much of a Blob is read at once while sealing it (a whole number of chunks). */
const READ_WINDOW_BYTES = 16 * CHUNK_BYTES;
export const TAG_BYTES = 16;
export const SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES;
export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const LAST_FLAG_AT = 11;

/**
 * Codes of the stream errors, beside errors.js's CryptoErrorCode.
 *
 * @typedef {"chunk-authentication-failed" | "stream-truncated" | "stream-extended"} StreamErrorCode
 */

/**
 * A chunk does not open at its position: it was altered, or moved there from another
 * position. A wrong content key fails the same way, at chunk 0. As
 * crypto.ChunkAuthenticationFailed, with the same message.
 */
export class ChunkAuthenticationFailed extends CryptoError {
  /**
   * @param {number} index
   * @param {string} [reason]
   */
  constructor(index, reason = "it was altered or moved") {
    const wrongKey = index === 0 ? ", or the key is wrong" : "";
    super(
      streamCode("chunk-authentication-failed"),
      `chunk ${index} does not open: ${reason}${wrongKey}`,
    );
    this.name = "ChunkAuthenticationFailed";
    this.index = index;
  }
}

/** The file stops before its last chunk (crypto.StreamTruncated, same message). */
export class StreamTruncated extends CryptoError {
  /** @param {number} chunksOpened */
  constructor(chunksOpened) {
    super(
      streamCode("stream-truncated"),
      "the file ends before its last chunk: chunks are missing",
    );
    this.name = "StreamTruncated";
    this.chunksOpened = chunksOpened;
  }
}

/** The file goes on after its last chunk (crypto.StreamExtended, same message). */
export class StreamExtended extends CryptoError {
  /** @param {number} index */
  constructor(index) {
    super(
      streamCode("stream-extended"),
      `chunk ${index} comes after the last chunk: data was added to the end of the file`,
    );
    this.name = "StreamExtended";
    this.index = index;
  }
}

/**
 * A fresh random content key for one file.
 *
 * @returns {Uint8Array} 32 bytes
 */
export function newContentKey() {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/**
 * How many chunks a plaintext of this length seals into (0 → 1, 65536 → 1, 65537 → 2).
 *
 * @param {number} plaintextLength
 * @returns {number}
 */
export function chunkCount(plaintextLength) {
  checkLength(plaintextLength);
  return Math.max(1, Math.ceil(plaintextLength / CHUNK_BYTES));
}

/**
 * The total size of the sealed chunks of a plaintext of this length.
 *
 * @param {number} plaintextLength
 * @returns {number}
 */
export function sealedLength(plaintextLength) {
  return plaintextLength + TAG_BYTES * chunkCount(plaintextLength);
}

/**
 * Seal a whole plaintext; resolves to its sealed chunks in order.
 *
 * @param {Uint8Array} keyBytes the 32-byte content key
 * @param {Uint8Array} plaintext
 * @returns {Promise<Uint8Array[]>}
 */
export async function sealChunks(keyBytes, plaintext) {
  if (!(plaintext instanceof Uint8Array)) {
    throw new TypeError("plaintext must be a Uint8Array");
  }
  const chunks = [];
  for await (const chunk of sealStream(keyBytes, plaintext)) {
    chunks.push(chunk);
  }
  return chunks;
}

/**
 * Seal a file one chunk at a time: a Blob (such as a picked File) is read a megabyte (16
 * chunks) at a time, so neither its plaintext nor its ciphertext is ever held whole. The key and source
 * are checked here, before the first chunk is asked for.
 *
 * @param {Uint8Array} keyBytes the 32-byte content key
 * @param {Blob | Uint8Array} source
 * @returns {AsyncGenerator<Uint8Array, void, void>} the sealed chunks, in order
 */
export function sealStream(keyBytes, source) {
  const key = importContentKey(keyBytes, "encrypt");
  if (!(source instanceof Blob || source instanceof Uint8Array)) {
    throw new TypeError("a file to seal must be a Blob or a Uint8Array");
  }
  return sealedChunks(key, source);
}

/**
 * Open the sealed chunks of a whole file, in order; resolves to the plaintext.
 *
 * @param {Uint8Array} keyBytes the 32-byte content key
 * @param {Iterable<Uint8Array> | AsyncIterable<Uint8Array>} chunks
 * @returns {Promise<Uint8Array>}
 * @throws {ChunkAuthenticationFailed | StreamTruncated | StreamExtended}
 */
export async function openChunks(keyBytes, chunks) {
  const opener = new StreamOpener(keyBytes);
  const pieces = [];
  let total = 0;
  let index = 0;
  for await (const chunk of chunks) {
    const piece = await opener.open(index, chunk);
    pieces.push(piece);
    total += piece.length;
    index += 1;
  }
  opener.finish();
  const plaintext = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    plaintext.set(piece, offset);
    offset += piece.length;
  }
  return plaintext;
}

/**
 * Opens a sealed file chunk by chunk, for files too large to hold at once (as
 * crypto.StreamOpener). Await `open(index, chunk)` for chunks 0, 1, 2 ... in order, then call
 * `finish()`, which throws StreamTruncated unless the last chunk came. Use no plaintext
 * before `finish()` returns: until then the file may still turn out cut short.
 */
export class StreamOpener {
  /** @type {Promise<CryptoKey>} */
  #key;
  #busy = false;

  /** @param {Uint8Array} keyBytes the 32-byte content key */
  constructor(keyBytes) {
    this.#key = importContentKey(keyBytes, "decrypt");
    /** The index `open` expects next. */
    this.nextIndex = 0;
    /** Whether the last chunk has been opened. */
    this.done = false;
  }

  /**
   * Open chunk `index`, which must be the next one.
   *
   * @param {number} index
   * @param {Uint8Array} chunk
   * @returns {Promise<Uint8Array>} its plaintext
   */
  async open(index, chunk) {
    if (index !== this.nextIndex) {
      throw new RangeError(`chunks open in order: chunk ${this.nextIndex} is next, not ${index}`);
    }
    if (this.#busy) {
      throw new RangeError("chunks open one at a time: await each open before the next");
    }
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError("a sealed chunk must be a Uint8Array");
    }
    if (this.done) {
      throw new StreamExtended(index);
    }
    if (chunk.length < TAG_BYTES || chunk.length > SEALED_CHUNK_BYTES) {
      throw new ChunkAuthenticationFailed(index);
    }
    this.#busy = true;
    try {
      const key = await this.#key;
      // A full-size chunk may or may not be the last; a shorter one can only be the last.
      let plaintext = null;
      if (chunk.length === SEALED_CHUNK_BYTES) {
        plaintext = await tryOpen(key, index, false, chunk);
      }
      if (plaintext === null) {
        plaintext = await tryOpen(key, index, true, chunk);
        if (plaintext === null) {
          throw new ChunkAuthenticationFailed(index);
        }
        if (plaintext.length === 0 && index > 0) {
          // Never sealed so: only an empty file ends in an empty chunk.
          throw new ChunkAuthenticationFailed(index, "an empty last chunk ends only an empty file");
        }
        this.done = true;
      }
      this.nextIndex = index + 1;
      return plaintext;
    } finally {
      this.#busy = false;
    }
  }

  /** Check that the file ended with its last chunk; throws StreamTruncated if not. */
  finish() {
    if (!this.done) {
      throw new StreamTruncated(this.nextIndex);
    }
  }
}

/**
 * The Padmé bucket of a length (Nikitin et al., "Reducing Metadata Leakage from Encrypted
 * Files and Communication with PURBs", 2019), as crypto.stream.padme: with
 * E = floor(log2 L), S = floor(log2 E) + 1 and lastBits = E − S, L rounded up to a multiple
 * of 2^lastBits. Lengths 0 and 1 are their own buckets (for 1, E = 0 and S = 0). Computed
 * without 32-bit bit operations, so lengths past 2 GiB come out right.
 *
 * @param {number} length a whole number of bytes
 * @returns {number}
 */
export function padme(length) {
  checkLength(length);
  if (length === 0) {
    return 0;
  }
  const exponent = bitLength(length) - 1;
  const step = 2 ** (exponent - bitLength(exponent));
  return Math.ceil(length / step) * step;
}

/**
 * Append zero bytes up to `padme(bytes.length)`. No length prefix: the true size is kept in
 * the file's sealed header.
 *
 * @param {Uint8Array} bytes
 * @returns {Uint8Array} a new array
 */
export function padToBucket(bytes) {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("data to pad must be a Uint8Array");
  }
  const padded = new Uint8Array(padme(bytes.length));
  padded.set(bytes);
  return padded;
}

/**
 * @param {Promise<CryptoKey>} keyPromise
 * @param {Blob | Uint8Array} source
 * @returns {AsyncGenerator<Uint8Array, void, void>}
 */
async function* sealedChunks(keyPromise, source) {
  const key = await keyPromise;
  const size = source instanceof Blob ? source.size : source.length;
  const count = chunkCount(size);
  // A Blob is read a megabyte at a time: each read has a fixed cost, and 64 KiB reads made
  // reading, not sealing, the slow part. Only one such window is held at once.
  let window = new Uint8Array(0);
  let windowStart = 0;
  for (let index = 0; index < count; index += 1) {
    const start = index * CHUNK_BYTES;
    const end = Math.min(start + CHUNK_BYTES, size);
    if (source instanceof Blob && end > windowStart + window.length) {
      windowStart = start;
      const windowEnd = Math.min(start + READ_WINDOW_BYTES, size);
      window = new Uint8Array(await source.slice(windowStart, windowEnd).arrayBuffer());
      if (window.length !== windowEnd - windowStart) {
        throw new RangeError("the file changed size while it was being sealed");
      }
    }
    const plaintext =
      source instanceof Blob
        ? window.subarray(start - windowStart, end - windowStart)
        : source.subarray(start, end);
    const iv = nonce(index, index === count - 1);
    yield new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plaintext));
  }
}

/**
 * @param {CryptoKey} key
 * @param {number} index
 * @param {boolean} last
 * @param {Uint8Array} chunk
 * @returns {Promise<Uint8Array | null>} null when the chunk does not authenticate
 */
async function tryOpen(key, index, last, chunk) {
  try {
    const iv = nonce(index, last);
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, chunk));
  } catch (error) {
    if (error instanceof DOMException && error.name === "OperationError") {
      return null;
    }
    throw error;
  }
}

/**
 * 11-byte big-endian index || last-chunk flag. Indices stay below 2^53, well inside 11 bytes.
 *
 * @param {number} index
 * @param {boolean} last
 * @returns {Uint8Array}
 */
function nonce(index, last) {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`a chunk index is a whole number from 0, not ${index}`);
  }
  const iv = new Uint8Array(NONCE_BYTES);
  const view = new DataView(iv.buffer);
  view.setUint32(3, Math.floor(index / 2 ** 32));
  view.setUint32(7, index % 2 ** 32);
  iv[LAST_FLAG_AT] = last ? 1 : 0;
  return iv;
}

/**
 * Check the key's length now; the import itself copies the bytes at once, so the caller may
 * zero them as soon as this returns.
 *
 * @param {Uint8Array} keyBytes
 * @param {"encrypt" | "decrypt"} usage
 * @returns {Promise<CryptoKey>} non-extractable
 */
function importContentKey(keyBytes, usage) {
  if (!(keyBytes instanceof Uint8Array) || keyBytes.length !== KEY_BYTES) {
    throw new CryptoError(
      "key-format",
      `a content key must be ${KEY_BYTES} bytes; this one is ${keyBytes?.length}`,
    );
  }
  return crypto.subtle.importKey("raw", keyBytes, "AES-GCM", false, [usage]);
}

/**
 * The same checks and messages as crypto.stream's lengths.
 *
 * @param {number} length
 */
function checkLength(length) {
  if (typeof length !== "number" || !Number.isInteger(length)) {
    throw new TypeError(`a length must be a whole number, not ${length}`);
  }
  if (length < 0) {
    throw new RangeError(`a length must be 0 or more, not ${length}`);
  }
  if (!Number.isSafeInteger(length)) {
    throw new RangeError(`a length must be at most 2**53 - 1, not ${length}`);
  }
}

/**
 * floor(log2 n) + 1 for a whole number n > 0, and 0 for 0, exact past 2^32.
 *
 * @param {number} n
 * @returns {number}
 */
function bitLength(n) {
  return n === 0 ? 0 : n.toString(2).length;
}

/**
 * errors.js lists the codes of the older modules; the stream's own are these.
 *
 * @param {StreamErrorCode} code
 * @returns {import("./errors.js").CryptoErrorCode}
 */
function streamCode(code) {
  return /** @type {any} */ (code);
}
