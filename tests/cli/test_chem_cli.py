import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()


def _table(tmp_path):
    from rdkit import Chem
    from rdkit.Chem import Crippen

    cores = [
        "c1ccccc1",
        "C1CCCCC1",
        "c1ccncc1",
        "C1CCNCC1",
        "c1ccsc1",
        "C1CCOC1",
        "C1CCCC1",
        "c1ccoc1",
    ]
    tails = ["C", "CC", "CCC", "O", "CO", "N", "Cl", "C(=O)O"]
    smiles = [c + t for c in cores for t in tails]
    y = [Crippen.MolLogP(Chem.MolFromSmiles(s)) for s in smiles]
    path = tmp_path / "mols.csv"
    pd.DataFrame({"name": [f"m{i}" for i in range(len(smiles))], "smi": smiles, "logp": y}).to_csv(
        path, index=False
    )
    return path


FAST = [
    "--param",
    "n_estimators=20",
    "--param",
    "early_stopping_rounds=5",
    "--model",
    "gbm",
    "--quiet",
]


def test_train_predict_evaluate_standardize(tmp_path):
    data = _table(tmp_path)
    run = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "chem",
            "train",
            str(data),
            "--smiles-col",
            "smi",
            "--target",
            "logp",
            "--split",
            "random",
            "--out",
            str(run),
            *FAST,
        ],
    )
    assert res.exit_code == 0, res.output
    assert "report:" in res.output and (run / "report.html").exists()
    assert json.loads((run / "config.json").read_text())["model_params"]["n_estimators"] == 20

    new = tmp_path / "new.csv"
    pd.DataFrame({"smi": ["CCO", "c1ccccc1CCCC", "oops(("]}).to_csv(new, index=False)
    res = runner.invoke(
        app, ["chem", "predict", str(run), str(new), "--out", str(tmp_path / "p.csv"), "--quiet"]
    )
    assert res.exit_code == 0, res.output
    assert "2 of 3 rows predicted" in res.output
    pred = pd.read_csv(tmp_path / "p.csv")
    assert np.isfinite(pred["logp_pred"]).all() and "in_domain" in pred

    res = runner.invoke(app, ["chem", "evaluate", str(run), str(data)])
    assert res.exit_code == 0, res.output
    assert "rmse" in res.output and (run / "evaluations" / "mols" / "report.html").exists()

    res = runner.invoke(
        app,
        ["chem", "standardize", str(new), "--smiles-col", "smi", "--out", str(tmp_path / "s.csv")],
    )
    assert res.exit_code == 0 and "2 of 3 rows standardized" in res.output
    assert (tmp_path / "s.errors.csv").exists()


def test_bad_input_exits_2_with_a_message_not_a_traceback(tmp_path):
    data = _table(tmp_path)
    res = runner.invoke(
        app,
        [
            "chem",
            "train",
            str(data),
            "--smiles-col",
            "smiles",
            "--target",
            "logp",
            "--out",
            str(tmp_path / "r"),
            *FAST,
        ],
    )
    assert res.exit_code == 2
    assert "'smiles'" in res.output and "'smi'" in res.output  # missing and existing columns named
    assert "Traceback" not in res.output
    res = runner.invoke(
        app,
        ["chem", "predict", str(tmp_path / "nope"), str(data), "--out", str(tmp_path / "x.csv")],
    )
    assert res.exit_code == 2 and "run directory not found" in res.output
    res = runner.invoke(
        app,
        [
            "chem",
            "train",
            str(data),
            "--smiles-col",
            "smi",
            "--target",
            "logp",
            "--param",
            "oops",
            *FAST,
        ],
    )
    assert res.exit_code == 2 and "KEY=VALUE" in res.output


def test_salts_reject_goes_from_train_to_predict(tmp_path):
    """--salts reject turns inputs made only of counter-ions into row errors, in training and,
    because the run remembers it, in prediction too."""
    data = _table(tmp_path)
    df = pd.read_csv(data)
    df.loc[len(df)] = ["salt", "[Na+].[Cl-]", 0.5]
    df.to_csv(data, index=False)
    run = tmp_path / "run"
    res = runner.invoke(
        app,
        ["chem", "train", str(data), "--input-col", "smi", "--label-col", "logp", "--model",
         "gbm", "--split", "random", "--salts", "reject", "-o", str(run), "-q"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    errors = pd.read_csv(run / "errors.csv")
    assert errors["reason"].str.contains("counter-ion").any()
    assert json.loads((run / "config.json").read_text())["salts"] == "reject"
    new = tmp_path / "new.csv"
    pd.DataFrame({"smi": ["CCO", "[Na+].[Cl-]"]}).to_csv(new, index=False)
    out = tmp_path / "pred.csv"
    res = runner.invoke(app, ["chem", "predict", str(run), str(new), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == 1
    assert len(pd.read_csv(tmp_path / "pred.errors.csv")) == 1
    res = runner.invoke(app, ["chem", "standardize", str(new), "--input-col", "smi",
                              "--salts", "nope", "-o", str(tmp_path / "s.csv")])  # fmt: skip
    assert res.exit_code == 2 and "--salts" in res.output


def test_a_blend_with_an_empty_weight_is_refused_before_any_work(tmp_path):
    path = _table(tmp_path)
    out = tmp_path / "run"
    argv = ["chem", "train", str(path), "--input-col", "smi", "--label-col", "logp"]
    argv += ["--model", "blend:gbm+gbm-fast@", "-o", str(out)]
    res = runner.invoke(app, argv, env={"COLUMNS": "300"})
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "the weight after '@' is empty" in text and "blend:MODEL_A+MODEL_B@WEIGHT_OF_A" in text
    assert not out.exists()


def test_train_and_evaluate_say_how_many_rows_went_to_the_errors_table(tmp_path):
    """predict and standardize said 'N rows rejected → …'; train and evaluate (with --quiet,
    the way scripts run them) said nothing, so a run on half the table looked like a full one."""
    data = _table(tmp_path)
    df = pd.read_csv(data)
    df.loc[[3, 7], "smi"] = "not-a-smiles(("
    df["logp"] = df["logp"].astype(object)
    df.loc[11, "logp"] = ">5"
    df.to_csv(data, index=False)
    run = tmp_path / "run"
    res = runner.invoke(
        app,
        ["chem", "train", str(data), "--smiles-col", "smi", "--target", "logp", "-o", str(run)]
        + FAST,
    )
    assert res.exit_code == 0, res.output
    assert f"3 rows rejected → {run}/errors.csv" in res.output
    res = runner.invoke(app, ["chem", "evaluate", str(run), str(data), "-o", str(tmp_path / "e")])
    assert res.exit_code == 0, res.output
    assert "3 rows not scored (rejected, or a label not used)" in res.output
