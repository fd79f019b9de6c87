/**
 * The Colleagues page: fingerprints, and giving a colleague the line key.
 *
 * Each fingerprint on the page is computed here, from the public key this browser would
 * seal to, and the lawyer's own from their own unlocked private key, never taken from the
 * server's word: if the server swapped a colleague's key, the two screens would differ when
 * the colleagues compare them. Granting opens this lawyer's own grant of each line key the
 * colleague lacks and seals it to the colleague's key; only the sealed grants are sent.
 *
 * @module colleagues
 */

import { createLineKey, fingerprintOf, grantToColleague, publicKeyBytesOf } from "./hpke.js";
import { publicKeyToText } from "./crypto/keys.js";
import { loadOwnKey } from "./key-store.js";
import { addFieldError, clearErrors, markBusy, templateTexts } from "./enhance.js";
import { fetchKeyMaterial } from "./staff-keys.js";

async function showFingerprints() {
  for (const element of document.querySelectorAll("[data-fingerprint-of]")) {
    try {
      element.textContent = await fingerprintOf(element.dataset.fingerprintOf);
    } catch {
      element.textContent = "?";
    }
  }
  const own = await loadOwnKey();
  const mine = document.querySelector("[data-own-fingerprint]");
  if (own && mine) {
    mine.textContent = await fingerprintOf(publicKeyToText(await publicKeyBytesOf(own)));
  }
}

/** @param {HTMLFormElement} form */
async function grant(form) {
  const texts = templateTexts("colleague-texts");
  clearErrors(form);
  const done = markBusy(form);
  const button = form.querySelector("button[type=submit]");
  try {
    const own = await loadOwnKey();
    const material = await fetchKeyMaterial();
    if (!own || !material) {
      throw new Error(texts.locked);
    }
    const mine = new Map(material.grants.map(({ keyId, grant: text }) => [keyId, text]));
    const grants = {};
    for (const keyId of JSON.parse(form.dataset.missing)) {
      grants[keyId] = await grantToColleague(
        mine.get(keyId),
        keyId,
        material.staffId,
        own,
        Number(form.dataset.staffId),
        form.dataset.publicKey,
      );
    }
    form.elements.namedItem("grants").value = JSON.stringify(grants);
  } catch (error) {
    done();
    addFieldError(button, error?.message === texts.locked ? texts.locked : texts.failed);
    return;
  }
  form.submit();
}

/** @param {HTMLFormElement} form */
async function rotate(form) {
  const texts = templateTexts("colleague-texts");
  clearErrors(form);
  const done = markBusy(form);
  const ids = JSON.parse(form.dataset.holders);
  const keys = JSON.parse(form.dataset.holderKeys);
  try {
    const holders = ids.map((staffId, index) => ({ staffId, publicKey: keys[index] }));
    const made = await createLineKey(holders, form.dataset.recoveryKey);
    const grants = Object.fromEntries(made.grants.map(({ staffId, grant: g }) => [staffId, g]));
    form.elements.namedItem("public_key").value = made.publicKey;
    form.elements.namedItem("grants").value = JSON.stringify(grants);
    form.elements.namedItem("recovery_grant").value = made.recoveryGrant;
  } catch {
    done();
    addFieldError(form.querySelector("button[type=submit]"), texts["rotate-failed"]);
    return;
  }
  form.submit();
}

for (const form of document.querySelectorAll("form.rotate")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    rotate(form);
  });
}

for (const form of document.querySelectorAll("form.grant")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    grant(form);
  });
}
showFingerprints();
