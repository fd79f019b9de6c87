/**
 * The secure inbox, enhanced: the case code never leaves the browser.
 *
 * On the code form this module normalises the typed code, derives its lookup token and
 * reply key, and posts only the token. The inbox that comes back replaces `<main>`; what
 * in it is sealed to the reporter's key (the lawyers' replies, and the reporter's own copies
 * of their report and messages) is opened here and shown as text. Every later inbox form
 * (they carry the hidden lookup token) is sent the same way, and a message is sealed to the
 * line key, and a copy to the reporter's own key, before it is sent, without its plaintext.
 * Files attached to a message are stripped, sealed and uploaded when chosen (evidence.js),
 * and the message names its uploads: no file's plaintext is posted. Files a lawyer sent with
 * a reply are opened here with the same key and saved from the browser (inbox-files.js).
 *
 * The code is kept only in this module's memory, for as long as the page is open: never in
 * storage, cookies or the URL. Without WebCrypto support nothing changes: the plain forms
 * send the code and the server reads the replies.
 *
 * @module follow-up
 */

import {
  addFieldError,
  clearErrors,
  focusStart,
  lineKey,
  oneSubmitAtATime,
  postOrSayOffline,
  showEncryptionFailed,
  showProblems,
  swapMain,
  texts,
} from "./enhance.js";
import {
  contextOf,
  isSupported,
  lookupTokenFromCode,
  normaliseCaseCode,
  openText,
  reporterKeyFromCode,
  seal,
} from "./hpke.js";
import { takeOverEvidence } from "./evidence.js";
import { openReplyFiles } from "./inbox-files.js";

/** The inbox's forms sent as pages: all but the code form and the reply files' buttons. */
const INBOX_FORMS = "form:not([data-opens-inbox]):not(.reply-file-download)";

/**
 * The open case, in memory only: the normalised code's reply key pair and lookup token.
 *
 * @typedef {{privateKey: CryptoKey, publicKey: string, lookupToken: string}} OpenCase
 * @type {OpenCase | null}
 */
let openCase = null;
/** One submit at a time across the page's forms: a second press while one is sent does nothing. */
const oneAtATime = oneSubmitAtATime();
/**
 * The evidence field of each message form in the inbox shown: its files are stripped,
 * sealed and uploaded when chosen, and the message names them (evidence.js).
 *
 * @type {WeakMap<HTMLFormElement, import("./evidence.js").EvidenceField | null>}
 */
const evidenceOf = new WeakMap();

const start = document.querySelector("main");
if (start && (await isSupported())) {
  takeOver(start);
}

/**
 * Intercept the code form and the inbox's forms inside `main`, and open its replies.
 *
 * @param {Element} main
 */
function takeOver(main) {
  for (const form of main.querySelectorAll("form[data-opens-inbox]")) {
    if (form instanceof HTMLFormElement) {
      form.addEventListener("submit", oneAtATime(openInbox));
      form.dataset.enhanced = "true";
    }
  }
  if (openCase) {
    // A reply file's button fetches and opens the file here, not a page (inbox-files.js).
    openReplyFiles(main, openCase.privateKey);
    for (const form of main.querySelectorAll(INBOX_FORMS)) {
      const token = form.querySelector("input[name=lookup_token]");
      if (form instanceof HTMLFormElement && token instanceof HTMLInputElement && token.value) {
        form.addEventListener("submit", oneAtATime(sendInboxForm));
        form.dataset.enhanced = "true";
        if (form.matches("[data-seals-message]")) {
          evidenceOf.set(form, takeOverEvidence(form, evidenceOptions(form)));
        }
      }
    }
    openSealedTexts(main);
  }
}

/**
 * The code form: check the code here, then send only its lookup token.
 *
 * @param {HTMLFormElement} form
 * @param {HTMLElement | null} submitter
 */
/**
 * The page's own words for a mistyped code (the crypto module's messages are English only).
 * @param {string} typed
 * @returns {string}
 */
function explainBadCode(typed) {
  const say = texts();
  const count = [...typed].filter((ch) => /[0-9A-Za-z]/.test(ch)).length;
  if (count === 0) {
    return say["code-empty"];
  }
  if (count !== 20) {
    return say["code-length"].replace("{count}", String(count));
  }
  return say["code-chars"];
}

async function openInbox(form, submitter) {
  const input = form.elements.namedItem("code");
  if (!(input instanceof HTMLInputElement)) {
    return;
  }
  const main = form.closest("main") ?? document.body;
  clearErrors(main);
  let code;
  try {
    code = normaliseCaseCode(input.value);
  } catch (error) {
    addFieldError(input, explainBadCode(input.value));
    input.focus();
    return;
  }
  const [lookupToken, key] = await Promise.all([
    lookupTokenFromCode(code),
    reporterKeyFromCode(code),
  ]);
  const body = new FormData(form, submitter ?? undefined);
  body.delete("code");
  body.set("lookup_token", lookupToken);
  await send(form, body, {
    privateKey: key.privateKey,
    publicKey: key.publicKeyB64url,
    lookupToken,
  });
}

/**
 * Any later inbox form: send as it is, with a message sealed first.
 *
 * @param {HTMLFormElement} form
 * @param {HTMLElement | null} submitter
 */
async function sendInboxForm(form, submitter) {
  if (!openCase) {
    return;
  }
  const body = new FormData(form, submitter ?? undefined);
  if (form.matches("[data-seals-message]")) {
    const main = form.closest("main") ?? document.body;
    const evidence = evidenceOf.get(form);
    // Files still on their way are waited for; one that could not go stops the send.
    const problems = (await evidence?.whenUploaded(submitter ?? undefined)) ?? [];
    if (problems.length) {
      showProblems(main, form, problems);
      return;
    }
    evidence?.addTo(body); // names the sealed uploads; no file's plaintext goes
    const text = String(body.get("message") ?? "").trim();
    body.delete("message");
    if (text) {
      try {
        const where = contextOf(form, "reporter-to-line");
        const ownCopy = contextOf(form, "reporter-to-reporter");
        body.set("message_envelope", await seal("message", text, await lineKey(form), where));
        const copy = await seal("message", text, openCase.publicKey, ownCopy);
        body.set("message_copy_envelope", copy);
      } catch {
        showEncryptionFailed(form.closest("main") ?? document.body, form);
        return;
      }
    }
  }
  await send(form, body, openCase);
}

/**
 * How a message form's files are uploaded and sealed: for the open case (its lookup token),
 * with their headers sealed to the line and bound to the case.
 *
 * @param {HTMLFormElement} form
 * @returns {import("./evidence.js").EvidenceOptions}
 */
function evidenceOptions(form) {
  return {
    uploadFields: () => ({ lookup_token: openCase?.lookupToken ?? "" }),
    sealHeader: async (header) =>
      seal("attachment", header, await lineKey(form), contextOf(form, "reporter-to-line")),
  };
}

/**
 * Post, then show the answer in place of `<main>`; on a network error keep this page.
 *
 * @param {HTMLFormElement} form
 * @param {FormData} body
 * @param {OpenCase} credentials
 */
async function send(form, body, credentials) {
  const answer = await postOrSayOffline(form, body);
  if (answer === undefined) {
    return;
  }
  const unsent = form.matches("[data-seals-message]") && !answer.ok ? messageText(form) : "";
  const fresh = swapMain(answer.doc);
  if (!fresh) {
    return;
  }
  // Only an inbox (its forms carry the token) keeps the case open in memory.
  openCase = holdsCase(fresh) ? credentials : null;
  if (unsent) {
    const textarea = fresh.querySelector("[data-seals-message] textarea[name=message]");
    if (textarea instanceof HTMLTextAreaElement) {
      textarea.value = unsent;
    }
  }
  takeOver(fresh);
  focusStart(fresh);
}

/**
 * Open every text in `root` sealed to the reporter's key (each names its purpose and
 * direction) and show it as plain text.
 *
 * @param {Element} root
 */
async function openSealedTexts(root) {
  const key = openCase?.privateKey;
  if (!key) {
    return;
  }
  for (const node of root.querySelectorAll("[data-envelope]")) {
    const envelope = node.getAttribute("data-envelope") ?? "";
    const purpose = node.getAttribute("data-purpose") ?? "";
    const direction = node.getAttribute("data-direction") ?? "";
    try {
      node.textContent = await openText(purpose, envelope, key, contextOf(node, direction));
      node.removeAttribute("data-envelope");
    } catch {
      node.textContent = texts().unreadable;
    }
  }
}

/**
 * Whether `main` is an inbox page: a form other than the code form carries a lookup token.
 *
 * @param {Element} main
 * @returns {boolean}
 */
function holdsCase(main) {
  return [...main.querySelectorAll("form:not([data-opens-inbox]) input[name=lookup_token]")].some(
    (input) => input instanceof HTMLInputElement && input.value !== "",
  );
}

/**
 * @param {HTMLFormElement} form
 * @returns {string}
 */
function messageText(form) {
  const textarea = form.querySelector("textarea[name=message]");
  return textarea instanceof HTMLTextAreaElement ? textarea.value : "";
}
