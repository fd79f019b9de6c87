/**
 * PDF: never rewritten (a correct PDF rewrite is a PDF library, and a wrong one loses the
 * evidence). The file comes back unchanged, with what it still reveals listed in
 * `foundNotRemoved`, found by scanning its uncompressed bytes for document-information names
 * and XMP packets. Metadata inside compressed object streams is not seen.
 *
 * @module metadata/pdf
 */

import { ascii, bytesAt, indexOfBytes } from "./bytes.js";
import { UnreadableFile } from "./errors.js";
import { stripped } from "./findings.js";

const HEADER = ascii("%PDF-");

/** Needle and finding; a name must be followed by a delimiter ("/Author" not "/Authors"). */
const NAMES = [
  ["/Author", "author"],
  ["/Creator", "software"],
  ["/Producer", "software"],
  ["/CreationDate", "date_taken"],
  ["/ModDate", "date_taken"],
  ["/Title", "description"],
  ["/Subject", "description"],
].map(([name, finding]) => ({ needle: ascii(name), finding, isName: true }));
const XMP = { needle: ascii("<x:xmpmeta"), finding: "xmp", isName: false };

// PDF whitespace and delimiters (ISO 32000-1, 7.2.2 and 7.2.3): what may end a name.
const NAME_ENDS = new Set(ascii("\0\t\n\f\r ()<>[]{}/%"));

/**
 * @param {Uint8Array} bytes
 * @returns {import("./findings.js").Stripped}
 */
export function inspectPdf(bytes) {
  if (!bytesAt(bytes, 0, HEADER)) {
    throw new UnreadableFile("not_a_pdf");
  }
  /** @type {Set<string>} */
  const found = new Set();
  for (const { needle, finding, isName } of [...NAMES, XMP]) {
    if (!found.has(finding) && occurs(bytes, needle, isName)) {
      found.add(finding);
    }
  }
  return stripped(bytes.slice(), new Set(), { foundNotRemoved: found });
}

/**
 * @param {Uint8Array} bytes
 * @param {Uint8Array} needle
 * @param {boolean} isName
 * @returns {boolean}
 */
function occurs(bytes, needle, isName) {
  for (let at = indexOfBytes(bytes, needle, 0); at !== -1; ) {
    const after = at + needle.length;
    if (!isName || after === bytes.length || NAME_ENDS.has(bytes[after])) {
      return true;
    }
    at = indexOfBytes(bytes, needle, after);
  }
  return false;
}

/** At most this many characters of one value are shown. */
const MAX_VALUE_CHARS = 80;
/** Escapes of a PDF literal string (ISO 32000-1, 7.3.4.2) that stand for one byte. */
const ESCAPES = new Map([
  [0x6e, 0x0a], // \n
  [0x72, 0x0d], // \r
  [0x74, 0x09], // \t
  [0x62, 0x08], // \b
  [0x66, 0x0c], // \f
]);

/**
 * What the document information says beside its names, for the reporter to see before they
 * decide to send a PDF: e.g. `{finding: "author", value: "Kari Nordmann"}`. Values written
 * directly (literal or hex strings) only; one kept through a reference is not followed.
 * Each value is cut to 80 characters; at most 12 in all.
 *
 * @param {Uint8Array} bytes
 * @returns {Array<{finding: string, value: string}>}
 */
export function pdfDetails(bytes) {
  /** @type {Array<{finding: string, value: string}>} */
  const details = [];
  for (const { needle, finding } of NAMES) {
    let at = indexOfBytes(bytes, needle, 0);
    while (at !== -1 && details.length < 12) {
      const value = valueAfter(bytes, at + needle.length);
      if (value && !details.some((d) => d.finding === finding && d.value === value)) {
        details.push({ finding, value });
      }
      at = indexOfBytes(bytes, needle, at + needle.length);
    }
  }
  return details;
}

/**
 * The string value that follows a name, as text; "" when none is written there.
 *
 * @param {Uint8Array} bytes
 * @param {number} from
 * @returns {string}
 */
function valueAfter(bytes, from) {
  let at = from;
  while (at < bytes.length && [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(bytes[at])) {
    at += 1;
  }
  if (bytes[at] === 0x28) {
    return readable(literalString(bytes, at + 1));
  }
  if (bytes[at] === 0x3c && bytes[at + 1] !== 0x3c) {
    return readable(hexString(bytes, at + 1));
  }
  return "";
}

/**
 * @param {Uint8Array} bytes
 * @param {number} from just after "("
 * @returns {Uint8Array}
 */
function literalString(bytes, from) {
  const out = [];
  let depth = 0;
  for (let at = from; at < bytes.length && out.length < 4 * MAX_VALUE_CHARS; at += 1) {
    const byte = bytes[at];
    if (byte === 0x5c) {
      at += 1;
      const escaped = bytes[at];
      out.push(ESCAPES.get(escaped) ?? escaped);
      continue;
    }
    if (byte === 0x28) {
      depth += 1;
    } else if (byte === 0x29) {
      if (depth === 0) {
        break;
      }
      depth -= 1;
    }
    out.push(byte);
  }
  return Uint8Array.from(out.filter((byte) => byte !== undefined));
}

/**
 * @param {Uint8Array} bytes
 * @param {number} from just after "<"
 * @returns {Uint8Array}
 */
function hexString(bytes, from) {
  let digits = "";
  for (let at = from; at < bytes.length && bytes[at] !== 0x3e; at += 1) {
    const char = String.fromCharCode(bytes[at]);
    if (/[0-9a-fA-F]/.test(char)) {
      digits += char;
    }
    if (digits.length >= 8 * MAX_VALUE_CHARS) {
      break;
    }
  }
  const out = [];
  for (let at = 0; at < digits.length; at += 2) {
    out.push(parseInt(digits.slice(at, at + 2).padEnd(2, "0"), 16));
  }
  return Uint8Array.from(out);
}

/**
 * A PDF text string as text: UTF-16BE after its byte-order mark, else one byte a character;
 * a date `D:YYYYMMDD…` as YYYY-MM-DD; no control characters; cut short.
 *
 * @param {Uint8Array} raw
 * @returns {string}
 */
function readable(raw) {
  let text;
  if (raw[0] === 0xfe && raw[1] === 0xff) {
    text = new TextDecoder("utf-16be").decode(raw.subarray(2));
  } else {
    text = Array.from(raw, (byte) => String.fromCharCode(byte)).join("");
  }
  const date = /^D:(\d{4})(\d{2})(\d{2})/.exec(text);
  if (date) {
    text = `${date[1]}-${date[2]}-${date[3]}`;
  }
  text = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, " ");
  text = text.replace(/\s+/g, " ").trim();
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
