"""Seqlets: high-contribution windows and their clusters (TF-MoDISco-lite in spirit).

Per-position contribution is smoothed over a window; windows above a threshold estimated from
the negative side of the distribution (attribution noise is roughly symmetric; real signal is
one-sided) are taken greedily without overlap, and seqlets are grouped greedily by the best
cross-correlation of their contribution matrices over shifts and both strands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.interpret.scoring import as_batch

# ---------------------------------------------------------------- seqlets


def extract_seqlets(
    contributions: np.ndarray,
    sequences: Sequence[str] | None = None,
    window: int = 10,
    flank: int = 5,
    threshold: float | str = "auto",
    fdr: float = 0.01,
    max_per_sequence: int = 3,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """High-contribution windows, non-overlapping, per sequence.

    Per-position contribution (sum over bases) is summed over `window` bases; with threshold
    'auto' the cut-off is the (1 − `fdr`) quantile of |window sums| on the negative side (a
    null for attribution noise; with fewer than 20 negative windows, median + 5 robust SDs).
    Each seqlet is the window plus `flank` bases on both sides.
    Returns seq_index, seq, start, end (0-based, end exclusive), score, sequence; by score.
    """
    from helixforge.core.options import require_float, require_int
    from helixforge.lm.inputs import as_names, as_sequences

    c = np.asarray(contributions) if contributions is not None else np.zeros(0)
    if c.dtype.kind not in "fiub" or c.ndim not in (2, 3) or c.shape[-1] != 4:
        raise InputError(
            f"contributions must be a numeric array shaped (N, L, 4) or (L, 4), got "
            f"{type(contributions).__name__} of shape {c.shape}",
            hint="pass what gradient_x_input / attribute returned",
        )
    c = c.astype(np.float64, copy=False)
    if c.ndim == 2:
        c = c[None]
    n, length, _ = c.shape
    window = require_int(window, "window", min_value=1)
    flank = require_int(flank, "flank", min_value=0)
    max_per_sequence = require_int(max_per_sequence, "max_per_sequence", min_value=0)
    if threshold == "auto":
        fdr = require_float(fdr, "fdr", low=0, high=1, low_open=True, high_open=True)
    else:
        threshold = require_float(threshold, "threshold (a number or 'auto')")
    for arg, values in (("sequences", sequences), ("names", names)):
        if values is None:
            continue
        # one string is one sequence / one name ('seq1' was split into 's', 'e', 'q', '1')
        values = as_sequences(values, arg) if arg == "sequences" else as_names(values, arg)
        if len(values) != n:
            raise InputError(
                f"{arg} has {len(values)} entries but contributions has {n} sequence(s)",
                hint=f"pass one {arg[:-1]} per row of contributions, in the same order",
            )
        if arg == "sequences":
            sequences = values
        else:
            names = values
    if length < window:
        raise ConfigError(f"sequences ({length} bp) are shorter than the seqlet window ({window})")
    per_pos = c.sum(-1)
    cs = np.concatenate([np.zeros((n, 1)), np.cumsum(per_pos, axis=1)], axis=1)
    sums = cs[:, window:] - cs[:, :-window]  # (n, L - window + 1)
    if threshold == "auto":
        neg = -sums[sums < 0]
        if len(neg) >= 20:
            thr = float(np.quantile(neg, 1 - fdr))
        else:  # (almost) no negative noise, e.g. ISM of a rectified model: robust z > 5
            med = float(np.median(sums))
            mad = float(np.median(np.abs(sums - med))) * 1.4826
            thr = med + 5 * mad
    else:
        thr = float(threshold)
    rows = []
    for s in range(n):
        avail = sums[s].copy()
        for _ in range(max_per_sequence):
            i = int(np.argmax(avail))
            if avail[i] <= thr or not np.isfinite(avail[i]):
                break
            lo, hi = max(0, i - flank), min(length, i + window + flank)
            rows.append((s, lo, hi, float(sums[s, i])))
            avail[max(0, i - window - flank + 1) : i + window + flank] = -np.inf
    df = pd.DataFrame(rows, columns=["seq_index", "start", "end", "score"])
    df.insert(1, "seq", [names[i] if names is not None else f"seq{i + 1}" for i in df["seq_index"]])
    if sequences is not None:
        df["sequence"] = [
            sequences[s][a:b] for s, a, b in zip(df["seq_index"], df["start"], df["end"])
        ]
    df.attrs["threshold"] = thr
    return df.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


@dataclass
class SeqletCluster:
    """Aligned seqlets: contribution-weight matrix (mean), base counts, members (row, shift, strand)."""

    cwm: np.ndarray
    counts: np.ndarray
    members: list[tuple[int, int, bool]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.members)

    def trimmed(self, fraction: float = 0.3, min_length: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """(cwm, pfm) cut to the span whose column |contribution| ≥ `fraction` of the maximum."""
        imp = np.abs(self.cwm).sum(1)
        keep = np.nonzero(imp >= fraction * imp.max())[0] if imp.max() > 0 else np.arange(len(imp))
        a, b = int(keep.min()), int(keep.max()) + 1
        while b - a < min_length and (a > 0 or b < len(imp)):
            a, b = max(0, a - 1), min(len(imp), b + 1)
        return self.cwm[a:b], self.counts[a:b]

    @property
    def pfm(self) -> np.ndarray:
        """Trimmed base frequencies (L, 4) of the aligned seqlets."""
        counts = self.trimmed()[1]
        return (counts + 0.01) / (counts + 0.01).sum(1, keepdims=True)


def _xcorr_best(a: np.ndarray, b: np.ndarray, max_shift: int) -> tuple[float, int, bool]:
    """Best cosine similarity of b against a over shifts |s| ≤ max_shift and both strands."""
    best = (-np.inf, 0, False)
    na = np.linalg.norm(a) + 1e-12
    for rc in (False, True):
        bb = b[::-1, ::-1] if rc else b
        nb = np.linalg.norm(bb) + 1e-12
        for s in range(-max_shift, max_shift + 1):
            if s >= 0:
                v = float((a[s:] * bb[: len(a) - s]).sum())
            else:
                v = float((a[: len(a) + s] * bb[-s:]).sum())
            v /= na * nb
            if v > best[0]:
                best = (v, s, rc)
    return best


def cluster_seqlets(
    contributions: np.ndarray,
    onehot_or_seqs,
    seqlets: pd.DataFrame,
    similarity: float = 0.5,
    max_clusters: int = 10,
    max_seqlets: int = 2000,
    max_shift: int | None = None,
) -> list[SeqletCluster]:
    """Group seqlets greedily (strongest first) by contribution cross-correlation; largest first."""
    from helixforge.core.options import require_float, require_int

    x = as_batch(onehot_or_seqs)
    c = np.asarray(contributions, dtype=np.float64)
    c = c[None] if c.ndim == 2 else c
    if c.shape != x.shape:
        raise InputError(
            f"contributions {c.shape} and the sequences {x.shape} (one-hot) differ in shape",
            hint="pass the sequences (or one-hot batch) the contributions were computed on",
        )
    similarity = require_float(similarity, "similarity", low=-1, high=1)
    max_clusters = require_int(max_clusters, "max_clusters", min_value=1)
    max_seqlets = require_int(max_seqlets, "max_seqlets", min_value=1)
    if max_shift is not None:
        max_shift = require_int(max_shift, "max_shift", min_value=0)
    rows = seqlets.head(max_seqlets)
    if rows.empty:
        return []
    width = int((rows["end"] - rows["start"]).max())
    shift = max_shift if max_shift is not None else max(1, width // 3)
    clusters: list[SeqletCluster] = []
    for r, (s, a, b) in enumerate(zip(rows["seq_index"], rows["start"], rows["end"])):
        cw = np.zeros((width, 4))
        oh = np.zeros((width, 4))
        cw[: b - a] = c[s, a:b]
        oh[: b - a] = x[s, a:b]
        best, where = -np.inf, None
        for k, cl in enumerate(clusters):
            v, sh, rc = _xcorr_best(cl.cwm, cw, shift)
            if v > best:
                best, where = v, (k, sh, rc)
        if where is not None and best >= similarity:
            k, sh, rc = where
            cl = clusters[k]
            cw2, oh2 = (cw[::-1, ::-1], oh[::-1, ::-1]) if rc else (cw, oh)
            aligned_c, aligned_o = _shift(cw2, sh), _shift(oh2, sh)
            m = cl.n
            cl.cwm = (cl.cwm * m + aligned_c) / (m + 1)
            cl.counts = cl.counts + aligned_o
            cl.members.append((r, sh, rc))
        elif len(clusters) < max_clusters:
            clusters.append(SeqletCluster(cw.copy(), oh.copy(), [(r, 0, False)]))
    return sorted(clusters, key=lambda cl: -cl.n)


def _shift(m: np.ndarray, s: int) -> np.ndarray:
    """Place m so that its row j lands at row j + s of a same-size frame (zeros outside)."""
    out = np.zeros_like(m)
    if s >= 0:
        out[s:] = m[: len(m) - s]
    else:
        out[: len(m) + s] = m[-s:]
    return out
