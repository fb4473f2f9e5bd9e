"""An endpoint may add feature blocks to the panel's shared FeatureSpec (e.g. "ionizable");
the panel still featurizes each molecule once and gives every model the columns it was
trained on."""

from __future__ import annotations

from dataclasses import replace
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
ION = replace(PANEL_FEATURES, extra=(*PANEL_FEATURES.extra, "ionizable"))


def _endpoint(root, name, spec, task_type, seed):
    X = featurize(SMILES, spec)
    rng = np.random.default_rng(seed)
    y = X[:, -1] + rng.normal(size=len(X))  # the last column: ion_net_charge for ION
    params = {"verbose": -1, "num_leaves": 4, "min_data_in_leaf": 2, "num_threads": 1}
    if task_type == "binary":
        y, params["objective"] = (y > np.median(y)).astype(int), "binary"
    booster = lgb.train(params, lgb.Dataset(X, y), 10)
    model = SimpleNamespace(boosters=[booster], best_iterations=[10], task_types=[task_type],
                            log_targets=[False], features=spec, params={})  # fmt: skip
    write_endpoint(model, name, root=root)
    return booster


@pytest.fixture
def weights(tmp_path):
    herg = _endpoint(tmp_path, "herg", PANEL_FEATURES, "binary", 0)
    lipo = _endpoint(tmp_path, "lipophilicity_astrazeneca", ION, "regression", 1)
    write_manifest(tmp_path)
    return tmp_path, herg, lipo


def test_each_model_reads_the_columns_it_was_trained_on(weights, monkeypatch):
    import helixforge.chem.featurize as featurize_module

    root, herg, lipo = weights
    panel = ADMETPanel(None, percentiles=False, domain=False, weights=root)
    assert panel.feature_spec == ION  # the widest spec is computed
    real, calls = featurize_module.featurize_mols, []
    monkeypatch.setattr(featurize_module, "featurize_mols",
                        lambda mols, spec: calls.append(spec) or real(mols, spec))  # fmt: skip
    got = panel.predict_smiles(SMILES)
    assert calls == [ION]  # one feature matrix for both models
    np.testing.assert_allclose(got["admet_herg"], herg.predict(featurize(SMILES, PANEL_FEATURES)))
    np.testing.assert_allclose(got["admet_lipophilicity_astrazeneca"],
                               lipo.predict(featurize(SMILES, ION)))  # fmt: skip


def test_a_panel_of_narrow_endpoints_only_computes_the_narrow_spec(weights):
    root, herg, _ = weights
    panel = ADMETPanel(["herg"], percentiles=False, domain=False, weights=root)
    assert panel.feature_spec == PANEL_FEATURES


def test_a_spec_that_does_not_extend_the_shared_one_is_refused(tmp_path):
    _endpoint(tmp_path, "herg", PANEL_FEATURES, "binary", 0)
    other = replace(PANEL_FEATURES, fcfp_bits=0, extra=(*PANEL_FEATURES.extra, "ionizable"))
    _endpoint(tmp_path, "ames", other, "binary", 1)
    write_manifest(tmp_path)
    with pytest.raises(InputError, match="does not extend"):
        ADMETPanel(None, percentiles=False, domain=False, weights=tmp_path)
