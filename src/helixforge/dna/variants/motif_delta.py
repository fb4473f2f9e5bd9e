"""Motif-disruption scores of variant alleles: Δ best PWM log-odds across the variant.

    scorer = MotifDeltaScorer(load_jaspar())            # JASPAR CORE vertebrates, offline
    table = scorer.score(ref_windows, alt_windows, ref_spans, alt_spans)

For every motif (both strands) the best log-odds score (bits, FIMO-style integerised matrix,
`dna.motifs.scan.prepare_motif`) is taken over the motif placements that overlap the allele —
in the reference window over the REF bases, in the alternative window over the ALT bases. A
score below the motif's hit threshold (p < `pvalue` under the background) is raised to that
threshold, so a motif counts only where the reference or the alternative allele makes a hit:

    delta_m = max(best_alt_m, t_m) − max(best_ref_m, t_m)     (> 0: site gained, < 0: lost)

Columns per allele:
  motif_delta       delta_m of the motif with the largest |delta_m| (signed; 0 = no hit changed)
  motif_abs_delta   max_m |delta_m| (the disruption score for |effect|)
  motif_loss        max_m (−delta_m, 0): the strongest site lost
  motif_gain        max_m (delta_m, 0): the strongest site gained
  motif_sum_delta   Σ_m delta_m: net change over all motifs (the motif method's `delta`)
  motif_sum_abs     Σ_m |delta_m|: total disruption over all motifs (several TFs at once; the
                    motif method's `score`)
  motif_sum_loss    Σ_m max(−delta_m, 0): total loss of reference sites
  motif_hits        number of reference hits (motif × strand × placement, p < pvalue)
                    overlapping the REF bases: the crude "JASPAR hits over the variant" count
  motif_id, motif_name  the motif behind motif_delta ('' when no hit changed)

Placements that contain N are scored with N contributing 0 bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError
from helixforge.core.options import require_float

MOTIF_COLUMNS = [
    "motif_delta",
    "motif_abs_delta",
    "motif_loss",
    "motif_gain",
    "motif_sum_delta",
    "motif_sum_abs",
    "motif_sum_loss",
    "motif_hits",
    "motif_id",
    "motif_name",
]
_CODE = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i


def onehot(seq: str) -> np.ndarray:
    """(L, 4) float; N and other codes are all-zero rows."""
    codes = _CODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
    out = np.zeros((len(seq), 4), dtype=np.float64)
    rows = np.nonzero(codes < 4)[0]
    out[rows, codes[rows]] = 1.0
    return out


@dataclass
class _Bucket:
    """Motifs of one length: stacked forward and reverse-complement matrices (4w, 2M)."""

    width: int
    index: np.ndarray  # positions of these motifs in the scorer's list
    weights: np.ndarray  # (4w, 2M) bits; columns [forward..., reverse...]
    thresholds: np.ndarray  # (2M,) bits at p = pvalue


class MotifDeltaScorer:
    """Scores alleles against a motif set (see the module docstring)."""

    def __init__(self, motifs: Sequence, pvalue: float = 1e-4, background=None):
        from helixforge.dna.motifs.scan import as_motifs, prepare_motif

        require_float(pvalue, "--motif-pvalue", low=0, high=1, low_open=True)
        if motifs is None or (not isinstance(motifs, str) and not motifs):
            raise ConfigError("no motifs to score variants with", hint="check --motifs / --ids")
        self.motifs = as_motifs(motifs)  # one Motif is a list of one; ids as text are named
        self.pvalue = pvalue
        by_width: dict[int, list[int]] = {}
        prepared = [prepare_motif(m, background) for m in self.motifs]
        for i, sm in enumerate(prepared):
            by_width.setdefault(sm.int_matrix.shape[0], []).append(i)
        self.buckets = []
        for w, idx in sorted(by_width.items()):
            fwd = [prepared[i].int_matrix / prepared[i].scale for i in idx]
            rev = [m[::-1, ::-1] for m in fwd]
            mats = np.stack([m.reshape(-1) for m in fwd + rev], axis=1)
            thr = [prepared[i].score_bits(prepared[i].threshold(pvalue)) for i in idx]
            self.buckets.append(_Bucket(w, np.asarray(idx), mats, np.asarray(thr * 2, float)))

    def _best(self, x: np.ndarray, lo: int, hi: int, b: _Bucket) -> tuple[np.ndarray, int]:
        """Best score per motif column over placements overlapping [lo, hi) of one-hot `x`,
        and the number of placement × column hits at the threshold."""
        w = b.width
        start, stop = max(0, lo - w + 1), min(len(x) - w, hi - 1)
        if stop < start:
            return np.full(b.weights.shape[1], -np.inf), 0
        win = np.lib.stride_tricks.sliding_window_view(x[start : stop + w], (w, 4))[:, 0]
        scores = win.reshape(len(win), -1) @ b.weights  # (placements, 2M)
        return scores.max(axis=0), int((scores >= b.thresholds - 1e-9).sum())

    def score_one(self, ref: str, alt: str, ref_span: tuple[int, int], alt_span: tuple[int, int]):
        """The MOTIF_COLUMNS values of one allele (spans: [start, end) of REF / ALT bases)."""
        xr, xa = onehot(ref), onehot(alt)
        # an insertion's REF span may be empty: use the junction
        r_lo, r_hi = ref_span[0], max(ref_span[1], ref_span[0] + 1)
        a_lo, a_hi = alt_span[0], max(alt_span[1], alt_span[0] + 1)
        best_d, best_abs, loss, gain, hits, who = 0.0, 0.0, 0.0, 0.0, 0, -1
        sum_d, sum_abs, sum_loss = 0.0, 0.0, 0.0
        for b in self.buckets:
            sr, nh = self._best(xr, r_lo, r_hi, b)
            sa, _ = self._best(xa, a_lo, a_hi, b)
            hits += nh
            d = np.maximum(sa, b.thresholds) - np.maximum(sr, b.thresholds)
            m = len(b.index)
            d = np.where(np.abs(d[:m]) >= np.abs(d[m:]), d[:m], d[m:])  # per motif, either strand
            j = int(np.argmax(np.abs(d)))
            if abs(d[j]) > best_abs:
                best_abs, best_d, who = float(abs(d[j])), float(d[j]), int(b.index[j])
            loss = max(loss, float(-d.min()))
            gain = max(gain, float(d.max()))
            sum_d += float(d.sum())
            sum_abs += float(np.abs(d).sum())
            sum_loss += float(np.clip(-d, 0, None).sum())
        motif = self.motifs[who] if who >= 0 and best_abs > 0 else None
        return (
            best_d, best_abs, loss, gain, sum_d, sum_abs, sum_loss, hits,
            motif.id if motif else "", motif.name if motif else "",
        )  # fmt: skip

    def score(
        self,
        refs: Sequence[str],
        alts: Sequence[str],
        ref_spans: Sequence[tuple[int, int]],
        alt_spans: Sequence[tuple[int, int]],
    ) -> pd.DataFrame:
        """MOTIF_COLUMNS for every allele (one row each, in order)."""
        rows = [self.score_one(*args) for args in zip(refs, alts, ref_spans, alt_spans)]
        return pd.DataFrame(rows, columns=MOTIF_COLUMNS)


def select_by_tf(motifs: Sequence, names: Sequence[str]) -> list:
    """Motifs whose TF name, or one part of a dimer name ('FOS::JUN'), is in `names`
    (case-insensitive); unknown names raise a ConfigError listing them. One string is one
    name ('CTCF'), not its letters."""
    from helixforge.lm.inputs import as_names

    want = {n.strip().upper() for n in as_names(names, "tfs", allow_none=False) if n.strip()}
    keep, seen = [], set()
    for m in motifs:
        parts = {p.upper() for p in str(m.name).split("::")} | {str(m.name).upper()}
        if parts & want:
            keep.append(m)
            seen |= parts & want
    missing = sorted(want - seen)
    if missing:
        raise ConfigError(
            f"--tfs: no motif for {', '.join(missing)} among the {len(motifs)} motifs",
            hint="names are JASPAR TF names, e.g. SP1, GATA1, HNF4A, FOS::JUN",
        )
    return keep


def allele_spans(window: int, ref: str, alt: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where REF and ALT sit in the windows of `variants.alleles.variant_windows`."""
    r, a = len(ref), len(alt)
    lr, la = (window - r) // 2, (window - a) // 2
    return (lr, lr + r), (la, la + a)
