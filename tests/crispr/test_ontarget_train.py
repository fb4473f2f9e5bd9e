"""train-ontarget --param values are range-checked before any work (LightGBM or torch would
otherwise refuse them mid-run with a traceback)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.errors import ConfigError
from helixforge.crispr.ontarget_models import CNN_DEFAULTS, GBM_DEFAULTS
from helixforge.crispr.ontarget_train import check_param_ranges


@pytest.mark.parametrize(
    "defaults, key, value",
    [
        (GBM_DEFAULTS, "learning_rate", -1.0),
        (GBM_DEFAULTS, "learning_rate", 0.0),
        (GBM_DEFAULTS, "n_estimators", 0),
        (GBM_DEFAULTS, "num_leaves", 1),
        (GBM_DEFAULTS, "colsample_bytree", 1.5),
        (GBM_DEFAULTS, "subsample", 0.0),
        (GBM_DEFAULTS, "reg_lambda", -0.1),
        (CNN_DEFAULTS, "dropout", 2.0),
        (CNN_DEFAULTS, "lr", 0.0),
        (CNN_DEFAULTS, "batch_size", 0),
        (CNN_DEFAULTS, "epochs", -3),
    ],
)
def test_an_out_of_range_param_names_the_key_and_its_default(defaults, key, value):
    with pytest.raises(ConfigError) as exc:
        check_param_ranges({key: value}, defaults)
    assert f"--param {key}" in exc.value.message
    assert f"{key}={defaults[key]}" in exc.value.hint


def test_in_range_params_pass_and_every_default_is_in_range():
    assert check_param_ranges(dict(GBM_DEFAULTS), GBM_DEFAULTS) == GBM_DEFAULTS
    assert check_param_ranges(dict(CNN_DEFAULTS), CNN_DEFAULTS) == CNN_DEFAULTS
    assert check_param_ranges({"learning_rate": 1}, GBM_DEFAULTS) == {"learning_rate": 1.0}


def test_a_negative_learning_rate_is_exit_2_before_training(tmp_path):
    (tmp_path / "s.csv").write_text("context,lfc\n" + "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG,1\n" * 30)
    res = CliRunner().invoke(app, ["crispr", "train-ontarget", str(tmp_path / "s.csv"),
                                   "--label-col", "lfc", "--param", "learning_rate=-1",
                                   "-o", str(tmp_path / "run")])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "--param learning_rate" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "run").exists()
