"""The browser's list of common passwords (advisory/static/js/common-passwords.js) is what
scripts/build_common_passwords.py makes from zxcvbn now, and stays small enough to send.

The list's use is tested in Chromium by tests/browser/test_password_strength.py.
"""

from __future__ import annotations

import pytest

from scripts import build_common_passwords as build

REGENERATE = ".venv/bin/python scripts/build_common_passwords.py"


def test_the_generated_file_stays_under_its_size_cap() -> None:
    size = build.OUTPUT.stat().st_size

    assert size <= build.MAX_BYTES, f"{build.OUTPUT.name} is {size} bytes: keep fewer words"


def test_the_generated_file_is_what_the_generator_writes_now() -> None:
    pytest.importorskip(
        "zxcvbn",
        reason="zxcvbn is not installed (pip install -r requirements-dev.txt): "
        "cannot regenerate the list to compare it with the committed file",
    )
    committed = build.OUTPUT.read_text(encoding="utf-8")

    expected = build.render()

    # Compared without pytest's diff of two 370 KB texts: what differs, in words.
    if committed != expected:
        ours, theirs = set(committed.splitlines()), set(expected.splitlines())
        pytest.fail(
            f"{build.OUTPUT.name} is not what the generator writes now; run {REGENERATE}. "
            f"Lines only in the file: {sorted(ours - theirs)[:10]}; "
            f"only in the generator's: {sorted(theirs - ours)[:10]}"
        )
