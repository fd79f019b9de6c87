/**
 * The evidence field, enhanced: each chosen file is checked, cleaned, sealed and uploaded
 * here, in the browser, as soon as it is chosen, so that sending the form is quick and no
 * readable byte of a file leaves the browser.
 *
 * For each file: its type is known by its bytes (attachments.js, the server's rules); a file
 * of another type, or past the field's limits (`data-max-files`, `data-max-file-mb`,
 * `data-max-total-mb`), is refused beside the field, and nothing else on the page changes.
 * Identifying metadata is taken out (metadata/index.js) and the list says, in words, what
 * was removed. A PDF is never rewritten: what it still holds is shown with a warning, and it
 * is uploaded only once the reporter chooses "Send anyway". Then the file is padded, sealed
 * under a fresh content key and uploaded in sealed chunks (attachments.js), with its progress
 * in the list; its header (key, name, type, size) is sealed by the page's `sealHeader`.
 *
 * The page's form asks `whenUploaded` before it sends (waiting for files still on their way),
 * then `addTo` names the finished uploads in its body (`attachments-N-upload`,
 * `attachments-N-header`) in place of the file field.
 *
 * A voice message recorded in the page (voice.js) comes in as one more chosen file.
 *
 * Without WebCrypto this module is never loaded and the field stays a plain file input,
 * posted with the form and sealed by the server on arrival (and no voice can be recorded).
 *
 * @module evidence
 */

import { headerText, safeName, sniff, UploadFailed, uploadSealed } from "./attachments.js";
import { newContentKey, padToBucket } from "./crypto/stream.js";
import { addFieldError, templateTexts } from "./enhance.js";
import { strip, UnreadableFile, UnsupportedType } from "./metadata/index.js";
import { pdfDetails } from "./metadata/pdf.js";
import { offerVoiceMessage } from "./voice.js";

const MEGABYTE = 1024 * 1024;

/** English fallbacks; the page's `<template id="evidence-texts">` has them translated. */
const FALLBACK_TEXTS = {
  checking: "Checking the file…",
  removed: "Removed before sealing: {found}.",
  nothing: "Nothing to remove.",
  "pdf-found":
    "This PDF still contains {found}. We cannot remove these from a PDF, and they may say " +
    "who made it.",
  "pdf-kept": "Sent as it is, with {found}.",
  "send-anyway": "Send anyway",
  "remove-file": "Remove the file",
  remove: "Remove",
  uploading: "Uploading… {percent} %",
  offline: "Waiting for the connection…",
  done: "Encrypted and uploaded.",
  failed: "This file could not be uploaded.",
  retry: "Try again",
  waiting: "Sending as soon as the files are uploaded…",
  empty: "The file {name} is empty.",
  "too-many": "You can attach at most {count} files.",
  "too-large-total": "The files are {total} MB together at most.",
  "too-large": "The file {name} is larger than {size} MB.",
  unsupported:
    "The file {name} is not a type we take: pictures (JPEG, PNG, WebP, GIF), PDF, plain " +
    "text or sound.",
  unreadable: "The file {name} is damaged and cannot be read.",
  choose: "Please choose whether to send {name} as it is, or remove it.",
  "not-uploaded":
    "The file {name} could not be uploaded. Check your connection, then try again or remove it.",
  "finding-gps_position": "GPS position",
  "finding-camera_model": "camera make and model",
  "finding-date_taken": "date taken",
  "finding-author": "author's name",
  "finding-software": "software used",
  "finding-description": "description",
  "finding-comment": "comments",
  "finding-xmp": "XMP details",
  "finding-iptc": "IPTC details (such as a byline)",
  "finding-thumbnail": "a small preview picture",
  "finding-trailing_data": "hidden data after the picture",
  "finding-timestamp": "time stamp",
  "finding-other_exif": "other camera details",
  "finding-text_chunks": "text notes",
  "pdf-finding-date_taken": "the dates it was made and changed",
  "pdf-finding-software": "the program that made it",
  "pdf-finding-description": "its title and subject",
};

/** @typedef {"checking" | "confirm" | "uploading" | "offline" | "done" | "failed"} State */
/** States of a file still on its way. */
const BUSY = new Set(["checking", "uploading", "offline"]);

/**
 * What the page tells the field: which form the uploads are for, and how a file's header
 * is sealed (to the line, bound to the page's case).
 *
 * @typedef {object} EvidenceOptions
 * @property {() => Record<string, string>} uploadFields e.g. the report's submission token
 * @property {(header: string) => Promise<string>} sealHeader the header's envelope
 */

/**
 * Take over a form's evidence field (`[data-evidence-field]`); null when it has none.
 *
 * @param {HTMLFormElement} form
 * @param {EvidenceOptions} options
 * @returns {EvidenceField | null}
 */
export function takeOverEvidence(form, options) {
  const field = form.querySelector("[data-evidence-field]");
  const input = field?.querySelector("input[type=file]");
  const list = field?.querySelector("[data-evidence-list]");
  if (!(field instanceof HTMLElement) || !(input instanceof HTMLInputElement) || !list) {
    return null;
  }
  return new EvidenceField(form, field, input, list, options);
}

export class EvidenceField {
  /** @type {Entry[]} the files in the list, in its order */
  entries = [];
  /** @type {string[]} why files of the last choice were refused */
  refusals = [];
  changed = new EventTarget();

  /**
   * @param {HTMLFormElement} form
   * @param {HTMLElement} field
   * @param {HTMLInputElement} input
   * @param {Element} list
   * @param {EvidenceOptions} options
   */
  constructor(form, field, input, list, options) {
    this.form = form;
    this.field = field;
    this.input = input;
    this.list = list;
    this.options = options;
    this.say = { ...FALLBACK_TEXTS, ...nonEmpty(templateTexts("evidence-texts")) };
    const number = (name, fallback) => Number(field.dataset[name]) || fallback;
    this.maxFiles = number("maxFiles", 5);
    this.maxFileBytes = number("maxFileMb", 10) * MEGABYTE;
    this.maxTotalBytes = number("maxTotalMb", 25) * MEGABYTE;
    input.addEventListener("change", () => {
      const files = [...(input.files ?? [])];
      // The files live in the list from now on; the field itself sends nothing.
      input.value = "";
      this.choose(files);
    });
    this.voice = offerVoiceMessage(field, (file) => this.choose([file]));
  }

  /** @returns {import("./attachments.js").UploadApi} */
  api() {
    const csrf = this.form.querySelector("input[name=csrf_token]");
    return {
      base: this.field.dataset.uploadUrl ?? "/api/v1/uploads",
      csrfToken: csrf instanceof HTMLInputElement ? csrf.value : "",
      fields: this.options.uploadFields(),
    };
  }

  /**
   * Files just chosen: refuse those past the limits at once; check and upload the rest.
   *
   * @param {File[]} files
   */
  choose(files) {
    this.refusals = [];
    let count = this.entries.length;
    let total = this.entries.reduce((sum, entry) => sum + entry.file.size, 0);
    let tooMany = false;
    for (const file of files) {
      if (count >= this.maxFiles) {
        tooMany = true;
        continue;
      }
      const refusal = this.sizeRefusal(file, total);
      if (refusal) {
        this.refusals.push(refusal);
        continue;
      }
      count += 1;
      total += file.size;
      const entry = new Entry(this, file);
      this.entries.push(entry);
      this.list.append(entry.element);
      entry.check();
    }
    if (tooMany) {
      this.refusals.push(this.text("too-many", { count: this.maxFiles }));
    }
    this.showRefusals();
    this.notify();
  }

  /**
   * @param {File} file
   * @param {number} totalSoFar
   * @returns {string | null}
   */
  sizeRefusal(file, totalSoFar) {
    if (file.size === 0) {
      return this.text("empty", { name: file.name });
    }
    if (file.size > this.maxFileBytes) {
      return this.text("too-large", { name: file.name, size: this.maxFileBytes / MEGABYTE });
    }
    if (totalSoFar + file.size > this.maxTotalBytes) {
      return this.text("too-large-total", { total: this.maxTotalBytes / MEGABYTE });
    }
    return null;
  }

  /**
   * An entry refused once its bytes were read: out of the list, its reason beside the field.
   *
   * @param {Entry} entry
   * @param {string} message
   */
  refuse(entry, message) {
    this.refusals.push(message);
    this.drop(entry);
    this.showRefusals();
  }

  /** The refusals of the last choice, beside the field as the server shows a field error. */
  showRefusals() {
    const old = document.getElementById(`${this.input.id}-error`);
    if (old) {
      old.remove();
      const ids = (this.input.getAttribute("aria-describedby") ?? "")
        .split(/\s+/)
        .filter((id) => id && id !== old.id);
      this.input.setAttribute("aria-describedby", ids.join(" "));
      this.field.classList.remove("has-error");
    }
    if (this.refusals.length) {
      addFieldError(this.input, this.refusals.join(" "));
    }
  }

  /**
   * Take an entry out of the list (stopping its upload) and keep focus in the field.
   *
   * @param {Entry} entry
   */
  drop(entry) {
    const at = this.entries.indexOf(entry);
    if (at === -1) {
      return;
    }
    const hadFocus = entry.element.contains(document.activeElement);
    entry.stop();
    this.entries.splice(at, 1);
    entry.element.remove();
    if (hadFocus) {
      const neighbour = this.entries[at] ?? this.entries[at - 1];
      (neighbour?.removeButton ?? this.input).focus();
    }
    this.notify();
  }

  notify() {
    this.changed.dispatchEvent(new Event("change"));
  }

  /**
   * Files still on their way: being checked, uploading or waiting for the connection.
   *
   * @returns {Entry[]}
   */
  busy() {
    return this.entries.filter((entry) => BUSY.has(entry.state));
  }

  /**
   * What keeps the form from being sent: a PDF waiting for the reporter's choice, or a file
   * whose upload failed. One problem for the field (its messages together), or none.
   *
   * @returns {Array<{target: HTMLElement, message: string}>}
   */
  problems() {
    const messages = [];
    for (const entry of this.entries) {
      if (entry.state === "confirm") {
        messages.push(this.text("choose", { name: entry.file.name }));
      } else if (entry.state === "failed") {
        messages.push(this.text("not-uploaded", { name: entry.file.name }));
      }
    }
    return messages.length ? [{ target: this.input, message: messages.join(" ") }] : [];
  }

  /**
   * Wait until no file is on its way any more, saying so (with the progress) just before
   * `beside`; then what keeps the form from being sent (see `problems`).
   *
   * @param {Element} [beside] where the reporter is looking: the form's send button
   * @returns {Promise<Array<{target: HTMLElement, message: string}>>}
   */
  async whenUploaded(beside) {
    if (this.busy().length) {
      const note = document.createElement("p");
      note.className = "evidence-waiting";
      note.setAttribute("role", "status");
      note.textContent = this.say.waiting;
      (beside ?? this.list).before(note);
      try {
        while (this.busy().length) {
          await new Promise((resolve) => {
            this.changed.addEventListener("change", resolve, { once: true });
          });
        }
      } finally {
        note.remove();
      }
    }
    return this.problems();
  }

  /**
   * Name the finished uploads in a form's body, in the list's order, and take out the file
   * field: no file's plaintext goes with the form.
   *
   * @param {FormData} body
   */
  addTo(body) {
    body.delete(this.input.name);
    this.entries
      .filter((entry) => entry.state === "done")
      .forEach((entry, index) => {
        body.set(`attachments-${index}-upload`, entry.token);
        body.set(`attachments-${index}-header`, entry.header);
      });
  }

  /** The form was sent and stored: stop everything and forget the files. */
  forget() {
    this.voice?.discard();
    for (const entry of this.entries) {
      entry.stop();
    }
    this.entries = [];
  }

  /**
   * A text with its `{placeholders}` filled in.
   *
   * @param {string} key
   * @param {Record<string, string | number>} [values]
   * @returns {string}
   */
  text(key, values = {}) {
    let text = this.say[key] ?? key;
    for (const [name, value] of Object.entries(values)) {
      text = text.replaceAll(`{${name}}`, String(value));
    }
    return text;
  }

  /**
   * Finding keys in words, as a list in the page's language ("A, B and C").
   *
   * @param {string[]} keys
   * @param {boolean} inPdf
   * @returns {string}
   */
  findings(keys, inPdf) {
    const words = keys.map(
      (key) => (inPdf && this.say[`pdf-finding-${key}`]) || this.say[`finding-${key}`] || key,
    );
    const language = document.documentElement.lang || "en";
    try {
      return new Intl.ListFormat(language, { type: "conjunction" }).format(words);
    } catch {
      return words.join(", ");
    }
  }
}

/** One chosen file: its place in the list, and its way from checking to uploaded. */
class Entry {
  /** @type {State} */
  state = "checking";
  /** @type {{data: Uint8Array, removed: string[], foundNotRemoved: string[]} | null} */
  cleaned = null;
  type = "";
  /** @type {Blob | null} the cleaned file, padded: kept until it is uploaded (for a retry) */
  padded = null;
  /** @type {Uint8Array | null} */
  key = null;
  token = "";
  header = "";
  percent = 0;
  /** @type {AbortController | null} */
  uploading = null;

  /**
   * @param {EvidenceField} field
   * @param {File} file
   */
  constructor(field, file) {
    this.field = field;
    this.file = file;
    const say = field.say;
    this.element = element("li", "evidence-file");
    const name = element("p", "evidence-name");
    name.append(element("strong", "", file.name));
    this.findings = element("p", "evidence-findings");
    this.findings.hidden = true;
    this.warning = element("div", "evidence-warning");
    this.warning.hidden = true;
    this.warningText = element("p", "", "");
    const sendAnyway = button(say["send-anyway"], "", () => this.sendAnyway());
    const removeFile = button(say["remove-file"], "danger", () => field.drop(this));
    this.warning.append(this.warningText, sendAnyway, removeFile);
    this.status = element("p", "evidence-status", say.checking);
    const actions = element("p", "evidence-actions");
    this.retryButton = button(say.retry, "", () => {
      this.removeButton.focus(); // the retry button hides while it tries
      this.upload();
    });
    this.retryButton.hidden = true;
    this.removeButton = button(say.remove, "", () => field.drop(this));
    this.removeButton.append(element("span", "visually-hidden", ` ${file.name}`));
    actions.append(this.retryButton, this.removeButton);
    this.element.append(name, this.findings, this.warning, this.status, actions);
    this.show("checking");
  }

  /** Read, know and clean the file; refuse it, ask about it (a PDF), or upload it. */
  async check() {
    const field = this.field;
    const refusal = await this.clean();
    if (!field.entries.includes(this)) {
      return; // removed while it was being read
    }
    if (refusal) {
      field.refuse(this, field.text(refusal, { name: this.file.name }));
      return;
    }
    const { removed, foundNotRemoved } = /** @type {NonNullable<Entry["cleaned"]>} */ (
      this.cleaned
    );
    if (foundNotRemoved.length) {
      this.warningText.textContent = field.text("pdf-found", {
        found: field.findings(foundNotRemoved, true),
      });
      this.showWhatItSays();
      this.warning.hidden = false;
      this.show("confirm");
      return;
    }
    this.findings.textContent = removed.length
      ? field.text("removed", { found: field.findings(removed, false) })
      : field.say.nothing;
    this.findings.hidden = false;
    await this.upload();
  }

  /**
   * Know the file by its bytes and clean it into `cleaned`; the file as chosen is not kept
   * (nothing here holds it once this returns).
   *
   * @returns {Promise<string | null>} the key of the text that refuses it, or null
   */
  async clean() {
    let bytes;
    try {
      bytes = new Uint8Array(await this.file.arrayBuffer());
    } catch {
      return "unreadable";
    }
    const type = sniff(bytes);
    if (type === null) {
      return "unsupported";
    }
    try {
      this.cleaned = strip(bytes, type);
    } catch (error) {
      if (!(error instanceof UnreadableFile || error instanceof UnsupportedType)) {
        console.error(error);
      }
      return error instanceof UnsupportedType ? "unsupported" : "unreadable";
    }
    this.type = type;
    return null;
  }

  /** Under the warning, what the PDF's details say, word for word (as text, never markup). */
  showWhatItSays() {
    const isPdf = this.type === "application/pdf" && this.cleaned;
    const details = isPdf ? pdfDetails(/** @type {Uint8Array} */ (this.cleaned?.data)) : [];
    this.warning.querySelector(".pdf-details")?.remove();
    if (!details.length) {
      return;
    }
    const list = document.createElement("ul");
    list.className = "pdf-details";
    for (const { finding, value } of details) {
      const item = document.createElement("li");
      item.textContent = `${this.field.findings([finding], true)}: “${value}”`;
      list.append(item);
    }
    this.warningText.after(list);
  }

  /** The reporter keeps a PDF with what it still says about its maker. */
  async sendAnyway() {
    if (this.state !== "confirm") {
      return; // a second press
    }
    const focusWasHere = this.warning.contains(document.activeElement);
    this.warning.hidden = true;
    this.findings.textContent = this.field.text("pdf-kept", {
      found: this.field.findings(this.cleaned?.foundNotRemoved ?? [], true),
    });
    this.findings.hidden = false;
    if (focusWasHere) {
      this.removeButton.focus();
    }
    await this.upload();
  }

  /** Seal and upload (again, after a failure: from where the server stands). */
  async upload() {
    if (this.uploading) {
      return; // already on its way
    }
    const field = this.field;
    const controller = new AbortController();
    this.uploading = controller;
    this.retryButton.hidden = true;
    this.show("uploading", 0);
    try {
      if (!this.header) {
        await this.seal();
      }
      const key = /** @type {Uint8Array} */ (this.key);
      const padded = /** @type {Blob} */ (this.padded);
      this.token = await uploadSealed(field.api(), key, padded, {
        token: this.token || undefined,
        signal: controller.signal,
        started: (token) => {
          this.token = token;
        },
        progress: (sent, total) => this.show("uploading", Math.floor((100 * sent) / total)),
        waiting: (offline) => this.show(offline ? "offline" : "uploading"),
      });
      this.padded = null;
      this.key?.fill(0);
      this.show("done");
    } catch (error) {
      if (controller.signal.aborted) {
        return;
      }
      if (!(error instanceof UploadFailed)) {
        console.error(error);
      }
      this.retryButton.hidden = false;
      this.show("failed");
    } finally {
      if (this.uploading === controller) {
        this.uploading = null;
      }
    }
  }

  /** A fresh content key, the padded file, and its header sealed to the line. */
  async seal() {
    const cleaned = /** @type {NonNullable<Entry["cleaned"]>} */ (this.cleaned);
    const key = newContentKey();
    const header = headerText({
      key,
      name: safeName(this.file.name, this.type),
      type: this.type,
      size: cleaned.data.length,
      removed: cleaned.removed,
    });
    this.padded = new Blob([padToBucket(cleaned.data)]);
    this.key = key;
    this.header = await this.field.options.sealHeader(header);
    this.cleaned = { ...cleaned, data: new Uint8Array(0) }; // the Blob holds it now
  }

  /** Stop any upload and forget the key and the file. */
  stop() {
    this.uploading?.abort();
    this.uploading = null;
    this.key?.fill(0);
    this.padded = null;
    this.cleaned = null;
  }

  /**
   * @param {State} state
   * @param {number} [percent]
   */
  show(state, percent) {
    const changed = state !== this.state;
    this.state = state;
    this.element.dataset.state = state;
    const say = this.field.say;
    if (state === "uploading") {
      this.percent = percent ?? this.percent;
      this.status.textContent = this.field.text("uploading", { percent: this.percent });
    } else {
      this.status.textContent =
        { checking: say.checking, offline: say.offline, done: say.done, failed: say.failed }[
          state
        ] ?? "";
    }
    this.status.hidden = state === "confirm";
    if (changed) {
      this.field.notify();
    }
  }
}

/**
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) {
    made.className = className;
  }
  if (text !== undefined) {
    made.textContent = text;
  }
  return made;
}

/**
 * @param {string} label
 * @param {string} className
 * @param {() => void} action
 * @returns {HTMLButtonElement}
 */
function button(label, className, action) {
  const made = /** @type {HTMLButtonElement} */ (element("button", className, label));
  made.type = "button";
  made.addEventListener("click", action);
  return made;
}

/**
 * @param {Record<string, string>} texts
 * @returns {Record<string, string>}
 */
function nonEmpty(texts) {
  return Object.fromEntries(Object.entries(texts).filter(([, text]) => text));
}
