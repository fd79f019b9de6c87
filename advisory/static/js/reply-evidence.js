/**
 * Files with a lawyer's reply: the evidence field (evidence.js), with two sealed headers per
 * file.
 *
 * The reporter's evidence field seals each file's header once, to the line. A reply's file is
 * for the reporter, and the line keeps a copy: its header (content key, name, type, size) is
 * sealed to the reporter's key (direction line-to-reporter) and to the line
 * (line-to-line). The field itself is used as it is (checking, metadata removal, padding,
 * sealing the stream, resumable upload to the case's own upload address, the list and its
 * messages); its `sealHeader` here seals both and hands it the reporter's envelope, and the
 * line's copy is kept beside it until the reply names its uploads (`attachments-N-upload`,
 * `-header`, `-copy`).
 *
 * Without WebCrypto case-view.js never calls this: the field stays hidden, and the note
 * beside it says that files go with a reply only with JavaScript on.
 *
 * @module reply-evidence
 */

import { takeOverEvidence } from "./evidence.js";
import { templateTexts } from "./enhance.js";

/**
 * How the page seals a header: to the reporter, and the line's copy.
 *
 * @typedef {object} ReplySealing
 * @property {(header: string) => Promise<string>} toReporter
 * @property {(header: string) => Promise<string>} toLine
 */

/**
 * Take over the reply form's evidence field and show it; null when the form has none.
 *
 * @param {HTMLFormElement} form
 * @param {ReplySealing} sealing
 * @returns {ReplyEvidence | null}
 */
export function takeOverReplyEvidence(form, sealing) {
  /** @type {Map<string, string>} the line's copy of each header, by the reporter's envelope */
  const copies = new Map();
  const field = takeOverEvidence(form, {
    uploadFields: () => ({}), // the address names the case
    sealHeader: async (header) => {
      const [toReporter, toLine] = await Promise.all([
        sealing.toReporter(header),
        sealing.toLine(header),
      ]);
      copies.set(toReporter, toLine);
      return toReporter;
    },
  });
  if (!field) {
    return null;
  }
  // The lawyer's words for the field (the case page's own evidence texts are for opening).
  const texts = Object.entries(templateTexts("reply-evidence-texts")).filter(([, text]) => text);
  field.say = { ...field.say, ...Object.fromEntries(texts) };
  field.field.hidden = false;
  form.querySelector("[data-reply-files-need-script]")?.remove();
  return new ReplyEvidence(form, field, copies);
}

class ReplyEvidence {
  /**
   * @param {HTMLFormElement} form
   * @param {import("./evidence.js").EvidenceField} field
   * @param {Map<string, string>} copies
   */
  constructor(form, field, copies) {
    this.form = form;
    this.field = field;
    this.copies = copies;
  }

  /** @returns {boolean} whether any file is listed (uploaded or on its way) */
  hasFiles() {
    return this.field.entries.length > 0;
  }

  /**
   * Wait for files still on their way; then what keeps the reply from being sent.
   *
   * @param {Element} [beside]
   * @returns {Promise<Array<{target: HTMLElement, message: string}>>}
   */
  whenUploaded(beside) {
    return this.field.whenUploaded(beside);
  }

  /**
   * Name the finished uploads in the form as hidden fields, each with its two headers, in
   * place of any named before; the file input itself sends nothing (it has no name).
   */
  nameUploads() {
    for (const old of this.form.querySelectorAll("input[data-reply-upload]")) {
      old.remove();
    }
    const body = new FormData();
    this.field.addTo(body);
    for (const [name, value] of body) {
      this.hidden(name, String(value));
      const header = /^attachments-(\d+)-header$/.exec(name);
      if (header) {
        this.hidden(`attachments-${header[1]}-copy`, this.copies.get(String(value)) ?? "");
      }
    }
  }

  /**
   * @param {string} name
   * @param {string} value
   */
  hidden(name, value) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    input.dataset.replyUpload = "";
    this.form.append(input);
  }
}
