"""How the shipped SpCas9 on-target models are built from the shared data mirror (training sets,
selection, final fits). Build-time only: nothing here runs when guides are scored.

    python -m helixforge.crispr.ontarget_recipe build --out runs/ontarget_v3     # CV + final fits
    python -m helixforge.crispr.ontarget_recipe variants --out runs/ontarget_v3  # eSpCas9 / HF1 heads
    python -m helixforge.crispr.ontarget_recipe ship --out runs/ontarget_v3 [--default accurate]
    python -m helixforge.crispr.ontarget_recipe onnx DIR   # a gbm's trees → DIR/model.onnx
    python -m helixforge.crispr.ontarget_recipe cv --mix all+variants --features 2 [--kind cnn]
    python -m helixforge.crispr.ontarget_recipe fit --mix all+variants --features 2 --out runs/x/gbm
    python -m helixforge.crispr.ontarget_recipe fit ... --flank-free --out runs/x/gbm23

`build` chooses the data mix / feature version / Kim 2019 weight (GRID) and the cnn's share of
the gbm + cnn ensemble (CNN_WEIGHTS) by one spacer-keyed fold of the training rows only; no
evaluation set is read. `ship` copies a build into the package (benchmark it first:
benchmarks/crispr_ontarget.py --candidate NAME=DIR/default).

Training sets (no evaluation set is read here): Kim 2019 HT train (indel %), Doench 2016 FC+RES
(within drug x gene rank), Wang 2014 HL60/KBM7 screens and Doench 2014 human/mouse screens
(CRISPOR collection, ranked within cell line x gene), DeepHF (Wang 2019) WT SpCas9, eSpCas9(1.1)
and SpCas9-HF1 (23-mers: flanks unknown → N). Each set — and each DeepHF enzyme — is its own
group, rank-normalised to (rank − 0.5) / n within the group (per-study normalisation), so indel
%, log fold changes and ranks combine. `all_training_spacers` lists every candidate training
spacer: evaluation sets are deduplicated against all of them, whichever mix a model used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.io import atomic_file
from helixforge.crispr.ontarget_features import rank_normalize

ON = "crispr/on_target"
CRISPOR_DIR = f"{ON}/crispor_haeussler2016_benchmark"
FILES = {
    "kim2019": f"{ON}/kim2019_deepspcas9_HT_Cas9_train_30mer.csv",
    "doench2016": f"{ON}/doench2016_ruleset2_FC_plus_RES_30mer_azimuth.csv",
    "wang2014": f"{CRISPOR_DIR}/xu2015Train{{Hl60,Kbm7}}.scores.tab",
    "doench2014": f"{CRISPOR_DIR}/doench2014-{{Hs,Mm}}.scores.tab",
    "deephf_wt": f"{ON}/wang2019_deephf_WT_SpCas9_23mer.csv",
    "deephf_esp": f"{ON}/wang2019_deephf_eSpCas9_23mer.csv",
    "deephf_hf1": f"{ON}/wang2019_deephf_SpCas9HF1_23mer.csv",
}
BASE = ["kim2019", "doench2016", "wang2014", "doench2014"]
MIXES = {
    "all": [*BASE, "deephf_wt"],  # the mix of the first shipped models
    "all+variants": [*BASE, "deephf_wt", "deephf_esp", "deephf_hf1"],
    "base": BASE,
}
CV_DATASETS = ["kim2019", "doench2016", "wang2014", "doench2014"]


def data_root() -> Path:
    """The shared data mirror (`helixforge.datasets.registry.mirror_root`), checked."""
    from helixforge.datasets.registry import mirror_root

    root = mirror_root()
    if root is None or not (Path(root) / FILES["kim2019"]).is_file():
        raise SystemExit("shared data not found (set HELIX_DATA_MIRROR or place ../shared/data)")
    return Path(root)


def load_training_sets(root: Path | None = None) -> pd.DataFrame:
    """All candidate training rows: dataset, context (30 nt; N flanks for 23-mers), group, y,
    spacer, target (y rank-normalised within group, higher = more active)."""
    root = root or data_root()
    k = pd.read_csv(root / FILES["kim2019"])
    parts = [pd.DataFrame({"dataset": "kim2019", "context": k["target_context_30mer"], "group": "kim2019",
                           "y": k["background_subtracted_indel_freq_pct"]})]  # fmt: skip
    d = pd.read_csv(root / FILES["doench2016"])
    parts.append(pd.DataFrame({"dataset": "doench2016", "context": d["30mer"], "y": d["score_drug_gene_rank"],
                               "group": "doench2016:" + d["drug"] + ":" + d["Target gene"]}))  # fmt: skip
    for fname, dataset, flip in [("xu2015TrainHl60", "wang2014", True), ("xu2015TrainKbm7", "wang2014", True),
                                 ("doench2014-Hs", "doench2014", False), ("doench2014-Mm", "doench2014", False)]:  # fmt: skip
        c = pd.read_csv(root / CRISPOR_DIR / f"{fname}.scores.tab", sep="\t")
        y = pd.to_numeric(c["modFreq"], errors="coerce") * (-1 if flip else 1)
        gene = c["guide"].astype(str).str.rsplit("-", n=1).str[0]
        parts.append(pd.DataFrame({"dataset": dataset, "context": c["longSeq100Bp"].str[26:56],
                                   "group": fname + ":" + gene, "y": y}))  # fmt: skip
    for dataset in ("deephf_wt", "deephf_esp", "deephf_hf1"):
        w = pd.read_csv(root / FILES[dataset])
        parts.append(pd.DataFrame({"dataset": dataset, "context": "NNNN" + w["sgRNA"] + "NNN",
                                   "group": dataset, "y": w["indel"]}))  # fmt: skip
    df = pd.concat(parts, ignore_index=True)
    df["context"] = df["context"].astype(str).str.upper()
    ok = (df["context"].str.len() == 30) & df["context"].str[25:27].eq("GG")
    df = df[ok].reset_index(drop=True)
    df["spacer"] = df["context"].str[4:24]
    df["target"] = rank_normalize(df["y"].to_numpy(), df["group"].to_numpy())
    return df


def all_training_spacers(root: Path | None = None) -> set[str]:
    """Every spacer of every candidate training set (for deduplicating evaluation sets)."""
    return set(load_training_sets(root)["spacer"])


# Raw log fold change where more negative = more active (MANIFEST evaluation notes): flipped.
FLIP = {"xu2015TrainHl60", "xu2015TrainKbm7", "xu2015TrainMEsc", "wang2015_hg19"}
CRISPOR_TOOLS = (
    "fusi",
    "doench",
    "crisprScan",
    "wangOrig",
    "chariRaw",
    "ssc",
    "wuCrispr",
    "housden",
)


def load_eval_sets(root: Path | None = None) -> dict[str, dict]:
    """Evaluation sets: name → {frame (context 30-mer, spacer, y, tool:* columns), source,
    n_invalid}: Kim 2019 test, the rs3 test sets (Aguirre 2016, Behan 2019) and the CRISPOR
    collection. Deduplicate them with `all_training_spacers` before calling them held out."""
    root = root or data_root()
    raw: dict[str, tuple[pd.DataFrame, str]] = {}
    k = pd.read_csv(root / f"{ON}/kim2019_deepspcas9_HT_Cas9_test_30mer.csv")
    raw["kim2019_test"] = (pd.DataFrame({"context": k["target_context_30mer"], "y": k["background_subtracted_indel_freq_pct"]}),
                           "Kim 2019 HT_Cas9_Test (indel %)")  # fmt: skip
    for name in ("aguirre2016", "behan2019"):
        d = pd.read_csv(root / f"{ON}/rs3_testset_{name}_activity_30mer.csv")
        raw[name] = (pd.DataFrame({"context": d["sgRNA Context Sequence"], "y": d["avg_mean_centered_neg_lfc"]}),
                     f"{name} (rs3 test set)")  # fmt: skip
    for f in sorted((root / CRISPOR_DIR).glob("*.scores.tab")):
        name = f.name.replace(".scores.tab", "")
        d = pd.read_csv(f, sep="\t")
        frame = pd.DataFrame({"context": d["longSeq100Bp"].str[26:56],
                              "y": pd.to_numeric(d["modFreq"], errors="coerce")})  # fmt: skip
        if name in FLIP:
            frame["y"] = -frame["y"]
        for col in CRISPOR_TOOLS:
            if col in d.columns:
                frame["tool:" + col] = pd.to_numeric(d[col], errors="coerce")
        raw[name] = (
            frame,
            f"CRISPOR collection ({name})" + (" sign-flipped" if name in FLIP else ""),
        )
    sets = {}
    for name, (fr, source) in raw.items():
        fr["context"] = fr["context"].astype(str).str.upper()
        fr["spacer"] = fr["context"].str[4:24]
        ok = (fr["context"].str.len() == 30) & fr["context"].str[25:27].eq("GG") & fr["y"].notna()
        sets[name] = {"frame": fr[ok].reset_index(drop=True), "source": source,
                      "n_invalid": int((~ok).sum())}  # fmt: skip
    return sets


def held_out(frame: pd.DataFrame, train_spacers: set[str]) -> tuple[pd.DataFrame, int]:
    """The rows of an evaluation frame whose 20-nt spacer no training set holds, and how many
    were removed (copies of a spacer in any training set, whatever the assay or flanks)."""
    # A set lookup per row: Series.isin on arrow strings rebuilds its lookup from the whole
    # training set on every call (~1 s for 100k spacers), and the recipe calls it per study.
    spacers = frame["context"].str[4:24].str.upper()
    seen = np.fromiter((s in train_spacers for s in spacers), bool, count=len(spacers))
    return frame[~seen].reset_index(drop=True), int(seen.sum())


def spacer_fold(spacers: pd.Series, k: int) -> np.ndarray:
    """Fold of each row by a hash of its spacer: copies of a spacer never straddle folds."""
    return np.array([int(hashlib.md5(s.encode()).hexdigest()[:8], 16) % k for s in spacers])


def dataset_weights(df: pd.DataFrame, kim_weight: float) -> np.ndarray:
    """Row weights: `kim_weight` for Kim 2019 rows, 1 elsewhere."""
    return np.where(df["dataset"].to_numpy() == "kim2019", kim_weight, 1.0)


def make_model(
    feature_version: int, flank_free: bool, params: dict | None = None, kind: str = "gbm"
):
    """An untrained `OnTargetModel` of the recipe (raw targets: the rows are rank-normalised
    per study already; one thread; seed 0)."""
    from helixforge.crispr.ontarget_models import OnTargetModel

    return OnTargetModel(kind, params=params, target_transform="none", seed=0, n_threads=1,
                         feature_version=feature_version, flank_free=flank_free)  # fmt: skip


def cv_predict(df: pd.DataFrame, mix: str, feature_version: int, *, kind: str = "gbm",
               flank_free: bool = False, kim_weight: float = 1.0, params: dict | None = None,
               k: int = 3) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Fold-0 rows (a boolean mask over `df`) and their 0-100 scores from a model fitted on the
    mix's rows of the other folds of a k-fold spacer split of the training rows."""
    from helixforge.crispr.ontarget_features import encode_contexts

    fold = spacer_fold(df["spacer"], k)
    tr = df["dataset"].isin(MIXES[mix]).to_numpy() & (fold != 0)
    te = fold == 0
    m = make_model(feature_version, flank_free, params, kind)
    sub = df[tr]
    weight = dataset_weights(sub, kim_weight) if kind == "gbm" else None
    m.fit(sub["context"].tolist(), sub["target"].to_numpy(), sample_weight=weight)
    return te, m.predict_codes(encode_contexts(df.loc[te, "context"].tolist())[0])


def fold_scores(df: pd.DataFrame, te: np.ndarray, pred: np.ndarray) -> dict:
    """Spearman per training set on the fold-0 rows, and `score` = their mean over CV_DATASETS."""
    from helixforge.core.metrics import spearman

    res = {}
    for ds in [*CV_DATASETS, "deephf_wt"]:
        sel = (df.loc[te, "dataset"] == ds).to_numpy()
        res[ds] = spearman(df.loc[te, "target"].to_numpy()[sel], pred[sel])
    res["score"] = float(np.mean([res[d] for d in CV_DATASETS]))
    return res


def cv_score(df: pd.DataFrame, mix: str, feature_version: int, *, flank_free: bool = False,
             kim_weight: float = 1.0, params: dict | None = None, k: int = 3,
             kind: str = "gbm") -> dict:  # fmt: skip
    """Spearman on fold 0 of a k-fold spacer split of the training rows (fit on the mix's rows
    of the other folds; every training set's rows of fold 0 scored, so sets outside the mix are
    out-of-sample too)."""
    te, pred = cv_predict(df, mix, feature_version, kind=kind, flank_free=flank_free,
                          kim_weight=kim_weight, params=params, k=k)  # fmt: skip
    return fold_scores(df, te, pred)


def fit_final(df: pd.DataFrame, mix: str, feature_version: int, out: Path, *,
              flank_free: bool = False, kim_weight: float = 1.0, params: dict | None = None,
              kind: str = "gbm") -> dict:  # fmt: skip
    """Fit on every row of the mix and save the model (LightGBM text or safetensors, and
    config.json) to `out`."""
    sub = df[df["dataset"].isin(MIXES[mix])].reset_index(drop=True)
    m = make_model(feature_version, flank_free, params, kind)
    t0 = time.time()
    weight = dataset_weights(sub, kim_weight) if kind == "gbm" else None
    m.fit(sub["context"].tolist(), sub["target"].to_numpy(), sample_weight=weight)
    m.n_threads = None
    m.info.update({"training_data": {d: FILES[d] for d in MIXES[mix]}, "mix": mix,
                   "kim_weight": kim_weight if kind == "gbm" else 1.0,
                   "rows": sub["dataset"].value_counts().to_dict(),
                   "train_seconds": round(time.time() - t0, 1)})  # fmt: skip
    m.save(out)
    return m.info


# Selection grid (fold 0 of 3, fast gbm): feature version, data mix, Kim 2019 weight.
# (the shipped version-1 "all" model is the baseline: it is benchmarked beside the result)
GRID = [("all", 2, 1.0), ("all+variants", 2, 1.0), ("all+variants", 2, 4.0)]


def cv_flank_free(df: pd.DataFrame, mix: str, feature_version: int, kim_weight: float,
                  params: dict | None = None) -> dict:  # fmt: skip
    """Fold-0 Spearman of 23-mer scoring: a flank-free model vs the 30-mer model fed N flanks."""
    from helixforge.core.metrics import spearman
    from helixforge.crispr.ontarget_features import encode_contexts, mask_flanks

    fold = spacer_fold(df["spacer"], 3)
    sub = df[df["dataset"].isin(MIXES[mix]).to_numpy() & (fold != 0)]
    te = df[(fold == 0) & df["dataset"].isin(CV_DATASETS).to_numpy()]
    codes = mask_flanks(encode_contexts(te["context"].tolist())[0])
    res = {}
    for name, ff in (("flank_free", True), ("n_padded", False)):
        m = make_model(feature_version, ff, params)
        m.fit(sub["context"].tolist(), sub["target"].to_numpy(),
              sample_weight=dataset_weights(sub, kim_weight))  # fmt: skip
        pred = m.predict_raw_codes(codes)
        res[name] = {ds: spearman(te["target"][te["dataset"] == ds], pred[(te["dataset"] == ds).to_numpy()])
                     for ds in CV_DATASETS}  # fmt: skip
        res[name]["score"] = float(np.mean(list(res[name].values())))
    return res


# The recipe's cnn: CNN_DEFAULTS with larger batches and fewer epochs (one CPU thread).
RECIPE_CNN_PARAMS = {"epochs": 10, "batch_size": 512, "patience": 2}


def _cached(cache: list[dict], **match) -> dict | None:
    return next((r for r in cache if all(r.get(k) == v for k, v in match.items())), None)


def _cv_cache(out: Path) -> tuple[list[dict], Callable[[dict], None]]:
    """The CV rows already in `out/cv.jsonl` and a function that prints a new row and appends
    it there (what makes `build` and `accurate` resumable)."""
    cache_file = out / "cv.jsonl"
    cache = (
        [json.loads(x) for x in cache_file.read_text().splitlines()] if cache_file.exists() else []
    )

    def record(row: dict) -> None:
        print(json.dumps(row), flush=True)
        cache.append(row)
        with open(cache_file, "a") as fh:
            fh.write(json.dumps(row) + "\n")

    return cache, record


def _fit_missing(df: pd.DataFrame, out: Path, todo: list[tuple[str, bool, str, dict | None]],
                 mix: str, fv: int, kw: float) -> None:  # fmt: skip
    """`fit_final` each (name, flank_free, kind, params) whose `out/name` has no model yet."""
    for name, ff, kind, params in todo:
        if not (out / name / "config.json").exists():
            info = fit_final(df, mix, fv, out / name, flank_free=ff, kim_weight=kw,
                             params=params, kind=kind)  # fmt: skip
            print(name, json.dumps({k: v for k, v in info.items() if k != "training_data"}),
                  flush=True)  # fmt: skip


def build(out: Path, cnn: bool = False) -> dict:
    """Selection grid (fast gbm) → data mix, feature version, Kim weight; 23-mer CV
    (`cv_flank_free`) → a flank-free gbm for 23-mers or the N-padded ensemble; with `cnn`,
    ensemble CV (gbm + a cnn fitted on the same rows, `cv_ensemble`) → the cnn's weight; final
    30-mer gbm, flank-free gbm (when chosen) and (weight > 0) cnn on the chosen mix → an ensemble
    directory `out/default` naming its siblings. Resumable: CV rows are cached in
    `out/cv.jsonl`, fitted models are kept.

    Without `cnn` (the shipped build) the default is the gbm alone: a cnn member costs about as
    much CPU per guide as the 1,300-tree gbm, and with one the default falls below 10x Rule Set
    3's guides per second (measured: docs/crispr_ontarget.md)."""
    from helixforge.core.artifacts import save_json

    out.mkdir(parents=True, exist_ok=True)
    cache, record = _cv_cache(out)

    df = load_training_sets()
    fast = {"n_estimators": 300, "learning_rate": 0.1}
    for mix, fv, kw in GRID:
        if _cached(cache, mix=mix, features=fv, kim_weight=kw) is None:
            t0 = time.time()
            record({"mix": mix, "features": fv, "kim_weight": kw,
                    **cv_score(df, mix, fv, kim_weight=kw, params=fast),
                    "seconds": round(time.time() - t0, 1)})  # fmt: skip
    grid = [r for r in cache if "mix" in r and "score" in r and "ensemble_cv" not in r]
    best = max(grid, key=lambda r: r["score"])
    mix, fv, kw = best["mix"], best["features"], best["kim_weight"]
    print("chosen:", mix, fv, kw, flush=True)
    flank = _cached(cache, flank_free_cv=True, mix=mix, features=fv, kim_weight=kw)
    if flank is None:  # 23-mers: a flank-free model, or the 30-mer model fed N flanks?
        flank = {"flank_free_cv": True, "mix": mix, "features": fv, "kim_weight": kw,
                 **cv_flank_free(df, mix, fv, kw, params=fast)}  # fmt: skip
        record(flank)
    use_flank_free = flank["flank_free"]["score"] > flank["n_padded"]["score"]
    print(
        "23-mers:", "flank-free model" if use_flank_free else "N-padded 30-mer models", flush=True
    )
    ens, w = None, 0.0
    if cnn:  # opt-in: a cnn member costs more CPU per guide than the speed goal leaves
        ens = _cached(cache, ensemble_cv=True, mix=mix, features=fv, kim_weight=kw)
        if ens is None:
            ens = {"ensemble_cv": True, "mix": mix, "features": fv, "kim_weight": kw,
                   "cnn_params": RECIPE_CNN_PARAMS,
                   **cv_ensemble(df, mix, fv, out / "cv_predictions", kim_weight=kw,
                                 cnn_params=RECIPE_CNN_PARAMS)}  # fmt: skip
            record(ens)
        w = ens["best_cnn_weight"]
    print("cnn weight:", w, flush=True)
    todo = [("gbm", False, "gbm", None)] + (
        [("gbm23", True, "gbm", None)] if use_flank_free else []
    )
    if w > 0:
        todo.append(("cnn", False, "cnn", RECIPE_CNN_PARAMS))
    _fit_missing(df, out, todo, mix, fv, kw)
    members, weights = (["gbm", "cnn"], [1 - w, w]) if w > 0 else (["gbm"], [1.0])
    (out / "default").mkdir(exist_ok=True)
    save_json({"format": "helixforge.crispr.ontarget", "kind": "ensemble", "enzyme": "spcas9",
               "members": members, "member_base": "siblings", "weights": weights,
               **({"flank_free": "gbm23"} if use_flank_free else {}),
               "recipe": {"mix": mix, "features": fv, "kim_weight": kw,
                          **({"cnn_weight_cv": ens} if ens else {})}},
              out / "default" / "config.json")  # fmt: skip
    return {"mix": mix, "features": fv, "kim_weight": kw, "cnn_weight": w}


CNN_WEIGHTS = (0.0, 0.25, 0.5, 0.75)  # candidate cnn weights in the gbm + cnn ensemble


def cv_ensemble(df: pd.DataFrame, mix: str, feature_version: int, work: Path, *,
                kim_weight: float = 1.0, cnn_params: dict | None = None,
                gbm_params: dict | None = None, weights: tuple[float, ...] = CNN_WEIGHTS,
                tag: str = "") -> dict:  # fmt: skip
    """Fold-0 Spearman of the final-size gbm, a cnn fitted on the same rows, and their weighted
    mean of percentiles for each weight in `weights` (the cnn's share); `best_cnn_weight` is
    the best by the CV score. Fold-0 predictions are cached as .npy files in `work` (`tag` in
    their names keeps models of other sizes apart)."""
    work.mkdir(parents=True, exist_ok=True)
    preds = {}
    for kind, params in (("gbm", gbm_params), ("cnn", cnn_params)):
        f = work / f"cv_{kind}{tag}_{mix}_f{feature_version}.npy"
        if f.exists():
            preds[kind] = np.load(f)
            continue
        t0 = time.time()
        te, preds[kind] = cv_predict(df, mix, feature_version, kind=kind, kim_weight=kim_weight,
                                     params=params)  # fmt: skip
        with atomic_file(f) as tmp, open(tmp, "wb") as fh:  # a killed run leaves no torn cache
            np.save(fh, preds[kind])
        print(kind, "fold-0 fit", round(time.time() - t0, 1), "s", flush=True)
    te = spacer_fold(df["spacer"], 3) == 0
    res = {"gbm": fold_scores(df, te, preds["gbm"]), "cnn": fold_scores(df, te, preds["cnn"])}
    for w in weights:
        res[f"cnn_weight_{w}"] = fold_scores(df, te, (1 - w) * preds["gbm"] + w * preds["cnn"])
    res["best_cnn_weight"] = max(weights, key=lambda w: res[f"cnn_weight_{w}"]["score"])
    return res


# The opt-in `accurate` model: a larger gbm and a wider cnn, mixed by the same CV. Recipe CV
# (fold 0) 0.645 against the default's 0.629, at about a quarter of the default's guides per
# second (docs/crispr_ontarget.md); sizes chosen on the same fold.
ACCURATE_GBM_PARAMS = {"n_estimators": 2500, "num_leaves": 31}
ACCURATE_CNN_PARAMS = {"channels": 64, "hidden": 128, "epochs": 25, "batch_size": 256,
                       "lr": 1e-3, "patience": 4}  # fmt: skip
ACCURATE_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def build_accurate(out: Path) -> dict:
    """The `accurate` model of a finished `build` (same mix, features and Kim weight, read from
    `out/default`): ensemble CV of ACCURATE_GBM_PARAMS + ACCURATE_CNN_PARAMS → the cnn's weight
    (ACCURATE_WEIGHTS); both fitted on the mix → `out/accurate` naming `accurate_gbm` and
    `accurate_cnn`. Resumable like `build` (CV row in cv.jsonl, fitted members kept)."""
    from helixforge.core.artifacts import save_json

    default = out / "default" / "config.json"
    if not default.exists():
        raise SystemExit(f"{default} not found: run `build --out {out}` first")
    r = json.loads(default.read_text())["recipe"]
    mix, fv, kw = r["mix"], r["features"], r["kim_weight"]
    cache, record = _cv_cache(out)
    df = load_training_sets()
    ens = _cached(cache, accurate_cv=True, mix=mix, features=fv, kim_weight=kw)
    if ens is None:
        ens = {"accurate_cv": True, "mix": mix, "features": fv, "kim_weight": kw,
               "gbm_params": ACCURATE_GBM_PARAMS, "cnn_params": ACCURATE_CNN_PARAMS,
               **cv_ensemble(df, mix, fv, out / "cv_predictions", kim_weight=kw,
                             gbm_params=ACCURATE_GBM_PARAMS, cnn_params=ACCURATE_CNN_PARAMS,
                             weights=ACCURATE_WEIGHTS, tag="_accurate")}  # fmt: skip
        record(ens)
    w = ens["best_cnn_weight"]
    _fit_missing(df, out, [("accurate_gbm", False, "gbm", ACCURATE_GBM_PARAMS),
                           ("accurate_cnn", False, "cnn", ACCURATE_CNN_PARAMS)], mix, fv, kw)  # fmt: skip
    (out / "accurate").mkdir(exist_ok=True)
    save_json({"format": "helixforge.crispr.ontarget", "kind": "ensemble", "enzyme": "spcas9",
               "members": ["accurate_gbm", "accurate_cnn"], "member_base": "siblings",
               "weights": [round(1 - w, 6), w],
               "recipe": {"mix": mix, "features": fv, "kim_weight": kw, "cnn_weight_cv": ens}},
              out / "accurate" / "config.json")  # fmt: skip
    return {"mix": mix, "features": fv, "kim_weight": kw, "cnn_weight": w}


VARIANTS = {"espcas9": "deephf_esp", "spcas9hf1": "deephf_hf1"}


def build_variants(out: Path) -> dict:
    """One flank-free gbm per high-fidelity SpCas9 variant, on its own DeepHF set (23-mers), as
    `out/<enzyme>_default`; with the fold-0 Spearman of that head and, for comparison, of a
    model trained on WT SpCas9 (DeepHF WT) on the same held-out variant rows."""
    from helixforge.core.metrics import spearman
    from helixforge.crispr.ontarget_features import encode_contexts

    df = load_training_sets()
    fold = spacer_fold(df["spacer"], 3)
    report = {}
    for enzyme, ds in VARIANTS.items():
        if (out / f"{enzyme}_default" / "config.json").exists():
            continue
        te = df[(fold == 0) & (df["dataset"] == ds).to_numpy()]
        codes = encode_contexts(te["context"].tolist())[0]
        res = {}
        for name, train_ds in (("own_head", ds), ("wt_model", "deephf_wt")):
            sub = df[(fold != 0) & (df["dataset"] == train_ds).to_numpy()]
            m = make_model(2, True)
            m.fit(sub["context"].tolist(), sub["target"].to_numpy())
            res[name] = spearman(te["target"].to_numpy(), m.predict_raw_codes(codes))
        sub = df[df["dataset"] == ds]
        m = make_model(2, True)
        m.fit(sub["context"].tolist(), sub["target"].to_numpy())
        m.n_threads = None
        m.info.update({"training_data": {ds: FILES[ds]}, "enzyme": enzyme, "cv_fold0": res})
        m.save(out / f"{enzyme}_default")
        report[enzyme] = res
        print(enzyme, json.dumps(res), flush=True)
    return report


DATASET_NOTES = {
    "kim2019": "DeepSpCas9 HT_Cas9_Train (Kim et al. 2019; HEK293T integrated targets; indel %)",
    "doench2016": "Rule Set 2 FC+RES (Doench et al. 2016; ranked within drug x gene)",
    "wang2014": "Wang et al. 2014 HL60 / KBM7 knockout screens (CRISPOR collection; log fold change "
    "sign-flipped so higher = more active; ranked within cell line x gene)",
    "doench2014": "Doench et al. 2014 human / mouse surface-marker screens (CRISPOR collection; "
    "ranked within gene)",
    "deephf_wt": "DeepHF WT SpCas9 (Wang et al. 2019; 23-mers, flanks unknown = N; indel fraction)",
    "deephf_esp": "DeepHF eSpCas9(1.1) (Wang et al. 2019; 23-mers; its own normalisation group)",
    "deephf_hf1": "DeepHF SpCas9-HF1 (Wang et al. 2019; 23-mers; its own normalisation group)",
}
SHIP_NAMES = {
    "gbm": "spcas9_gbm",
    "gbm23": "spcas9_gbm23",
    "cnn": "spcas9_cnn",
    "accurate_gbm": "spcas9_accurate_gbm",
    "accurate_cnn": "spcas9_accurate_cnn",
}


def _card(name: str, cfg: dict, cv_rows: list[dict], command: str) -> str:
    """card.md of one shipped model from its config.json and the recipe's CV rows."""
    info = cfg.get("info", {})
    kind = cfg["kind"]
    what = {
        "gbm": f"LightGBM gradient-boosted trees (`model.txt`, LightGBM text) on the feature-version "
        f"{cfg.get('feature_version')} features (`ontarget_features.feature_names`)",
        "cnn": "Convolutional network (parallel k = 3/5/7 convolutions, 1x1 mixing, dense head) on the "
        "one-hot context (`model.safetensors`; architecture in `config.json`)",
    }[kind]
    if cfg.get("flank_free"):
        what += "; flank-free: trained and scored on spacer + PAM only (the model for 23-mers)"
    rows = info.get("rows", {})
    data = "\n".join(f"- {d} ({n} rows): {DATASET_NOTES.get(d, '')}; `{info.get('training_data', {}).get(d, '')}`"
                     for d, n in rows.items())  # fmt: skip
    grid = "\n".join(
        f"- gbm, mix `{r['mix']}`, features v{r['features']}, Kim weight {r['kim_weight']}: "
        + ", ".join(f"{d} {r[d]:.3f}" for d in [*CV_DATASETS, "deephf_wt"]) + f"; score {r['score']:.3f}"
        for r in cv_rows if "score" in r and "ensemble_cv" not in r
    )  # fmt: skip
    ens = next((r for r in cv_rows if r.get("ensemble_cv")), None)
    ens_text = ""
    if ens:
        ens_text = "\n\nEnsemble CV (same fold, final-size gbm and the recipe cnn), score by cnn weight: " + ", ".join(
            f"{w}: {ens[f'cnn_weight_{w}']['score']:.3f}" for w in CNN_WEIGHTS if f"cnn_weight_{w}" in ens
        ) + f"; chosen {ens['best_cnn_weight']}."  # fmt: skip
    return f"""# SpCas9 on-target efficiency model: {name}

{what}. Built by `{command}` (seed 0); {info.get("n_train")} rows fitted, {info.get("n_valid")} held
for early stopping ({info.get("n_trees", info.get("epochs_run"))} {"trees" if kind == "gbm" else "epochs"}).

## Training data (under ../shared/data; mix `{info.get("mix")}`)

{data}

Each set (and each DeepHF enzyme) is rank-normalised to (rank - 0.5) / n within its group, so
indel %, log fold changes and ranks combine. The output is mapped to 0-100 = the percentile of
the model's own training-set predictions (quantiles in config.json).

## Selection (training rows only)

One held-out fold of a 3-fold split of the training rows keyed by the 20-nt spacer; score = mean
Spearman over Kim 2019, Doench 2016, Wang 2014 and Doench 2014 (fast gbm: 300 trees, learning
rate 0.1):
{grid}{ens_text}

Internal early-stopping split (10 % of the fitted rows): Spearman {info.get("valid_spearman", float("nan")):.3f}.
Held-out benchmark (Kim 2019 test, Aguirre 2016, Behan 2019, the CRISPOR collection; spacers
deduplicated against every candidate training set): benchmarks/results/crispr_ontarget.md.

## Intended use and limits

Ranking SpCas9 (NGG) knockout guides by expected cutting efficiency in human / mouse cells. Not
calibrated for other enzymes, base or prime editors, or other organisms; the score is a rank,
not an indel percentage.
"""


def _variant_card(name: str, cfg: dict, out: Path) -> str:
    """card.md of a high-fidelity variant's head (`build_variants`)."""
    info = cfg.get("info", {})
    data = "; ".join(
        f"{DATASET_NOTES.get(d, d)}, `{f}`" for d, f in info.get("training_data", {}).items()
    )
    cv = info.get("cv_fold0", {})
    return f"""# {info.get("enzyme", name)} on-target efficiency model: {name}

Flank-free LightGBM gradient-boosted trees (`model.txt`, LightGBM text; `model.onnx`, the same
trees for ONNX Runtime) on the feature-version {cfg.get("feature_version")} features of spacer +
PAM (23-mers; the flanks are not used). Trained on {data}: {info.get("n_train")} rows fitted,
{info.get("n_valid")} held for early stopping ({info.get("n_trees")} trees), seed 0. Built by
`python -m helixforge.crispr.ontarget_recipe variants --out {out}`, then `ship --out {out}`.

Why a head of its own: on fold 0 of the spacer-keyed 3-fold split of this enzyme's rows, this
head scores Spearman {cv.get("own_head", float("nan")):.3f} against the measured activity; a
model trained the same way on wild-type SpCas9 (DeepHF WT) scores {cv.get("wt_model", float("nan")):.3f}
on the same held-out rows.

Scale: 0-100, the percentile of the model's own training-set predictions; it ranks guides and
is not an indel percentage. Limits: one cell line (HEK293T, DeepHF) and no held-out set beyond
that fold — the shared data holds no other screen of this enzyme.
"""


def _same_model(a: Path, b: Path) -> bool:
    """Whether two model directories hold byte-identical config and model files."""
    names = ("config.json", "model.txt", "model.safetensors")
    if not (b / "config.json").exists():
        return False
    return all((a / f).exists() == (b / f).exists() and (not (a / f).exists() or
               (a / f).read_bytes() == (b / f).read_bytes()) for f in names)  # fmt: skip


def ship(out: Path, weights: Path, default: str = "build") -> dict:
    """Copy a finished `build` directory into the package weights: out/gbm, gbm23, cnn →
    weights/spcas9_{gbm,gbm23,cnn} (config.json + model file + a card.md written here; every
    gbm's trees also exported to model.onnx for ONNX Runtime, see `core.onnx_trees`), and
    weights/spcas9_default/config.json = the ensemble of `out/default` (`default="build"`) or of
    `out/accurate` (`default="accurate"`) with the shipped names. Variant heads built by
    `variants` (out/<enzyme>_default) are copied too."""
    import shutil

    from helixforge.core.artifacts import save_json
    from helixforge.core.tables import write_text
    from helixforge.crispr.ontarget_models import export_onnx

    cfg = json.loads((out / "default" / "config.json").read_text())
    cv_file = out / "cv.jsonl"
    cv_rows = [json.loads(x) for x in cv_file.read_text().splitlines()] if cv_file.exists() else []
    command = (
        f"python -m helixforge.crispr.ontarget_recipe build --out {out}`, then `ship --out {out}"
    )
    if default == "accurate":
        command = (f"python -m helixforge.crispr.ontarget_recipe build --out {out}`, `accurate --out {out}`, "
                   f"then `ship --out {out} --default accurate")  # fmt: skip
    tuned = any(r.get("ensemble_cv") for r in cv_rows)
    acc_file = out / "accurate" / "config.json"
    acc = json.loads(acc_file.read_text()) if acc_file.exists() else None
    if default not in ("build", "accurate") or (default == "accurate" and acc is None):
        raise SystemExit(
            f"--default {default}: use 'build', or 'accurate' after the `accurate` stage"
        )
    build_cfg = cfg
    if default == "accurate":
        cfg = {**acc, "flank_free": build_cfg.get("flank_free")}
    shipped = {}
    for src in dict.fromkeys(
        [*build_cfg["members"], cfg.get("flank_free"), *(acc["members"] if acc else [])]
    ):
        if not src:
            continue
        dest = weights / SHIP_NAMES[src]
        if _same_model(out / src, dest):  # e.g. a build that reuses the shipped cnn: keep its card
            shipped[src] = SHIP_NAMES[src]
            continue
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for f in ("config.json", "model.txt", "model.safetensors"):
            if (out / src / f).exists():
                shutil.copyfile(out / src / f, dest / f)
        mcfg = json.loads((dest / "config.json").read_text())
        write_text(_card(SHIP_NAMES[src], mcfg, cv_rows, command), dest / "card.md")
        if mcfg["kind"] == "gbm":
            export_onnx(dest)
        shipped[src] = SHIP_NAMES[src]
    default_dir = weights / "spcas9_default"
    default_dir.mkdir(exist_ok=True)
    ens = {"format": "helixforge.crispr.ontarget", "kind": "ensemble", "enzyme": "spcas9",
           "members": [SHIP_NAMES[m] for m in cfg["members"]], "member_base": "siblings",
           "weights": cfg["weights"]}  # fmt: skip
    if cfg.get("flank_free"):
        ens["flank_free"] = SHIP_NAMES[cfg["flank_free"]]
    save_json(ens, default_dir / "config.json")
    parts = " + ".join(
        f"{w:g} x `{SHIP_NAMES[m]}`" for m, w in zip(cfg["members"], cfg["weights"], strict=True)
    )
    short = (
        f"23-mers (no flanks) go to `{ens['flank_free']}`, trained on spacer + PAM only."
        if "flank_free" in ens
        else "23-mers are scored by the same members with unknown (N) flanks (the recipe's 23-mer "
        "CV preferred that to a flank-free model)."
    )
    weights_note = (
        "The `accurate` stage's ensemble, the recipe's highest cross-validation score: its gbm"
        " runs on ONNX Runtime (model.onnx, the same trees as model.txt), which keeps it above"
        " 10x Rule Set 3's guides per second (docs/crispr_ontarget.md); the cnn's weight was"
        " chosen by the recipe's cross-validation on the training rows."
        if default == "accurate"
        else "One member: the recipe leaves the cnn out unless asked (`build --cnn`), because with a"
        " cnn member the default scores fewer than 10x Rule Set 3's guides per second"
        " (docs/crispr_ontarget.md)."
        if len(cfg["members"]) == 1
        else "The weights were "
        + (
            "chosen by the recipe's cross-validation on the training rows (see the members' cards)."
            if tuned
            else "fixed, not tuned."
        )  # fmt: skip
    )
    write_text(f"""# SpCas9 on-target efficiency: default model

Weighted mean of percentile scores: {parts}. {short} {weights_note}
Built by `{command}`; the
held-out benchmark is in benchmarks/results/crispr_ontarget.md.

Scale: 0-100, the predicted percentile of the guide's activity among the training libraries'
guides (higher = more active); it ranks guides and is not an indel percentage.
""", default_dir / "card.md")  # fmt: skip
    if acc is not None:
        (weights / "spcas9_accurate").mkdir(exist_ok=True)
        save_json({"format": "helixforge.crispr.ontarget", "kind": "ensemble", "enzyme": "spcas9",
                   "members": [SHIP_NAMES[m] for m in acc["members"]], "member_base": "siblings",
                   "weights": acc["weights"]}, weights / "spcas9_accurate" / "config.json")  # fmt: skip
        mix = " + ".join(
            f"{w:g} x `{SHIP_NAMES[m]}`"
            for m, w in zip(acc["members"], acc["weights"], strict=True)
        )
        role = (
            "Since it became the default, `accurate` and `default` name the same ensemble."
            if default == "accurate"
            else "More accurate than `default` on the held-out benchmark and slower per guide."
        )
        write_text(f"""# SpCas9 on-target efficiency: the `accurate` model

Weighted mean of percentile scores: {mix} — a larger gbm (up to 2,500 trees, 31 leaves) and a
wider cnn (64 channels, 128 hidden) on the same data mix as `gbm`; the cnn's weight was chosen by
the recipe's cross-validation on the training rows (fold 0: see the members' cards and
`cv.jsonl`). {role} Built by `python -m helixforge.crispr.ontarget_recipe accurate --out {out}`
after `build`; the held-out benchmark is in benchmarks/results/crispr_ontarget.md.

Scale: 0-100 percentiles as for `default`; 23-mers are scored with N flanks.
""", weights / "spcas9_accurate" / "card.md")  # fmt: skip
        shipped["accurate"] = "spcas9_accurate"
    for enzyme in VARIANTS:
        if (out / f"{enzyme}_default" / "config.json").exists():
            dest = weights / f"{enzyme}_default"
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(out / f"{enzyme}_default", dest)
            vcfg = json.loads((dest / "config.json").read_text())
            write_text(_variant_card(dest.name, vcfg, out), dest / "card.md")
            export_onnx(dest)
            shipped[enzyme] = dest.name
    for f in weights.rglob("*"):  # atomic writes leave 0600 files; package data must be readable
        f.chmod(0o755 if f.is_dir() else 0o644)
    return shipped


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stage", choices=["cv", "fit", "build", "accurate", "variants", "ship", "onnx"])
    ap.add_argument("model_dir", nargs="?", type=Path, help="onnx: a gbm model directory")
    ap.add_argument("--default", choices=["build", "accurate"], default="build",
                    help="ship: which ensemble becomes spcas9_default")  # fmt: skip
    ap.add_argument("--mix", choices=sorted(MIXES), default="all+variants")
    ap.add_argument("--features", type=int, default=2)
    ap.add_argument("--flank-free", action="store_true")
    ap.add_argument("--kim-weight", type=float, default=1.0)
    ap.add_argument(
        "--fast", action="store_true", help="300 trees at learning rate 0.1 (selection)"
    )
    ap.add_argument("--kind", choices=["gbm", "cnn"], default="gbm", help="cv / fit: model kind")
    ap.add_argument("--cnn", action="store_true",
                    help="build: also cross-validate a cnn member and its ensemble weight")  # fmt: skip
    ap.add_argument("--params", type=json.loads, help="cv / fit: model parameters as JSON")
    ap.add_argument("--out", type=Path, help="fit: model directory; cv: JSON lines file to append; "
                    "build / ship / variants: the build directory")  # fmt: skip
    args = ap.parse_args(argv)
    params = {"n_estimators": 300, "learning_rate": 0.1} if args.fast else None
    params = {**(params or {}), **(args.params or {})} or None
    if args.stage == "variants":
        print(json.dumps(build_variants(args.out)))
        return
    if args.stage == "ship":
        weights = Path(__file__).resolve().parent / "weights"
        print(json.dumps(ship(args.out, weights, default=args.default)))
        return
    if args.stage == "onnx":
        from helixforge.crispr.ontarget_models import export_onnx

        if args.model_dir is None:
            raise SystemExit("onnx: name the gbm model directory to export")
        print(json.dumps(export_onnx(args.model_dir)))
        return
    if args.stage == "accurate":
        print(json.dumps(build_accurate(args.out)))
        return
    if args.stage == "build":
        print(json.dumps(build(args.out, cnn=args.cnn)))
        return
    df = load_training_sets()
    t0 = time.time()
    if args.stage == "cv":
        res = cv_score(df, args.mix, args.features, flank_free=args.flank_free,
                       kim_weight=args.kim_weight, params=params, kind=args.kind)  # fmt: skip
        row = {"kind": args.kind, "params": params, "mix": args.mix, "features": args.features, "flank_free": args.flank_free,
               "kim_weight": args.kim_weight, "fast": args.fast, **res,
               "seconds": round(time.time() - t0, 1)}  # fmt: skip
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(json.dumps(row) + "\n")
    else:
        info = fit_final(df, args.mix, args.features, args.out, flank_free=args.flank_free,
                         kim_weight=args.kim_weight, params=params, kind=args.kind)  # fmt: skip
        print(json.dumps({k: v for k, v in info.items() if k != "training_data"}), flush=True)


if __name__ == "__main__":
    main()
