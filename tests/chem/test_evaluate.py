"""chem.evaluate: which of a model's targets a new table is scored on."""

from __future__ import annotations

import json

import pytest

from helixforge.chem.evaluate import evaluate_property
from helixforge.chem.train import train_property_model
from helixforge.core.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def two_target_run(tmp_path_factory, make_table, fast_gbm):
    d = tmp_path_factory.mktemp("evaluate")
    make_table().to_csv(d / "t.csv", index=False)
    train_property_model(
        d / "t.csv", "smiles", ["logp_like", "has_n"], model="gbm", model_params=fast_gbm,
        split="random", out=d / "run", report=False,
    )  # fmt: skip
    return d / "run"


def test_a_table_with_some_of_the_targets_is_scored_on_those(two_target_run, make_table,
                                                             tmp_path):  # fmt: skip
    """A new table often holds one assay of a multi-task model (Tox21: one endpoint measured
    again); without --label-col it was refused for the targets it lacks."""
    make_table(1).drop(columns=["has_n"]).to_csv(tmp_path / "new.csv", index=False)
    res = evaluate_property(two_target_run, tmp_path / "new.csv", out=tmp_path / "ev")
    assert list(res["metrics"]) == ["logp_like"]
    assert res["notes"][0].startswith("not scored: has_n")
    saved = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert list(saved["metrics"]) == ["logp_like"] and saved["metrics"]["logp_like"]["n"] > 0


def test_a_table_with_none_of_the_targets_names_them_and_its_columns(two_target_run, make_table,
                                                                    tmp_path):  # fmt: skip
    make_table(1).rename(columns={"logp_like": "y", "has_n": "z"}).to_csv(
        tmp_path / "new.csv", index=False
    )
    with pytest.raises(ConfigError) as e:
        evaluate_property(two_target_run, tmp_path / "new.csv", out=tmp_path / "ev")
    msg = str(e.value)
    assert "new.csv" in msg and "logp_like, has_n" in msg and "'y'" in msg and "'z'" in msg
    assert not (tmp_path / "ev").exists()


def test_a_target_asked_for_by_name_must_be_in_the_table(two_target_run, make_table, tmp_path):
    make_table(1).drop(columns=["has_n"]).to_csv(tmp_path / "new.csv", index=False)
    with pytest.raises(InputError, match="'has_n' not found"):
        evaluate_property(two_target_run, tmp_path / "new.csv", targets=["has_n"],
                          out=tmp_path / "ev")  # fmt: skip


def test_an_sd_file_is_scored_from_its_data_items(two_target_run, make_table, sd_file, tmp_path):
    """`chem evaluate RUN new.sdf` was refused ('an SD file is not read as a table'). The
    molecules come from the records, the labels from their data items; an unreadable record
    is a row of errors.csv by record number; the folder is named without '.sdf'."""
    path = sd_file(make_table(1), tmp_path / "new.sdf", items=["logp_like"], broken=[2])
    res = evaluate_property(two_target_run, path, overwrite=True)
    assert res["out"].endswith("evaluations/new")
    assert list(res["metrics"]) == ["logp_like"] and res["notes"][0].startswith("not scored: has_n")
    assert res["n_molecules"] == 127 and res["metrics"]["logp_like"]["n"] == 127
    import pandas as pd

    errors = pd.read_csv(f"{res['out']}/errors.csv")
    assert errors["row"].tolist() == [2]


def test_text_labels_for_a_regression_target_say_the_model_predicts_numbers(
    two_target_run, make_table, tmp_path
):
    """The hint was 'use --task auto, binary or multiclass', an option evaluate lacks."""
    t = make_table(1).drop(columns=["has_n"])
    t["logp_like"] = ["active" if v > 2 else "inactive" for v in t["logp_like"]]
    t.to_csv(tmp_path / "new.csv", index=False)
    with pytest.raises(ConfigError) as e:
        evaluate_property(two_target_run, tmp_path / "new.csv", out=tmp_path / "ev")
    assert "model's target 'logp_like' is a regression target" in e.value.message
    assert "--task" not in str(e.value)


def test_bounds_in_a_regression_target_are_row_errors_not_text_labels(
    two_target_run, make_table, tmp_path
):
    """'>5' in most rows of a new assay table: 'has text labels' before; the measured rows
    are scored and each bound is a row of errors.csv."""
    t = make_table(1).drop(columns=["has_n"])
    t["logp_like"] = [f"{v:.2f}" if i % 3 == 0 else ">5" for i, v in enumerate(t["logp_like"])]
    t.to_csv(tmp_path / "new.csv", index=False)
    res = evaluate_property(two_target_run, tmp_path / "new.csv", out=tmp_path / "ev")
    assert res["metrics"]["logp_like"]["n"] == 43 and res["n_rejected_rows"] == 85


def test_the_evaluation_report_reads_n_a_for_an_undefined_metric(two_target_run, make_table,
                                                                 tmp_path):  # fmt: skip
    """A table whose has_n labels are all 1: ROC-AUC is undefined there. The report's metrics
    table showed '–', the mark of a metric that does not apply (RMSE of a binary target);
    it reads n/a, and the regression target's cells for classification metrics stay empty."""
    import re

    df = make_table(1)
    df = df[df["has_n"] == 1]
    df.to_csv(tmp_path / "ones.csv", index=False)
    evaluate_property(two_target_run, tmp_path / "ones.csv", out=tmp_path / "ev")
    html = (tmp_path / "ev" / "report.html").read_text()
    table = html[html.index("<table") : html.index("</table>")]
    header = re.findall(r"<th[^>]*>(.*?)</th>", table)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in table.split("<tr")[2:]]
    by_target = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert by_target["has_n"]["roc_auc"] == "n/a"
    assert by_target["logp_like"]["roc_auc"] in ("", "–")
