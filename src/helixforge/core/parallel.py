"""Chunked parallel map: local processes by default, the same call on a Ray cluster.

    results = parallel_map(score_chunk, chunks, n_jobs=2)              # processes
    results = parallel_map(score_chunk, chunks, backend="ray")         # Ray (pip install helixforge[scale])

`fn` must be a module-level function (picklable). The guarantees:

- Results follow `items`, and do not depend on `n_jobs`, the backend or `chunk_size` (how
  many items one worker task takes): each item is processed on its own. With `seed`, the
  global random generators (Python, NumPy, and torch when loaded) are seeded from
  (seed, item index) before each item, so even an `fn` that draws random numbers gives the
  same results whichever worker runs it.
- An exception in `fn` is re-raised in the caller with its own type and message; it carries
  the failing item's position as `exc.item_index` and a note "parallel_map: item N". When
  several items fail, the one with the lowest index is reported, whatever the worker count.
- A worker process that dies (killed by the out-of-memory killer, or a crash inside a compiled
  library) does not end the job: the items it and its siblings had not finished run again in a
  new pool; those that die again run one at a time, each in a fresh worker, so the job finishes
  when the crash came from too many workers' memory at once. An item that kills its worker even
  alone raises `WorkerCrashedError` naming the item and, when its exit status can be read
  (concurrent.futures sometimes reaps it first), the signal (`exc.item_index`, `exc.signal`,
  else None) — unless the caller passes `on_crash`, which then gives that item's result.
- Input-level isolation (`isolate_killers`, used by `chem admet` through `on_crash` and by
  `chem screen`'s own pool): when an item is a chunk of many inputs (molecules), a chunk that
  kills its worker alone is bisected, each part in a fresh worker (`run_in_fresh_worker`), down
  to the inputs that kill a worker on their own; the caller reports those as bad inputs and
  gets the rest's result. A worker that dies on a known-good input (or none) stops the job
  (`WorkerCrashedError`).

A crash in this very process (n_jobs == 1, the serial backend) cannot be survived: run jobs
over untrusted inputs with n_jobs >= 2.
"""

from __future__ import annotations

import os
import pickle
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from helixforge.core.errors import ConfigError, WorkerCrashedError

T = TypeVar("T")
R = TypeVar("R")


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of `items` of at most `size` elements."""
    if size < 1:
        raise ConfigError("chunk size must be >= 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def available_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def resolve_jobs(n_jobs: int | None) -> int:
    """n_jobs: None or 0 → 1; -1 → all CPUs; otherwise as given."""
    if not n_jobs:
        return 1
    if n_jobs < 0:
        return available_cpus()
    return n_jobs


def item_seed(seed: int, index: int) -> int:
    """The seed of item `index` under run seed `seed` (independent of workers and chunks)."""
    import numpy as np

    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def _seed_globals(seed: int) -> None:
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _call(fn: Callable[..., R], index: int, item: Any, seed: int | None, kwargs: dict) -> R:
    """fn(item, **kwargs), seeded for this item; a failure is tagged with the item index."""
    if seed is not None:
        _seed_globals(item_seed(seed, index))
    try:
        return fn(item, **kwargs)
    except Exception as exc:
        exc.item_index = index  # type: ignore[attr-defined]
        exc.add_note(f"parallel_map: item {index}")
        raise


def _run_chunk(
    fn: Callable[..., R], start: int, items: Sequence[Any], seed: int | None, kwargs: dict
) -> list[R]:
    """Worker task: items start, start+1, ... in order. Exceptions that cannot travel back to
    the parent (unpicklable) are replaced by a RuntimeError with the same text."""
    try:
        return [_call(fn, start + k, item, seed, kwargs) for k, item in enumerate(items)]
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            index = getattr(exc, "item_index", start)
            err = RuntimeError(f"item {index}: {type(exc).__name__}: {exc}")
            err.item_index = index  # type: ignore[attr-defined]
            raise err from None
        raise


def _pool_pass(
    fn: Callable[..., R],
    items: list,
    starts: list[int],
    size: int,
    seed: int | None,
    kwargs: dict,
    workers: int,
    done: dict[int, list[R]],
    on_crash: OnCrash | None = None,
) -> list[int]:
    """Run the chunks at `starts` in one process pool, filling `done`; the starts a dead
    worker took down with it (or that could not be submitted to the broken pool) are
    returned. An exception from `fn` is raised for the lowest failing item."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    broken: list[int] = []
    failed: tuple[int, BaseException] | None = None
    pool = ProcessPoolExecutor(max_workers=min(workers, len(starts)))
    try:
        futures = {}
        for start in starts:
            try:
                futures[start] = pool.submit(
                    _run_chunk, fn, start, items[start : start + size], seed, kwargs
                )
            except BrokenProcessPool:  # a worker died while the rest were being submitted
                break
        for start in starts:  # in item order: the lowest failing index is raised
            if start not in futures:
                broken.append(start)
                continue
            try:
                done[start] = pool_result(futures[start], pool)
            except BrokenProcessPool:
                broken.append(start)
            except Exception as exc:
                failed = (start, exc)
                break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if failed is not None and not any(b < failed[0] for b in broken):
        raise failed[1]
    if failed is not None:  # a lower item may fail too: settle those before raising
        for start in [b for b in broken if b < failed[0]]:
            done[start] = _chunk_alone(fn, items, start, size, seed, kwargs, on_crash)
        raise failed[1]
    return broken


def pool_result(future, pool) -> Any:
    """`future.result()` for a future of the ProcessPoolExecutor `pool`, raising
    BrokenProcessPool also for a future the broken pool orphaned: on CPython < 3.12 a task
    submitted while a worker died can stay pending forever (the pool fails its pending tasks
    without the lock `submit` takes), and the job hung."""
    from concurrent.futures.process import BrokenProcessPool

    while True:
        try:
            return future.result(timeout=1.0)
        except TimeoutError:
            if pool._broken and not future.done():  # no worker is left to finish it
                raise BrokenProcessPool(pool._broken) from None


def _chunk_alone(
    fn: Callable[..., R],
    items: list,
    start: int,
    size: int,
    seed: int | None,
    kwargs: dict,
    on_crash: OnCrash | None = None,
) -> list[R]:
    """The chunk at `start`, each of its items alone in a fresh worker (`_alone`)."""
    return [
        r
        for k in range(start, min(start + size, len(items)))
        for r in _alone(fn, k, items[k], seed, kwargs, on_crash)
    ]


def _alone(
    fn: Callable[..., R],
    index: int,
    item: Any,
    seed: int | None,
    kwargs: dict,
    on_crash: OnCrash | None = None,
) -> list[R]:
    """Item `index` in a fresh one-worker pool: a crash there is this item's own (raised, or
    handed to `on_crash` for the item's result)."""
    result = run_in_fresh_worker(_run_chunk, fn, index, [item], seed, kwargs)
    if not isinstance(result, WorkerDeath):
        return result
    if on_crash is not None:
        return [on_crash(index, item, result)]
    raise worker_crashed(f"item {index}", result.exitcode, index)


@dataclass(frozen=True)
class WorkerDeath:
    """A worker process that died: its exit code (< 0: killed by that signal), None when
    concurrent.futures reaped it before it could be read."""

    exitcode: int | None

    @property
    def how(self) -> str:
        """'was killed by SIGSEGV', or 'died' when no signal can be named."""
        return how_it_died(self.exitcode)[0]

    @property
    def signal(self) -> str | None:
        """'SIGSEGV', 'SIGKILL', …, or None when no signal can be named."""
        return how_it_died(self.exitcode)[1]


OnCrash = Callable[[int, Any, WorkerDeath], Any]


def run_in_fresh_worker(fn: Callable[..., R], *args: Any, mp_context=None) -> R | WorkerDeath:
    """`fn(*args)` in a fresh one-worker process pool: its result, or a `WorkerDeath` when the
    worker died (an exception from `fn` is raised here as usual). `fn` and `args` must pickle;
    `mp_context`: a multiprocessing context (default: the platform's)."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=1, mp_context=mp_context) as pool:
        future = pool.submit(fn, *args)
        workers = list((pool._processes or {}).values())  # the one worker, to read its exit code
        try:
            return pool_result(future, pool)
        except BrokenProcessPool:
            for proc in workers:
                proc.join(timeout=5)
            return WorkerDeath(next((p.exitcode for p in workers if p.exitcode is not None), None))


Run = Callable[[list[int], list[tuple[int, WorkerDeath]]], Any]


def isolate_killers(
    run: Run,
    n: int,
    death: WorkerDeath,
    what: str,
    unit: str = "input",
    probe: Callable[[], Any] | None = None,
) -> tuple[Any, list[tuple[int, WorkerDeath]]]:
    """A task over `n` inputs (the molecules of a chunk) whose worker died (`death`) even when
    it ran alone: the result of the task without the inputs that kill a worker on their own,
    and those inputs as (position, death), ascending.

    `run(keep, killers)` runs the task on the inputs at positions `keep` (0-based, ascending)
    in a fresh worker (`run_in_fresh_worker`) and returns its result or the `WorkerDeath`;
    `killers` holds (position, death) of the inputs left out (empty for every run but the
    last), for the caller to report them as it reports bad inputs. The runs: the `probe` (a
    known-good input through the whole task in a fresh worker, returning its result or the
    `WorkerDeath`; default `run([], [])`, which proves little when the task returns early on no
    input — pass one that reaches the model); a worker that dies on it dies whatever it is
    given (`WorkerCrashedError` "…, and on a known-good <unit>", no bisection); then halves of
    the failing part down to single inputs, then all inputs but the killers. `WorkerCrashedError` naming `what` also when no single input kills
    a worker (the whole chunk was too much) or the rest still does."""
    if isinstance(probe() if probe is not None else run([], []), WorkerDeath):
        # a worker dies whatever it is given (models, memory): no input is to blame
        raise worker_crashed(
            f"{what}, and on " + (f"a known-good {unit}" if probe else f"no {unit} at all"),
            death.exitcode,
            hint="the worker dies whatever it is given, so no input is to blame: free memory "
            "(SIGKILL usually comes from the out-of-memory killer), or check the installation "
            "of the compiled libraries it loads",
        )
    killers = _bisect(run, list(range(n)), death)
    if not killers:  # no input kills a worker alone: the whole chunk was too much
        raise worker_crashed(what, death.exitcode)
    gone = {p for p, _ in killers}
    result = run([p for p in range(n) if p not in gone], killers)
    if isinstance(result, WorkerDeath):
        raise worker_crashed(f"{what} without the {unit}s that killed it", result.exitcode)
    return result, killers


def _bisect(
    run: Run, positions: list[int], known: WorkerDeath | None = None
) -> list[tuple[int, WorkerDeath]]:
    """(position, death) of each input in `positions` that kills a worker on its own, found by
    bisection; `known`: the death of a run of these very positions (not run again)."""
    result = known if known is not None else run(positions, [])
    if not isinstance(result, WorkerDeath):
        return []
    if len(positions) == 1:
        return [(positions[0], result)]
    half = len(positions) // 2
    return _bisect(run, positions[:half]) + _bisect(run, positions[half:])


def how_it_died(exitcode: int | None) -> tuple[str, str | None]:
    """("was killed by SIGKILL", "SIGKILL") for a worker's exit code (< 0: a signal)."""
    import signal as signals

    sig = -exitcode if exitcode is not None and exitcode < 0 else None
    name = signals.Signals(sig).name if sig in signals.valid_signals() else None
    return (f"was killed by {name}" if name else "died"), name


def worker_crashed(
    what: str, exitcode: int | None, index: int | None = None, hint: str | None = None
) -> WorkerCrashedError:
    """The error for a worker process that died on `what` (exit code < 0: killed by a signal);
    `hint`: the fix, when the caller knows better than the signal tells."""
    how, name = how_it_died(exitcode)
    if hint is None:
        hint = _crash_hint(name)
    err = WorkerCrashedError(f"a worker process {how} on {what}, also when run alone", hint=hint)
    err.item_index, err.signal = index, name  # type: ignore[attr-defined]
    return err


def _crash_hint(signal: str | None) -> str:
    """What to do about a worker killed by `signal` (None: the exit status was not read)."""
    if signal == "SIGKILL":
        return (
            "SIGKILL usually comes from the out-of-memory killer: free memory, or split the "
            "input into smaller files"
        )
    if signal is None:  # the exit status was reaped before it could be read
        return (
            "it ran out of memory (free memory, or split the input into smaller files) or a "
            "compiled library crashed on this input (remove it from the input and report it)"
        )
    return "a compiled library crashed on this input: remove it from the input and report it"


def _serial(fn: Callable[..., R], items: list, seed: int | None, kwargs: dict) -> list[R]:
    if seed is None:
        return [_call(fn, i, item, None, kwargs) for i, item in enumerate(items)]
    import numpy as np

    saved = random.getstate(), np.random.get_state()
    try:
        return [_call(fn, i, item, seed, kwargs) for i, item in enumerate(items)]
    finally:  # the caller's own random streams are left as they were
        random.setstate(saved[0])
        np.random.set_state(saved[1])


def parallel_map(
    fn: Callable[..., R],
    items: Iterable[Any],
    *,
    n_jobs: int | None = 1,
    backend: str = "process",
    chunk_size: int | None = None,
    seed: int | None = None,
    on_crash: OnCrash | None = None,
    **kwargs: Any,
) -> list[R]:
    """Apply `fn(item, **kwargs)` to each item; results in input order.

    backend: "process" (concurrent.futures), "ray" (needs the [scale] extra), or "serial".
    With n_jobs == 1 the process backend runs serially in this process. `chunk_size`: items
    per worker task for the process backend (default 1: callers usually pass items that are
    already chunks); it changes scheduling only, never results. `seed`: see the module
    docstring. `on_crash(index, item, death)` (process backend): the result of an item that
    kills its worker even alone (`death`: a `WorkerDeath`), instead of `WorkerCrashedError`;
    it runs in this process (e.g. `isolate_killers` over the item's inputs, unseeded), and
    with it a single item also runs in a worker when n_jobs > 1, so that its crash is caught.
    """
    items = list(items)
    n_jobs = resolve_jobs(n_jobs)
    if chunk_size is not None and chunk_size < 1:
        raise ConfigError(f"chunk_size must be >= 1, got {chunk_size}")
    in_process = len(items) == 0 or (len(items) == 1 and on_crash is None)
    if backend == "serial" or (backend == "process" and (n_jobs == 1 or in_process)):
        return _serial(fn, items, seed, kwargs)
    if backend == "process":
        workers = min(n_jobs, len(items))
        size = chunk_size or 1
        starts = list(range(0, len(items), size))
        done: dict[int, list[R]] = {}
        todo = _pool_pass(fn, items, starts, size, seed, kwargs, workers, done, on_crash)
        if todo:  # a worker died: its unfinished items once more, in a new pool
            todo = _pool_pass(fn, items, todo, size, seed, kwargs, workers, done, on_crash)
        for start in todo:  # died twice: one item at a time, each in a fresh worker
            done[start] = _chunk_alone(fn, items, start, size, seed, kwargs, on_crash)
        return [r for start in starts for r in done[start]]
    if backend == "ray":
        try:
            import ray
        except ImportError as exc:
            raise ConfigError(
                "backend 'ray' needs Ray", hint="pip install 'helixforge[scale]'"
            ) from exc
        if not ray.is_initialized():
            ray.init(
                num_cpus=n_jobs if n_jobs > 1 else None,
                ignore_reinit_error=True,
                include_dashboard=False,
            )
        remote = ray.remote(lambda index, item: _call(fn, index, item, seed, kwargs))
        return ray.get([remote.remote(i, item) for i, item in enumerate(items)])
    raise ConfigError(
        f"unknown parallel backend {backend!r}", hint="use 'process', 'ray' or 'serial'"
    )
