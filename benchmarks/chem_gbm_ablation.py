"""GBM feature / training ablation on the TDC ADMET tasks: what each change to the default buys.

    .venv/bin/python benchmarks/chem_gbm_ablation.py                       # resumable
    .venv/bin/python benchmarks/chem_gbm_ablation.py --variants base erg_refit --seeds 1 2
    .venv/bin/python benchmarks/chem_gbm_ablation.py --report

Same protocol as chem_property.py (official test set, TDC's scaffold train/valid split for the
seed, early stopping on valid), on the 16 TDC tasks below 5,000 training molecules (the six
largest are left out to keep the ablation cheap). Every feature block is computed once per task
and cached under .bench/ablation_cache/ (standardized SMILES, then `featurize`); each variant
slices the blocks it uses. One row per (task, variant, seed) in
benchmarks/results/chem_gbm_ablation.json; the markdown table beside it compares every variant
with `base` (the GBM default before ErG + refit).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))

from _common import (  # noqa: E402
    RESULTS_DIR,
    append_row,
    done_keys,
    load_rows,
    markdown_table,
    write_text_atomic,
)

OUT = RESULTS_DIR / "chem_gbm_ablation.json"
CACHE = HERE.parent / ".bench" / "ablation_cache"
BIG = {"cyp2c9_veith", "cyp3a4_veith", "cyp2d6_veith", "ames", "ld50_zhu", "solubility_aqsoldb"}
STD = ["ecfp", "fcfp", "ap", "desc"]
VARIANTS: dict[str, dict] = {
    "base": {"blocks": STD, "about": "previous default: ECFP4+FCFP4+atom pairs+descriptors"},
    "refit": {"blocks": STD, "refit": True, "about": "base, refit on train+valid"},
    "erg": {"blocks": [*STD, "erg"], "about": "base + ErG"},
    "erg_refit": {"blocks": [*STD, "erg"], "refit": True, "about": "ErG + refit (new default)"},
    "bag5": {"blocks": STD, "bag": 5, "about": "base, mean of 5 boosters (seeds)"},
    "fast": {"blocks": ["ecfp", "lite"], "about": "ECFP4 + lite descriptors (gbm-fast)"},
}


def _block_columns(names: list[str]) -> dict[str, list[int]]:
    prefixes = {"ecfp": "ecfp", "fcfp": "fcfp", "ap": "atompair_", "erg": "erg_", "lite": "lite_"}
    cols = {b: [i for i, n in enumerate(names) if n.startswith(p)] for b, p in prefixes.items()}
    used = {i for c in cols.values() for i in c}
    cols["desc"] = [i for i in range(len(names)) if i not in used]
    return cols


def features(task: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """All blocks for train_val and test of `task` (cached)."""
    from chem_property import standardize, tdc_frames

    from helixforge.chem.featurize import FeatureSpec, descriptor_names, descriptors, featurize

    spec = FeatureSpec(morgan_bits=2048, fcfp_bits=1024, atom_pair_bits=1024, erg=True)
    names = spec.names() + [f"lite_{n}" for n in descriptor_names("lite")]
    path = CACHE / f"{task}.npz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        train_val, test = tdc_frames(task)
        blocks = []
        for frame in (train_val, test):
            smiles, _ = standardize(frame["Drug"].tolist())
            blocks.append(np.hstack([featurize(smiles, spec), descriptors(smiles, "lite")]))
        np.savez(path, X=blocks[0], T=blocks[1])
    z = np.load(path)
    return z["X"], z["T"], names


def run_variant(task: dict, name: str, seed: int) -> dict:
    from chem_property import score, tdc_frames, tdc_split

    from helixforge.chem.models.gbm import GBMModel

    cfg = VARIANTS[name]
    X, T, names = features(task["task"])
    cols = sorted(i for b in cfg["blocks"] for i in _block_columns(names)[b])
    X, T = X[:, cols], T[:, cols]
    train_val, test = tdc_frames(task["task"])
    tr, va = tdc_split(train_val["Drug"].tolist(), seed)
    y = train_val["Y"].to_numpy(float).reshape(-1, 1)
    kind = "regression" if task["kind"] == "regression" else "binary"
    t0 = time.process_time()
    preds = []
    for b in range(cfg.get("bag", 1)):
        model = GBMModel(refit=cfg.get("refit", False)).fit(
            None,
            y[tr],
            [kind],
            valid=(None, y[va]),
            seed=seed * 100 + b,
            features=X[tr],
            valid_features=X[va],
        )
        preds.append(model.predict(None, features=T)[:, 0])
    value = score(task["metric"], test["Y"].to_numpy(float), np.mean(preds, axis=0))
    return {
        "task": task["task"],
        "model": name,
        "seed": seed,
        "metric": task["metric"],
        "value": value,
        "cpu_seconds": round(time.process_time() - t0, 2),
        "n_features": len(cols),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def write_report(out: Path = OUT) -> None:
    from chem_property import LOWER_IS_BETTER

    rows = load_rows(out)
    by: dict[tuple, dict] = {}
    metric = {}
    for r in rows:
        by.setdefault((r["task"], r["seed"]), {})[r["model"]] = r["value"]
        metric[r["task"]] = r["metric"]
    variants = [v for v in VARIANTS if any(r["model"] == v for r in rows)]
    table = []
    for v in variants[1:] if variants and variants[0] == "base" else []:
        gains, wins, losses = [], 0, 0
        for (task, _seed), vals in by.items():
            if v in vals and "base" in vals:
                sign = -1 if metric[task] in LOWER_IS_BETTER else 1
                gain = sign * (vals[v] - vals["base"]) / abs(vals["base"])
                gains.append(gain)
                wins += gain > 0
                losses += gain < 0
        if gains:
            table.append(
                [
                    v,
                    VARIANTS[v]["about"],
                    len(gains),
                    wins,
                    losses,
                    f"{100 * np.mean(gains):+.2f} %",
                ]
            )
    lines = [
        "# GBM ablation on TDC ADMET (16 tasks under 5,000 training molecules)",
        "",
        "Generated by `benchmarks/chem_gbm_ablation.py` from `chem_gbm_ablation.json`. Each"
        " variant against `base` on the same (task, seed) pairs: official TDC test set, TDC"
        " scaffold train/valid split of the seed, early stopping on valid. Relative gain is"
        " signed so that positive is better (MAE falls, AUROC/AUPRC/Spearman rise).",
        "",
        markdown_table(
            ["variant", "what", "(task, seed) pairs", "better", "worse", "mean relative gain"],
            table,
        ),
        "",
    ]
    write_text_atomic("\n".join(lines), out.with_suffix(".md"))


def main() -> None:
    from chem_property import tdc_tasks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["base", "erg", "refit", "erg_refit"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--report", action="store_true", help="only rewrite the table")
    args = parser.parse_args()
    if not args.report:
        tasks = [t for t in tdc_tasks() if t["task"] not in BIG]
        for name in args.variants:
            for seed in args.seeds:
                for task in tasks:
                    if (task["task"], name, seed) in done_keys(OUT):
                        continue
                    row = run_variant(task, name, seed)
                    append_row(OUT, row)
                    print(f"{task['task']} {name} seed {seed}: {row['value']:.4f}", flush=True)
    write_report()
    print(f"wrote {OUT.with_suffix('.md')}")


if __name__ == "__main__":
    main()
