"""Chunked parallel map: local processes by default, the same call on a Ray cluster.

    results = parallel_map(score_chunk, chunks, n_jobs=2)              # processes
    results = parallel_map(score_chunk, chunks, backend="ray")         # Ray (pip install helixforge[scale])

`fn` must be a module-level function (picklable). Order of results follows `items`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from helixforge.core.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of `items` of at most `size` elements."""
    if size < 1:
        raise ConfigError("chunk size must be >= 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def available_cpus() -> int:
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


def parallel_map(
    fn: Callable[..., R],
    items: Iterable[Any],
    *,
    n_jobs: int | None = 1,
    backend: str = "process",
    **kwargs: Any,
) -> list[R]:
    """Apply `fn(item, **kwargs)` to each item; results in input order.

    backend: "process" (concurrent.futures, spawn-safe), "ray" (needs the [scale] extra), or
    "serial". With n_jobs == 1 the process backend runs serially in this process.
    """
    items = list(items)
    n_jobs = resolve_jobs(n_jobs)
    if backend == "serial" or (backend == "process" and (n_jobs == 1 or len(items) <= 1)):
        return [fn(item, **kwargs) for item in items]
    if backend == "process":
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(n_jobs, len(items))) as pool:
            futures = [pool.submit(fn, item, **kwargs) for item in items]
            return [f.result() for f in futures]
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
        remote = ray.remote(lambda item: fn(item, **kwargs))
        return ray.get([remote.remote(item) for item in items])
    raise ConfigError(
        f"unknown parallel backend {backend!r}", hint="use 'process', 'ray' or 'serial'"
    )
