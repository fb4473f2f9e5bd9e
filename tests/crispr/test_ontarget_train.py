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


def _screen(tmp_path, n=60, **columns):
    """A screen table of `n` valid random 30-mer contexts plus `columns` (lists of n)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    ctx = ["".join(rng.choice(list("ACGT"), 25)) + "GG" + "".join(rng.choice(list("ACGT"), 3))
           for _ in range(n)]  # fmt: skip
    pd.DataFrame({"context": ctx, **columns}).to_csv(tmp_path / "s.csv", index=False)
    return tmp_path / "s.csv"


def test_one_activity_for_every_row_is_refused_showing_it_as_written(tmp_path):
    """It was refused after rank normalisation as 'the same label (50.0)', a value in no file."""
    from helixforge.crispr.ontarget_train import ontarget_data

    path = _screen(tmp_path, lfc=["5.0"] * 60)
    with pytest.raises(ConfigError, match=r"same activity \('5.0'\)"):
        ontarget_data(path, "context", "lfc")


def test_a_group_col_with_one_row_per_group_is_refused_naming_the_group_col(tmp_path):
    """Ranks within groups of one row are all 50: refused as the label column's fault."""
    from helixforge.crispr.ontarget_train import ontarget_data

    path = _screen(tmp_path, lfc=[float(i) for i in range(60)], sample=[f"s{i}" for i in range(60)])
    with pytest.raises(ConfigError, match="--group-col sample: every usable row") as e:
        ontarget_data(path, "context", "lfc", group_col="sample")
    assert "--raw-target" in e.value.hint
    ld, _, _ = ontarget_data(path, "context", "lfc", group_col="sample", target_transform="raw")
    assert ld.y.ravel().tolist() == [float(i) for i in range(60)]


def test_rows_alone_in_their_group_are_counted_in_a_note(tmp_path):
    from helixforge.crispr.ontarget_train import ontarget_data

    groups = ["screen"] * 57 + ["x", "y", "z"]
    path = _screen(tmp_path, lfc=[float(i % 17) for i in range(60)], grp=groups)
    ld, _, _ = ontarget_data(path, "context", "lfc", group_col="grp")
    note = next(n for n in ld.notes if "alone" in n)
    assert note.startswith("3 of 60 rows are alone in their 'grp' group")


def test_a_missing_context_column_is_told_which_column_holds_the_contexts(tmp_path):
    from helixforge.core.errors import InputError
    from helixforge.crispr.ontarget_train import ontarget_data

    path = _screen(tmp_path, lfc=[float(i) for i in range(60)])
    with pytest.raises(InputError) as e:
        ontarget_data(path, "target_context_30mer", "lfc")
    assert e.value.hint == "column 'context' holds 30-nt sequences: pass --input-col 'context'"


def test_a_fasta_file_is_refused_as_having_no_activities(tmp_path):
    from helixforge.core.errors import InputError
    from helixforge.crispr.ontarget_train import ontarget_data

    (tmp_path / "g.fa").write_text(">g1\n" + "ACGT" * 7 + "AC\n")
    with pytest.raises(InputError, match="no activities to train on"):
        ontarget_data(tmp_path / "g.fa", "context", "lfc")


def test_repeated_contexts_are_merged_to_their_mean_and_a_disagreement_is_named(tmp_path):
    """A context measured twice with conflicting activities (replicate rows of a screen) was
    kept as two rows with no word. As `chem train` merges duplicate molecules: one row with the
    mean activity and `n_merged`, a note naming how many and the worst disagreement, and
    conflicts.csv listing each; the same context in another --group-col group is not merged."""
    import pandas as pd

    from helixforge.crispr.ontarget_train import ontarget_data

    path = _screen(tmp_path, lfc=[float(i % 20) for i in range(60)], grp=["a"] * 60)
    df = pd.read_csv(path)
    extra = df.iloc[[3, 3, 10, 20]].assign(lfc=[19.0, 3.5, 10.0, 0.0])  # rows 62-65
    extra.loc[extra.index[3], "grp"] = "b"  # row 65: context of row 21, another screen
    pd.concat([df, extra]).to_csv(path, index=False)
    ld, _, _ = ontarget_data(path, "context", "lfc", group_col="grp", target_transform="none")
    assert len(ld) == 61  # 64 rows: 62, 63 merged into row 5; 64 into row 12
    first = ld.frame.loc[5]
    assert first["n_merged"] == 3 and first["lfc"] == pytest.approx((3 + 19 + 3.5) / 3)
    assert ld.frame.loc[12, "n_merged"] == 2 and ld.frame.loc[12, "lfc"] == 10.0
    assert ld.frame.loc[65, "n_merged"] == 1  # its group is 'b'
    conflicts = ld.tables["conflicts.csv"]
    assert conflicts["rows"].tolist() == ["5;62;63"]  # rows 12 and 64 agree (10, 10)
    note = next(n for n in ld.notes if "merged" in n)
    assert note.startswith(
        "5 rows repeat a context within their 'grp' group and were merged into 2"
    )
    assert "1 of them disagree" in note and "rows 5, 62, 63: 3, 19, 3.5; spread 16" in note


def test_a_run_writes_conflicts_csv_and_one_prediction_per_merged_context(tmp_path):
    import pandas as pd

    from helixforge.crispr.ontarget_train import train_ontarget

    path = _screen(tmp_path, lfc=[float(i % 20) for i in range(60)])
    df = pd.read_csv(path)
    pd.concat([df, df.iloc[[0]].assign(lfc=19.0)]).to_csv(path, index=False)
    train_ontarget(path, "context", "lfc", params={"n_estimators": 20}, out=tmp_path / "run",
                   report=False, n_jobs=1)  # fmt: skip
    pred = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert len(pred) == 60 and pred.loc[pred["row"] == 2, "n_merged"].item() == 2
    assert pd.read_csv(tmp_path / "run" / "conflicts.csv")["rows"].tolist() == ["2;62"]
    notes = __import__("json").loads((tmp_path / "run" / "metrics.json").read_text())["notes"]
    assert any("2 rows repeat a context and were merged into 1" in n for n in notes)


def test_a_small_screen_trains_a_gbm_that_ranks_and_the_run_says_the_leaf_was_lowered(tmp_path):
    """A 60-row screen (47 training rows) and LightGBM's 30-row leaves: no split, every guide
    scored 100, and the run reported success ('held-out Spearman nan')."""
    import json

    import pandas as pd

    from helixforge.crispr.ontarget_train import train_ontarget

    path = _screen(tmp_path, lfc=[float(i % 20) for i in range(60)])
    train_ontarget(path, "context", "lfc", out=tmp_path / "run", report=False, n_jobs=1)
    pred = pd.read_csv(tmp_path / "run" / "predictions.csv")["lfc_pred"]
    assert pred.nunique() > 1  # the guides are ranked, not all given one score
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert any(
        "min_child_samples lowered from 30 to 11 for 47 training rows" in n
        for n in metrics["notes"]
    )


def test_a_leaf_too_large_for_the_screen_is_refused_saying_what_to_change(tmp_path):
    """Asked for explicitly, the 30-row leaf is kept, and a model that learned nothing is an
    error naming the leaf and the fix, not a run directory of constant scores."""
    from helixforge.crispr.ontarget_train import train_ontarget

    path = _screen(tmp_path, lfc=[float(i % 20) for i in range(60)])
    with pytest.raises(ConfigError, match="learned nothing") as exc:
        train_ontarget(path, "context", "lfc", params={"min_child_samples": 30},
                       out=tmp_path / "run", report=False, n_jobs=1)  # fmt: skip
    assert "min_child_samples=30" in exc.value.message
    assert "--param min_child_samples=5" in exc.value.hint
    assert not (tmp_path / "run").exists()
