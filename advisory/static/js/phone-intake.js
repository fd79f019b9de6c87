/**
 * Phone intake, enhanced: the lawyer's note is sealed in this browser before the form is sent.
 *
 * With WebCrypto X25519 in a secure context, a submit first checks the two required answers
 * here (so nothing typed is lost to a round trip), then seals the note to the line key from
 * `data-line-key` (purpose "narrative", as the report form seals a narrative), puts the
 * envelope in `note_envelope`, disables the note field so its plaintext is not part of the
 * body, and lets the form post as usual: the server redirects to the saved case, and a page
 * that comes back with a question keeps the sealed note in the form.
 *
 * Without that support this module changes nothing: the plain form posts and the server
 * seals the note on arrival, as the page says.
 *
 * @module phone-intake
 */

import {
  announceBrowserEncryption,
  markBusy,
  showEncryptionFailed,
  showProblems,
  templateTexts,
} from "./enhance.js";
import { contextOf, isSupported, seal } from "./hpke.js";

const form = document.getElementById("phone-intake-form");

if (form instanceof HTMLFormElement && form.dataset.lineKey && (await isSupported())) {
  sealBeforeSending(form);
}

/** @param {HTMLFormElement} form */
function sealBeforeSending(form) {
  announceBrowserEncryption(form);

  const note = form.elements.namedItem("note");
  const envelope = form.elements.namedItem("note_envelope");
  const encryption = form.elements.namedItem("encryption");
  if (
    !(note instanceof HTMLTextAreaElement) ||
    !(envelope instanceof HTMLInputElement) ||
    !(encryption instanceof HTMLInputElement)
  ) {
    return;
  }

  /** Set once the note is sealed: the submit that follows is the real one. */
  let sealed = false;
  /** @type {(() => void) | undefined} */
  let release;

  form.addEventListener("submit", async (event) => {
    if (sealed) {
      return;
    }
    event.preventDefault();
    if (release) {
      return; // already sealing: a double click sends once
    }
    const main = form.closest("main") ?? document.body;
    const problems = missingAnswers(form);
    if (problems.length) {
      showProblems(main, form, problems);
      return;
    }
    release = markBusy(form);
    const text = note.value.trim();
    try {
      if (text) {
        const where = contextOf(form, "reporter-to-line");
        envelope.value = await seal("narrative", text, form.dataset.lineKey ?? "", where);
      }
    } catch {
      release();
      release = undefined;
      showEncryptionFailed(main, form);
      return;
    }
    encryption.value = "browser";
    note.disabled = true; // a disabled field is not sent: the plaintext stays on this page
    sealed = true;
    const submitter =
      event.submitter instanceof HTMLButtonElement || event.submitter instanceof HTMLInputElement
        ? event.submitter
        : undefined;
    // In a later task: a submit asked for while this submit event is being dispatched (no
    // note, nothing awaited) would be dropped by the browser.
    setTimeout(() => form.requestSubmit(submitter), 0);
  });

  // Back to this page from the next one (the back/forward cache): ready to send again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) {
      return;
    }
    note.disabled = false;
    encryption.value = "";
    sealed = false;
    release?.();
    release = undefined;
  });
}

/**
 * The required answers the server would ask for: what the call is about, how it ended.
 *
 * @param {HTMLFormElement} form
 * @returns {Array<{target: HTMLElement, message: string}>}
 */
function missingAnswers(form) {
  const problems = [];
  for (const name of ["kind", "outcome"]) {
    const group = document.getElementById(name);
    if (group instanceof HTMLElement && !form.querySelector(`input[name="${name}"]:checked`)) {
      problems.push({ target: group, message: templateTexts("phone-texts")[name] ?? "" });
    }
  }
  return problems;
}


