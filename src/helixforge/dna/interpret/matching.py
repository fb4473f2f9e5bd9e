"""Comparing a matrix with a motif database (Tomtom-like) and drawing logos.

Matching uses column Pearson correlation (or Euclidean distance) summed over the best
alignment, and an empirical p-value from decoy motifs built from randomly drawn database
columns of the same length; q-values are Benjamini–Hochberg over the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.motifs import BASES, Motif, benjamini_hochberg

# ---------------------------------------------------------------- motif comparison


def _normalise_columns(p: np.ndarray, metric: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if metric == "pearson":
        z = p - p.mean(1, keepdims=True)
        return z / (np.linalg.norm(z, axis=1, keepdims=True) + 1e-9)
    return p


class MotifDatabase:
    """Motifs prepared for Tomtom-like comparison (probability columns, both strands)."""

    def __init__(self, motifs: Sequence[Motif], pseudocount: float = 0.8):
        if not motifs:
            raise ConfigError("empty motif database")
        self.motifs = list(motifs)
        self.probs = [m.probabilities(pseudocount) for m in self.motifs]
        self.lengths = np.array([len(p) for p in self.probs])
        self.columns = np.concatenate(self.probs)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])

    def __len__(self) -> int:
        return len(self.motifs)


def _align_scores(sub: np.ndarray, min_overlap: int) -> np.ndarray:
    """sub: (n, Lq, Lt) column similarities; best summed diagonal over offsets with enough overlap."""
    n, lq, lt = sub.shape
    need = min(min_overlap, lq, lt)
    best = np.full(n, -np.inf)
    for off in range(
        -(lt - need), lq - need + 1
    ):  # target column j aligns with query column j + off
        j0, j1 = max(0, -off), min(lt, lq - off)
        if j1 - j0 < need:
            continue
        j = np.arange(j0, j1)
        best = np.maximum(best, sub[:, j + off, j].sum(1))
    return best


def match_motif(
    query: np.ndarray | Motif,
    database: MotifDatabase | Sequence[Motif],
    metric: str = "pearson",
    min_overlap: int = 5,
    n_null: int = 500,
    seed: int = 0,
    top: int | None = 10,
) -> pd.DataFrame:
    """Compare a query (L, 4 probabilities or a Motif) with every database motif, Tomtom-like.

    score: best sum over aligned columns (all offsets with ≥ `min_overlap` columns, both strands)
    of column Pearson correlation ('pearson') or of (mean null distance − Euclidean distance)
    ('euclidean'). pvalue: empirical, from `n_null` decoys of the target's length made of random
    database columns (best over offsets and strands, like the real score); zscore against the
    same decoys; evalue = pvalue × database size; qvalue by Benjamini–Hochberg. Sorted best first.
    """

    if metric not in {"pearson", "euclidean"}:
        raise ConfigError(
            f"unknown motif comparison metric {metric!r}", hint="use pearson or euclidean"
        )
    from helixforge.core.options import require_int

    min_overlap = require_int(min_overlap, "min_overlap", min_value=1)
    n_null = require_int(n_null, "n_null", min_value=1)
    if top is not None:
        top = require_int(top, "top", min_value=1)
    db = database if isinstance(database, MotifDatabase) else MotifDatabase(database)
    q = query.probabilities() if isinstance(query, Motif) else np.asarray(query)
    if q.dtype.kind not in "fiub" or q.ndim != 2 or q.shape[1] != 4 or not len(q):
        raise InputError(
            f"query must be a Motif or an (L, 4) matrix in ACGT order, got "
            f"{type(query).__name__} of shape {np.shape(q)}",
            hint="pass a seqlet cluster's .pfm, a Motif, or an (L, 4) array",
        )
    q = q.astype(np.float64)
    if not np.isfinite(q).all() or (q < 0).any():
        raise InputError("query matrix has negative or non-finite entries",
                         hint="pass probabilities or counts (≥ 0) per column")  # fmt: skip
    q = q / np.maximum(q.sum(1, keepdims=True), 1e-12)
    comp = db.columns[:, ::-1]
    if metric == "pearson":
        qn = _normalise_columns(q, metric)
        s_fwd = qn @ _normalise_columns(db.columns, metric).T
        s_cmp = qn @ _normalise_columns(comp, metric).T
    else:
        d_fwd = np.linalg.norm(q[:, None, :] - db.columns[None], axis=2)
        d_cmp = np.linalg.norm(q[:, None, :] - comp[None], axis=2)
        mu = d_fwd.mean(1, keepdims=True)
        s_fwd, s_cmp = mu - d_fwd, mu - d_cmp
    rng = np.random.default_rng(seed)
    n_cols = len(db.columns)
    scores = np.empty(len(db))
    pvals = np.empty(len(db))
    z = np.empty(len(db))
    for lt in np.unique(db.lengths):
        members = np.nonzero(db.lengths == lt)[0]
        idx = db.starts[members][:, None] + np.arange(lt)  # (m, lt)
        obs = np.maximum(
            _align_scores(s_fwd[:, idx].transpose(1, 0, 2), min_overlap),
            _align_scores(s_cmp[:, idx[:, ::-1]].transpose(1, 0, 2), min_overlap),
        )
        decoy = rng.integers(0, n_cols, size=(n_null, lt))
        null = np.maximum(
            _align_scores(s_fwd[:, decoy].transpose(1, 0, 2), min_overlap),
            _align_scores(s_cmp[:, decoy[:, ::-1]].transpose(1, 0, 2), min_overlap),
        )
        null_sorted = np.sort(null)
        ge = n_null - np.searchsorted(null_sorted, obs, side="left")
        scores[members] = obs
        pvals[members] = (ge + 1) / (n_null + 1)
        z[members] = (obs - null.mean()) / (null.std() + 1e-9)
    out = pd.DataFrame(
        {
            "motif_id": [m.id for m in db.motifs],
            "name": [m.name for m in db.motifs],
            "score": scores,
            "zscore": z,
            "pvalue": pvals,
            "evalue": pvals * len(db),
            "qvalue": benjamini_hochberg(pvals),
        }
    )
    out = out.sort_values(["pvalue", "zscore"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )
    return out.head(top) if top else out


# ---------------------------------------------------------------- logos


def logo_figure(matrix: np.ndarray, title: str = "", kind: str = "contribution", ax=None):
    """A logomaker logo of an (L, 4) matrix: 'contribution' (as is), 'probability' → information bits."""
    import logomaker

    from helixforge.core.report import pyplot

    plt = pyplot()
    df = pd.DataFrame(np.asarray(matrix, dtype=float), columns=list(BASES))
    if kind == "probability":
        df = logomaker.transform_matrix(
            df.div(df.sum(axis=1), axis=0), from_type="probability", to_type="information"
        )
    elif kind != "contribution":
        raise ConfigError(f"unknown logo kind {kind!r}")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(3.0, 0.28 * len(df) + 1), 1.8))
    logomaker.Logo(df, ax=ax, color_scheme="classic")
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("bits" if kind == "probability" else "contribution", fontsize=8)
    ax.tick_params(labelsize=7)
    return fig if fig is not None else ax.figure
