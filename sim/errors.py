"""Errors about user input: one line naming the file, the field path and what was expected."""

from __future__ import annotations

from collections.abc import Iterable


class InputError(Exception):
    """Bad user input. `str()` is the one line the command line prints (exit code 2)."""

    def __init__(self, file: str | None, path: str | None, message: str):
        self.file = file
        self.path = path
        self.message = message
        super().__init__(self.line())

    def line(self) -> str:
        where = ": ".join(p for p in (self.file, self.path) if p)
        text = f"{where}: {self.message}" if where else self.message
        # Keys and names from the file can hold line breaks; escape them so this stays one line.
        return text.translate(_LINE_BREAKS)


# Every character str.splitlines() breaks on, mapped to its escape.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


class InputWarning(UserWarning):
    """Input that is valid but probably not meant (e.g. an actor's position outside its own red lines).

    The command line prints it as one line on stderr (`warning: FILE: FIELD: message`) and goes on."""

    def __init__(self, file: str | None, path: str | None, message: str):
        self.file, self.path, self.message = file, path, message
        super().__init__(InputError(file, path, message).line())


def dotted(path: Iterable[str | int]) -> str:
    """A field path as `a.b[2].c` from a tuple of keys and indices."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
