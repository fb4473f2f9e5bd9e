"""Attributions: in-silico saturation mutagenesis (ISM) and gradient × input, on one-hot
batches (N, L, 4) in ACGT order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError
from helixforge.dna.interpret.scoring import as_batch, as_scorer

# ---------------------------------------------------------------- attributions


def ism(model: Any, sequences, target: Any = None, batch_size: int = 1024) -> np.ndarray:
    """In-silico saturation mutagenesis: (N, L, 4) score(alt) − score(ref) for every position and base.

    The reference base has 0. N positions get all four substitutions. Mutants of all sequences are
    scored in mini-batches of `batch_size`.
    """
    scorer = as_scorer(model, target, batch_size)
    x = as_batch(sequences)
    n, length, _ = x.shape
    ref = scorer(x)
    out = np.zeros((n, length, 4), dtype=np.float32)
    jobs = []  # (sequence, position, base)
    for s in range(n):
        pos, base = np.nonzero(x[s] == 0)
        keep = pos < _true_length(x[s])
        jobs.append(np.stack([np.full(keep.sum(), s), pos[keep], base[keep]], axis=1))
    jobs = np.concatenate(jobs) if jobs else np.zeros((0, 3), int)
    for i in range(0, len(jobs), batch_size):
        chunk = jobs[i : i + batch_size]
        xb = x[chunk[:, 0]].copy()
        r = np.arange(len(chunk))
        xb[r, chunk[:, 1], :] = 0
        xb[r, chunk[:, 1], chunk[:, 2]] = 1
        out[chunk[:, 0], chunk[:, 1], chunk[:, 2]] = scorer(xb) - ref[chunk[:, 0]]
    return out


def _true_length(x: np.ndarray) -> int:
    """Length without right padding (trailing all-zero rows)."""
    nz = np.nonzero(x.sum(-1) > 0)[0]
    return int(nz[-1] + 1) if len(nz) else 0


def ism_contributions(delta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Turn ISM deltas into per-base contributions: −mean(delta over the 3 alternatives) at the ref base."""
    x = as_batch(x)
    n_alt = np.maximum((x == 0).sum(-1, keepdims=True), 1)
    importance = -delta.sum(-1, keepdims=True) / n_alt
    return (importance * x).astype(np.float32)


def gradient_x_input(
    model: Any,
    sequences,
    target: Any = None,
    rc_average: bool = True,
    center: bool = True,
    batch_size: int = 256,
) -> np.ndarray:
    """Gradient × input (N, L, 4); gradients are mean-centred over bases (removes the
    off-simplex component, Majdandzic et al. 2022) and averaged with the reverse complement's."""
    scorer = as_scorer(model, target, batch_size)
    x = as_batch(sequences)

    def gxi(xx):
        g = scorer.gradient(xx)
        if center:
            g = g - g.mean(-1, keepdims=True)
        return g * xx

    attr = gxi(x)
    if rc_average:
        rc = np.ascontiguousarray(x[:, ::-1, ::-1])
        attr = 0.5 * (attr + gxi(rc)[:, ::-1, ::-1])
    return attr.astype(np.float32)


def attribute(
    model: Any, sequences, method: str = "gradxinput", target: Any = None, batch_size: int = 256
) -> np.ndarray:
    """Per-base contributions (N, L, 4) by 'gradxinput' or 'ism' (ISM converted by `ism_contributions`)."""
    if method in {"gradxinput", "gradient_x_input", "saliency"}:
        return gradient_x_input(model, sequences, target, batch_size=batch_size)
    if method == "ism":
        x = as_batch(sequences)
        return ism_contributions(ism(model, x, target, batch_size=max(batch_size, 512)), x)
    raise ConfigError(f"unknown attribution method {method!r}", hint="use 'ism' or 'gradxinput'")
