/**
 * What a cleaner found: the finding keys shared with advisory/metadata, and the result every
 * cleaner returns.
 *
 * @module metadata/findings
 */

/**
 * Every finding key, in the order results list them.
 *
 * @type {readonly string[]}
 */
export const FINDING_KEYS = Object.freeze([
  "gps_position",
  "camera_model",
  "date_taken",
  "author",
  "software",
  "description",
  "comment",
  "xmp",
  "iptc",
  "thumbnail",
  "trailing_data",
  "timestamp",
  "other_exif",
  "text_chunks",
  "content_credentials",
  "other_metadata",
]);

/**
 * @typedef {object} Stripped
 * @property {Uint8Array} data the cleaned file
 * @property {string[]} removed finding keys of what was taken out
 * @property {string[]} foundNotRemoved finding keys of what is still in `data` (PDF)
 * @property {number | null} orientation the Exif orientation `data` still carries (2 to 8)
 */

/**
 * Finding keys in the order of FINDING_KEYS, each once.
 *
 * @param {Set<string>} found
 * @returns {string[]}
 */
export function ordered(found) {
  return FINDING_KEYS.filter((key) => found.has(key));
}

/**
 * @param {Uint8Array} data
 * @param {Set<string>} removed
 * @param {{ foundNotRemoved?: Set<string>, orientation?: number | null }} [more]
 * @returns {Stripped}
 */
export function stripped(data, removed, { foundNotRemoved = new Set(), orientation = null } = {}) {
  return {
    data,
    removed: ordered(removed),
    foundNotRemoved: ordered(foundNotRemoved),
    orientation,
  };
}
