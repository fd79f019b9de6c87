/**
 * Exif (a TIFF structure) read for what it reveals, and the one Exif the cleaners write: a
 * lone Orientation, so that a photo still shows the right way up.
 *
 * Reading is defensive and never throws: an IFD whose offset or entries run past the end is
 * skipped, each IFD is visited at most once (no loops), and nothing is read beyond the
 * entries' tags, the Orientation and the three IFD pointers.
 *
 * @module metadata/exif
 */

import { ascii } from "./bytes.js";

/** What starts the payload of a JPEG APP1 Exif segment (and sometimes a WebP EXIF chunk). */
export const EXIF_PREFIX = ascii("Exif\0\0");

const ORIENTATION = 0x0112;
const EXIF_IFD = 0x8769;
const GPS_IFD = 0x8825;
const INTEROPERABILITY_IFD = 0xa005;
const SHORT = 3;
const ENTRY_BYTES = 12;

/** Tags that say something about who, where, when or with what; other tags are "other_exif". */
const TAG_FINDINGS = new Map([
  [0x010f, "camera_model"], // Make
  [0x0110, "camera_model"], // Model
  [0x0132, "date_taken"], // DateTime
  [0x9003, "date_taken"], // DateTimeOriginal
  [0x9004, "date_taken"], // DateTimeDigitized
  [0x013b, "author"], // Artist
  [0x0131, "software"], // Software
  [0x010e, "description"], // ImageDescription
]);

/** Structure, not content: pointers to other IFDs, and the Orientation (kept or harmless). */
const STRUCTURAL_TAGS = new Set([ORIENTATION, EXIF_IFD, GPS_IFD, INTEROPERABILITY_IFD]);

/** A TIFF byte string in its byte order; reads past the end give null. */
class Tiff {
  /**
   * @param {Uint8Array} bytes
   * @param {boolean} littleEndian
   */
  constructor(bytes, littleEndian) {
    this.bytes = bytes;
    this.littleEndian = littleEndian;
  }

  /** @param {number} offset */
  u16(offset) {
    if (offset < 0 || offset + 2 > this.bytes.length) {
      return null;
    }
    const first = this.bytes[offset];
    const second = this.bytes[offset + 1];
    return this.littleEndian ? first | (second << 8) : (first << 8) | second;
  }

  /** @param {number} offset */
  u32(offset) {
    const high = this.u16(offset + (this.littleEndian ? 2 : 0));
    const low = this.u16(offset + (this.littleEndian ? 0 : 2));
    return high === null || low === null ? null : high * 0x10000 + low;
  }

  /**
   * The entries' offsets of the IFD at `offset`, and the offset of the next IFD (0 if
   * none); null when the IFD does not fit in the bytes.
   *
   * @param {number} offset
   * @returns {{ entries: number[], next: number } | null}
   */
  ifd(offset) {
    const count = this.u16(offset);
    if (count === null || offset + 2 + count * ENTRY_BYTES > this.bytes.length) {
      return null;
    }
    const entries = Array.from({ length: count }, (_, i) => offset + 2 + i * ENTRY_BYTES);
    return { entries, next: this.u32(offset + 2 + count * ENTRY_BYTES) ?? 0 };
  }
}

/**
 * The findings in an Exif TIFF structure (added to `found`), and its Orientation if that
 * is 1 to 8.
 *
 * @param {Uint8Array} tiffBytes starts at the "II*\0" or "MM\0*" header
 * @param {Set<string>} found
 * @returns {number | null}
 */
export function readExif(tiffBytes, found) {
  const tiff = tiffOf(tiffBytes);
  if (tiff === null) {
    return null;
  }
  /** @type {Set<number>} */
  const visited = new Set();
  /** @param {number | null} offset */
  const visit = (offset) => {
    if (offset === null || offset === 0 || visited.has(offset)) {
      return null;
    }
    visited.add(offset);
    return tiff.ifd(offset);
  };

  let orientation = null;
  const ifd0 = visit(tiff.u32(4));
  if (ifd0 === null) {
    return null;
  }
  /** @type {number[]} */
  const exifIfds = [];
  let gpsOffset = null;
  for (const entry of ifd0.entries) {
    const tag = tiff.u16(entry);
    if (tag === ORIENTATION && tiff.u16(entry + 2) === SHORT) {
      const value = tiff.u16(entry + 8) ?? 0;
      orientation = value >= 1 && value <= 8 ? value : null;
    } else if (tag === EXIF_IFD) {
      exifIfds.push(tiff.u32(entry + 8) ?? 0);
    } else if (tag === GPS_IFD) {
      gpsOffset = tiff.u32(entry + 8);
    }
  }
  addTagFindings(tiff, ifd0.entries, found);
  for (const offset of exifIfds) {
    const exifIfd = visit(offset);
    if (exifIfd !== null) {
      addTagFindings(tiff, exifIfd.entries, found);
    }
  }
  if (visit(gpsOffset) !== null) {
    found.add("gps_position");
  }
  if (visit(ifd0.next) !== null) {
    found.add("thumbnail");
  }
  return orientation;
}

/**
 * @param {Tiff} tiff
 * @param {number[]} entries
 * @param {Set<string>} found
 */
function addTagFindings(tiff, entries, found) {
  for (const entry of entries) {
    const tag = /** @type {number} */ (tiff.u16(entry));
    if (!STRUCTURAL_TAGS.has(tag)) {
      found.add(TAG_FINDINGS.get(tag) ?? "other_exif");
    }
  }
}

/**
 * @param {Uint8Array} bytes
 * @returns {Tiff | null}
 */
function tiffOf(bytes) {
  if (bytes.length < 8) {
    return null;
  }
  const [a, b, c, d] = bytes;
  if (a === 0x49 && b === 0x49 && c === 0x2a && d === 0x00) {
    return new Tiff(bytes, true);
  }
  if (a === 0x4d && b === 0x4d && c === 0x00 && d === 0x2a) {
    return new Tiff(bytes, false);
  }
  return null;
}

/**
 * A minimal Exif TIFF: IFD0 with only the Orientation, no next IFD (big-endian, "MM").
 *
 * @param {number} orientation 2 to 8
 * @returns {Uint8Array}
 */
export function orientationTiff(orientation) {
  // prettier-ignore
  return Uint8Array.of(
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // header: big-endian, IFD0 at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, SHORT, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, // no next IFD
  );
}
