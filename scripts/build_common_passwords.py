"""Write advisory/static/js/common-passwords.js: the words the browser's strength check refuses.

    .venv/bin/pip install -r requirements-dev.txt
    .venv/bin/python scripts/build_common_passwords.py

Staff passwords never reach the server (the browser derives keys from them), so the check
that refuses common ones runs in the browser (advisory/static/js/password-strength.js) and
needs its list there. The words come from the frequency lists of the PyPI package zxcvbn,
pinned in requirements-dev.txt: only this script reads them, the app never imports zxcvbn.
All of its leaked-password list is kept, and the most frequent entries of its word and name
lists (zxcvbn ranks each word in one list only, so the lists do not overlap), plus a few
Norwegian and Nordic words below. The file holds them as one string literal, a word a line,
split into a Set when the module loads: smaller and faster to parse than an array literal.
tests/test_common_passwords.py checks that the committed file is what this script writes now,
and that it stays under MAX_BYTES.
"""

from __future__ import annotations

import sys
import textwrap
import unicodedata
from importlib import metadata
from pathlib import Path

ZXCVBN_VERSION = "4.5.0"
OUTPUT = (
    Path(__file__).resolve().parent.parent / "advisory" / "static" / "js" / "common-passwords.js"
)
# The generated file must stay below this: every page's import map names it, and a sign-in
# page downloads it.
MAX_BYTES = 400_000

# zxcvbn list → how many of its most frequent entries to keep (None: all of them).
TAKE: dict[str, int | None] = {
    "passwords": None,
    "male_names": None,
    "female_names": None,
    "surnames": 2_000,
    "english_wikipedia": 6_000,
    "us_tv_and_film": 4_000,
}

# Very common Norwegian and Nordic password words, which zxcvbn's English-language lists miss:
# "password" in the Nordic languages, seasons and months, countries and cities, football,
# greetings, family words. Each is kept lowercased and NFC-normalised, as the check compares.
# The last ones are famous examples of a passphrase and of a l33t password (xkcd 936): known
# to every guesser, so refused.
NORDIC = (
    "passord",
    "passordet",
    "mittpassord",
    "nyttpassord",
    "lösenord",
    "løsenord",
    "losenord",
    "adgangskode",
    "kodeord",
    "salasana",
    "hemmelig",
    "hemmelighet",
    "hemlig",
    "hemmeligt",
    "sommer",
    "sommar",
    "vinter",
    "høst",
    "host",
    "höst",
    "vår",
    "var",
    "kesä",
    "talvi",
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
    "december",
    "norge",
    "noreg",
    "norway",
    "sverige",
    "danmark",
    "suomi",
    "island",
    "oslo",
    "bergen",
    "trondheim",
    "stavanger",
    "tromsø",
    "tromso",
    "stockholm",
    "göteborg",
    "goteborg",
    "københavn",
    "kobenhavn",
    "helsinki",
    "fotball",
    "fotboll",
    "jalkapallo",
    "rosenborg",
    "brann",
    "vålerenga",
    "valerenga",
    "hei",
    "heisann",
    "hallo",
    "velkommen",
    "välkommen",
    "tervetuloa",
    "kjærlighet",
    "kjaerlighet",
    "jegelskerdeg",
    "elskerdeg",
    "mamma",
    "pappa",
    "bestemor",
    "bestefar",
    "olanordmann",
    "karinordmann",
    "nordmann",
    "qwerty",
    "correcthorsebatterystaple",
    "correct horse battery staple",
    "troubador",
    "troubadour",
)


def _normalised(word: str) -> str:
    return unicodedata.normalize("NFC", word).lower()


def _template_escaped(word: str) -> str:
    """`word` as it must be written inside a JavaScript template literal."""
    return word.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def words() -> list[str]:
    """The kept words, lowercased, NFC, each once, sorted (so a regeneration diffs well)."""
    installed = metadata.version("zxcvbn")
    if installed != ZXCVBN_VERSION:
        raise RuntimeError(
            f"zxcvbn {installed} is installed; this list is made from zxcvbn {ZXCVBN_VERSION} "
            "(pip install -r requirements-dev.txt)"
        )
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    kept: set[str] = set()
    for name, count in TAKE.items():
        kept.update(_normalised(word) for word in FREQUENCY_LISTS[name][:count])
    kept.update(_normalised(word) for word in NORDIC)
    kept.discard("")
    if any("\n" in word or "\r" in word for word in kept):
        raise ValueError("a word contains a line break, which separates the words")
    return sorted(kept)


def render() -> str:
    """The whole text of common-passwords.js."""
    kept = words()
    sources = "; ".join(
        f"all of {name}" if count is None else f"the {count} most frequent of {name}"
        for name, count in TAKE.items()
    )
    provenance = textwrap.fill(
        "GENERATED FILE, do not edit. Made by scripts/build_common_passwords.py from the "
        f"frequency lists of the PyPI package zxcvbn {ZXCVBN_VERSION} "
        f"(zxcvbn.frequency_lists): {sources}; and the Norwegian and Nordic words listed in "
        f"the script. {len(kept)} words. To regenerate:",
        width=97,
        initial_indent="// ",
        subsequent_indent="// ",
    )
    # One template literal, a word a line: a regeneration diffs line by line, and a line break
    # costs one byte where "\n" would cost two. Non-ASCII words stay as they are (module
    # scripts are always read as UTF-8).
    literal = "`" + "\n".join(_template_escaped(word) for word in kept) + "`"
    return f"""\
{provenance}
//   .venv/bin/pip install -r requirements-dev.txt
//   .venv/bin/python scripts/build_common_passwords.py

/**
 * Common passwords, words and names, lowercased and NFC-normalised: a password that is one of
 * them is guessed first. Used by password-strength.js.
 *
 * @module common-passwords
 */

const WORDS = new Set(
  {literal}.split("\\n"),
);

/**
 * Whether `lowercased` (already lowercased and NFC-normalised) is on the list.
 *
 * @param {{string}} lowercased
 * @returns {{boolean}}
 */
export function isCommonPassword(lowercased) {{
  return WORDS.has(lowercased);
}}
"""


def main() -> int:
    text = render()
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        print(f"{OUTPUT.name} would be {size} bytes, over {MAX_BYTES}: keep fewer words")
        return 1
    OUTPUT.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {OUTPUT} ({size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
