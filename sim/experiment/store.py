"""Result folders written atomically: a temporary folder renamed into place, never overwriting.

Layout: `<base>/<scenario>/<run id>/`. A run is written into `<base>/<scenario>/.tmp-<run
id>-<random>/` and renamed to its final name only when complete, so a reader never sees a
half-written run and an interrupted run leaves no folder under a run id.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TMP_PREFIX = ".tmp-"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class RunDirExists(FileExistsError):
    """A result folder for this scenario and run id already exists; nothing is overwritten."""


class UnwritableOutput(OSError):
    """The output base folder cannot be created or written to."""


def _check_name(kind: str, name: str) -> str:
    """Return `name` if it is a safe single path component, else raise ValueError."""
    if not _SAFE_NAME.match(name) or name in (".", ".."):
        raise ValueError(
            f"{kind} {name!r} cannot be used as a folder name: expected letters, digits, "
            "'.', '_', '+' or '-', not starting with '.' or '-'"
        )
    return name


def make_run_id(seed: int | None = None, now: datetime | None = None) -> str:
    """Run id `YYYYmmdd-HHMMSS-seed<seed>` (without the seed part when seed is None)."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
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


def new_run_dir(
    base: Path, scenario_name: str, run_id: str | None = None, *, seed: int | None = None
) -> tuple[Path, Path]:
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
        final = parent / run_id
        if final.exists():
            raise RunDirExists(f"result folder {final} already exists; choose another run id")
    else:
        stem = make_run_id(seed)
        final = parent / stem
        suffix = 2
        while final.exists():
            final = parent / f"{stem}-{suffix}"
            suffix += 1
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{final.name}-", dir=parent))
    # mkdtemp makes the folder private (0700); a result folder gets the usual permissions.
    os.chmod(tmp, 0o777 & ~_umask())
    return final, tmp


def publish_run_dir(tmp: Path, final: Path) -> Path:
    """Rename the finished temporary folder to its final name, never replacing a run."""
    if final.exists():
        raise RunDirExists(
            f"result folder {final} appeared while this run was being written; "
            f"this run's results are kept in {tmp}"
        )
    try:
        # On POSIX, rename only replaces an *empty* directory, so a run is never lost.
        os.rename(tmp, final)
    except OSError as error:
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise RunDirExists(
                f"result folder {final} already exists; this run's results are kept in {tmp}"
            ) from error
        raise
    return final


@contextlib.contextmanager
def atomic_run_dir(
    base: Path, scenario_name: str, run_id: str | None = None, *, seed: int | None = None
) -> Iterator[Path]:
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
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish_run_dir(tmp, final)


def _umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write, tmp_dir: Path | None = None) -> Path:
    """Write `path` atomically: `write(name)` fills a temporary file (in `tmp_dir`, default the same
    folder; it must be on the same file system), which is then renamed into place."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=tmp_dir or path.parent)
    os.close(fd)
    try:
        write(tmp_name)
        # mkstemp makes the file private (0600); a result file gets the usual permissions.
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return path


def write_json_atomic(path: Path, obj, sort_keys: bool = True) -> Path:
    """Write `obj` as strict JSON (indent 2, no NaN; keys sorted unless their order means something) atomically to `path`."""
    text = json.dumps(obj, sort_keys=sort_keys, indent=2, allow_nan=False, ensure_ascii=False) + "\n"

    def write(name: str) -> None:
        with open(name, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    return atomic_write(path, write)


def write_parquet_atomic(path: Path, table: pa.Table) -> Path:
    """Write a pyarrow table as Parquet atomically to `path`."""
    if not isinstance(table, pa.Table):
        raise TypeError(f"expected a pyarrow.Table, got {type(table).__name__}")
    return atomic_write(path, lambda name: pq.write_table(table, name))
