/**
 * Reading and re-assembling byte strings for the metadata cleaners: integer reads that
 * bounds-check, ASCII comparisons without building strings, and an output made of slices of
 * the input (copied once, at the end).
 *
 * @module metadata/bytes
 */

import { UnreadableFile } from "./errors.js";

/**
 * The bytes of an ASCII label such as "Exif\0\0".
 *
 * @param {string} text
 * @returns {Uint8Array}
 */
export function ascii(text) {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

/**
 * Whether `bytes` holds `expected` at `offset` (false when it runs past the end).
 *
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @param {Uint8Array} expected
 * @returns {boolean}
 */
export function bytesAt(bytes, offset, expected) {
  if (offset < 0 || offset + expected.length > bytes.length) {
    return false;
  }
  for (let i = 0; i < expected.length; i += 1) {
    if (bytes[offset + i] !== expected[i]) {
      return false;
    }
  }
  return true;
}

/**
 * Where `needle` next occurs in `haystack` from `from`, or -1.
 *
 * @param {Uint8Array} haystack
 * @param {Uint8Array} needle at least one byte
 * @param {number} from
 * @returns {number}
 */
export function indexOfBytes(haystack, needle, from) {
  const last = haystack.length - needle.length;
  for (let at = haystack.indexOf(needle[0], from); at !== -1 && at <= last; ) {
    if (bytesAt(haystack, at, needle)) {
      return at;
    }
    at = haystack.indexOf(needle[0], at + 1);
  }
  return -1;
}

/**
 * Throw `UnreadableFile("truncated")` unless `bytes` has `count` bytes from `offset`.
 *
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @param {number} count
 */
export function need(bytes, offset, count) {
  if (offset + count > bytes.length) {
    throw new UnreadableFile("truncated", `needs ${count} bytes at ${offset}`);
  }
}

/**
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @returns {number}
 */
export function u16be(bytes, offset) {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

/**
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @returns {number}
 */
export function u32be(bytes, offset) {
  return (
    bytes[offset] * 0x1000000 +
    ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3])
  );
}

/**
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @returns {number}
 */
export function u32le(bytes, offset) {
  return (
    bytes[offset + 3] * 0x1000000 +
    ((bytes[offset + 2] << 16) | (bytes[offset + 1] << 8) | bytes[offset])
  );
}

/**
 * A file put together from slices of the input and a few new pieces. Adjacent slices are
 * merged, so a cleaned file is a handful of copies whatever its size.
 */
export class Output {
  /** @param {Uint8Array} source the input the slices come from */
  constructor(source) {
    this.source = source;
    /** @type {(Uint8Array | [number, number])[]} new bytes, or a [start, end) of the source */
    this.parts = [];
    this.length = 0;
  }

  /**
   * Keep `source[start:end]`.
   *
   * @param {number} start
   * @param {number} end
   */
  keep(start, end) {
    if (end <= start) {
      return;
    }
    const last = this.parts.at(-1);
    if (Array.isArray(last) && last[1] === start) {
      last[1] = end;
    } else {
      this.parts.push([start, end]);
    }
    this.length += end - start;
  }

  /**
   * Add new bytes.
   *
   * @param {Uint8Array} bytes
   */
  add(bytes) {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  /**
   * A place for bytes that are only known at the end (see `fill`).
   *
   * @returns {number}
   */
  placeholder() {
    this.parts.push(new Uint8Array(0));
    return this.parts.length - 1;
  }

  /**
   * Put `bytes` where `placeholder` was called.
   *
   * @param {number} index what `placeholder` returned
   * @param {Uint8Array} bytes
   */
  fill(index, bytes) {
    this.length += bytes.length - /** @type {Uint8Array} */ (this.parts[index]).length;
    this.parts[index] = bytes;
  }

  /** @returns {Uint8Array} */
  finish() {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      const bytes = Array.isArray(part) ? this.source.subarray(part[0], part[1]) : part;
      out.set(bytes, offset);
      offset += bytes.length;
    }
    return out;
  }
}
