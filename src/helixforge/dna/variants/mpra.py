"""`--method mpra`: a learned variant-effect score from motif disruption and its context.

    features = allele_features(scorer, refs, alts, ref_spans, alt_spans)   # MPRA_FEATURES
    score = MpraModel.load().predict(features)                            # higher = larger |effect|

A LightGBM regressor (text model file shipped in `weights/`, sha256 checked) trained on all 29
experiments of the Kircher et al. 2019 saturation-mutagenesis MPRA (benchmarks/
dna_variants_mpra.py) to predict the within-experiment rank of |measured effect| (0–1) from:
the allele's motif-Δ columns over the JASPAR 2024 CORE vertebrate motifs (`motif_delta`), the
reference hits and site strength (Σ over motifs of best log-odds above the hit threshold)
within ±5 bp of the allele, and the alleles' bases. Its leave-one-element-out accuracy on that
data is in benchmarks/results/dna_variants.md (`mpra` row). It knows nothing of the cell type:
an MPRA-trained prior for which bases of a regulatory element matter, not a cell-specific model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.errors import InputError

CONTEXT = 5
WEIGHTS = Path(__file__).with_name("weights") / "mpra_motif_lgbm.txt"
WEIGHTS_SHA256 = Path(__file__).with_name("weights") / "mpra_motif_lgbm.sha256"
MPRA_FEATURES = [
    "motif_delta", "motif_abs_delta", "motif_loss", "motif_gain", "motif_sum_delta",
    "motif_sum_abs", "motif_sum_loss", "motif_hits", "context_hits", "context_strength",
    "ref_A", "ref_C", "ref_G", "ref_T", "alt_A", "alt_C", "alt_G", "alt_T", "deletion",
    "insertion",
]  # fmt: skip


def _context(scorer, ref: str, span: tuple[int, int], half: int) -> tuple[float, float]:
    """(hits, Σ over motifs of best score above threshold) of reference placements
    overlapping [span − half, span + half)."""
    from helixforge.dna.variants.motif_delta import onehot

    x = onehot(ref)
    lo, hi = max(0, span[0] - half), min(len(ref), max(span[1], span[0] + 1) + half)
    hits, strength = 0, 0.0
    for b in scorer.buckets:
        best, n = scorer._best(x, lo, hi, b)
        hits += n
        strength += float(np.clip(best - b.thresholds, 0, None).sum())
    return float(hits), strength


def allele_features(
    scorer,
    refs: Sequence[str],
    alts: Sequence[str],
    ref_spans: Sequence[tuple[int, int]],
    alt_spans: Sequence[tuple[int, int]],
    ref_alleles: Sequence[str],
    alt_alleles: Sequence[str],
    motif_table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """MPRA_FEATURES per allele (windows as in `variants.alleles`); `motif_table` = the
    scorer's MOTIF_COLUMNS for these alleles when already computed."""
    m = motif_table if motif_table is not None else scorer.score(refs, alts, ref_spans, alt_spans)
    out = m[MPRA_FEATURES[:8]].astype(float).reset_index(drop=True).copy()
    ctx = [_context(scorer, r, s, CONTEXT) for r, s in zip(refs, ref_spans)]
    out["context_hits"] = [c[0] for c in ctx]
    out["context_strength"] = [c[1] for c in ctx]
    for b in "ACGT":  # the changed base (VCF anchors stripped)
        out[f"ref_{b}"] = [float(_changed(r, a)[0] == b) for r, a in zip(ref_alleles, alt_alleles)]
        out[f"alt_{b}"] = [float(_changed(r, a)[1] == b) for r, a in zip(ref_alleles, alt_alleles)]
    out["deletion"] = [float(len(r) > len(a)) for r, a in zip(ref_alleles, alt_alleles)]
    out["insertion"] = [float(len(a) > len(r)) for r, a in zip(ref_alleles, alt_alleles)]
    return out[MPRA_FEATURES]


def _changed(ref: str, alt: str) -> tuple[str, str]:
    """The first differing base of REF / ALT after the shared prefix ('' when none)."""
    k = 0
    while k < min(len(ref), len(alt)) and ref[k] == alt[k]:
        k += 1
    return (ref[k] if k < len(ref) else ""), (alt[k] if k < len(alt) else "")


class MpraModel:
    """The shipped LightGBM model (or one at `path`), checked against its sha256."""

    def __init__(self, booster):
        self.booster = booster

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> MpraModel:
        import lightgbm as lgb

        from helixforge.core.artifacts import sha256_file

        p = Path(path) if path else WEIGHTS
        if not p.exists():
            raise InputError(f"{p}: the --method mpra model is missing", hint="reinstall")
        if path is None and WEIGHTS_SHA256.exists():
            want = WEIGHTS_SHA256.read_text().split()[0]
            if sha256_file(p) != want:
                raise InputError(f"{p}: the model file is damaged (sha256 differs)")
        return cls(lgb.Booster(model_file=str(p)))

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Predicted rank of |effect| (≈ 0–1; higher = larger expected effect)."""
        return np.asarray(self.booster.predict(features[MPRA_FEATURES].to_numpy(float)), float)
