"""score_predictions: every metric left NaN on a part comes with a run note saying why."""

import math

import numpy as np
import pandas as pd

from helixforge.core.supervised.columns import score_predictions


def test_a_constant_regression_target_in_the_part_is_named_as_the_reason_r2_is_nan():
    y = np.array([[1.0], [1.0], [1.0]])
    preds = pd.DataFrame({"logS_pred": [0.8, 1.1, 1.4]})
    out, notes = score_predictions(y, preds, ["logS"], ["regression"], {})
    assert math.isnan(out["logS"]["r2"]) and out["logS"]["rmse"] > 0
    assert notes == ["logS: every label is 1; R², Pearson and Spearman are undefined (NaN)"]


def test_constant_predictions_and_a_single_row_are_named_too():
    preds = pd.DataFrame({"logS_pred": [2.0, 2.0, 2.0]})
    _, notes = score_predictions(np.array([[1.0], [2.0], [3.0]]), preds, ["logS"],
                                 ["regression"], {})  # fmt: skip
    assert notes == ["logS: every prediction is 2; Pearson and Spearman are undefined (NaN)"]
    _, notes = score_predictions(np.array([[1.0]]), preds.head(1), ["logS"], ["regression"], {})
    assert notes == ["logS: one labelled row; R², Pearson and Spearman are undefined (NaN)"]


def test_negatives_only_and_none_predicted_positive_names_f1_among_the_undefined():
    preds = pd.DataFrame({"active_prob": [0.1, 0.2, 0.3]})
    out, notes = score_predictions(np.zeros((3, 1)), preds, ["active"], ["binary"], {})
    assert math.isnan(out["active"]["f1"])
    assert notes[0].endswith("and F1 too (no row labelled or predicted positive)")


def test_a_multiclass_part_of_one_class_notes_why_mcc_is_nan():
    classes = {"kind": ["a", "b", "c"]}
    preds = pd.DataFrame({f"kind_prob_{c}": [0.3, 0.3] for c in classes["kind"]})
    y = np.array([[2.0], [2.0]])  # class 'c' only
    out, notes = score_predictions(y, preds, ["kind"], ["multiclass"], classes)
    assert math.isnan(out["kind"]["mcc"])
    assert notes == [
        "kind: only class ['c'] present; MCC and one-vs-rest ROC-AUC are undefined (NaN)"
    ]


def test_a_classifier_that_predicts_one_class_for_every_row_is_named_in_the_notes():
    y = np.array([[0.0], [1.0], [0.0], [1.0]])
    preds = pd.DataFrame({"active_prob": [0.2, 0.4, 0.1, 0.3]})  # all below 0.5
    out, notes = score_predictions(y, preds, ["active"], ["binary"], {"active": ["no", "yes"]})
    assert out["active"]["mcc"] == 0.0 and out["active"]["roc_auc"] == 1.0
    assert notes[0].startswith("active: every row is predicted 'no'")


def test_a_multiclass_part_missing_a_class_notes_why_the_ovr_auc_is_nan():
    classes = {"kind": ["a", "b", "c"]}
    preds = pd.DataFrame({"kind_prob_a": [0.6, 0.2], "kind_prob_b": [0.2, 0.6],
                          "kind_prob_c": [0.2, 0.2]})  # fmt: skip
    out, notes = score_predictions(np.array([[0.0], [1.0]]), preds, ["kind"], ["multiclass"],
                                   classes)  # fmt: skip
    assert math.isnan(out["kind"]["roc_auc_ovr"]) and out["kind"]["accuracy"] == 1.0
    assert notes == [
        "kind: class ['c'] absent from this part; one-vs-rest ROC-AUC is undefined (NaN)"
    ]


def test_set_metrics_of_classes_whose_names_hold_a_bar():
    from helixforge.core.supervised.columns import coverage_metrics, join_sets

    names = ["<b>bind</b>", 'no|"&']
    sets = join_sets(np.array([[True, True], [False, True], [False, False]]), names)
    assert sets == ['<b>bind</b>|no|"&', 'no|"&', ""]
    preds = pd.DataFrame({"label_set": sets})
    m = coverage_metrics("binary", np.array([1.0, 1.0, 0.0]), preds, "label", names)
    assert m == {"coverage": 2 / 3, "set_size": 1.0}  # was set_size 5/3: 'no|"&' split in two


def test_a_classifier_with_one_probability_for_every_row_is_said_not_to_rank():
    y = np.array([[0.0], [1.0], [0.0], [1.0]])
    preds = pd.DataFrame({"active_prob": [0.3] * 4})
    out, notes = score_predictions(y, preds, ["active"], ["binary"], {})
    assert out["active"]["roc_auc"] == 0.5
    assert notes[0].endswith("ROC-AUC is 0.5 by ties: the model does not rank the rows at all")
