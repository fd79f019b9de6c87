/**
 * On every signed-in staff page: signing out also drops the line keys kept in this browser.
 *
 * @module staff
 */

import { clearKeys } from "./key-store.js";

for (const form of document.querySelectorAll("form.sign-out")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearKeys().finally(() => form.submit());
  });
}
