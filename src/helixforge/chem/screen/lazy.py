"""Deferred work: filters, ADMET and scaffolds only for a chunk's best-scoring molecules.

Without `--all-out` nobody sees a molecule that does not reach its chunk's pool, so when the
score does not read the filter / ADMET columns, those (and the scaffolds) are computed only
for the chunk's candidates in pool order — score descending, row ascending — a batch at a
time, until the pool is full. PAINS / Brenk / NIH alert matching costs more than the models
themselves, so this is most of a filtered screen's time.

The pool is the one the eager path builds (same molecules, same order): the walk visits the
candidates in the pool's own order and applies the same pruning and cut. When it stops with
molecules left unvisited, the first of them is the cut-off — never later than the eager
cut-off, so `topk.TopK`'s exactness certificate stays valid (without a distance rule it still
always holds: every hit ranks before the last pool entry, see `topk`).
"""

from __future__ import annotations

import pandas as pd

from helixforge.chem.screen.topk import ROW, SCORE, Key, merge_pools, order


def lazy_pool(candidates: pd.DataFrame, config, parts) -> tuple[pd.DataFrame, Key | None, int, int]:
    """(pool, cut-off, molecules the filters ran on, how many passed) for the candidates with
    a finite score; `parts` says which column groups are still to compute."""
    from helixforge.chem.screen.pipeline import (
        CANONICAL,
        join_columns,
        molecule_columns,
        passes_filters,
        typed_columns,
    )

    ordered = order(candidates)
    step = max(config.pool, 32)
    pool: pd.DataFrame | None = None
    cutoff: Key | None = None
    filtered = eligible = pos = 0
    while pos < len(ordered):
        batch = ordered.iloc[pos : pos + step].reset_index(drop=True)
        pos += len(batch)
        unique = list(dict.fromkeys(batch[CANONICAL].tolist()))
        batch = join_columns(batch, molecule_columns(config, unique, parts), unique)
        if config.columns:
            batch = typed_columns(batch, config)
        ok = passes_filters(batch, config.filters)
        filtered += len(batch)
        eligible += int(ok.sum())
        frames = [batch[ok]] if pool is None else [pool, batch[ok]]
        pool, cutoff = merge_pools(frames, config.diversity, config.pool)
        if cutoff is not None:
            break
        if len(pool) >= config.pool and pos < len(ordered):
            nxt = ordered.iloc[pos]
            cutoff = (-float(nxt[SCORE]), int(nxt[ROW]))
            break
    if pool is None:
        pool = typed_columns(ordered, config, False) if config.columns else ordered
    return pool, cutoff, filtered, eligible
