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
the chunk is screened. With `--jobs 1` the screen runs in this process, where a crash cannot be
survived.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

from helixforge.chem.screen.pipeline import ChunkResult, ScreenConfig, screen_chunk
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
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
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
                        done = wait(pending, return_when=FIRST_COMPLETED).done
                        crashed += _drain(pending, on_result, done)
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
                    done = wait(pending, return_when=FIRST_COMPLETED).done
                    crashed += _drain(pending, on_result, done)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        crashed += _drain(pending, on_result, list(pending))  # the pool is shut: all are done
        if not crashed and not held:
            return
        for k, chunk in sorted(crashed, key=lambda kc: kc[0]):
            on_result(k, chunk, _isolated(chunk, config, context))
        chunks = itertools.chain(held, chunks)


def _run_alone(frame, errors, config: ScreenConfig, context) -> ChunkResult | int:
    """Screen in a fresh one-worker pool: the result, or the worker's exit code if it died."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(_screen, frame, errors, config)
        procs = list((pool._processes or {}).values())
        try:
            return future.result()
        except BrokenProcessPool:
            for proc in procs:
                proc.join(timeout=5)
            # 0 when the exit code could not be read: "died", no signal named (never a guess)
            return next((p.exitcode for p in procs if p.exitcode is not None), 0)


def _isolated(chunk: TableChunk, config: ScreenConfig, context) -> ChunkResult:
    """A chunk whose worker died: alone, then without the molecules that kill a worker."""
    from helixforge.core.errors import RowErrors
    from helixforge.core.parallel import how_it_died, worker_crashed

    frame = chunk.frame
    lines = f"lines {frame.index.min()}–{frame.index.max()} of the library"
    result = _run_alone(frame, chunk.errors, config, context)
    if isinstance(result, ChunkResult):
        return result
    if not isinstance(_run_alone(frame.iloc[:0], RowErrors(), config, context), ChunkResult):
        # a worker dies whatever it is given (models, memory): no molecule is to blame
        raise worker_crashed(f"{lines}, and on no molecule at all", result)
    killers = _killers(frame, config, context, known=result)
    if not killers:  # no molecule kills a worker alone: the whole chunk was too much
        raise worker_crashed(lines, result)
    errors = RowErrors(config.source or None)
    errors.extend(chunk.errors)
    col = config.input_col
    for row, code in killers:
        how = how_it_died(code)[0]
        errors.add(
            int(row), col, frame.at[row, col],
            f"the worker process {how} on this molecule (a crash in RDKit or a model library); "
            "screen it on its own to see why",
        )  # fmt: skip
    result = _run_alone(frame.drop(index=[row for row, _ in killers]), errors, config, context)
    if not isinstance(result, ChunkResult):
        raise worker_crashed(f"{lines} without the molecules that killed it", result)
    return result


def _killers(frame, config: ScreenConfig, context, known: int | None = None) -> list:
    """(row, exit code) of each molecule that kills a worker on its own, found by bisection;
    `known`: the exit code of a run of this very frame (it is not run again)."""
    from helixforge.core.errors import RowErrors

    result = known if known is not None else _run_alone(frame, RowErrors(), config, context)
    if isinstance(result, ChunkResult):
        return []
    if len(frame) == 1:
        return [(frame.index[0], result)]
    half = len(frame) // 2
    return _killers(frame.iloc[:half], config, context) + _killers(
        frame.iloc[half:], config, context
    )


def _start_method() -> str:
    """fork (workers start warm, models already loaded) unless torch was used here: its OpenMP
    thread pool does not survive a fork, so D-MPNN screens start workers from a fork server."""
    import sys

    return "forkserver" if "torch" in sys.modules else "fork"


def _drain(pending: dict, on_result: OnResult, done) -> list[tuple[int, TableChunk]]:
    """Hand finished chunks to `on_result` in chunk order (deterministic checkpoints); the
    chunks whose worker died are returned instead."""
    from concurrent.futures.process import BrokenProcessPool

    crashed = []
    for future in sorted(done, key=lambda f: pending[f][0]):
        k, chunk = pending.pop(future)
        try:
            result = future.result()
        except BrokenProcessPool:
            crashed.append((k, chunk))
            continue
        on_result(k, chunk, result)
    return crashed
