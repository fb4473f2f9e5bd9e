"""The local backend: chunks screened in this process or a pool of worker processes.

`run_local(chunks, config, n_jobs, on_result)` keeps at most 2 × `n_jobs` chunks in flight
(bounded memory whatever the library size) and hands each finished chunk to `on_result` as
soon as it is done (the caller checkpoints it). Workers are forked after the models were
loaded in this process (`pipeline.output_columns` probes them), so they start warm — unless
torch is loaded (a D-MPNN run), then they start from a fork server and load the models once.

A worker that dies (the out-of-memory killer, a crash inside RDKit or a model library) does not
end the screen: the chunks in flight are screened again, each alone in a fresh worker; a chunk
that kills its worker even alone is bisected to the molecules that do, and those go to the
errors table ("the worker process was killed by SIGSEGV on this molecule") while the rest of
the chunk is screened (`core.parallel.isolate_killers`, shared with `chem admet`). With
`--jobs 1` the screen runs in this process, where a crash cannot be survived.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

from helixforge.chem.inputs import PROBE_SMILES
from helixforge.chem.screen.pipeline import ChunkResult, ScreenConfig, screen_chunk
from helixforge.core.parallel import WorkerDeath, run_in_fresh_worker
from helixforge.core.tables import TableChunk

OnResult = Callable[[int, TableChunk, ChunkResult], None]


def _screen(frame, errors, config: ScreenConfig) -> ChunkResult:
    return screen_chunk(frame, errors, config)


def run_local(
    chunks: Iterable[tuple[int, TableChunk]],
    config: ScreenConfig,
    n_jobs: int,
    on_result: OnResult,
) -> None:
    """Screen every (index, chunk) pair; `on_result(index, chunk, result)` per finished chunk."""
    if n_jobs <= 1:
        for k, chunk in chunks:
            on_result(k, chunk, screen_chunk(chunk.frame, chunk.errors, config))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from helixforge.core.parallel import available_cpus

    workers = max(1, min(n_jobs, available_cpus() * 4))
    context = multiprocessing.get_context(_start_method())
    chunks = iter(chunks)
    while True:  # one pass per pool: a dead worker breaks the pool, and a new one goes on
        pending: dict = {}
        crashed: list[tuple[int, TableChunk]] = []
        held: list[tuple[int, TableChunk]] = []  # taken from `chunks` when the pool broke
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            try:
                for k, chunk in chunks:
                    while len(pending) >= 2 * workers and not crashed:
                        crashed += _drain(pending, on_result, _wait_any(pending, pool), pool)
                    if not crashed:
                        try:
                            future = pool.submit(_screen, chunk.frame, chunk.errors, config)
                            pending[future] = (k, chunk)
                            continue
                        except BrokenProcessPool:
                            pass
                    held.append((k, chunk))
                    break
                while pending and not crashed and not held:
                    crashed += _drain(pending, on_result, _wait_any(pending, pool), pool)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        crashed += _drain(pending, on_result, list(pending), pool)  # the pool is shut: all done
        if not crashed and not held:
            return
        for k, chunk in sorted(crashed, key=lambda kc: kc[0]):
            on_result(k, chunk, _isolated(chunk, config, context))
        chunks = itertools.chain(held, chunks)


def _run_alone(frame, errors, config: ScreenConfig, context) -> ChunkResult | WorkerDeath:
    """Screen in a fresh one-worker pool: the result, or how the worker died."""
    return run_in_fresh_worker(_screen, frame, errors, config, mp_context=context)


def _isolated(chunk: TableChunk, config: ScreenConfig, context) -> ChunkResult:
    """A chunk whose worker died: alone, then without the molecules that kill a worker
    (`core.parallel.isolate_killers`)."""
    from helixforge.core.errors import RowErrors
    from helixforge.core.parallel import isolate_killers

    frame = chunk.frame
    result = _run_alone(frame, chunk.errors, config, context)
    if not isinstance(result, WorkerDeath):
        return result

    def run(keep: list[int], killers: list[tuple[int, WorkerDeath]]) -> ChunkResult | WorkerDeath:
        if not killers:  # a probe: the molecules at `keep` alone, no errors to carry
            return _run_alone(frame.iloc[keep], RowErrors(), config, context)
        errors = RowErrors(config.source or None)
        errors.extend(chunk.errors)
        col = config.input_col
        for pos, death in killers:
            row = frame.index[pos]
            errors.add(
                int(row), col, frame.at[row, col],
                f"the worker process {death.how} on this molecule (a crash in RDKit or a model "
                "library); screen it on its own to see why",
            )  # fmt: skip
        return _run_alone(frame.iloc[keep], errors, config, context)

    def probe() -> ChunkResult | WorkerDeath:  # a known-good molecule through every model
        known = frame.iloc[:1].copy()
        known[config.input_col] = PROBE_SMILES
        return _run_alone(known, RowErrors(), config, context)

    lines = f"lines {frame.index.min()}–{frame.index.max()} of the library"
    return isolate_killers(run, len(frame), result, lines, unit="molecule", probe=probe)[0]


def _start_method() -> str:
    """fork (workers start warm, models already loaded) unless torch was used here: its OpenMP
    thread pool does not survive a fork, so D-MPNN screens start workers from a fork server."""
    import sys

    return "forkserver" if "torch" in sys.modules else "fork"


def _wait_any(pending: dict, pool) -> set:
    """The futures in `pending` that are done, once one is; all of them once the pool is
    broken (a future it orphaned would never be: see `core.parallel.pool_result`)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    while True:
        done = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED).done
        if done or pool._broken:
            return done or set(pending)


def _drain(pending: dict, on_result: OnResult, done, pool) -> list[tuple[int, TableChunk]]:
    """Hand finished chunks to `on_result` in chunk order (deterministic checkpoints); the
    chunks whose worker died are returned instead."""
    from concurrent.futures.process import BrokenProcessPool

    from helixforge.core.parallel import pool_result

    crashed = []
    for future in sorted(done, key=lambda f: pending[f][0]):
        k, chunk = pending.pop(future)
        try:
            result = pool_result(future, pool)
        except BrokenProcessPool:
            crashed.append((k, chunk))
            continue
        on_result(k, chunk, result)
    return crashed
