"""Seed-bagged endpoints ship as one LightGBM text model whose raw score is the models' mean."""

from __future__ import annotations

import json
from types import SimpleNamespace

import lightgbm as lgb
import numpy as np
import pytest

from helixforge.chem.admet.weights import (
    PANEL_FEATURES,
    average_models,
    load_booster,
    write_endpoint,
    write_manifest,
)


def _boosters(objective: str, k: int = 3):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 12))
    y = X[:, 0] + 0.5 * rng.normal(size=200)
    if objective == "binary":
        y = (y > 0).astype(int)
    params = {"objective": objective, "verbose": -1, "num_leaves": 7, "num_threads": 1}
    params.update(bagging_fraction=0.8, bagging_freq=1)
    return X, [lgb.train({**params, "seed": s}, lgb.Dataset(X, y), 20 + 5 * s) for s in range(k)]


@pytest.mark.parametrize("objective", ["binary", "regression"])
def test_average_models_predicts_the_mean_raw_score(objective):
    X, boosters = _boosters(objective)
    merged = lgb.Booster(model_str=average_models([b.model_to_string() for b in boosters]))
    assert merged.num_trees() == sum(b.num_trees() for b in boosters)
    mean_raw = np.mean([b.predict(X, raw_score=True) for b in boosters], axis=0)
    np.testing.assert_allclose(merged.predict(X, raw_score=True), mean_raw, rtol=0, atol=1e-12)
    if objective == "binary":
        np.testing.assert_allclose(merged.predict(X), 1 / (1 + np.exp(-mean_raw)), atol=1e-12)


def test_average_of_one_model_is_that_model():
    X, boosters = _boosters("regression", k=1)
    merged = lgb.Booster(model_str=average_models([boosters[0].model_to_string()]))
    np.testing.assert_allclose(merged.predict(X), boosters[0].predict(X), atol=1e-12)


def test_models_with_different_objectives_are_refused():
    _, binary = _boosters("binary", k=1)
    _, regression = _boosters("regression", k=1)
    with pytest.raises(ValueError, match="headers"):
        average_models([binary[0].model_to_string(), regression[0].model_to_string()])


def test_write_endpoint_with_a_list_writes_one_checked_model(tmp_path):
    X, boosters = _boosters("binary")
    models = [
        SimpleNamespace(
            boosters=[b],
            best_iterations=[b.num_trees()],
            task_types=["binary"],
            log_targets=[False],
            features=PANEL_FEATURES,
            params={"seed": i},
        )
        for i, b in enumerate(boosters)
    ]
    write_endpoint(models, "toy", root=tmp_path)
    write_manifest(tmp_path)
    booster, meta = load_booster("toy", tmp_path)
    assert meta["bagged"]["models"] == 3 and meta["trees"] == booster.num_trees()
    mean_raw = np.mean([b.predict(X, raw_score=True) for b in boosters], axis=0)
    np.testing.assert_allclose(booster.predict(X, raw_score=True), mean_raw, atol=1e-12)
    assert json.loads((tmp_path / "toy" / "meta.json").read_text())["task_type"] == "binary"
