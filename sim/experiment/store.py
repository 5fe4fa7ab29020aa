"""Result folders written atomically: a temporary folder renamed into place, never overwriting.

Layout: `<base>/<scenario>/<run id>/`. A run is written into `<base>/<scenario>/.tmp-<run
id>/` and renamed to its final name only when complete, so a reader never sees a
half-written run and an interrupted run leaves no folder under a run id.

Creating `.tmp-<run id>` (an exclusive mkdir) reserves the run id: two runs started in the
same second into the same folder get `<run id>` and `<run id>-2`. While a run writes, it
holds a lock (flock) on `.tmp-<run id>/.lock`; a temporary folder whose lock nobody holds is
stale (its run was killed outright, SIGKILL or power loss): `stale_temporary_folders` lists
them, `sim clean` removes them, and no reader takes one for a result.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

TMP_PREFIX = ".tmp-"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class RunDirExists(FileExistsError):
    """A result folder for this scenario and run id already exists; nothing is overwritten."""


class UnwritableOutput(OSError):
    """The output base folder cannot be created or written to."""


class UnsafeOutput(ValueError):
    """An output path names something that must not be replaced: a device, a FIFO, a socket, a symlink or a folder."""


LOCK_NAME = ".lock"
# A temporary folder younger than this without its lock file may be one whose run is just starting.
_YOUNG_SECONDS = 60.0
_LOCKS: dict[str, int] = {}  # temporary folder -> open file descriptor holding its lock


def check_output_file(path: Path) -> Path:
    """`path` if writing it replaces at most a regular file; UnsafeOutput naming what is there otherwise.

    A device, a FIFO, a socket, a symlink or a folder at `path` is refused, never replaced:
    an atomic write renames a new file over the old name, which would turn `/dev/null` (say)
    into a regular file.
    """
    path = Path(path)
    if str(path) in ("", "."):
        raise UnsafeOutput("expected a file name, got an empty path")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as error:
        raise UnsafeOutput(f"cannot check {path}: {error.strerror or error}") from None
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return path
    what = (
        "a symlink"
        if stat.S_ISLNK(mode)
        else "a folder"
        if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    raise UnsafeOutput(f"{path} is {what}, which is never replaced (outputs only create or replace regular files)")


def is_temporary(folder: Path) -> bool:
    """Whether `folder` is (or lies inside) a temporary folder of an unfinished or killed run."""
    try:
        parts = Path(folder).resolve().parts
    except (OSError, RuntimeError, ValueError):
        parts = Path(folder).parts
    # The folder itself, or one of the two above it (a run's subfolder such as plots/): not the whole path,
    # so that a user's own folder named .tmp-something far above the results is not mistaken for one.
    return any(part.startswith(TMP_PREFIX) for part in parts[-3:])


def check_not_temporary(label: str, folder: Path) -> None:
    """InputError when `folder` is a `.tmp-*` folder: an unfinished (or killed) run, never a result."""
    if is_temporary(folder):
        from sim.errors import InputError

        raise InputError(
            label,
            str(folder),
            "expected a result folder, got the temporary folder of an unfinished or killed "
            f"run ({TMP_PREFIX}*): it holds no result; `sim clean` lists stale ones and removes them with --yes",
        )


def _lock(tmp: Path) -> None:
    """Create `tmp/.lock` and hold an exclusive lock on it while this process writes the run."""
    fd = os.open(tmp / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, f"{os.getpid()}\n".encode())
    _LOCKS[str(tmp)] = fd


def _unlock(tmp: Path, final: Path | None = None) -> None:
    """Release the lock of a temporary folder (after it was published as `final`, remove the lock file)."""
    fd = _LOCKS.pop(str(tmp), None)
    if final is not None:
        with contextlib.suppress(OSError):
            os.unlink(final / LOCK_NAME)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def discard_run_dir(tmp: Path) -> None:
    """Remove a temporary run folder (a failed or interrupted run) and release its lock."""
    shutil.rmtree(tmp, ignore_errors=True)
    _unlock(tmp)


def temporary_folders(base: Path) -> list[Path]:
    """Every `.tmp-*` folder directly in `base` or in its scenario folders (`base/<scenario>/.tmp-*`)."""
    base = Path(base)
    found = []
    try:
        levels = [base] + sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(TMP_PREFIX))
    except OSError:
        return []
    for level in levels:
        try:
            found += sorted(p for p in level.iterdir() if p.name.startswith(TMP_PREFIX) and p.is_dir() and not p.is_symlink())
        except OSError:
            continue
    return found


def is_stale(tmp: Path) -> bool:
    """Whether no live process writes the temporary folder `tmp` (its lock is free, or it never had one and is old)."""
    lock = Path(tmp) / LOCK_NAME
    if str(tmp) in _LOCKS:
        return False
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        try:
            return time.time() - os.lstat(tmp).st_mtime > _YOUNG_SECONDS
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return False  # a live run holds it
    finally:
        os.close(fd)
    return True


def stale_temporary_folders(base: Path) -> list[Path]:
    """The `.tmp-*` folders under `base` left by runs that were killed outright (no live process holds their lock)."""
    return [p for p in temporary_folders(base) if is_stale(p)]


def folder_size(folder: Path) -> int:
    """Bytes of the regular files under `folder` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _check_name(kind: str, name: str) -> str:
    """Return `name` if it is a safe single path component, else raise ValueError."""
    if not _SAFE_NAME.match(name) or name in (".", ".."):
        raise ValueError(f"{kind} {name!r} cannot be used as a folder name: expected letters, digits, '.', '_', '+' or '-', not starting with '.' or '-'")
    return name


def make_run_id(seed: int | None = None, now: datetime | None = None) -> str:
    """Run id `YYYYmmdd-HHMMSS-seed<seed>` (without the seed part when seed is None)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return stamp if seed is None else f"{stamp}-seed{int(seed)}"


def check_writable(base: Path) -> Path:
    """Create `base` if needed and check a file can be written in it; raise UnwritableOutput.

    Call this before any simulation so that a bad output path fails in a second, not
    after an hour of computing.
    """
    base = Path(base)
    try:
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=base, prefix=".write-check-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as error:
        reason = error.strerror or str(error)
        raise UnwritableOutput(f"cannot write results under {base}: {reason}") from error
    return base


def new_run_dir(base: Path, scenario_name: str, run_id: str | None = None, *, seed: int | None = None) -> tuple[Path, Path]:
    """Reserve a run: return (final path, temporary path) and create the temporary folder.

    With an explicit `run_id`, raise RunDirExists if `<base>/<scenario>/<run id>` exists.
    Without one, the id is `make_run_id(seed)`, suffixed `-2`, `-3`, ... until it is free.
    The temporary folder sits next to the final one (same file system, so the final rename
    is atomic).
    """
    _check_name("scenario name", scenario_name)
    parent = Path(base) / scenario_name
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UnwritableOutput(f"cannot create {parent}: {error.strerror or error}") from error
    if run_id is not None:
        _check_name("run id", run_id)
        candidates = iter([run_id])
    else:
        stem = make_run_id(seed)
        candidates = (stem if k == 1 else f"{stem}-{k}" for k in range(1, 1_000_000))
    for name in candidates:
        final = parent / name
        tmp = parent / f"{TMP_PREFIX}{name}"
        if final.exists():
            continue
        try:
            # The exclusive mkdir reserves the id: a concurrent run finds it taken and moves on to -2, -3, ...
            os.mkdir(tmp, 0o777)
        except FileExistsError:
            continue
        except OSError as error:
            raise UnwritableOutput(f"cannot create {tmp}: {error.strerror or error}") from error
        if final.exists():  # published between the check and the mkdir: that id is taken
            os.rmdir(tmp)
            continue
        try:
            _lock(tmp)
        except OSError as error:
            shutil.rmtree(tmp, ignore_errors=True)
            raise UnwritableOutput(f"cannot create {tmp / LOCK_NAME}: {error.strerror or error}") from error
        return final, tmp
    raise RunDirExists(
        f"result folder {parent / run_id} already exists (or a run is writing it); choose another run id"
        if run_id is not None
        else f"no free run id under {parent}"
    )


def publish_run_dir(tmp: Path, final: Path) -> Path:
    """Rename the finished temporary folder to its final name, never replacing a run."""
    if final.exists():
        raise RunDirExists(f"result folder {final} appeared while this run was being written; this run's results are kept in {tmp}")
    try:
        # On POSIX, rename only replaces an *empty* directory, so a run is never lost.
        os.rename(tmp, final)
    except OSError as error:
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise RunDirExists(f"result folder {final} already exists; this run's results are kept in {tmp}") from error
        raise
    _unlock(tmp, final)
    return final


@contextlib.contextmanager
def atomic_run_dir(base: Path, scenario_name: str, run_id: str | None = None, *, seed: int | None = None) -> Iterator[Path]:
    """Yield a temporary folder to write a run into; rename it to its final name on success.

    The final folder is `<base>/<scenario>/<run id>` (see `new_run_dir` for ids and
    errors). If the block raises, the temporary folder is removed and the exception
    propagates. When the final path or run id is needed inside the block (say, for the
    manifest), call `new_run_dir` and `publish_run_dir` directly instead.
    """
    final, tmp = new_run_dir(base, scenario_name, run_id, seed=seed)
    try:
        yield tmp
    except BaseException:
        discard_run_dir(tmp)
        raise
    publish_run_dir(tmp, final)


def _umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[str], object], tmp_dir: Path | None = None) -> Path:
    """Write `path` atomically: `write(name)` fills a temporary file (in `tmp_dir`, default the same
    folder; it must be on the same file system), which is then renamed into place."""
    path = check_output_file(Path(path))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=tmp_dir or path.parent)
    os.close(fd)
    try:
        write(tmp_name)
        # mkstemp makes the file private (0600); a result file gets the usual permissions.
        os.chmod(tmp_name, 0o666 & ~_umask())
        check_output_file(path)  # again, just before the rename: nothing but a regular file is ever replaced
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return path


def write_json_atomic(path: Path, obj: object, sort_keys: bool = True) -> Path:
    """Write `obj` as strict JSON (indent 2, no NaN; keys sorted unless their order means something) atomically to `path`."""
    text = json.dumps(obj, sort_keys=sort_keys, indent=2, allow_nan=False, ensure_ascii=False) + "\n"

    def write(name: str) -> None:
        with open(name, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    return atomic_write(path, write)


def nan_as_null(table: pa.Table) -> pa.Table:
    """The table with every NaN of its floating-point columns as null: "none" is null in every result file."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_floating(column.type):
            column = pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """The options every Parquet file of a run is written with: dictionary encoding for every column but the
    floating-point ones.

    A drawn parameter, a cost or a front line takes a different value in nearly every replication, so a
    dictionary of its values only costs time before the writer falls back to plain encoding: at the default
    (dictionary for every column) a row group of runs.parquet took about three times as long to write and came
    out about a fifth larger. Labels and counts (strings, integers) repeat and keep their dictionaries."""
    import pyarrow as pa

    return {"use_dictionary": [f.name for f in schema if not pa.types.is_floating(f.type)]}


def write_parquet_atomic(path: Path, table: pa.Table) -> Path:
    """Write a pyarrow table as Parquet atomically to `path`."""
    # pyarrow is imported here, not above: the command line imports this module for its checks, and `sim --help`
    # must not pay for pyarrow (benchmarks/bench_help.py).
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        raise TypeError(f"expected a pyarrow.Table, got {type(table).__name__}")
    return atomic_write(path, lambda name: pq.write_table(table, name, **parquet_options(table.schema)))
