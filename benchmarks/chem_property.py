"""Molecular property benchmark: TDC ADMET group (22 tasks) + MoleculeNet, ours vs Chemprop v2.

    .venv/bin/python benchmarks/chem_property.py --part tdc --models gbm        # resumable
    .venv/bin/python benchmarks/chem_property.py --part moleculenet --models gbm
    .venv/bin/python benchmarks/chem_property.py --part throughput
    .venv/bin/python benchmarks/chem_property.py --part report                  # table only
    .venv/bin/python benchmarks/chem_property.py --part embed-all --tasks T1 T2  # MiniMol cache
    .venv/bin/python benchmarks/chem_property.py --part tdc --models auto --seeds 1 2
    .venv/bin/python benchmarks/chem_property.py --part tdc --models auto-margin --seeds 1 2
    .venv/bin/python benchmarks/chem_property.py --part relabel-auto-rules  # once, idempotent
    .venv/bin/python benchmarks/chem_property.py --part check-reuse --models gbm --tasks dili
    .venv/bin/python benchmarks/chem_property.py --part fill-preds  # test preds for the bootstrap

TDC: official train_val/test files; seeds 1..5 split train_val into train/valid exactly as
TDC's `get_train_valid_split(seed, task, 'scaffold')` (0.875/0.125); valid is used for early
stopping only; TDC's metric on the official test set. The same splits are used by the Chemprop
peer (benchmarks/peers/chemprop_tdc.py, results in benchmarks/results/chemprop_tdc.json).
MoleculeNet: helixforge's balanced scaffold split 0.8/0.1/0.1, seeds 0..2.
Throughput: molecules/s end to end from SMILES (standardize + featurize + predict) on the
first 10,000 molecules of the MOSES test set.

`auto` is `helix chem train --model auto` with the shipped default rule ("lowest");
`auto-margin` the same with `select_model(..., rule="margin")` (measured, not the default);
`auto-metric` is `helix chem train --model auto --metric <the task's TDC metric>`. On a task
scored by ROC-AUC its decision is auto's (1 − ROC-AUC is auto's default binary loss), so its
rows there are auto's, copied (`--part tdc --models auto-metric` does that).

Each finished (task, model, seed) is one row in benchmarks/results/chem_property.json; a
restarted run skips rows already there. The markdown table is rewritten after every row from
both JSON files. Runs single-threaded by default (--threads) so CPU seconds are comparable
with the Chemprop run, which uses one torch thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))

from _common import (  # noqa: E402
    RESULTS_DIR,
    Timer,
    append_row,
    done_keys,
    fmt_mean_sd,
    load_rows,
    markdown_table,
    mean_sd,
    write_text_atomic,
)

OUT_JSON = RESULTS_DIR / "chem_property.json"
OUT_MD = RESULTS_DIR / "chem_property.md"
PEER_JSON = RESULTS_DIR / "chemprop_tdc.json"
MODELS = [
    "gbm",
    "gbm-fast",
    "dmpnn",
    "dmpnn-rdkit",
    "minimol-mlp",
    "minimol-gbm",
    "auto",
    "auto-margin",
    "auto-metric",
]
# benchmark model name -> `select_model` rule: `auto` is the shipped default ("lowest"),
# `auto-margin` the opt-in paired-fold-margin rule (measured, not the default), `auto-metric`
# the default rule comparing candidates by the task's own TDC metric (`--metric`)
AUTO_RULES = {"auto": "lowest", "auto-margin": "margin", "auto-metric": "lowest"}
BY_METRIC = {"auto-metric"}
PRED_DIR = ROOT / ".bench" / "chem_property_preds"  # test predictions per (task, model, seed)
OOF_DIR = ROOT / ".bench" / "chem_property_oof"  # auto's CV out-of-fold predictions
BOOT_CACHE = ROOT / ".bench" / "chem_property_boot"  # paired-bootstrap results per task
EMBED_CACHE = ROOT / ".bench" / "embcache"  # HELIX_CACHE_DIR for these runs (unless set)
MOLECULENET = ["esol", "freesolv", "lipophilicity", "bbbp", "bace", "clintox", "tox21"]
THROUGHPUT_TASK = "throughput_moses10k"
QUICK_TASKS = ["dili", "caco2_wang", "herg"]
TDC_AUTO_CMD = ".venv/bin/python benchmarks/chem_property.py --part tdc --models auto"
LOWER_IS_BETTER = {"mae", "rmse"}
LEADERBOARD_DIRECTION = {"MAE": "min", "Spearman": "max", "AUROC": "max", "AUPRC": "max"}


# --------------------------------------------------------------------------- data
def data_root() -> Path:
    from helixforge.datasets.registry import mirror_root

    root = mirror_root()
    if root is None:
        sys.exit("no data mirror: set HELIX_DATA_MIRROR or put the shared data at ../shared/data")
    return Path(root)


def tdc_tasks() -> list[dict]:
    """The 22 TDC tasks (name, metric, task type, train_val size), smallest first."""
    from helixforge.datasets.registry import list_datasets

    folder = data_root() / "chem" / "tdc_admet" / "admet_group"
    tasks = []
    for ds in list_datasets("chem"):
        if not ds.name.startswith("tdc/"):
            continue
        task = ds.name.split("/", 1)[1]
        with open(folder / task / "train_val.csv") as handle:
            n = sum(1 for _ in handle) - 1
        tasks.append({"task": task, "metric": ds.metric, "kind": ds.task, "n": n})
    return sorted(tasks, key=lambda t: (t["n"], t["task"]))


def tdc_frames(task: str):
    import pandas as pd

    folder = data_root() / "chem" / "tdc_admet" / "admet_group" / task
    return pd.read_csv(folder / "train_val.csv"), pd.read_csv(folder / "test.csv")


def tdc_split(smiles: list[str], seed: int):
    """TDC's train/valid scaffold split. The Chemprop peer's copy is the reference; the library's
    `helixforge.chem.splits.tdc_scaffold_split` is checked against it by --check-splits."""
    from chemprop_tdc import tdc_scaffold_split

    train, valid, _ = tdc_scaffold_split(smiles, seed)
    return train, valid


def standardize(smiles: list[str]) -> tuple[list[str], int]:
    """Our standardizer over a list; a SMILES it rejects is passed on unchanged (counted), so
    every test molecule still gets a prediction."""
    from helixforge.chem.standardize import standardize_many

    out, failed = [], 0
    for raw, (smi, _reason) in zip(smiles, standardize_many(smiles)):
        if smi is None:
            failed += 1
            out.append(raw)
        else:
            out.append(smi)
    return out, failed


# --------------------------------------------------------------------------- models
class AutoModel:
    """Our `--model auto` as `train_property_model` runs it: scaffold-grouped CV on the training
    molecules picks the model or a blend of two (`helixforge.chem.selection.select_model`),
    which is then trained with the valid part for early stopping. CV time counts as training
    time. (The TDC loop in `run_auto` computes the same thing reusing the members' runs.)
    `rule`: `select_model`'s rule ("lowest", the default, or "margin")."""

    name = "auto"

    def __init__(self, rule: str = "lowest") -> None:
        self.rule = rule

    def fit(self, smiles, y, task_types, *, valid=None, seed=0):
        from helixforge.chem.selection import select_model

        self.chosen, self.cv_scores = select_model(
            smiles, y, task_types, seed=seed, device="cpu", rule=self.rule
        )
        self.model = make_model(self.chosen)
        self.model.fit(smiles, y, task_types, valid=valid, seed=seed)
        return self

    def predict(self, smiles):
        return self.model.predict(smiles)


def make_model(name: str):
    """A fresh PropertyModel by benchmark name (`get_model` names, plus "auto" and
    "auto-margin")."""
    if name in BY_METRIC:
        raise ValueError(f"{name} selects by the task's TDC metric: run it with --part tdc")
    if name in AUTO_RULES:
        return AutoModel(AUTO_RULES[name])
    from helixforge.chem.models import get_model

    return get_model(name)


def fit_predict(model_name: str, train, valid, test, task_types: list[str], seed: int) -> dict:
    """Standardize, fit (valid for early stopping only), predict the test molecules; timings."""
    import numpy as np

    with Timer() as t_train:
        tr_smiles, bad_tr = standardize(train[0])
        va_smiles, bad_va = standardize(valid[0])
        model = make_model(model_name)
        model.fit(tr_smiles, train[1], task_types, valid=(va_smiles, valid[1]), seed=seed)
    with Timer() as t_pred:
        te_smiles, bad_te = standardize(test)
        pred = np.asarray(model.predict(te_smiles), dtype=float)
    extra = {"chosen": model.chosen} if isinstance(model, AutoModel) else {}
    return {
        **extra,
        "pred": pred,
        "train_seconds": round(t_train.wall, 2),
        "train_cpu_seconds": round(t_train.cpu, 2),
        "predict_seconds": round(t_pred.wall, 2),
        "n_standardize_failed": bad_tr + bad_va + bad_te,
    }


def score(metric: str, y, pred) -> float:
    """Mean of the metric over target columns (labels may be NaN); TDC tasks have one column."""
    import numpy as np

    from helixforge.core.metrics import score as core_score

    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    pred = np.asarray(pred, dtype=float).reshape(len(pred), -1)
    vals = []
    for j in range(y.shape[1]):
        keep = np.isfinite(y[:, j])
        if not np.all(np.isfinite(pred[keep, j])):
            raise RuntimeError(f"non-finite predictions for target {j}")
        vals.append(core_score(metric, y[keep, j], pred[keep, j]))
    return float(np.nanmean(vals))


def _pred_path(task: str, model: str, seed: int) -> Path:
    return PRED_DIR / task / f"{model}_seed{seed}.npz"


def _savez_atomic(path: Path, **arrays) -> None:
    """np.savez written beside `path`, then renamed onto it."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def save_pred(task: str, model: str, seed: int, res: dict) -> None:
    """Keep a run's test predictions and training CPU seconds (for `auto`'s reuse)."""
    _savez_atomic(
        _pred_path(task, model, seed),
        pred=res["pred"],
        train_cpu_seconds=res["train_cpu_seconds"],
    )


def save_oof(task: str, rule: str, seed: int, oof: dict) -> None:
    """Keep `select_model`'s out-of-fold evidence (rows, y, fold, per-candidate predictions) so
    other selection rules can be scored later without re-running the CV."""
    if not oof:  # one candidate: chosen without CV, nothing to keep
        return
    preds = {f"pred__{name}": p for name, p in oof["pred"].items()}
    _savez_atomic(
        OOF_DIR / task / f"{rule}_seed{seed}.npz",
        rows=oof["rows"],
        y=oof["y"],
        fold=oof["fold"],
        **preds,
    )


def existing_row(out: Path, task: str, model: str, seed: int) -> dict | None:
    """This (task, model, seed)'s row in the results file, if there is one."""
    for r in load_rows(out):
        if r.get("part") == "tdc" and (r["task"], r["model"], r["seed"]) == (task, model, seed):
            return r
    return None


def member_run(task: str, model: str, seed: int, args: tuple, add_row) -> tuple:
    """(test predictions, training CPU seconds) of `model` on this (task, seed): from its saved
    predictions when there are some, else trained now (predictions saved, and its own row
    added through `add_row` when the results file has none for it)."""
    import numpy as np

    path = _pred_path(task, model, seed)
    if path.exists():
        with np.load(path) as z:
            return z["pred"], float(z["train_cpu_seconds"])
    res = fit_predict(model, *args)
    save_pred(task, model, seed, res)
    add_row(model, dict(res))
    return res["pred"], res["train_cpu_seconds"]


def chosen_members(chosen: str) -> tuple[list[str], list[float]]:
    """`auto`'s choice as (member models, weights): a blend's members and weights
    (`parse_blend_name`), or the single model with weight 1."""
    if chosen.startswith("blend:"):
        from helixforge.chem.models.blend import parse_blend_name

        return parse_blend_name(chosen)
    return [chosen], [1.0]


def combine_members(preds: list, weights: list[float]):
    """`auto`'s test prediction from its members' predictions: the weighted sum, accumulated
    in member order from 0.0 (the exact arithmetic `run_auto` uses, so a rebuilt prediction
    scores the same bits)."""
    pred = 0.0
    for p, w in zip(preds, weights):
        pred = pred + w * p
    return pred


def run_auto(
    task: str,
    out: Path,
    train,
    valid,
    test,
    task_types,
    seed,
    add_row,
    rule: str = "lowest",
    metric: str | None = None,
) -> dict:
    """`auto` on one (task, seed) under `rule` ("lowest", the shipped default, or "margin"):
    `select_model` on the training rows only (timed; the rule's
    per-fold losses and decision are kept in the row), then the chosen model's test score.
    Every model here is deterministic (same seed, same rows → same predictions, checked in
    the tests and by `--part check-reuse`), so a chosen single model's own row for this (task,
    seed) is reused when present (its value and training CPU seconds); a blend's members'
    saved test predictions are reused or the members are trained now. Their training CPU
    time is added to the selection's, so `train_cpu_seconds` is what `helix chem train
    --model auto` costs. `metric`: select by that metric (`--metric`)."""
    from helixforge.chem.selection import RULES, select_model

    record: dict = {}
    oof: dict = {}
    with Timer() as t_cv:
        tr_smiles, _ = standardize(train[0])
        chosen, cv_scores = select_model(
            tr_smiles,
            train[1],
            task_types,
            seed=seed,
            device="cpu",
            record=record,
            rule=rule,
            oof_out=oof,
            metric=metric,
        )
    save_oof(task, rule if metric is None else f"{rule}-{metric}", seed, oof)
    print(f"  auto chose {chosen} (CV {t_cv.cpu:.0f} CPU-s): {record.get('reason')}")
    res = {
        "chosen": chosen,
        "cv_scores": cv_scores,
        "cv_decision": record,
        "selection_rule": RULES[rule],
        "rule": rule,
        **({"selection_metric": metric} if metric else {}),
        "cv_cpu_seconds": round(t_cv.cpu, 2),
        "train_seconds": round(t_cv.wall, 2),
    }
    own = None if chosen.startswith("blend:") else existing_row(out, task, chosen, seed)
    if own is not None:
        cpu = own.get("train_cpu_seconds") or own["train_seconds"]
        res.update(
            value=own["value"],
            train_cpu_seconds=round(t_cv.cpu + cpu, 2),
            how=f"select_model CV on train rows; the chosen model's own row ({chosen}, same"
            " seed) reused: value and training CPU",
        )
        return res
    members, weights = chosen_members(chosen)
    preds, cpu = [], t_cv.cpu
    for m in members:
        p, c = member_run(task, m, seed, (train, valid, test, task_types, seed), add_row)
        preds.append(p)
        cpu += c
    pred = combine_members(preds, weights)
    res.update(
        pred=pred,
        train_cpu_seconds=round(cpu, 2),
        how="select_model CV on train rows; chosen members' test predictions (same seed)",
    )
    return res


CLAIMS = ROOT / ".bench" / "chem_property_claims"


def claim(key: tuple) -> bool:
    """Claim a (task, model, seed) row for this process, so two benchmark processes started
    side by side split the rows instead of computing the same ones; a claim whose process is
    gone is taken over."""
    CLAIMS.mkdir(parents=True, exist_ok=True)
    path = CLAIMS / "__".join(str(k).replace("/", "_") for k in key)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(path.read_text() or 0)
                os.kill(pid, 0)
                return pid == os.getpid()
            except (ValueError, ProcessLookupError):
                path.unlink(missing_ok=True)  # stale: its process died
                continue
            except PermissionError:
                return False
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        return True
    return False


# --------------------------------------------------------------------------- parts
def run_tdc(models: list[str], seeds: list[int], tasks: list[str] | None, out: Path) -> None:
    all_tasks = tdc_tasks()
    if tasks:
        all_tasks = [t for t in all_tasks if t["task"] in set(tasks)]
    for model_name in models:
        for seed in seeds:
            for task in all_tasks:
                key = (task["task"], model_name, seed)
                if key in done_keys(out) or not claim(key):
                    continue
                train_val, test = tdc_frames(task["task"])
                smiles = train_val["Drug"].tolist()
                tr, va = tdc_split(smiles, seed)
                y = train_val["Y"].to_numpy(dtype=float).reshape(-1, 1)
                ttype = "regression" if task["kind"] == "regression" else "binary"
                print(f"[{time.strftime('%H:%M:%S')}] tdc {task['task']} {model_name} seed {seed}")
                args = (
                    ([smiles[i] for i in tr], y[tr]),
                    ([smiles[i] for i in va], y[va]),
                    test["Drug"].tolist(),
                    [ttype],
                    seed,
                )
                y_test = test["Y"].to_numpy(dtype=float)
                base = {
                    "part": "tdc",
                    "task": task["task"],
                    "seed": seed,
                    "metric": task["metric"],
                    "n_train": int(len(tr)),
                    "n_valid": int(len(va)),
                    "n_test": int(len(test)),
                }

                def add_row(model: str, res: dict, base=base, y_test=y_test) -> None:
                    """A blend member trained for `auto` also gets its own row."""
                    if existing_row(out, base["task"], model, base["seed"]) is not None:
                        return
                    value = score(base["metric"], y_test, res.pop("pred"))
                    append_row(
                        out,
                        {
                            **base,
                            "model": model,
                            "value": value,
                            **res,
                            "how": "trained as a member of auto's choice",
                            "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                        },
                    )

                same = existing_row(out, task["task"], "auto", seed)
                if model_name in BY_METRIC and task["metric"] == "roc_auc" and same:
                    res = {k: v for k, v in same.items() if k not in (*base, "model", "finished")}
                    res["how"] = (
                        "auto's row, copied: for a task scored by ROC-AUC the --metric decision"
                        " is auto's (1 − ROC-AUC is auto's default binary loss)"
                    )
                elif model_name in AUTO_RULES:
                    res = run_auto(
                        task["task"],
                        out,
                        *args,
                        add_row=add_row,
                        rule=AUTO_RULES[model_name],
                        metric=task["metric"] if model_name in BY_METRIC else None,
                    )
                else:
                    res = fit_predict(model_name, *args)
                    save_pred(task["task"], model_name, seed, res)
                if "value" in res:
                    value = res.pop("value")
                else:
                    value = score(task["metric"], y_test, res.pop("pred"))
                row = {
                    **base,
                    "model": model_name,
                    "value": value,
                    **res,
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                }
                append_row(out, row)
                print(f"  {task['metric']}={value:.4f} train {res['train_seconds']:.1f}s")
                write_report(out)


def rerun(task: dict, frames: tuple, model: str, seed: int) -> tuple[dict, float]:
    """Train `model` on this TDC task's seed-`seed` train/valid split of train_val (the split
    every stored row used) and score its test predictions with the task's metric: the fit
    result and the test value. `frames` = `tdc_frames(task)`."""
    train_val, test = frames
    smiles = train_val["Drug"].tolist()
    y = train_val["Y"].to_numpy(dtype=float).reshape(-1, 1)
    ttype = "regression" if task["kind"] == "regression" else "binary"
    tr, va = tdc_split(smiles, seed)
    res = fit_predict(
        model,
        ([smiles[i] for i in tr], y[tr]),
        ([smiles[i] for i in va], y[va]),
        test["Drug"].tolist(),
        [ttype],
        seed,
    )
    return res, score(task["metric"], test["Y"].to_numpy(dtype=float), res["pred"])


def check_reuse(models: list[str], seeds: list[int], tasks: list[str], out: Path) -> int:
    """Retrain `models` on (task, seed) pairs that already have a row and compare the test
    score with the stored one: `run_auto` reuses a chosen model's row, which is only right if
    the model is deterministic across processes and sessions. One 'check' row; returns the
    number of mismatches (|difference| > 1e-9)."""
    results = []
    for task in [t for t in tdc_tasks() if t["task"] in set(tasks)]:
        frames = tdc_frames(task["task"])
        for model in models:
            for seed in seeds:
                row = existing_row(out, task["task"], model, seed)
                if row is None:
                    continue
                _, value = rerun(task, frames, model, seed)
                results.append([task["task"], model, seed, row["value"], value])
                print(f"{task['task']} {model} seed {seed}: stored {row['value']!r} now {value!r}")
    bad = sum(abs(a - b) > 1e-9 for *_, a, b in results)
    append_row(
        out,
        {
            "part": "check",
            "task": "reuse_check",
            "model": "+".join(models),
            "seed": 0,
            "checked": [dict(zip(("task", "model", "seed", "stored", "now"), r)) for r in results],
            "mismatches": bad,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        },
    )
    return bad


def missing_preds(tdc_rows: list[dict]) -> list[tuple[str, str, int]]:
    """(task, model, seed) whose saved test predictions the paired bootstrap of `auto` vs gbm
    needs but `PRED_DIR` lacks: for every `auto` row, gbm and auto's chosen members on that
    seed, where the model has its own row (so a rerun can be checked against its value).
    Rows made before predictions were kept (`save_pred`) have none."""
    have_row = {(r["task"], r["model"], r["seed"]) for r in tdc_rows}
    need: list[tuple[str, str, int]] = []
    for r in tdc_rows:
        if r["model"] != "auto":
            continue
        for m in dict.fromkeys(["gbm", *chosen_members(r["chosen"])[0]]):
            key = (r["task"], m, r["seed"])
            if key in have_row and key not in need and not _pred_path(*key).exists():
                need.append(key)
    return need


def fill_preds(tasks: list[str] | None, out: Path) -> int:
    """Rerun the models whose test predictions `missing_preds` lists (tasks in the order
    given, else smallest first) and keep a prediction only when it scores the stored row's
    value to 1e-9 (every model here is deterministic; `check_reuse`); a mismatch is kept
    beside it as `<model>_seed<k>.mismatch.npz` and reported. No rows are written. Returns the
    number of mismatches."""
    rows = [r for r in load_rows(out) if r.get("part") == "tdc"]
    need = missing_preds(rows)
    info = {t["task"]: t for t in tdc_tasks()}
    order = tasks or list(info)
    stored = {(r["task"], r["model"], r["seed"]): r["value"] for r in rows}
    bad = 0
    for name in order:
        todo = [k for k in need if k[0] == name]
        if not todo:
            continue
        frames = tdc_frames(name)
        for _, model, seed in todo:
            res, value = rerun(info[name], frames, model, seed)
            want = stored[(name, model, seed)]
            same = abs(value - want) <= 1e-9
            if same:
                save_pred(name, model, seed, res)
            else:
                bad += 1
                path = _pred_path(name, model, seed).with_suffix(".mismatch.npz")
                _savez_atomic(path, pred=res["pred"], value=value, stored=want)
            print(
                f"[{time.strftime('%H:%M:%S')}] {name} {model} seed {seed}: stored {want!r}"
                f" now {value!r} {'saved' if same else 'MISMATCH'}"
                f" ({res['train_cpu_seconds']:.0f} CPU-s)",
                flush=True,
            )
    print(f"fill-preds: {len(need)} missing, {bad} mismatches")
    return bad


def retire_auto_v1(out: Path) -> int:
    """Relabel the `auto` rows made under the first selection rule (lowest mean CV loss; a
    blend when 0.002 better; rows without `selection_rule`) as model `auto-v1`, so the rule
    now in `helixforge.chem.selection` fills the `auto` column afresh. Values untouched.
    Returns the number of rows relabelled."""
    import json

    from _common import _locked

    note = (
        "auto under rule v1 (lowest mean CV loss, blend if 0.002 better); relabelled from"
        " 'auto' when the paired-fold-margin rule replaced it"
    )
    with _locked(Path(out)):
        rows = load_rows(out)
        n = 0
        for r in rows:
            if r.get("part") == "tdc" and r["model"] == "auto" and "selection_rule" not in r:
                r["model"] = "auto-v1"
                r["note"] = note
                n += 1
        write_text_atomic(json.dumps(rows, indent=1) + "\n", out)
    print(f"relabelled {n} auto rows as auto-v1")
    return n


def relabel_auto_rules(out: Path) -> tuple[int, int]:
    """After the default went back to the "lowest" rule (commit 46763aa): the `auto` rows made
    under the paired-fold-margin rule (their `selection_rule` is the margin rule's text) become
    `auto-margin`, and the `auto-v1` rows (the same "lowest" rule, run before the margin rule
    existed) become `auto` again, with `selection_rule` / `rule` recorded. Values untouched;
    running it again changes nothing. Returns (rows → auto-margin, rows → auto)."""
    import json

    from _common import _locked

    from helixforge.chem.selection import RULES

    with _locked(Path(out)):
        rows = load_rows(out)
        to_margin = to_auto = 0
        for r in rows:
            if r.get("part") != "tdc":
                continue
            if r["model"] == "auto" and r.get("selection_rule") == RULES["margin"]:
                r.update(model="auto-margin", rule="margin")
                r["note"] = (
                    "auto under the opt-in paired-fold-margin rule (rule='margin'); relabelled"
                    " from 'auto' when the default went back to the lowest-CV-loss rule"
                )
                to_margin += 1
            elif r["model"] == "auto-v1":
                r.update(model="auto", selection_rule=RULES["lowest"], rule="lowest")
                r["note"] = (
                    "auto under the lowest-CV-loss rule (blend if its out-of-fold loss is 0.002"
                    " better), the shipped default; computed as rule v1 before the margin rule"
                    " existed, relabelled from 'auto-v1' back to 'auto'"
                )
                to_auto += 1
        write_text_atomic(json.dumps(rows, indent=1) + "\n", out)
    print(f"relabelled {to_margin} auto rows as auto-margin, {to_auto} auto-v1 rows as auto")
    return to_margin, to_auto


def tdc_embedding_keys(task: str) -> list[str]:
    """The distinct SMILES MiniMol reads for a TDC task (train_val + test, standardized)."""
    from helixforge.chem.pretrained.embed import embedding_keys

    train_val, test = tdc_frames(task)
    smiles, _ = standardize(train_val["Drug"].tolist() + test["Drug"].tolist())
    return list(dict.fromkeys(embedding_keys(smiles)))


def run_embed_all(tasks: list[str] | None = None) -> None:
    """Fill the embedding cache with the molecules of every TDC task (or of `tasks`), one task
    at a time in the order given (default: smallest first), so an interrupted run has finished
    whole tasks; resumable: cached molecules are skipped."""
    from helixforge.chem.pretrained import embed_smiles

    names = tasks or [t["task"] for t in tdc_tasks()]
    seen: set[str] = set()
    for name in names:
        keys = [k for k in tdc_embedding_keys(name) if k not in seen]
        seen.update(keys)
        with Timer() as t:
            _, failed = embed_smiles(keys, quiet=True)
        print(
            f"[{time.strftime('%H:%M:%S')}] {name}: {len(keys)} molecules, {len(failed)} failed,"
            f" {t.cpu:.0f} CPU-s",
            flush=True,
        )


def run_embed_cost(tasks: list[str] | None, cold_tasks: list[str], out: Path) -> None:
    """Embedding cost per TDC task: warm (every molecule in the cache, a fresh process's first
    call included: no onnxruntime import) for all tasks; cold (an empty temporary cache, so the
    model runs on every molecule) for `cold_tasks`. One row per task."""
    import tempfile

    from helixforge.chem.pretrained import embed_smiles
    from helixforge.chem.pretrained.cache import EmbeddingCache

    for t in tdc_tasks():
        name = t["task"]
        if (tasks and name not in tasks) or (f"embed/{name}", "minimol", 0) in done_keys(out):
            continue
        keys = tdc_embedding_keys(name)
        with Timer() as warm:
            _, failed = embed_smiles(keys)
        row = {
            "part": "embed",
            "task": f"embed/{name}",
            "model": "minimol",
            "seed": 0,
            "n_molecules": len(keys),
            "n_failed": len(failed),
            "warm_seconds": round(warm.wall, 3),
            "warm_cpu_seconds": round(warm.cpu, 3),
        }
        if name in cold_tasks:
            with tempfile.TemporaryDirectory() as tmp, Timer() as cold:
                embed_smiles(keys, cache=EmbeddingCache(Path(tmp) / "e.sqlite"))
            row.update(cold_seconds=round(cold.wall, 2), cold_cpu_seconds=round(cold.cpu, 2))
        row["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        append_row(out, row)
        print(f"{name}: {row}")
    write_report(out)


def run_moleculenet(models: list[str], seeds: list[int], names: list[str], out: Path) -> None:
    import helixforge.chem  # noqa: F401  (registers the "scaffold" splitter)
    from helixforge.core.splits import make_split
    from helixforge.datasets.registry import get_dataset, load_frame

    for model_name in models:
        for seed in seeds:
            for name in names:
                key = f"moleculenet/{name}"
                if (key, model_name, seed) in done_keys(out):
                    continue
                ds = get_dataset(key)
                frame = load_frame(key)
                smiles = frame[ds.smiles_col].astype(str).tolist()
                y = frame[ds.targets].apply(lambda c: c.astype(float)).to_numpy()
                split = make_split(
                    "scaffold", len(smiles), fractions=(0.8, 0.1, 0.1), seed=seed, smiles=smiles
                )
                ttype = "regression" if ds.task == "regression" else "binary"
                print(f"[{time.strftime('%H:%M:%S')}] {key} {model_name} seed {seed}")
                res = fit_predict(
                    model_name,
                    ([smiles[i] for i in split.train], y[split.train]),
                    ([smiles[i] for i in split.valid], y[split.valid]),
                    [smiles[i] for i in split.test],
                    [ttype] * y.shape[1],
                    seed,
                )
                value = score(ds.metric, y[split.test], res.pop("pred"))
                row = {
                    "part": "moleculenet",
                    "task": key,
                    "model": model_name,
                    "seed": seed,
                    "metric": ds.metric,
                    "value": value,
                    **res,
                    "n_train": len(split.train),
                    "n_valid": len(split.valid),
                    "n_test": len(split.test),
                    "n_targets": int(y.shape[1]),
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                }
                append_row(out, row)
                print(f"  {ds.metric}={value:.4f} train {res['train_seconds']:.1f}s")
                write_report(out)


def throughput_run(model_name: str, workdir: Path) -> Path:
    """A `helix chem train` run of `model_name` on caco2_wang (TDC seed-1 train/valid, official
    test), reused across benchmark invocations (kept under .bench/, not timed)."""
    import pandas as pd

    from helixforge.chem.train import train_property_model

    run_dir = workdir / f"run_{model_name}"
    if (run_dir / "model").exists():
        return run_dir
    train_val, test = tdc_frames("caco2_wang")
    tr, va = tdc_split(train_val["Drug"].tolist(), 1)
    split = pd.Series("train", index=train_val.index)
    split.iloc[va] = "valid"
    table = pd.concat([train_val.assign(split=split), test.assign(split="test")], ignore_index=True)
    table.to_csv(workdir / "caco2_wang.csv", index=False)
    train_property_model(
        workdir / "caco2_wang.csv",
        "Drug",
        ["Y"],
        model=model_name,
        split_col="split",
        out=run_dir,
        seed=1,
    )
    return run_dir


def run_throughput(models: list[str], n: int, out: Path) -> None:
    """End-to-end `helix chem predict` on the first `n` MOSES test molecules: a fresh CLI process
    (start-up included) reads the CSV, standardizes, featurizes, predicts with conformal
    intervals and the applicability domain, and writes the output table. One row per (model,
    processes). Model training is not timed."""
    import subprocess

    import pandas as pd

    workdir = ROOT / ".bench" / "throughput"
    workdir.mkdir(parents=True, exist_ok=True)
    mols = pd.read_csv(data_root() / "chem" / "corpora" / "moses_test.csv.gz", nrows=n)
    mols_csv = workdir / f"moses_{n}.csv"
    mols[["SMILES"]].rename(columns={"SMILES": "smiles"}).to_csv(mols_csv, index=False)
    task_name = THROUGHPUT_TASK if n == 10_000 else f"throughput_moses_n{n}"
    helix = Path(sys.executable).parent / "helix"
    for model_name in models:
        for jobs in (1, 2):
            name = f"{model_name}-cli-{jobs}cpu"
            if (task_name, name, 0) in done_keys(out):
                continue
            run_dir = throughput_run(model_name, workdir)
            print(f"[{time.strftime('%H:%M:%S')}] throughput {name} on {n} molecules")
            pred = workdir / f"pred_{name}.parquet"
            cmd = [str(helix), "chem", "predict", str(run_dir), str(mols_csv)]
            cmd += ["--out", str(pred), "--jobs", str(jobs), "--quiet"]
            env = {**os.environ, "OMP_NUM_THREADS": "1"}
            with Timer() as t:
                subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
            n_out = len(pd.read_parquet(pred, columns=["row"]))
            row = {
                "part": "throughput",
                "task": task_name,
                "model": name,
                "seed": 0,
                "how": f"helix chem predict CLI, --jobs {jobs}, process start included",
                "n_molecules": n,
                "n_predicted": n_out,
                "wall_seconds": round(t.wall, 2),
                "cpu_seconds": round(t.cpu, 2),
                "molecules_per_second": round(n / t.wall, 2),
                "molecules_per_cpu_second": round(n / max(t.cpu, 1e-9), 2),
                "load_avg_1min": round(os.getloadavg()[0], 2),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
            append_row(out, row)
            print(
                f"  {row['molecules_per_second']} mol/s wall,"
                f" {row['molecules_per_cpu_second']}/cpu-s"
            )
    write_report(out)


def check_splits(seeds: list[int], tasks: list[str] | None = None, out: Path = OUT_JSON) -> int:
    """Compare the peer's TDC split with helixforge.chem.splits.tdc_scaffold_split."""
    from helixforge.chem.splits import tdc_scaffold_split

    mismatches = checked = 0
    for task in tdc_tasks():
        if tasks and task["task"] not in tasks:
            continue
        smiles = tdc_frames(task["task"])[0]["Drug"].tolist()
        for seed in seeds:
            tr, va = tdc_split(smiles, seed)
            ours = tdc_scaffold_split(smiles, seed)
            same = set(tr) == set(ours.train.tolist()) and set(va) == set(ours.valid.tolist())
            checked += 1
            print(f"{task['task']} seed {seed}: {'same' if same else 'DIFFERENT'}", flush=True)
            if not same:
                mismatches += 1
                print(f"MISMATCH {task['task']} seed {seed}: {len(tr)}/{len(va)} vs {ours.sizes}")
    print(f"split check: {mismatches} mismatches over {checked} splits")
    row = {
        "part": "check",
        "task": "split_check",
        "model": "tdc_scaffold_split",
        "seed": 0,
        "tasks": sorted(tasks) if tasks else "all",
        "seeds": list(seeds),
        "checked": checked,
        "mismatches": mismatches,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    append_row(out, row)
    return mismatches


# --------------------------------------------------------------------------- report
def _leaderboard() -> dict:
    import json

    path = data_root() / "chem" / "reference" / "tdc_admet_leaderboard_snapshot.json"
    with open(path) as handle:
        return json.load(handle)


def leaderboard_rank(entries: list[dict], direction: str, value: float) -> int:
    """1 + number of leaderboard entries strictly better than `value` (rounded like them)."""
    v = round(value, 3)
    if direction == "min":
        return 1 + sum(1 for e in entries if e["metric_mean"] < v)
    return 1 + sum(1 for e in entries if e["metric_mean"] > v)


def _before_after(tdc_rows, tasks, old_model, new_model, title, text) -> list[str]:
    """A table of mean test scores of two models over the (task, seed) pairs both have."""
    old_rows = [r for r in tdc_rows if r["model"] == old_model]
    if not old_rows:
        return []
    lines = [f"### {title}", "", text, ""]
    rows, better, worse = [], 0, 0
    for task in tasks:
        t = task["task"]
        old = {r["seed"]: r["value"] for r in old_rows if r["task"] == t}
        new = {
            r["seed"]: r["value"] for r in tdc_rows if r["task"] == t and r["model"] == new_model
        }
        common = sorted(set(old) & set(new))
        if not common:
            continue
        a, _, _ = mean_sd(old[k] for k in common)
        b, _, _ = mean_sd(new[k] for k in common)
        lower = task["metric"] in LOWER_IS_BETTER
        better += (b < a) if lower else (b > a)
        worse += (b > a) if lower else (b < a)
        rows.append([t, task["metric"], f"{a:.3f}", f"{b:.3f}", len(common)])
    lines.append(markdown_table(["task", "metric", old_model, new_model, "seeds"], rows))
    lines.append(f"{new_model} better than {old_model} on {better} tasks, worse on {worse}.\n")
    return lines


def _values(rows: list[dict], task: str, model: str) -> list[float]:
    return [r["value"] for r in rows if r["task"] == task and r["model"] == model]


def _better(metric: str, a: float, b: float) -> bool:
    return a < b if metric in LOWER_IS_BETTER else a > b


def _rank_of(board: dict, task: str, mean: float) -> int | None:
    entries = board.get(task, {}).get("entries", [])
    if not entries:
        return None
    direction = LEADERBOARD_DIRECTION.get(board.get(task, {}).get("metric_name", ""), "max")
    return leaderboard_rank(entries, direction, mean)


def _vs_gbm(tdc_rows: list[dict], task: str, metric: str, model: str):
    """(model − gbm mean difference, the sd it is held to, worse by more than it?) over the
    seeds both have; the sd is gbm's seed sd (population), the larger of over those seeds and
    over all of gbm's seeds. None when they share no seed."""
    import statistics

    mine = {r["seed"]: r["value"] for r in tdc_rows if r["task"] == task and r["model"] == model}
    gbm = {r["seed"]: r["value"] for r in tdc_rows if r["task"] == task and r["model"] == "gbm"}
    common = sorted(set(mine) & set(gbm))
    if not common:
        return None
    a = statistics.fmean(mine[k] for k in common)
    g, g_sd, _ = mean_sd(gbm[k] for k in common)
    sd = max(g_sd, mean_sd(gbm.values())[1])
    worse = (a - g) if metric in LOWER_IS_BETTER else (g - a)
    return a - g, sd, worse > sd + 1e-12


BOOT_N = 1000  # paired bootstrap resamples of the test molecules
BOOT_SEED = 0  # one fixed generator seed per task, so the report is byte-stable


def paired_bootstrap(
    metric: str,
    y,
    preds_a: list,
    preds_b: list,
    n_boot: int = BOOT_N,
    seed: int = BOOT_SEED,
) -> dict:
    """Paired bootstrap over test molecules of model A − model B on one task.

    `preds_a[k]` and `preds_b[k]` are the two models' test predictions from the same training
    seed k. Each resample draws the test rows with replacement (one draw shared by every seed
    and both models, so the comparison is paired); on it each seed's difference
    score(A_k) − score(B_k) is computed with the benchmark's own `score`, and the differences
    are averaged over the seeds. The same average on the full test set is `diff` (= mean of A
    over the seeds − mean of B). Resamples on which a metric is undefined (one class only) are
    skipped and counted. `lo`, `hi`: the 95 % percentile interval of the resampled averages.
    `a_worse`: the interval lies wholly on A's losing side (sign read from the metric's
    direction); `a_better`: wholly on its winning side. Only test-set sampling noise is
    resampled: the trained models (and so the seed-to-seed noise) are held fixed."""
    import warnings

    import numpy as np

    if not preds_a or len(preds_a) != len(preds_b):
        raise ValueError(f"need paired predictions, got {len(preds_a)} and {len(preds_b)} seeds")
    y = np.asarray(y, dtype=float)
    a = [np.asarray(p, dtype=float) for p in preds_a]
    b = [np.asarray(p, dtype=float) for p in preds_b]

    def mean_diff(idx) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of an undefined metric
            d = [
                score(metric, y[idx], pa[idx]) - score(metric, y[idx], pb[idx])
                for pa, pb in zip(a, b)
            ]
        return float(np.mean(d))

    diff = mean_diff(np.arange(len(y)))
    rng = np.random.default_rng(seed)
    boots, skipped = [], 0
    for _ in range(n_boot):
        v = mean_diff(rng.integers(0, len(y), len(y)))
        if np.isfinite(v):
            boots.append(v)
        else:
            skipped += 1
    if not boots:
        raise ValueError(f"{metric}: undefined on every one of {n_boot} resamples")
    lo, hi = (float(q) for q in np.quantile(boots, [0.025, 0.975]))
    lower = metric in LOWER_IS_BETTER
    return {
        "diff": diff,
        "lo": lo,
        "hi": hi,
        "n_seeds": len(a),
        "n_boot": len(boots),
        "skipped": skipped,
        "a_worse": lo > 0 if lower else hi < 0,
        "a_better": hi < 0 if lower else lo > 0,
    }


def _saved_pred(task: str, model: str, seed: int):
    """A saved test prediction, or None."""
    import numpy as np

    path = _pred_path(task, model, seed)
    if not path.exists():
        return None
    with np.load(path) as z:
        return z["pred"]


def auto_vs_gbm_preds(tdc_rows: list[dict], task: str, metric: str, y) -> tuple[dict, list[str]]:
    """{seed: (auto's test prediction, gbm's)} over the seeds both have, rebuilt from the saved
    predictions: auto's as `run_auto` builds it from its `chosen` members (`chosen_members`,
    `combine_members`). A seed is used only when both rebuilt predictions score their row's
    stored value to 1e-9; the others are returned as reasons ('seed 3: gbm prediction not
    saved', '... auto rebuilt 0.71 vs stored 0.70')."""
    rows = {(r["model"], r["seed"]): r for r in tdc_rows if r["task"] == task}
    pairs, problems = {}, []
    for seed in sorted(k for m, k in rows if m == "auto"):
        if ("gbm", seed) not in rows:
            continue
        members, weights = chosen_members(rows[("auto", seed)]["chosen"])
        member_preds = [_saved_pred(task, m, seed) for m in members]
        gbm = _saved_pred(task, "gbm", seed)
        absent = [m for m, p in zip(members, member_preds) if p is None]
        if gbm is None and "gbm" not in absent:
            absent.append("gbm")
        if absent:
            problems.append(f"seed {seed}: {', '.join(absent)} prediction not saved")
            continue
        auto = combine_members(member_preds, weights)
        ok = True
        for name, pred, row in (
            ("auto", auto, rows[("auto", seed)]),
            ("gbm", gbm, rows[("gbm", seed)]),
        ):
            got = score(metric, y, pred)
            if abs(got - row["value"]) > 1e-9:
                problems.append(
                    f"seed {seed}: {name} rebuilt {got:.6f} vs stored {row['value']:.6f}"
                )
                ok = False
        if ok:
            pairs[seed] = (auto, gbm)
    return pairs, problems


def _bootstrap_cached(task: str, metric: str, y, pairs: dict) -> dict:
    """`paired_bootstrap` of auto − gbm on one task, kept in `BOOT_CACHE` under a hash of
    everything it reads (metric, resample count and seed, labels, each seed's predictions),
    so the report after every benchmark row recomputes only a task whose inputs changed."""
    import hashlib
    import json

    import numpy as np

    h = hashlib.sha256(f"{metric}|{BOOT_N}|{BOOT_SEED}".encode())
    h.update(np.ascontiguousarray(y, dtype=float).tobytes())
    for seed in sorted(pairs):
        h.update(str(seed).encode())
        for p in pairs[seed]:
            h.update(np.ascontiguousarray(p, dtype=float).tobytes())
    key = h.hexdigest()
    path = BOOT_CACHE / f"{task}.json"
    if path.exists():
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return cached["result"]
    seeds = sorted(pairs)
    result = paired_bootstrap(
        metric,
        y,
        [pairs[k][0] for k in seeds],
        [pairs[k][1] for k in seeds],
        n_boot=BOOT_N,
        seed=BOOT_SEED,
    )
    result["seeds"] = seeds
    write_text_atomic(json.dumps({"key": key, "result": result}, indent=1) + "\n", path)
    return result


def _bootstrap_section(tdc_rows: list[dict], tasks: list[dict]) -> tuple[list[str], str]:
    """The goal line's companion: auto − gbm per task with a paired-bootstrap 95 % CI over the
    test molecules (test-set sampling noise, which gbm's seed sd does not measure). Returns
    the section's lines and a one-line summary for beside the goal line."""
    import statistics

    if not any(r["model"] == "auto" for r in tdc_rows):
        return [], ""
    lines = [
        "### `auto` − gbm against test-set sampling noise (paired bootstrap)",
        "",
        "The goal line above holds `auto` to gbm's seed sd, which measures model-seed noise"
        " only; the TDC test set is fixed and small (bioavailability_ma: 128 molecules), so"
        " a difference can also come from which molecules the test set happens to hold. Here,"
        f" per task: {BOOT_N:,} resamples of the test molecules with replacement (NumPy"
        f" `default_rng({BOOT_SEED})`, one draw per resample shared by both models and every"
        " seed, i.e. paired); on each, for every seed, the TDC metric of auto's test prediction"
        " minus gbm's, averaged over the seeds. auto's prediction is rebuilt from the saved"
        " test predictions of its `chosen` members exactly as `run_auto` combines them, and a"
        " seed is used only when the rebuilt auto and gbm predictions both score their stored"
        " row values to 1e-9. 'auto − gbm': that seed average on the full test set (the column"
        " above when every seed is used); '95 % CI': the 2.5th–97.5th percentile of the"
        " resampled averages. 'auto worse' / 'auto better' read the metric's direction (for"
        " MAE a positive difference is worse). Only the test set is resampled — the trained"
        " models are held fixed — so this complements the seed-sd line rather than replacing"
        " it. Missing predictions: `chem_property.py --part fill-preds`.",
        "",
    ]
    rows, failing, within, excl_worse, excl_better, notes = [], [], [], [], [], []
    widths: list[float] = []
    for t in tasks:
        name, metric = t["task"], t["metric"]
        arrow = "↓" if metric in LOWER_IS_BETTER else "↑"
        cmp = _vs_gbm(tdc_rows, name, metric, "auto")
        if cmp is None:
            continue
        if cmp[2]:
            failing.append(name)
        y = tdc_frames(name)[1]["Y"].to_numpy(dtype=float)
        pairs, problems = auto_vs_gbm_preds(tdc_rows, name, metric, y)
        n_common = len(
            {r["seed"] for r in tdc_rows if r["task"] == name and r["model"] == "auto"}
            & {r["seed"] for r in tdc_rows if r["task"] == name and r["model"] == "gbm"}
        )
        if problems:
            notes.append(f"{name}: {'; '.join(problems)}")
        goal = "✗" if cmp[2] else "holds"
        if not pairs:
            rows.append([name, f"{metric} {arrow}", f"0 of {n_common}", "–", "–", "–", goal])
            continue
        b = _bootstrap_cached(name, metric, y, pairs)
        if b["a_worse"]:
            verdict = "yes: auto worse"
            excl_worse.append(name)
        elif b["a_better"]:
            verdict = "yes: auto better"
            excl_better.append(name)
        else:
            verdict = "no"
            if cmp[2]:
                within.append(name)
        if metric not in LOWER_IS_BETTER:  # AUROC, AUPRC, Spearman: one common scale
            widths.append(b["hi"] - b["lo"])
        if b["skipped"]:
            notes.append(f"{name}: {b['skipped']} resamples skipped (metric undefined)")
        rows.append(
            [
                name,
                f"{metric} {arrow}",
                f"{b['n_seeds']} of {n_common}",
                f"{b['diff']:+.3f}",
                f"[{b['lo']:+.3f}, {b['hi']:+.3f}]",
                verdict,
                goal,
            ]
        )
    heads = ["task", "metric", "seeds", "auto − gbm", "95 % CI", "CI excludes 0?"]
    heads.append("seed-sd goal")
    lines.append(markdown_table(heads, rows))
    n_boot_tasks = sum(1 for r in rows if r[3] != "–")
    summary = (
        f"- Against test-set sampling noise (paired bootstrap over the test molecules, table"
        f" below): on **{len(within)} of the {len(failing)} tasks failing the goal above** the"
        " difference is within that noise (95 % CI includes 0)"
        + (f": {', '.join(within)}." if within else ".")
        + (
            f" CI wholly on auto's losing side: {', '.join(n for n in failing if n not in within)}."
            if len(within) < len(failing)
            else ""
        )
    )
    lines += [
        f"- Over the {n_boot_tasks} tasks with a bootstrap: CI excludes 0 with auto worse on"
        f" {len(excl_worse)} ({', '.join(excl_worse) or 'none'}), with auto better on"
        f" {len(excl_better)} ({', '.join(excl_better) or 'none'}); includes 0 on"
        f" {n_boot_tasks - len(excl_worse) - len(excl_better)}.",
    ]
    if widths:
        lines.append(
            f"- Width of the 95 % CI on the {len(widths)} AUROC / AUPRC / Spearman tasks (the"
            f" test-set noise scale of a difference): median {statistics.median(widths):.3f},"
            f" range {min(widths):.3f}–{max(widths):.3f}."
        )
    if notes:
        lines.append("- Seeds left out or resamples skipped: " + " · ".join(notes) + ".")
    lines.append("")
    return lines, summary


def _variant_lines(
    tdc_rows: list[dict], tasks: list[dict], board: dict, model: str, label: str
) -> list[str]:
    """One summary line for an `auto` variant (another rule or selection metric) against the
    shipped `auto`: gbm kept, better / worse / equal tasks on the seeds both have, top 3, the
    never-worse-than-gbm goal and how often its choice differs."""
    import statistics

    mine = [r for r in tdc_rows if r["model"] == model]
    if not mine:
        return []
    kept = sum(r["chosen"] == "gbm" for r in mine)
    m_tasks = sorted({r["task"] for r in mine})
    better, worse, same = [], [], 0
    for t in tasks:
        a = {r["seed"]: r["value"] for r in mine if r["task"] == t["task"]}
        b = {
            r["seed"]: r["value"]
            for r in tdc_rows
            if r["task"] == t["task"] and r["model"] == "auto"
        }
        common = sorted(set(a) & set(b))
        if not common:
            continue
        ma = statistics.fmean(a[k] for k in common)
        mb = statistics.fmean(b[k] for k in common)
        if abs(ma - mb) < 1e-12:
            same += 1
        elif _better(t["metric"], ma, mb):
            better.append(f"{t['task']} {ma - mb:+.3f}")
        else:
            worse.append(f"{t['task']} {ma - mb:+.3f}")
    bad = [
        t["task"] for t in tasks if (c := _vs_gbm(tdc_rows, t["task"], t["metric"], model)) and c[2]
    ]
    top3 = [
        t
        for t in m_tasks
        if (r := _rank_of(board, t, mean_sd(_values(mine, t, model))[0])) and r <= 3
    ]
    changed = [
        (r["chosen"], a["chosen"])
        for r in mine
        for a in tdc_rows
        if a["model"] == "auto" and (a["task"], a["seed"]) == (r["task"], r["seed"])
    ]
    n = len(better) + len(worse) + same
    return [
        f"- {label}: kept gbm on {kept} of {len(mine)} (task, seed) runs on {len(m_tasks)}"
        f" tasks; on the seeds both have, against `auto`: better on {len(better)} of {n} tasks"
        f" ({', '.join(better) or 'none'}), worse on {len(worse)} ({', '.join(worse) or 'none'}),"
        f" equal on {same}; **top 3 on {len(top3)} of {len(m_tasks)}**; worse than gbm by more"
        f" than gbm's seed sd on {len(bad)}: {', '.join(bad) or 'none'}. Its choice differs"
        f" from `auto`'s on {sum(x != y for x, y in changed)} of the {len(changed)} (task, seed)"
        " runs both have."
    ]


def oof_consistency(tdc_rows: list[dict]) -> tuple[int, int, int, list[str]]:
    """Replays `auto`'s decision (default loss) and `auto-metric`'s (the task's metric) on the
    CV evidence `auto-metric` saved (`save_oof`): (runs with evidence, runs whose default-loss
    replay gives auto's stored choice, runs whose metric replay gives auto-metric's stored
    choice, the mismatches). Checks that the two columns differ only by the selection metric,
    the CV predictions being the same."""
    import numpy as np

    from helixforge.chem.models.gbm import use_log_target
    from helixforge.chem.selection import choose_from_oof

    by_key = {(r["task"], r["model"], r["seed"]): r for r in tdc_rows}
    n = same_default = same_metric = 0
    bad: list[str] = []
    for r in tdc_rows:
        if r["model"] != "auto-metric" or "selection_metric" not in r:
            continue
        path = OOF_DIR / r["task"] / f"lowest-{r['selection_metric']}_seed{r['seed']}.npz"
        auto = by_key.get((r["task"], "auto", r["seed"]))
        if not path.exists() or auto is None:
            continue
        with np.load(path) as z:
            y, fold = z["y"], z["fold"]
            preds = {k[6:]: z[k] for k in z.files if k.startswith("pred__")}
        tt = ["regression" if r["metric"] in ("mae", "spearman") else "binary"]
        logs = [tt[0] == "regression" and use_log_target(y[:, 0])]
        holdouts = [np.flatnonzero(fold == k) for k in range(int(fold.max()) + 1)]
        per_fold = {name: [p[ho] for ho in holdouts] for name, p in preds.items()}
        n += 1
        a = choose_from_oof(tt, y, holdouts, per_fold, logs=logs)[0]
        m = choose_from_oof(tt, y, holdouts, per_fold, logs=logs, metric=r["metric"])[0]
        same_default += a == auto["chosen"]
        same_metric += m == r["chosen"]
        if a != auto["chosen"] or m != r["chosen"]:
            bad.append(f"{r['task']} seed {r['seed']}")
    return n, same_default, same_metric, bad


def _seed_summary(per_task: dict[str, int]) -> str:
    """'2 seeds on 19 tasks, 5 on bioavailability_ma, ppbr_az, 1 on cyp2d6_veith'."""
    by: dict[int, list[str]] = {}
    for t, n in per_task.items():
        by.setdefault(n, []).append(t)
    parts = []
    for n, ts in sorted(by.items(), key=lambda kv: -len(kv[1])):
        names = f"{len(ts)} tasks" if len(ts) > 4 else ", ".join(ts)
        parts.append(f"{n} seed{'s' if n != 1 else ''} on {names}")
    return "; ".join(parts)


def _pretrained_section(ours: list[dict], tdc_rows: list[dict], tasks, board) -> list[str]:
    """MiniMol models, `auto` (the shipped default rule, the honest single choice) vs gbm and
    the leaderboard, the rejected `auto-margin` rule beside it, and cost."""
    import statistics

    new = ("minimol-mlp", "minimol-gbm", "auto")
    if not any(r["model"] in new for r in tdc_rows):
        return []
    lines = [
        "## Pretrained embeddings (MiniMol) and `auto`",
        "",
        "`minimol-mlp`: ensemble of 5 MLP heads on the 512-d MiniMol v1 embedding;"
        " `minimol-gbm`: LightGBM on MiniMol + ECFP4 counts + lite descriptors. `auto` is what"
        " `helix chem train --model auto` ships (`helixforge.chem.selection`, default rule"
        ' "lowest"): scaffold-grouped CV (5 folds below 2,000 molecules, else 3) on each'
        " seed's TRAIN rows, the candidate (gbm, minimol-gbm, minimol-mlp) with the lowest mean"
        " CV loss, replaced by the blend of the best two when the blend's out-of-fold loss at"
        " its chosen weight is lower by more than 0.002 — one choice per (task, seed), made"
        " before the test set is touched, so its column is the honest single-model view (the"
        " 'best-per-task' column picks per task after seeing test scores). `auto-margin` is the"
        " opt-in `rule='margin'` (keep gbm unless a candidate's mean per-fold gain over gbm"
        " exceeds that gain's sd across the folds; blend weights cross-fitted), measured and"
        " not made the default (comparison below). 'rank' places a mean among the leaderboard"
        " snapshot (top 3 = rank ≤ 3); the leaderboard's entries are 5-seed means, ours have"
        " the number of seeds in parentheses. 'auto − #3': auto's mean minus the #3 entry"
        " (positive = better than #3 for ↑ metrics, worse for MAE). 'auto − gbm' is over the"
        " seeds both have; ✗ marks auto worse than gbm by more than gbm's seed sd.",
        "",
    ]
    rows, bad, best_top3, checked = [], [], 0, 0
    top3_tasks, ranked, auto_seeds = [], 0, {}
    for t in tasks:
        name, metric = t["task"], t["metric"]
        cells, best = [], None
        for m in ("gbm", *new, "auto-margin", "auto-metric"):
            vals = _values(tdc_rows, name, m)
            mean, _, n = mean_sd(vals)
            r = _rank_of(board, name, mean) if n else None
            cells.append(f"{fmt_mean_sd(vals)}" + (f" [{r}]" if r else ""))
            if n and m in ("gbm", *new) and (best is None or _better(metric, mean, best)):
                best = mean
        auto_rows = {r["seed"]: r for r in tdc_rows if r["task"] == name and r["model"] == "auto"}
        cmp = _vs_gbm(tdc_rows, name, metric, "auto")
        diff = "–"
        if cmp is not None:
            checked += 1
            if cmp[2]:
                bad.append(f"{name} ({cmp[0]:+.3f}, gbm sd {cmp[1]:.3f})")
            diff = f"{cmp[0]:+.3f}" + (" ✗" if cmp[2] else "")
        vs3 = "–"
        if auto_rows:
            auto_seeds[name] = len(auto_rows)
            mean = statistics.fmean(x["value"] for x in auto_rows.values())
            r = _rank_of(board, name, mean)
            entries = board.get(name, {}).get("entries", [])
            if r:
                ranked += 1
                if r <= 3:
                    top3_tasks.append(f"{name} ({len(auto_rows)})")
            if len(entries) > 2:
                vs3 = f"{mean - entries[2]['metric_mean']:+.3f}"
        rb = _rank_of(board, name, best) if best is not None else None
        best_top3 += bool(rb and rb <= 3)
        chosen = ", ".join(
            f"{k}:{auto_rows[k]['chosen'].replace('blend:', 'b:')}" for k in sorted(auto_rows)
        )
        cells.insert(4, vs3)
        cells.insert(5, diff)
        rows.append([name, metric, *cells, f"{rb}" if rb else "–", chosen or "–"])
    heads = ["task", "metric", "gbm [rank]", "minimol-mlp [rank]", "minimol-gbm [rank]"]
    heads += ["auto [rank]", "auto − #3", "auto − gbm", "auto-margin [rank]"]
    heads += ["auto-metric [rank]"]
    heads += ["best-per-task rank", "auto chose (seed:model)"]
    lines.append(markdown_table(heads, rows))
    n_auto = sum(auto_seeds.values())
    lines += [
        "",
        f"- **`auto` (shipped default rule) alone in the leaderboard top 3 on {len(top3_tasks)}"
        f" of {ranked} tasks** measured (goal ≥ 8, stretch 11), from {n_auto} (task, seed) runs"
        f" — seeds per task: {_seed_summary(auto_seeds)}. In the top 3 (seeds):"
        f" {', '.join(top3_tasks) or 'none'}. Fewer than 5 seeds make a mean near the #3 line"
        " ('auto − #3' close to 0) provisional. Best-per-task view (after seeing test scores):"
        f" {best_top3} of {len(tasks)}.",
        f"- 'Never worse than gbm by more than gbm's seed sd': holds on {checked - len(bad)} of"
        f" {checked} tasks" + (f"; fails on {', '.join(bad)}." if bad else "."),
    ]
    boot_lines, boot_summary = _bootstrap_section(tdc_rows, tasks)
    if boot_summary:
        lines.append(boot_summary)
    picks = [r["chosen"] for r in tdc_rows if r["model"] == "auto"]
    if picks:
        kinds: dict[str, int] = {}
        for c in picks:
            k = "a blend" if c.startswith("blend:") else c
            kinds[k] = kinds.get(k, 0) + 1
        lines.append(
            f"- auto's choices over its {len(picks)} (task, seed) runs: "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
            + "."
        )
    lines += _variant_lines(
        tdc_rows,
        tasks,
        board,
        "auto-margin",
        "`auto-margin` (`rule='margin'`, tried and rejected as the default)",
    )
    lines += _variant_lines(
        tdc_rows,
        tasks,
        board,
        "auto-metric",
        "`auto-metric` (`--metric` = the task's TDC metric; the default loss otherwise)",
    )
    n, same_default, same_metric, bad = oof_consistency(tdc_rows)
    if n:
        lines.append(
            f"- `auto-metric` differs from `auto` only by the selection metric: on its {n} runs"
            " with saved CV evidence, replaying the decision with the default loss gives `auto`'s"
            f" stored choice on {same_default} and with the task's metric its own on"
            f" {same_metric}" + (f" (mismatches: {', '.join(bad)})." if bad else ".")
        )
    for m in (*new, "auto-margin", "auto-metric"):
        vals = [
            (r["task"], r.get("train_cpu_seconds") or r["train_seconds"])
            for r in tdc_rows
            if r["model"] == m
        ]
        if vals:
            total = sum(v for _, v in vals)
            lines.append(
                f"- {m}: {len(vals)} (task, seed) runs, training CPU {total / 60:.1f} CPU-min"
                f" ({total / len(vals):.0f} CPU-s per run on average, embeddings read from the"
                " warm cache)."
            )
    gb = [r for r in tdc_rows if r["model"] == "gbm"]
    if gb:
        total = sum(r.get("train_cpu_seconds") or r["train_seconds"] for r in gb)
        lines.append(f"- gbm for scale: {total / len(gb):.0f} CPU-s per run on average.")
    lines.append("")
    lines += boot_lines
    emb = [r for r in ours if r.get("part") == "embed"]
    if emb:
        cold = [r for r in emb if r.get("cold_cpu_seconds")]
        rate = (
            sum(r["cold_cpu_seconds"] for r in cold) / sum(r["n_molecules"] for r in cold)
            if cold
            else None
        )
        lines += [
            "### Embedding cost per task (MiniMol, 1 CPU thread)",
            "",
            "Cold: an empty cache, every molecule featurized and run through the ONNX graph"
            " (measured for the tasks with a value; for the others estimated as molecules ×"
            " the measured cold CPU-s per molecule, marked ~). Warm: every molecule already in"
            " the cache (a SQLite read).",
            "",
        ]
        erows = []
        for r in sorted(emb, key=lambda r: r["n_molecules"]):
            c = r.get("cold_cpu_seconds")
            cell = f"{c:.1f}" if c else (f"~{rate * r['n_molecules']:.0f}" if rate else "–")
            ratio = f"{c / max(r['warm_cpu_seconds'], 1e-3):.0f}×" if c else "–"
            erows.append(
                [r["task"][6:], r["n_molecules"], r["n_failed"], cell, r["warm_cpu_seconds"], ratio]
            )
        lines.append(
            markdown_table(
                ["task", "molecules", "failed", "cold CPU-s", "warm CPU-s", "cold / warm"],
                erows,
            )
        )
        if rate:
            lines.append(
                f"\nCold cost: {1000 * rate:.1f} CPU-ms per molecule"
                f" ({1 / rate:.0f} molecules per CPU-second)."
            )
        lines.append("")
    return lines


def write_report(out: Path = OUT_JSON, md_path: Path | None = None) -> None:
    """Rewrite the markdown table (beside `out`, same stem) from our rows and the peer's."""
    md_path = md_path or Path(out).with_suffix(".md")
    ours = load_rows(out)
    peer = load_rows(PEER_JSON)
    board = _leaderboard()
    tdc_rows = [r for r in ours if r.get("part") == "tdc"]
    models = [m for m in MODELS if any(r["model"] == m for r in tdc_rows)]
    tasks = tdc_tasks()
    lines = [
        "# Molecular property benchmark: TDC ADMET group and MoleculeNet",
        "",
        "Generated by `benchmarks/chem_property.py` from `benchmarks/results/chem_property.json`"
        " (ours) and `benchmarks/results/chemprop_tdc.json` (Chemprop v2 peer). Commands:",
        "",
        "```",
        "# Chemprop v2 peer (own venv, defaults, 1 torch thread), resumable, in the background:",
        "nohup nice -n 15 .bench/chemprop/bin/python benchmarks/peers/chemprop_tdc.py \\",
        "    > .bench/chemprop_tdc.log 2>&1 &",
        ".bench/chemprop/bin/python benchmarks/peers/chemprop_tdc.py --throughput 10000",
        "# ours (project venv, 1 thread), resumable:",
        "nice -n 10 .venv/bin/python benchmarks/chem_property.py --part tdc --models gbm",
        "nice -n 10 .venv/bin/python benchmarks/chem_property.py --part tdc --models dmpnn",
        "nice -n 10 .venv/bin/python benchmarks/chem_property.py --part moleculenet --models gbm",
        "nice -n 10 .venv/bin/python benchmarks/chem_property.py --part throughput",
        ".venv/bin/python benchmarks/chem_property.py --part report",
        "```",
        "",
        "Cells are mean ± sd (n seeds); sd is the population sd (ddof=0) as TDC reports it."
        " Splits: TDC official test set; train/valid from TDC's `get_train_valid_split(seed,"
        " 'scaffold')` for seeds 1-5, identical for every model. Machine: 2 shared CPU cores,"
        " every model single-threaded; wall times are inflated by other jobs on the machine, CPU"
        " seconds are the fairer cost.",
        "",
        "## TDC ADMET benchmark group (22 tasks)",
        "",
    ]
    headers = ["task", "metric"] + [f"ours: {m}" for m in models]
    headers += ["Chemprop v2", "leaderboard #1", "leaderboard #3", "our best rank"]
    table = []
    beat, both, top3, ranked = 0, 0, 0, 0
    for t in tasks:
        name, metric = t["task"], t["metric"]
        arrow = "↓" if metric in LOWER_IS_BETTER else "↑"
        cp_vals = _values(peer, name, "chemprop")
        cp_mean, _, cp_n = mean_sd(cp_vals)
        cells, best_mean = [], None
        for m in models:
            vals = _values(tdc_rows, name, m)
            mean, _, n = mean_sd(vals)
            cell = fmt_mean_sd(vals)
            if n and cp_n and _better(metric, mean, cp_mean):
                cell = f"**{cell}**"
            cells.append(cell)
            if n and (best_mean is None or _better(metric, mean, best_mean)):
                best_mean = mean
        entries = board.get(name, {}).get("entries", [])
        direction = LEADERBOARD_DIRECTION.get(board.get(name, {}).get("metric_name", ""), "max")
        first = f"{entries[0]['metric_mean']:.3f} ({entries[0]['model']})" if entries else "–"
        third = (
            f"{entries[2]['metric_mean']:.3f} ({entries[2]['model']})" if len(entries) > 2 else "–"
        )
        rank = "–"
        if best_mean is not None and entries:
            r = leaderboard_rank(entries, direction, best_mean)
            rank = f"{r} of {len(entries) + 1}"
            ranked += 1
            top3 += r <= 3
        if best_mean is not None and cp_n:
            both += 1
            beat += _better(metric, best_mean, cp_mean)
        table.append([name, f"{metric} {arrow}", *cells, fmt_mean_sd(cp_vals), first, third, rank])
    lines.append(markdown_table(headers, table))
    lines.append(
        "Bold: our mean beats Chemprop's on that task. 'our best rank': the best of our models'"
        " mean placed among the leaderboard snapshot's entries (ties count in our favour;"
        " leaderboard values are rounded to 3 decimals). Caveat: picking the best of several of"
        " our models per task after seeing test scores flatters us; the per-model columns are"
        " the honest view.\n"
    )
    summary = [
        f"- Ours (best model per task) beats Chemprop v2 on **{beat} of {both}** tasks where both"
        " are measured (goal: 20 of 22).",
        f"- Inside the leaderboard top 3 on **{top3} of {ranked}** tasks measured (goal: 8).",
    ]
    for m in models:
        m_beat = m_both = 0
        for t in tasks:
            a, _, na = mean_sd(_values(tdc_rows, t["task"], m))
            b, _, nb = mean_sd(_values(peer, t["task"], "chemprop"))
            if na and nb:
                m_both += 1
                m_beat += _better(t["metric"], a, b)
        m_top3 = m_ranked = 0
        for t in tasks:
            mean, _, n = mean_sd(_values(tdc_rows, t["task"], m))
            entries = board.get(t["task"], {}).get("entries", [])
            if n and entries:
                metric_name = board.get(t["task"], {}).get("metric_name", "")
                direction = LEADERBOARD_DIRECTION.get(metric_name, "max")
                m_ranked += 1
                m_top3 += leaderboard_rank(entries, direction, mean) <= 3
        summary.append(
            f"- {m} alone beats Chemprop on {m_beat} of {m_both} tasks; leaderboard top 3 on"
            f" {m_top3} of {m_ranked}."
        )
    # CPU cost over the (task, seed) pairs both have finished
    cp_keys = {(r["task"], r["seed"]): r for r in peer if r.get("model") == "chemprop"}
    for m in models:
        pairs = [
            (r, cp_keys[(r["task"], r["seed"])])
            for r in tdc_rows
            if r["model"] == m and (r["task"], r["seed"]) in cp_keys
        ]
        if pairs:
            ours_cpu = sum(a.get("train_cpu_seconds") or a["train_seconds"] for a, _ in pairs)
            cp_cpu = sum(b.get("train_cpu_seconds") or b["train_seconds"] for _, b in pairs)
            summary.append(
                f"- Training CPU time on the {len(pairs)} (task, seed) runs both finished: {m}"
                f" {ours_cpu / 60:.1f} CPU-min vs Chemprop {cp_cpu / 60:.1f} CPU-min"
                f" ({cp_cpu / max(ours_cpu, 1e-9):.1f}× less for {m})."
            )
    lines += ["### Summary", "", *summary, ""]
    lines += _pretrained_section(ours, tdc_rows, tasks, board)
    lines += _before_after(
        tdc_rows,
        tasks,
        "auto",
        "auto-margin",
        '`auto` (default rule "lowest") / `auto-margin` (opt-in rule "margin")',
        "`auto`: the shipped default (lowest mean CV loss; the blend when its out-of-fold loss"
        " at the chosen weight is 0.002 better). `auto-margin`: the paired-fold-margin rule,"
        " tried as the default and reverted (it keeps gbm far more often and scored worse)."
        " Same splits, the seeds both have.",
    )

    # the GBM default before / after ErG + refit, and before / after the determinism fix
    lines += _before_after(
        tdc_rows,
        tasks,
        "gbm-v0",
        "gbm-pre-fix",
        "GBM default before / after (ErG block + refit on train+valid)",
        "`gbm-v0` is the previous default (ECFP4 + FCFP4 + atom pairs + descriptors,"
        " early-stopped model kept); `gbm-pre-fix` added the ErG block and refit on train + valid"
        " for the early-stopped number of rounds (measured before the determinism fix below).",
    )
    lines += _before_after(
        tdc_rows,
        tasks,
        "gbm-pre-fix",
        "gbm",
        "Determinism fix: GBM rows before / after",
        "`gbm-pre-fix` rows were computed while ErG features depended on process memory state"
        " (RDKit reused a stale cached distance matrix; 1.5 % of TDC molecules affected) and"
        " before the salt-handling change (inputs made only of counter-ions were reduced to one"
        " ion; 267 AqSolDB molecules). `gbm` is the same model rerun after both fixes; its rows"
        " reproduce bit for bit across processes. Same splits, seeds both have.",
    )

    # throughput
    tp = [r for r in ours + peer if r.get("task") == THROUGHPUT_TASK]
    lines += ["## Prediction throughput (first 10,000 MOSES test molecules, end to end)", ""]
    if tp:
        lines.append(
            markdown_table(
                ["tool / model", "how", "molecules/s (wall)", "molecules per CPU-second", "wall s"],
                [
                    [
                        r["model"],
                        r.get("how", ""),
                        r["molecules_per_second"],
                        r["molecules_per_cpu_second"],
                        r["wall_seconds"],
                    ]
                    for r in tp
                ],
            )
        )
        lines.append(
            "Each CLI row is a fresh process (start-up, CSV read, standardization, features,"
            " prediction, uncertainty/AD columns, output write). CPU seconds include child"
            " processes. Rows with load_avg_1min ≤ 2.3 in the JSON were measured with every"
            " other benchmark job paused (SIGSTOP); chemprop-forward and chemprop-rdkit ran"
            " beside other jobs, so only their per-CPU-second figure is comparable."
            " admet-ai predicts 41 endpoints with 5-model Chemprop-RDKit ensembles each, so it"
            " is shown for scale, not as a like-for-like peer.\n"
        )
        by = {r["model"]: r for r in tp}
        pairs = [
            (f"{m}-cli-{c}cpu", f"chemprop-cli-{c}cpu", f"`chemprop predict`, {c} CPU(s) each")
            for m in ("gbm", "gbm-fast")
            for c in (1, 2)
        ]
        pairs += [
            (f"{m}-cli-1cpu", "chemprop-rdkit-cli-1cpu", "Chemprop-RDKit `chemprop predict`, 1 CPU")
            for m in ("gbm", "gbm-fast")
        ]
        for mine, theirs, label in pairs:
            a, b = by.get(mine), by.get(theirs)
            if a and b:
                quiet = max(a.get("load_avg_1min", 9), b.get("load_avg_1min", 9)) <= 2.3
                wall = a["molecules_per_second"] / b["molecules_per_second"]
                lines.append(
                    f"- {mine.split('-cli-')[0]} vs {label}:"
                    + (
                        f" {wall:.1f}× (wall),"
                        if quiet
                        else " (wall not comparable: peer ran under load),"
                    )
                    + f" {a['molecules_per_cpu_second'] / b['molecules_per_cpu_second']:.1f}×"
                    " (per CPU-second). Goal: ≥ 10×."
                )
        lines += [
            "",
            "Why default Chemprop is not 10× slower here: `chemprop predict` (no descriptors)"
            " spends about 1 ms per molecule, and 10× that would leave us ~0.1 ms per molecule"
            " end to end, less than RDKit's SMILES parsing and sanitization alone (0.13–0.16 ms"
            " per drug-like molecule on this CPU), which every RDKit-based model must pay."
            " Against Chemprop-RDKit (the configuration ADMET-AI and the leaderboard's"
            " Chemprop-RDKit entry use) the descriptor computation dominates the peer's cost.",
            "",
        ]
    else:
        lines.append("Not measured yet.\n")

    # MoleculeNet
    mn = [r for r in ours if r.get("part") == "moleculenet"]
    lines += ["## MoleculeNet (helixforge balanced scaffold split 0.8/0.1/0.1, seeds 0-2)", ""]
    if mn:
        mn_models = [
            m for m in [*MODELS, "gbm-pre-fix", "gbm-v0"] if any(r["model"] == m for r in mn)
        ]
        rows = []
        for name in MOLECULENET:
            key = f"moleculenet/{name}"
            from helixforge.datasets.registry import get_dataset

            metric = get_dataset(key).metric
            rows.append([key, metric, *[fmt_mean_sd(_values(mn, key, m)) for m in mn_models]])
        lines.append(markdown_table(["dataset", "metric", *mn_models], rows))
        lines.append(
            "Multi-target sets (ClinTox 2, Tox21 12 targets): mean ROC-AUC over targets, missing"
            " labels masked. No peer was run on these splits.\n"
        )
    else:
        lines.append("Not run yet.\n")

    check = next((r for r in ours if r.get("task") == "split_check"), None)
    if check:
        lines += [
            "## Split check",
            "",
            f"`helixforge.chem.splits.tdc_scaffold_split` vs the peer's reproduction of TDC's"
            f" `create_scaffold_split` (used by every model here): {check['mismatches']}"
            f" differences over {check['checked']} (task, seed) splits (tasks:"
            f" {', '.join(check['tasks']) if isinstance(check['tasks'], list) else 'all'};"
            f" seeds {check['seeds']}). Run: `chem_property.py --part check-splits`.",
            "",
        ]
    # missing
    missing = []
    n_cp = len([r for r in peer if r.get("model") == "chemprop"])
    missing.append(f"- Chemprop v2: {n_cp} of 110 (task, seed) runs finished.")
    for m in MODELS:
        n_m = len([r for r in tdc_rows if r["model"] == m])
        missing.append(f"- ours {m}: {n_m} of 110 TDC runs finished.")
    have_auto = {(r["task"], r["seed"]) for r in tdc_rows if r["model"] == "auto"}
    gaps: dict[tuple[int, ...], list[str]] = {}
    for t in tasks:
        absent_seeds = tuple(k for k in range(1, 6) if (t["task"], k) not in have_auto)
        if absent_seeds:
            gaps.setdefault(absent_seeds, []).append(t["task"])
    for absent_seeds, names in gaps.items():
        missing.append(
            f"- auto (default rule) rows missing for seed(s) {', '.join(map(str, absent_seeds))}"
            f" on {', '.join(names)}: `{TDC_AUTO_CMD} --seeds"
            f" {' '.join(map(str, absent_seeds))} --tasks {' '.join(names)}`."
        )
    for m in MODELS[:3]:
        n_m = len([r for r in mn if r["model"] == m])
        missing.append(f"- ours {m}: {n_m} of {3 * len(MOLECULENET)} MoleculeNet runs finished.")
    have = {r["model"] for r in tp}
    wanted = ("gbm-cli-1cpu", "gbm-fast-cli-1cpu", "chemprop-cli-1cpu", "chemprop-cli-2cpu")
    absent = [m for m in wanted if m not in have]
    if absent:
        missing.append(f"- throughput not measured yet for: {', '.join(absent)}.")
    missing.append("- No peer (Chemprop or other) was run on the MoleculeNet splits.")
    lines += ["## What is still missing", "", *missing, ""]
    write_text_atomic("\n".join(lines), md_path)


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(
        description="TDC ADMET + MoleculeNet property benchmark (ours vs Chemprop v2).",
        epilog="Rows already in the results JSON are skipped, so any run can be resumed.",
    )
    parser.add_argument(
        "--part",
        choices=[
            "all",
            "tdc",
            "moleculenet",
            "throughput",
            "report",
            "check-splits",
            "embed-all",
            "embed-cost",
            "check-reuse",
            "fill-preds",
            "retire-auto-v1",
            "relabel-auto-rules",
        ],
        default="all",
        help="all = tdc, then moleculenet, then throughput (default)",
    )
    parser.add_argument("--models", nargs="+", default=["gbm"], choices=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, help="default 1-5 (TDC), 0-2 (MoleculeNet)")
    parser.add_argument("--tasks", nargs="+", help="TDC task or MoleculeNet dataset names")
    parser.add_argument("--quick", action="store_true", help=f"seed 1, tasks {QUICK_TASKS}")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per model")
    parser.add_argument("--n-molecules", type=int, default=10_000, help="throughput set size")
    parser.add_argument("--out", type=Path, default=OUT_JSON)
    parser.add_argument(
        "--cold-tasks",
        nargs="*",
        default=["half_life_obach", "caco2_wang", "herg"],
        help="embed-cost: tasks also embedded with an empty cache",
    )
    args = parser.parse_args()

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ.setdefault("HELIX_CACHE_DIR", str(EMBED_CACHE))
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        pass

    if args.part == "report":
        write_report(args.out)
        print(f"wrote {args.out.with_suffix('.md')}")
        return
    if args.part == "embed-all":
        run_embed_all(args.tasks)
        return
    if args.part == "embed-cost":
        run_embed_cost(args.tasks, args.cold_tasks, args.out)
        return
    if args.part == "retire-auto-v1":
        retire_auto_v1(args.out)
        write_report(args.out)
        return
    if args.part == "relabel-auto-rules":
        relabel_auto_rules(args.out)
        write_report(args.out)
        return
    if args.part == "check-reuse":
        models = args.models
        sys.exit(1 if check_reuse(models, args.seeds or [1], args.tasks or [], args.out) else 0)
    if args.part == "fill-preds":
        sys.exit(1 if fill_preds(args.tasks, args.out) else 0)
    if args.part == "check-splits":
        sys.exit(1 if check_splits(args.seeds or [1, 2, 3, 4, 5], args.tasks, args.out) else 0)
    if args.part in ("all", "tdc"):
        seeds = [1] if args.quick else (args.seeds or [1, 2, 3, 4, 5])
        tasks = QUICK_TASKS if args.quick else args.tasks
        run_tdc(args.models, seeds, tasks, args.out)
    if args.part in ("all", "moleculenet"):
        seeds = [0] if args.quick else (args.seeds or [0, 1, 2])
        names = ["esol", "bbbp"] if args.quick else (args.tasks or MOLECULENET)
        if args.part == "all" and args.tasks:
            names = [n for n in names if n in MOLECULENET]
        run_moleculenet(args.models, seeds, names, args.out)
    if args.part in ("all", "throughput"):
        models = [m for m in args.models if m.startswith("gbm")]
        run_throughput(models, 1000 if args.quick else args.n_molecules, args.out)
    write_report(args.out)
    print(f"wrote {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
