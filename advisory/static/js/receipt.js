/**
 * The receipt, enhanced: the case code is hard to lose.
 *
 * "Copy the code" puts it on the clipboard; "Download as a text file" makes the file here,
 * from the words the page carries (`data-file-text`), so a code made in this browser never
 * goes to the server, not even to be downloaded. Until the reporter ticks "I have saved my
 * case code" (downloading ticks it), leaving the page asks first: a link on the page shows an
 * in-page question, and closing or reloading the tab gets the browser's own. The quick exit
 * never asks: leaving fast matters more than the code.
 *
 * Without JavaScript the download button posts the code shown back to the server, which
 * answers with the same file and keeps nothing.
 *
 * @module receipt
 */

const CASE_CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/;
const CODE_PLACEHOLDER = "{code}";

/**
 * Offer the tools in `main` for `code`, and ask before the page is left unsaved.
 *
 * @param {Element} main the receipt's main element
 * @param {string} code the case code shown in it
 */
export function offerToSave(main, code) {
  const tools = main.querySelector("[data-code-tools]");
  if (!tools) {
    return;
  }
  const saved = tools.querySelector("[data-code-saved]");
  const check = tools.querySelector("[data-saved-check]");
  if (!(saved instanceof HTMLInputElement) || !(check instanceof HTMLElement)) {
    return;
  }
  check.hidden = false;
  offerCopy(tools, code);
  offerDownload(tools, code, saved);
  askBeforeLeaving(tools, saved);
}

/**
 * @param {Element} tools
 * @param {string} code
 */
function offerCopy(tools, code) {
  const button = tools.querySelector("[data-copy-code]");
  const status = tools.querySelector("[data-copy-status]");
  if (!(button instanceof HTMLButtonElement) || !status) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code);
      status.textContent = button.dataset.copied ?? "";
    } catch {
      selectCode(tools);
      status.textContent = button.dataset.copyFailed ?? "";
    }
  });
}

/**
 * The download form makes the file here instead of posting the code.
 *
 * @param {Element} tools
 * @param {string} code
 * @param {HTMLInputElement} saved
 */
function offerDownload(tools, code, saved) {
  const form = tools.querySelector("form");
  const button = tools.querySelector("[data-download-code]");
  if (!(form instanceof HTMLFormElement) || !(button instanceof HTMLButtonElement)) {
    return;
  }
  button.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = (form.dataset.fileText ?? "").replace(CODE_PLACEHOLDER, code);
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = form.dataset.fileName ?? "case-code.txt";
    link.dataset.download = "true";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    saved.checked = true;
  });
}

/**
 * Until the code is marked saved, a link asks in the page and the tab asks on unload.
 *
 * @param {Element} tools
 * @param {HTMLInputElement} saved
 */
function askBeforeLeaving(tools, saved) {
  const question = tools.querySelector("[data-leave-check]");
  if (!(question instanceof HTMLElement)) {
    return;
  }
  let leaving = false;
  let destination = "";
  document.addEventListener("advisory:quick-exit", () => {
    leaving = true;
  });
  window.addEventListener("beforeunload", (event) => {
    if (!leaving && !saved.checked) {
      event.preventDefault();
      event.returnValue = ""; // older browsers ask only when this is set
    }
  });
  document.addEventListener(
    "click",
    (event) => {
      const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
      if (!(link instanceof HTMLAnchorElement) || link.closest(".quick-exit")) {
        return;
      }
      if (link.dataset.download || saved.checked) {
        return;
      }
      event.preventDefault();
      destination = link.href;
      question.hidden = false;
      question.querySelector("[data-stay]")?.focus();
    },
    true,
  );
  question.querySelector("[data-stay]")?.addEventListener("click", () => {
    question.hidden = true;
    saved.focus();
  });
  question.querySelector("[data-leave]")?.addEventListener("click", () => {
    leaving = true;
    location.assign(destination);
  });
}

/** @param {Element} tools */
function selectCode(tools) {
  const shown = tools.closest("main")?.querySelector("[data-case-code]");
  const selection = window.getSelection();
  if (shown && selection) {
    selection.selectAllChildren(shown);
  }
}

const main = document.querySelector("main");
const shown = main?.querySelector("[data-case-code]")?.textContent?.trim() ?? "";
if (main && CASE_CODE.test(shown)) {
  offerToSave(main, shown);
}
