"""Top-K hits with diversity, exact when merged from per-chunk candidate pools.

The hit rule (`select_hits`): walk the molecules that passed every filter and have a finite
score in the order (score descending, input row ascending — a total order, so ties are
broken the same way everywhere) and accept a molecule unless

1. its canonical SMILES is already among the hits (a library's duplicates count once),
2. `max_per_scaffold` hits already share its Bemis–Murcko scaffold (an acyclic molecule,
   whose scaffold is empty, or one whose scaffold could not be computed, is a group of its
   own: `scaffold_groups`), or
3. its Tanimoto distance (ECFP4, 2048 bits) to a hit is below `min_distance`;

stop at K hits. Each decision depends only on molecules earlier in the order.

Chunks never see the whole library, so each keeps a *pool*: its own molecules in that
order, minus those it can already prove the rule rejects (a repeat of an earlier canonical
SMILES; with no distance rule, a molecule with `max_per_scaffold` earlier distinct molecules
of its scaffold — each of those is a hit or was rejected for a reason that rejects this one
too), cut to `pool` entries. Pools merge with a heap (`heapq.merge` over the sorted pools,
the same pruning, the same cut); the merge of merges is again a pool, so the order chunks
finish in does not matter. Every cut records its *cut-off* (the first molecule it dropped).

Exactness: every molecule before the earliest cut-off that the pruning did not reject is in
the final pool, and the rule's decision for a molecule depends only on earlier ones, so
`select_hits` over the pool gives the global answer as long as its K-th hit comes before
the earliest cut-off (or there was no cut). `TopK.result()` checks exactly that and says
`exact`. Without a distance rule the pool size `3·K` always suffices: before a hit m, a
pool holds fewer than K hits, fewer than K molecules of scaffolds that already have
`max_per_scaffold` hits before m (at most `max_per_scaffold` of each, and fewer than
K/`max_per_scaffold` such scaffolds) and fewer than K repeats of earlier hits — so m is
within the first 3K − 2. With a distance rule no such bound exists (many mutually distant
molecules can all be close to one hit from another chunk); the pool is `10·K` by default
and `exact` is False when it was not enough.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError

Key = tuple[float, int]  # (-score, row): smaller comes first
SCORE, ROW, CANONICAL, SCAFFOLD = "score", "row", "canonical_smiles", "scaffold"
RANK = "rank"  # the hits table's first column: 1 = best


@dataclass(frozen=True)
class Diversity:
    """The diversity part of the hit rule (see module doc)."""

    max_per_scaffold: int | None = None
    min_distance: float | None = None

    def __post_init__(self) -> None:
        from helixforge.core.options import require_float, require_int

        if self.max_per_scaffold is not None:
            require_int(self.max_per_scaffold, "--max-per-scaffold", min_value=1)
        if self.min_distance is not None:
            require_float(self.min_distance, "--min-distance", low=0.0, high=1.0)

    @property
    def needs_scaffolds(self) -> bool:
        return self.max_per_scaffold is not None


def scaffold_groups(frame: pd.DataFrame) -> list:
    """The `max_per_scaffold` group of each row: its Bemis–Murcko scaffold, or, for an
    acyclic molecule (empty scaffold) or one without a scaffold (None), its own canonical
    SMILES — as a tuple, so it never equals a scaffold string. The empty scaffold made every
    acyclic molecule of a library one group: at most K of them could ever be hits."""
    return [
        scaf if isinstance(scaf, str) and scaf else ("molecule", smi)
        for scaf, smi in zip(frame[SCAFFOLD].tolist(), frame[CANONICAL].tolist())
    ]


def default_pool(top: int, diversity: Diversity) -> int:
    """Candidates each chunk keeps: 3·K (provably enough without a distance rule), else 10·K."""
    return (10 if diversity.min_distance else 3) * top


def order(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` sorted by score descending, then row ascending."""
    idx = np.lexsort((frame[ROW].to_numpy(np.int64), -frame[SCORE].to_numpy(float)))
    return frame.iloc[idx].reset_index(drop=True)


def _keys(frame: pd.DataFrame, source: int):
    scores = (-frame[SCORE].to_numpy(float)).tolist()
    rows = frame[ROW].to_numpy(np.int64).tolist()
    return ((s, r, source, i) for i, (s, r) in enumerate(zip(scores, rows)))


def merge_pools(
    frames: Sequence[pd.DataFrame], diversity: Diversity, pool: int
) -> tuple[pd.DataFrame, Key | None]:
    """One pool from sorted pools (or one chunk's sorted candidates): heap merge, pruning,
    cut at `pool`. Returns the pool and the key of the first molecule the cut dropped."""
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return (frames[0] if frames else pd.DataFrame()), None
    frames = nonempty
    canon = [f[CANONICAL].tolist() for f in frames]
    scaf_cap = diversity.max_per_scaffold if not diversity.min_distance else None
    scafs = [scaffold_groups(f) for f in frames] if scaf_cap else None
    seen: set[str] = set()
    per_scaffold: dict = {}
    kept: list[tuple[int, int]] = []
    cutoff: Key | None = None
    for score, row, src, i in heapq.merge(*(_keys(f, k) for k, f in enumerate(frames))):
        smi = canon[src][i]
        if smi in seen:
            continue
        if scaf_cap:
            scaf = scafs[src][i]  # type: ignore[index]
            if per_scaffold.get(scaf, 0) >= scaf_cap:
                continue
        if len(kept) == pool:
            cutoff = (score, row)
            break
        seen.add(smi)
        if scaf_cap:
            per_scaffold[scaf] = per_scaffold.get(scaf, 0) + 1
        kept.append((src, i))
    merged = pd.concat(_runs(frames, kept), ignore_index=True) if kept else frames[0].iloc[:0]
    return merged, cutoff


def _runs(frames: Sequence[pd.DataFrame], kept: list[tuple[int, int]]) -> list[pd.DataFrame]:
    """Kept rows as slices of consecutive positions of one frame (few concat pieces)."""
    out, start = [], 0
    for j in range(1, len(kept) + 1):
        if j == len(kept) or kept[j][0] != kept[start][0] or kept[j][1] != kept[j - 1][1] + 1:
            src = kept[start][0]
            out.append(frames[src].iloc[kept[start][1] : kept[j - 1][1] + 1])
            start = j
    return out


def _earlier(a: Key | None, b: Key | None) -> Key | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def chunk_pool(
    candidates: pd.DataFrame, diversity: Diversity, pool: int
) -> tuple[pd.DataFrame, Key | None]:
    """A chunk's pool from its candidate rows (any order)."""
    if not len(candidates):
        return candidates, None
    return merge_pools([order(candidates)], diversity, pool)


class TopK:
    """Streaming accumulator: `add` each chunk's pool (any order), then `result()`."""

    def __init__(self, top: int, diversity: Diversity, pool: int | None = None):
        self.top = top
        self.diversity = diversity
        self.pool = pool or default_pool(top, diversity)
        if self.pool < top:
            raise ConfigError(f"candidate pool {self.pool} is smaller than --top {top}")
        self.frame: pd.DataFrame | None = None
        self.cutoff: Key | None = None

    def add(self, pool: pd.DataFrame, cutoff: Key | None = None) -> None:
        """Merge a chunk's pool (from `chunk_pool`) and its cut-off."""
        self.cutoff = _earlier(self.cutoff, None if cutoff is None else tuple(cutoff))
        if not len(pool):
            return
        frames = [pool] if self.frame is None or not len(self.frame) else [self.frame, pool]
        self.frame, cut = merge_pools(frames, self.diversity, self.pool)
        self.cutoff = _earlier(self.cutoff, cut)

    def result(self) -> tuple[pd.DataFrame, bool]:
        """(hits in rank order, exact) — see the module doc for what `exact` certifies."""
        if self.frame is None or not len(self.frame):
            return pd.DataFrame(), self.cutoff is None
        picks = select_hits(self.frame, self.top, self.diversity)
        hits = self.frame.iloc[picks].reset_index(drop=True)
        if self.cutoff is None:
            return hits, True
        if len(hits) < self.top:
            return hits, False
        last = (-float(hits[SCORE].iloc[-1]), int(hits[ROW].iloc[-1]))
        return hits, last < self.cutoff


def _fingerprint(smiles: str):
    from rdkit import Chem

    from helixforge.chem.fingerprints import morgan_generator

    mol = Chem.MolFromSmiles(smiles)
    return None if mol is None else morgan_generator(2, 2048, False).GetFingerprint(mol)


def select_hits(ordered: pd.DataFrame, top: int, diversity: Diversity) -> list[int]:
    """Positions of the hits in `ordered` (sorted by `order`), greedily by the hit rule."""
    from rdkit import DataStructs

    canon = ordered[CANONICAL].tolist()
    scafs = scaffold_groups(ordered) if diversity.max_per_scaffold else None
    cap, min_d = diversity.max_per_scaffold, diversity.min_distance
    picks: list[int] = []
    seen: set[str] = set()
    per_scaffold: dict = {}
    fps: list = []
    for i, smi in enumerate(canon):
        if len(picks) == top:
            break
        if smi in seen:
            continue
        if cap and per_scaffold.get(scafs[i], 0) >= cap:  # type: ignore[index]
            continue
        if min_d:
            fp = _fingerprint(smi)
            if fp is not None and fps:
                sims = DataStructs.BulkTanimotoSimilarity(fp, fps)
                if 1.0 - max(sims) < min_d:
                    continue
            if fp is not None:
                fps.append(fp)
        seen.add(smi)
        if cap:
            per_scaffold[scafs[i]] = per_scaffold.get(scafs[i], 0) + 1  # type: ignore[index]
        picks.append(i)
    return picks
