"""Multiple-testing corrections for motif p-values (Benjamini–Hochberg via SciPy)."""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control


def partial_qvalues(p: np.ndarray, n_tests: float) -> np.ndarray:
    """BH q-values for the smallest p-values out of `n_tests` tests (the rest are larger).

    Only the reported p-values are known (hits below a threshold); the others rank after them,
    so the BH q-value of each known one is SciPy's q over the known set scaled by n_tests / k.
    """
    p = np.asarray(p, dtype=float)
    if not len(p):
        return p.copy()
    q = false_discovery_control(p, method="bh") * (float(n_tests) / len(p))
    return np.minimum(q, 1.0)


def benjamini_hochberg(p) -> np.ndarray:
    """BH-adjusted p-values (q-values) for a full set of tests; NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    bad = ok & ((p < 0) | (p > 1))
    if bad.any():
        from helixforge.core.errors import InputError

        i = int(np.flatnonzero(bad.ravel())[0])
        raise InputError(
            f"p-values must lie in [0, 1]; p[{i}] = {p.ravel()[i]!r}",
            hint="pass p-values, not scores or log p-values",
        )
    if ok.any():
        out[ok] = false_discovery_control(p[ok], method="bh")
    return out
