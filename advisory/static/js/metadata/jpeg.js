/**
 * JPEG: the segments from SOI to EOI, with the metadata segments left out and everything
 * the picture needs (APP0 JFIF, APP2 ICC profile, APP14 Adobe, tables, frame and scan
 * headers, and the entropy-coded data with its stuffed bytes and restart markers, for every
 * scan of a progressive JPEG) copied byte for byte.
 *
 * Left out: APP0 JFXX (a thumbnail), APP1 Exif (read for findings first), APP1 XMP and
 * extended XMP, APP11 JUMBF (C2PA content credentials), APP13 (Photoshop/IPTC), every other
 * APPn ("other_metadata"), COM, and anything after EOI. An Orientation of 2 to 8 comes back
 * as a new APP1 Exif holding only that, where the first Exif segment was.
 *
 * @module metadata/jpeg
 */

import { Output, ascii, bytesAt, need, u16be } from "./bytes.js";
import { UnreadableFile } from "./errors.js";
import { EXIF_PREFIX, orientationTiff, readExif } from "./exif.js";
import { stripped } from "./findings.js";

const MARKER = 0xff;
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP11 = 0xeb;
const APP13 = 0xed;
const APP14 = 0xee;
const APP15 = 0xef;
const COM = 0xfe;
const RST0 = 0xd0;
const RST7 = 0xd7;
const TEM = 0x01;

/** What starts the payload of the application segments that are kept. */
const KEPT = new Map([
  [APP0, ascii("JFIF\0")],
  [APP2, ascii("ICC_PROFILE\0")],
  [APP14, ascii("Adobe")],
]);
const JFXX_PREFIX = ascii("JFXX\0");
const XMP_PREFIX = ascii("http://ns.adobe.com/xap/1.0/\0");
const EXTENDED_XMP_PREFIX = ascii("http://ns.adobe.com/xmp/extension/\0");
// JUMBF in APP11 (ISO 19566-5, as C2PA embeds it): "JP", a box instance number (2 bytes) and
// a packet sequence number (4), then the superbox's length (4) and its type, "jumb".
const JUMBF_PREFIX = ascii("JP");
const JUMBF_BOX_AT = 12;
const JUMBF_BOX = ascii("jumb");

/**
 * @param {Uint8Array} bytes
 * @returns {import("./findings.js").Stripped}
 */
export function stripJpeg(bytes) {
  if (bytes.length < 2 || bytes[0] !== MARKER || bytes[1] !== SOI) {
    throw new UnreadableFile("not_a_jpeg");
  }
  const out = new Output(bytes);
  /** @type {Set<string>} */
  const removed = new Set();
  out.keep(0, 2);
  /** @type {number | null} */
  let exifPlace = null;
  /** @type {number | null} */
  let orientation = null;

  let position = 2;
  for (;;) {
    const segment = readSegment(bytes, position);
    const { code, payloadStart, end } = segment;
    if (code === EOI) {
      out.keep(position, end);
      if (end < bytes.length) {
        removed.add("trailing_data");
      }
      break;
    }
    const payload = bytes.subarray(payloadStart, end);
    if (code === APP1 && bytesAt(payload, 0, EXIF_PREFIX)) {
      exifPlace ??= out.placeholder();
      const found = readExif(payload.subarray(EXIF_PREFIX.length), removed);
      orientation ??= found;
    } else {
      const finding = findingOf(code, payload);
      if (finding === null) {
        out.keep(position, end);
      } else {
        removed.add(finding);
      }
    }
    position = code === SOS ? endOfEntropyCodedData(bytes, end) : end;
    if (code === SOS) {
      out.keep(end, position);
    }
  }

  if (orientation !== null && orientation !== 1 && exifPlace !== null) {
    out.fill(exifPlace, app1Exif(orientationTiff(orientation)));
  } else {
    orientation = null;
  }
  return stripped(out.finish(), removed, { orientation });
}

/**
 * What a segment other than APP1 Exif reveals if it is left out; null if it is kept.
 *
 * @param {number} code its marker code
 * @param {Uint8Array} payload
 * @returns {string | null}
 */
function findingOf(code, payload) {
  if (code === COM) {
    return "comment";
  }
  if (code < APP0 || code > APP15) {
    return null; // tables, frame and scan headers, and every other marker
  }
  const kept = KEPT.get(code);
  if (kept !== undefined && bytesAt(payload, 0, kept)) {
    return null;
  }
  if (code === APP0 && bytesAt(payload, 0, JFXX_PREFIX)) {
    return "thumbnail";
  }
  if (
    code === APP1 &&
    (bytesAt(payload, 0, XMP_PREFIX) || bytesAt(payload, 0, EXTENDED_XMP_PREFIX))
  ) {
    return "xmp";
  }
  if (
    code === APP11 &&
    bytesAt(payload, 0, JUMBF_PREFIX) &&
    bytesAt(payload, JUMBF_BOX_AT, JUMBF_BOX)
  ) {
    return "content_credentials";
  }
  if (code === APP13) {
    return "iptc";
  }
  return "other_metadata";
}

/**
 * The marker segment at `position`: its marker code, where its payload starts and where it
 * ends. Fill bytes (extra 0xFF) before the code belong to the segment.
 *
 * @param {Uint8Array} bytes
 * @param {number} position
 * @returns {{ code: number, payloadStart: number, end: number }}
 */
function readSegment(bytes, position) {
  need(bytes, position, 2);
  if (bytes[position] !== MARKER) {
    throw new UnreadableFile("bad_marker", `no marker at ${position}`);
  }
  let at = position + 1;
  while (at < bytes.length && bytes[at] === MARKER) {
    at += 1;
  }
  need(bytes, at, 1);
  const code = bytes[at];
  if (code === EOI || code === TEM || (code >= RST0 && code <= RST7)) {
    return { code, payloadStart: at + 1, end: at + 1 };
  }
  if (code === SOI || code === 0x00) {
    throw new UnreadableFile("bad_marker", `marker ${code} at ${at}`);
  }
  need(bytes, at + 1, 2);
  const length = u16be(bytes, at + 1);
  if (length < 2) {
    throw new UnreadableFile("bad_segment_length", `length ${length} at ${at}`);
  }
  need(bytes, at + 1, length);
  return { code, payloadStart: at + 3, end: at + 1 + length };
}

/**
 * Where a scan's entropy-coded data, starting at `start`, ends: at the first marker that is
 * neither a stuffed 0xFF00 nor a restart marker.
 *
 * @param {Uint8Array} bytes
 * @param {number} start
 * @returns {number}
 */
function endOfEntropyCodedData(bytes, start) {
  let at = start;
  for (;;) {
    at = bytes.indexOf(MARKER, at);
    if (at === -1 || at + 1 >= bytes.length) {
      throw new UnreadableFile("truncated", "scan data without an end");
    }
    const next = bytes[at + 1];
    if (next !== 0x00 && (next < RST0 || next > RST7)) {
      return at;
    }
    at += 2;
  }
}

/**
 * An APP1 Exif segment around a TIFF structure.
 *
 * @param {Uint8Array} tiff
 * @returns {Uint8Array}
 */
function app1Exif(tiff) {
  const length = 2 + EXIF_PREFIX.length + tiff.length;
  const segment = new Uint8Array(2 + length);
  segment.set([MARKER, APP1, length >> 8, length & 0xff]);
  segment.set(EXIF_PREFIX, 4);
  segment.set(tiff, 4 + EXIF_PREFIX.length);
  return segment;
}
