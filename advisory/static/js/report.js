/**
 * The report form, enhanced: the browser encrypts before anything is sent.
 *
 * With WebCrypto X25519 in a secure context, a submit generates the case code here,
 * derives its lookup token and reply key, seals the narrative (and the callback number) to
 * the line key from `data-line-key`, and posts with fetch a body that has the envelopes and
 * never the plaintext `narrative` or `phone`. The server answers with a redirect to the
 * receipt, which replaces `<main>` and shows the code, which never left this page. A 4xx
 * answer's errors are shown in this page, so nothing typed is lost; a retry reuses the same
 * submission token and case code, so a request that did arrive is not stored twice and the
 * code shown is the stored one.
 *
 * Evidence files are cleaned, sealed and uploaded as soon as they are chosen (evidence.js);
 * a submit waits for any still on their way, and the body names the finished uploads
 * instead of carrying the file field. A file that could not be uploaded, or a PDF still
 * waiting for the reporter's choice, stops the submit with a summary; nothing is sent.
 *
 * Without that support this module changes nothing but the emergency block: the plain form
 * (and its file field) posts and the server seals on arrival, as the page says.
 *
 * @module report
 */

import {
  addFieldError,
  announceBrowserEncryption,
  clearErrors,
  focusStart,
  oneSubmitAtATime,
  PHONE_PATTERN,
  postOrSayOffline,
  showEncryptionFailed,
  showProblems,
  showSummary,
  summaryFromPage,
  swapMain,
  texts,
} from "./enhance.js";
import {
  contextOf,
  generateCaseCode,
  isSupported,
  lookupTokenFromCode,
  reporterKeyFromCode,
  seal,
} from "./hpke.js";
import { takeOverEvidence } from "./evidence.js";
import { offerToSave } from "./receipt.js";


/** Where the typed text waits, in this tab only, while the page comes back in another language. */
const DRAFT_KEY = "advisory-report-draft";

const form = document.getElementById("report-form");

if (form instanceof HTMLFormElement) {
  showEmergencyWhenChosen(form);
  hideCallbackDetailsWithoutHas(form);
  switchLanguageWithoutSealing(form);
  if (await isSupported()) {
    encryptBeforeSending(form);
  }
}

/**
 * `.emergency` shows by CSS `:has` when "immediate danger: yes" is chosen; the `shown`
 * class does the same in browsers without `:has`.
 *
 * @param {HTMLFormElement} form
 */
function showEmergencyWhenChosen(form) {
  const group = form.querySelector("#immediate_danger");
  const block = group?.querySelector(".emergency");
  if (!group || !block) {
    return;
  }
  const update = () => {
    const yes = group.querySelector("input[name=immediate_danger][value=yes]");
    block.classList.toggle("shown", yes instanceof HTMLInputElement && yes.checked);
  };
  group.addEventListener("change", update);
  update();
}

/**
 * The callback details hide by CSS `:has` when replies in the inbox are chosen; without
 * `:has`, the `hidden` attribute does it.
 *
 * @param {HTMLFormElement} form
 */
function hideCallbackDetailsWithoutHas(form) {
  if (globalThis.CSS?.supports?.("selector(:has(*))")) {
    return;
  }
  const details = form.querySelector(".callback-details");
  if (!(details instanceof HTMLElement)) {
    return;
  }
  const update = () => {
    details.hidden = chosen(form, "contact_preference") === "inbox";
  };
  form.addEventListener("change", update);
  update();
}

/**
 * A language button sends the form to be shown again in that language with the answers
 * chosen. The typed text never goes with it: the server would read it unsealed. It waits in
 * this tab's sessionStorage for the moment of the switch and is taken out again as soon as
 * the page in the new language has it (the quick exit clears it too). The phone number is
 * left out as well; the page never shows it again. Registered before the sealing handler,
 * which it keeps out of such a post.
 *
 * @param {HTMLFormElement} form
 */
function switchLanguageWithoutSealing(form) {
  const phone = form.elements.namedItem("phone");
  const narrative = form.elements.namedItem("narrative");
  restoreDraft(narrative);
  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (!(button instanceof HTMLButtonElement) || button.name !== "language") {
      return;
    }
    event.stopImmediatePropagation();
    const storage = tabStorage();
    if (storage && narrative instanceof HTMLTextAreaElement && narrative.value) {
      storage.setItem(DRAFT_KEY, narrative.value);
    }
    // Where the browser blocks storage the text goes with the form, as without JavaScript:
    // the server puts it back in the page and keeps nothing.
    for (const field of storage ? [phone, narrative] : [phone]) {
      if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) {
        field.disabled = true; // a disabled field is left out of the body
      }
    }
  });
  // Back to this page from the browser's cache: the fields are usable again.
  window.addEventListener("pageshow", () => {
    for (const field of [phone, narrative]) {
      if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) {
        field.disabled = false;
      }
    }
  });
}

/**
 * The text typed before a language switch, back in its field, and gone from storage.
 *
 * @param {Element | RadioNodeList | null} narrative
 */
function restoreDraft(narrative) {
  const storage = tabStorage();
  const draft = storage?.getItem(DRAFT_KEY) ?? null;
  storage?.removeItem(DRAFT_KEY);
  if (draft !== null && narrative instanceof HTMLTextAreaElement && !narrative.value) {
    narrative.value = draft;
  }
}

/**
 * This tab's sessionStorage, or null where the browser blocks it (reading it then throws).
 *
 * @returns {Storage | null}
 */
function tabStorage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** @param {HTMLFormElement} form */
function encryptBeforeSending(form) {
  announceBrowserEncryption(form);

  /** One code per form (per submission token): a retry must name the case it may create. */
  let caseCode = "";
  /** @type {Promise<{lookupToken: string, publicKey: string}> | undefined} */
  let reporter;
  const oneAtATime = oneSubmitAtATime();
  const evidence = takeOverEvidence(form, {
    uploadFields: () => ({ submission_token: fieldValue(form, "submission_token") }),
    sealHeader: (header) =>
      seal("attachment", header, form.dataset.lineKey ?? "", contextOf(form, "reporter-to-line")),
  });

  form.addEventListener(
    "submit",
    oneAtATime(async (form, submitter) => {
      const main = form.closest("main") ?? document.body;
      const problems = [...localProblems(form), ...(evidence?.problems() ?? [])];
      if (problems.length) {
        showProblems(main, form, problems);
        return;
      }
      // Files still on their way are waited for; one that could not go stops the send.
      const unsent = (await evidence?.whenUploaded(submitter ?? undefined)) ?? [];
      if (unsent.length) {
        showProblems(main, form, unsent);
        return;
      }
      caseCode ||= generateCaseCode();
      reporter ??= deriveReporter(caseCode);
      let body;
      try {
        body = await sealedBody(form, submitter, await reporter);
        evidence?.addTo(body);
      } catch {
        reporter = undefined;
        showEncryptionFailed(main, form);
        return;
      }
      const answer = await postOrSayOffline(form, body);
      if (answer === undefined) {
        return;
      }
      if (answer.ok && answer.doc.querySelector("main [data-case-code]")) {
        evidence?.forget();
        showReceipt(answer.doc, caseCode, answer.url);
      } else {
        showServerErrors(form, main, answer.doc);
      }
    }),
  );
}

/**
 * Checks the server cannot make on sealed fields.
 *
 * @param {HTMLFormElement} form
 * @returns {Array<{target: HTMLElement, message: string}>}
 */
function localProblems(form) {
  const problems = [];
  const phone = form.elements.namedItem("phone");
  if (
    phone instanceof HTMLInputElement &&
    chosen(form, "contact_preference") === "callback" &&
    phone.value.trim() &&
    !PHONE_PATTERN.test(phone.value.trim())
  ) {
    problems.push({ target: phone, message: texts().phone });
  }
  return problems;
}


/**
 * @param {string} code
 * @returns {Promise<{lookupToken: string, publicKey: string}>}
 */
async function deriveReporter(code) {
  const [lookupToken, key] = await Promise.all([
    lookupTokenFromCode(code),
    reporterKeyFromCode(code),
  ]);
  return { lookupToken, publicKey: key.publicKeyB64url };
}

/**
 * The form's data with envelopes in place of the plaintext, which is deleted.
 *
 * @param {HTMLFormElement} form
 * @param {HTMLElement | null} submitter
 * @param {{lookupToken: string, publicKey: string}} reporter
 * @returns {Promise<FormData>}
 */
async function sealedBody(form, submitter, reporter) {
  const lineKey = form.dataset.lineKey ?? "";
  const body = new FormData(form, submitter ?? undefined);
  const narrative = String(body.get("narrative") ?? "").trim();
  const phone = String(body.get("phone") ?? "").trim();
  body.delete("narrative");
  body.delete("phone");
  const callback = body.get("contact_preference") === "callback";
  body.set("encryption", "browser");
  const where = contextOf(form, "reporter-to-line");
  body.set(
    "narrative_envelope",
    narrative ? await seal("narrative", narrative, lineKey, where) : "",
  );
  // A copy to the reporter's own key: with the case code, they can reread what they wrote.
  const ownCopy = contextOf(form, "reporter-to-reporter");
  body.set(
    "narrative_copy_envelope",
    narrative ? await seal("narrative", narrative, reporter.publicKey, ownCopy) : "",
  );
  body.set(
    "contact_envelope",
    callback && phone ? await seal("contact", phone, lineKey, where) : "",
  );
  body.set("lookup_token", reporter.lookupToken);
  body.set("reporter_public_key", reporter.publicKey);
  return body;
}

/**
 * The case is stored: show the receipt in place of the form, with the code, and offer to
 * copy or download it.
 *
 * @param {Document} doc
 * @param {string} code
 * @param {string} receiptUrl where the server showed the receipt (its one-time link)
 */
function showReceipt(doc, code, receiptUrl) {
  const main = swapMain(doc);
  if (!main) {
    return;
  }
  for (const slot of main.querySelectorAll("[data-case-code]")) {
    slot.textContent = code;
    slot.className = "code";
  }
  // The code is shown only here: a language switch would leave the page and lose it.
  for (const language of document.querySelectorAll(".language-switch")) {
    language.remove();
  }
  // This history entry becomes the receipt: reload or Back-and-forward shows it again
  // (without the code, which exists only in this page), never the form sent anew.
  history.replaceState(null, "", receiptUrl || location.href);
  offerToSave(main, code);
  focusStart(main);
}

/**
 * Show the answer's error summary and field errors in this page, keeping what was typed.
 *
 * @param {HTMLFormElement} form
 * @param {Element} main
 * @param {Document} doc
 */
function showServerErrors(form, main, doc) {
  clearErrors(main);
  const answerForm = doc.getElementById("report-form");
  // Offered callback times may have changed (a 409 means one was just taken).
  const freshSlots = answerForm?.querySelector("#slot");
  const currentSlots = form.querySelector("#slot");
  if (freshSlots && currentSlots) {
    currentSlots.replaceWith(document.importNode(freshSlots, true));
  }
  for (const error of answerForm?.querySelectorAll(".field-error") ?? []) {
    const id = error.id.replace(/-error$/, "");
    if (!id || id === "slot") {
      continue;
    }
    const target = form.querySelector(`#${CSS.escape(id)}`);
    if (target instanceof HTMLElement) {
      addFieldError(target, error.textContent?.trim() ?? "");
    }
  }
  const summary = doc.querySelector("main .error-summary");
  showSummary(
    main,
    form,
    summary ? /** @type {Element} */ (document.importNode(summary, true)) : summaryFromPage(doc),
  );
}

/**
 * @param {HTMLFormElement} form
 * @param {string} name
 * @returns {string}
 */
function fieldValue(form, name) {
  const field = form.elements.namedItem(name);
  return field instanceof HTMLInputElement ? field.value : "";
}

/**
 * @param {HTMLFormElement} form
 * @param {string} name
 * @returns {string}
 */
function chosen(form, name) {
  const checked = form.querySelector(`input[name="${name}"]:checked`);
  return checked instanceof HTMLInputElement ? checked.value : "";
}
