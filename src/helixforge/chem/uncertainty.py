"""Uncertainty for property predictions: split-conformal intervals (regression), conformal
prediction sets (classification) — both from `helixforge.core.conformal`, re-exported here — and
an applicability-domain flag from nearest-neighbour Tanimoto similarity to the training set.

Split conformal: on a calibration set the model never trained on (the validation split), take
nonconformity scores s_i and their finite-sample quantile q at level ceil((n+1)·coverage)/n.
For a new molecule the interval ŷ ± q (or ŷ ± q·σ̂ with ensemble spread σ̂, "normalized")
covers the truth with probability ≥ coverage when calibration and test are exchangeable;
under a scaffold split they are not exactly, so the report shows the coverage reached on test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helixforge.core.conformal import (  # noqa: F401  (re-exported for the chem API)
    ClassificationConformal,
    RegressionConformal,
    conformal_quantile,
    set_labels,
)

# ---------------------------------------------------------------- applicability domain


def max_tanimoto(
    query_bits: np.ndarray, reference_bits: np.ndarray, chunk: int = 1024
) -> np.ndarray:
    """For each query row, the highest Tanimoto similarity to any reference row.

    Both arguments are packed fingerprints, (n, words) uint64 (see `featurize.morgan_bits`).
    Intersections are one float32 matrix product per chunk of queries (BLAS), so memory stays
    at chunk × n_reference.
    """
    q = np.asarray(query_bits, dtype=np.uint64)
    r = np.asarray(reference_bits, dtype=np.uint64)
    out = np.zeros(len(q), dtype=np.float32)
    if len(r) == 0 or len(q) == 0:
        return out
    R = _unpack(r)
    r_count = R.sum(axis=1)
    for start in range(0, len(q), chunk):
        Q = _unpack(q[start : start + chunk])
        inter = Q @ R.T
        union = Q.sum(axis=1)[:, None] + r_count[None, :] - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(union > 0, inter / union, 0.0)
        out[start : start + len(Q)] = sim.max(axis=1)
    return out


def _unpack(bits: np.ndarray) -> np.ndarray:
    return np.unpackbits(bits.view(np.uint8), axis=1, bitorder="little").astype(np.float32)


@dataclass
class ApplicabilityDomain:
    """In domain when the nearest training neighbour has Tanimoto (ECFP4) ≥ `threshold`."""

    threshold: float = 0.3

    def flag(self, similarity: np.ndarray) -> np.ndarray:
        return np.asarray(similarity, float) >= self.threshold
