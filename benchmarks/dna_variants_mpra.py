"""The `mpra` row of dna_variants.py and the model behind `helix dna variants score --method mpra`.

Features come from the product's own function (`dna.variants.mpra.allele_features`) on the
same windows `score_variants` uses; the row is leave-one-element-out (replicates / cell lines of
an element held out together); `--train-mpra` (dna_variants.py) fits the shipped model on all
experiments and writes src/helixforge/dna/variants/weights/mpra_motif_lgbm.txt (+ .sha256).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PARAMS = dict(n_estimators=200, learning_rate=0.05, num_leaves=15, min_child_samples=50,
              subsample=0.8, subsample_freq=1, colsample_bytree=0.8, verbose=-1, n_jobs=1,
              random_state=0, deterministic=True, force_row_wise=True)  # fmt: skip


def features(eff: pd.DataFrame, vcf: Path, fasta: Path, motif_csv: Path, cache: Path, window: int):
    """MPRA_FEATURES for every row of `eff` (cached as CSV)."""
    if cache.exists():
        return pd.read_csv(cache)
    from helixforge.core.errors import RowErrors
    from helixforge.dna.motifs import load_jaspar
    from helixforge.dna.variants import as_genome, read_variants, usable_alleles
    from helixforge.dna.variants.motif_delta import MotifDeltaScorer, allele_spans
    from helixforge.dna.variants.mpra import allele_features

    errors = RowErrors(vcf)
    usable = usable_alleles(read_variants(vcf, errors), as_genome(str(fasta)), window, errors)
    rows = np.array([int(u[0].id) for u in usable])
    motif = pd.read_csv(motif_csv).set_index("row").loc[rows].reset_index(drop=True)
    if "motif_sum_delta" not in motif:
        motif["motif_sum_delta"] = motif["motif_sum_abs"] - 2 * motif["motif_sum_loss"]
    spans = [allele_spans(window, u[0].ref, u[0].alt) for u in usable]
    scorer = MotifDeltaScorer(load_jaspar())
    f = allele_features(
        scorer, [u[2] for u in usable], [u[3] for u in usable], [s[0] for s in spans],
        [s[1] for s in spans], [u[0].ref for u in usable], [u[0].alt for u in usable],
        motif_table=motif,
    )  # fmt: skip
    f.insert(0, "row", rows)
    f = f.set_index("row").reindex(eff.index).reset_index()
    f.to_csv(cache, index=False)
    return f


def _target(eff: pd.DataFrame) -> np.ndarray:
    return eff.assign(a=eff["Coefficient"].abs()).groupby("Element")["a"].rank(pct=True).to_numpy()


def loeo(eff: pd.DataFrame, feats: pd.DataFrame, group_of) -> np.ndarray:
    """Leave-one-element-group-out predictions of the |effect| rank."""
    import lightgbm as lgb

    from helixforge.dna.variants.mpra import MPRA_FEATURES

    x, y = feats[MPRA_FEATURES].to_numpy(float), _target(eff)
    groups = eff["Element"].map(group_of).to_numpy()
    out = np.full(len(eff), np.nan)
    for g in sorted(set(groups)):
        test = groups == g
        out[test] = lgb.LGBMRegressor(**PARAMS).fit(x[~test], y[~test]).predict(x[test])
    return out


def train_final(eff: pd.DataFrame, feats: pd.DataFrame) -> Path:
    """Fit on every experiment and write the shipped model file and its sha256."""
    import lightgbm as lgb

    from helixforge.core.artifacts import sha256_file
    from helixforge.dna.variants.mpra import MPRA_FEATURES, WEIGHTS, WEIGHTS_SHA256

    model = lgb.LGBMRegressor(**PARAMS).fit(feats[MPRA_FEATURES].to_numpy(float), _target(eff))
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    model.booster_.save_model(str(WEIGHTS))
    WEIGHTS_SHA256.write_text(f"{sha256_file(WEIGHTS)}  {WEIGHTS.name}\n")
    return WEIGHTS
