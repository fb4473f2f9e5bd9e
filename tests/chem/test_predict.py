"""chem.predict: inputs whose SMILES column is fixed by the file format."""

from __future__ import annotations

import pandas as pd
import pytest

from helixforge.chem.predict import predict_property
from helixforge.chem.train import train_property_model


@pytest.fixture(scope="module")
def run_on_mol_column(tmp_path_factory, make_table, fast_gbm):
    """A GBM run trained on a table whose SMILES column is called 'mol' (as in BACE)."""
    d = tmp_path_factory.mktemp("predict")
    make_table().rename(columns={"smiles": "mol"}).to_csv(d / "t.csv", index=False)
    train_property_model(
        d / "t.csv", "mol", ["logp_like"], model="gbm", model_params=fast_gbm,
        split="random", out=d / "run", report=False,
    )  # fmt: skip
    return d / "run"


def test_a_smi_file_is_read_as_its_smiles_column_whatever_training_called_it(
    run_on_mol_column, tmp_path, smiles_list
):
    """A .smi file has no header: its first field is the SMILES, never the training column
    ('mol'); it was refused with "column 'mol' not found. Columns present: 'smiles', 'name'"."""
    lines = [f"{s} m{i}" for i, s in enumerate(smiles_list[:12])] + ["not((smiles bad1"]
    (tmp_path / "lib.smi").write_text("\n".join(lines) + "\n")
    res = predict_property(run_on_mol_column, tmp_path / "lib.smi", tmp_path / "p.csv")
    out = pd.read_csv(tmp_path / "p.csv")
    errors = pd.read_csv(tmp_path / "p.errors.csv")
    assert res["rows"] == 13 and len(out) == 12 and errors["row"].tolist() == [13]
    assert out["name"].tolist() == [f"m{i}" for i in range(12)]
    assert out["logp_like_pred"].notna().all() and out["logp_like_pred"].nunique() > 1


def test_a_smi_file_with_an_explicit_column_that_it_lacks_is_refused(run_on_mol_column, tmp_path):
    from helixforge.core.errors import HelixError

    (tmp_path / "lib.smi").write_text("CCO a\nc1ccccc1 b\n")
    with pytest.raises(HelixError, match="'mol'"):
        predict_property(run_on_mol_column, tmp_path / "lib.smi", tmp_path / "p.csv",
                         smiles_col="mol")  # fmt: skip


def test_predict_smiles_in_a_notebook_matches_chem_predict_and_marks_bad_smiles(
    run_on_mol_column, tmp_path
):
    """Predictor.predict_smiles scored 'xx((' and None as molecules without features (a
    number, no warning) and a salt with its counter-ion's bits; `chem predict` strips the salt
    and rejects the others."""
    from helixforge.chem.predict import Predictor

    smiles = ["CC(=O)Oc1ccccc1C(=O)O", "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]", "xx((", None]
    out = Predictor(run_on_mol_column).predict_smiles(smiles)
    assert len(out) == 4 and out["canonical_smiles"].iloc[1] == "CC(=O)Oc1ccccc1C(=O)O"
    assert out["logp_like_pred"].iloc[0] == out["logp_like_pred"].iloc[1]
    assert out["logp_like_pred"].iloc[2:].isna().all()
    assert out["error"].iloc[2].startswith("not a valid SMILES") and out["error"].iloc[3]
    pd.DataFrame({"mol": smiles[:2]}).to_csv(tmp_path / "new.csv", index=False)
    predict_property(run_on_mol_column, tmp_path / "new.csv", tmp_path / "p.csv")
    cli = pd.read_csv(tmp_path / "p.csv")["logp_like_pred"].tolist()
    assert cli == pytest.approx(out["logp_like_pred"].iloc[:2].tolist())
