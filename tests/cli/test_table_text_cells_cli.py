"""Text cells that CSV writers get wrong, end to end through `helix chem predict`: a carriage
return inside a value (text from old Mac / Excel files) must not split a row of the
predictions or of the errors table, and an unquoted CXSMILES whose extension holds commas is
an errors-table row that says to quote it — the other rows are still predicted."""

import pandas as pd
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.tables import read_table

runner = CliRunner()


def _train(tmp_path):
    smiles = [c + t for c in ["c1ccccc1", "C1CCCCC1", "c1ccncc1", "C1CCOC1"] for t in
              ["C", "CC", "O", "N", "Cl", "CO"]]  # fmt: skip
    data = tmp_path / "train.csv"
    pd.DataFrame({"smi": smiles, "y": [float(len(s)) for s in smiles]}).to_csv(data, index=False)
    run = tmp_path / "run"
    res = runner.invoke(
        app,
        ["chem", "train", str(data), "--input-col", "smi", "--label-col", "y", "--model", "gbm",
         "--split", "random", "--param", "n_estimators=10", "-o", str(run), "-q"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return run


def test_predictions_and_errors_keep_carriage_returns_and_name_an_unquoted_cxsmiles(tmp_path):
    run = _train(tmp_path)
    new = tmp_path / "new.csv"
    new.write_bytes(
        b'name,smi\n"aspirin\rlot 7",CCO\n'
        b"chiral,C[C@H](O)[C@@H](C)N |&1:1,3|\n"
        b'"bad\rname",oops((\n'
        b"plain,c1ccccc1C\n"
    )
    out = tmp_path / "pred.csv"
    res = runner.invoke(app, ["chem", "predict", str(run), str(new), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output

    pred = read_table(out)
    assert pred["name"].tolist() == ["aspirin\rlot 7", "plain"]  # no phantom row
    assert len(pd.read_csv(out)) == 2

    errors = read_table(tmp_path / "pred.errors.csv")
    assert len(errors) == len(pd.read_csv(tmp_path / "pred.errors.csv")) == 2
    cx = errors[errors["reason"].str.contains("CXSMILES")]
    # file line 4: the '\r' in line 2's quoted name ends a line, as an editor shows it
    assert cx["row"].tolist() == ["4"] and "quote the value" in cx["reason"].iloc[0]
