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
