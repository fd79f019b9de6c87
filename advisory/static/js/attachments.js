/**
 * One evidence file, from the reporter's choice to a finished sealed upload; no page here
 * (static/js/evidence.js is the field that uses it).
 *
 * - `sniff` and `safeName` are advisory/file_types.py's rules, byte for byte: a file is
 *   known by its first bytes, never by its name or the type the browser claims.
 * - `headerText` is the header advisory/services/attachment_sealing.py writes for a file sent
 *   without JavaScript: the browser seals exactly the same shape.
 * - `uploadSealed` announces a padded file (`POST /api/v1/uploads`), then seals it chunk by
 *   chunk with `sealStream` and sends the sealed chunks 16 to a request
 *   (`PUT /api/v1/uploads/chunks/<first>`). A batch that fails is sent again after a pause
 *   that doubles each time, from where the server says it stands
 *   (`GET /api/v1/uploads/progress`); while the browser is offline it waits for the
 *   connection instead. Only sealed chunks ever leave: the plaintext stays in a Blob here.
 *
 * @module attachments
 */

import { b64urlEncode } from "./crypto/encoding.js";
import { chunkCount, sealStream } from "./crypto/stream.js";

const MAX_FILE_NAME_CHARS = 120;
/** Sealed chunks in one request (advisory/services/attachments.py CHUNKS_PER_BATCH). */
const CHUNKS_PER_BATCH = 16;
/** Pauses before each retry of a failed request, in milliseconds; then it has failed. */
const RETRY_PAUSES = Object.freeze([1000, 2000, 4000, 8000, 15000]);
const HEADER_VERSION = 1;

// --- which files (advisory/file_types.py) --------------------------------------------------

const SIGNATURES = [
  { type: "image/jpeg", at: 0, bytes: [0xff, 0xd8, 0xff] },
  { type: "image/png", at: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: "image/webp", at: 0, bytes: ascii("RIFF"), also: { at: 8, bytes: ascii("WEBP") } },
  { type: "image/gif", at: 0, bytes: ascii("GIF87a") },
  { type: "image/gif", at: 0, bytes: ascii("GIF89a") },
  { type: "application/pdf", at: 0, bytes: ascii("%PDF-") },
  { type: "audio/webm", at: 0, bytes: [0x1a, 0x45, 0xdf, 0xa3] },
  { type: "audio/ogg", at: 0, bytes: ascii("OggS") },
  { type: "audio/mpeg", at: 0, bytes: ascii("ID3") },
  { type: "audio/mpeg", at: 0, bytes: [0xff, 0xfb] },
  { type: "audio/mpeg", at: 0, bytes: [0xff, 0xf3] },
  { type: "audio/mpeg", at: 0, bytes: [0xff, 0xf2] },
  { type: "audio/mp4", at: 4, bytes: ascii("ftyp") },
  { type: "audio/wav", at: 0, bytes: ascii("RIFF"), also: { at: 8, bytes: ascii("WAVE") } },
];

/**
 * The accepted type these bytes are, or null. Text is UTF-8 without NUL characters.
 *
 * @param {Uint8Array} bytes
 * @returns {string | null}
 */
export function sniff(bytes) {
  const head = bytes.subarray(0, 16);
  for (const { type, at, bytes: expected, also } of SIGNATURES) {
    if (startsWith(head, at, expected) && (!also || startsWith(head, also.at, also.bytes))) {
      return type;
    }
  }
  return isText(bytes) ? "text/plain" : null;
}

/**
 * @param {Uint8Array} head
 * @param {number} at
 * @param {number[]} expected
 */
function startsWith(head, at, expected) {
  return head.length >= at + expected.length && expected.every((b, i) => head[at + i] === b);
}

/** @param {Uint8Array} bytes */
function isText(bytes) {
  if (bytes.includes(0)) {
    return false;
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Python's str.isprintable() is false for these categories, and for every space but " ".
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

/**
 * A file name to keep in the sealed header: no folders, no control characters, short.
 *
 * @param {string} name
 * @param {string} mediaType
 * @returns {string}
 */
export function safeName(name, mediaType) {
  const base = name.replaceAll("\\", "/").split("/").at(-1) ?? "";
  let cleaned = [...base]
    .filter((character) => !NOT_PRINTABLE.test(character))
    .join("")
    .trim()
    .replace(/^\.+|\.+$/g, "");
  if (!cleaned) {
    cleaned = `file.${mediaType.split("/").at(-1)}`;
  }
  return [...cleaned].slice(0, MAX_FILE_NAME_CHARS).join("");
}

/**
 * The header sealed with a file, in the shape (and key order) the server writes.
 *
 * @param {{key: Uint8Array, name: string, type: string, size: number, removed: string[]}} file
 * @returns {string} JSON
 */
export function headerText({ key, name, type, size, removed }) {
  return JSON.stringify({
    v: HEADER_VERSION,
    key: b64urlEncode(key),
    name,
    type,
    size,
    removed: [...removed],
  });
}

// --- the upload -----------------------------------------------------------------------------

/** The upload could not finish; `reason` is the server's word, or "network". */
export class UploadFailed extends Error {
  /** @param {string} reason */
  constructor(reason) {
    super(`upload failed: ${reason}`);
    this.name = "UploadFailed";
    this.reason = reason;
  }
}

/** Answers worth asking again: the server was busy, or a proxy gave up on it. */
const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Where and how to upload: the API's address, the CSRF token, and the fields that say which
 * form the files are for (for a report: its `submission_token`).
 *
 * @typedef {object} UploadApi
 * @property {string} base the address of `POST /api/v1/uploads`
 * @property {string} csrfToken
 * @property {Record<string, string>} fields
 */

/**
 * What the uploader tells its page.
 *
 * @typedef {object} UploadEvents
 * @property {(sent: number, total: number) => void} [progress] chunks the server holds
 * @property {(offline: boolean) => void} [waiting] true while it waits for the connection
 * @property {(token: string) => void} [started] the upload's token, once the server gave it
   (to go on with after a failure)
 * @property {AbortSignal} [signal] stops the upload (the reporter removed the file)
 */

/**
 * Upload a padded file sealed under `key`. Given the `token` of an earlier try, it goes on
 * from where the server says that upload stands (or starts again if the server no longer
 * knows it). Resolves to the upload token.
 *
 * @param {UploadApi} api
 * @param {Uint8Array} key the file's content key
 * @param {Blob} padded the cleaned file, padded to its bucket (never sent as it is)
 * @param {UploadEvents & {token?: string}} [options]
 * @returns {Promise<string>}
 * @throws {UploadFailed | DOMException} DOMException "AbortError" once `signal` aborts
 */
export async function uploadSealed(api, key, padded, options = {}) {
  const { signal } = options;
  const total = chunkCount(padded.size);
  let token = options.token ?? "";
  let next = 0;
  if (token) {
    try {
      next = await withRetries(() => askProgress(api, token, signal), options);
    } catch (error) {
      if (!(error instanceof UploadFailed && error.reason === "unknown_upload")) {
        throw error;
      }
      token = "";
    }
  }
  if (!token) {
    token = await withRetries(() => begin(api, padded.size, signal), options);
    options.started?.(token);
  }
  options.progress?.(next, total);
  const source = new ChunkSource(key, padded);
  while (next < total) {
    const first = next;
    const batch = await source.take(first, Math.min(CHUNKS_PER_BATCH, total - first));
    next = await sendBatch(api, token, first, batch, options);
    options.progress?.(next, total);
  }
  return token;
}

/**
 * The sealed chunks of a file, in order, made as they are asked for: at most one batch is
 * held. Going back (the server lost chunks it had taken, which it should never do) seals the
 * file again from the start: the same key and position give the same sealed bytes.
 */
class ChunkSource {
  /**
   * @param {Uint8Array} key
   * @param {Blob} padded
   */
  constructor(key, padded) {
    this.key = key;
    this.padded = padded;
    this.stream = sealStream(key, padded);
    this.position = 0;
  }

  /**
   * @param {number} first
   * @param {number} count
   * @returns {Promise<Uint8Array[]>}
   */
  async take(first, count) {
    if (first < this.position) {
      this.stream = sealStream(this.key, this.padded);
      this.position = 0;
    }
    const batch = [];
    while (this.position < first + count) {
      const { value, done } = await this.stream.next();
      if (done || !value) {
        throw new RangeError("the sealed file ended early");
      }
      if (this.position >= first) {
        batch.push(value);
      }
      this.position += 1;
    }
    return batch;
  }
}

/**
 * PUT a batch of sealed chunks numbered from `first`. After a failure, ask where the server
 * stands and send only what it lacks: a batch whose answer was lost is not sent twice.
 *
 * @param {UploadApi} api
 * @param {string} token
 * @param {number} first
 * @param {Uint8Array[]} batch
 * @param {UploadEvents} options
 * @returns {Promise<number>} the next chunk the server expects
 */
function sendBatch(api, token, first, batch, options) {
  const { signal } = options;
  let from = first;
  return withRetries(async (again) => {
    if (again) {
      from = await askProgress(api, token, signal);
    }
    while (from >= first && from < first + batch.length) {
      const body = new Blob(batch.slice(from - first), { type: "application/octet-stream" });
      const answer = await request(api, "PUT", `/chunks/${from}`, signal, { token, body });
      if (answer.status === 409 && typeof answer.json.next === "number") {
        from = answer.json.next; // a gap: go on where the server stands
        continue;
      }
      return expectNext(answer);
    }
    return from; // the batch is in already, or the server is behind it
  }, options);
}

/**
 * Run `attempt` until it succeeds, pausing before each retry of a failure that may pass
 * (no answer, a busy server): 1, 2, 4, 8 and 15 seconds, then UploadFailed("network").
 * While the browser says it is offline it waits for the connection instead, which does not
 * count as a try.
 *
 * @template T
 * @param {(again: boolean) => Promise<T>} attempt told whether this is a retry
 * @param {UploadEvents} options
 * @returns {Promise<T>}
 */
async function withRetries(attempt, options) {
  let failures = 0;
  for (let again = false; ; again = true) {
    try {
      return await attempt(again);
    } catch (error) {
      if (!(error instanceof TransientFailure)) {
        throw error;
      }
    }
    if (navigator.onLine === false) {
      options.waiting?.(true);
      try {
        await online(options.signal);
      } finally {
        options.waiting?.(false);
      }
    } else if (failures < RETRY_PAUSES.length) {
      await pause(RETRY_PAUSES[failures], options.signal);
      failures += 1;
    } else {
      throw new UploadFailed("network");
    }
  }
}

/** A failure that may pass: no answer at all, or a busy server. */
class TransientFailure extends Error {}

/**
 * @param {UploadApi} api
 * @param {number} paddedBytes
 * @param {AbortSignal} [signal]
 * @returns {Promise<string>}
 */
async function begin(api, paddedBytes, signal) {
  const body = new URLSearchParams({ ...api.fields, padded_bytes: String(paddedBytes) });
  const answer = await request(api, "POST", "", signal, { body });
  if (answer.status !== 201 || typeof answer.json.upload !== "string") {
    throw new UploadFailed(String(answer.json.error ?? answer.status));
  }
  return answer.json.upload;
}

/**
 * @param {UploadApi} api
 * @param {string} token
 * @param {AbortSignal} [signal]
 * @returns {Promise<number>}
 */
async function askProgress(api, token, signal) {
  return expectNext(await request(api, "GET", "/progress", signal, { token }));
}

/** @param {{status: number, json: Record<string, any>}} answer */
function expectNext(answer) {
  if (answer.status !== 200 || typeof answer.json.next !== "number") {
    throw new UploadFailed(String(answer.json.error ?? answer.status));
  }
  return answer.json.next;
}

/**
 * One request to the upload API; a lost connection or a busy server is a TransientFailure.
 *
 * @param {UploadApi} api
 * @param {string} method
 * @param {string} path after the API's base
 * @param {AbortSignal | undefined} signal
 * @param {{token?: string, body?: BodyInit}} parts
 * @returns {Promise<{status: number, json: Record<string, any>}>}
 */
async function request(api, method, path, signal, { token, body }) {
  /** @type {Record<string, string>} */
  const headers = { "X-CSRFToken": api.csrfToken, Accept: "application/json" };
  if (token) {
    headers["Upload-Token"] = token;
  }
  let response;
  let json = {};
  try {
    response = await fetch(api.base + path, {
      method,
      headers,
      body,
      signal,
      credentials: "same-origin",
      cache: "no-store",
    });
    const text = await response.text();
    try {
      json = JSON.parse(text);
    } catch {
      json = {}; // an error page, not the API's answer
    }
  } catch (error) {
    if (signal?.aborted) {
      throw error;
    }
    throw new TransientFailure("no answer");
  }
  if (TRANSIENT.has(response.status)) {
    throw new TransientFailure(`answer ${response.status}`);
  }
  return { status: response.status, json };
}

/**
 * @param {number} milliseconds
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
function pause(milliseconds, signal) {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(done, milliseconds);
    signal?.addEventListener("abort", stop, { once: true });
    function done() {
      signal?.removeEventListener("abort", stop);
      resolve();
    }
    function stop() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
  });
}

/**
 * Resolves when the browser says it is online again.
 *
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
function online(signal) {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    window.addEventListener("online", done, { once: true });
    signal?.addEventListener("abort", stop, { once: true });
    function done() {
      signal?.removeEventListener("abort", stop);
      resolve();
    }
    function stop() {
      window.removeEventListener("online", done);
      reject(signal?.reason);
    }
  });
}

/** @param {string} text */
function ascii(text) {
  return [...text].map((character) => character.charCodeAt(0));
}
