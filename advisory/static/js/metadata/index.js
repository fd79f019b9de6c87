/**
 * Identifying metadata taken out of a reporter's evidence in the browser, before the file
 * is sealed; byte for byte what advisory/metadata does on the server, with the same finding
 * keys. No dependencies and no build step; each format lives beside this file:
 *
 *   metadata/jpeg.js      JPEG: every APPn but JFIF, ICC and Adobe; comments, trailing data
 *   metadata/png.js       PNG: text chunks, eXIf, tIME, caBX, trailing data
 *   metadata/webp.js      WebP: every chunk but the picture's and ICCP, trailing data
 *   metadata/gif.js       GIF: comments, XMP and other application extensions, trailing data
 *   metadata/pdf.js       PDF: reported, never rewritten
 *   metadata/exif.js      Exif read for findings; the Orientation-only Exif written back
 *   metadata/findings.js  the finding keys and the result
 *   metadata/bytes.js     bounds-checked reads, and output assembled from slices
 *   metadata/errors.js    UnsupportedType, UnreadableFile
 *
 * Usage:
 *
 *   import { strip, UnreadableFile } from "/static/js/metadata/index.js";
 *   const { data, removed, foundNotRemoved } = strip(bytes, file.type);
 *
 * A damaged or hostile file throws UnreadableFile (with a short `reason` key), an unknown
 * type UnsupportedType; nothing else, and in time linear in the file's size.
 *
 * @module metadata
 */

import { UnsupportedType } from "./errors.js";
import { stripped } from "./findings.js";
import { stripGif } from "./gif.js";
import { stripJpeg } from "./jpeg.js";
import { inspectPdf } from "./pdf.js";
import { stripPng } from "./png.js";
import { stripWebp } from "./webp.js";

export { UnreadableFile, UnsupportedType } from "./errors.js";
export { FINDING_KEYS } from "./findings.js";

/** @typedef {import("./findings.js").Stripped} Stripped */

/** @type {ReadonlyMap<string, (bytes: Uint8Array) => Stripped>} */
const CLEANERS = new Map([
  ["image/jpeg", stripJpeg],
  ["image/png", stripPng],
  ["image/webp", stripWebp],
  ["image/gif", stripGif],
  ["application/pdf", inspectPdf],
]);

/**
 * The file without its identifying metadata, and what was taken out or is still in it.
 *
 * @param {Uint8Array} bytes the file as the reporter chose it
 * @param {string} mediaType its media type, e.g. "image/jpeg"
 * @returns {Stripped}
 * @throws {UnsupportedType} for a type this module does not know
 * @throws {UnreadableFile} for a file that is not what its type says, or is damaged
 */
export function strip(bytes, mediaType) {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("strip takes the file's bytes as a Uint8Array");
  }
  const cleaner = CLEANERS.get(mediaType);
  if (cleaner !== undefined) {
    return cleaner(bytes);
  }
  if (mediaType === "text/plain" || /^audio\/[^/]+$/.test(mediaType)) {
    return stripped(bytes.slice(), new Set());
  }
  throw new UnsupportedType(mediaType);
}
