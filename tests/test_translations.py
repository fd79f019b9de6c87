"""Every text of the product has a Norwegian translation, and placeholders survive it."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGUES = sorted(Path(__file__).parent.parent.glob("advisory/translations/*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_there_is_a_norwegian_catalogue():
    assert any("/nb/" in str(path) for path in CATALOGUES)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_catalogue_is_complete_and_keeps_placeholders(path):
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    messages = [message for message in catalogue if message.id]
    assert len(messages) > 100  # the catalogue really holds the product's texts
    untranslated = [message.id for message in messages if not message.string]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    for message in messages:
        expected = sorted(PLACEHOLDER.findall(str(message.id)))
        assert sorted(PLACEHOLDER.findall(str(message.string))) == expected, message.id


def test_catalogue_matches_the_texts_in_code_and_templates():
    """A text added to a template but not extracted would show in English on a Norwegian page."""
    template = Path(__file__).parent.parent / "advisory/translations/messages.pot"
    with template.open("rb") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    for path in CATALOGUES:
        with path.open("rb") as handle:
            translated = {message.id for message in read_po(handle) if message.id}
        assert extracted <= translated
