"""Which evidence files the line takes, known by their first bytes (pure, no Flask).

A file's name and the type a browser claims for it say little: the bytes decide. A file
whose bytes are none of these is refused with a clear message, whatever it is called.
The browser makes the same check (static/js/attachments.js) before anything is sealed.
"""

from __future__ import annotations

import unicodedata
from types import MappingProxyType

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
AUDIO_TYPES = ("audio/webm", "audio/ogg", "audio/mpeg", "audio/mp4", "audio/wav")
ACCEPTED_TYPES = (*IMAGE_TYPES, "application/pdf", "text/plain", *AUDIO_TYPES)
# What a file input offers to choose (the `accept` attribute): types and the usual endings.
ACCEPT_ATTRIBUTE = ",".join(
    (*ACCEPTED_TYPES, ".jpg", ".jpeg", ".png", ".webp", ".gif", ".pdf", ".txt")
    + (".webm", ".ogg", ".oga", ".mp3", ".m4a", ".wav")
)
# Plain words for the pages, by type.
KIND_OF_TYPE = MappingProxyType(
    {
        **dict.fromkeys(IMAGE_TYPES, "image"),
        "application/pdf": "pdf",
        "text/plain": "text",
        **dict.fromkeys(AUDIO_TYPES, "audio"),
    }
)
MAX_FILE_NAME_CHARS = 120
# The endings files of each type carry, the first the one a name gets when it has none of
# them (twin: EXTENSIONS in static/js/evidence-view.js).
EXTENSIONS = MappingProxyType(
    {
        "image/jpeg": (".jpg", ".jpeg"),
        "image/png": (".png",),
        "image/webp": (".webp",),
        "image/gif": (".gif",),
        "application/pdf": (".pdf",),
        "text/plain": (".txt",),
        "audio/webm": (".webm", ".weba"),
        "audio/ogg": (".ogg", ".oga", ".opus"),
        "audio/mpeg": (".mp3",),
        "audio/mp4": (".m4a", ".mp4"),
        "audio/wav": (".wav",),
    }
)
UNKNOWN_EXTENSION = ".bin"
# Not plainly text in a name: controls, invisible formatting (bidi overrides among them),
# line and paragraph separators, lone surrogates (no encoding can carry them: a header with one
# would fail the download) and private-use characters.
_NOT_IN_NAMES = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co")


def sniff(data: bytes) -> str | None:
    """The accepted type these bytes are, or None. Text is UTF-8 without NUL characters."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    return "text/plain" if _is_text(data) else None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def safe_name(name: str, media_type: str) -> str:
    """A file name to keep in the sealed header: no folders, no control characters, short."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip().strip(".")
    if not cleaned:
        cleaned = f"file.{media_type.rsplit('/', 1)[-1]}"
    return cleaned[:MAX_FILE_NAME_CHARS]


def download_name(name: str, media_type: str | None) -> str:
    """The name a file is shown and saved under (twin: cleanName in
    static/js/evidence-view.js): no folders, nothing invisible, at most MAX_FILE_NAME_CHARS
    characters before an ending that fits its type (".bin" for an unknown one) is added where
    it has none, so that a file never opens on the reader's computer as something else than
    it was shown."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in base if unicodedata.category(ch) not in _NOT_IN_NAMES)
    cleaned = kept.strip().strip(".").strip()[:MAX_FILE_NAME_CHARS] or "file"
    endings = EXTENSIONS.get(media_type or "", (UNKNOWN_EXTENSION,))
    return cleaned if cleaned.lower().endswith(endings) else cleaned + endings[0]
