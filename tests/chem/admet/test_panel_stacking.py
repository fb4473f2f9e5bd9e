"""An endpoint model may read other endpoints' predicted values after its feature columns
(meta.json "stack"): the panel runs those models first, also when only the stacked endpoint
was asked for, and refuses weights whose stacking is inconsistent."""

from __future__ import annotations

import json
from types import SimpleNamespace

import lightgbm as lgb
import numpy as np
import pytest

from helixforge.chem.admet import ADMETPanel
from helixforge.chem.admet.weights import PANEL_FEATURES, write_endpoint, write_manifest
from helixforge.chem.featurize import featurize
from helixforge.core.errors import InputError

SMILES = ["CCO", "CC(=O)O", "CCN(CC)CC", "c1ccccc1O", "c1ccncc1", "OC(=O)c1ccccc1",
          "NCCc1ccccc1", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "CN1CCCC1", "Clc1ccccc1"] * 3  # fmt: skip
PARAMS = {"verbose": -1, "num_leaves": 4, "min_data_in_leaf": 2, "num_threads": 1}


def _write(root, name, X, y, task_type="regression", stack=(), log_target=False):
    params = dict(PARAMS, objective="binary") if task_type == "binary" else PARAMS
    booster = lgb.train(params, lgb.Dataset(X, y), 10)
    model = SimpleNamespace(boosters=[booster], best_iterations=[10], task_types=[task_type],
                            log_targets=[log_target], features=PANEL_FEATURES, params={})  # fmt: skip
    write_endpoint(model, name, root=root, stack=tuple(stack))
    return booster


def _set_stack(root, name, stack):
    """Rewrite endpoint `name`'s meta.json "stack" (and the manifest, so only the panel's own
    consistency checks can refuse it)."""
    meta = json.loads((root / name / "meta.json").read_text())
    (root / name / "meta.json").write_text(json.dumps({**meta, "stack": stack}))
    write_manifest(root)


@pytest.fixture
def weights(tmp_path):
    """ames (a source, binary) and herg, stacked on ames (its label: the source's value)."""
    X = featurize(SMILES, PANEL_FEATURES)
    rng = np.random.default_rng(0)
    ames = _write(tmp_path, "ames", X, (X[:, -1] > np.median(X[:, -1])).astype(int), "binary")
    source = ames.predict(X)
    Xh = np.hstack([X, source[:, None]])
    herg = _write(tmp_path, "herg", Xh, source + rng.normal(0, 0.01, len(X)), stack=["ames"])
    write_manifest(tmp_path)
    return tmp_path, X, ames, herg


def test_a_stacked_endpoint_reads_its_sources_values_after_its_features(weights):
    root, X, ames, herg = weights
    got = ADMETPanel(["herg"], percentiles=False, domain=False, weights=root).predict_smiles(SMILES)
    assert list(got.columns) == ["admet_herg"]  # the source ran, but was not asked for
    expected = herg.predict(np.hstack([X, ames.predict(X)[:, None]]))
    np.testing.assert_allclose(got["admet_herg"], expected)
    both = ADMETPanel(["herg", "ames"], percentiles=False, domain=False, weights=root)
    out = both.predict_smiles(SMILES)
    np.testing.assert_allclose(out["admet_herg"], expected)
    np.testing.assert_allclose(out["admet_ames"], ames.predict(X))


def test_the_resume_key_of_a_stacked_endpoint_covers_its_sources_weights(weights):
    root, *_ = weights
    key = ADMETPanel(["herg"], percentiles=False, domain=False, weights=root).model_key()
    assert {"herg/model.txt.gz", "ames/model.txt.gz"} <= set(key)


def test_a_source_without_shipped_weights_is_refused_naming_it(weights):
    root, *_ = weights
    _set_stack(root, "herg", ["dili"])
    with pytest.raises(InputError, match="dili"):
        ADMETPanel(["herg"], percentiles=False, domain=False, weights=root)


def test_endpoints_stacked_on_each_other_in_a_cycle_are_refused(weights):
    root, *_ = weights
    _set_stack(root, "ames", ["herg"])
    with pytest.raises(InputError, match="cycle"):
        ADMETPanel(["herg"], percentiles=False, domain=False, weights=root)


def test_a_model_whose_width_does_not_match_its_spec_and_stack_is_refused(weights):
    root, *_ = weights
    _set_stack(root, "herg", [])
    with pytest.raises(InputError, match="reads .* features"):
        ADMETPanel(["herg"], percentiles=False, domain=False, weights=root)


@pytest.mark.parametrize("stack", [3, "ames", [1]])
def test_a_stack_entry_that_is_not_a_list_of_names_is_refused(weights, stack):
    root, *_ = weights
    _set_stack(root, "herg", stack)
    with pytest.raises(InputError, match="must be a list of endpoint names"):
        ADMETPanel(["herg"], percentiles=False, domain=False, weights=root)
