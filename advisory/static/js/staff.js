/**
 * On every signed-in staff page: the keys unlocked in this browser go when the session does.
 *
 * Signing out drops them before the form is sent. An idle timer drops them too, and shows
 * the sign-in page, once no staff page in this browser has been opened for the session's
 * idle timeout: the server ends the session then, and the keys must not outlive it in a
 * laptop left open. Pages of other tabs count as activity (the time is shared through
 * localStorage), so one busy tab keeps the others' keys.
 *
 * @module staff
 */

import { clearKeys } from "./key-store.js";

const ACTIVITY_KEY = "advisory-line:last-staff-page";
const CHECK_EVERY_MS = 15_000;

for (const form of document.querySelectorAll("form.sign-out")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearKeys().finally(() => form.submit());
  });
}

function lastActivity() {
  try {
    return Number(localStorage.getItem(ACTIVITY_KEY)) || Date.now();
  } catch {
    return Date.now();
  }
}

function startIdleTimer() {
  const holder = document.querySelector("[data-idle-seconds]");
  const idleMs = Number(holder?.dataset.idleSeconds) * 1000;
  if (!holder || !(idleMs > 0)) {
    return;
  }
  try {
    localStorage.setItem(ACTIVITY_KEY, String(Date.now()));
  } catch {
    // Storage off: this page's own load time is the last activity.
  }
  const loaded = Date.now();
  const timer = setInterval(() => {
    const last = Math.max(lastActivity(), loaded);
    if (Date.now() - last >= idleMs) {
      clearInterval(timer);
      clearKeys().finally(() => location.assign(holder.dataset.signInUrl));
    }
  }, Math.min(CHECK_EVERY_MS, idleMs));
}

startIdleTimer();
