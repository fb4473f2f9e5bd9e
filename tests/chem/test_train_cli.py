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


def _train(tmp_path, *extra: str, csv: str = "smiles,y\nCCO,1.0\nCCN,2.0\n"):
    data = tmp_path / "t.csv"
    data.write_text(csv)
    return runner.invoke(
        app,
        ["chem", "train", str(data), "--input-col", "smiles", "--label-col", "y"]
        + [*extra, "-o", str(tmp_path / "run")],
    )


def test_metric_is_refused_with_a_single_model_before_any_work(tmp_path):
    res = _train(tmp_path, "--model", "gbm", "--metric", "mae")
    assert res.exit_code != 0 and "--metric" in res.output and "auto" in res.output
    assert not (tmp_path / "run").exists()


def test_an_unknown_metric_is_refused_with_the_choices(tmp_path):
    res = _train(tmp_path, "--metric", "accuracy_at_k")
    assert res.exit_code != 0 and "accuracy_at_k" in res.output and "spearman" in res.output
    assert not (tmp_path / "run").exists()


def test_a_regression_metric_on_a_binary_label_is_refused_before_training(tmp_path):
    from tests.chem.conftest import tiny_table

    csv = tiny_table()[["smiles", "has_n"]].rename(columns={"has_n": "y"}).to_csv(index=False)
    res = _train(tmp_path, "--metric", "mae", csv=csv)
    assert res.exit_code != 0 and "mae" in res.output and "roc_auc" in res.output
    assert not (tmp_path / "run").exists()


def test_kill_9_during_dmpnn_training_then_resume_gives_the_uninterrupted_run(tmp_path):
    import numpy as np
    import pandas as pd
    from kill9 import kill_after_epoch

    rng = np.random.default_rng(0)
    rows = [f"C{'C' * (i % 7)}O{'N' * (i % 3)}c1ccccc1" + "C" * (i % 5) for i in range(60)]
    data = tmp_path / "t.csv"
    pd.DataFrame({"smiles": rows, "y": rng.normal(size=60)}).to_csv(data, index=False)
    args = ["chem", "train", str(data), "--label-col", "y", "--model", "dmpnn", "--split",
            "random", "--jobs", "1", "--device", "cpu", "-q"]  # fmt: skip
    args += [f"--param={p}" for p in ("epochs=4", "hidden=16", "ffn_hidden=16", "depth=2",
                                      "batch_size=16", "threads=1")]  # fmt: skip
    whole = runner.invoke(app, [*args, "-o", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    marker = tmp_path / "marker"
    kill_after_epoch([*args, "-o", str(tmp_path / "run")], marker, epochs=2)
    assert list((tmp_path / ".run.partial" / "checkpoints").glob("seed_*/last.pt"))
    changed = runner.invoke(app, [*args, "--seed", "1", "-o", str(tmp_path / "run"), "--resume"])
    assert changed.exit_code != 0 and "seed" in changed.output  # refused by name, nothing lost
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "run"), "--resume"])
    assert res.exit_code == 0, res.output
    a = pd.read_csv(tmp_path / "whole" / "predictions.csv")
    b = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert np.allclose(a["y_pred"], b["y_pred"], atol=1e-6)
    assert not (tmp_path / ".run.partial").exists()
    assert (
        "checkpoint_dir"
        not in (tmp_path / "run" / "model" / "member_0").joinpath("config.json").read_text()
    )


def test_a_run_refused_during_training_leaves_no_staging_folder(tmp_path):
    # 10 of 12 molecules are acyclic (one scaffold group): the scaffold split is refused
    acyclic = ["C" * n + "O" for n in range(1, 11)]
    csv = "smiles,y\n" + "".join(
        f"{s},{i}\n" for i, s in enumerate(acyclic + ["c1ccccc1", "C1CCCCC1"])
    )
    res = _train(tmp_path, "--model", "gbm", csv=csv)
    assert res.exit_code == 2, res.output
    assert not (tmp_path / ".run.partial").exists() and not (tmp_path / "run").exists()


def test_auto_interrupted_in_cross_validation_then_resume_writes_the_uninterrupted_run(
    tmp_path, monkeypatch
):
    """`helix chem train --model auto --resume` after a Ctrl-C in the fourth CV fit: the three
    finished fits are loaded, and every file but timings.json matches an uninterrupted run."""
    import filecmp

    import helixforge.chem.train as train
    from helixforge.chem.models.gbm import GBMModel
    from tests.chem.conftest import tiny_table

    monkeypatch.setattr(train, "model_candidates", lambda model: ["gbm", "gbm-fast"])
    data = tmp_path / "t.csv"
    tiny_table()[["smiles", "logp_like"]].to_csv(data, index=False)
    args = ["chem", "train", str(data), "--label-col", "logp_like", "--model", "auto", "-j", "1"]
    args += ["--param", "n_estimators=30", "--param", "early_stopping_rounds=10"]
    whole = runner.invoke(app, [*args, "-o", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    real, calls, stop_at = GBMModel.fit, [], [4]

    def fit(self, *a, **kw):
        calls.append(1)
        if len(calls) in stop_at:
            raise KeyboardInterrupt
        return real(self, *a, **kw)

    monkeypatch.setattr(GBMModel, "fit", fit)
    stopped = runner.invoke(app, [*args, "-o", str(tmp_path / "run")])
    assert stopped.exit_code == 130 and not (tmp_path / "run").exists()
    assert len(list((tmp_path / ".run.partial" / "checkpoints" / "auto_cv").iterdir())) == 3
    calls.clear()
    stop_at.clear()
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "run"), "--resume"])
    assert res.exit_code == 0, res.output
    assert len(calls) == 10 - 3 + 1  # the CV fits left, then the chosen model
    files = sorted(str(p.relative_to(tmp_path / "whole")) for p in (tmp_path / "whole").rglob("*"))
    for name in files:
        a, b = tmp_path / "whole" / name, tmp_path / "run" / name
        if a.is_file() and name != "timings.json":
            assert filecmp.cmp(a, b, shallow=False), name
    again = runner.invoke(app, [*args, "-o", str(tmp_path / "run"), "--resume"])
    assert again.exit_code != 0 and "finished" in again.output.lower()
