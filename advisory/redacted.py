"""A repr that names the type and nothing else, for values that carry secrets or case text.

A stray log line, a debugger or a traceback's locals would otherwise print what they hold.
Dataclasses that use it are declared with `repr=False`, so that their generated repr does not
replace this one.
"""

from __future__ import annotations


class Redacted:
    __slots__ = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<hidden>)"
