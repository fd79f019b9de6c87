/**
 * BLAKE2b (RFC 7693), unkeyed, with any digest length from 1 to 64 bytes: the hash inside
 * Argon2 (./argon2.js). WebCrypto has no BLAKE2, so it is written here, from the RFC.
 *
 * A 64-bit word is two 32-bit halves, low half first, in a Uint32Array: word i is at
 * [2i] (low) and [2i + 1] (high).
 *
 * @module crypto/blake2b
 */

export const MAX_DIGEST_BYTES = 64;
const BLOCK_BYTES = 128;
const ROUNDS = 12;

// RFC 7693 section 2.6: the SHA-512 initial values, as [low, high] halves.
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

// RFC 7693 section 2.7: the message word schedule; rounds 10 and 11 reuse rows 0 and 1.
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/** One BLAKE2b computation: feed bytes with `update`, then `digest` once. */
export class Blake2b {
  /** @param {number} digestBytes 1 to 64 */
  constructor(digestBytes = MAX_DIGEST_BYTES) {
    if (!Number.isInteger(digestBytes) || digestBytes < 1 || digestBytes > MAX_DIGEST_BYTES) {
      throw new RangeError(`a BLAKE2b digest is 1 to ${MAX_DIGEST_BYTES} bytes`);
    }
    this.digestBytes = digestBytes;
    this.state = IV.slice();
    // Parameter block: digest length, no key, fanout 1, depth 1 (RFC 7693 section 2.5).
    this.state[0] ^= 0x01010000 ^ digestBytes;
    this.block = new Uint8Array(BLOCK_BYTES);
    this.blockFill = 0;
    this.bytesCompressed = 0;
    this.finished = false;
    this.work = new Uint32Array(32);
    this.message = new Uint32Array(32);
  }

  /**
   * @param {Uint8Array} bytes
   * @returns {Blake2b} this, so calls can be chained
   */
  update(bytes) {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError("BLAKE2b input must be a Uint8Array");
    }
    if (this.finished) {
      throw new Error("this BLAKE2b digest is already final");
    }
    for (let i = 0; i < bytes.length; i += 1) {
      // The last block is compressed with the final flag, so only a full block followed by
      // more input is compressed here.
      if (this.blockFill === BLOCK_BYTES) {
        this.bytesCompressed += BLOCK_BYTES;
        this.compress(false);
        this.blockFill = 0;
      }
      this.block[this.blockFill] = bytes[i];
      this.blockFill += 1;
    }
    return this;
  }

  /** @returns {Uint8Array} the digest, `digestBytes` long */
  digest() {
    if (this.finished) {
      throw new Error("this BLAKE2b digest is already final");
    }
    this.finished = true;
    this.bytesCompressed += this.blockFill;
    this.block.fill(0, this.blockFill);
    this.compress(true);
    const out = new Uint8Array(this.digestBytes);
    for (let i = 0; i < this.digestBytes; i += 1) {
      out[i] = this.state[i >> 2] >>> (8 * (i & 3));
    }
    this.state.fill(0);
    this.block.fill(0);
    return out;
  }

  /** @param {boolean} last whether this is the final block (RFC 7693 section 3.2) */
  compress(last) {
    const v = this.work;
    const m = this.message;
    const h = this.state;
    for (let i = 0; i < 32; i += 1) {
      const at = 4 * i;
      m[i] =
        this.block[at] |
        (this.block[at + 1] << 8) |
        (this.block[at + 2] << 16) |
        (this.block[at + 3] << 24);
    }
    v.set(h, 0);
    v.set(IV, 16);
    // The byte counter is at most 2^53 here, so its high 64 bits (word 13) stay zero.
    v[24] ^= this.bytesCompressed;
    v[25] ^= Math.floor(this.bytesCompressed / 0x100000000);
    if (last) {
      v[28] = ~v[28];
      v[29] = ~v[29];
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      const s = SIGMA[round % 10];
      mix(v, m, 0, 8, 16, 24, s[0], s[1]);
      mix(v, m, 2, 10, 18, 26, s[2], s[3]);
      mix(v, m, 4, 12, 20, 28, s[4], s[5]);
      mix(v, m, 6, 14, 22, 30, s[6], s[7]);
      mix(v, m, 0, 10, 20, 30, s[8], s[9]);
      mix(v, m, 2, 12, 22, 24, s[10], s[11]);
      mix(v, m, 4, 14, 16, 26, s[12], s[13]);
      mix(v, m, 6, 8, 18, 28, s[14], s[15]);
    }
    for (let i = 0; i < 16; i += 1) {
      h[i] ^= v[i] ^ v[i + 16];
    }
  }
}

/**
 * BLAKE2b of the concatenation of `parts`.
 *
 * @param {Uint8Array | Uint8Array[]} parts
 * @param {number} digestBytes 1 to 64
 * @returns {Uint8Array}
 */
export function blake2b(parts, digestBytes = MAX_DIGEST_BYTES) {
  const hash = new Blake2b(digestBytes);
  for (const part of Array.isArray(parts) ? parts : [parts]) {
    hash.update(part);
  }
  return hash.digest();
}

/**
 * The mixing function G (RFC 7693 section 3.1) on words a, b, c, d of `v` with message
 * words x and y. Arguments a to d are indexes of the low halves.
 *
 * @param {Uint32Array} v
 * @param {Uint32Array} m
 * @param {number} a
 * @param {number} b
 * @param {number} c
 * @param {number} d
 * @param {number} x
 * @param {number} y
 */
function mix(v, m, a, b, c, d, x, y) {
  add(v, a, b);
  addMessage(v, a, m, 2 * x);
  xorRotate(v, d, a, 32);
  add(v, c, d);
  xorRotate(v, b, c, 24);
  add(v, a, b);
  addMessage(v, a, m, 2 * y);
  xorRotate(v, d, a, 16);
  add(v, c, d);
  xorRotate(v, b, c, 63);
}

/** v[to] += v[from], modulo 2^64. */
function add(v, to, from) {
  const low = v[to] + v[from];
  v[to + 1] += v[from + 1] + (low > 0xffffffff ? 1 : 0);
  v[to] = low;
}

/** v[to] += m[from], modulo 2^64. */
function addMessage(v, to, m, from) {
  const low = v[to] + m[from];
  v[to + 1] += m[from + 1] + (low > 0xffffffff ? 1 : 0);
  v[to] = low;
}

/** v[to] = (v[to] XOR v[from]) rotated right by 16, 24, 32 or 63 bits. */
function xorRotate(v, to, from, bits) {
  const low = v[to] ^ v[from];
  const high = v[to + 1] ^ v[from + 1];
  if (bits === 32) {
    v[to] = high;
    v[to + 1] = low;
  } else if (bits === 63) {
    // Right by 63 is left by 1.
    v[to] = (low << 1) | (high >>> 31);
    v[to + 1] = (high << 1) | (low >>> 31);
  } else {
    v[to] = (low >>> bits) | (high << (32 - bits));
    v[to + 1] = (high >>> bits) | (low << (32 - bits));
  }
}
