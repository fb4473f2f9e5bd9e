"""Every kind of bad input gives a clear message or a row in the errors table, never a traceback."""

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.train import train_property_model
from helixforge.core.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    InputError,
    NoUsableRowsError,
)


@pytest.fixture
def train(tmp_path, fast_gbm):
    """train_property_model with tiny-model defaults, writing to tmp_path/run."""

    def _train(path, targets=("logp_like",), **kw):
        return train_property_model(
            path,
            "smiles",
            list(targets),
            model="gbm",
            model_params=fast_gbm,
            out=tmp_path / "run",
            report=False,
            overwrite=True,
            **kw,
        )

    return _train


def _write(df, tmp_path, name="data.csv", **kw):
    path = tmp_path / name
    df.to_csv(path, index=False, **kw)
    return path


def test_invalid_and_empty_smiles_go_to_the_errors_table(tmp_path, make_table, train):
    df = make_table()
    df.loc[5, "smiles"] = "C1CC(("
    df.loc[9, "smiles"] = ""
    run = train(_write(df, tmp_path))
    errors = pd.read_csv(run.run_dir / "errors.csv")
    assert errors["row"].tolist() == [7, 11]  # file line numbers (header is line 1)
    assert set(errors["column"]) == {"smiles"}
    assert errors["reason"].str.contains("syntax|empty").all()
    assert run.config["n_molecules"] == 126


def test_salts_and_mixtures_are_reduced_to_the_parent(tmp_path, make_table, train):
    df = make_table()
    df.loc[0, "smiles"] = "c1ccccc1C(=O)[O-].[Na+]"
    df.loc[1, "smiles"] = "c1ccccc1CCC.O.O"
    run = train(_write(df, tmp_path))
    preds = pd.read_csv(run.run_dir / "predictions.csv").set_index("row")
    assert preds.loc[2, "canonical_smiles"] == "O=C(O)c1ccccc1"
    assert preds.loc[3, "canonical_smiles"] == "CCCc1ccccc1"


def test_non_numeric_and_missing_labels(tmp_path, make_table, train):
    df = make_table()
    df["logp_like"] = df["logp_like"].astype(object)
    df.loc[3, "logp_like"] = "n/a-ish"
    df.loc[4, "logp_like"] = None
    run = train(_write(df, tmp_path))
    errors = pd.read_csv(run.run_dir / "errors.csv")
    reasons = errors.groupby("row")["reason"].apply(" | ".join)
    assert "not a number" in reasons[5] and "no usable label" in reasons[5]
    assert "no usable label" in reasons[6]
    assert run.config["n_molecules"] == 126


def test_a_split_missing_one_class_reports_nan_with_a_note(tmp_path, make_table, fast_gbm):
    df = make_table()
    df["flag"] = 0.0
    df.loc[df.index[:40], "flag"] = 1.0  # positives only in the first scaffolds
    df["part"] = ["train"] * 64 + ["valid"] * 32 + ["test"] * 32
    df.loc[df.index[20:40], "part"] = "train"
    run = train_property_model(
        _write(df, tmp_path),
        "smiles",
        ["flag"],
        split_col="part",
        model="gbm",
        model_params=fast_gbm,
        out=tmp_path / "r",
    )
    test = run.metrics["test"]["flag"]
    assert np.isnan(test["roc_auc"]) and test["n"] == 32
    assert any("only class" in n for n in run.metrics["notes"])
    assert (run.run_dir / "report.html").exists()


def test_duplicates_with_conflicting_labels_are_merged_and_reported(tmp_path, make_table, train):
    df = make_table()
    extra = df.iloc[[0, 0]].copy()
    extra["smiles"] = ["Cc1ccccc1", "c1ccccc1C"]  # same molecule, other spellings
    extra["logp_like"] = [9.0, 9.5]
    run = train(_write(pd.concat([df, extra]), tmp_path))
    conflicts = pd.read_csv(run.run_dir / "conflicts.csv")
    assert conflicts["canonical_smiles"].tolist() == ["Cc1ccccc1"]
    assert "spread" in conflicts["reason"].item()
    assert run.config["n_molecules"] == 128


def test_missing_column_lists_the_columns_that_exist(tmp_path, make_table, train):
    with pytest.raises(ColumnNotFoundError) as exc:
        train(_write(make_table(), tmp_path), targets=["pIC50"])
    assert "'pIC50'" in exc.value.message and "'logp_like'" in exc.value.message


def test_empty_file_and_header_only(tmp_path, train):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(EmptyInputError):
        train(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("smiles,logp_like\n")
    with pytest.raises(EmptyInputError):
        train(tmp_path / "header.csv")


def test_delimiters_are_detected_and_a_wrong_one_is_explained(tmp_path, make_table, train):
    run = train(_write(make_table(), tmp_path, "semi.csv", sep=";"))  # sniffed
    assert run.config["n_molecules"] == 128
    path = _write(make_table(), tmp_path, "space.csv", sep=" ")
    with pytest.raises(InputError) as exc:
        train(path)
    assert "id smiles logp_like" in exc.value.message  # the one column found is shown


def test_a_10mb_line_is_one_error_row_not_a_hang(tmp_path, make_table, train):
    df = make_table()
    df["smiles"] = df["smiles"].astype(object)
    df.loc[2, "smiles"] = "C" * 10_000_000
    run = train(_write(df, tmp_path))
    errors = pd.read_csv(run.run_dir / "errors.csv")
    assert "characters long" in errors.loc[errors["row"] == 4, "reason"].item()
    assert len(errors.loc[errors["row"] == 4, "value"].item()) <= 200  # value clipped in the table


def test_nothing_usable_fails_with_the_reason(tmp_path, train):
    df = pd.DataFrame({"smiles": ["xx", "((", ""], "logp_like": [1.0, 2.0, 3.0]})
    with pytest.raises(NoUsableRowsError, match="none of the SMILES"):
        train(_write(df, tmp_path))


def test_binary_declared_with_other_labels_is_a_config_error(tmp_path, make_table, train):
    with pytest.raises(ConfigError, match="declared binary"):
        train(_write(make_table(), tmp_path), task="binary")


def test_a_line_with_extra_fields_goes_to_the_errors_table_and_row_numbers_stay_true(
    tmp_path, smiles_list, fast_gbm
):
    rows = [f"{s},{i % 7 * 0.5}" for i, s in enumerate(smiles_list)]
    rows.insert(3, "CCN,2.0,extra")  # file line 5
    rows.insert(6, "CCO,abc")  # file line 8
    (tmp_path / "d.csv").write_text("smiles,y\n" + "\n".join(rows) + "\n")
    train_property_model(
        tmp_path / "d.csv",
        "smiles",
        ["y"],
        model="gbm",
        model_params=fast_gbm,
        split="random",
        out=tmp_path / "run",
    )
    errs = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert 5 in errs["row"].tolist() and "wrong number of fields" in " ".join(errs["reason"])
    assert errs.loc[errs["value"] == "abc", "row"].tolist() == [8]


def test_multiclass_with_a_class_only_in_test_is_padded_not_a_crash(
    tmp_path, smiles_list, fast_gbm
):
    n = len(smiles_list)
    labels = [i % 3 for i in range(n)]
    split = ["train" if i % 5 < 3 else ("valid" if i % 5 == 3 else "test") for i in range(n)]
    for i in range(n):  # class 3 exists only in the test part
        if split[i] == "test" and i % 2 == 0:
            labels[i] = 3
    df = pd.DataFrame({"smiles": smiles_list, "cls": labels, "part": split})
    df.to_csv(tmp_path / "m.csv", index=False)
    run = train_property_model(
        tmp_path / "m.csv",
        "smiles",
        ["cls"],
        task="multiclass",
        split="predefined",
        split_col="part",
        model="gbm",
        model_params=fast_gbm,
        out=tmp_path / "run",
    )
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert len(preds) > 0 and run is not None
