/**
 * Evidence files on the case page, opened in the lawyer's browser.
 *
 * Each listed file (`[data-attachment-header]` in `#evidence`) carries its header envelope,
 * sealed to the line key: the file's content key, name, type, true size, and the metadata
 * removed before it was sealed. `openEvidence(keys)`, called by case-view.js with the line
 * keys it holds, opens each header and shows what it says. "Show" and "Download" fetch the
 * file's sealed stream (each fetch is an audited read on the server), open every chunk
 * (crypto/stream.js) and only then use the file: an altered stream shows a message and
 * nothing of the file.
 *
 * Everything in a header was written by the reporter's browser, so none of it is trusted:
 * the name is shown as text and cleaned before it names a download, and the type only picks
 * one of our own ways of showing a file, with a Blob type chosen here (a PDF only when its
 * bytes start as one, never HTML). An unknown type is offered for download only, as bytes.
 *
 * @module evidence-view
 */

import { templateTexts } from "./enhance.js";
import { contextOf, openText, parseEnvelope } from "./hpke.js";
import { b64urlDecodeOrNull } from "./crypto/encoding.js";
import { KEY_BYTES, SEALED_CHUNK_BYTES, openChunks, sealedLength } from "./crypto/stream.js";
import { FINDING_KEYS } from "./metadata/findings.js";

const HEADER_VERSION = 1;
// The directions a header on the case page is sealed in: a reporter's file to the line, and
// the line's own copy of a lawyer's.
const HEADER_DIRECTIONS = Object.freeze(["reporter-to-line", "line-to-line"]);
const MAX_NAME_CHARS = 120;
const MAX_REMOVED = 64;
// The types the line takes (advisory/file_types.py), with the endings their files carry.
const EXTENSIONS = Object.freeze({
  "image/jpeg": [".jpg", ".jpeg"],
  "image/png": [".png"],
  "image/webp": [".webp"],
  "image/gif": [".gif"],
  "application/pdf": [".pdf"],
  "text/plain": [".txt"],
  "audio/webm": [".webm", ".weba"],
  "audio/ogg": [".ogg", ".oga", ".opus"],
  "audio/mpeg": [".mp3"],
  "audio/mp4": [".m4a", ".mp4"],
  "audio/wav": [".wav"],
});
const UNKNOWN_EXTENSION = ".bin";
const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"
// Anything that is not plainly text in a file name: controls, invisible formatting (bidi
// overrides among them), line and paragraph separators, and path separators.
const NOT_IN_NAMES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\\/]/gu;
// A saved download's address is let go after this long, if no later one replaced it first.
const DOWNLOAD_URL_LIFETIME_MS = 60_000;
let previews = 0;

/**
 * A checked header.
 *
 * @typedef {object} EvidenceHeader
 * @property {Uint8Array} key the content key
 * @property {string} name cleaned, with an ending that fits its type
 * @property {string | null} type one of the accepted types, or null for any other
 * @property {number} size the true size in bytes
 * @property {string[]} removed finding keys (unknown ones as "other")
 */

/**
 * Open the header of every listed file the keys open, once; the rest stay as listed.
 *
 * @param {Map<string, CryptoKey>} keys line key id → private key
 * @returns {Promise<number>} how many files are sealed to a key not among `keys`
 */
export async function openEvidence(keys) {
  const section = document.getElementById("evidence");
  if (!section) {
    return 0;
  }
  const texts = templateTexts("evidence-texts");
  let locked = 0;
  for (const item of section.querySelectorAll("[data-attachment-header]")) {
    if (!(item instanceof HTMLElement) || item.dataset.evidenceState) {
      continue; // opened already (or found unreadable)
    }
    const envelope = item.dataset.attachmentHeader ?? "";
    let keyId;
    try {
      keyId = parseEnvelope(envelope).keyId;
    } catch {
      showUnreadable(item, texts);
      continue;
    }
    const key = keys.get(keyId);
    if (!key) {
      locked += 1;
      continue;
    }
    const header = await openHeader(section, item, envelope, key);
    if (header === null) {
      showUnreadable(item, texts);
    } else {
      showFile(item, header, texts);
    }
  }
  return locked;
}

/**
 * @param {HTMLElement} section names the line and case (the envelope context)
 * @param {HTMLElement} item
 * @param {string} envelope
 * @param {CryptoKey} key
 * @returns {Promise<EvidenceHeader | null>}
 */
async function openHeader(section, item, envelope, key) {
  const direction = item.dataset.direction ?? "";
  const paddedBytes = Number(item.dataset.paddedBytes);
  if (!HEADER_DIRECTIONS.includes(direction) || !Number.isSafeInteger(paddedBytes)) {
    return null;
  }
  try {
    const text = await openText("attachment", envelope, key, contextOf(section, direction));
    return parseHeader(text, paddedBytes);
  } catch {
    return null;
  }
}

/**
 * The header's JSON, checked field by field; null for anything our pages do not seal.
 * Fields beyond these are ignored.
 *
 * @param {string} text
 * @param {number} paddedBytes the stored (padded) size
 * @returns {EvidenceHeader | null}
 */
export function parseHeader(text, paddedBytes) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return null;
  }
  const { v, key, name, type, size, removed } = value;
  const keyBytes = typeof key === "string" ? b64urlDecodeOrNull(key) : null;
  if (
    v !== HEADER_VERSION ||
    keyBytes === null ||
    keyBytes.length !== KEY_BYTES ||
    typeof name !== "string" ||
    typeof type !== "string" ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    size > paddedBytes ||
    !Array.isArray(removed) ||
    removed.length > MAX_REMOVED ||
    !removed.every((entry) => typeof entry === "string")
  ) {
    return null;
  }
  const accepted = Object.hasOwn(EXTENSIONS, type) ? type : null;
  return {
    key: keyBytes,
    name: cleanName(name, accepted),
    type: accepted,
    size,
    removed: [...new Set(removed.map((entry) => (FINDING_KEYS.includes(entry) ? entry : "other")))],
  };
}

/**
 * A name to show and to save a download under (twin: download_name in advisory/file_types.py):
 * no folders, nothing invisible, at most MAX_NAME_CHARS characters, and an ending that fits
 * the type (".bin" for an unknown one), so that a file never opens on the reader's computer
 * as something else than it was shown.
 *
 * @param {string} name as the header gives it
 * @param {string | null} type an accepted type, or null
 * @returns {string}
 */
export function cleanName(name, type) {
  const base = name.replace(/^.*[\\/]/su, "");
  let cleaned = base.replace(NOT_IN_NAMES, "").trim().replace(/^\.+|\.+$/gu, "").trim();
  cleaned = [...cleaned].slice(0, MAX_NAME_CHARS).join("") || "file";
  const endings = type === null ? [UNKNOWN_EXTENSION] : EXTENSIONS[type];
  const lower = cleaned.toLowerCase();
  return endings.some((ending) => lower.endsWith(ending)) ? cleaned : cleaned + endings[0];
}

/**
 * @param {HTMLElement} item
 * @param {Record<string, string>} texts
 */
function showUnreadable(item, texts) {
  item.dataset.evidenceState = "unreadable";
  item.querySelector(".evidence-unreadable")?.remove();
  item.append(paragraph("muted evidence-unreadable", texts.unreadable));
}

/**
 * Replace the item's placeholder with what the header says, and its buttons.
 *
 * @param {HTMLElement} item
 * @param {EvidenceHeader} header
 * @param {Record<string, string>} texts
 */
function showFile(item, header, texts) {
  item.dataset.evidenceState = "open";
  const name = document.createElement("p");
  name.className = "evidence-name";
  const strong = document.createElement("strong");
  strong.textContent = header.name;
  name.append(strong);
  const kind = header.type === null ? texts["unknown-type"] : texts[`kind-${kindOf(header.type)}`];
  const shownType = header.type === null ? kind : `${kind} (${header.type})`;
  const parts = [name, paragraph("evidence-meta", `${shownType} · ${formatSize(header.size)}`)];
  if (header.removed.length > 0) {
    const words = header.removed.map((key) => texts[`finding-${key}`] || texts["finding-other"]);
    const list = new Intl.ListFormat(document.documentElement.lang || undefined).format(words);
    parts.push(paragraph("evidence-removed", texts.removed.replace("{found}", list)));
  }
  const actions = document.createElement("p");
  actions.className = "evidence-actions";
  const status = paragraph("evidence-status", "");
  status.setAttribute("role", "status");
  const preview = document.createElement("div");
  preview.className = "evidence-preview";
  previews += 1;
  preview.id = `evidence-preview-${previews}`;
  const viewer = new FileViewer(item, header, texts, { status, preview });
  if (header.type !== null) {
    actions.append(viewer.showButton, " ");
  }
  actions.append(viewer.downloadButton);
  item.replaceChildren(...parts, actions, status, preview);
}

/** The buttons of one file, and what they show. */
class FileViewer {
  /** @type {string | null} */
  #previewUrl = null;
  /** @type {string | null} */
  #downloadUrl = null;

  /**
   * @param {HTMLElement} item
   * @param {EvidenceHeader} header
   * @param {Record<string, string>} texts
   * @param {{status: HTMLElement, preview: HTMLElement}} places
   */
  constructor(item, header, texts, { status, preview }) {
    this.url = item.dataset.evidenceUrl ?? "";
    this.paddedBytes = Number(item.dataset.paddedBytes);
    this.header = header;
    this.texts = texts;
    this.status = status;
    this.preview = preview;
    this.showButton = button("evidence-show", texts.show);
    this.showButton.setAttribute("aria-expanded", "false");
    this.showButton.setAttribute("aria-controls", preview.id);
    this.downloadButton = button("evidence-download", texts.download);
    this.showButton.addEventListener("click", () => this.toggle());
    this.downloadButton.addEventListener("click", () => this.download());
  }

  async toggle() {
    if (this.#previewUrl !== null || this.preview.childElementCount > 0) {
      this.hide();
      return;
    }
    const bytes = await this.open();
    if (bytes === null) {
      return;
    }
    const shown = previewOf(this.header, bytes);
    if (shown === null) {
      this.say(this.texts["no-preview"]);
      return;
    }
    this.preview.replaceChildren(shown.element);
    this.#previewUrl = shown.url;
    this.showButton.textContent = this.texts.hide;
    this.showButton.setAttribute("aria-expanded", "true");
  }

  hide() {
    this.preview.replaceChildren();
    revoke(this.#previewUrl);
    this.#previewUrl = null;
    this.showButton.textContent = this.texts.show;
    this.showButton.setAttribute("aria-expanded", "false");
  }

  async download() {
    const bytes = await this.open();
    if (bytes === null) {
      return;
    }
    revoke(this.#downloadUrl);
    // Bytes only: the browser saves them under our name and never renders them.
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    this.#downloadUrl = url;
    const link = document.createElement("a");
    link.href = url;
    link.download = this.header.name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => {
      if (this.#downloadUrl === url) {
        revoke(url);
        this.#downloadUrl = null;
      }
    }, DOWNLOAD_URL_LIFETIME_MS);
  }

  /**
   * Fetch and open the whole file; null (and a message instead) when it cannot be had or
   * does not open. Nothing of a file is used before every chunk of it has opened.
   *
   * @returns {Promise<Uint8Array | null>} the file, cut to its true size
   */
  async open() {
    this.setBusy(true);
    this.say(this.texts.opening);
    try {
      let response;
      try {
        response = await fetch(this.url, {
          credentials: "same-origin",
          cache: "no-store",
          redirect: "error",
        });
      } catch {
        response = null;
      }
      const type = response?.headers.get("Content-Type") ?? "";
      if (!response?.ok || !response.body || !type.startsWith("application/octet-stream")) {
        this.fail(this.texts.failed);
        return null;
      }
      let plaintext;
      try {
        plaintext = await openChunks(this.header.key, sealedChunks(response.body, this.paddedBytes));
      } catch {
        this.fail(this.texts.altered);
        return null;
      }
      if (plaintext.length !== this.paddedBytes || this.header.size > plaintext.length) {
        this.fail(this.texts.altered);
        return null;
      }
      this.say("");
      return plaintext.subarray(0, this.header.size);
    } finally {
      this.setBusy(false);
    }
  }

  /** @param {string} message */
  fail(message) {
    this.hide(); // nothing of a file shows beside a message that it did not open
    this.say(message, true);
  }

  /**
   * @param {string} message
   * @param {boolean} [isError]
   */
  say(message, isError = false) {
    this.status.textContent = message;
    this.status.classList.toggle("field-error", isError);
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.showButton.disabled = busy;
    this.downloadButton.disabled = busy;
  }
}

/**
 * The response body as sealed chunks: SEALED_CHUNK_BYTES each, the last one shorter. A body
 * longer than the stored size allows is cut off there (and then does not open).
 *
 * @param {ReadableStream<Uint8Array>} body
 * @param {number} paddedBytes
 * @returns {AsyncGenerator<Uint8Array, void, void>}
 */
async function* sealedChunks(body, paddedBytes) {
  const limit = sealedLength(paddedBytes);
  const reader = body.getReader();
  let chunk = new Uint8Array(SEALED_CHUNK_BYTES);
  let filled = 0;
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      total += value.length;
      if (total > limit) {
        throw new RangeError("the file is longer than it was stored");
      }
      let offset = 0;
      while (offset < value.length) {
        const take = Math.min(value.length - offset, SEALED_CHUNK_BYTES - filled);
        chunk.set(value.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === SEALED_CHUNK_BYTES) {
          yield chunk;
          chunk = new Uint8Array(SEALED_CHUNK_BYTES);
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      yield chunk.subarray(0, filled);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * How to show a file in the page, with a Blob type chosen here from the checked type; null
 * when it is not to be shown (a "PDF" that does not start as one).
 *
 * @param {EvidenceHeader} header
 * @param {Uint8Array} bytes
 * @returns {{element: HTMLElement, url: string | null} | null}
 */
function previewOf(header, bytes) {
  const kind = header.type === null ? null : kindOf(header.type);
  if (kind === "text") {
    const pre = document.createElement("pre");
    pre.className = "evidence-text";
    pre.textContent = new TextDecoder("utf-8").decode(bytes);
    return { element: pre, url: null };
  }
  let blobType;
  if (kind === "image" || kind === "audio") {
    blobType = header.type; // one of the accepted image/* and audio/* types, nothing else
  } else if (kind === "pdf" && PDF_MAGIC.every((byte, index) => bytes[index] === byte)) {
    blobType = "application/pdf";
  } else {
    return null;
  }
  const url = URL.createObjectURL(new Blob([bytes], { type: blobType }));
  let element;
  if (kind === "image") {
    element = document.createElement("img");
    element.alt = header.name;
  } else if (kind === "audio") {
    element = document.createElement("audio");
    element.controls = true;
  } else {
    element = document.createElement("iframe");
    element.title = header.name;
  }
  element.src = url;
  element.className = `evidence-${kind}`;
  return { element, url };
}

/**
 * @param {string} type an accepted type
 * @returns {"image" | "pdf" | "text" | "audio"}
 */
function kindOf(type) {
  if (type === "application/pdf") {
    return "pdf";
  }
  if (type === "text/plain") {
    return "text";
  }
  return type.startsWith("image/") ? "image" : "audio";
}

/**
 * A true size in the page's language: bytes, kilobytes or megabytes.
 *
 * @param {number} bytes
 * @returns {string}
 */
export function formatSize(bytes) {
  const [amount, unit] =
    bytes < 1024
      ? [bytes, "byte"]
      : bytes < 1024 * 1024
        ? [bytes / 1024, "kilobyte"]
        : [bytes / (1024 * 1024), "megabyte"];
  return new Intl.NumberFormat(document.documentElement.lang || undefined, {
    style: "unit",
    unit,
    unitDisplay: "short",
    maximumFractionDigits: 1,
  }).format(amount);
}

/** @param {string | null} url */
function revoke(url) {
  if (url !== null) {
    URL.revokeObjectURL(url);
  }
}

/**
 * @param {string} className
 * @param {string} text
 */
function paragraph(className, text) {
  const element = document.createElement("p");
  element.className = className;
  element.textContent = text;
  return element;
}

/**
 * @param {string} className
 * @param {string} text
 */
function button(className, text) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  return element;
}
