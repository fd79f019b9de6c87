/**
 * Quick exit: leave for a neutral site at once and take this page out of the history.
 *
 * The link works without JavaScript (an ordinary navigation, which leaves this page one
 * Back press away). With JavaScript the page is blanked first, so nothing lingers on screen
 * while the other site loads, and `location.replace` puts the neutral site in this page's
 * history entry, so Back does not return here. Earlier pages of this site in the same tab
 * stay in the history: a script cannot remove them.
 *
 * @module quick-exit
 */

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.quick-exit") : null;
  if (!(link instanceof HTMLAnchorElement)) {
    return;
  }
  event.preventDefault();
  const target = link.href;
  document.title = "";
  document.body.replaceChildren();
  location.replace(target);
});
