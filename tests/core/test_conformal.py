import numpy as np

from helixforge.core.conformal import (
    ClassificationConformal,
    RegressionConformal,
    conformal_quantile,
)


def test_regression_intervals_reach_coverage_on_exchangeable_data():
    rng = np.random.default_rng(0)
    y = rng.normal(size=4000)
    pred = y + rng.normal(scale=0.5, size=4000)
    cal = RegressionConformal(coverage=0.9).fit(y[:2000], pred[:2000])
    lo, hi = cal.interval(pred[2000:])
    covered = np.mean((y[2000:] >= lo) & (y[2000:] <= hi))
    assert 0.87 < covered < 0.93
    assert RegressionConformal.from_dict(cal.to_dict()).q == cal.q


def test_prediction_sets_hold_both_classes_when_the_model_is_unsure():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400).astype(float)
    weak = np.clip(0.5 + (y - 0.5) * 0.3 + rng.normal(scale=0.25, size=400), 0.01, 0.99)
    cal = ClassificationConformal(coverage=0.9).fit(y, weak)
    assert cal.q >= 0.5  # a weak model needs a wide threshold to reach 90 %
    sets = cal.sets(np.array([0.99, 0.5]))
    assert sets[0].tolist() == [False, True]  # a confident prediction: one class
    assert sets[1].all()  # a coin flip: both classes


def test_too_few_calibration_points_give_infinite_quantile():
    assert conformal_quantile(np.array([0.1, 0.2]), 0.9) == float("inf")


def test_a_prediction_set_is_never_empty():
    # Calibrated on one model's probabilities (all ~0.021 for a rare class), applied to a
    # refit model that says 0.022: plain LAC excludes both classes for every molecule.
    cal = ClassificationConformal(coverage=0.9).fit(np.zeros(29), np.full(29, 0.0211))
    sets = cal.sets(np.array([0.022378, 0.9, 0.4]))
    assert sets.sum(axis=1).min() >= 1
    assert sets[0].tolist() == [True, False]  # the most probable class fills an empty set
    assert sets[1].tolist() == [False, True]
    assert cal.sets(np.array([0.5]))[0].tolist() == [True, True]  # a tie: both classes
