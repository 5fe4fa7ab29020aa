"""Executors: where chunks run. In-process, local worker processes, or a Dask distributed cluster.

Every executor takes the same function and tasks and yields `(task, result)` pairs as
chunks finish, in whatever order they finish, with a bounded number of chunks in flight
(so memory stays bounded however many there are). Results do not depend on the executor:
each chunk's outcome is a pure function of its task, and consumers write chunk files by
name and assemble them in chunk order.

A worker that dies mid-chunk does not lose the chunk: the local pool is restarted and the
chunks that were in flight are submitted again; Dask's scheduler reschedules them on its
own. A chunk that keeps killing its worker ends as a `ChunkError`, like one that raises.
"""

from __future__ import annotations

import enum
import functools
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Final, Generic, Literal, Protocol, TypeVar

from sim.defaults import EXECUTORS
from sim.experiment.chunks import ChunkError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster
    from distributed import Future as DaskFuture

DASK_HINT = "pip install 'ceasefire-sim[dask]' (or: pip install 'dask[distributed]')"
MAX_POOL_RESTARTS = 3
#: Seconds between checks that the local pool's workers are alive while no chunk finishes.
POLL_SECONDS = 1.0
#: Seconds a dead worker may go unnoticed by its pool before the pool is taken for broken (see `_stalled`).
STALL_SECONDS = 5.0


class ExecutorUnavailable(RuntimeError):
    """The executor asked for cannot be used here (say, Dask is not installed); the message says how to get it."""


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS says, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_workers() -> int:
    """All cores."""
    return usable_cores()


OVERSUBSCRIBE = "SIM_OVERSUBSCRIBE"  # set to 1 to run more worker processes than cores


def capped_workers(asked: int | None, warn: Callable[[str], None] | None = None) -> int:
    """The worker processes to start: `asked` (default all cores), at most the cores unless SIM_OVERSUBSCRIBE=1.

    More processes than cores make every chunk slower and add memory; a capped count, or an
    allowed oversubscription, is said in one line through `warn` (stderr by default).
    """
    cores = usable_cores()
    if asked is None:
        return cores
    asked = max(1, int(asked))
    if asked <= cores:
        return asked
    say = warn or (lambda line: print(line, file=sys.stderr, flush=True))
    if os.environ.get(OVERSUBSCRIBE, "") in ("1", "true", "yes"):
        say(f"sim: warning: {asked} worker processes on {cores} cores ({OVERSUBSCRIBE}=1): each chunk runs slower")
        return asked
    say(f"sim: {asked} workers asked for, {cores} cores here: using {cores} (set {OVERSUBSCRIBE}=1 to start {asked})")
    return cores


@dataclass(frozen=True)
class ExecutorSpec:
    """Which executor to use: `kind` in EXECUTORS, worker count, and a Dask scheduler address to join."""

    kind: str = "local"
    workers: int | None = None
    scheduler: str | None = None

    def describe(self) -> str:
        if self.kind == "dask":
            return f"dask ({self.scheduler})" if self.scheduler else f"dask LocalCluster, {self.workers or default_workers()} workers"
        if self.kind == "inprocess":
            return "in-process"
        return f"local, {self.workers or default_workers()} worker processes"


def make_executor(spec: ExecutorSpec | None = None) -> Executor:
    """Build the executor a spec names (a Dask one raises ExecutorUnavailable when Dask is missing)."""
    spec = spec or ExecutorSpec()
    if spec.scheduler and spec.kind != "dask":
        spec = ExecutorSpec("dask", spec.workers, spec.scheduler)
    if spec.kind == "inprocess":
        return InProcessExecutor()
    if spec.kind == "local":
        workers = capped_workers(spec.workers)
        return InProcessExecutor() if workers <= 1 else LocalProcessExecutor(workers)
    if spec.kind == "dask":
        return DaskExecutor(spec.workers, spec.scheduler)
    raise ValueError(f"expected an executor among {', '.join(EXECUTORS)}, got {spec.kind!r}")


class NamedTask(Protocol):
    """What an executor needs of a task: a name (chunks finished together are handed on in name order, and a task
    given up on is reported by name). `ChunkTask` and `BatchTask` have one."""

    @property
    def name(self) -> str: ...


Task = TypeVar("Task", bound=NamedTask)
Result = TypeVar("Result")


class Executor:
    """Runs `fn(task)` for every task; `run` yields (task, result) as they finish (a ChunkError for a task given up on)."""

    name = "executor"
    workers = 1

    def run(self, fn: Callable[[Task], Result], tasks: Iterable[Task]) -> Iterator[tuple[Task, Result | ChunkError]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None) -> None:
        self.close()


def with_rule_modules(modules: str, fn: Callable[[Task], Result], task: Task) -> Result:
    """Run `fn(task)` in a worker after registering the rule modules the parent lists (os.pathsep-separated)."""
    if modules and os.environ.get("SIM_RULE_MODULES", "") != modules:
        os.environ["SIM_RULE_MODULES"] = modules
        from sim.rules.plugins import load_environment_modules

        load_environment_modules()
    return fn(task)


class InProcessExecutor(Executor):
    """Chunks one after the other in this process."""

    name = "inprocess"

    def run(self, fn: Callable[[Task], Result], tasks: Iterable[Task]) -> Iterator[tuple[Task, Result | ChunkError]]:
        for task in tasks:
            yield task, fn(task)


# ---------------------------------------------------------------------- local processes
def _worker_init(parent: int) -> None:
    """Worker set-up: leave Ctrl-C to the parent (which shuts the pool down), and exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    started_under = os.getppid()  # the main process, or the fork server that forked this worker

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != started_under or gone(parent):
                os._exit(0)  # the main process was killed outright: nothing left to report to

    threading.Thread(target=watch, daemon=True).start()


#: Modules a worker needs to compute a batch: imported once by the fork server, before it forks each worker.
ENGINE_MODULES = ["sim.experiment.batches", "sim.model.model"]
#: Set to fork, forkserver or spawn to choose how workers start (benchmarks whose only other thread samples
#: /proc use fork; the default chooses by the threads running).
START_METHOD = "SIM_START_METHOD"
_LIVE_POOLS: set[LocalProcessExecutor] = set()


def fork_is_safe() -> bool:
    """Whether a child forked from this process may go on running Python: the platform forks, and this process
    runs a single thread (a child forked beside other threads could inherit a lock one of them holds)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def pool_context() -> multiprocessing.context.BaseContext:
    """How worker processes start: as cheaply as is safe here.

    - `fork` when this process runs a single thread (the command line, most scripts): a worker
      is a copy of this process, with the engine already imported, in milliseconds. With other
      threads running (a progress bar's refresh, a Dask client), a forked child could inherit a
      lock held by one of them, so:
    - `forkserver`, with the engine preloaded: a clean server process imports the engine once
      and forks every worker from itself (the first pool pays one import, later ones nothing);
    - `spawn` where neither exists (Windows): every worker starts Python and imports the engine.

    Mesa sets the process-wide default to spawn; pools here always name their context.
    """
    methods = multiprocessing.get_all_start_methods()
    forced = os.environ.get(START_METHOD, "")
    if forced in methods:
        return _with_preload(multiprocessing.get_context(forced))
    if fork_is_safe():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return _with_preload(multiprocessing.get_context("forkserver"))
    return multiprocessing.get_context("spawn")


def _with_preload(context: multiprocessing.context.BaseContext) -> multiprocessing.context.BaseContext:
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(ENGINE_MODULES)
    return context


def live_worker_pids() -> list[int]:
    """Process ids of the workers of every local pool running in this process (for tests that kill one)."""
    pids: list[int] = []
    for executor in list(_LIVE_POOLS):
        pool = executor._pool
        pids += [p.pid for p in (getattr(pool, "_processes", None) or {}).values() if p.pid]
    return sorted(pids)


class LocalProcessExecutor(Executor):
    """A pool of local worker processes (started by `pool_context`: fork, fork server or spawn)."""

    name = "local"

    def __init__(self, workers: int, max_restarts: int = MAX_POOL_RESTARTS) -> None:
        self.workers = max(1, int(workers))
        self.max_restarts = max_restarts
        self.max_in_flight = 2 * self.workers
        self._pool: ProcessPoolExecutor | None = None
        self._dead_since: float | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        _LIVE_POOLS.add(self)
        self._dead_since = None
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=pool_context(), initializer=_worker_init, initargs=(os.getpid(),))

    def run(self, fn: Callable[[Task], Result], tasks: Iterable[Task]) -> Iterator[tuple[Task, Result | ChunkError]]:
        # A worker forked from a fork server started earlier has that moment's environment: hand it the rule
        # modules this process has registered since (--rules, SIM_RULE_MODULES) with every task.
        call = functools.partial(with_rule_modules, os.environ.get("SIM_RULE_MODULES", ""), fn)
        todo = _Todo(tasks)
        pending: dict[Future[Result], Task] = {}
        restarts = 0
        try:
            self._pool = self._pool or self._new_pool()
            while todo or pending:
                while todo and len(pending) < self.max_in_flight:
                    task = todo.popleft()
                    pending[self._pool.submit(call, task)] = task
                done, _ = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                broken = not done and self._stalled()
                for future in sorted(done, key=lambda f: pending[f].name):
                    task = pending.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        todo.appendleft(task)
                        continue
                    yield task, result
                if broken:
                    # A worker died (killed, out of memory): every chunk in flight is lost with the pool.
                    lost = sorted(pending.values(), key=lambda t: t.name)
                    pending.clear()
                    self._kill_pool()
                    restarts += 1
                    if restarts > self.max_restarts:
                        for task in sorted([*todo.drain(), *lost], key=lambda t: t.name):
                            yield task, ChunkError(task.name, f"worker process died {restarts} times; giving up")
                        return
                    todo.extendleft(reversed(lost))
                    self._pool = self._new_pool()
        finally:
            if pending:  # interrupted (Ctrl-C) or the consumer stopped: do not wait for chunks in flight
                self._kill_pool()

    def _stalled(self) -> bool:
        """Whether a worker of the pool has been dead for STALL_SECONDS without the pool noticing.

        A worker killed while it sends a result leaves the result pipe with a message cut short and its
        lock held: the pool's manager thread waits for the rest of the message and the other workers for
        the lock, forever, and the pool is never marked broken. Seen from here, a worker is dead and no
        chunk finishes.
        """
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        if not any(_exited(process) for process in processes):
            self._dead_since = None
            return False
        now = time.monotonic()
        if self._dead_since is None:
            self._dead_since = now
        return now - self._dead_since >= STALL_SECONDS

    def _kill_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        # Taken before shutdown, which drops the pool's reference to its result queue.
        writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            try:
                process.terminate()
            except (OSError, ValueError, AttributeError):
                pass
        for process in processes:
            try:
                process.join(timeout=5)
            except (OSError, ValueError, AssertionError, AttributeError):
                pass
        # With every worker gone, closing this process's end of the result pipe lets a manager thread that waits
        # for the rest of a result cut short see the pipe's end (and finish) instead of blocking the exit.
        if writer is not None:
            try:
                writer.close()
            except OSError:
                pass

    def close(self) -> None:
        pool, self._pool = self._pool, None
        _LIVE_POOLS.discard(self)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None) -> None:
        if exc_type is not None:  # interrupted or failed: do not wait for the chunks still in flight
            _LIVE_POOLS.discard(self)
            self._kill_pool()
        else:
            self.close()


def _exited(process: multiprocessing.process.BaseProcess) -> bool:
    """Whether a worker process has ended (False when that cannot be told)."""
    try:
        return process.exitcode is not None
    except (OSError, ValueError, AssertionError, AttributeError):
        return False


class _End(enum.Enum):
    """The end of a lazy iterable of tasks (an enum member, so that a check against it narrows the type)."""

    END = enum.auto()


_END: Final = _End.END
T = TypeVar("T")


class _Todo(Generic[T]):
    """Tasks still to submit: those put back (a dead worker's), then the rest of a lazy iterable, one at a time."""

    def __init__(self, tasks: Iterable[T]) -> None:
        self._back: deque[T] = deque()
        self._rest = iter(tasks)
        self._next: T | Literal[_End.END] = _END
        self._pull()

    def _pull(self) -> None:
        self._next = next(self._rest, _END)

    def __bool__(self) -> bool:
        return bool(self._back) or self._next is not _END

    def popleft(self) -> T:
        if self._back:
            return self._back.popleft()
        task = self._next
        if task is _END:
            raise IndexError("pop from an empty list of tasks")
        self._pull()
        return task

    def appendleft(self, task: T) -> None:
        self._back.appendleft(task)

    def extendleft(self, tasks: Iterable[T]) -> None:
        self._back.extendleft(tasks)

    def drain(self) -> list[T]:
        out = list(self._back)
        self._back.clear()
        while self._next is not _END:
            out.append(self._next)
            self._pull()
        return out


# ---------------------------------------------------------------------- Dask
MALLOC_TRIM = "MALLOC_TRIM_THRESHOLD_"


def local_cluster(workers: int | None = None) -> LocalCluster:
    """A Dask LocalCluster of single-threaded worker processes, without Dask's memory-trim setting.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536 (and sets it in this
    process too) so that they hand memory back to the OS sooner. The engine allocates many
    short-lived arrays of a chunk's size, and with that setting a chunk runs about 2.5 times
    slower (measured: 2.1 s instead of 0.8 s for 10,000 replications x 52 weeks), so the
    workers keep glibc's default. For `dask worker` processes started by hand, see
    docs/sweeps.md.
    """
    import dask

    distributed = import_distributed()
    key = f"distributed.nanny.pre-spawn-environ.{MALLOC_TRIM}"
    dask_default = dask.config.get(key, default=None)
    if dask_default is not None and os.environ.get(MALLOC_TRIM) == str(dask_default):
        del os.environ[MALLOC_TRIM]  # put there by an earlier cluster's nanny, not by the user
    with dask.config.set({key: None}):
        cluster: LocalCluster = distributed.LocalCluster(
            n_workers=capped_workers(workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    return cluster


def import_distributed() -> ModuleType:
    try:
        import distributed
    except ImportError:
        raise ExecutorUnavailable(f"--executor dask needs Dask distributed, which is not installed: {DASK_HINT}") from None
    return distributed


_ADDRESS = re.compile(r"^(?:(?P<scheme>tcp|tls|ws|wss)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>[0-9]{1,5})/?$")
#: Seconds to wait for a scheduler to answer a connection (the probe) and for the client to connect.
CONNECT_TIMEOUT = 10.0
#: The first thing a Dask peer sends is the byte size of its handshake message: small.
_MAX_HANDSHAKE = 1 << 20


def check_scheduler_address(address: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a Dask scheduler address like tcp://host:8786 or host:8786; ValueError with what is expected."""
    match = _ADDRESS.match(str(address).strip())
    port = int(match["port"]) if match else 0
    if not match or not 1 <= port <= 65535:
        raise ValueError(f"expected a scheduler address like tcp://host:8786 (or host:8786), got {address!r}")
    return match["scheme"] or "tcp", match["host"].strip("[]"), port


def probe_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Check that a Dask scheduler answers at `address` before a client is built (ExecutorUnavailable, one line, if not).

    A Dask peer sends its handshake as soon as a connection opens, starting with the message's
    byte size. Nothing within `timeout` (an HTTP server, say, waits for a request) or a size no
    handshake has (foreign bytes) means something else listens there: without this check the
    client would wait forever, or try to allocate what the foreign bytes say.
    """
    import socket
    import struct

    scheme, host, port = check_scheduler_address(address)
    if scheme != "tcp":
        return  # TLS and websockets speak their own layer first; the client's timeout covers them
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            head = b""
            while len(head) < 8:
                more = sock.recv(8 - len(head))
                if not more:
                    raise ExecutorUnavailable(f"the peer at {address} closed the connection: not a Dask scheduler")
                head += more
    except TimeoutError:
        raise ExecutorUnavailable(f"nothing at {address} answered as a Dask scheduler within {timeout:g} s (is something else listening there?)") from None
    except OSError as exc:
        raise ExecutorUnavailable(f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}") from None
    (size,) = struct.unpack("<Q", head)
    if not 0 < size <= _MAX_HANDSHAKE:
        raise ExecutorUnavailable(f"the peer at {address} answered with bytes that are not Dask's: not a Dask scheduler")


class DaskExecutor(Executor):
    """Chunks as tasks on a Dask distributed cluster: a LocalCluster started here, or an existing one at `scheduler`.

    A worker process that dies takes its tasks with it; the scheduler reruns them on another
    worker (up to `distributed.scheduler.allowed-failures` times). Workers return the chunk
    file's bytes and this process writes them, so workers need no shared file system.
    """

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None, timeout: float = 30.0) -> None:
        distributed = import_distributed()
        self.cluster: LocalCluster | None = None
        self.client: Client | None = None
        self.scheduler = scheduler
        client: Client
        if scheduler:
            try:
                check_scheduler_address(scheduler)
            except ValueError as exc:
                raise ExecutorUnavailable(str(exc)) from None
            probe_scheduler(scheduler, min(timeout, CONNECT_TIMEOUT))
            try:
                client = distributed.Client(scheduler, timeout=timeout)
            except Exception as exc:  # OSError, TimeoutError, a protocol error from a peer that is not a scheduler
                text = " ".join(str(exc).split()) or type(exc).__name__
                raise ExecutorUnavailable(f"cannot connect to the Dask scheduler at {scheduler}: {text}") from None
        else:
            self.cluster = local_cluster(workers)
            client = distributed.Client(self.cluster)
        self.client = client
        threads = sum(client.nthreads().values()) or (workers or 1)  # type: ignore[no-untyped-call]  # distributed leaves Client.nthreads unannotated
        self.workers = threads
        self.max_in_flight = max(2, 2 * threads)

    def _connected(self) -> Client:
        if self.client is None:
            raise RuntimeError("the Dask executor is closed")
        return self.client

    def run(self, fn: Callable[[Task], Result], tasks: Iterable[Task]) -> Iterator[tuple[Task, Result | ChunkError]]:
        distributed = import_distributed()
        client = self._connected()
        todo = _Todo(tasks)
        pending: dict[DaskFuture[Result], Task] = {}
        completed = distributed.as_completed()

        def submit(task: Task) -> None:
            future = client.submit(fn, task, pure=False, key=f"sim-chunk-{task.name}-{os.urandom(4).hex()}")
            pending[future] = task
            completed.add(future)

        try:
            while todo and len(pending) < self.max_in_flight:
                submit(todo.popleft())
            for future in completed:
                task = pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # KilledWorker: the chunk took down worker after worker
                    result = ChunkError(task.name, f"lost on the Dask cluster: {type(exc).__name__}: {exc}")
                future.release()
                if todo:
                    submit(todo.popleft())
                yield task, result
        finally:
            for future in pending:
                future.cancel()  # type: ignore[no-untyped-call]  # distributed leaves Future.cancel unannotated

    def worker_pids(self) -> dict[str, int]:
        """Process ids of the cluster's workers (for tests that kill one)."""
        pids: dict[str, int] = self._connected().run(os.getpid)  # distributed leaves Client.run's return unannotated
        return pids

    def close(self) -> None:
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            client.close()
        cluster, self.cluster = self.cluster, None
        if cluster is not None:
            cluster.close()
