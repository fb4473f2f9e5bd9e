import math

import numpy as np
import pytest

from helixforge.core import metrics


def test_regression_metrics_known_values():
    m = metrics.regression_metrics([1, 2, 3, 4], [1, 2, 3, 5])
    assert m["mae"] == pytest.approx(0.25) and m["rmse"] == pytest.approx(0.5)
    assert m["spearman"] == pytest.approx(1.0) and m["n"] == 4


def test_classification_metrics_perfect_and_nan_labels_ignored():
    m = metrics.classification_metrics([0, 1, np.nan, 1], [0.1, 0.9, 0.5, 0.8])
    assert m["roc_auc"] == 1.0 and m["accuracy"] == 1.0 and m["n"] == 3


def test_single_class_gives_nan_not_an_exception():
    m = metrics.classification_metrics([1, 1, 1], [0.2, 0.7, 0.9])
    assert math.isnan(m["roc_auc"]) and math.isnan(m["pr_auc"])


def test_score_by_tdc_name_and_bootstrap_ci_brackets_estimate():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    p = y + rng.normal(scale=0.5, size=300)
    assert metrics.score("roc-auc", [0, 1], [0.2, 0.8]) == 1.0
    lo, hi = metrics.bootstrap_ci(metrics.spearman, y, p, n_boot=200)
    assert lo < metrics.spearman(y, p) < hi


def test_multiclass_auc_is_nan_without_a_warning_when_a_class_is_absent():
    import warnings

    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's UndefinedMetricWarning would raise
        m = metrics.multiclass_metrics([0, 1, 0], proba)  # class 2 not in this part
    assert math.isnan(m["roc_auc_ovr"]) and m["accuracy"] == 1.0


def test_multiclass_metrics():
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])
    m = metrics.multiclass_metrics([0, 1, 2, 1], proba)
    assert m["accuracy"] == 0.75 and 0 < m["macro_f1"] < 1


def test_f1_is_nan_when_no_positive_is_labelled_or_predicted():
    # a test part of negatives only, all predicted negative: F1 is 0/0, not a score of 0
    assert math.isnan(metrics.f1([0, 0, 0], [0.1, 0.2, 0.3]))
    assert metrics.f1([0, 0, 0], [0.1, 0.2, 0.9]) == 0.0  # one false positive: a real 0
    assert metrics.f1([1, 1], [0.9, 0.8]) == 1.0  # positives only: defined


def test_multiclass_mcc_is_nan_when_the_part_holds_one_class():
    proba = np.array([[0.2, 0.5, 0.3]] * 3)
    m = metrics.multiclass_metrics([1, 1, 1], proba)
    assert math.isnan(m["mcc"]) and m["accuracy"] == 1.0


def test_multiclass_metrics_of_no_rows_are_nan_not_an_exception():
    m = metrics.multiclass_metrics(np.array([], int), np.zeros((0, 3)))
    assert m["n"] == 0 and all(math.isnan(m[k]) for k in ("accuracy", "macro_f1", "mcc"))
