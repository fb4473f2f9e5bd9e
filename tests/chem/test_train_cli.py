"""`helix chem train --model/--param`: the help lists every model, and a --param that no
model `auto` may choose accepts is refused before any work."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from helixforge.chem.models import MODEL_NAMES
from helixforge.cli.app import app

runner = CliRunner()


def test_model_help_lists_every_model():
    res = runner.invoke(app, ["chem", "train", "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0
    text = re.sub(r"\s+", " ", res.output)
    for name in ("auto", *MODEL_NAMES):
        assert f" {name} " in text or f" {name}." in text, name
    for name in ("minimol-mlp", "minimol-gbm", "blend:A+B@W"):
        assert name in MODEL_NAMES


def test_auto_with_a_param_no_candidate_accepts_fails_fast(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("smiles,y\nCCO,1.0\nCCN,2.0\n")
    res = runner.invoke(
        app,
        ["chem", "train", str(data), "--input-col", "smiles", "--label-col", "y"]
        + ["--model", "auto", "--param", "not_a_param=3", "-o", str(tmp_path / "run")],
    )
    assert res.exit_code != 0
    assert "not_a_param" in res.output and "auto" in res.output
    assert not (tmp_path / "run").exists()
