"""chem.table: which class of a binary text label is the positive one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.table import load_property_table


@pytest.mark.parametrize(
    ("positive", "negative"),
    [
        ("active", "inactive"),
        ("Active", "Inactive"),
        ("Yes", "no"),  # capitals sort first: 'no' was the positive class
        ("hit", "non-hit"),
        ("binder", "non binder"),
        ("toxic", "non-toxic"),
        ("BBB+", "BBB-"),
        ("Yes", "No"),
        ("TRUE", "FALSE"),
        ("positive", "negative"),
        ("p", "np"),
    ],
)
def test_the_negative_spelling_is_class_0_whatever_the_sort_order(make_table, positive, negative):
    """`T_prob` is P(class 1). Sorted classes made 'inactive' (and 'no' next to 'Yes') class
    1: the run's probabilities, PR-AUC, F1 and positive rate were those of the negatives."""
    df = make_table().head(60)
    hit = df["has_n"].to_numpy() == 1
    df["y"] = np.where(hit, positive, negative)
    data = load_property_table(df, "smiles", ["y"], tolerance=float("inf"))
    assert data.classes["y"] == [negative, positive]
    rows = {s: i for i, s in enumerate(data.inputs)}
    frame = data.frame.set_index("canonical_smiles")
    for s, i in rows.items():
        assert data.y[i, 0] == (1.0 if frame.at[s, "y"] == positive else 0.0)
    assert data.y[:, 0].mean() == pytest.approx(np.mean(frame["y"] == positive))


@pytest.mark.parametrize("pair", [("A", "B"), ("mouse", "rat"), ("no", "none"), ("high", "low")])
def test_classes_that_name_no_negative_keep_the_sorted_order(make_table, pair):
    df = make_table().head(60)
    df["y"] = np.where(df["has_n"].to_numpy() == 1, pair[1], pair[0])
    data = load_property_table(df, "smiles", ["y"], tolerance=float("inf"))
    assert [str(c) for c in data.classes["y"]] == sorted(pair)


def test_missing_labels_stay_missing_when_the_classes_are_swapped(make_table):
    df = make_table().head(40)
    df["y"] = np.where(df["has_n"].to_numpy() == 1, "active", "inactive")
    df.loc[df.index[:5], "y"] = ""
    df["z"] = df["logp_like"]
    data = load_property_table(df, "smiles", ["y", "z"], tolerance=float("inf"))
    assert np.isnan(data.y[:, 0]).sum() == 5
    assert set(np.unique(data.y[~np.isnan(data.y[:, 0]), 0])) == {0.0, 1.0}


def test_a_run_on_active_inactive_predicts_what_a_run_on_1_0_predicts(tmp_path, make_table,
                                                                      fast_gbm):  # fmt: skip
    from helixforge.chem.train import train_property_model

    base = make_table()
    words = base.assign(has_n=np.where(base["has_n"] == 1, "active", "inactive"))
    runs = {}
    for name, df in {"num": base, "words": words}.items():
        df.to_csv(tmp_path / f"{name}.csv", index=False)
        train_property_model(tmp_path / f"{name}.csv", "smiles", ["has_n"], model="gbm",
                             model_params=fast_gbm, split="random", out=tmp_path / name,
                             report=False)  # fmt: skip
        runs[name] = pd.read_csv(tmp_path / name / "predictions.csv")
    np.testing.assert_allclose(runs["words"]["has_n_prob"], runs["num"]["has_n_prob"])


def test_a_split_column_keeps_the_users_spelling_and_still_matches_any_case(
    tmp_path, make_table, fast_gbm
):
    """--split-col values were lowercased in predictions.csv ('Train' came back 'train');
    the user's column is kept as written, matched without case or spaces, and the run's own
    `split` column says which part each row was in."""
    from helixforge.chem.train import train_property_model

    df = make_table()
    df["Set"] = ["Train"] * 100 + ["VALID"] * 14 + [" Test "] * 14
    df.to_csv(tmp_path / "t.csv", index=False)
    table = load_property_table(tmp_path / "t.csv", "smiles", ["logp_like"], split_col="Set")
    assert set(table.frame["Set"]) == {"Train", "VALID", " Test "}
    run = train_property_model(
        tmp_path / "t.csv", "smiles", ["logp_like"], split_col="Set", model="gbm",
        model_params=fast_gbm, out=tmp_path / "run", report=False,
    )  # fmt: skip
    pred = pd.read_csv(tmp_path / "run" / "predictions.csv", keep_default_na=False)
    assert pred["Set"].tolist() == df["Set"].tolist()
    assert pred["split"].tolist() == ["train"] * 100 + ["valid"] * 14 + ["test"] * 14
    assert run.metrics["test"]["logp_like"]["n"] == 14


def test_a_racemate_of_a_molecule_with_several_centres_keeps_its_labels_apart_from_each_enantiomer():
    """Racemic threonine written with CXSMILES enhanced stereo ('|&1:1,3|') was standardized
    to (2S,3R)-threonine, so its label was averaged into that enantiomer's. Now it merges with
    the input that gives no stereo, as a one-centre racemate does, and each pure enantiomer
    keeps its own row and label."""
    df = pd.DataFrame(
        {
            "smiles": [
                "C[C@@H](O)[C@H](N)C(=O)O",  # (2S,3R)
                "C[C@H](O)[C@@H](N)C(=O)O",  # (2R,3S)
                "C[C@@H](O)[C@H](N)C(=O)O |&1:1,3|",  # racemic
                "CC(O)C(N)C(=O)O",  # no stereo given
            ],
            "y": [1.0, 5.0, 3.0, 3.2],
        }
    )
    data = load_property_table(df, "smiles", ["y"], task="regression")
    got = dict(zip(data.inputs, data.y[:, 0].tolist()))
    assert got == pytest.approx(
        {"C[C@@H](O)[C@H](N)C(=O)O": 1.0, "C[C@H](O)[C@@H](N)C(=O)O": 5.0, "CC(O)C(N)C(=O)O": 3.1}
    )
    assert data.frame["n_merged"].tolist() == [1, 1, 2]


def _bounded(logp: np.ndarray) -> list[str]:
    """A ChEMBL-like IC50 column: most compounds only '>10000' (inactive), a third measured."""
    return [f"{1000 * v + 5000:.1f}" if i % 3 == 0 else ">10000" for i, v in enumerate(logp)]


def test_a_column_of_mostly_censored_values_is_numeric_and_each_bound_a_row_error(make_table):
    """Two thirds '>10000' read the column as 40-odd text 'classes' and refused the run;
    it is a numeric column whose bounds are row errors that say what they are."""
    df = make_table().head(90)
    df["ic50"] = _bounded(df["logp_like"].to_numpy())
    data = load_property_table(df, "smiles", ["ic50"], tolerance=float("inf"))
    assert data.task_types == ["regression"] and len(data) == 30
    reasons = {e.reason.split(";")[0] for e in data.errors}
    assert reasons == {
        "label is a censored value (only a bound such as '>10000', not a measurement)"
    }
    assert len(data.errors) == 60


def test_a_declared_regression_target_reads_bounds_as_row_errors(make_table):
    """`--task regression` (and `chem evaluate` of a regression model) on a column with a few
    distinct bounds and numbers: 'has text labels; use --task auto' before."""
    df = make_table().head(30)
    df["ic50"] = ["<1"] * 10 + [">100"] * 10 + [f"{5 + i / 10}" for i in range(10)]
    data = load_property_table(df, "smiles", ["ic50"], task="regression")
    assert data.task_types == ["regression"] and len(data) == 10
    assert all("censored" in e.reason for e in data.errors)


def test_a_two_class_column_written_as_bounds_keeps_its_classes(make_table):
    df = make_table().head(60)
    df["potent"] = np.where(df["has_n"].to_numpy() == 1, "<10", ">=10")
    data = load_property_table(df, "smiles", ["potent"], tolerance=float("inf"))
    assert data.task_types == ["binary"] and sorted(data.classes["potent"]) == ["<10", ">=10"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("{}%", r"label has a unit \('%'\)"),  # an Excel percentage column
        ("1,{:03d}.5", r"label has thousands separators; write it without them \(1000.5\)"),
        ("{}.5 ± 0.2", r"label has an uncertainty \('±'\)"),
    ],
)
def test_a_column_of_numbers_written_with_more_says_what_is_wrong(value, reason):
    """'12%', '1,013.5', '3.5 ± 0.2': 'text labels with 30 classes cannot be modelled' before."""
    from helixforge.core.errors import NoUsableRowsError

    df = pd.DataFrame({"smiles": ["C" * (i + 1) for i in range(30)]})
    df["y"] = [value.format(i) for i in range(30)]
    with pytest.raises(NoUsableRowsError, match=reason):
        load_property_table(df, "smiles", ["y"])


def test_an_approximate_value_is_not_called_a_bound(make_table):
    df = make_table().head(30)
    df["y"] = [f"~{v:.2f}" if i % 2 else f"{v:.2f}" for i, v in enumerate(df["logp_like"])]
    data = load_property_table(df, "smiles", ["y"])
    assert len(data) == 15
    assert {e.reason.split(";")[0] for e in data.errors} == {"label is an approximate value ('~')"}


def test_duplicates_whose_labels_disagree_are_named_in_the_run_notes(make_table):
    """The note said only 'merged'; averaging a 3-log spread went unseen unless one opened
    conflicts.csv."""
    df = make_table().head(20)
    twice = pd.concat([df, df.assign(logp_like=df["logp_like"] + 3)], ignore_index=True)
    data = load_property_table(twice, "smiles", ["logp_like"])
    assert len(data) == 20 and len(data.tables["conflicts.csv"]) == 20
    assert "20 of them had labels that disagree (listed in conflicts.csv" in data.notes[0]
    agreeing = load_property_table(pd.concat([df, df], ignore_index=True), "smiles", ["logp_like"])
    assert "disagree" not in agreeing.notes[0]


def test_a_binary_column_with_a_stray_value_says_it_became_regression(make_table):
    """0/1 labels and one '2' (a typo): too rare to be a class, so the run trained a
    regression model, with no word of why."""
    df = make_table().head(60)
    df["active"] = df["has_n"].astype(int)
    df.loc[df.index[3], "active"] = 2
    data = load_property_table(df, "smiles", ["active"], tolerance=float("inf"))
    assert data.task_types == ["regression"]
    assert any("2 (1 row) has fewer than 5 rows" in n for n in data.notes)
    df["rounded"] = df["logp_like"].round() - 4  # rounded measurements: no such note
    data = load_property_table(df, "smiles", ["rounded"], tolerance=float("inf"))
    assert data.task_types == ["regression"] and not any("fewer than" in n for n in data.notes)


@pytest.mark.parametrize(
    ("column", "role"),
    [("row", "label"), ("n_merged", "label"), ("canonical_smiles", "label"), ("row", "smiles")],
)
def test_a_column_named_like_one_the_run_adds_is_refused_before_reading(make_table, column, role):
    """A label named 'row' crashed the run at its end (pandas: 'cannot insert row'); one named
    'n_merged' was replaced by the merge counts and refused as 'every label is 1.0'."""
    from helixforge.core.errors import ConfigError

    df = make_table().head(40)
    if role == "label":
        df = df.rename(columns={"logp_like": column})
        smiles, targets, option = "smiles", [column], "--label-col"
    else:
        df = df.rename(columns={"smiles": column})
        smiles, targets, option = column, ["logp_like"], "--input-col"
    with pytest.raises(ConfigError, match=f"{option} '{column}' is named like a column the run"):
        load_property_table(df, smiles, targets)


@pytest.mark.parametrize(
    "index",
    [
        [i % 20 for i in range(40)],  # pd.concat of two frames without ignore_index
        [f"mol{i}" for i in range(40)],  # indexed by name
        [i / 2 for i in range(40)],  # 2.5 was reported as row 2
    ],
)
def test_a_dataframe_with_any_index_names_its_bad_rows_by_position(make_table, index):
    """A notebook frame with duplicate, text or float index labels crashed inside pandas
    ('Reindexing only valid with uniquely valued Index objects', "int() … 'mol5'")."""
    df = make_table().head(40)
    df.loc[df.index[5], "smiles"] = "xx(("
    data = load_property_table(df.set_axis(index), "smiles", ["logp_like"])
    assert [(e.row, e.value) for e in data.errors] == [(5, "xx((")]
    assert len(data) == 39
    if isinstance(index[0], str):  # the names are kept as a column
        assert data.frame["index"].iloc[0] == "mol0"
