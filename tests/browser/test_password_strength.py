"""The password strength check (advisory/static/js/password-strength.js), in Chromium.

The module is imported into the live landing page, under the site's CSP and import map, as
the pages will: `await import('/static/js/password-strength.js')`, which imports the
generated common-passwords.js. The whole table goes to the browser in one call: each round
trip costs more than all the checks in it.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

USER = {"username": "Ola.Nordmann"}

# (password, options or None for the defaults, the expected code or None for acceptable)
CASES: list[tuple[str, dict[str, Any] | None, str | None]] = [
    # too-short: fewer than minLength Unicode code points, counted after NFC.
    ("", None, "too-short"),
    ("Zq8!mR2pLx7", None, "too-short"),
    ("e\u0301" * 11, None, "too-short"),  # 22 code points, 11 after NFC
    ("🐟🌲🍎🚲🎻🌙🔑🧀🦊🐝🍄", None, "too-short"),  # 22 UTF-16 units, 11 code points
    ("fjord lantern quietly marble", {"minLength": 30}, "too-short"),
    ("Zq8!mR2pLx7#", {"minLength": 8}, None),
    # common: on the list as it is, lowercased, dressed up or repeated.
    ("passwordpassword", None, "common"),
    ("Password2024!", None, "common"),
    ("!!Password2024", None, "common"),
    ("P4$$w0rd12345", None, "common"),
    ("qwertyuiop123", None, "common"),
    ("1qaz2wsx3edc", None, "common"),
    ("internationally", None, "common"),
    ("MICHAEL1985!!!", None, "common"),
    ("sommersommer", None, "common"),
    ("Sommer-Sommer-Sommer", None, "common"),
    ("Sommer2024Sommer2024", None, "common"),
    ("passord123456", None, "common"),
    ("Hemmelig2024!", None, "common"),
    ("løsenord12345", None, "common"),
    ("LÖSENORD!!2025", None, "common"),
    ("adgangskode2024", None, "common"),
    ("correct horse battery staple", None, "common"),
    ("Correct-Horse-Battery-Staple", None, "common"),
    ("c0rr3ct h0rs3 b4tt3ry st4pl3", None, "common"),
    # username: contained, case-insensitively, when it has 3 or more characters.
    ("ola.nordmann-er-kul", USER, "username"),
    ("Zq8!OLA.NORDMANN", USER, "username"),
    ("Zq8!mR2pLx7#ola", {"username": "ola"}, "username"),
    ("Zq8!mR2pLx7#ol", {"username": "ol"}, None),
    ("Zq8!mR2pLx7#ol", {"username": "  "}, None),
    # pattern: a repeated character or short chunk, or mostly sequences.
    ("aaaaaaaaaaaa", None, "pattern"),
    ("abcabcabcabc", None, "pattern"),
    ("ab12ab12ab12", None, "pattern"),
    ("qwertyuiopas", None, "pattern"),
    ("123456789012", None, "pattern"),
    ("abcdefghijkl", None, "pattern"),
    ("zxcvbnmasdfg", None, "pattern"),
    ("lkjhgfdsa987", None, "pattern"),
    ("9876543210ab", None, "pattern"),
    ("qwertzuiop!Z", None, "pattern"),
    ("åpoiuytrewq1", None, "pattern"),
    # acceptable: passphrases of ordinary words, random strings, a long chunk said twice.
    ("fjord lantern quietly marble", None, None),
    ("Fjord-Lantern-Quietly-Marble", None, None),
    ("blåbærsyltetøy på fjellet", None, None),
    ("Kaffekoppen står på Trappa 17", None, None),
    ("mountainclimbing", None, None),
    ("kvalitetssikring", None, None),
    ("Zq8!mR2pLx7#", None, None),
    ("x7$K9!mQ2@pL", None, None),
    ("🐟🌲🍎🚲🎻🌙🔑🧀🦊🐝🍄🐢", None, None),
    ("fjordlanternfjordlantern", None, None),
    ("ola.nordmann-er-kul", {"username": "ol"}, None),
]


def test_each_password_gets_its_code(module_page: Page) -> None:
    got = module_page.evaluate(
        """async (cases) => {
          const { passwordProblem } = await import('/static/js/password-strength.js');
          const { isCommonPassword } = await import('/static/js/common-passwords.js');
          return {
            problems: cases.map(([password, options]) =>
              passwordProblem(password, options ?? undefined)),
            listed: ['password', 'passord', 'løsenord', 'correcthorsebatterystaple', '', 'Password']
              .map(isCommonPassword),
          };
        }""",
        [[password, options] for password, options, _ in CASES],
    )

    assert list(zip([c[0] for c in CASES], got["problems"], strict=True)) == [
        (password, expected) for password, _, expected in CASES
    ]
    # The list holds lowercased words only, and no empty one.
    assert got["listed"] == [True, True, True, True, False, False]
