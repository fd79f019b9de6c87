/**
 * Password change (and first sign-in) for a lawyer who holds line keys: each key is unwrapped
 * here with the current password and wrapped again under the new one; only the new blobs are
 * sent. If that fails, nothing is sent and the form says why. Without keys to carry, or
 * without WebCrypto, the form is sent as it is (the server then says what is needed).
 *
 * @module password-change
 */

import { isSupported, rewrapPrivateKey } from "./hpke.js";
import { addFieldError, clearErrors, markBusy } from "./enhance.js";

function rewrapTexts() {
  const texts = {};
  const template = document.getElementById("rewrap-texts");
  for (const node of template?.content.querySelectorAll("[data-text]") ?? []) {
    texts[node.dataset.text] = node.textContent;
  }
  return texts;
}

/** @param {HTMLFormElement} form */
async function rewrapAndSend(form) {
  const texts = rewrapTexts();
  const blobs = JSON.parse(form.dataset.wrappedKeys || "[]");
  const iterations = Number(form.dataset.iterations);
  const current = form.elements.namedItem("current_password");
  const fresh = form.elements.namedItem("new_password");
  clearErrors(form);
  const done = markBusy(form);
  const rewrapped = {};
  try {
    for (const { keyId, blob } of blobs) {
      rewrapped[keyId] = await rewrapPrivateKey(blob, current.value, fresh.value, iterations);
    }
  } catch (error) {
    done();
    const wrong = error?.code === "wrong-passphrase";
    addFieldError(current, wrong ? texts["wrong-current"] : texts.failed);
    current.focus();
    return;
  }
  form.elements.namedItem("wrapped_keys").value = JSON.stringify(rewrapped);
  form.submit();
}

for (const form of document.querySelectorAll("form.rewrap")) {
  form.addEventListener("submit", (event) => {
    const blobs = JSON.parse(form.dataset.wrappedKeys || "[]");
    if (blobs.length === 0) {
      return;
    }
    event.preventDefault();
    isSupported().then((supported) => (supported ? rewrapAndSend(form) : form.submit()));
  });
}
