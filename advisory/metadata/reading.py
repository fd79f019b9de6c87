"""Bounds-checked reads, and an output assembled from slices of the input.

Every cleaner reads through `need` so that a length running past the end is
`UnreadableFile("truncated")`, never an IndexError, and builds its result with `Output`, so
that a cleaned file costs one copy of the kept bytes whatever its size.
"""

from __future__ import annotations

from advisory.metadata.errors import UnreadableFile


def need(data: bytes, offset: int, count: int) -> None:
    """Raise `UnreadableFile("truncated")` unless `data` has `count` bytes from `offset`."""
    if offset + count > len(data):
        raise UnreadableFile("truncated", f"needs {count} bytes at {offset}")


def u32be(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "big")


def u32le(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")


class Output:
    """A file put together from slices of `source` and a few new pieces.

    Adjacent kept slices merge, so a cleaned file is a handful of slices; `finish` copies
    each once.
    """

    def __init__(self, source: bytes) -> None:
        self._source = memoryview(source)
        self._parts: list[bytes | tuple[int, int]] = []
        self.length = 0

    def keep(self, start: int, end: int) -> None:
        """Keep `source[start:end]`."""
        if end <= start:
            return
        self.length += end - start
        last = self._parts[-1] if self._parts else None
        if isinstance(last, tuple) and last[1] == start:
            self._parts[-1] = (last[0], end)
        else:
            self._parts.append((start, end))

    def add(self, new: bytes) -> None:
        """Add bytes that are not in the source."""
        self._parts.append(new)
        self.length += len(new)

    def placeholder(self) -> int:
        """A place for bytes known only at the end (see `fill`)."""
        self._parts.append(b"")
        return len(self._parts) - 1

    def fill(self, place: int, new: bytes) -> None:
        """Put `new` where `placeholder` returned `place` (once)."""
        if self._parts[place] != b"":
            raise ValueError("metadata: a placeholder is filled once")
        self._parts[place] = new
        self.length += len(new)

    def finish(self) -> bytes:
        return b"".join(
            self._source[part[0] : part[1]] if isinstance(part, tuple) else part
            for part in self._parts
        )
