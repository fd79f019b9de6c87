/**
 * Phone intake, enhanced: the lawyer's note (and a voicemail's number) is sealed in this
 * browser before the form is sent.
 *
 * With WebCrypto X25519 in a secure context, a submit first checks the required answers here
 * (the keys of the page's "phone-texts", so nothing typed is lost to a round trip), then seals
 * the note to the line key from `data-line-key` (purpose "narrative", as the report form seals
 * a narrative), puts the envelope in `note_envelope`, disables the note field so its plaintext
 * is not part of the body, and lets the form post as usual: the server redirects to the saved
 * case, and a page that comes back with a question keeps the sealed note in the form.
 *
 * On the voicemail form, a number the caller left is sealed the same way (purpose "contact",
 * as the report form seals a callback number) into `contact_envelope`, and the number field is
 * disabled; when no number was left, the field is not sent at all.
 *
 * Without that support this module changes nothing: the plain form posts and the server
 * seals the note on arrival, as the page says.
 *
 * @module phone-intake
 */

import {
  announceBrowserEncryption,
  markBusy,
  PHONE_PATTERN,
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
  const number = numberFields(form);

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
    const problems = [...missingAnswers(form), ...numberProblems(form, number)];
    if (problems.length) {
      showProblems(main, form, problems);
      return;
    }
    release = markBusy(form);
    const text = note.value.trim();
    try {
      const where = contextOf(form, "reporter-to-line");
      if (text) {
        envelope.value = await seal("narrative", text, form.dataset.lineKey ?? "", where);
      }
      if (number) {
        const left = numberLeft(form, number);
        number.envelope.value = left
          ? await seal("contact", left, form.dataset.lineKey ?? "", where)
          : "";
      }
    } catch {
      release();
      release = undefined;
      showEncryptionFailed(main, form);
      return;
    }
    encryption.value = "browser";
    note.disabled = true; // a disabled field is not sent: the plaintext stays on this page
    if (number) {
      number.phone.disabled = true;
    }
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
    if (number) {
      number.phone.disabled = false;
      number.envelope.value = "";
    }
    encryption.value = "";
    sealed = false;
    release?.();
    release = undefined;
  });
}

/**
 * The required answers the server would ask for: the page names them in its "phone-texts"
 * (what the call is about, and how it ended or whether a number was left).
 *
 * @param {HTMLFormElement} form
 * @returns {Array<{target: HTMLElement, message: string}>}
 */
function missingAnswers(form) {
  const problems = [];
  for (const [name, message] of Object.entries(templateTexts("phone-texts"))) {
    const group = document.getElementById(name);
    if (
      group instanceof HTMLFieldSetElement &&
      !form.querySelector(`input[name="${name}"]:checked`)
    ) {
      problems.push({ target: group, message });
    }
  }
  return problems;
}

/**
 * The voicemail form's number field and its envelope; undefined on the call form.
 *
 * @param {HTMLFormElement} form
 * @returns {{phone: HTMLInputElement, envelope: HTMLInputElement} | undefined}
 */
function numberFields(form) {
  const phone = form.elements.namedItem("phone");
  const envelope = form.elements.namedItem("contact_envelope");
  if (phone instanceof HTMLInputElement && envelope instanceof HTMLInputElement) {
    return { phone, envelope };
  }
  return undefined;
}

/**
 * The number to seal: what was typed when the caller left one, else nothing.
 *
 * @param {HTMLFormElement} form
 * @param {{phone: HTMLInputElement}} number
 * @returns {string}
 */
function numberLeft(form, number) {
  const given = form.querySelector('input[name="number_given"]:checked');
  return given instanceof HTMLInputElement && given.value === "yes" ? number.phone.value.trim() : "";
}

/**
 * A number that was said to be left must be there and look like one, as the server checks.
 *
 * @param {HTMLFormElement} form
 * @param {{phone: HTMLInputElement} | undefined} number
 * @returns {Array<{target: HTMLElement, message: string}>}
 */
function numberProblems(form, number) {
  const given = form.querySelector('input[name="number_given"]:checked');
  if (!number || !(given instanceof HTMLInputElement) || given.value !== "yes") {
    return [];
  }
  if (PHONE_PATTERN.test(number.phone.value.trim())) {
    return [];
  }
  return [{ target: number.phone, message: templateTexts("phone-texts").phone ?? "" }];
}


