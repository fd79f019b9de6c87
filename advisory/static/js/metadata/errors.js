/**
 * The two errors the metadata modules throw, mirroring advisory/metadata's exceptions.
 *
 * `UnreadableFile.reason` is a short key ("truncated", "bad_segment_length", "not_a_jpeg",
 * "bad_crc", …), the same key the Python side gives for the same bytes. A damaged or hostile
 * file ends in one of these two errors and nothing else.
 *
 * @module metadata/errors
 */

/** The media type is not one this module knows how to clean. */
export class UnsupportedType extends Error {
  /** @param {string} mediaType */
  constructor(mediaType) {
    super(`no metadata cleaner for ${JSON.stringify(mediaType)}`);
    this.name = "UnsupportedType";
    /** @type {string} */
    this.mediaType = mediaType;
  }
}

/** The file does not have the structure its media type promises. */
export class UnreadableFile extends Error {
  /**
   * @param {string} reason a short key such as "truncated"
   * @param {string} [detail] for a developer; never shown to a reporter
   */
  constructor(reason, detail = reason) {
    super(`unreadable file: ${detail}`);
    this.name = "UnreadableFile";
    /** @type {string} */
    this.reason = reason;
  }
}
