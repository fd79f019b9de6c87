/**
 * Argon2id, version 0x13 (RFC 9106), in the browser: the same tag as argon2-cffi for the same
 * inputs. An account whose password hash predates the credential split proves it knows its
 * password by sending this tag, computed with the salt and costs of its stored hash, instead
 * of the password (advisory/passwords.py, `legacy_parameters` and `legacy_proof_matches`).
 * For that proof `password` is the UTF-8 of the password exactly as typed, not normalised:
 * the old sign-in hashed the form value as it came.
 *
 * Pure JavaScript on typed arrays (no WebAssembly: the site's CSP rightly forbids compiling
 * code). A 64-bit word is two 32-bit halves, low half first, in a Uint32Array; a block is
 * 128 words. Lanes are computed one after the other.
 *
 * The work runs in the page and gives the event loop back after every segment (a few tens of
 * milliseconds at our costs), so the page stays responsive. It does not run in a Web
 * Worker: a worker loads its modules without the page's import map, so without the integrity
 * check every other module gets (advisory/assets.py). The memory, which holds values derived
 * from the password, is zeroed before the tag is returned.
 *
 * @module crypto/argon2
 */

import { blake2b } from "./blake2b.js";

const VERSION = 0x13;
const TYPE_ID = 2; // y for Argon2id (RFC 9106 section 3.2)
const SYNC_POINTS = 4; // slices per pass
const BLOCK_BYTES = 1024;
const BLOCK_HALVES = BLOCK_BYTES / 4; // 32-bit halves in a block
const ADDRESSES_PER_BLOCK = 128;
const TWO_POW_32 = 0x100000000;
const MIN_SALT_BYTES = 8;
const MIN_TAG_BYTES = 4;
const MAX_PARALLELISM = 0xffffff;
// Parameters come from our own server, but cap what an altered hash could make a browser
// attempt: 1 GiB of memory and a few hundred passes are far above any cost we use.
const MAX_MEMORY_KIB = 1024 * 1024;
const MAX_ITERATIONS = 256;
const MAX_TAG_BYTES = 1024;

/**
 * @typedef {object} Argon2idInput
 * @property {Uint8Array} password
 * @property {Uint8Array} salt at least 8 bytes
 * @property {number} iterations t, passes over memory
 * @property {number} memoryKiB m, at least 8 per lane
 * @property {number} parallelism p, lanes
 * @property {number} tagLength T, bytes of output (4 to 1024)
 * @property {Uint8Array} [secret] K, empty unless a key is used
 * @property {Uint8Array} [associatedData] X, empty unless used
 */

/**
 * The Argon2id tag of `password`.
 *
 * @param {Argon2idInput} input
 * @returns {Promise<Uint8Array>} the tag, `tagLength` bytes; rejected with a TypeError or a
 *   RangeError, before any work, for inputs Argon2id does not allow
 */
export async function argon2id({
  password,
  salt,
  iterations,
  memoryKiB,
  parallelism,
  tagLength,
  secret = new Uint8Array(),
  associatedData = new Uint8Array(),
}) {
  const input = checkedInput({
    password,
    salt,
    iterations,
    memoryKiB,
    parallelism,
    tagLength,
    secret,
    associatedData,
  });
  try {
    return await computeArgon2id(input);
  } finally {
    for (const copy of [input.password, input.secret, input.associatedData]) {
      copy.fill(0);
    }
  }
}

/**
 * @param {Argon2idInput} input
 * @returns {Required<Argon2idInput>} a copy whose bytes the caller can no longer change
 */
function checkedInput(input) {
  for (const name of ["password", "salt", "secret", "associatedData"]) {
    if (!(input[name] instanceof Uint8Array)) {
      throw new TypeError(`argon2id: ${name} must be a Uint8Array`);
    }
  }
  wholeNumberIn("iterations", input.iterations, 1, MAX_ITERATIONS);
  wholeNumberIn("parallelism", input.parallelism, 1, MAX_PARALLELISM);
  wholeNumberIn("memoryKiB", input.memoryKiB, 8 * input.parallelism, MAX_MEMORY_KIB);
  wholeNumberIn("tagLength", input.tagLength, MIN_TAG_BYTES, MAX_TAG_BYTES);
  if (input.salt.length < MIN_SALT_BYTES) {
    throw new RangeError(`argon2id: salt must be at least ${MIN_SALT_BYTES} bytes`);
  }
  return {
    ...input,
    password: input.password.slice(),
    salt: input.salt.slice(),
    secret: input.secret.slice(),
    associatedData: input.associatedData.slice(),
  };
}

function wholeNumberIn(name, value, min, max) {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`argon2id: ${name} must be a whole number from ${min} to ${max}`);
  }
}

/**
 * Give the event loop back to the page, so input, painting and timers run before the next
 * segment. A message round trip, unlike a timer, is not slowed down when repeated.
 *
 * @returns {Promise<void>}
 */
function yieldToPage() {
  if (typeof globalThis.scheduler?.yield === "function") {
    return globalThis.scheduler.yield();
  }
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

// --- Argon2id itself (RFC 9106 section 3) -------------------------------------------------

/**
 * @param {Required<Argon2idInput>} input checked by `checkedInput`
 * @returns {Promise<Uint8Array>}
 */
async function computeArgon2id(input) {
  const { iterations, parallelism: lanes, tagLength } = input;
  // m' = 4 p floor(m / 4p): whole segments in every lane.
  const blockCount = SYNC_POINTS * lanes * Math.floor(input.memoryKiB / (SYNC_POINTS * lanes));
  const laneLength = blockCount / lanes;
  const memory = new Uint32Array(blockCount * BLOCK_HALVES);
  const filler = new SegmentFiller(memory, { iterations, lanes, laneLength });
  try {
    const h0 = initialHash(input);
    for (let lane = 0; lane < lanes; lane += 1) {
      for (const column of [0, 1]) {
        const block = variableLengthHash(BLOCK_BYTES, [h0, le32(column), le32(lane)]);
        readBlock(memory, (lane * laneLength + column) * BLOCK_HALVES, block);
      }
    }
    h0.fill(0);
    for (let pass = 0; pass < iterations; pass += 1) {
      for (let slice = 0; slice < SYNC_POINTS; slice += 1) {
        for (let lane = 0; lane < lanes; lane += 1) {
          filler.fill(pass, slice, lane);
          await yieldToPage();
        }
      }
    }
    // C: the XOR of every lane's last block.
    const final = new Uint32Array(BLOCK_HALVES);
    for (let lane = 0; lane < lanes; lane += 1) {
      const start = (lane * laneLength + laneLength - 1) * BLOCK_HALVES;
      for (let i = 0; i < BLOCK_HALVES; i += 1) {
        final[i] ^= memory[start + i];
      }
    }
    const finalBytes = writeBlock(final);
    const tag = variableLengthHash(tagLength, [finalBytes]);
    final.fill(0);
    finalBytes.fill(0);
    return tag;
  } finally {
    memory.fill(0);
    filler.wipe();
  }
}

/**
 * H0 (RFC 9106 section 3.2, step 1).
 *
 * @param {Required<Argon2idInput>} input
 * @returns {Uint8Array}
 */
function initialHash(input) {
  const { password, salt, secret, associatedData } = input;
  return blake2b([
    le32(input.parallelism),
    le32(input.tagLength),
    le32(input.memoryKiB),
    le32(input.iterations),
    le32(VERSION),
    le32(TYPE_ID),
    le32(password.length),
    password,
    le32(salt.length),
    salt,
    le32(secret.length),
    secret,
    le32(associatedData.length),
    associatedData,
  ]);
}

/**
 * H' (RFC 9106 section 3.3): BLAKE2b stretched to any length.
 *
 * @param {number} length output bytes
 * @param {Uint8Array[]} parts the input, concatenated
 * @returns {Uint8Array}
 */
function variableLengthHash(length, parts) {
  const input = [le32(length), ...parts];
  if (length <= 64) {
    return blake2b(input, length);
  }
  const out = new Uint8Array(length);
  const r = Math.ceil(length / 32) - 2;
  let v = blake2b(input, 64);
  out.set(v.subarray(0, 32), 0);
  for (let i = 1; i < r; i += 1) {
    v = blake2b(v, 64);
    out.set(v.subarray(0, 32), 32 * i);
  }
  out.set(blake2b(v, length - 32 * r), 32 * r);
  return out;
}

/**
 * Fills one segment at a time (RFC 9106 section 3.4), keeping the scratch blocks between
 * calls.
 */
class SegmentFiller {
  /**
   * @param {Uint32Array} memory all blocks, lane by lane
   * @param {{ iterations: number, lanes: number, laneLength: number }} shape
   */
  constructor(memory, { iterations, lanes, laneLength }) {
    this.memory = memory;
    this.iterations = iterations;
    this.lanes = lanes;
    this.laneLength = laneLength;
    this.segmentLength = laneLength / SYNC_POINTS;
    // Scratch for the compression function, and for Argon2i-style address generation.
    this.r = new Uint32Array(BLOCK_HALVES);
    this.addressInput = new Uint32Array(BLOCK_HALVES);
    this.addresses = new Uint32Array(BLOCK_HALVES);
  }

  /**
   * @param {number} pass
   * @param {number} slice
   * @param {number} lane
   */
  fill(pass, slice, lane) {
    const { memory, laneLength, segmentLength } = this;
    // Argon2id takes reference addresses from a counter-driven generator in the first half
    // of the first pass (as Argon2i), and from the previous block elsewhere (as Argon2d).
    const independent = pass === 0 && slice < SYNC_POINTS / 2;
    if (independent) {
      this.startAddresses(pass, lane, slice);
    }
    // The first two blocks of each lane were made from H0.
    const first = pass === 0 && slice === 0 ? 2 : 0;
    const laneStart = lane * laneLength;
    for (let index = first; index < segmentLength; index += 1) {
      const column = slice * segmentLength + index;
      const current = laneStart + column;
      const previous = column === 0 ? laneStart + laneLength - 1 : current - 1;
      let j1;
      let j2;
      if (independent) {
        const at = index % ADDRESSES_PER_BLOCK;
        if (at === 0 || index === first) {
          this.nextAddresses();
        }
        j1 = this.addresses[2 * at];
        j2 = this.addresses[2 * at + 1];
      } else {
        j1 = memory[previous * BLOCK_HALVES];
        j2 = memory[previous * BLOCK_HALVES + 1];
      }
      const referenceLane = pass === 0 && slice === 0 ? lane : j2 % this.lanes;
      const referenceColumn = this.referenceColumn(pass, slice, index, j1, referenceLane === lane);
      this.compressInto(
        previous * BLOCK_HALVES,
        (referenceLane * laneLength + referenceColumn) * BLOCK_HALVES,
        current * BLOCK_HALVES,
        pass > 0,
      );
    }
  }

  /**
   * The column of the reference block within its lane (RFC 9106 section 3.4.1.2).
   *
   * @param {number} pass
   * @param {number} slice
   * @param {number} index the new block's place in its segment
   * @param {number} j1 the low 32 bits of the pseudo-random word
   * @param {boolean} sameLane whether the reference lane is the new block's own
   * @returns {number}
   */
  referenceColumn(pass, slice, index, j1, sameLane) {
    const { laneLength, segmentLength } = this;
    // The reference area: every finished slice (in the first pass) or the last three slices
    // (after it), and in the new block's own lane the blocks made before it in this segment.
    // Never the block just before the new one (already its other input), nor, from another
    // lane, that lane's last finished block when the new block starts a segment.
    let areaSize = pass === 0 ? slice * segmentLength : laneLength - segmentLength;
    if (sameLane) {
      areaSize += index - 1;
    } else if (index === 0) {
      areaSize -= 1;
    }
    // Map J1 onto the area, weighted towards the most recent blocks.
    const x = mulHigh(j1, j1);
    const relative = areaSize - 1 - mulHigh(areaSize, x);
    const start = pass === 0 || slice === SYNC_POINTS - 1 ? 0 : (slice + 1) * segmentLength;
    return (start + relative) % laneLength;
  }

  startAddresses(pass, lane, slice) {
    const input = this.addressInput;
    input.fill(0);
    input[0] = pass;
    input[2] = lane;
    input[4] = slice;
    input[6] = this.lanes * this.laneLength; // m', the blocks in use
    input[8] = this.iterations;
    input[10] = TYPE_ID;
    // input[12] is the counter i, raised before each address block.
  }

  /** The next address block: G(0, G(0, Z || LE64(i) || 0...)) with i one higher. */
  nextAddresses() {
    this.addressInput[12] += 1;
    compressWithZero(this.addresses, this.addressInput);
    compressWithZero(this.addresses, this.addresses);
  }

  /**
   * memory[to] = G(memory[x], memory[y]), XORed into the old block after the first pass
   * (version 0x13). Offsets are in 32-bit halves.
   */
  compressInto(x, y, to, xorOld) {
    const { memory, r } = this;
    const q = PERMUTED;
    for (let i = 0; i < BLOCK_HALVES; i += 1) {
      const value = memory[x + i] ^ memory[y + i];
      q[i] = value;
      r[i] = xorOld ? value ^ memory[to + i] : value;
    }
    permute();
    for (let i = 0; i < BLOCK_HALVES; i += 1) {
      memory[to + i] = q[i] ^ r[i];
    }
  }

  wipe() {
    for (const scratch of [this.r, this.addressInput, this.addresses, PERMUTED]) {
      scratch.fill(0);
    }
  }
}

/**
 * out = G(0, x): with a zero first argument, R is x itself. `out` may be `x`.
 *
 * @param {Uint32Array} out
 * @param {Uint32Array} x
 */
function compressWithZero(out, x) {
  PERMUTED.set(x);
  permute();
  for (let i = 0; i < BLOCK_HALVES; i += 1) {
    out[i] = PERMUTED[i] ^ x[i];
  }
}

/**
 * The block that `permute` works on. One block for every call: a block is permuted without
 * a pause, so calls running side by side never see each other's.
 */
const PERMUTED = new Uint32Array(BLOCK_HALVES);

/**
 * The words that each GB step works on, as offsets of their low halves in a block: 8 steps
 * for each of the 16 times P runs (RFC 9106 section 3.6). P runs first on each of the
 * block's eight rows (16 consecutive words), then on each of its eight columns (words 2i
 * and 2i + 1 of every row); on its 16 words v0..v15 it applies GB to the columns of their
 * 4 x 4 matrix, then to its diagonals.
 */
const GB_OFFSETS = (() => {
  const pOperands = [];
  for (let i = 0; i < 8; i += 1) {
    pOperands.push(Array.from({ length: 16 }, (_, k) => 2 * (16 * i + k)));
  }
  for (let i = 0; i < 8; i += 1) {
    pOperands.push(Array.from({ length: 16 }, (_, k) => 2 * (2 * i + 16 * (k >> 1) + (k & 1))));
  }
  const steps = [
    [0, 4, 8, 12],
    [1, 5, 9, 13],
    [2, 6, 10, 14],
    [3, 7, 11, 15],
    [0, 5, 10, 15],
    [1, 6, 11, 12],
    [2, 7, 8, 13],
    [3, 4, 9, 14],
  ];
  return Int32Array.from(pOperands.flatMap((v) => steps.flatMap((step) => step.map((k) => v[k]))));
})();

/**
 * The permutation of G (RFC 9106 section 3.6), on PERMUTED in place: all 128 GB steps.
 *
 * GB is BLAKE2b's G without message words, where each addition a + b also adds
 * 2 * lo(a) * lo(b), lo being the low 32 bits. It is written out inside the loop rather than
 * called, on one fixed block: nearly all the time goes here, and Chromium then needs about
 * 30% less of it.
 */
function permute() {
  const q = PERMUTED;
  const offsets = GB_OFFSETS;
  for (let step = 0; step < offsets.length; step += 4) {
    const a = offsets[step];
    const b = offsets[step + 1];
    const c = offsets[step + 2];
    const d = offsets[step + 3];
    let al = q[a];
    let ah = q[a + 1];
    let bl = q[b];
    let bh = q[b + 1];
    let cl = q[c];
    let ch = q[c + 1];
    let dl = q[d];
    let dh = q[d + 1];
    let sum;
    let product;
    let productLow;
    let t;
    // a = a + b + 2 lo(a) lo(b); d = (d ^ a) >>> 32
    product = al * bl;
    productLow = Math.imul(al, bl) >>> 0;
    sum = al + bl + 2 * productLow;
    ah = (ah + bh + 2 * highOfProduct(product, productLow) + carryOf(sum)) >>> 0;
    al = sum >>> 0;
    t = (dl ^ al) >>> 0;
    dl = (dh ^ ah) >>> 0;
    dh = t;
    // c = c + d + 2 lo(c) lo(d); b = (b ^ c) >>> 24
    product = cl * dl;
    productLow = Math.imul(cl, dl) >>> 0;
    sum = cl + dl + 2 * productLow;
    ch = (ch + dh + 2 * highOfProduct(product, productLow) + carryOf(sum)) >>> 0;
    cl = sum >>> 0;
    bl ^= cl;
    bh ^= ch;
    t = ((bl >>> 24) | (bh << 8)) >>> 0;
    bh = ((bh >>> 24) | (bl << 8)) >>> 0;
    bl = t;
    // a = a + b + 2 lo(a) lo(b); d = (d ^ a) >>> 16
    product = al * bl;
    productLow = Math.imul(al, bl) >>> 0;
    sum = al + bl + 2 * productLow;
    ah = (ah + bh + 2 * highOfProduct(product, productLow) + carryOf(sum)) >>> 0;
    al = sum >>> 0;
    dl ^= al;
    dh ^= ah;
    t = ((dl >>> 16) | (dh << 16)) >>> 0;
    dh = ((dh >>> 16) | (dl << 16)) >>> 0;
    dl = t;
    // c = c + d + 2 lo(c) lo(d); b = (b ^ c) >>> 63, that is, rotated left by 1
    product = cl * dl;
    productLow = Math.imul(cl, dl) >>> 0;
    sum = cl + dl + 2 * productLow;
    ch = (ch + dh + 2 * highOfProduct(product, productLow) + carryOf(sum)) >>> 0;
    cl = sum >>> 0;
    bl ^= cl;
    bh ^= ch;
    t = ((bl << 1) | (bh >>> 31)) >>> 0;
    bh = ((bh << 1) | (bl >>> 31)) >>> 0;
    bl = t;

    q[a] = al;
    q[a + 1] = ah;
    q[b] = bl;
    q[b + 1] = bh;
    q[c] = cl;
    q[c + 1] = ch;
    q[d] = dl;
    q[d + 1] = dh;
  }
}

/**
 * The high 32 bits of the 64-bit product of two 32-bit numbers, from the product as a
 * double (off by at most 2^11) and its exact low 32 bits.
 */
function highOfProduct(product, productLow) {
  return Math.round((product - productLow) / TWO_POW_32);
}

/** What a sum of a few 32-bit numbers carries into the high half. */
function carryOf(sum) {
  return Math.floor(sum / TWO_POW_32);
}

/** floor(x * y / 2^32) for 32-bit x and y, exactly. */
function mulHigh(x, y) {
  return highOfProduct(x * y, Math.imul(x, y) >>> 0);
}

// --- Bytes in and out ---------------------------------------------------------------------

function le32(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

/** Little-endian bytes into 32-bit halves, whatever the platform's byte order. */
function readBlock(memory, offset, bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < BLOCK_HALVES; i += 1) {
    memory[offset + i] = view.getUint32(4 * i, true);
  }
  bytes.fill(0);
}

function writeBlock(halves) {
  const out = new Uint8Array(BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < BLOCK_HALVES; i += 1) {
    view.setUint32(4 * i, halves[i], true);
  }
  return out;
}
