"""`auto`'s blend step: the weight of two models' out-of-fold predictions, picked on CV folds."""

from __future__ import annotations

import numpy as np

from helixforge.chem.models.blend import blend_name, parse_blend_name
from helixforge.chem.selection import best_blend_weight, default_candidates


def test_blend_weight_recovers_the_mix_that_fits_best():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(200, 1))
    noise_a, noise_b = rng.normal(size=(200, 1)), rng.normal(size=(200, 1))
    a, b = y + 0.5 * noise_a, y + 0.5 * noise_b  # equally good, independent errors
    folds = [(np.arange(100, 200), np.arange(100)), (np.arange(100), np.arange(100, 200))]
    w, loss = best_blend_weight(["regression"], y, folds, [a[:100], a[100:]], [b[:100], b[100:]])
    assert 0.3 <= w <= 0.7 and np.isfinite(loss)
    w_only_a, _ = best_blend_weight(
        ["regression"], y, folds, [y[:100], y[100:]], [b[:100], b[100:]]
    )
    assert w_only_a == 0.9  # the perfect model gets the most weight on the grid


def test_blend_names_round_trip():
    name = blend_name(["gbm", "minimol-mlp"], [0.6, 0.4])
    assert name == "blend:gbm+minimol-mlp@0.60"
    assert parse_blend_name(name) == (["gbm", "minimol-mlp"], [0.6, 0.4])


def test_auto_is_gbm_alone_without_the_pretrained_extra():
    assert default_candidates(False) == ["gbm"]
    assert default_candidates(True) == ["gbm", "minimol-gbm", "minimol-mlp"]
