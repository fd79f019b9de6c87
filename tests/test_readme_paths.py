"""Every file or folder the README names is in the repository, or is one that running the
project makes (a folder .gitignore lists, such as instance/ or .venv/)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FILE_ENDINGS = (".py", ".md", ".js", ".css", ".html", ".toml", ".txt", ".json", ".cfg", ".po")
# Folders made by `make run`, `make test` or a browser test: a clone does not have them yet.
MADE_BY_RUNNING = tuple(
    line.strip()
    for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    if line.strip().endswith("/") and not line.startswith("#")
)


def _looks_like_a_path(token: str) -> bool:
    """`advisory/hours.py`, `tests/fuzz/`, `.ci/run`: not a URL path, an address or a time zone."""
    if "/" not in token or token.startswith("/") or re.search(r"[$<>…:=\"']", token):
        return False
    first = token.split("/", 1)[0]
    return token.endswith(("/", *FILE_ENDINGS)) or (ROOT / first).is_dir()


def _layout_block() -> str:
    return README.split("## Layout", 1)[1].split("```", 2)[1]


def _code_spans_and_blocks() -> list[str]:
    """Code outside the "Layout" tree, whose paths are relative to its folders."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", README, flags=re.DOTALL | re.MULTILINE)
    prose = re.sub(r"^```.*?^```", "", README, flags=re.DOTALL | re.MULTILINE)
    return [block for block in blocks if block != _layout_block().lstrip("\n")] + re.findall(
        r"`([^`\n]+)`", prose
    )


def _paths_in(text: str) -> set[str]:
    tokens = (token.strip("(),;.`") for token in text.split())
    return {token for token in tokens if _looks_like_a_path(token)}


def _within(folder: str, path: str) -> str:
    """A path in a Layout description: from the top if it starts with a top-level folder
    (`config/defaults.toml`), else inside the entry's folder (`services/outbox.py`)."""
    return path if (ROOT / path.split("/", 1)[0]).is_dir() else folder + path


def _mentioned_paths() -> set[str]:
    paths = set().union(*(_paths_in(text) for text in _code_spans_and_blocks()))
    modules = re.findall(r"python -m ((?:bench|advisory|scripts)(?:\.\w+)+)", README)
    return paths | {module.replace(".", "/") + ".py" for module in modules}


def _layout_entries() -> set[str]:
    """The "Layout" tree: top-level entries at the margin, their children two spaces in; a
    path in an entry's description is relative to the folder the entry is in (or is)."""
    entries: set[str] = set()
    top_folder = ""
    for line in _layout_block().splitlines():
        if found := re.match(r"^(\S+)(.*)", line):
            name, description = found.groups()
            top_folder = name if name.endswith("/") else ""
            entries.add(name)
        elif (found := re.match(r"^  (\S+)(.*)", line)) and top_folder:
            name, description = found.groups()
            entries.add(top_folder + name)
        else:  # a description carried over to the next line
            description = line
        entries |= {_within(top_folder, path) for path in _paths_in(description)}
    return entries


def _documents_named_alone() -> set[str]:
    """A document named without its folder (`threat-model.md`) must exist somewhere."""
    names = set(re.findall(r"(?<![\w/.-])([\w-]+\.md)\b", README))
    return names - _files_in_the_repository()


def _files_in_the_repository() -> set[str]:
    names: set[str] = set()
    for _folder, subfolders, files in os.walk(ROOT):
        # Not into what running the project makes (.venv/ alone holds thousands of files).
        subfolders[:] = [d for d in subfolders if f"{d}/" not in MADE_BY_RUNNING and d != ".git"]
        names.update(files)
    return names


def test_the_readme_names_paths_and_its_layout_tree():
    # Guards the extraction itself: a parser that finds nothing would pass vacuously.
    assert {"advisory/hours.py", "docs/threat-model.md", "bench/phone_intake.py"} <= (
        _mentioned_paths()
    )
    assert {"advisory/", "advisory/hours.py", "advisory/services/", "wsgi.py"} <= _layout_entries()
    assert ".venv/" in MADE_BY_RUNNING


@pytest.mark.parametrize("path", sorted(_mentioned_paths() | _layout_entries()))
def test_every_path_the_readme_mentions_exists(path: str):
    made_by_running = path.startswith(MADE_BY_RUNNING)
    assert made_by_running or (ROOT / path).exists(), f"README.md names {path}, not in the repo"


def test_every_document_the_readme_names_exists():
    assert _documents_named_alone() == set()
