/**
 * Staff sign-in without sending the password.
 *
 * From the typed password this derives the authentication key, which is sent in its place,
 * and the wrapping key, which stays here and unlocks the lawyer's keys once the server lets
 * them in (staff-keys.js); coordinators and administrators hold none, and nothing is asked
 * for them. While accounts from before this scheme exist, the page also
 * proves the password to the old hash: it asks for that hash's salt and costs (every
 * username gets an answer of the same shape) and sends the argon2id tag, not the password.
 * The password input has no name, so even a form sent without this script carries no
 * password; the server then says that sign-in needs JavaScript.
 *
 * @module staff-sign-in
 */

import { argon2id } from "./crypto/argon2.js";
import { b64urlDecode, b64urlEncode } from "./crypto/encoding.js";
import { deriveStaffCredentials, isSupported } from "./hpke.js";
import { clearKeys } from "./key-store.js";
import { sendCredentialForm, unlockKeys } from "./staff-keys.js";

/**
 * The argon2id tag of the password under the old hash's parameters. The old sign-in hashed
 * the form value as it came, so the password is not normalised here.
 *
 * @param {HTMLFormElement} form
 * @param {string} username
 * @param {string} password
 */
async function legacyProof(form, username, password) {
  const url = new URL(form.dataset.legacyUrl, location.href);
  url.searchParams.set("username", username);
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) {
    return "";
  }
  const challenge = await response.json();
  const tag = await argon2id({
    password: new TextEncoder().encode(password),
    salt: b64urlDecode(challenge.salt),
    iterations: challenge.timeCost,
    memoryKiB: challenge.memoryKiB,
    parallelism: challenge.parallelism,
    tagLength: challenge.hashLength,
  });
  return b64urlEncode(tag);
}

/** @param {HTMLFormElement} form */
async function signIn(form) {
  const username = form.elements.namedItem("username").value;
  const passwordInput = form.querySelector("#password");
  const password = passwordInput.value;
  let credentials;
  try {
    credentials = await deriveStaffCredentials(password, form.dataset.instance, username);
  } catch {
    // An empty password or a username that cannot exist: let the server refuse it.
    credentials = null;
  }
  form.elements.namedItem("auth_key").value = credentials ? credentials.authKey : "";
  if (credentials && form.dataset.legacy === "1") {
    form.elements.namedItem("legacy_proof").value = await legacyProof(form, username, password);
  }
  passwordInput.value = ""; // nothing typed outlives the attempt on the page
  // Keys are unlocked only where the server lands a lawyer past enrolment (staff-keys.js).
  await sendCredentialForm(form, () => unlockKeys(password, credentials.wrapKey), enhance);
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
