/**
 * WebP: the RIFF chunks the picture needs (VP8, VP8L, VP8X, ALPH, ANIM, ANMF, ICCP) copied
 * byte for byte with their padding byte, every other chunk left out: EXIF (read for findings
 * first), "XMP ", C2PA (content credentials) and any other ("other_metadata"). The VP8X
 * header no longer announces Exif or XMP (flags 0x08 and 0x04 cleared), the RIFF size is
 * made to match, and anything after the RIFF container is dropped.
 *
 * @module metadata/webp
 */

import { Output, ascii, bytesAt, need, u32le } from "./bytes.js";
import { UnreadableFile } from "./errors.js";
import { EXIF_PREFIX, readExif } from "./exif.js";
import { stripped } from "./findings.js";

const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");
const HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;
const VP8X_EXIF_FLAG = 0x08;
const VP8X_XMP_FLAG = 0x04;
const KEPT = new Set(["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"]);

/**
 * @param {Uint8Array} bytes
 * @returns {import("./findings.js").Stripped}
 */
export function stripWebp(bytes) {
  if (!bytesAt(bytes, 0, RIFF) || !bytesAt(bytes, 8, WEBP)) {
    throw new UnreadableFile("not_a_webp");
  }
  const riffEnd = 8 + u32le(bytes, 4);
  if (riffEnd < HEADER_BYTES) {
    throw new UnreadableFile("bad_riff_size");
  }
  need(bytes, 0, riffEnd);
  const out = new Output(bytes);
  /** @type {Set<string>} */
  const removed = new Set();
  const riffHeader = new Uint8Array(HEADER_BYTES);
  out.add(riffHeader);
  /** @type {number[]} where each VP8X chunk's flags byte lands in the output */
  const flags = [];

  let position = HEADER_BYTES;
  while (position < riffEnd) {
    if (position + CHUNK_HEADER_BYTES > riffEnd) {
      throw new UnreadableFile("truncated", `chunk header at ${position}`);
    }
    const type = String.fromCharCode(...bytes.subarray(position, position + 4));
    const size = u32le(bytes, position + 4);
    const end = position + CHUNK_HEADER_BYTES + size + (size % 2);
    if (end > riffEnd) {
      throw new UnreadableFile("truncated", `${type} chunk at ${position}`);
    }
    const dataStart = position + CHUNK_HEADER_BYTES;
    const data = bytes.subarray(dataStart, dataStart + size);
    if (type === "EXIF") {
      readExif(bytesAt(data, 0, EXIF_PREFIX) ? data.subarray(EXIF_PREFIX.length) : data, removed);
    } else if (type === "XMP ") {
      removed.add("xmp");
    } else if (type === "C2PA") {
      removed.add("content_credentials");
    } else if (!KEPT.has(type)) {
      removed.add("other_metadata");
    } else {
      if (type === "VP8X" && size > 0) {
        flags.push(out.length + CHUNK_HEADER_BYTES);
      }
      out.keep(position, end);
    }
    position = end;
  }
  if (riffEnd < bytes.length) {
    removed.add("trailing_data");
  }

  riffHeader.set(RIFF);
  new DataView(riffHeader.buffer).setUint32(4, out.length - 8, true);
  riffHeader.set(WEBP, 8);
  const data = out.finish();
  for (const at of flags) {
    data[at] &= ~(VP8X_EXIF_FLAG | VP8X_XMP_FLAG);
  }
  return stripped(data, removed);
}
