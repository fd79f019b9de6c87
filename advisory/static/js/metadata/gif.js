/**
 * GIF: the blocks from the header to the trailer, with Comment extensions and application
 * extensions other than NETSCAPE2.0 and ANIMEXTS1.0 (the loop count) left out (XMP: "xmp";
 * any other, ImageMagick's 8BIM and IPTC profiles among them: "other_metadata") and anything
 * after the trailer (0x3B) dropped. Images, colour tables, graphic controls, plain text and
 * the two loop-count extensions are copied byte for byte.
 *
 * @module metadata/gif
 */

import { Output, ascii, bytesAt, need } from "./bytes.js";
import { UnreadableFile } from "./errors.js";
import { stripped } from "./findings.js";

const GIF87A = ascii("GIF87a");
const GIF89A = ascii("GIF89a");
const SCREEN_DESCRIPTOR_END = 13;
const IMAGE_DESCRIPTOR_BYTES = 10;
const EXTENSION = 0x21;
const IMAGE = 0x2c;
const TRAILER = 0x3b;
const COMMENT_LABEL = 0xfe;
const APPLICATION_LABEL = 0xff;
// The first sub-block of an application extension: 11 bytes of identifier and code.
const XMP_APPLICATION = ascii("\x0bXMP DataXMP");
const KEPT_APPLICATIONS = [ascii("\x0bNETSCAPE2.0"), ascii("\x0bANIMEXTS1.0")];
const COLOUR_TABLE_FLAG = 0x80;

/**
 * @param {Uint8Array} bytes
 * @returns {import("./findings.js").Stripped}
 */
export function stripGif(bytes) {
  if (!bytesAt(bytes, 0, GIF87A) && !bytesAt(bytes, 0, GIF89A)) {
    throw new UnreadableFile("not_a_gif");
  }
  need(bytes, 0, SCREEN_DESCRIPTOR_END);
  const out = new Output(bytes);
  /** @type {Set<string>} */
  const removed = new Set();
  let position = SCREEN_DESCRIPTOR_END + colourTableBytes(bytes[10]);
  out.keep(0, position);

  for (;;) {
    need(bytes, position, 1);
    const introducer = bytes[position];
    if (introducer === TRAILER) {
      out.keep(position, position + 1);
      if (position + 1 < bytes.length) {
        removed.add("trailing_data");
      }
      break;
    }
    let end;
    if (introducer === EXTENSION) {
      need(bytes, position, 2);
      const label = bytes[position + 1];
      end = afterSubBlocks(bytes, position + 2);
      if (label === COMMENT_LABEL) {
        removed.add("comment");
      } else if (label === APPLICATION_LABEL && bytesAt(bytes, position + 2, XMP_APPLICATION)) {
        removed.add("xmp");
      } else if (
        label === APPLICATION_LABEL &&
        !KEPT_APPLICATIONS.some((kept) => bytesAt(bytes, position + 2, kept))
      ) {
        removed.add("other_metadata");
      } else {
        out.keep(position, end);
      }
    } else if (introducer === IMAGE) {
      need(bytes, position, IMAGE_DESCRIPTOR_BYTES + 1);
      const tableEnd = position + IMAGE_DESCRIPTOR_BYTES + colourTableBytes(bytes[position + 9]);
      // After the local colour table: the LZW minimum code size, then the data sub-blocks.
      end = afterSubBlocks(bytes, tableEnd + 1);
      out.keep(position, end);
    } else {
      throw new UnreadableFile("bad_block", `block ${introducer} at ${position}`);
    }
    position = end;
  }
  return stripped(out.finish(), removed);
}

/**
 * The size of the colour table a descriptor's packed byte announces (0 if none).
 *
 * @param {number} packed
 * @returns {number}
 */
function colourTableBytes(packed) {
  return packed & COLOUR_TABLE_FLAG ? 3 * 2 ** ((packed & 0x07) + 1) : 0;
}

/**
 * Where a chain of data sub-blocks starting at `position` ends (after its empty block).
 *
 * @param {Uint8Array} bytes
 * @param {number} position
 * @returns {number}
 */
function afterSubBlocks(bytes, position) {
  let at = position;
  for (;;) {
    need(bytes, at, 1);
    const size = bytes[at];
    at += 1 + size;
    if (size === 0) {
      return at;
    }
  }
}
