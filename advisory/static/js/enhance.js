/**
 * Shared helpers for the reporter pages' progressive enhancement: posting a form with
 * fetch, swapping in the answer's `<main>`, and showing errors the way the server's
 * templates do (an `.error-summary` before the form, a `.field-error` beside each field,
 * linked with aria-describedby). No page state lives here.
 *
 * Texts come from `<template id="script-texts">` in templates/_page.html, so they are
 * translated with the rest of the page; the English here is only a fallback.
 *
 * @module enhance
 */

const FALLBACK_TEXTS = {
  check: "Please check the following",
  network:
    "We could not reach the line. What you wrote is still here: check your connection and " +
    "send again. If the first try did arrive, it is not stored twice.",
  encrypt: "Your browser could not encrypt this, so nothing was sent. Please try again.",
  phone: "That does not look like a phone number; use digits, and + for abroad.",
  unreadable: "(this answer could not be opened with your case code)",
  "code-empty": "Please type your case code.",
  "code-length": "A case code has 20 characters; this one has {count}.",
  "code-chars": "A case code has only digits and the letters A to Z; please check it.",
};

// The server's PHONE_PATTERN (advisory/reporter/forms.py), for the forms that take a number
// before sealing it: the server cannot check a sealed one.
export const PHONE_PATTERN = /^\+?[0-9 ()-]{8,20}$/;

/** @type {Record<string, string> | undefined} */
let cachedTexts;

/**
 * The page's script texts by key (check, network, encrypt, phone, unreadable).
 *
 * @returns {Record<string, string>}
 */
export function texts() {
  if (cachedTexts === undefined) {
    cachedTexts = { ...FALLBACK_TEXTS };
    const template = document.getElementById("script-texts");
    if (template instanceof HTMLTemplateElement) {
      for (const node of template.content.querySelectorAll("[data-text]")) {
        const text = node.textContent.trim();
        if (text) {
          cachedTexts[node.dataset.text] = text;
        }
      }
    }
  }
  return cachedTexts;
}

/**
 * A page's own translated texts, from `<template id="...">` with `[data-text]` children.
 *
 * @param {string} id the template's id
 * @returns {Record<string, string>} key → text
 */
export function templateTexts(id) {
  /** @type {Record<string, string>} */
  const found = {};
  const template = document.getElementById(id);
  if (template instanceof HTMLTemplateElement) {
    for (const node of template.content.querySelectorAll("[data-text]")) {
      if (node instanceof HTMLElement && node.dataset.text) {
        found[node.dataset.text] = node.textContent?.trim() ?? "";
      }
    }
  }
  return found;
}

/** fetch failed before any answer arrived: the network, not the server. */
export class NetworkError extends Error {
  constructor() {
    super("network error");
    this.name = "NetworkError";
  }
}

/**
 * POST a form's data to its action with fetch and parse the HTML answer.
 *
 * @param {HTMLFormElement} form
 * @param {FormData} body
 * @returns {Promise<{ok: boolean, status: number, doc: Document, url: string}>} `url` is
 *   where the answer came from, after any redirect
 * @throws {NetworkError} when no complete answer arrived
 */
export async function postForm(form, body) {
  const action = new URL(form.getAttribute("action") ?? "", document.baseURI);
  let response;
  let html;
  try {
    response = await fetch(action, {
      method: "POST",
      body,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "follow",
    });
    html = await response.text();
  } catch {
    throw new NetworkError();
  }
  const doc = new DOMParser().parseFromString(html, "text/html");
  return { ok: response.ok, status: response.status, doc, url: response.url };
}

/**
 * `postForm`, but a lost connection is told to the reader beside the form (nothing typed is
 * touched) and gives `undefined` instead of throwing.
 *
 * @param {HTMLFormElement} form
 * @param {FormData} body
 * @returns {Promise<{ok: boolean, status: number, doc: Document, url: string} | undefined>}
 */
export async function postOrSayOffline(form, body) {
  try {
    return await postForm(form, body);
  } catch (error) {
    if (!(error instanceof NetworkError)) {
      throw error;
    }
    const main = form.closest("main") ?? document.body;
    showSummary(main, form, errorSummary([{ message: texts().network }]));
    return undefined;
  }
}

/**
 * Replace this page's `<main>` with the one in `doc` and take over its title. Scripts in
 * the new content do not run (DOMParser marks them inert); the modules already loaded
 * keep working.
 *
 * @param {Document} doc
 * @returns {HTMLElement | null} the new main, or null if `doc` has none
 */
export function swapMain(doc) {
  const fresh = doc.querySelector("main");
  const current = document.querySelector("main");
  if (!fresh || !current) {
    return null;
  }
  const adopted = /** @type {HTMLElement} */ (document.adoptNode(fresh));
  current.replaceWith(adopted);
  if (doc.title) {
    document.title = doc.title;
  }
  return adopted;
}

/**
 * Move focus to what a screen-reader user needs first: an error summary if there is one,
 * else the page's heading.
 *
 * @param {ParentNode} root
 */
export function focusStart(root) {
  const target = root.querySelector(".error-summary") ?? root.querySelector("h1");
  if (target instanceof HTMLElement) {
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }
}

/**
 * A summary like the server's `error_summary` macro: a heading and a list of messages,
 * each a link to its field when a field id is given.
 *
 * @param {Array<{message: string, fieldId?: string, label?: string}>} items
 * @returns {HTMLElement}
 */
export function errorSummary(items) {
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.setAttribute("role", "alert");
  summary.setAttribute("tabindex", "-1");
  summary.id = "error-summary";
  const heading = document.createElement("h2");
  heading.textContent = texts().check;
  const list = document.createElement("ul");
  for (const { message, fieldId, label } of items) {
    const item = document.createElement("li");
    if (fieldId) {
      const link = document.createElement("a");
      link.href = `#${fieldId}`;
      link.textContent = label ? `${label}: ${message}` : message;
      item.append(link);
    } else {
      item.textContent = message;
    }
    list.append(item);
  }
  summary.append(heading, list);
  return summary;
}

/**
 * Show `summary` just before `anchor` (where the server puts it), replacing any summary
 * already shown inside `root`, and focus it.
 *
 * @param {ParentNode} root
 * @param {Element} anchor
 * @param {Element} summary
 */
export function showSummary(root, anchor, summary) {
  for (const old of root.querySelectorAll(".error-summary")) {
    old.remove();
  }
  anchor.before(summary);
  if (summary instanceof HTMLElement) {
    if (!summary.hasAttribute("tabindex")) {
      summary.setAttribute("tabindex", "-1");
    }
    summary.focus();
  }
}

/**
 * Say, in a summary before `form`, that this browser could not encrypt: nothing was sent.
 *
 * @param {ParentNode} root
 * @param {HTMLFormElement} form
 */
export function showEncryptionFailed(root, form) {
  showSummary(root, form, errorSummary([{ message: texts().encrypt }]));
}

/**
 * Mark `form` as sealed in this browser, and swap the page's note on encryption for the one
 * that says so.
 *
 * @param {HTMLFormElement} form
 */
export function announceBrowserEncryption(form) {
  document.getElementById("encryption-note")?.setAttribute("hidden", "");
  document.getElementById("encryption-note-js")?.removeAttribute("hidden");
  form.dataset.enhanced = "true";
}

/**
 * Show problems found in this browser: each beside its field, and a summary before `anchor`.
 *
 * @param {ParentNode} root
 * @param {Element} anchor
 * @param {Array<{target: HTMLElement, message: string}>} problems
 */
export function showProblems(root, anchor, problems) {
  clearErrors(root);
  for (const { target, message } of problems) {
    addFieldError(target, message);
  }
  showSummary(root, anchor, errorSummary(problems.map(summaryItem)));
}

/**
 * A summary line named like the field: its legend (a group of radios) or its label.
 *
 * @param {{target: HTMLElement, message: string}} problem
 */
function summaryItem({ target, message }) {
  const name =
    target.querySelector(":scope > legend") ??
    document.querySelector(`label[for="${CSS.escape(target.id)}"]`);
  return { message, fieldId: target.id, label: name?.textContent?.trim() };
}

/**
 * A summary built from an answer that had no form errors to show (an error page): its
 * heading and first paragraph.
 *
 * @param {Document} doc
 * @returns {HTMLElement}
 */
export function summaryFromPage(doc) {
  const main = doc.querySelector("main");
  const parts = [main?.querySelector("h1"), main?.querySelector("p")]
    .map((node) => node?.textContent?.trim() ?? "")
    .filter(Boolean);
  const message = parts.length ? parts.join(" ") : texts().network;
  return errorSummary([{ message }]);
}

/**
 * Mark a field as wrong: `.has-error` on its `.field`, a `.field-error` paragraph after
 * its label or hint, and the paragraph's id in the field's aria-describedby.
 *
 * @param {HTMLElement} target the element with the field's id (an input, a select, a
 *   textarea, or the fieldset of a group of radios)
 * @param {string} message
 */
export function addFieldError(target, message) {
  const container = target.closest(".field") ?? target.parentElement;
  if (!container) {
    return;
  }
  container.classList.add("has-error");
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = `${target.id}-error`;
  error.textContent = message;
  const after =
    container.querySelector(":scope > .hint") ??
    container.querySelector(":scope > legend, :scope > label");
  if (after) {
    after.after(error);
  } else {
    container.prepend(error);
  }
  const ids = new Set((target.getAttribute("aria-describedby") ?? "").split(/\s+/));
  ids.delete("");
  ids.add(error.id);
  target.setAttribute("aria-describedby", [...ids].join(" "));
}

/**
 * Remove every field error and error summary under `root` and undo their links.
 *
 * @param {ParentNode} root
 */
export function clearErrors(root) {
  for (const error of root.querySelectorAll(".field-error")) {
    const target = error.id ? document.getElementById(error.id.replace(/-error$/, "")) : null;
    if (target) {
      const ids = (target.getAttribute("aria-describedby") ?? "")
        .split(/\s+/)
        .filter((id) => id && id !== error.id);
      if (ids.length) {
        target.setAttribute("aria-describedby", ids.join(" "));
      } else {
        target.removeAttribute("aria-describedby");
      }
    }
    error.remove();
  }
  for (const field of root.querySelectorAll(".has-error")) {
    field.classList.remove("has-error");
  }
  for (const summary of root.querySelectorAll(".error-summary")) {
    summary.remove();
  }
}

/**
 * Block a form's submit button while a request is under way (and say so to assistive
 * technology); returns a function that releases it.
 *
 * @param {HTMLFormElement} form
 * @returns {() => void}
 */
export function markBusy(form) {
  const buttons = [...form.querySelectorAll("button[type=submit], input[type=submit]")];
  form.setAttribute("aria-busy", "true");
  for (const button of buttons) {
    button.setAttribute("aria-disabled", "true");
  }
  return () => {
    form.removeAttribute("aria-busy");
    for (const button of buttons) {
      button.removeAttribute("aria-disabled");
    }
  };
}

/**
 * A guard that lets one submit at a time through: each handler it wraps prevents the
 * browser's own submit, is skipped while another submit of the same guard is under way, and
 * keeps its form marked busy while it runs.
 *
 * @typedef {(form: HTMLFormElement, submitter: HTMLElement | null) => Promise<void>} SubmitHandler
 * @returns {(handler: SubmitHandler) => (event: SubmitEvent) => Promise<void>}
 */
export function oneSubmitAtATime() {
  let sending = false;
  return (handler) => async (event) => {
    event.preventDefault();
    if (sending) {
      return;
    }
    sending = true;
    const form = /** @type {HTMLFormElement} */ (event.currentTarget);
    const release = markBusy(form);
    try {
      await handler(form, event.submitter);
    } finally {
      sending = false;
      release();
    }
  };
}

/** @type {Map<string, Promise<string>>} */
const lineKeys = new Map();

/**
 * The current public key (base64url) of the line `element` seals to: a case's own line where
 * the element is in a case (its `data-line-key-url` names where to fetch it), else the page's.
 * Fetched once per line for the page, and again after a failure. A key retired meanwhile
 * still seals: the server takes the line's retired keys.
 *
 * @param {Element} element
 * @returns {Promise<string>}
 */
export function lineKey(element) {
  const named = /** @type {HTMLElement | null} */ (element.closest("[data-line-key-url]"));
  const url = named?.dataset.lineKeyUrl || "/api/v1/line-key";
  let key = lineKeys.get(url);
  if (key === undefined) {
    key = fetchLineKey(url).catch((error) => {
      lineKeys.delete(url);
      throw error;
    });
    lineKeys.set(url, key);
  }
  return key;
}

/** @param {string} url */
async function fetchLineKey(url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) {
    throw new Error(`line key: HTTP ${response.status}`);
  }
  const { public_key: publicKey } = await response.json();
  return String(publicKey);
}
