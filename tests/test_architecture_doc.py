"""docs/architecture.md names files that exist, and every sweep the scheduler runs."""

from __future__ import annotations

import re
from pathlib import Path

from advisory.jobs import SWEEPS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
FILE = re.compile(r"`([\w/]+\.py)`")
PLACES = (ROOT, ROOT / "advisory", ROOT / "advisory" / "services")


def test_every_file_the_page_names_exists():
    named = set(FILE.findall(DOC))
    assert len(named) > 20
    missing = {name for name in named if not any((place / name).exists() for place in PLACES)}
    assert missing == set()


def test_every_sweep_is_in_the_sweep_table():
    rows = {line.split("|")[1].strip() for line in DOC.splitlines() if line.startswith("| ")}
    assert set(SWEEPS) <= rows
