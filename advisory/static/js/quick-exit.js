/**
 * Quick exit: leave for a neutral site at once and take this page out of the history.
 *
 * The link works without JavaScript (an ordinary navigation, which leaves this page one
 * Back press away). With JavaScript the page is blanked first, so nothing lingers on screen
 * while the other site loads, and `location.replace` puts the neutral site in this page's
 * history entry, so Back does not return here. Earlier pages of this site in the same tab
 * stay in the history: a script cannot remove them.
 *
 * Pressing Esc twice in quick succession does the same as the link, on every page that has
 * one (staff pages have none).
 *
 * @module quick-exit
 */

/** Two presses of Esc within this many milliseconds leave the site. */
const DOUBLE_PRESS_MS = 1500;

/** @param {HTMLAnchorElement} link */
function leave(link) {
  const target = link.href;
  // A page that would ask before it is left (the receipt) lets this go without asking.
  document.dispatchEvent(new Event("advisory:quick-exit"));
  try {
    sessionStorage.clear(); // a report's text waiting for a language switch, if any
  } catch {
    // Storage blocked by the browser: nothing can be waiting in it, and leaving comes first.
  }
  document.title = "";
  document.body.replaceChildren();
  location.replace(target);
}

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.quick-exit") : null;
  if (!(link instanceof HTMLAnchorElement)) {
    return;
  }
  event.preventDefault();
  leave(link);
});

let lastEscape = Number.NEGATIVE_INFINITY;

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.repeat) {
    return;
  }
  const link = document.querySelector("a.quick-exit");
  if (!(link instanceof HTMLAnchorElement)) {
    return;
  }
  if (event.timeStamp - lastEscape <= DOUBLE_PRESS_MS) {
    leave(link);
  }
  lastEscape = event.timeStamp;
});
