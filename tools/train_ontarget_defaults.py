"""Build the FIRST shipped on-target models (version-1 features, mix `all`) from ../shared/data.

Superseded: the shipped models are now built by `python -m helixforge.crispr.ontarget_recipe
build` and copied in by its `ship` stage (docs/crispr_ontarget.md). This script is kept to
reproduce the version-1 models; running its final stage overwrites crispr/weights/spcas9_*.

    nice -n 10 .venv/bin/python tools/train_ontarget_defaults.py            # CV, then final fits
    nice -n 10 .venv/bin/python tools/train_ontarget_defaults.py --stage cv  # only the selection

Steps (each CV result is cached in runs/ontarget_defaults/cv.json, so a rerun resumes):
1. Training sets: Kim 2019 HT train (indel %), Doench 2016 FC+RES (within gene/drug rank),
   Wang 2019 DeepHF WT (23-mers: flanks unknown → N), each rank-normalised per dataset/group.
   No evaluation set (Kim test, rs3 test sets, CRISPOR collection) is read here.
2. Selection on one held-out fold of a 3-fold split of the training rows only; folds keyed by the 20-nt spacer so a
   spacer shared by two training sets never straddles folds. The score is the mean out-of-fold
   Spearman on Kim and Doench 2016 (DeepHF reported for information).
3. Final fits on all rows of the chosen mix; write weights + config + card.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helixforge.core.artifacts import save_json  # noqa: E402
from helixforge.core.metrics import spearman  # noqa: E402
from helixforge.core.tables import write_text  # noqa: E402
from helixforge.crispr.ontarget import (  # noqa: E402
    OnTargetEnsemble,
    OnTargetModel,
    encode_contexts,
    rank_normalize,
)

WEIGHTS = ROOT / "src/helixforge/crispr/weights"
WORK = ROOT / "runs/ontarget_defaults"
SCREENS = ["wang2014", "doench2014"]
MIXES = {
    "kim": ["kim2019"],
    "kim+doench": ["kim2019", "doench2016"],
    "kim+doench+screens": ["kim2019", "doench2016", *SCREENS],
    "all": ["kim2019", "doench2016", *SCREENS, "deephf_wt"],
}
CV_DATASETS = ["kim2019", "doench2016", "wang2014", "doench2014"]
CV_PARAMS = {"gbm": {"n_estimators": 300, "learning_rate": 0.1}, "cnn": {}}
CV_DEEPHF_ROWS = (
    20000  # DeepHF subsample used in selection only (CPU budget); final fits use all rows
)
FILES = {
    "kim2019": "crispr/on_target/kim2019_deepspcas9_HT_Cas9_train_30mer.csv",
    "doench2016": "crispr/on_target/doench2016_ruleset2_FC_plus_RES_30mer_azimuth.csv",
    "deephf_wt": "crispr/on_target/wang2019_deephf_WT_SpCas9_23mer.csv",
    "wang2014": "crispr/on_target/crispor_haeussler2016_benchmark/xu2015Train{Hl60,Kbm7}.scores.tab",
    "doench2014": "crispr/on_target/crispor_haeussler2016_benchmark/doench2014-{Hs,Mm}.scores.tab",
}
CRISPOR_DIR = "crispr/on_target/crispor_haeussler2016_benchmark"


def data_root() -> Path:
    from helixforge.datasets.registry import mirror_root

    root = mirror_root()
    if root is None or not (Path(root) / FILES["kim2019"]).is_file():
        raise SystemExit("shared data not found (set HELIX_DATA_MIRROR or place ../shared/data)")
    return Path(root)


def load_training_sets(root: Path | None = None) -> pd.DataFrame:
    """All training rows: columns dataset, context (30 nt, N-padded for 23-mers), spacer, group, y."""
    root = root or data_root()
    k = pd.read_csv(root / FILES["kim2019"])
    kim = pd.DataFrame({"dataset": "kim2019", "context": k["target_context_30mer"], "group": "kim2019",
                        "y": k["background_subtracted_indel_freq_pct"]})  # fmt: skip
    d = pd.read_csv(root / FILES["doench2016"])
    doench = pd.DataFrame({"dataset": "doench2016", "context": d["30mer"],
                           "group": "doench2016:" + d["drug"] + ":" + d["Target gene"], "y": d["score_drug_gene_rank"]})  # fmt: skip
    w = pd.read_csv(root / FILES["deephf_wt"])
    deephf = pd.DataFrame(
        {
            "dataset": "deephf_wt",
            "context": "NNNN" + w["sgRNA"] + "NNN",
            "group": "deephf_wt",
            "y": w["indel"],
        }
    )
    screens = []
    for fname, dataset, flip in [("xu2015TrainHl60", "wang2014", True), ("xu2015TrainKbm7", "wang2014", True),
                                 ("doench2014-Hs", "doench2014", False), ("doench2014-Mm", "doench2014", False)]:  # fmt: skip
        c = pd.read_csv(root / CRISPOR_DIR / f"{fname}.scores.tab", sep="\t")
        y = pd.to_numeric(c["modFreq"], errors="coerce") * (-1 if flip else 1)
        gene = c["guide"].astype(str).str.rsplit("-", n=1).str[0]
        screens.append(
            pd.DataFrame(
                {
                    "dataset": dataset,
                    "context": c["longSeq100Bp"].str[26:56],
                    "group": fname + ":" + gene,
                    "y": y,
                }
            )
        )
    df = pd.concat([kim, doench, *screens, deephf], ignore_index=True)
    df["context"] = df["context"].str.upper()
    df = df[(df["context"].str.len() == 30) & df["context"].str[25:27].eq("GG")].reset_index(
        drop=True
    )
    df["spacer"] = df["context"].str[4:24]
    df["target"] = rank_normalize(df["y"].to_numpy(), df["group"].to_numpy())
    return df


def training_spacers(root: Path | None = None, datasets: list[str] | None = None) -> set[str]:
    """Spacers of the given training sets (all by default), for deduplicating evaluation sets."""
    df = load_training_sets(root)
    if datasets:
        df = df[df["dataset"].isin(datasets)]
    return set(df["spacer"])


def spacer_fold(spacers: pd.Series, k: int) -> np.ndarray:
    return np.array([int(hashlib.md5(s.encode()).hexdigest()[:8], 16) % k for s in spacers])


def cv_score(
    df: pd.DataFrame, mix: str, kind: str, folds: list[int], k: int = 3, params: dict | None = None
) -> dict:
    """Out-of-fold Spearman per training set; a fold's model is fitted on the mix's rows of the
    other folds and scores every training set's rows of this fold (so Doench is scored even for
    mixes without it: its spacers in this fold were never fitted)."""
    fold = spacer_fold(df["spacer"], k)
    in_mix = df["dataset"].isin(MIXES[mix]).to_numpy().copy()
    deephf = np.flatnonzero((df["dataset"] == "deephf_wt").to_numpy())
    if len(deephf) > CV_DEEPHF_ROWS:
        drop = np.random.default_rng(0).choice(deephf, len(deephf) - CV_DEEPHF_ROWS, replace=False)
        in_mix[drop] = False
    oof = np.full(len(df), np.nan)
    for f in folds:
        tr, te = in_mix & (fold != f), fold == f
        m = OnTargetModel(
            kind, params=params or CV_PARAMS[kind], target_transform="none", seed=0, n_threads=2
        )
        m.fit(df.loc[tr, "context"].tolist(), df.loc[tr, "target"].to_numpy())
        oof[te] = m.predict_raw_codes(encode_contexts(df.loc[te, "context"].tolist())[0])
    res: dict = {}
    for ds in [*CV_DATASETS, "deephf_wt"]:
        sel = np.isfinite(oof) & (df["dataset"] == ds).to_numpy()
        res[ds] = spearman(df.loc[sel, "target"], oof[sel])
    res["score"] = float(np.mean([res[d] for d in CV_DATASETS]))
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", choices=["cv", "final", "all", "cards"], default="all")
    ap.add_argument(
        "--kinds", default="gbm,cnn", help="which shipped models to (re)fit in the final stage"
    )
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    cache_file = WORK / "cv_v2.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    df = load_training_sets()
    if args.stage == "cards":
        rewrite_cards(df, cache)
        return
    print({d: int(n) for d, n in df["dataset"].value_counts().items()}, flush=True)
    # One held-out fold (a third of the spacers) per candidate keeps this under ~30 CPU-minutes on
    # a shared 2-core machine; every candidate is scored on the same fold.
    # The cnn uses the data mix chosen for the gbm (its own CV did not fit the CPU budget).
    plan = [("gbm", m, [0]) for m in ("kim+doench", "kim+doench+screens", "all")]
    if args.stage in ("cv", "all"):
        for kind, mix, folds in plan:
            key = f"{kind}|{mix}|{','.join(map(str, folds))}"
            if key in cache:
                continue
            t0 = time.time()
            cache[key] = cv_score(df, mix, kind, folds)
            cache[key]["seconds"] = round(time.time() - t0, 1)
            print(key, cache[key], flush=True)
            save_json(cache, cache_file)
    if args.stage == "cv":
        return
    # choose the data mix per kind by the CV score on the folds both kinds were scored on
    cands = {
        k.split("|")[1]: v["score"]
        for k, v in cache.items()
        if k.startswith("gbm|") and k.endswith("|0") and "score" in v
    }
    best = {"gbm": max(cands, key=cands.get)}
    best["cnn"] = best["gbm"]
    print("chosen mixes:", best, flush=True)
    final_fit(df, best, cache, tuple(args.kinds.split(",")))


# On the shared 2-core machine a cnn fit with 2 torch threads ran at ~4 min per epoch (thread thrashing); the
# shipped cnn is therefore trained for FINAL_CNN_PARAMS["epochs"] epochs on one thread.
FINAL_CNN_PARAMS = {"epochs": 15, "patience": 3}


def final_fit(
    df: pd.DataFrame, best: dict, cache: dict, kinds: tuple[str, ...] = ("gbm", "cnn")
) -> None:
    import torch

    torch.set_num_threads(1)
    members = {}
    for kind in ("gbm", "cnn"):
        if kind not in kinds:
            members[kind] = OnTargetModel.load(WEIGHTS / f"spcas9_{kind}")
            continue
        sub = df[df["dataset"].isin(MIXES[best[kind]])].reset_index(drop=True)
        t0 = time.time()
        params = FINAL_CNN_PARAMS if kind == "cnn" else None
        m = OnTargetModel(kind, params=params, target_transform="none", seed=0, n_threads=2)
        m.fit(sub["context"].tolist(), sub["target"].to_numpy())
        m.n_threads = None
        m.info.update({"training_data": {d: FILES[d] for d in MIXES[best[kind]]}, "train_seconds": round(time.time() - t0, 1),
                       "cv": {k: v for k, v in cache.items() if k.startswith(kind + "|")}})  # fmt: skip
        out = WEIGHTS / f"spcas9_{kind}"
        m.save(out)
        write_card(out, kind, best[kind], sub, m, cache)
        members[kind] = m
        print(kind, "saved", m.info.get("valid_spearman"), flush=True)
    ens = OnTargetEnsemble([members["gbm"], members["cnn"]])
    d = WEIGHTS / "spcas9_default"
    d.mkdir(parents=True, exist_ok=True)
    save_json({"format": "helixforge.crispr.ontarget", "kind": "ensemble", "enzyme": "spcas9",
               "members": ["spcas9_gbm", "spcas9_cnn"], "member_base": "siblings", "weights": ens.weights.tolist()}, d / "config.json")  # fmt: skip
    write_text(DEFAULT_CARD, d / "card.md")
    make_readable()


def make_readable() -> None:
    """Atomic writes create 0600 files; package data must be world-readable."""
    for f in WEIGHTS.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)


def write_card(
    out: Path, kind: str, mix: str, sub: pd.DataFrame, m: OnTargetModel, cache: dict
) -> None:
    """card.md for a shipped model, from its training rows, its info and the selection results."""
    counts = sub["dataset"].value_counts().to_dict()
    cv_lines = "\n".join(
        f"- gbm on `{k.split('|')[1]}`: " + ", ".join(f"{a} {b:.3f}" for a, b in v.items() if a != "seconds")
        for k, v in cache.items() if k.startswith("gbm|") and k.endswith("|0")
    )  # fmt: skip
    what = (
        "LightGBM gradient-boosted trees (LightGBM text model `model.txt`) on 628 Rule Set 2-style features"
        if kind == "gbm"
        else "Convolutional network (parallel k = 3/5/7 convolutions, 1x1 mixing, dense head) on the one-hot "
        "30-mer; weights in `model.safetensors`, architecture in `config.json`"
    )
    info = m.info
    text = f"""# SpCas9 on-target efficiency model: {kind}

{what}. Built by `tools/train_ontarget_defaults.py` (seed 0); {info.get("n_train")} rows fitted,
{info.get("n_valid")} held for early stopping ({info.get("n_trees", info.get("epochs_run"))} {"trees" if kind == "gbm" else "epochs"}).

## Training data

Data mix `{mix}`: {", ".join(f"{d} ({n} rows; {FILES[d]})" for d, n in counts.items())} — all under ../shared/data.

- kim2019: DeepSpCas9 HT_Cas9_Train (Kim et al. 2019; HEK293T integrated targets; indel %).
- doench2016: Rule Set 2 FC+RES (Doench et al. 2016; within drug x gene rank).
- wang2014: Wang et al. 2014 HL60 and KBM7 knockout screens (CRISPOR collection; log fold change,
  sign flipped so higher = more active), ranked within cell line x gene.
- doench2014: Doench et al. 2014 human and mouse surface-marker screens (CRISPOR collection), ranked within gene.
- deephf_wt: DeepHF WT-SpCas9 (Wang et al. 2019; 23-mers: the flanks are unknown and enter as N).

## Target transform

Each dataset's activity is rank-normalised to (rank - 0.5) / n within its group (see above), so
sets measured as indel %, log fold change or ranks combine. The output is mapped to 0-100 =
percentile of the model's own training-set predictions (quantiles in config.json).

## Held-out evaluation

Data mix chosen (for both gbm and cnn) by the gbm's Spearman on one held-out fold (a third of
the spacers, keyed by spacer so no spacer straddles train and test) of the training rows only;
DeepHF subsampled to {CV_DEEPHF_ROWS} rows and a faster gbm ({CV_PARAMS["gbm"]}) in this selection:
{cv_lines}

Internal early-stopping split (10 % of the fitted rows): Spearman {info.get("valid_spearman", float("nan")):.3f}.
Held-out benchmark on sets never seen in training (Kim 2019 test, Aguirre 2016, Behan 2019, the
CRISPOR collection; spacers deduplicated against every training set):
benchmarks/results/crispr_ontarget.md.

## Intended use and limits

Ranking SpCas9 (NGG) knockout guides by expected cutting efficiency in human / mouse cells.
Not calibrated for other enzymes, base or prime editors, or other organisms; the score is a rank,
not an indel percentage.
"""
    write_text(text, out / "card.md")


def rewrite_cards(df: pd.DataFrame, cache: dict) -> None:
    """Regenerate card.md of the shipped models from their saved config (no refit)."""
    for kind in ("gbm", "cnn"):
        d = WEIGHTS / f"spcas9_{kind}"
        m = OnTargetModel.load(d)
        mix = next(k for k, v in MIXES.items() if sorted(v) == sorted(m.info["training_data"]))
        write_card(d, kind, mix, df[df["dataset"].isin(MIXES[mix])], m, cache)
    write_text(DEFAULT_CARD, WEIGHTS / "spcas9_default" / "card.md")
    make_readable()


DEFAULT_CARD = """# SpCas9 on-target efficiency: default model

The mean of the two shipped models' percentile scores: `spcas9_gbm` (LightGBM on Rule Set
2-style features) and `spcas9_cnn` (convolutional network on the one-hot context). See their
cards for the training data, the target transform and the cross-validation; the held-out
benchmark is in benchmarks/results/crispr_ontarget.md.

Scale: 0-100, the predicted percentile of the guide's activity among the training libraries'
guides (higher = more active). Built by `tools/train_ontarget_defaults.py`.
"""


if __name__ == "__main__":
    main()
