/**
 * Staff sign-in that also unlocks the line key in this browser.
 *
 * The form is sent as usual, but from here, so the typed password is still in this module's
 * memory when sign-in succeeds. A lawyer's wrapped line keys are then fetched and unwrapped
 * with it (PBKDF2 parameters come inside each blob), and kept as non-extractable keys for
 * the session (key-store.js). The password is never stored or sent anywhere else. Without
 * WebCrypto the form is simply submitted: the queue works, content stays sealed.
 *
 * @module staff-sign-in
 */

import { isSupported, unwrapPrivateKey } from "./hpke.js";
import { clearKeys, saveKeys } from "./key-store.js";
import { focusStart, markBusy, swapMain } from "./enhance.js";

const WRAPPED_KEYS_URL = "/api/v1/wrapped-keys";

/** @param {string} password */
async function unlockLineKeys(password) {
  const response = await fetch(WRAPPED_KEYS_URL, { credentials: "same-origin" });
  if (!response.ok) {
    return; // not a lawyer: nothing to unlock
  }
  const { keys } = await response.json();
  const unwrapped = new Map();
  for (const { key_id: keyId, blob } of keys) {
    try {
      unwrapped.set(keyId, await unwrapPrivateKey(blob, password));
    } catch {
      // Wrapped under another password: that key stays locked; the case page says so.
    }
  }
  await saveKeys(unwrapped);
}

/** @param {HTMLFormElement} form */
async function signIn(form) {
  const password = form.elements.namedItem("password").value;
  const done = markBusy(form);
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    done();
    form.submit(); // nothing arrived: send the plain form instead
    return;
  }
  const landed = new URL(response.url);
  if (response.redirected && response.ok && landed.origin === location.origin) {
    if (!landed.pathname.endsWith("/welcome")) {
      // Signed in: a failure from here on leaves content locked, never the sign-in undone.
      await unlockLineKeys(password).catch(() => undefined);
    }
    location.assign(landed.href);
    return;
  }
  done();
  const main = swapMain(new DOMParser().parseFromString(await response.text(), "text/html"));
  if (main) {
    focusStart(main);
  }
  enhance();
}

function enhance() {
  const form = document.querySelector("form.sign-in");
  if (!form) {
    return;
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    isSupported().then((supported) => (supported ? signIn(form) : form.submit()));
  });
}

clearKeys(); // a sign-in page means no session: no key may outlive it
enhance();
