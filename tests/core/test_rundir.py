"""The card and report a training verb writes, on degenerate but legal parts: metrics that are
undefined read 'n/a' with the run's notes as the reason, and names from the data stay literal."""

import numpy as np
import pandas as pd

from helixforge.core.artifacts import RunDir
from helixforge.core.report import Report
from helixforge.core.supervised.rundir import add_task_plots, metrics_table, write_card

NAN = float("nan")
CONFIG = {
    "targets": ["active <b>|&", "logS"],
    "task_types": ["binary", "regression"],
    "model": "gbm",
    "model_requested": "gbm",
    "ensemble": 1,
    "seed": 0,
    "domain": "chem",
    "data": "assay <i>.csv",
    "n_rows": 60,
    "n_rejected_rows": 0,
    "split": "predefined",
    "split_sizes": {"train": 40, "valid": 10, "test": 10},
    "coverage": 0.9,
}
METRICS = {
    "test": {
        # one class in the test part: ROC-AUC undefined; F1 defined
        "active <b>|&": {"roc_auc": NAN, "f1": 0.667, "n": 10},
        "logS": {"rmse": 0.5, "r2": None, "n": 0},  # null as read back from metrics.json
    },
    "notes": ["test: active <b>|&: only class [1] present; ROC-AUC is undefined (NaN)"],
}


def test_card_says_n_a_with_the_notes_as_reason_instead_of_dropping_the_metric(tmp_path):
    card = write_card(RunDir(tmp_path), CONFIG, METRICS).read_text()
    assert "roc\\_auc" not in card  # metric names are ours: not escaped
    assert "- test / active \\<b\\>\\|\\&: roc_auc=n/a, f1=0.667, n=10" in card
    assert "- test / logS: n/a (no row of this part has both a label and a prediction)" in card
    assert "## Notes\n\n- test: active \\<b\\>\\|\\&: only class \\[1\\] present" in card


def test_card_escapes_markdown_and_html_in_names_from_the_data(tmp_path):
    card = write_card(RunDir(tmp_path), CONFIG, METRICS).read_text()
    assert "<b>" not in card and "<i>" not in card
    assert card.startswith("# Model card — active \\<b\\>\\|\\&, logS\n")
    assert "assay \\<i\\>.csv; 60 rows used" in card


def test_metrics_table_leaves_a_metric_of_another_task_blank_and_keeps_nan():
    table = metrics_table(
        {"test": {"a": {"roc_auc": NAN, "n": 5}, "b": {"rmse": 0.5, "n": 5}}}, ["a", "b"]
    )
    assert table.loc[0, "rmse"] == "" and table.loc[1, "roc_auc"] == ""  # not applicable
    assert np.isnan(table.loc[0, "roc_auc"])  # undefined on that part

    html = Report("t").add_table(table, na="n/a").render()
    assert "<td>n/a</td>" in html and "<td></td>" in html


def test_a_target_without_labelled_rows_in_the_part_gets_a_note_not_silence():
    rep = Report("t")
    y = np.array([[NAN, 1.0], [NAN, 2.0], [NAN, 3.0]])
    preds = pd.DataFrame({"active_prob": [0.2, 0.5, 0.9], "logS_pred": [1.1, 2.0, 2.8]})
    config = {"targets": ["active", "logS"], "task_types": ["binary", "regression"]}
    add_task_plots(rep, y, preds, config, "test")
    html = rep.render()
    assert "No labelled rows of active in the test part; its plots are skipped." in html
    assert "Regression — logS (test)" in html


def test_a_line_break_in_a_column_name_does_not_break_the_card(tmp_path):
    config = {**CONFIG, "targets": ["pIC50\n(nM)", "logS"]}  # a quoted CSV header
    card = write_card(RunDir(tmp_path), config, METRICS).read_text()
    assert card.startswith("# Model card — pIC50 (nM), logS\n\n## Model")


def test_the_multiclass_confusion_matrix_has_a_caption():
    rep = Report("t")
    preds = pd.DataFrame({"kind_prob_a": [0.7, 0.2], "kind_prob_b": [0.3, 0.8]})
    config = {"targets": ["kind"], "task_types": ["multiclass"], "classes": {"kind": ["a", "b"]}}
    add_task_plots(rep, np.array([[0.0], [1.0]]), preds, config, "test")
    assert "<figcaption>Confusion matrix (kind (test), most probable class)</figcaption>" in (
        rep.render()
    )
