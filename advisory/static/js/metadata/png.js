/**
 * PNG: the chunks from IHDR to IEND, each checked against its CRC, with the text chunks
 * (tEXt, zTXt, iTXt; an iTXt XML:com.adobe.xmp is "xmp" too), eXIf, tIME and caBX (C2PA
 * content credentials) left out and everything after IEND dropped. Every other chunk (the
 * image data, palette, colour information, APNG frames, private chunks) is copied byte for
 * byte.
 *
 * @module metadata/png
 */

import { Output, bytesAt, need, u32be } from "./bytes.js";
import { UnreadableFile } from "./errors.js";
import { readExif } from "./exif.js";
import { stripped } from "./findings.js";

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const MAX_CHUNK_LENGTH = 0x7fffffff;
const TEXT_CHUNKS = new Set(["tEXt", "zTXt", "iTXt"]);

/** Text-chunk keywords that say who, with what or when; every text chunk is "text_chunks". */
const KEYWORD_FINDINGS = new Map([
  ["Author", "author"],
  ["Software", "software"],
  ["Comment", "comment"],
  ["Description", "description"],
  ["Creation Time", "date_taken"],
]);
const XMP_KEYWORD = "XML:com.adobe.xmp"; // an XMP packet, in an iTXt chunk
const LONGEST_KEYWORD = 79;
const NUL = 0;

/**
 * @param {Uint8Array} bytes
 * @returns {import("./findings.js").Stripped}
 */
export function stripPng(bytes) {
  if (!bytesAt(bytes, 0, SIGNATURE)) {
    throw new UnreadableFile("not_a_png");
  }
  const out = new Output(bytes);
  /** @type {Set<string>} */
  const removed = new Set();
  out.keep(0, SIGNATURE.length);

  let position = SIGNATURE.length;
  for (let first = true; ; first = false) {
    if (position === bytes.length) {
      throw new UnreadableFile(first ? "missing_ihdr" : "missing_iend");
    }
    need(bytes, position, 8);
    const length = u32be(bytes, position);
    if (length > MAX_CHUNK_LENGTH) {
      throw new UnreadableFile("bad_chunk_length", `length ${length} at ${position}`);
    }
    need(bytes, position, 12 + length);
    const type = String.fromCharCode(...bytes.subarray(position + 4, position + 8));
    const end = position + 12 + length;
    if (first && type !== "IHDR") {
      throw new UnreadableFile("missing_ihdr");
    }
    if (crc32(bytes, position + 4, end - 4) !== u32be(bytes, end - 4)) {
      throw new UnreadableFile("bad_crc", `${type} at ${position}`);
    }
    const data = bytes.subarray(position + 8, end - 4);
    if (TEXT_CHUNKS.has(type)) {
      removed.add("text_chunks");
      const keyword = keywordOf(data);
      const finding = KEYWORD_FINDINGS.get(keyword);
      if (finding !== undefined) {
        removed.add(finding);
      }
      if (type === "iTXt" && keyword === XMP_KEYWORD) {
        removed.add("xmp");
      }
    } else if (type === "eXIf") {
      readExif(data, removed);
    } else if (type === "tIME") {
      removed.add("timestamp");
    } else if (type === "caBX") {
      removed.add("content_credentials");
    } else {
      out.keep(position, end);
    }
    position = end;
    if (type === "IEND") {
      break;
    }
  }
  if (position < bytes.length) {
    removed.add("trailing_data");
  }
  return stripped(out.finish(), removed);
}

/**
 * A text chunk's keyword: its bytes up to the first NUL (at most 79, as Latin-1).
 *
 * @param {Uint8Array} data
 * @returns {string}
 */
function keywordOf(data) {
  const end = data.subarray(0, LONGEST_KEYWORD + 1).indexOf(NUL);
  return end === -1 ? "" : String.fromCharCode(...data.subarray(0, end));
}

/** @type {Uint32Array | undefined} */
let crcTable;

/**
 * CRC-32 (ISO 3309, as PNG uses it) of `bytes[start:end]`.
 *
 * @param {Uint8Array} bytes
 * @param {number} start
 * @param {number} end
 * @returns {number}
 */
function crc32(bytes, start, end) {
  const table = (crcTable ??= makeCrcTable());
  let crc = 0xffffffff;
  for (let i = start; i < end; i += 1) {
    crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function makeCrcTable() {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c;
  }
  return table;
}
