"""Variant effects on the Kircher et al. 2019 saturation-mutagenesis MPRA elements.

    /tmp/brief/cpujob .venv/bin/python benchmarks/dna_variants_models.py   # GUE models (once)
    /tmp/brief/cpujob .venv/bin/python benchmarks/dna_variants.py          # score + tables
    .venv/bin/python benchmarks/dna_variants.py --report-only

Every measured GRCh38 variant (SNVs and 1-bp deletions) of the 29 element × cell-line
experiments is scored through the product (`dna.variants.score_variants`: a VCF on the element
sequences as contigs, the MPRA construct being the element) by each method, and compared per
experiment with the measured log2 effect (Spearman of signed effect vs `delta`, and of |effect|
vs `score`), on all variants and on those with p < 1e-5. Methods are scored per method into
.bench/dna_variants/scores/<method>.csv (resumable: a method already scored is read back).
Nothing is fitted on MPRA data except the `stacked` row, which is leave-one-element-out
(replicates, the flipped construct and the same element in other cell lines held out together).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dna_variants_report import write_markdown  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "genomics" / "variants"
WORK = ROOT / ".bench" / "dna_variants"
MODELS = WORK / "models"
RESULTS = ROOT / "benchmarks" / "results"
P_CUT = 1e-5
MOTIF_WINDOW = 101
LM_DIR = WORK / "lm"
LM_WINDOW = 61  # the LM was trained on 64-token windows
MODEL_WINDOWS = {"prom_core_all": 70, "prom_300_tata": 300}  # else the TF tasks' 101
ENSEMBLE_MODELS = ("prom_core_all", "human_tf_0", "human_tf_1", "human_tf_2", "human_tf_3")


def group_of(element: str) -> str:
    """Replicates / conditions of one element share a group (leave-one-element-out)."""
    return element.split("-")[0].split(".")[0]


def load_variants() -> tuple[pd.DataFrame, pd.DataFrame]:
    eff = pd.read_csv(DATA / "kircher2019_satmut_mpra_variant_effects.csv.gz")
    eff = eff[(eff["Release"] == "GRCh38") & eff["Pos"].notna()].reset_index(drop=True)
    el = pd.read_csv(DATA / "kircher2019_satmut_mpra_element_sequences.csv.gz")
    el = el.set_index("element")
    eff["Pos"] = eff["Pos"].astype(int)
    eff["element_pos"] = eff["Pos"] - eff["Element"].map(el["start_GRCh38"]).astype(int) + 1
    return eff, el


def write_inputs(eff: pd.DataFrame, el: pd.DataFrame) -> tuple[Path, Path]:
    """Element FASTA (one contig per experiment) and a VCF of every variant (ID = row)."""
    WORK.mkdir(parents=True, exist_ok=True)
    fasta, vcf = WORK / "elements.fa", WORK / "variants.vcf"
    with open(fasta, "w") as fh:
        for name, row in el.iterrows():
            fh.write(f">{name}\n{row['sequence']}\n")
    lines = ["##fileformat=VCFv4.2"]
    lines += [f"##contig=<ID={n},length={len(r['sequence'])}>" for n, r in el.iterrows()]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    for i, r in eff.iterrows():
        seq, p = el.loc[r["Element"], "sequence"], int(r["element_pos"])
        assert seq[p - 1] == r["Ref"], (r["Element"], p)
        if r["Alt"] == "-":  # VCF deletion with an anchor base
            if p > 1:
                pos, ref, alt = p - 1, seq[p - 2] + r["Ref"], seq[p - 2]
            else:
                pos, ref, alt = p, r["Ref"] + seq[p], seq[p]
        else:
            pos, ref, alt = p, r["Ref"], r["Alt"]
        lines.append(f"{r['Element']}\t{pos}\t{i}\t{ref}\t{alt}\t.\t.\t.")
    vcf.write_text("\n".join(lines) + "\n")
    return fasta, vcf


def score_method(name: str, vcf: Path, fasta: Path) -> pd.DataFrame:
    """One method's delta / score per variant row (cached in WORK/scores)."""
    from helixforge.dna.variants import score_variants

    path = WORK / "scores" / f"{name}.csv"
    if path.exists():
        return pd.read_csv(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if name == "motif":
        table = score_variants(vcf, fasta, method="motif", window=MOTIF_WINDOW, quiet=False)
    elif name == "motif_cell":
        table = _score_by_cell_line(vcf, fasta)
    elif name == "lm":
        table = score_variants(
            vcf, fasta, f"lm:{LM_DIR}", method="lm", window=LM_WINDOW, quiet=False,
            chunk_size=100_000,  # each chunk reloads the LM
        )  # fmt: skip
    else:
        from helixforge.dna.models import SequenceModel

        task = name.split(":", 1)[1]
        model = SequenceModel.load(MODELS / task)
        window = MODEL_WINDOWS.get(task, 101)
        table = score_variants(vcf, fasta, model, window=window, target=1, quiet=False)
    table["row"] = table["id"].astype(int)
    table["seconds"] = time.perf_counter() - t0
    table.to_csv(path, index=False)
    return table


def _score_by_cell_line(vcf: Path, fasta: Path) -> pd.DataFrame:
    """Motif Δ with only the TFs of dna_variants_tfs (general + the element's cell line)."""
    from dna_variants_tfs import tfs_for

    from helixforge.dna.motifs import load_jaspar
    from helixforge.dna.variants import score_variants
    from helixforge.dna.variants.motif_delta import select_by_tf

    el = pd.read_csv(DATA / "kircher2019_satmut_mpra_element_sequences.csv.gz")
    motifs = load_jaspar()
    head, body = [], []
    for line in vcf.read_text().splitlines():
        (head if line.startswith("#") else body).append(line)
    frames = []
    for cell, names in el.groupby("cell_line")["element"]:
        sub = WORK / f"variants_{cell}.vcf"
        keep = set(names)
        sub.write_text("\n".join(head + [b for b in body if b.split("\t")[0] in keep]) + "\n")
        chosen = select_by_tf(motifs, tfs_for(cell))
        frames.append(
            score_variants(sub, fasta, method="motif", motifs=chosen, window=MOTIF_WINDOW)
        )
    return pd.concat(frames, ignore_index=True)


def spearman(a, b) -> float:
    from scipy.stats import spearmanr

    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 10 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(spearmanr(a[ok], b[ok]).statistic)


def pct_rank(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame.groupby("Element")[col].rank(pct=True)


def add_ensembles(eff: pd.DataFrame, methods: list[str]) -> list[str]:
    """Rank-average rows (fixed in advance, nothing fitted) and the LOEO stacked model."""
    models = [m for m in methods if m.split(":")[-1] in ENSEMBLE_MODELS]
    out = []
    for name, parts in (("ensemble", ["motif", *models]), ("ensemble_models", models)):
        parts = [p for p in parts if f"{p}.score" in eff]
        if len(parts) < 2:
            continue
        eff[f"{name}.score"] = np.mean([pct_rank(eff, f"{p}.score") for p in parts], axis=0)
        eff[f"{name}.delta"] = np.mean([pct_rank(eff, f"{p}.delta") for p in parts], axis=0)
        out.append(name)
    # the product's `--method ensemble` (motif Σ + one model, equal-weight ranks) with the GUE
    # model that does best alone on promoters (picked after seeing the rows above: not blind)
    if "model:prom_300_tata.score" in eff:
        parts = ["motif_sum", "model:prom_300_tata"]
        eff["ensemble_product.score"] = np.mean([pct_rank(eff, f"{p}.score") for p in parts], 0)
        eff["ensemble_product.delta"] = np.mean([pct_rank(eff, f"{p}.delta") for p in parts], 0)
        out.append("ensemble_product")
    picked = ensemble_loeo(eff, methods)
    if picked is not None:
        eff["ensemble_loeo.score"], eff["ensemble_loeo.delta"], choices = picked
        ENSEMBLE_CHOICES.update(choices)
        out.append("ensemble_loeo")
    motif_only = [m for m in methods if m.startswith("motif")]
    for name, position, used in (
        ("stacked", True, methods),
        ("stacked_nopos", False, methods),
        ("stacked_motif", False, motif_only),
    ):
        eff[f"{name}.score"], eff[f"{name}.delta"] = stack_loeo(eff, used, position)
        out.append(name)
    return out


ENSEMBLE_CHOICES: dict[str, list[str]] = {}


def ensemble_loeo(eff: pd.DataFrame, methods: list[str], max_size: int = 3):
    """Rank-average ensemble whose members are chosen leave-one-element-out: for each held-out
    element group, the subset (1–3 methods) with the best mean per-experiment Spearman of
    abs(effect) on all OTHER experiments; its rank-average scores the held-out one."""
    from itertools import combinations

    ranks = {m: (pct_rank(eff, f"{m}.score"), pct_rank(eff, f"{m}.delta")) for m in methods}
    subsets = [c for k in range(1, max_size + 1) for c in combinations(methods, k)]
    avg = {c: np.mean([ranks[m][0] for m in c], axis=0) for c in subsets}
    elements = sorted(eff["Element"].unique())
    rho = {
        c: {e: spearman(eff.loc[eff["Element"] == e, "Coefficient"].abs(),
                        a[(eff["Element"] == e).to_numpy()]) for e in elements}
        for c, a in avg.items()
    }  # fmt: skip
    groups = eff["Element"].map(group_of)
    score, delta = np.full(len(eff), np.nan), np.full(len(eff), np.nan)
    choices = {}
    for g in sorted(groups.unique()):
        train = [e for e in elements if group_of(e) != g]
        best = max(subsets, key=lambda c: np.nanmean([rho[c][e] for e in train]))
        test = (groups == g).to_numpy()
        score[test] = avg[best][test]
        delta[test] = np.mean([ranks[m][1] for m in best], axis=0)[test]
        choices[g] = list(best)
    return score, delta, choices


def stack_loeo(eff: pd.DataFrame, methods: list[str], position: bool = True):
    """LightGBM on per-element ranks of every method's score/delta + allele features,
    trained leave-one-element-group-out on |effect| (score) and effect (delta)."""
    import lightgbm as lgb

    feats = pd.DataFrame(index=eff.index)
    for m in methods:
        feats[f"{m}.score"] = pct_rank(eff, f"{m}.score")
        feats[f"{m}.delta"] = pct_rank(eff, f"{m}.delta")
    feats["motif_hits"] = eff["motif.hits"]
    feats["deletion"] = (eff["Alt"] == "-").astype(float)
    if position:  # where the base sits in the construct (assay-specific, see the report)
        length = eff["Element"].map(eff.groupby("Element")["element_pos"].max())
        feats["from_start"] = eff["element_pos"]
        feats["from_end"] = length - eff["element_pos"]
        feats["rel_pos"] = eff["element_pos"] / length
    # neighbourhood: mean motif disruption of the alleles within ±5 bp (same experiment)
    for col in ("motif_sum.score", "motif_hits.score"):
        feats[f"{col}_local"] = _local_mean(eff, col, 5)
    for b in "ACGT":
        feats[f"ref_{b}"] = (eff["Ref"] == b).astype(float)
        feats[f"alt_{b}"] = (eff["Alt"] == b).astype(float)
    groups = eff["Element"].map(group_of)
    score = np.full(len(eff), np.nan)
    delta = np.full(len(eff), np.nan)
    # targets ranked within each element: experiments differ in scale
    y_abs = eff.assign(a=eff["Coefficient"].abs()).groupby("Element")["a"].rank(pct=True)
    y_sig = eff.groupby("Element")["Coefficient"].rank(pct=True)
    params = dict(n_estimators=200, learning_rate=0.05, num_leaves=15, min_child_samples=50,
                  subsample=0.8, subsample_freq=1, colsample_bytree=0.8, verbose=-1,
                  n_jobs=1, random_state=0)  # fmt: skip
    x = feats.to_numpy(dtype=float)  # LightGBM refuses ':' in feature names
    for g in sorted(groups.unique()):
        test = (groups == g).to_numpy()
        for y, dest in ((y_abs, score), (y_sig, delta)):
            model = lgb.LGBMRegressor(**params).fit(x[~test], y.to_numpy()[~test])
            dest[test] = model.predict(x[test])
    return score, delta


def _local_mean(eff: pd.DataFrame, col: str, half: int) -> np.ndarray:
    """Mean of `col` over the experiment's alleles within ±half bases (features, not labels)."""
    out = np.zeros(len(eff))
    for _, part in eff.groupby("Element"):
        per_pos = part.groupby("element_pos")[col].mean()
        full = per_pos.reindex(range(1, int(per_pos.index.max()) + 1)).fillna(0)
        smooth = full.rolling(2 * half + 1, center=True, min_periods=1).mean()
        out[part.index] = smooth.reindex(part["element_pos"]).to_numpy()
    return out


def evaluate(eff: pd.DataFrame, methods: list[str]) -> list[dict]:
    rows = []
    for element, part in eff.groupby("Element", sort=True):
        sig = part["pValue"] < P_CUT
        for m in methods:
            rows.append(
                {
                    "element": element,
                    "method": m,
                    "n": len(part),
                    "n_sig": int(sig.sum()),
                    "signed": spearman(part["Coefficient"], part[f"{m}.delta"]),
                    "abs": spearman(part["Coefficient"].abs(), part[f"{m}.score"]),
                    "signed_sig": spearman(
                        part.loc[sig, "Coefficient"], part.loc[sig, f"{m}.delta"]
                    ),
                    "abs_sig": spearman(
                        part.loc[sig, "Coefficient"].abs(), part.loc[sig, f"{m}.score"]
                    ),
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--train-mpra", action="store_true", help="also write the shipped model")
    args = ap.parse_args()
    json_path = RESULTS / "dna_variants.json"
    if args.report_only:
        write_markdown(json.loads(json_path.read_text()), RESULTS / "dna_variants.md")
        return
    import torch

    torch.set_num_threads(1)
    eff, el = load_variants()
    fasta, vcf = write_inputs(eff, el)
    methods = ["motif", "motif_cell"] + [
        f"model:{d.name}" for d in sorted(MODELS.glob("*")) if (d / "bench.json").exists()
    ]
    if (LM_DIR / "bench.json").exists():
        methods.append("lm")
    seconds = {}
    for m in methods:
        print(m, "...", flush=True)
        t = score_method(m, vcf, fasta).set_index("row")
        eff[f"{m}.delta"] = t["delta"].reindex(eff.index).to_numpy()
        eff[f"{m}.score"] = t["score"].reindex(eff.index).to_numpy()
        seconds[m] = float(t["seconds"].iloc[0])
        if m in ("motif", "motif_cell"):  # explicit columns: max |Δ| here, Σ below
            t = t.reindex(eff.index)
            eff[f"{m}.delta"] = t["motif_delta"].to_numpy()
            eff[f"{m}.score"] = t["motif_abs_delta"].to_numpy()
            if m == "motif_cell":
                eff["motif_cell_sum.score"] = t["motif_sum_abs"].to_numpy()
                sums = t["motif_sum_abs"] - 2 * t["motif_sum_loss"]
                eff["motif_cell_sum.delta"] = sums.to_numpy()
        if m == "motif":
            eff["motif.hits"] = t["motif_hits"].to_numpy()
            eff["motif_hits.score"] = eff["motif.hits"]
            eff["motif_hits.delta"] = np.nan  # a count has no sign
            eff["motif_sum.score"] = t["motif_sum_abs"].to_numpy()
            eff["motif_sum.delta"] = (t["motif_sum_abs"] - 2 * t["motif_sum_loss"]).to_numpy()
    import dna_variants_mpra as mpra

    feats = mpra.features(
        eff, vcf, fasta, WORK / "scores" / "motif.csv", WORK / "scores" / "mpra_features.csv",
        MOTIF_WINDOW,
    )  # fmt: skip
    if args.train_mpra:
        print("shipped model:", mpra.train_final(eff, feats), flush=True)
    eff["mpra.score"] = mpra.loeo(eff, feats, group_of)
    eff["mpra.delta"] = feats["motif_sum_delta"].to_numpy()
    methods.insert(1, "motif_sum")
    if "motif_cell" in methods:
        methods.insert(methods.index("motif_cell") + 1, "motif_cell_sum")
    base = ["motif_hits", *methods]
    extra = add_ensembles(eff, methods) + ["mpra"]
    rows = evaluate(eff, base + extra)
    result = {
        "machine": f"{platform.machine()}, 1 thread (shared 2-core machine)",
        "n_variants": len(eff),
        "p_cut": P_CUT,
        "seconds": seconds,
        "lm": json.loads((LM_DIR / "bench.json").read_text())
        if (LM_DIR / "bench.json").exists()
        else None,
        "models": {
            d.name: json.loads((d / "bench.json").read_text())
            for d in sorted(MODELS.glob("*"))
            if (d / "bench.json").exists()
        },
        "rows": rows,
        "ensemble_loeo_choices": ENSEMBLE_CHOICES,
    }
    from helixforge.core.artifacts import save_json

    save_json(result, json_path)
    write_markdown(result, RESULTS / "dna_variants.md")


if __name__ == "__main__":
    main()
