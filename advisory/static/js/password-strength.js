/**
 * Whether a new staff password is good enough: the strength check, run in the browser.
 *
 * Staff passwords never reach the server (the browser derives keys from them), so the server
 * cannot refuse a weak one: this module does, before any key is derived. It refuses what a
 * guesser tries first, and nothing else: passwords that are too short, common passwords, words
 * and names (common-passwords.js, generated from zxcvbn's lists) also when dressed up with
 * digits, symbols, l33t or repetition, passwords containing the username, and keyboard,
 * alphabet and digit sequences or repeated characters. A passphrase of several ordinary words
 * passes: its strength is in the number of words, not in odd characters.
 *
 * Pure functions, no DOM: the pages show the message that goes with the code.
 *
 * @module password-strength
 */

import { isCommonPassword } from "./common-passwords.js";

/** Spaces and the usual word separators, taken out to find "correct-horse" as "correcthorse". */
const SEPARATORS = /[\s\-_.]+/gu;
/** Anything but letters at either end: "Sommer2024!" is "sommer" with a suffix. */
const NON_LETTER_ENDS = /^[^\p{L}]+|[^\p{L}]+$/gu;
/** Common l33t substitutions, undone; "1" stands for "i" or "l", so both are tried. */
const LEET = { 0: "o", 3: "e", 4: "a", 5: "s", 7: "t", "@": "a", $: "s" };
const LEET_CHARACTERS = /[013457@$]/gu;
/** Keyboard rows (US, Nordic, German, French), the alphabet and digits; read both ways. */
const SEQUENCES = [
  "1234567890",
  "0123456789",
  "abcdefghijklmnopqrstuvwxyz",
  "qwertyuiopasdfghjklzxcvbnm",
  "qwertyuiopåasdfghjkløæzxcvbnm",
  "qwertyuiopåasdfghjklöäzxcvbnm",
  "qwertzuiopasdfghjklyxcvbnm",
  "azertyuiopqsdfghjklmwxcvbn",
];
/** The shortest run through a sequence (or of one character) that counts towards a pattern. */
const MIN_RUN = 3;

/**
 * What is wrong with `password`, or null when it is acceptable.
 *
 * - "too-short": fewer than `minLength` characters (Unicode code points, after NFC);
 * - "common": a common password, word or name, also lowercased, with digits and symbols
 *   around it, with l33t substitutions, repeated, or with its separators taken out;
 * - "username": contains the username (compared case-insensitively, when it has 3 or more
 *   characters);
 * - "pattern": one character or a chunk shorter than `minLength` repeated, or mostly
 *   keyboard, alphabet or digit sequences ("qwertyuiopas", "123456789012").
 *
 * @param {string} password
 * @param {{ username?: string, minLength?: number }} [options]
 * @returns {"too-short" | "common" | "username" | "pattern" | null}
 */
export function passwordProblem(password, { username = "", minLength = 12 } = {}) {
  const normalised = password.normalize("NFC");
  if ([...normalised].length < minLength) {
    return "too-short";
  }
  const lowered = normalised.toLowerCase();
  const characters = [...lowered];
  const forms = guessableForms(lowered);
  if ([...forms].some(isCommonPassword)) {
    return "common";
  }
  const name = username.normalize("NFC").trim().toLowerCase();
  if ([...name].length >= 3 && [...forms].some((form) => form.includes(name))) {
    return "username";
  }
  if (repeatingUnit(characters) < minLength || patternShare(characters) > 0.5) {
    return "pattern";
  }
  return null;
}

/**
 * `lowered` and every form a guesser would reduce it to: without separators, without
 * non-letters at the ends, with l33t undone, as the chunk it repeats; any number of these.
 *
 * @param {string} lowered
 * @returns {Set<string>}
 */
function guessableForms(lowered) {
  const forms = new Set([lowered]);
  // A Set's iteration visits what is added during it: this runs until no form is new.
  for (const form of forms) {
    forms.add(form.replace(SEPARATORS, ""));
    forms.add(form.replace(NON_LETTER_ENDS, ""));
    forms.add(undoLeet(form, "i"));
    forms.add(undoLeet(form, "l"));
    const characters = [...form];
    forms.add(characters.slice(0, repeatingUnit(characters)).join(""));
  }
  forms.delete("");
  return forms;
}

/**
 * @param {string} text
 * @param {"i" | "l"} one what "1" stands for
 */
function undoLeet(text, one) {
  return text.replace(LEET_CHARACTERS, (character) => LEET[character] ?? one);
}

/**
 * The length of the shortest chunk that `characters` repeats (the last time perhaps cut
 * short), at least twice; their whole length when they repeat nothing.
 *
 * @param {string[]} characters
 * @returns {number}
 */
function repeatingUnit(characters) {
  for (let unit = 1; unit <= characters.length / 2; unit += 1) {
    if (characters.every((character, i) => i < unit || character === characters[i - unit])) {
      return unit;
    }
  }
  return characters.length;
}

/**
 * The share of `characters` inside runs of MIN_RUN or more that step through a sequence of
 * SEQUENCES one place at a time in one direction, or repeat one character.
 *
 * @param {string[]} characters
 * @returns {number}
 */
function patternShare(characters) {
  const covered = new Array(characters.length).fill(false);
  const markRuns = (follows) => {
    let start = 0;
    for (let i = 1; i <= characters.length; i += 1) {
      if (i === characters.length || !follows(characters[i - 1], characters[i])) {
        if (i - start >= MIN_RUN) {
          covered.fill(true, start, i);
        }
        start = i;
      }
    }
  };
  markRuns((previous, next) => previous === next);
  for (const sequence of SEQUENCES) {
    const places = [...sequence];
    for (const step of [1, -1]) {
      markRuns((previous, next) => {
        const at = places.indexOf(previous);
        return at !== -1 && places[at + step] === next;
      });
    }
  }
  return covered.filter(Boolean).length / characters.length;
}
