import json

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.evaluate import evaluate_property
from helixforge.chem.predict import predict_property
from helixforge.chem.selection import select_model
from helixforge.chem.train import train_property_model
from helixforge.core.supervised import detect_task


def test_detect_task():
    assert detect_task(np.array([0, 1, 1, np.nan])) == "binary"
    assert detect_task(np.array([0, 1, 2] * 10, dtype=float)) == "multiclass"
    assert detect_task(np.array([0.5, 1.2, 3.3])) == "regression"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, make_table, fast_gbm):
    tmp = tmp_path_factory.mktemp("prop")
    data = tmp / "tiny.csv"
    make_table().to_csv(data, index=False)
    run = train_property_model(
        data,
        "smiles",
        ["logp_like", "tox"],
        model="gbm",
        model_params=fast_gbm,
        ensemble=2,
        out=tmp / "run",
        seed=0,
    )
    return run, data, tmp


def test_run_directory_has_every_artifact(trained):
    run, _, _ = trained
    names = {p.name for p in run.run_dir.iterdir()}
    assert {
        "config.json",
        "versions.json",
        "metrics.json",
        "predictions.csv",
        "errors.csv",
        "conflicts.csv",
        "card.md",
        "report.html",
        "conformal.json",
        "ad.json",
        "ad_train_bits.npy",
        "model",
    } <= names
    model_files = sorted(p.name for p in (run.run_dir / "model").iterdir())
    assert model_files == ["manifest.json", "member_0", "member_1"]
    config = json.loads((run.run_dir / "config.json").read_text())
    assert config["task_types"] == ["regression", "binary"] and config["model"] == "gbm"
    assert "data" in json.loads((run.run_dir / "versions.json").read_text())
    html = (run.run_dir / "report.html").read_text()
    assert "Parity" in html and "ROC" in html and "ad_similarity" in html


def test_metrics_and_predictions_follow_the_split(trained):
    run, _, _ = trained
    m = run.metrics
    assert set(m["test"]) >= {"logp_like", "tox"}
    assert m["test"]["logp_like"]["n"] == run.config["split_sizes"]["test"]
    assert np.isfinite(m["test"]["logp_like"]["rmse"])
    preds = pd.read_csv(run.run_dir / "predictions.csv")
    assert len(preds) == 128 and set(preds["split"]) == {"train", "valid", "test"}
    assert {
        "logp_like_pred",
        "logp_like_std",
        "logp_like_lower",
        "logp_like_upper",
        "tox_prob",
        "tox_set",
        "ad_similarity",
        "in_domain",
        "id",
    } <= set(preds.columns)
    assert (preds["logp_like_std"] > 0).any()  # two members disagree somewhere
    assert (preds["logp_like_lower"] <= preds["logp_like_pred"]).all()


def test_predict_streams_chunks_and_resumes(trained, tmp_path):
    run, _, _ = trained
    df = pd.DataFrame(
        {
            "name": ["a", "b", "c", "d", "e"],
            "smiles": ["CCO", "bad((", "c1ccccc1C", "CC[O-].[Na+]", "CCCN"],
        }
    )
    path = tmp_path / "new.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "pred.csv"
    summary = predict_property(run.run_dir, path, out, chunk_size=2)
    assert summary["predicted"] == 4 and summary["errors"] == 1 and summary["rows"] == 5
    res = pd.read_csv(out)
    assert res["name"].tolist() == ["a", "c", "d", "e"]  # identifiers kept, bad row dropped
    assert res.loc[res["name"] == "d", "canonical_smiles"].item() == "CCO"
    errors = pd.read_csv(tmp_path / "pred.errors.csv")
    assert errors["row"].tolist() == [3]
    assert not (tmp_path / ".pred.csv.partial").exists()


def test_predict_reads_an_sd_file_record_by_record_as_screen_does(trained, tmp_path):
    """`chem predict RUN lib.sdf` was refused ('an SD file is not read as a table')."""
    from rdkit import Chem

    from helixforge.core.errors import ConfigError

    run, _, _ = trained
    blocks = []
    for name, smi in [("ethanol", "CCO"), ("toluene", "c1ccccc1C"), ("propylamine", "CCCN")]:
        m = Chem.MolFromSmiles(smi)
        m.SetProp("_Name", name)
        blocks.append(Chem.MolToMolBlock(m) + "$$$$\n")
    blocks.insert(1, "broken\n  record\n\nM  END\n$$$$\n")  # record 2: RDKit cannot read it
    path = tmp_path / "lib.sdf"
    path.write_text("".join(blocks))
    out = tmp_path / "pred.csv"
    summary = predict_property(run.run_dir, path, out, chunk_size=2)
    assert (summary["rows"], summary["predicted"], summary["errors"]) == (4, 3, 1)
    res = pd.read_csv(out)
    assert res["name"].tolist() == ["ethanol", "toluene", "propylamine"]
    assert res["logp_like_pred"].notna().all()
    assert pd.read_csv(tmp_path / "pred.errors.csv")["row"].tolist() == [2]  # record number
    with pytest.raises(ConfigError, match="an SD file has no columns"):
        predict_property(run.run_dir, path, tmp_path / "p2.csv", smiles_col="Drug")


def test_predict_resume_skips_finished_chunks_and_refuses_other_inputs(trained, tmp_path):
    run, _, _ = trained
    from helixforge.core.artifacts import save_json
    from helixforge.core.errors import ConfigError

    path = tmp_path / "new.csv"
    pd.DataFrame({"smiles": ["CCO", "CCN", "CCC", "CCCl"]}).to_csv(path, index=False)
    out = tmp_path / "pred.csv"
    predict_property(run.run_dir, path, out, chunk_size=2)
    first = pd.read_csv(out)
    out.unlink()
    # simulate a crash after chunk 0: keep only its part in the staging folder
    stage = tmp_path / ".pred.csv.partial"
    predict_property(run.run_dir, path, tmp_path / "other.csv", chunk_size=2)  # key source
    from helixforge.chem.predict import Predictor
    from helixforge.core.artifacts import sha256_file

    key = {
        "input": sha256_file(path),
        "model": Predictor(run.run_dir).model_key(),
        "input_col": "smiles",
        "chunk_size": 2,
        "tautomer": False,
        "salts": "keep",
    }
    stage.mkdir()
    marker = first.iloc[:2].copy()
    marker["logp_like_pred"] = 123.0  # a finished chunk must be reused, not recomputed
    marker.to_parquet(stage / "chunk-000000.parquet", index=False)
    pd.DataFrame(columns=["file", "row", "column", "value", "reason"]).to_csv(
        stage / "errors-000000.csv", index=False
    )
    from helixforge.core.checkpoints import versioned_key

    save_json({"key": versioned_key(key), "done": [0]}, stage / "state.json")
    with pytest.raises(ConfigError, match="chunk_size"):
        predict_property(run.run_dir, path, out, chunk_size=3, resume=True)
    assert not out.exists()
    predict_property(run.run_dir, path, out, chunk_size=2, resume=True)
    again = pd.read_csv(out)
    assert again["logp_like_pred"].tolist()[:2] == [123.0, 123.0]
    np.testing.assert_allclose(again["logp_like_pred"][2:], first["logp_like_pred"][2:])
    assert not stage.exists()


def test_evaluate_scores_a_new_table(trained, tmp_path):
    run, data, _ = trained
    res = evaluate_property(run.run_dir, data, out=tmp_path / "ev")
    assert res["n_molecules"] == 128
    assert res["metrics"]["logp_like"]["r2"] > 0.5
    # the table is the training file: the overlap is reported and held-out-only metrics given
    assert 0 < res["n_seen_in_training"] < 128
    assert res["metrics_unseen"]["logp_like"]["n"] == 128 - res["n_seen_in_training"]
    assert any("were in the model's training" in n for n in res["notes"])
    assert (tmp_path / "ev" / "report.html").exists() and (
        tmp_path / "ev" / "metrics.json"
    ).exists()


def test_evaluate_matches_classes_however_the_file_spells_them(trained, tmp_path):
    # trained on 0/1; an R export (TRUE/FALSE) or a parquet bool column scored nothing (n = 0,
    # no error): their labels were looked up verbatim among the classes 0.0 and 1.0
    run, data, _ = trained
    df = pd.read_csv(data)
    base = evaluate_property(run.run_dir, data, out=tmp_path / "ev0")["metrics"]["tox"]
    spelled = {1.0: "TRUE", 0.0: "FALSE"}
    df.assign(tox=df["tox"].map(spelled)).to_csv(tmp_path / "r.csv", index=False)
    df.dropna(subset=["tox"]).assign(tox=lambda d: d["tox"].astype(bool)).to_parquet(
        tmp_path / "b.parquet", index=False
    )
    r = evaluate_property(run.run_dir, tmp_path / "r.csv", out=tmp_path / "ev1")
    assert r["metrics"]["tox"] == base and r["n_rejected_rows"] == 0
    b = evaluate_property(run.run_dir, tmp_path / "b.parquet", out=tmp_path / "ev2")
    assert b["metrics"]["tox"]["n"] == base["n"] > 0
    # Yes/No name the classes 1/0 as TRUE/FALSE do
    df.assign(tox=df["tox"].map({1.0: "Yes", 0.0: "no"})).to_csv(tmp_path / "y.csv", index=False)
    y = evaluate_property(run.run_dir, tmp_path / "y.csv", out=tmp_path / "ev4")
    assert y["metrics"]["tox"] == base and y["n_rejected_rows"] == 0
    # a label that is no class of the model is a row error, not a silent gap
    df.assign(tox=df["tox"].map({1.0: "high", 0.0: "low"})).to_csv(tmp_path / "w.csv", index=False)
    w = evaluate_property(run.run_dir, tmp_path / "w.csv", out=tmp_path / "ev3")
    assert w["n_rejected_rows"] == base["n"]
    errors = pd.read_csv(tmp_path / "ev3" / "errors.csv")
    assert set(errors["column"]) == {"tox"} and errors["reason"].str.contains("not a class").all()


def test_evaluate_a_binary_model_on_a_table_with_a_third_label_scores_the_rest(trained, tmp_path):
    """One row labelled 2 for a 0/1 model refused the whole table ('declared binary but has 3
    distinct labels'), though a text label no class of the model is an errors-table row."""
    run, data, _ = trained
    df = pd.read_csv(data)
    base = evaluate_property(run.run_dir, data, out=tmp_path / "ev0")["metrics"]["tox"]
    row = int(df.index[df["tox"].notna()][0])
    df.loc[row, "tox"] = 2
    df.to_csv(tmp_path / "three.csv", index=False)
    res = evaluate_property(run.run_dir, tmp_path / "three.csv", out=tmp_path / "ev")
    assert res["metrics"]["tox"]["n"] == base["n"] - 1 and res["n_rejected_rows"] == 1
    errors = pd.read_csv(tmp_path / "ev" / "errors.csv")
    assert errors["row"].tolist() == [row + 2] and "not a class" in errors["reason"][0]


def test_predefined_split_column_and_multiclass(tmp_path, make_table, fast_gbm):
    df = make_table()
    df["cls"] = (
        np.digitize(df["logp_like"], np.quantile(df["logp_like"], [1 / 3, 2 / 3])) * 10
    )  # labels 0/10/20
    df["part"] = ["test" if i % 5 == 0 else "train" for i in range(len(df))]
    path = tmp_path / "mc.csv"
    df.to_csv(path, index=False)
    run = train_property_model(
        path,
        "smiles",
        ["cls"],
        split_col="part",
        model="gbm",
        model_params=fast_gbm,
        out=tmp_path / "r",
    )
    assert run.config["task_types"] == ["multiclass"] and run.config["classes"]["cls"] == [
        0.0,
        10.0,
        20.0,
    ]
    sizes = run.config["split_sizes"]
    assert sizes["test"] == 26 and sizes["valid"] > 0  # valid carved out of the train part
    preds = pd.read_csv(run.run_dir / "predictions.csv")
    assert set(preds["cls_pred"]) <= {0, 10, 20} and "cls_prob_10" in preds
    assert "coverage" in run.metrics["test"]["cls"] and "set_size" in run.metrics["test"]["cls"]


def test_select_model_with_one_candidate_needs_no_cv():
    assert select_model(["CCO"], np.zeros((1, 1)), ["regression"], candidates=["gbm"]) == (
        "gbm",
        {},
    )


def test_select_model_cross_validates_candidates(make_table, fast_gbm):
    df = make_table()
    y = df[["logp_like"]].to_numpy()
    best, scores = select_model(
        df["smiles"],
        y,
        ["regression"],
        candidates=["gbm", "gbm"],
        folds=2,
        params={"gbm": fast_gbm},
    )
    assert best == "gbm" and np.isfinite(scores["gbm"])


def test_retraining_into_the_same_folder_replaces_every_ensemble_member(
    make_table, fast_gbm, tmp_path
):
    data = tmp_path / "tiny.csv"
    make_table().to_csv(data, index=False)
    kw = dict(model="gbm", model_params=fast_gbm, out=tmp_path / "run", seed=0, overwrite=True)
    train_property_model(data, "smiles", ["logp_like"], ensemble=3, **kw)
    train_property_model(data, "smiles", ["logp_like"], ensemble=1, **kw)
    members = sorted(p.name for p in (tmp_path / "run" / "model").glob("member_*"))
    assert members == ["member_0"]


def test_gbm_fast_trains_reloads_and_predicts_the_same_whole_or_in_chunks(
    tmp_path, make_table, fast_gbm
):
    data = tmp_path / "tiny.csv"
    make_table().to_csv(data, index=False)
    run = train_property_model(
        data, "smiles", ["logp_like"], model="gbm-fast", model_params=fast_gbm, out=tmp_path / "r"
    )
    saved = json.loads((run.run_dir / "model" / "member_0" / "gbm.json").read_text())
    assert saved["features"]["descriptors"] == "lite" and saved["features"]["fcfp_bits"] == 0
    library = pd.DataFrame({"smiles": make_table()["smiles"].tolist() * 3 + ["not((a smiles"]})
    library.to_csv(tmp_path / "lib.csv", index=False)
    one = predict_property(run.run_dir, tmp_path / "lib.csv", tmp_path / "p1.csv", n_jobs=1)
    assert one["rows"] == len(library) == one["predicted"] + one["errors"]
    two = predict_property(
        run.run_dir, tmp_path / "lib.csv", tmp_path / "p2.csv", n_jobs=2, chunk_size=50
    )
    assert one["errors"] == two["errors"] == 1
    p1, p2 = pd.read_csv(tmp_path / "p1.csv"), pd.read_csv(tmp_path / "p2.csv")
    pd.testing.assert_frame_equal(p1, p2)
    assert p1["logp_like_pred"].notna().all() and "in_domain" in p1


def test_valid_metrics_and_calibration_stay_held_out_when_the_gbm_refits(tmp_path, make_table):
    data = tmp_path / "tiny.csv"
    make_table().to_csv(data, index=False)
    params = {"n_estimators": 60, "early_stopping_rounds": 10, "learning_rate": 0.1}
    runs = {
        refit: train_property_model(
            data,
            "smiles",
            ["logp_like"],
            model="gbm",
            model_params={**params, "refit": refit},
            out=tmp_path / f"refit_{refit}",
            report=False,
        )
        for refit in (False, True)
    }
    preds = {k: pd.read_csv(r.run_dir / "predictions.csv") for k, r in runs.items()}
    valid = preds[True]["split"] == "valid"
    test = preds[True]["split"] == "test"
    # valid rows: the early-stopped model's predictions in both runs; test rows: the refit model
    np.testing.assert_allclose(
        preds[True].loc[valid, "logp_like_pred"], preds[False].loc[valid, "logp_like_pred"]
    )
    assert not np.allclose(
        preds[True].loc[test, "logp_like_pred"], preds[False].loc[test, "logp_like_pred"]
    )
    assert runs[True].metrics["valid"] == runs[False].metrics["valid"]
    assert any("refit" in n for n in runs[True].metrics["notes"])


def test_kill_9_after_the_first_chunk_then_resume_gives_the_uninterrupted_bytes(trained, tmp_path):
    from kill9 import kill_after_first_chunk
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    run, _, _ = trained
    lib = tmp_path / "lib.csv"
    smiles = ["CCO", "CCN", "c1ccccc1", "CC(=O)O", "bad((", "CCCl", "c1ccncc1", "CCOC", "CCS"]
    pd.DataFrame({"smiles": smiles, "id": range(len(smiles))}).to_csv(lib, index=False)

    def args(out):
        return ["chem", "predict", str(run.run_dir), str(lib), "-o", str(out), "--chunk-size",
                "2", "--jobs", "1", "-q"]  # fmt: skip

    out = tmp_path / "killed.csv"
    kill_after_first_chunk(args(out), tmp_path / "marker")
    stage = tmp_path / ".killed.csv.partial"
    assert not out.exists() and (stage / "chunk-000000.parquet").exists()
    runner = CliRunner()
    res = runner.invoke(app, [*args(out)[:-4], "3", "--jobs", "1", "--resume", "-q"])
    assert res.exit_code == 2 and "chunk_size" in res.output and not out.exists()
    res = runner.invoke(app, [*args(out), "--resume"])
    assert res.exit_code == 0, res.output
    fresh = tmp_path / "fresh.csv"
    assert runner.invoke(app, args(fresh)).exit_code == 0
    assert out.read_bytes() == fresh.read_bytes()
    assert (tmp_path / "killed.errors.csv").read_bytes() == (
        tmp_path / "fresh.errors.csv"
    ).read_bytes()
    assert not stage.exists()


def test_evaluate_default_folders_of_two_files_never_collide(trained, tmp_path):
    """The default out was RUN/evaluations/<name up to its first dot>: 'batch.1.csv' and
    'batch.2.csv' shared one folder, and '.hidden.csv' named evaluations/ itself, so with
    --overwrite one evaluation deleted the others."""
    import shutil

    run, data, _ = trained
    copy = tmp_path / "run"
    shutil.copytree(run.run_dir, copy)
    for name in ("batch.1.csv", "batch.2.csv", ".hidden.csv"):
        shutil.copy(data, tmp_path / name)
        evaluate_property(copy, tmp_path / name, overwrite=True)
    folders = sorted(p.name for p in (copy / "evaluations").iterdir())
    assert folders == ["batch.1", "batch.2", "hidden"]
