"""The backup file: gzip-compressed JSON lines, encrypted with age to the backup public key.

age (https://age-encryption.org) is a small, well-specified file encryption format with
several interoperable implementations; the file is encrypted to an X25519 recipient
(`age1…`), so the host that writes backups holds only the public key. The private key (an
identity, `AGE-SECRET-KEY-1…`) is generated offline and comes to a host only to restore. The
same file opens with the `age` command-line tool: `age -d -i KEYFILE FILE | gunzip`.

Plaintext never touches the disk: records are compressed and encrypted as they are produced,
and decrypted and parsed as they arrive. age authenticates every 64 KiB chunk and the end of
the stream, so a changed or cut file fails; the restore keeps nothing from such a file.

The lines, in order:
    {"backup": {"format": …, "version": 1, "revision": …, "database": …, "created_at": …}}
    {"secrets": {"secret_key": hex, "pepper": hex, "data_key": hex}}
    per table: {"table": NAME, "columns": [...]}, a JSON list per row, {"end": NAME, "rows": N}
    {"complete": TABLES}
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyrage

from advisory.services.backup_rows import Record, TableEnd, TableStart

FORMAT = "advisory-line-backup"
VERSION = 1
# A row's line is at most about 90 KiB (a 64 KiB attachment chunk in base64) or a sealed
# message; anything far longer is not a backup this code wrote.
LONGEST_LINE = 4 * 1024 * 1024
_READ_SIZE = 64 * 1024


class BackupKeyError(ValueError):
    """A backup public key or private key that age does not accept."""


class BackupFileError(ValueError):
    """A file that is not a complete backup for this key."""


@dataclass(frozen=True)
class Header:
    revision: str
    database: str
    created_at: str


def public_key(text: str) -> pyrage.x25519.Recipient:
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except (pyrage.RecipientError, ValueError):
        raise BackupKeyError("not an age public key (it starts with age1)") from None


def private_key(text: str) -> pyrage.x25519.Identity:
    """The identity in an age key file (comment lines, as age-keygen writes them, skipped)."""
    lines = [line.strip() for line in text.splitlines()]
    keys = [line for line in lines if line and not line.startswith("#")]
    if len(keys) != 1:
        raise BackupKeyError("the key file must hold exactly one AGE-SECRET-KEY-1… line")
    try:
        return pyrage.x25519.Identity.from_str(keys[0])
    except (pyrage.IdentityError, ValueError):
        raise BackupKeyError("not an age private key (it starts with AGE-SECRET-KEY-1)") from None


def new_key_pair() -> tuple[str, str]:
    """A new identity in age's key-file form, and its public key."""
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    return f"# public key: {recipient}\n{identity}\n", recipient


def write_backup(
    out: BinaryIO,
    recipient: pyrage.x25519.Recipient,
    header: Header,
    secrets: dict[str, bytes],
    records: Iterable[Record],
) -> None:
    lines = _lines(header, secrets, records)
    source = io.BufferedReader(_GeneratorReader(_gzip(lines)), _READ_SIZE)
    sink = _CheckedWriter(out)
    try:
        pyrage.encrypt_io(source, sink, [recipient])
    except pyrage.EncryptError as error:
        # Our own reader's failure (a database error, say) arrives wrapped; give it back.
        cause = source.raw.failure or sink.failure
        if cause is not None:
            raise cause from None
        raise BackupFileError(f"encryption failed: {error}") from None
    if sink.failure is not None:  # age may drop the error of its last write
        raise sink.failure


def read_backup(
    source: BinaryIO,
    identity: pyrage.x25519.Identity,
    on_header: Callable[[Header, dict[str, bytes]], None],
    on_record: Callable[[Record], None],
) -> int:
    """Decrypt and parse `source`, handing over the header (with the secrets) first, then each
    record. Returns the number of tables. Raises BackupFileError unless every byte
    authenticated and the file was complete; what the callbacks did must then be undone."""
    parser = _LineParser(on_header, on_record)
    sink = _CallbackWriter(parser.feed)
    try:
        pyrage.decrypt_io(source, sink, [identity])
    except (pyrage.DecryptError, OSError):  # a chunk that fails to open comes as an OSError
        if parser.failure is not None:
            raise parser.failure from None
        raise BackupFileError(
            "this file does not open with this key, or it was changed or cut short"
        ) from None
    if parser.failure is not None:
        raise parser.failure
    return parser.finish()


def _lines(header: Header, secrets: dict[str, bytes], records: Iterable[Record]) -> Iterator[bytes]:
    yield _json({"backup": {"format": FORMAT, "version": VERSION, **header.__dict__}})
    yield _json({"secrets": {name: value.hex() for name, value in secrets.items()}})
    tables = 0
    for record in records:
        if isinstance(record, TableStart):
            yield _json({"table": record.name, "columns": record.columns})
        elif isinstance(record, TableEnd):
            tables += 1
            yield _json({"end": record.name, "rows": record.rows})
        else:
            yield _json(record)
    yield _json({"complete": tables})


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"


def _gzip(lines: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    pending: list[bytes] = []
    size = 0
    for line in lines:
        pending.append(line)
        size += len(line)
        if size >= _READ_SIZE:
            yield compressor.compress(b"".join(pending))
            pending, size = [], 0
    yield compressor.compress(b"".join(pending)) + compressor.flush()


class _GeneratorReader(io.RawIOBase):
    """A readable stream over a generator of byte strings, for age to pull from."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = memoryview(b"")
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            while not self._left:
                chunk = next(self._chunks, None)
                if chunk is None:
                    return 0
                self._left = memoryview(chunk)
        except BaseException as error:
            self.failure = error
            raise
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


class _CheckedWriter(io.RawIOBase):
    """Writes through to `out`, keeping the first error for the caller to raise."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.failure: OSError | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            return self._out.write(data)
        except OSError as error:
            self.failure = self.failure or error
            raise


class _CallbackWriter(io.RawIOBase):
    """A writable stream that hands every write to a function, for age to push into."""

    def __init__(self, take: Callable[[bytes], None]) -> None:
        self._take = take

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._take(bytes(data))
        return len(data)


class _LineParser:
    """Decompresses pushed bytes and parses complete lines as they arrive."""

    def __init__(
        self,
        on_header: Callable[[Header, dict[str, bytes]], None],
        on_record: Callable[[Record], None],
    ) -> None:
        self._on_header, self._on_record = on_header, on_record
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._partial = bytearray()
        self._header: Header | None = None
        self._secrets_seen = False
        self._complete: int | None = None
        self._tables = 0
        self.failure: Exception | None = None

    def feed(self, data: bytes) -> None:
        if self.failure is not None:
            raise self.failure
        try:
            while data:
                text = self._inflate.decompress(data, _READ_SIZE)
                data = self._inflate.unconsumed_tail
                self._take_text(text)
        except (zlib.error, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            self.failure = BackupFileError("the backup's contents are not readable")
            raise self.failure from None
        except Exception as error:  # kept, since age reports any writer error as its own
            self.failure = error
            raise

    def finish(self) -> int:
        if self._partial or self._complete is None or not self._inflate.eof:
            raise BackupFileError("the backup is incomplete: it stops before its end")
        if self._inflate.unused_data:
            raise BackupFileError("the backup goes on after its end")
        if self._complete != self._tables:
            raise BackupFileError("the backup's table count does not match its contents")
        return self._tables

    def _take_text(self, text: bytes) -> None:
        # Only the new text is searched for line ends, so a long line costs its length once.
        start, end = 0, text.find(b"\n")
        while end != -1:
            self._partial += text[start:end]
            line, self._partial = bytes(self._partial), bytearray()
            self._take_line(json.loads(line))
            start, end = end + 1, text.find(b"\n", end + 1)
        self._partial += text[start:]
        if len(self._partial) > LONGEST_LINE:
            raise BackupFileError("the backup holds a line far longer than any row")

    def _take_line(self, value: Any) -> None:
        if self._complete is not None:
            raise BackupFileError("the backup goes on after its end")
        if isinstance(value, list):
            self._need_body()
            self._on_record(value)
            return
        if not isinstance(value, dict) or len(value) not in (1, 2):
            raise BackupFileError("the backup holds a line of an unknown kind")
        if "backup" in value and self._header is None:
            self._header = _header(value["backup"])
        elif "secrets" in value and self._header is not None and not self._secrets_seen:
            self._secrets_seen = True
            self._on_header(self._header, _secrets(value["secrets"]))
        elif "table" in value and isinstance(value.get("columns"), list):
            self._need_body()
            self._on_record(TableStart(str(value["table"]), [str(c) for c in value["columns"]]))
        elif "end" in value and _count(value.get("rows")):
            self._need_body()
            self._tables += 1
            self._on_record(TableEnd(str(value["end"]), value["rows"]))
        elif "complete" in value and _count(value["complete"]):
            self._need_body()
            self._complete = value["complete"]
        else:
            raise BackupFileError("the backup's lines are out of order")

    def _need_body(self) -> None:
        if not self._secrets_seen:
            raise BackupFileError("the backup's lines are out of order")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _header(value: Any) -> Header:
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise BackupFileError("this is not an Advisory Line backup")
    if value.get("version") != VERSION:
        raise BackupFileError(f"backup format version {value.get('version')!r} is not known here")
    fields = {name: value.get(name) for name in ("revision", "database", "created_at")}
    if not all(isinstance(text, str) for text in fields.values()):
        raise BackupFileError("the backup's header is incomplete")
    return Header(**fields)  # type: ignore[arg-type]


def _secrets(value: Any) -> dict[str, bytes]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BackupFileError("the backup's secrets are unreadable")
    try:
        return {str(name): bytes.fromhex(text) for name, text in value.items()}
    except ValueError:
        raise BackupFileError("the backup's secrets are unreadable") from None
