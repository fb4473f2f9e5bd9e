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


def test_prediction_sets_grow_when_the_model_is_unsure():
    y = np.array([0, 1] * 50, dtype=float)
    confident = np.where(y == 1, 0.95, 0.05)
    cal = ClassificationConformal(coverage=0.9).fit(y, confident)
    sets = cal.sets(np.array([0.97, 0.5]))
    assert sets[0].tolist() == [False, True]  # a confident prediction gives a one-class set
    assert sets[1].sum() in (0, 2)  # a coin flip is never a confident single label


def test_too_few_calibration_points_give_infinite_quantile():
    assert conformal_quantile(np.array([0.1, 0.2]), 0.9) == float("inf")
