"""The local backend: chunks screened in this process or a pool of worker processes.

`run_local(chunks, config, n_jobs, on_result)` keeps at most 2 × `n_jobs` chunks in flight
(bounded memory whatever the library size) and hands each finished chunk to `on_result` as
soon as it is done (the caller checkpoints it). Workers are forked after the models were
loaded in this process (`pipeline.output_columns` probes them), so they start warm — unless
torch is loaded (a D-MPNN run), then they start from a fork server and load the models once.
"""

from __future__ import annotations

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

    from helixforge.core.parallel import available_cpus

    workers = max(1, min(n_jobs, available_cpus() * 4))
    context = multiprocessing.get_context(_start_method())
    pending: dict = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        try:
            for k, chunk in chunks:
                while len(pending) >= 2 * workers:
                    _drain(pending, on_result, wait(pending, return_when=FIRST_COMPLETED).done)
                pending[pool.submit(_screen, chunk.frame, chunk.errors, config)] = (k, chunk)
            while pending:
                _drain(pending, on_result, wait(pending, return_when=FIRST_COMPLETED).done)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _start_method() -> str:
    """fork (workers start warm, models already loaded) unless torch was used here: its OpenMP
    thread pool does not survive a fork, so D-MPNN screens start workers from a fork server."""
    import sys

    return "forkserver" if "torch" in sys.modules else "fork"


def _drain(pending: dict, on_result: OnResult, done) -> None:
    """Hand finished chunks to `on_result` in chunk order (deterministic checkpoints)."""
    for future in sorted(done, key=lambda f: pending[f][0]):
        k, chunk = pending.pop(future)
        on_result(k, chunk, future.result())
