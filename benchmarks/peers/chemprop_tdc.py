"""Chemprop v2 (default settings) on the 22 TDC ADMET benchmark-group tasks, seeds 1..5.

Runs INSIDE the peer venv (.bench/chemprop), not the project venv:

    python3 -m venv .bench/chemprop
    .bench/chemprop/bin/pip install -c constraints-cpu.txt torch==2.13.0
    .bench/chemprop/bin/pip install -c constraints-cpu.txt chemprop admet-ai
    nohup nice -n 15 .bench/chemprop/bin/python benchmarks/peers/chemprop_tdc.py \
        > .bench/chemprop_tdc.log 2>&1 &

For every (task, seed) it builds the train/valid split exactly as TDC's
`admet_group.get_train_valid_split(seed, task, 'scaffold')` does (frac 0.875/0.125/0),
calls the `chemprop train` CLI with defaults (only the task type, columns, the three split
files and the seeds are set), takes the test predictions of the best checkpoint, times
`chemprop predict` on the test set end to end, scores with TDC's metric and appends one row
to benchmarks/results/chemprop_tdc.json. Rows already present are skipped, so a killed run
resumes where it stopped. Order: seed 1 for all tasks from the smallest train_val to the
largest, then seed 2, and so on.

Torch runs with 1 thread (OMP_NUM_THREADS=1 / MKL_NUM_THREADS=1 in the child's environment):
measured faster than the default on this shared 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from random import Random

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

from _common import Timer, append_row, done_keys  # noqa: E402

DATA = Path(os.environ.get("HELIX_DATA_MIRROR", ROOT.parent / "shared" / "data"))
TDC_DIR = DATA / "chem" / "tdc_admet" / "admet_group"
CATALOG = ROOT / "src" / "helixforge" / "datasets" / "catalog" / "chem.json"
RESULTS = ROOT / "benchmarks" / "results" / "chemprop_tdc.json"
MOSES = DATA / "chem" / "corpora" / "moses_test.csv.gz"
MODEL_KEEP = ROOT / ".bench" / "chemprop_models"
BIN = Path(sys.executable).parent
THROUGHPUT_TASK = "throughput_moses10k"


def tdc_scaffold_split(smiles: list[str], seed: int, frac=(0.875, 0.125, 0.0)):
    """TDC's create_scaffold_split, reproduced: returns (train_idx, valid_idx, test_idx).

    Bemis-Murcko scaffolds (no chirality) group the rows in first-seen order; groups larger
    than half the valid or test size are "big"; big and small groups are each shuffled with
    random.Random(seed) (reseeded to the same seed) and placed big first; groups fill train
    up to int(n * frac[0]) and the rest go to valid (frac[2] == 0). Rows whose SMILES RDKit
    cannot parse are left out, as TDC does. Index order within a group follows Python set
    iteration, as in TDC.
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem.Scaffolds import MurckoScaffold

    RDLogger.DisableLog("rdApp.*")
    rng = Random(seed)
    scaffolds: dict[str, set[int]] = defaultdict(set)
    errors = 0
    for i, smi in enumerate(smiles):
        try:
            scaffold = MurckoScaffold.MurckoScaffoldSmiles(
                mol=Chem.MolFromSmiles(smi), includeChirality=False
            )
            scaffolds[scaffold].add(i)
        except Exception:
            errors += 1
    n = len(smiles) - errors
    train_size = int(n * frac[0])
    val_size = int(n * frac[1])
    test_size = n - train_size - val_size
    big, small = [], []
    for index_set in scaffolds.values():
        if len(index_set) > val_size / 2 or len(index_set) > test_size / 2:
            big.append(index_set)
        else:
            small.append(index_set)
    rng.seed(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for index_set in big + small:
        if frac[2] == 0:
            if len(train) + len(index_set) <= train_size:
                train += index_set
            else:
                val += index_set
        elif len(train) + len(index_set) <= train_size:
            train += index_set
        elif len(val) + len(index_set) <= val_size:
            val += index_set
        else:
            test += index_set
    return np.array(train, dtype=int), np.array(val, dtype=int), np.array(test, dtype=int)


def tdc_metric(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    """TDC's Evaluator: mae, spearman, roc-auc, pr-auc (= average precision)."""
    from scipy.stats import spearmanr
    from sklearn.metrics import average_precision_score, mean_absolute_error, roc_auc_score

    if metric == "mae":
        return float(mean_absolute_error(y, p))
    if metric == "spearman":
        return float(spearmanr(y, p)[0])
    if metric == "roc_auc":
        return float(roc_auc_score(y, p))
    if metric == "pr_auc":
        return float(average_precision_score(y, p))
    raise ValueError(f"unknown metric {metric!r}")


def task_table() -> list[dict]:
    """The 22 tasks with metric, task type and train_val size, smallest first."""
    with open(CATALOG) as handle:
        catalog = {e["name"]: e for e in json.load(handle)}
    tasks = []
    for folder in sorted(TDC_DIR.iterdir()):
        entry = catalog.get(f"tdc/{folder.name}")
        if entry is None:
            continue
        with open(folder / "train_val.csv") as handle:
            n = sum(1 for _ in handle) - 1
        tasks.append(
            {"task": folder.name, "metric": entry["metric"], "kind": entry["task"], "n": n}
        )
    return sorted(tasks, key=lambda t: (t["n"], t["task"]))


def child_env() -> dict:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def epochs_run(model_dir: Path) -> int | None:
    logs = sorted(model_dir.glob("trainer_logs/**/metrics.csv"))
    if not logs:
        return None
    frame = pd.read_csv(logs[-1])
    return int(frame["epoch"].max()) + 1 if "epoch" in frame else None


def run_one(task: dict, seed: int, workdir: Path) -> dict:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    folder = TDC_DIR / task["task"]
    train_val = pd.read_csv(folder / "train_val.csv")
    test = pd.read_csv(folder / "test.csv")
    tr, va, _ = tdc_scaffold_split(train_val["Drug"].tolist(), seed)
    cols = ["Drug", "Y"]
    train_val.iloc[tr][cols].to_csv(workdir / "train.csv", index=False)
    train_val.iloc[va][cols].to_csv(workdir / "val.csv", index=False)
    # Chemprop stops on the first SMILES RDKit cannot parse (AqSolDB's test set has one). Those
    # test molecules are left out of its input and given the training mean afterwards, so both
    # tools are scored on every official test molecule.
    parses = np.array([Chem.MolFromSmiles(s) is not None for s in test["Drug"]])
    test[parses][cols].to_csv(workdir / "test.csv", index=False)
    task_type = "regression" if task["kind"] == "regression" else "classification"
    out = workdir / "run"
    cmd = [
        str(BIN / "chemprop"), "train",
        "-i", str(workdir / "train.csv"), str(workdir / "val.csv"), str(workdir / "test.csv"),
        "-s", "Drug", "--target-columns", "Y", "-t", task_type,
        "--data-seed", str(seed), "--pytorch-seed", str(seed),
        "-o", str(out),
    ]  # fmt: skip
    with Timer() as t_train:
        subprocess.run(cmd, check=True, env=child_env(), stdout=subprocess.DEVNULL)
    model_dir = out / "model_0"
    preds = pd.read_csv(model_dir / "test_predictions.csv")
    model_file = model_dir / "best.pt"
    pred_cmd = [
        str(BIN / "chemprop"), "predict",
        "-i", str(workdir / "test.csv"), "-s", "Drug",
        "--model-paths", str(model_file), "-o", str(workdir / "pred.csv"),
    ]  # fmt: skip
    with Timer() as t_pred:
        subprocess.run(pred_cmd, check=True, env=child_env(), stdout=subprocess.DEVNULL)
    pred_cli = pd.read_csv(workdir / "pred.csv")
    p_cli = pred_cli["Y"].to_numpy(dtype=float)
    p = np.full(len(test), float(train_val.iloc[tr]["Y"].mean()))  # unparsable: training mean
    p[parses] = preds["Y"].to_numpy(dtype=float)
    y = test["Y"].to_numpy(dtype=float)
    value = tdc_metric(task["metric"], y, p)
    return {
        "task": task["task"],
        "model": "chemprop",
        "seed": seed,
        "metric": task["metric"],
        "value": value,
        "train_seconds": round(t_train.wall, 2),
        "train_cpu_seconds": round(t_train.cpu, 2),
        "predict_seconds": round(t_pred.wall, 2),
        "n_train": int(len(tr)),
        "n_valid": int(len(va)),
        "n_test": int(len(test)),
        "epochs_run": epochs_run(model_dir),
        "predict_cli_max_abs_diff": float(np.max(np.abs(p[parses] - p_cli))),
        "n_test_unparsable": int((~parses).sum()),
        "torch_threads": 1,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def moses_smiles(n: int) -> list[str]:
    """The first `n` SMILES of the MOSES test set (the throughput benchmark's molecules)."""
    return pd.read_csv(MOSES, nrows=n)["SMILES"].tolist()


RDKIT_FEATURIZER = ["--molecule-featurizers", "v1_rdkit_2d_normalized"]


def throughput_model(workdir: Path, rdkit: bool = False) -> Path:
    """A default Chemprop model on caco2_wang (seed 1 split), kept under .bench for reuse;
    `rdkit=True`: Chemprop-RDKit (normalized RDKit 2D descriptors concatenated, as ADMET-AI
    and the TDC leaderboard's Chemprop-RDKit entry use)."""
    run_name = "caco2_wang_s1_rdkit" if rdkit else "caco2_wang_s1"
    model_file = MODEL_KEEP / run_name / "best.pt"
    if model_file.exists():
        return model_file
    task = next(t for t in task_table() if t["task"] == "caco2_wang")
    folder = TDC_DIR / task["task"]
    train_val = pd.read_csv(folder / "train_val.csv")
    tr, va, _ = tdc_scaffold_split(train_val["Drug"].tolist(), 1)
    train_val.iloc[tr][["Drug", "Y"]].to_csv(workdir / "train.csv", index=False)
    train_val.iloc[va][["Drug", "Y"]].to_csv(workdir / "val.csv", index=False)
    cmd = [
        str(BIN / "chemprop"), "train",
        "-i", str(workdir / "train.csv"), str(workdir / "val.csv"), str(workdir / "val.csv"),
        "-s", "Drug", "--target-columns", "Y", "-t", "regression",
        "--data-seed", "1", "--pytorch-seed", "1", "-o", str(workdir / run_name),
    ]  # fmt: skip
    if rdkit:
        cmd += RDKIT_FEATURIZER
    subprocess.run(cmd, check=True, env=child_env(), stdout=subprocess.DEVNULL)
    model_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(workdir / run_name / "model_0" / "best.pt", model_file)
    return model_file


def forward_in_process(model_file: Path, smiles: list[str]) -> np.ndarray:
    """SMILES → MolGraph → batched MPNN forward, in this process, one torch thread."""
    import torch
    from chemprop import data, featurizers, models

    torch.set_num_threads(1)
    model = models.MPNN.load_from_file(model_file, map_location="cpu")
    model.eval()
    points = [data.MoleculeDatapoint.from_smi(s) for s in smiles]
    dataset = data.MoleculeDataset(points, featurizers.SimpleMoleculeMolGraphFeaturizer())
    loader = data.build_dataloader(dataset, batch_size=64, shuffle=False)
    out = []
    with torch.inference_mode():
        for batch in loader:
            out.append(model(batch.bmg, batch.V_d, batch.X_d))
    return torch.cat(out).numpy()[:, 0]


def run_throughput(n: int, out: Path) -> None:
    """Prediction throughput on the first `n` MOSES test molecules, end to end from SMILES.

    Rows (task = THROUGHPUT_TASK, seed 0): chemprop-cli-1cpu / -2cpu (`chemprop predict` with 1
    or 2 torch threads, process start included), chemprop-forward (in-process featurize + forward) and admet-ai
    (`admet_predict`: its 41-task Chemprop-RDKit ensembles plus physchem properties).
    """
    smiles = moses_smiles(n)
    done = done_keys(out)
    workdir = Path(tempfile.mkdtemp(prefix="cp_throughput_"))
    try:
        frame = pd.DataFrame({"smiles": smiles})
        frame.to_csv(workdir / "mols.csv", index=False)
        model_file = throughput_model(workdir)

        def record(model: str, timer: Timer, extra: dict) -> None:
            row = {
                "task": THROUGHPUT_TASK, "model": model, "seed": 0, "n_molecules": n,
                "wall_seconds": round(timer.wall, 2), "cpu_seconds": round(timer.cpu, 2),
                "molecules_per_second": round(n / timer.wall, 2),
                "molecules_per_cpu_second": round(n / max(timer.cpu, 1e-9), 2),
                "torch_threads": 1, "load_avg_1min": round(os.getloadavg()[0], 2),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra,
            }  # fmt: skip
            append_row(out, row)
            print(f"  {model}: {row['molecules_per_second']} mol/s wall", flush=True)

        for threads in (1, 2):  # torch threads; featurisation is one process either way
            name = f"chemprop-cli-{threads}cpu"
            if (THROUGHPUT_TASK, name, 0) in done:
                continue
            cmd = [
                str(BIN / "chemprop"), "predict", "-i", str(workdir / "mols.csv"),
                "-s", "smiles", "--model-paths", str(model_file),
                "-o", str(workdir / "pred.csv"),
            ]  # fmt: skip
            env = child_env()
            env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
            with Timer() as t:
                subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
            how = f"chemprop predict CLI, {threads} torch thread(s), process start included"
            record(name, t, {"how": how, "torch_threads": threads})
        if (THROUGHPUT_TASK, "chemprop-rdkit-cli-1cpu", 0) not in done:
            rdkit_model = throughput_model(workdir, rdkit=True)
            cmd = [
                str(BIN / "chemprop"), "predict", "-i", str(workdir / "mols.csv"),
                "-s", "smiles", "--model-paths", str(rdkit_model),
                "-o", str(workdir / "pred_rdkit.csv"), *RDKIT_FEATURIZER,
            ]  # fmt: skip
            with Timer() as t:
                subprocess.run(cmd, check=True, env=child_env(), stdout=subprocess.DEVNULL)
            how = "chemprop predict CLI, Chemprop-RDKit model (v1_rdkit_2d_normalized), 1 thread"
            record("chemprop-rdkit-cli-1cpu", t, {"how": how})
        if (THROUGHPUT_TASK, "chemprop-forward", 0) not in done:
            with Timer() as t:
                forward_in_process(model_file, smiles)
            record("chemprop-forward", t, {"how": "in-process MolGraph featurize + forward"})
        if (THROUGHPUT_TASK, "admet-ai", 0) not in done:
            cmd = [
                str(BIN / "admet_predict"), "--data_path", str(workdir / "mols.csv"),
                "--save_path", str(workdir / "admet.csv"), "--smiles_column", "smiles",
                "--num_workers", "0",
            ]  # fmt: skip
            with Timer() as t:
                subprocess.run(cmd, check=True, env=child_env(), stdout=subprocess.DEVNULL)
            n_cols = len(pd.read_csv(workdir / "admet.csv", nrows=1).columns) - 1
            record("admet-ai", t, {"how": "admet_predict CLI", "n_outputs": n_cols})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="*", help="subset of task names (default: all 22)")
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--split-only", action="store_true", help="print split sizes and exit")
    parser.add_argument(
        "--throughput",
        type=int,
        metavar="N",
        help="only measure prediction throughput on the first N MOSES test molecules",
    )
    args = parser.parse_args()
    if args.throughput:
        run_throughput(args.throughput, args.out)
        return

    tasks = task_table()
    if args.tasks:
        tasks = [t for t in tasks if t["task"] in set(args.tasks)]
    if args.split_only:
        for t in tasks:
            smiles = pd.read_csv(TDC_DIR / t["task"] / "train_val.csv")["Drug"].tolist()
            for seed in args.seeds:
                tr, va, _ = tdc_scaffold_split(smiles, seed)
                print(t["task"], seed, len(tr), len(va), int(tr.sum()) % 100003, flush=True)
        return
    import chemprop

    print(f"chemprop {chemprop.__version__}; results -> {args.out}", flush=True)
    for seed in args.seeds:
        for task in tasks:
            if (task["task"], "chemprop", seed) in done_keys(args.out):
                continue
            print(f"[{time.strftime('%H:%M:%S')}] {task['task']} seed {seed} ...", flush=True)
            workdir = Path(tempfile.mkdtemp(prefix=f"cp_{task['task']}_{seed}_"))
            try:
                row = run_one(task, seed, workdir)
            except subprocess.CalledProcessError as exc:
                print(f"  FAILED: {exc}", flush=True)
                continue
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            row["chemprop_version"] = chemprop.__version__
            append_row(args.out, row)
            print(
                f"  {row['metric']}={row['value']:.4f} train {row['train_seconds']:.0f}s "
                f"epochs {row['epochs_run']} predict {row['predict_seconds']:.1f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
