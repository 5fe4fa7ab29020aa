"""Input files checked for type and size before they are read: regular files only, within a size limit.

A FIFO, a device (`/dev/zero`, `/dev/urandom`) or a symlink to one would make a plain
`read_text()` hang or grow without bound; a huge file would fill the memory. Every file a
user names (scenario, sweep file, rule module, a result folder's manifest) goes through
`read_input_text`, which refuses them in one line (InputError, exit code 2).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sim.errors import InputError

# Generous for hand-written TOML, JSON manifests and rule modules (the baseline scenario is ~40 kB).
MAX_INPUT_BYTES = 16 * 1024 * 1024


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(what: str, mode: int) -> str:
    kind = _kind(mode)
    return f"expected a {what}, got {kind}" + ("" if stat.S_ISDIR(mode) else ": only regular files are read")


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def check_input_file(path: str | Path, what: str = "file", limit: int = MAX_INPUT_BYTES) -> os.stat_result:
    """The stat of `path` (symlinks followed) if it is a regular file within `limit` bytes; else InputError."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(str(path), None, f"expected an existing {what}: not found") from None
    except (OSError, ValueError) as exc:  # a NUL byte, a symlink loop, permission denied, ...
        raise InputError(str(path), None, f"expected a readable {what}: {getattr(exc, 'strerror', None) or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(path), None, _not_regular(what, info.st_mode))
    if info.st_size > limit:
        raise InputError(str(path), None, f"expected a {what} of at most {_megabytes(limit)}, got {_megabytes(info.st_size)}")
    return info


def read_input_bytes(path: str | Path, what: str = "file", limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; InputError (one line) otherwise.

    The file is opened without blocking and checked again once open, so a file swapped for a
    FIFO between the check and the read cannot hang; at most `limit` + 1 bytes are read.
    """
    check_input_file(path, what, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(str(path), None, f"expected a readable {what}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(str(path), None, _not_regular(what, info.st_mode))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(str(path), None, f"expected a readable {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(str(path), None, f"expected a {what} of at most {_megabytes(limit)}, got a larger one")
    return b"".join(chunks)


def read_input_text(path: str | Path, what: str = "file", limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; InputError (one line) otherwise."""
    data = read_input_bytes(path, what, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), None, f"expected a {what} in UTF-8: {exc}") from None
