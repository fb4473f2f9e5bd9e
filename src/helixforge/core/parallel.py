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
  else None).
"""

from __future__ import annotations

import os
import pickle
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
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
                done[start] = futures[start].result()
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
            done[start] = _chunk_alone(fn, items, start, size, seed, kwargs)
        raise failed[1]
    return broken


def _chunk_alone(
    fn: Callable[..., R], items: list, start: int, size: int, seed: int | None, kwargs: dict
) -> list[R]:
    """The chunk at `start`, each of its items alone in a fresh worker (`_alone`)."""
    return [
        r
        for k in range(start, min(start + size, len(items)))
        for r in _alone(fn, k, items[k], seed, kwargs)
    ]


def _alone(fn: Callable[..., R], index: int, item: Any, seed: int | None, kwargs: dict) -> list[R]:
    """Item `index` in a fresh one-worker pool: a crash there is this item's own."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_run_chunk, fn, index, [item], seed, kwargs)
        workers = list((pool._processes or {}).values())  # the one worker, to read its exit code
        try:
            return future.result()
        except BrokenProcessPool:
            for proc in workers:
                proc.join(timeout=5)
            code = next((p.exitcode for p in workers if p.exitcode is not None), None)
            raise worker_crashed(f"item {index}", code, index) from None


def how_it_died(exitcode: int | None) -> tuple[str, str | None]:
    """("was killed by SIGKILL", "SIGKILL") for a worker's exit code (< 0: a signal)."""
    import signal as signals

    sig = -exitcode if exitcode is not None and exitcode < 0 else None
    name = signals.Signals(sig).name if sig in signals.valid_signals() else None
    return (f"was killed by {name}" if name else "died"), name


def worker_crashed(what: str, exitcode: int | None, index: int | None = None) -> WorkerCrashedError:
    """The error for a worker process that died on `what` (exit code < 0: killed by a signal)."""
    how, name = how_it_died(exitcode)
    if name == "SIGKILL":
        hint = (
            "SIGKILL usually comes from the out-of-memory killer: free memory, or split the "
            "input into smaller files"
        )
    elif name is None:  # the exit status was reaped before it could be read
        hint = (
            "it ran out of memory (free memory, or split the input into smaller files) or a "
            "compiled library crashed on this input (remove it from the input and report it)"
        )
    else:
        hint = "a compiled library crashed on this input: remove it from the input and report it"
    err = WorkerCrashedError(f"a worker process {how} on {what}, also when run alone", hint=hint)
    err.item_index, err.signal = index, name  # type: ignore[attr-defined]
    return err


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
    **kwargs: Any,
) -> list[R]:
    """Apply `fn(item, **kwargs)` to each item; results in input order.

    backend: "process" (concurrent.futures), "ray" (needs the [scale] extra), or "serial".
    With n_jobs == 1 the process backend runs serially in this process. `chunk_size`: items
    per worker task for the process backend (default 1: callers usually pass items that are
    already chunks); it changes scheduling only, never results. `seed`: see the module
    docstring.
    """
    items = list(items)
    n_jobs = resolve_jobs(n_jobs)
    if chunk_size is not None and chunk_size < 1:
        raise ConfigError(f"chunk_size must be >= 1, got {chunk_size}")
    if backend == "serial" or (backend == "process" and (n_jobs == 1 or len(items) <= 1)):
        return _serial(fn, items, seed, kwargs)
    if backend == "process":
        workers = min(n_jobs, len(items))
        size = chunk_size or 1
        starts = list(range(0, len(items), size))
        done: dict[int, list[R]] = {}
        todo = _pool_pass(fn, items, starts, size, seed, kwargs, workers, done)
        if todo:  # a worker died: its unfinished items once more, in a new pool
            todo = _pool_pass(fn, items, todo, size, seed, kwargs, workers, done)
        for start in todo:  # died twice: one item at a time, each in a fresh worker
            done[start] = _chunk_alone(fn, items, start, size, seed, kwargs)
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
