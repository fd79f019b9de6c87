"""CPU time of other processes on this host, read from /proc (Linux; elsewhere it reads 0)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_PROC = Path("/proc")


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds the processes `pids` have used so far (ended ones count 0)."""
    ticks = 0
    for pid in pids:
        stat = _stat(_PROC / str(pid))
        if stat is not None:
            ticks += stat[1]
    return ticks / os.sysconf("SC_CLK_TCK")


def pids_named(name: str) -> list[int]:
    """The running processes whose command name is `name`."""
    found = []
    for process in _PROC.iterdir():
        if process.name.isdigit():
            stat = _stat(process)
            if stat is not None and stat[0] == name:
                found.append(int(process.name))
    return found


def _stat(process: Path) -> tuple[str, int] | None:
    """A process's command name and its user + system CPU ticks; None if it has ended."""
    try:
        text = (process / "stat").read_text()
    except OSError:
        return None
    # "pid (name) state ...": the name may hold spaces and parentheses, so split at the last ")".
    head, _, rest = text.rpartition(")")
    fields = rest.split()
    return head.partition(" (")[2], int(fields[11]) + int(fields[12])  # utime, stime
