/**
 * Choosing a password (first sign-in) and changing it, in the browser.
 *
 * The new password is checked here (length, common and guessable patterns: the server never
 * sees it, so it cannot), then turned into a new authentication key (sent) and wrapping key
 * (kept). At first sign-in a lawyer's key pair is made here and its private half wrapped
 * under the new wrapping key; at a password change the private half is unwrapped with the
 * current password's key and wrapped under the new one. Wraps of the line key under the
 * password from before key pairs are turned into grants with the current password. Only
 * keys, wrapped keys and grants are sent; the password inputs have no name.
 *
 * @module credential-change
 */

import {
  createStaffKey,
  deriveStaffCredentials,
  isSupported,
  publicKeyBytesOf,
  rewrapStaffPrivateKey,
  unwrapStaffKeys,
} from "./hpke.js";
import { publicKeyToText } from "./crypto/keys.js";
import { addFieldError, clearErrors, templateTexts } from "./enhance.js";
import { passwordProblem } from "./password-strength.js";
import { convertPasswordWraps, sendCredentialForm, unlockKeys } from "./staff-keys.js";

class Refusal extends Error {
  /**
   * @param {HTMLElement} field
   * @param {string} message
   */
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/**
 * @param {HTMLFormElement} form
 * @param {Record<string, string>} texts
 */
async function prepare(form, texts) {
  const data = form.dataset;
  const staffId = Number(data.staffId);
  const username = data.username;
  const current = form.querySelector("#current_password");
  const fresh = form.querySelector("#new_password");
  const repeat = form.querySelector("#repeat_password");
  const problem = passwordProblem(fresh.value, { username });
  if (problem) {
    throw new Refusal(fresh, texts[problem] ?? texts.weak);
  }
  if (fresh.value !== repeat.value) {
    throw new Refusal(repeat, texts.mismatch);
  }
  const next = await deriveStaffCredentials(fresh.value, data.instance, username);
  form.elements.namedItem("new_auth_key").value = next.authKey;
  let publicKey = data.publicKey || "";
  let currentCredentials;
  if (form.elements.namedItem("current_auth_key")) {
    currentCredentials = await deriveStaffCredentials(current.value, data.instance, username);
    form.elements.namedItem("current_auth_key").value = currentCredentials.authKey;
  }
  if (data.wrappedPrivateKey && currentCredentials) {
    try {
      form.elements.namedItem("wrapped_private_key").value = await rewrapStaffPrivateKey(
        data.wrappedPrivateKey,
        currentCredentials.wrapKey,
        next.wrapKey,
        staffId,
      );
      // Old wraps are turned into grants to the key unwrapped here, not the page's word for it.
      const own = await unwrapStaffKeys(data.wrappedPrivateKey, currentCredentials.wrapKey, staffId);
      publicKey = publicKeyToText(await publicKeyBytesOf(own.privateKey));
    } catch {
      throw new Refusal(current, texts["wrong-current"]);
    }
  } else if (data.makesKeyPair === "1") {
    const made = await createStaffKey(next.wrapKey, staffId);
    publicKey = made.publicKey;
    form.elements.namedItem("public_key").value = made.publicKey;
    form.elements.namedItem("wrapped_private_key").value = made.wrappedPrivateKey;
    form.elements.namedItem("signing_public_key").value = made.signingPublicKey;
  }
  const wraps = JSON.parse(data.legacyWraps || "[]");
  if (wraps.length > 0) {
    const converted = await convertPasswordWraps(wraps, current.value, staffId, publicKey);
    if (converted.size < wraps.length) {
      throw new Refusal(current, texts["wrong-current"]);
    }
    form.elements.namedItem("grants").value = JSON.stringify(Object.fromEntries(converted));
  }
  return { password: fresh.value, wrapKey: next.wrapKey };
}

/** @param {HTMLFormElement} form */
async function send(form) {
  const texts = templateTexts("credential-texts");
  clearErrors(form);
  let chosen;
  try {
    chosen = await prepare(form, texts);
  } catch (error) {
    const field = error instanceof Refusal ? error.field : form.querySelector("#new_password");
    addFieldError(field, error instanceof Refusal ? error.message : texts.failed);
    field.focus();
    return;
  }
  for (const input of form.querySelectorAll("input[type=password]")) {
    input.value = ""; // nothing typed outlives the attempt on the page
  }
  await sendCredentialForm(form, () => unlockKeys(chosen.password, chosen.wrapKey), enhance);
}

function enhance() {
  for (const form of document.querySelectorAll("form.credential-change")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      isSupported().then((supported) => (supported ? send(form) : form.submit()));
    });
  }
}

enhance();
