"""How much each free-text field takes, typed and sealed (pure, no Flask).

Forms count the characters typed. An envelope sealed in a browser is checked against the
largest text of its purpose: its padded size may not exceed what that text, sealed, takes.
A larger envelope cannot have come from one of our pages, and is refused before it is stored.
"""

from __future__ import annotations

from types import MappingProxyType

from crypto import MAX_PLAINTEXT_BYTES

MAX_NARRATIVE_CHARS = 20_000
MAX_MESSAGE_CHARS = 10_000
MAX_REPLY_CHARS = 10_000
MAX_PHONE_CHARS = 20  # digits, spaces, brackets, dashes and a plus: one byte each
# UTF-8 takes at most four bytes for a character.
MAX_BYTES_PER_CHAR = 4

# The most plaintext bytes an envelope of each purpose can hold when it comes from our pages.
SEALED_TEXT_BYTES = MappingProxyType(
    {
        "narrative": min(MAX_NARRATIVE_CHARS * MAX_BYTES_PER_CHAR, MAX_PLAINTEXT_BYTES),
        "message": min(MAX_MESSAGE_CHARS * MAX_BYTES_PER_CHAR, MAX_PLAINTEXT_BYTES),
        "reply": min(MAX_REPLY_CHARS * MAX_BYTES_PER_CHAR, MAX_PLAINTEXT_BYTES),
        "contact": MAX_PHONE_CHARS,
        # An evidence file's header: its content key, size, type and a name of at most
        # MAX_FILE_NAME_CHARS characters, as JSON.
        "attachment": 1024,
    }
)
