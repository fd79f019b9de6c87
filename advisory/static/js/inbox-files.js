/**
 * A lawyer's files in the reporter's inbox, opened in the reporter's browser.
 *
 * Each file of a reply (`[data-reply-file]`) carries its header envelope, sealed in the
 * lawyer's browser to the reporter's key (direction line-to-reporter): the file's content
 * key, name, type and true size. `openReplyFiles`, called by follow-up.js with the key it
 * derived from the case code, opens each header and names the file. Its download button then
 * posts the lookup token (never the code) and gets the file's sealed stream; every chunk is
 * opened here (crypto/stream.js) before anything of the file is used, and the file is saved
 * from a Blob URL as bytes only (application/octet-stream), never shown in the page. A stream
 * that does not open says so, and nothing is saved.
 *
 * The header was written by a lawyer's browser and is checked as the case page checks a
 * reporter's (evidence-view.js `parseHeader`): a clean name with an ending that fits the type.
 * Without JavaScript the same button posts the code and the server answers with the file.
 *
 * @module inbox-files
 */

import { templateTexts } from "./enhance.js";
import { formatSize, parseHeader } from "./evidence-view.js";
import { contextOf, openText } from "./hpke.js";
import { SEALED_CHUNK_BYTES, openChunks, sealedLength } from "./crypto/stream.js";

const DIRECTION = "line-to-reporter";
// A saved file's address is let go after this long.
const DOWNLOAD_URL_LIFETIME_MS = 60_000;

/**
 * Take over every reply file in `root`: its download button fetches and opens the file here,
 * and its header, opened with `privateKey`, names it.
 *
 * @param {Element} root
 * @param {CryptoKey} privateKey the reporter's key, derived from the case code
 */
export async function openReplyFiles(root, privateKey) {
  const texts = templateTexts("inbox-file-texts");
  const files = [];
  // Every button first, so that none sends the form while a header is still being opened.
  for (const item of root.querySelectorAll("[data-reply-file]")) {
    const form = item.querySelector("form");
    if (item instanceof HTMLElement && form instanceof HTMLFormElement) {
      files.push(new ReplyFile(item, form, openHeader(item, privateKey), texts));
    }
  }
  await Promise.all(files.map((file) => file.name()));
}

/**
 * @param {HTMLElement} item
 * @param {CryptoKey} privateKey
 * @returns {Promise<import("./evidence-view.js").EvidenceHeader | null>}
 */
async function openHeader(item, privateKey) {
  const envelope = item.dataset.attachmentHeader ?? "";
  const paddedBytes = Number(item.dataset.paddedBytes);
  if (!Number.isSafeInteger(paddedBytes)) {
    return null;
  }
  try {
    const text = await openText("attachment", envelope, privateKey, contextOf(item, DIRECTION));
    return parseHeader(text, paddedBytes);
  } catch {
    return null;
  }
}

/** One listed file: its name once its header opened, and its download button. */
class ReplyFile {
  /** @type {string | null} */
  #downloadUrl = null;

  /**
   * @param {HTMLElement} item
   * @param {HTMLFormElement} form
   * @param {Promise<import("./evidence-view.js").EvidenceHeader | null>} header
   * @param {Record<string, string>} texts
   */
  constructor(item, form, header, texts) {
    this.item = item;
    this.form = form;
    this.header = header;
    this.texts = texts;
    this.paddedBytes = Number(item.dataset.paddedBytes);
    this.button = form.querySelector("button");
    this.status = document.createElement("p");
    this.status.className = "evidence-status";
    this.status.setAttribute("role", "status");
    item.append(this.status);
    form.dataset.enhanced = "true";
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.download();
    });
  }

  /** Name the file as its header says, or say that it does not open. */
  async name() {
    const header = await this.header;
    if (header === null) {
      this.form.hidden = true;
      this.say(this.texts.unreadable, true);
      return;
    }
    const name = this.item.querySelector(".evidence-name");
    if (name) {
      const strong = document.createElement("strong");
      strong.textContent = header.name;
      const size = document.createElement("span");
      size.className = "muted";
      size.textContent = ` (${formatSize(header.size)})`;
      name.replaceChildren(strong, size);
    }
    const label = this.button?.querySelector(".visually-hidden");
    if (label) {
      label.textContent = ` ${header.name}`;
    }
  }

  /** Fetch the sealed file, open every chunk, then save it; or say why not. */
  async download() {
    const header = await this.header;
    if (header === null || this.button?.disabled) {
      return;
    }
    if (this.button) {
      this.button.disabled = true;
    }
    this.say(this.texts.opening);
    try {
      const sealed = await this.fetchSealed();
      if (sealed === null) {
        this.say(this.texts.failed, true);
        return;
      }
      let plaintext;
      try {
        plaintext = await openChunks(header.key, chunksOf(sealed, this.paddedBytes));
      } catch {
        this.say(this.texts.altered, true);
        return;
      }
      if (plaintext.length !== this.paddedBytes || header.size > plaintext.length) {
        this.say(this.texts.altered, true);
        return;
      }
      this.save(plaintext.subarray(0, header.size), header.name);
      this.say("");
    } finally {
      if (this.button) {
        this.button.disabled = false;
      }
    }
  }

  /** @returns {Promise<Uint8Array | null>} the sealed stream, or null when it is not had */
  async fetchSealed() {
    let response;
    try {
      response = await fetch(this.form.action, {
        method: "POST",
        body: new FormData(this.form), // the lookup token, never the code
        credentials: "same-origin",
        cache: "no-store",
        redirect: "error",
      });
    } catch {
      return null;
    }
    const type = response.headers.get("Content-Type") ?? "";
    if (!response.ok || !type.startsWith("application/octet-stream")) {
      return null;
    }
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch {
      return null;
    }
  }

  /**
   * Bytes only: the browser saves them under the header's name and never renders them.
   *
   * @param {Uint8Array} bytes
   * @param {string} name
   */
  save(bytes, name) {
    if (this.#downloadUrl !== null) {
      URL.revokeObjectURL(this.#downloadUrl);
    }
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    this.#downloadUrl = url;
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => {
      if (this.#downloadUrl === url) {
        URL.revokeObjectURL(url);
        this.#downloadUrl = null;
      }
    }, DOWNLOAD_URL_LIFETIME_MS);
  }

  /**
   * @param {string} message
   * @param {boolean} [isError]
   */
  say(message, isError = false) {
    this.status.textContent = message;
    this.status.classList.toggle("field-error", isError);
  }
}

/**
 * A sealed stream cut into its chunks: SEALED_CHUNK_BYTES each, the last one shorter. A
 * stream of another length than the stored size gives does not open.
 *
 * @param {Uint8Array} sealed
 * @param {number} paddedBytes
 * @returns {Generator<Uint8Array, void, void>}
 */
function* chunksOf(sealed, paddedBytes) {
  if (sealed.length !== sealedLength(paddedBytes)) {
    throw new RangeError("the file is not as long as it was stored");
  }
  for (let offset = 0; offset < sealed.length; offset += SEALED_CHUNK_BYTES) {
    yield sealed.subarray(offset, offset + SEALED_CHUNK_BYTES);
  }
}
