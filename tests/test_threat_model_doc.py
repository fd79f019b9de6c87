"""docs/threat-model.md points at tests that exist, and has a section for every adversary.

The document says which test shows each claim; a test renamed or removed would leave it
pointing at nothing. Plain text checks: no app, no database.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "threat-model.md"
TESTS = ROOT / "tests"

ADVERSARIES = (
    "A database dump",
    "A log reader",
    "A passive server compromise",
    "An active server compromise",
    "A stolen unlocked lawyer laptop",
    "A network observer",
    "A coordinator",
)
CLOSING_SECTIONS = ("What web delivery cannot prevent", "Known limits")

TEST_FILE = re.compile(r"\btests/[\w/]+\.py\b")
NODE_ID = re.compile(r"\b(tests/[\w/]+\.py)::(test_\w+)")
TEST_NAME = re.compile(r"\btest_\w+")
DEFINITION = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(test_\w+)[ \t]*\(", re.MULTILINE)


@cache
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@cache
def defined_in(path: Path) -> frozenset[str]:
    return frozenset(DEFINITION.findall(path.read_text(encoding="utf-8")))


def defined_anywhere() -> frozenset[str]:
    return frozenset().union(*(defined_in(path) for path in TESTS.rglob("*.py")))


def sections() -> dict[str, str]:
    """Each `## ` heading of the document → the text below it, up to the next one."""
    parts = re.split(r"^## (.+)$", doc(), flags=re.MULTILINE)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_every_test_file_the_document_names_exists() -> None:
    named = set(TEST_FILE.findall(doc()))

    assert len(named) >= 7  # the search found the names, so the check below means something
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []


def test_every_test_named_with_its_file_is_defined_in_that_file() -> None:
    named = set(NODE_ID.findall(doc()))

    assert len(named) >= 7
    missing = [
        f"{path}::{name}"
        for path, name in sorted(named)
        if not (ROOT / path).is_file() or name not in defined_in(ROOT / path)
    ]
    assert missing == []


def test_every_test_function_the_document_names_is_defined_under_tests() -> None:
    # File names such as tests/test_audit.py are not function names: take them out first.
    named = set(TEST_NAME.findall(TEST_FILE.sub("", doc())))

    assert len(named) >= 7
    assert sorted(named - defined_anywhere()) == []


@pytest.mark.parametrize("title", ADVERSARIES + CLOSING_SECTIONS)
def test_the_document_has_a_section_for(title: str) -> None:
    assert title in sections()


@pytest.mark.parametrize("title", ADVERSARIES)
def test_each_adversary_section_names_a_test_that_shows_it(title: str) -> None:
    assert NODE_ID.search(sections().get(title, "")) is not None
