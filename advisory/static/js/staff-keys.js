/**
 * What the staff pages share for key custody: sending a credential form, and unlocking a
 * lawyer's keys in this browser once the server has let them in.
 *
 * A password typed on a staff page never leaves this module's callers: they derive the
 * authentication key (sent) and the wrapping key (kept here, non-extractable) from it.
 * After a sign-in, `unlockKeys` fetches the lawyer's key material, unwraps their own
 * private key with the wrapping key, opens each line-key grant with it, and keeps the
 * results as non-extractable keys (key-store.js). A wrap of a line key under the password
 * from before key pairs is turned into a grant here and sent back, once.
 *
 * @module staff-keys
 */

import {
  createStaffKey,
  grantFromPasswordWrap,
  openGrant,
  publicKeyBytesOf,
  unwrapStaffKeys,
} from "./hpke.js";
import { publicKeyToText } from "./crypto/keys.js";
import { clearKeys, loadKeys, loadOwnKey, saveKeys } from "./key-store.js";
import { focusStart, markBusy, swapMain } from "./enhance.js";

export const KEYS_URL = "/staff/keys";
const CONVERTED_URL = "/staff/keys/converted";

/**
 * The signed-in lawyer's key material, or null for staff who hold no keys.
 *
 * @returns {Promise<null | {staffId: number, publicKey: string | null,
 *   wrappedPrivateKey: string | null, grants: Array<{keyId: string, grant: string}>,
 *   legacy: Array<{keyId: string, blob: string}>, csrfToken: string}>}
 */
export async function fetchKeyMaterial() {
  const response = await fetch(KEYS_URL, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) {
    return null;
  }
  return response.json();
}

/**
 * Unlock the signed-in lawyer's keys in this browser and keep them for the session.
 *
 * @param {string} password as typed: needed only to open wraps from before key pairs
 * @param {CryptoKey} wrapKey from deriveStaffCredentials
 * @returns {Promise<number>} how many line keys are now unlocked
 */
export async function unlockKeys(password, wrapKey) {
  const material = await fetchKeyMaterial();
  if (!material) {
    return 0;
  }
  const { staffId } = material;
  let own;
  let publicKey = material.publicKey;
  const upload = new FormData();
  if (material.wrappedPrivateKey) {
    own = await unwrapStaffKeys(material.wrappedPrivateKey, wrapKey, staffId);
    // Sealed to the key this browser unwrapped, never to the server's word for it.
    publicKey = publicKeyToText(await publicKeyBytesOf(own.privateKey));
  } else {
    // An account from before key pairs: its pair is made now, so colleagues can grant to it.
    own = await createStaffKey(wrapKey, staffId);
    publicKey = own.publicKey;
    upload.set("public_key", own.publicKey);
    upload.set("wrapped_private_key", own.wrappedPrivateKey);
  }
  if (material.signingPublicKey !== own.signingPublicKey) {
    // Made before replies were signed: the server keeps the signing key from now on.
    upload.set("signing_public_key", own.signingPublicKey);
  }
  const ownKey = own.privateKey;
  const grants = new Map(material.grants.map(({ keyId, grant }) => [keyId, grant]));
  const converted = await convertPasswordWraps(material.legacy, password, staffId, publicKey);
  if (upload.has("public_key") || upload.has("signing_public_key") || converted.size > 0) {
    upload.set("grants", JSON.stringify(Object.fromEntries(converted)));
    upload.set("csrf_token", material.csrfToken);
    const response = await fetch(CONVERTED_URL, {
      method: "POST",
      body: upload,
      credentials: "same-origin",
    });
    if (response.ok) {
      for (const [keyId, grant] of converted) {
        grants.set(keyId, grant);
      }
    }
  }
  const lineKeys = new Map();
  for (const [keyId, grant] of grants) {
    try {
      lineKeys.set(keyId, await openGrant(grant, keyId, staffId, ownKey));
    } catch {
      // A grant this key cannot open stays locked; the case page says so.
    }
  }
  await saveKeys(lineKeys, ownKey, own.signingKey);
  return lineKeys.size;
}

/**
 * Open grants that arrived since sign-in (a colleague gave this lawyer the line key, or a
 * new line key after a rotation) with the own key kept in this browser, and keep them too.
 *
 * @returns {Promise<Map<string, CryptoKey>>} every line key now unlocked here
 */
export async function openNewGrants() {
  const keys = await loadKeys();
  const own = await loadOwnKey();
  const material = own ? await fetchKeyMaterial().catch(() => null) : null;
  if (!own || !material) {
    return keys;
  }
  let added = 0;
  for (const { keyId, grant } of material.grants) {
    if (!keys.has(keyId)) {
      try {
        keys.set(keyId, await openGrant(grant, keyId, material.staffId, own));
        added += 1;
      } catch {
        // Not openable with this key: it stays locked.
      }
    }
  }
  if (added > 0) {
    await saveKeys(keys, own);
  }
  return keys;
}

/**
 * @param {Array<{keyId: string, blob: string}>} wraps
 * @param {string} password
 * @param {number} staffId
 * @param {string} publicKey
 * @returns {Promise<Map<string, string>>} key id → grant, for each wrap the password opens
 */
export async function convertPasswordWraps(wraps, password, staffId, publicKey) {
  const converted = new Map();
  for (const { keyId, blob } of wraps) {
    try {
      converted.set(keyId, await grantFromPasswordWrap(blob, password, staffId, publicKey));
    } catch {
      // Under another password: that key stays as it is, for `keys grant` or a colleague.
    }
  }
  return converted;
}

/**
 * The server marks each answer to a session that holds keys (a lawyer's, past enrolment:
 * advisory/auth/access.py). Only then is there key material to fetch; anyone else asking
 * for it would only be refused.
 */
const KEY_HOLDER_HEADER = "Advisory-Holds-Keys";

/**
 * Send a credential form from here. When the server lets the person in (a redirect into
 * the staff pages), `afterSuccess` runs (it unlocks keys) before the browser follows it, if
 * the page it leads to is a key holder's; otherwise the answer's main content replaces this
 * page's, as a plain post would.
 *
 * @param {HTMLFormElement} form
 * @param {() => Promise<unknown>} afterSuccess
 * @param {() => void} [onAnswer] called when the page is replaced, to enhance it again
 */
export async function sendCredentialForm(form, afterSuccess, onAnswer) {
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
    form.submit(); // nothing arrived: the server answers the plain form (it needs the script)
    return;
  }
  const landed = new URL(response.url);
  if (response.redirected && response.ok && landed.origin === location.origin) {
    await clearKeys();
    // Let in: a failure from here on leaves content locked, never the sign-in undone.
    if (response.headers.get(KEY_HOLDER_HEADER) === "1") {
      await afterSuccess().catch(() => undefined);
    }
    location.assign(landed.href);
    return;
  }
  done();
  const main = swapMain(new DOMParser().parseFromString(await response.text(), "text/html"));
  if (main) {
    focusStart(main);
  }
  onAnswer?.();
}
