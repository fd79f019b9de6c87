/**
 * The case page, opened in the lawyer's browser.
 *
 * Every element with `data-envelope` holds sealed content (narrative, messages, the line's
 * copy of replies, a revealed phone number); it is opened here with the line keys unwrapped
 * at sign-in and shown as text. A reply is sealed here twice before it is sent: to the
 * reporter's key (only their case code opens it) and to the line key (for colleagues). The
 * server never receives the text. Files chosen for the reply are stripped, sealed (their
 * headers to the reporter and to the line) and uploaded before it is sent
 * (reply-evidence.js), and the reply names them. Evidence files are listed with their sealed
 * headers, which evidence-view.js opens with the same keys. Without keys the page says how
 * to get them.
 *
 * @module case-view
 */

import { contextOf, isSupported, openText, parseEnvelope, seal, signReply } from "./hpke.js";
import { loadKeys, loadSigningKey } from "./key-store.js";
import { openNewGrants } from "./staff-keys.js";
import { addFieldError, clearErrors, lineKey, markBusy, templateTexts } from "./enhance.js";
import { openEvidence } from "./evidence-view.js";
import { takeOverReplyEvidence } from "./reply-evidence.js";

/**
 * @param {HTMLElement} element
 * @param {string} text
 * @param {string} [className]
 */
function show(element, text, className = "opened") {
  element.replaceChildren();
  const paragraph = document.createElement("p");
  paragraph.className = className;
  paragraph.textContent = text;
  element.append(paragraph);
}

/**
 * A revealed phone number: a link that dials it. The href keeps only digits and a leading
 * plus, so "+47 912 34 567" dials as tel:+4791234567.
 *
 * @param {HTMLElement} element
 * @param {string} number
 */
function showNumber(element, number) {
  const link = document.createElement("a");
  link.className = "opened";
  link.href = `tel:${number.trim().replace(/(?!^\+)[^\d]/g, "")}`;
  link.textContent = number;
  element.replaceChildren(link);
}

/** The element naming the case's line and reference. */
function caseElement() {
  return document.getElementById("key-status");
}

/** @param {Map<string, CryptoKey>} keys */
async function openAll(keys, texts) {
  let locked = 0;
  for (const element of document.querySelectorAll("[data-envelope]")) {
    const envelope = element.dataset.envelope;
    let keyId;
    try {
      keyId = parseEnvelope(envelope).keyId;
    } catch {
      show(element, texts.unreadable, "muted"); // stored damaged: no key would open it
      continue;
    }
    const key = keys.get(keyId);
    if (!key) {
      locked += 1;
      continue;
    }
    try {
      const purpose = element.dataset.purpose;
      // On the case page a reply is the line's copy; everything else came from the reporter.
      const direction = purpose === "reply" ? "line-to-line" : "reporter-to-line";
      const where = contextOf(caseElement(), direction);
      const text = await openText(purpose, envelope, key, where);
      if (element.dataset.link === "tel") {
        showNumber(element, text);
      } else {
        show(element, text);
      }
    } catch {
      show(element, texts.unreadable, "muted");
    }
  }
  return locked;
}

/**
 * The reply form: the text sealed twice, its files uploaded sealed, then the form sent with
 * envelopes and uploads only.
 *
 * @param {HTMLFormElement} form
 */
function enhanceReply(form, texts) {
  const files = takeOverReplyEvidence(form, {
    toReporter: (header) =>
      seal(
        "attachment",
        header,
        form.dataset.reporterKey,
        contextOf(caseElement(), "line-to-reporter"),
      ),
    toLine: async (header) =>
      seal(
        "attachment",
        header,
        await lineKey(caseElement()),
        contextOf(caseElement(), "line-to-line"),
      ),
  });
  let sending = false;
  form.addEventListener("submit", async (event) => {
    const textarea = form.elements.namedItem("text");
    const text = textarea.value;
    if (!text.trim() && !files?.hasFiles()) {
      return; // the server says what is missing
    }
    event.preventDefault();
    if (sending) {
      return;
    }
    clearErrors(form);
    if (!text.trim()) {
      addFieldError(textarea, texts["write-first"]); // files go with a reply, not alone
      textarea.focus();
      return;
    }
    sending = true;
    const done = markBusy(form);
    const release = () => {
      sending = false;
      done();
    };
    const button = form.querySelector("button[type=submit]") ?? undefined;
    // Files still on their way are waited for; one that could not go stops the reply.
    const problems = (await files?.whenUploaded(button)) ?? [];
    if (problems.length) {
      release();
      for (const { target, message } of problems) {
        addFieldError(target, message);
      }
      problems[0].target.focus();
      return;
    }
    try {
      form.elements.namedItem("envelope").value = await seal(
        "reply",
        text,
        form.dataset.reporterKey,
        contextOf(caseElement(), "line-to-reporter"),
      );
      form.elements.namedItem("line_copy_envelope").value = await seal(
        "reply",
        text,
        await lineKey(caseElement()),
        contextOf(caseElement(), "line-to-line"),
      );
      // Signed with the lawyer's own key, so the reporter's page can tell it is the line's.
      const signingKey = await loadSigningKey();
      if (signingKey) {
        const { lineSlug, reference } = caseElement().dataset;
        const envelope = form.elements.namedItem("envelope").value;
        form.elements.namedItem("signature").value = await signReply(
          signingKey,
          lineSlug,
          reference,
          envelope,
        );
      }
    } catch {
      release();
      addFieldError(textarea, texts.encrypt);
      return;
    }
    files?.nameUploads();
    textarea.disabled = true; // the text itself is never sent
    form.submit();
  });
}

async function enhance() {
  const status = document.getElementById("key-status");
  const texts = templateTexts("case-texts");
  if (!(await isSupported())) {
    return;
  }
  const reply = document.querySelector("form.reply-form");
  if (reply) {
    enhanceReply(reply, texts);
  }
  const keys = await loadKeys();
  let locked = (await openAll(keys, texts)) + (await openEvidence(keys));
  if (locked > 0) {
    // A colleague may have given this lawyer the key since they signed in.
    const granted = await openNewGrants();
    locked = (await openAll(granted, texts)) + (await openEvidence(granted));
  }
  if (locked > 0 && status) {
    status.textContent = texts.locked;
    status.hidden = false;
  }
}

enhance();
