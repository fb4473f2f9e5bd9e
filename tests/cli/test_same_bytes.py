"""Same command + seed → same bytes, in two processes with different hash seeds.

Every file of a training run is compared, not only the predictions: a run directory used to
differ in versions.json ("created") and metrics.json ("train_seconds"). Wall-clock facts now
live in timings.json, the one file allowed to differ (docs/reliability.md, "Determinism").
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helixforge.core.artifacts import TIMING_FILE, RunDir, load_json

ROOT = Path(__file__).resolve().parents[2]
SMILES = ["CCO", "CCN", "CCC", "c1ccccc1", "c1ccccc1O", "c1ccccc1N", "CC(=O)O", "CC(=O)N",
          "CCCCO", "CCCCN", "c1ccncc1", "c1ccncc1C", "C1CCCCC1", "C1CCCCC1O", "CCOC(=O)C",
          "CCCOC", "c1ccc2ccccc2c1", "Cc1ccccc1", "Clc1ccccc1", "Brc1ccccc1", "OCCO", "NCCN",
          "CC(C)O", "CC(C)N", "c1cc[nH]c1", "c1ccoc1", "c1ccsc1", "CCS", "CCCl", "CCBr"] * 2  # fmt: skip


def _helix(args: list[str], hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-c", "from helixforge.cli.app import main; main()", *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def _files(run: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(run)): p.read_bytes()
        for p in sorted(run.rglob("*"))
        if p.is_file() and p.name != TIMING_FILE
    }


# Molecules whose ErG features once depended on what ran before in the process (RDKit's
# cached distance matrix; tests/chem/test_determinism.py)
ERG_SENSITIVE = [
    "CCc1oc(O)c(Cc2c(O)c(CC=C(C)C)c(O)c(C(C)=O)c2O)c(=O)c1C",
    "C/C=C/C/C=C/CCC(=O)[C@@H]1O[C@@H]1C(N)=O",
    "C[C@]12C[C@@H](O)[C@@H]3[C@@H](CCC4=CC(=O)CC[C@@]43C)[C@H]1CC[C@@]2(O)C(=O)CO",
]


def _chem(tmp: Path) -> list[str]:
    smiles = SMILES + ERG_SENSITIVE
    labels = [len(s) * 0.3 + (i % 3) * 0.1 for i, s in enumerate(smiles)]
    active = [int("c" in s) for s in smiles]
    pd.DataFrame({"smiles": smiles, "y": labels, "active": active}).to_csv(
        tmp / "chem.csv", index=False
    )  # a regression and a classification target: both model kinds are compared
    return ["chem", "train", str(tmp / "chem.csv"), "--label-col", "y", "--label-col", "active",
            "--model", "gbm", "--param", "n_estimators=60", "--split", "random", "--seed", "3"]  # fmt: skip


def _dna(tmp: Path) -> list[str]:
    rng = random.Random(0)
    rows = []
    for i in range(160):
        s = "".join(rng.choice("ACGT") for _ in range(40))
        if i % 2:
            s = s[:10] + "TGATAAGC" + s[18:]
        rows.append((s, i % 2))
    pd.DataFrame(rows, columns=["sequence", "label"]).to_csv(tmp / "dna.csv", index=False)
    return ["dna", "train", str(tmp / "dna.csv"), "--model", "cnn", "--epochs", "2", "-j", "1",
            "--device", "cpu"]  # fmt: skip


def _crispr(tmp: Path) -> list[str]:
    rng = random.Random(1)
    rows = [
        ("".join(rng.choice("ACGT") for _ in range(24)) + "AGG" + "ACG", rng.random())
        for _ in range(200)
    ]
    pd.DataFrame(rows, columns=["context", "lfc"]).to_csv(tmp / "cr.csv", index=False)
    return ["crispr", "train-ontarget", str(tmp / "cr.csv"), "--input-col", "context",
            "--label-col", "lfc", "--model", "gbm"]  # fmt: skip


@pytest.mark.parametrize("make", [_chem, _dna, _crispr], ids=["chem", "dna", "crispr"])
def test_a_training_run_is_the_same_bytes_in_another_process(tmp_path: Path, make):
    args = make(tmp_path)
    _helix([*args, "-o", str(tmp_path / "a"), "--quiet"], hash_seed="1")
    _helix([*args, "-o", str(tmp_path / "b"), "--quiet"], hash_seed="2")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert {"config.json", "versions.json", "metrics.json", "predictions.csv"} <= a.keys()
    differ = sorted(name for name in a if a[name] != b[name])
    assert differ == [], f"files that differ between two identical runs: {differ}"
    timing = load_json(tmp_path / "a" / TIMING_FILE)
    assert {"created", "train_seconds"} <= timing.keys()


def test_timings_merge_and_stay_out_of_versions_and_metrics(tmp_path: Path):
    run = RunDir(tmp_path / "run")
    run.save_versions()
    run.save_timing(train_seconds=1.23456, step="x")
    run.save_timing(predict_seconds=2.0)
    timing = load_json(run / TIMING_FILE)
    assert timing["train_seconds"] == 1.235 and timing["predict_seconds"] == 2.0
    assert "created" in timing and timing["step"] == "x"
    assert "created" not in load_json(run / "versions.json")
