"""Same input + seed → same bytes, across processes (issue 9, class 1 "Not reproducible").

The ErG block used to differ between processes: RDKit caches a molecule's distance matrix (the
atom-pair generator sets it) and GetErGFingerprint copied that stale cache into its reduced
graph, reading wrong (partly out-of-bounds) distances. Every feature block now works on a
cache-free copy of the molecule (`fingerprints.pristine`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.featurize import FeatureSpec, featurize, featurize_mols
from helixforge.chem.fingerprints import (
    atom_pair_generator,
    counts_block,
    erg_block,
    mol_of,
    morgan_generator,
)

# Molecules whose ErG values changed with the calculations run before it (TDC caco2_wang rows),
# plus ordinary ones.
ERG_SENSITIVE = [
    "CCc1oc(O)c(Cc2c(O)c(CC=C(C)C)c(O)c(C(C)=O)c2O)c(=O)c1C",
    "C=CC1=C(C)/C(=C\\c2[nH]c(Cc3[nH]c(/C=C4/NC(=O)C(C)=C4C=C)c(C)c3CCC(=O)NCCS(=O)(=O)O)"
    "c(CCC(=O)NCCS(=O)(=O)O)c2C)NC1=O",
    "C/C=C/C/C=C/CCC(=O)[C@@H]1O[C@@H]1C(N)=O",
    "C[C@]12C[C@@H](O)[C@@H]3[C@@H](CCC4=CC(=O)CC[C@@]43C)[C@H]1CC[C@@]2(O)C(=O)CO",
    "CC(=O)Nc1ccc(O)cc1",
    "c1ccc2c(c1)[nH]c1ccccc12",
    "not a smiles",
]
FULL = FeatureSpec(morgan_bits=2048, fcfp_bits=1024, atom_pair_bits=1024, erg=True)
ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    return env


def test_erg_is_the_same_after_other_blocks_touched_the_molecule():
    fresh = erg_block([mol_of(s) for s in ERG_SENSITIVE])
    mols = [mol_of(s) for s in ERG_SENSITIVE]
    counts_block(mols, atom_pair_generator(1024), 1024)  # used to leave a distance-matrix cache
    np.testing.assert_array_equal(erg_block(mols), fresh)
    m = mols[0]
    from rdkit import Chem

    Chem.GetDistanceMatrix(m)  # any cached matrix on the caller's molecule is ignored
    np.testing.assert_array_equal(erg_block([m]), fresh[:1])


def test_featurize_mols_equals_each_block_on_a_freshly_parsed_molecule():
    X = featurize_mols([mol_of(s) for s in ERG_SENSITIVE], FULL)
    blocks = [
        counts_block([mol_of(s) for s in ERG_SENSITIVE], morgan_generator(2, 2048, False), 2048),
        counts_block([mol_of(s) for s in ERG_SENSITIVE], morgan_generator(2, 1024, True), 1024),
        counts_block([mol_of(s) for s in ERG_SENSITIVE], atom_pair_generator(1024), 1024),
        erg_block([mol_of(s) for s in ERG_SENSITIVE]),
    ]
    from helixforge.chem.descriptors import descriptors

    blocks.append(descriptors(ERG_SENSITIVE))
    np.testing.assert_array_equal(X, np.concatenate(blocks, axis=1))
    # and the block order does not matter: ErG alone = ErG after everything else
    alone = featurize(ERG_SENSITIVE, FeatureSpec(morgan_bits=0, erg=True, descriptors="none"))
    names = FULL.names()
    erg_cols = [i for i, n in enumerate(names) if n.startswith("erg_")]
    np.testing.assert_array_equal(X[:, erg_cols], alone)


_HASH_SCRIPT = """
import hashlib, json, sys
from helixforge.chem.featurize import FeatureSpec, featurize
smiles = json.loads(sys.argv[1])
spec = FeatureSpec(morgan_bits=2048, fcfp_bits=1024, atom_pair_bits=1024, erg=True)
X = featurize(smiles, spec, n_jobs=int(sys.argv[2]), chunk_size=8)
print(hashlib.sha256(X.tobytes()).hexdigest())
"""


def test_features_are_identical_bytes_across_processes_and_hash_seeds(make_table):
    smiles = ERG_SENSITIVE + make_table()["smiles"].tolist()[:40]
    digests = set()
    for hash_seed, jobs in (("1", "1"), ("2", "1"), ("3", "2")):
        out = subprocess.run(
            [sys.executable, "-c", _HASH_SCRIPT, json.dumps(smiles), jobs],
            capture_output=True,
            text=True,
            env=_env(PYTHONHASHSEED=hash_seed),
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    local = hashlib.sha256(featurize(smiles, FULL).tobytes()).hexdigest()
    assert digests == {local}


def _train(tmp: Path, data: Path, model: str, name: str, hash_seed: str) -> Path:
    out = tmp / name
    cmd = [sys.executable, "-m", "helixforge.cli.app", "chem", "train", str(data)]
    cmd += ["--smiles-col", "smiles", "--target", "logp_like", "--model", model, "--seed", "3"]
    cmd += ["--param", "n_estimators=60", "--param", "early_stopping_rounds=20"]
    # small MiniMol heads: auto still cross-validates every candidate and the blend, at half the cost
    cmd += ["--param", "members=1", "--param", "epochs=2", "--param", "hidden=8"]
    cmd += ["--split", "random", "--quiet", "--out", str(out)]
    res = subprocess.run(
        cmd, capture_output=True, text=True, env=_env(PYTHONHASHSEED=hash_seed), timeout=300
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return out


@pytest.fixture(scope="module")
def train_data(tmp_path_factory, make_table) -> Path:
    data = tmp_path_factory.mktemp("det") / "tiny.csv"
    df = make_table(0)
    # the ErG-sensitive molecules go in too (with labels), so the old bug would show here
    extra = [s for s in ERG_SENSITIVE if mol_of(s) is not None]
    df = df.iloc[: 64 - len(extra)][["smiles", "logp_like"]]
    extra_rows = pd.DataFrame({"smiles": extra, "logp_like": np.arange(len(extra), dtype=float)})
    pd.concat([df, extra_rows], ignore_index=True).to_csv(data, index=False)
    return data


def _two_runs(tmp_path_factory, data: Path, model: str) -> tuple[Path, Path]:
    """The same training in two processes with different hash seeds."""
    tmp = tmp_path_factory.mktemp(model)
    return _train(tmp, data, model, "a", "11"), _train(tmp, data, model, "b", "22")


def _bytes(run: Path, name: str) -> bytes:
    return (run / name).read_bytes()


# A gbm training in two processes, every file compared (ErG-sensitive molecules included):
# tests/cli/test_same_bytes.py.


def test_two_auto_trainings_in_two_processes_give_identical_predictions(
    tmp_path_factory, train_data
):
    # auto scores gbm, the MiniMol heads and their blend in CV; every step must repeat exactly
    a, b = _two_runs(tmp_path_factory, train_data, "auto")
    assert (
        json.loads(_bytes(a, "config.json"))["model"]
        == json.loads(_bytes(b, "config.json"))["model"]
    )
    assert _bytes(a, "predictions.csv") == _bytes(b, "predictions.csv")
    assert _bytes(a, "metrics.json") == _bytes(b, "metrics.json") or _same_metrics(a, b)


def test_auto_that_picks_gbm_trains_the_same_gbm_as_a_plain_gbm_run(
    train_data, tmp_path, monkeypatch
):
    """Without the pretrained extra auto has one candidate, gbm; it must then train exactly
    the model `--model gbm` trains (same features, parameters, seed and split)."""
    import helixforge.chem.models as chem_models
    from helixforge.chem.train import train_property_model

    monkeypatch.setattr(chem_models, "minimol_available", lambda: False)
    kw = dict(split="random", seed=3, model_params={"n_estimators": 60}, report=False)
    auto = train_property_model(
        train_data, "smiles", ["logp_like"], model="auto", out=tmp_path / "auto", **kw
    )
    gbm = train_property_model(
        train_data, "smiles", ["logp_like"], model="gbm", out=tmp_path / "gbm", **kw
    )
    a, g = auto.run_dir, gbm.run_dir
    assert json.loads(_bytes(a, "config.json"))["model"] == "gbm"
    assert _bytes(a, "model/member_0/task_0.txt") == _bytes(g, "model/member_0/task_0.txt")
    assert _bytes(a, "predictions.csv") == _bytes(g, "predictions.csv")


def _same_metrics(a: Path, b: Path) -> bool:
    """metrics.json may hold timings; everything else must match."""
    ma, mb = (json.loads((r / "metrics.json").read_text()) for r in (a, b))
    drop = lambda m: {k: v for k, v in m.items() if "time" not in k and "second" not in k}  # noqa: E731
    return drop(ma) == drop(mb)


def test_the_gbm_does_not_depend_on_the_thread_count(make_table):
    """LightGBM runs with deterministic=True and column-wise histograms: each feature's
    histogram is summed by one thread in row order, so --jobs changes speed, not the model."""
    from helixforge.chem.models.gbm import GBMModel

    df = make_table()
    spec = FeatureSpec(morgan_bits=256, erg=True, descriptors="lite")
    y = df[["logp_like"]].to_numpy()
    preds = []
    for threads in (1, 2):
        m = GBMModel(features=spec, n_estimators=80, num_threads=threads)
        m.fit(df["smiles"][:100], y[:100], ["regression"], valid=(df["smiles"][100:], y[100:]))
        preds.append(m.predict(df["smiles"]).tobytes())
    assert preds[0] == preds[1]
