/**
 * The lawyer's unlocked keys, kept for the signed-in session in this browser: the line keys
 * (opened from their grants) and the lawyer's own private key (to grant a colleague).
 *
 * The keys are non-extractable WebCrypto keys: IndexedDB can hold them (structured clone keeps
 * them non-extractable), so page scripts can open envelopes, but no script, ours included,
 * can read their bytes out. They are dropped at sign-out, at the idle timeout (staff.js),
 * when the sign-in page is shown (a timed-out session ends there) and at the next sign-in.
 *
 * @module key-store
 */

const DB_NAME = "advisory-line";
const STORE = "line-keys";
// The own key's entry; line key ids are 16 hex characters, so the names cannot meet.
const OWN_KEY = "own-private-key";
const SIGNING_KEY = "own-signing-key";
const OWN_ENTRIES = new Set([OWN_KEY, SIGNING_KEY]);

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * @param {"readonly" | "readwrite"} mode
 * @param {(store: IDBObjectStore) => IDBRequest | void} work
 */
async function withStore(mode, work) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

/**
 * Replace the stored keys.
 *
 * @param {Map<string, CryptoKey>} keys line key id → X25519 private key
 * @param {CryptoKey} [ownKey] the lawyer's own private key
 * @param {CryptoKey} [signingKey] the lawyer's signing key (kept if not given)
 */
export async function saveKeys(keys, ownKey, signingKey) {
  const kept = signingKey ?? (await loadSigningKey());
  await withStore("readwrite", (store) => {
    store.clear();
    for (const [keyId, key] of keys) {
      store.put(key, keyId);
    }
    if (ownKey) {
      store.put(ownKey, OWN_KEY);
    }
    if (kept) {
      store.put(kept, SIGNING_KEY);
    }
  });
}

/** @returns {Promise<CryptoKey | undefined>} the key the lawyer's replies are signed with */
export async function loadSigningKey() {
  try {
    return await withStore("readonly", (store) => store.get(SIGNING_KEY));
  } catch {
    return undefined;
  }
}

/** @returns {Promise<CryptoKey | undefined>} the lawyer's own private key, if unlocked */
export async function loadOwnKey() {
  try {
    return await withStore("readonly", (store) => store.get(OWN_KEY));
  } catch {
    return undefined;
  }
}

/** @returns {Promise<Map<string, CryptoKey>>} line key id → X25519 private key */
export async function loadKeys() {
  const keys = new Map();
  try {
    await withStore("readonly", (store) => {
      const cursor = store.openCursor();
      cursor.onsuccess = () => {
        const entry = cursor.result;
        if (entry) {
          if (!OWN_ENTRIES.has(entry.key)) {
            keys.set(String(entry.key), entry.value);
          }
          entry.continue();
        }
      };
      return undefined;
    });
  } catch {
    return new Map();
  }
  return keys;
}

export async function clearKeys() {
  try {
    await withStore("readwrite", (store) => store.clear());
  } catch {
    // Nothing stored, or storage is off: there is nothing to drop.
  }
}
