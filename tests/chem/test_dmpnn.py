import numpy as np
import pytest
import torch
from rdkit import Chem

from helixforge.chem.models import dmpnn
from helixforge.chem.models.base import PropertyModel
from helixforge.chem.models.dmpnn import DMPNNModel, _cdf_scale, _noam_lr
from helixforge.core.errors import ConfigError, InputError

TINY = dict(hidden=24, ffn_hidden=24, depth=2, batch_size=16, threads=1, device="cpu")


def small_molecules() -> list[str]:
    """~70 small organic molecules: chains, alcohols, amines, acids, rings."""
    out = []
    for n in range(1, 11):
        chain = "C" * n
        out += [chain, chain + "O", "N" + chain, chain + "C(=O)O", "c1ccccc1" + chain]
        if n >= 3:
            out.append(f"C1{'C' * (n - 1)}1")
        if n >= 2:
            out.append("CC(C)" + "C" * (n - 2))
    return list(dict.fromkeys(out))


def carbon_count(smiles: str) -> float:
    return float(sum(a.GetSymbol() == "C" for a in Chem.MolFromSmiles(smiles).GetAtoms()))


@pytest.fixture(scope="module")
def data():
    smiles = small_molecules()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(smiles))
    smiles = [smiles[i] for i in order]
    y = np.array([carbon_count(s) for s in smiles])[:, None]
    return smiles, y


@pytest.fixture(scope="module")
def count_model(data):
    smiles, y = data
    model = DMPNNModel(aggregation="sum", epochs=40, lr=3e-3, **TINY)
    model.fit(smiles[:56], y[:56], ["regression"], valid=(smiles[56:62], y[56:62]), seed=0)
    return model


def test_implements_the_property_model_protocol():
    assert isinstance(DMPNNModel(), PropertyModel)
    assert DMPNNModel().name == "dmpnn"
    assert DMPNNModel(features="rdkit").name == "dmpnn-rdkit"


def test_learns_carbon_count_better_than_the_mean(data, count_model):
    smiles, y = data
    test_smiles, test_y = smiles[62:], y[62:, 0]
    pred = count_model.predict(test_smiles)
    assert pred.shape == (len(test_smiles), 1)
    model_mae = np.abs(pred[:, 0] - test_y).mean()
    mean_mae = np.abs(y[:56, 0].mean() - test_y).mean()
    assert model_mae < 0.5 * mean_mae
    assert len(count_model.history_) >= 1 and "valid_loss" in count_model.history_[0]
    assert 0 <= count_model.best_epoch_ < 40


def test_batched_prediction_equals_one_at_a_time(data, count_model):
    smiles = data[0][:7] + ["[Na+]", "C"]
    together = count_model.predict(smiles)
    alone = np.concatenate([count_model.predict([s]) for s in smiles])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-5)


def test_save_load_round_trip_gives_identical_predictions(tmp_path, data, count_model):
    count_model.save(tmp_path / "model")
    assert {p.name for p in (tmp_path / "model").iterdir()} >= {
        "config.json",
        "weights.safetensors",
        "scaler.json",
    }
    loaded = DMPNNModel.load(tmp_path / "model")
    assert loaded.get_params() == count_model.get_params()
    np.testing.assert_array_equal(loaded.predict(data[0]), count_model.predict(data[0]))


def test_load_of_a_directory_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="config.json"):
        DMPNNModel.load(tmp_path)


def test_same_seed_same_model_different_seed_different_model(data):
    smiles, y = data
    kw = dict(epochs=3, **TINY)
    a = DMPNNModel(**kw).fit(smiles, y, ["regression"], seed=7).predict(smiles[:10])
    b = DMPNNModel(**kw).fit(smiles, y, ["regression"], seed=7).predict(smiles[:10])
    c = DMPNNModel(**kw).fit(smiles, y, ["regression"], seed=8).predict(smiles[:10])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_multitask_with_missing_labels_and_mixed_task_types(data):
    smiles, _ = data
    n = len(smiles)
    carbons = np.array([carbon_count(s) for s in smiles])
    has_oxygen = np.array([float("O" in s) for s in smiles])
    y = np.stack([carbons, carbons * 2.0 + 1.0, has_oxygen], axis=1)
    rng = np.random.default_rng(1)
    y[rng.random((n, 3)) < 0.4] = np.nan  # 40 % missing, Tox21-style
    model = DMPNNModel(epochs=5, **TINY)
    model.fit(smiles, y, ["regression", "regression", "binary"], seed=0)
    pred = model.predict(smiles)
    assert pred.shape == (n, 3)
    assert np.all(np.isfinite(pred))
    assert np.all((pred[:, 2] >= 0) & (pred[:, 2] <= 1))
    assert all(np.isfinite(h["train_loss"]) for h in model.history_)


def test_masked_loss_ignores_missing_labels(data):
    smiles, _ = data
    y = np.array([[1.0, 0.0], [np.nan, 1.0], [3.0, np.nan], [np.nan, np.nan]])
    model = DMPNNModel(epochs=1, **TINY).fit(smiles[:4], y, ["regression", "binary"], seed=0)
    batch = next(iter(dmpnn._Batches(dmpnn.featurize_graphs(smiles[:4]), None, None, 4)))
    y_scaled = torch.tensor(((y - model.target_mean_) / model.target_std_), dtype=torch.float32)
    batch["y"] = y_scaled
    with torch.no_grad():
        loss_fn = dmpnn.make_loss_fn(model.task_types_, *model._layout())
        loss = float(loss_fn(model.net_, batch))
        out = model.net_(batch["graph"]).numpy().astype(np.float64)
    ys = y_scaled.numpy().astype(np.float64)
    sq = [(out[0, 0] - ys[0, 0]) ** 2, (out[2, 0] - ys[2, 0]) ** 2]
    bce = [np.log1p(np.exp(out[i, 1])) - ys[i, 1] * out[i, 1] for i in (0, 1)]
    assert loss == pytest.approx((sum(sq) + sum(bce)) / 4, rel=1e-4)


def test_binary_task_gives_probabilities_and_learns(data):
    smiles, _ = data
    y = np.array([float("O" in s) for s in smiles])
    model = DMPNNModel(epochs=25, lr=3e-3, **TINY).fit(smiles, y, ["binary"], seed=0)
    p = model.predict(smiles)[:, 0]
    assert np.all((p >= 0) & (p <= 1))
    assert p[y == 1].mean() > p[y == 0].mean() + 0.3


def test_multiclass_task_gives_class_probabilities(data):
    smiles, _ = data
    y = np.array([min(int(carbon_count(s)) // 4, 2) for s in smiles], dtype=float)
    model = DMPNNModel(epochs=3, **TINY).fit(smiles, y, ["multiclass"], seed=0)
    proba = model.predict_proba(smiles)
    assert proba.shape == (len(smiles), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert np.array_equal(model.predict(smiles)[:, 0], proba.argmax(axis=1))


def test_unparsable_smiles_predict_as_nan_and_fail_training_clearly(count_model):
    pred = count_model.predict(["CCO", "C1CC", "CCN"])
    assert np.isnan(pred[1, 0]) and np.isfinite(pred[[0, 2], 0]).all()
    with pytest.raises(InputError, match="row 1"):
        DMPNNModel(epochs=1, **TINY).fit(["CC", "C1CC"], np.array([1.0, 2.0]), ["regression"])


def test_bad_configuration_and_labels_are_reported():
    with pytest.raises(ConfigError):
        DMPNNModel(aggregation="max")
    with pytest.raises(ConfigError, match="task type"):
        DMPNNModel(epochs=1, **TINY).fit(["CC"], np.array([1.0]), ["ordinal"])
    with pytest.raises(InputError, match="binary"):
        DMPNNModel(epochs=1, **TINY).fit(["CC", "CO"], np.array([0.0, 2.0]), ["binary"])
    with pytest.raises(InputError, match="no labels"):
        DMPNNModel(epochs=1, **TINY).fit(["CC", "CO"], np.full((2, 1), np.nan), ["regression"])
    with pytest.raises(ConfigError, match="not trained"):
        DMPNNModel().predict(["CC"])


def test_rdkit_features_are_scaled_stored_and_reloaded(tmp_path, data, monkeypatch):
    def fake_descriptors(smiles):
        mols = [Chem.MolFromSmiles(s) for s in smiles]
        return np.array(
            [[m.GetNumAtoms() * 100.0, float(m.GetRingInfo().NumRings())] for m in mols]
        )

    monkeypatch.setattr(dmpnn, "_compute_descriptors", fake_descriptors)
    smiles, y = data
    model = DMPNNModel(features="rdkit", epochs=3, **TINY).fit(smiles, y, ["regression"], seed=0)
    emb = model.embed(smiles[:5])
    assert emb.shape == (5, TINY["hidden"] + 2)
    assert np.all((emb[:, -2:] >= 0) & (emb[:, -2:] <= 1))  # descriptors as CDF values
    # scaling statistics come from the training data: the largest molecule's atom count × 100
    assert (
        model.descriptor_quantiles_[-1, 0]
        == max(Chem.MolFromSmiles(s).GetNumAtoms() for s in smiles) * 100
    )
    model.save(tmp_path / "m")
    loaded = DMPNNModel.load(tmp_path / "m")
    assert loaded.name == "dmpnn-rdkit"
    np.testing.assert_array_equal(loaded.predict(smiles), model.predict(smiles))


def test_fit_restores_the_callers_torch_thread_count(data):
    smiles, y = data
    before = torch.get_num_threads()
    torch.set_num_threads(3)  # a count the fit does not use, so a leak would show
    try:
        DMPNNModel(epochs=1, **{**TINY, "threads": 1}).fit(smiles[:8], y[:8], ["regression"])
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_noam_schedule_warms_up_then_decays():
    lrs = [_noam_lr(s, 1e-3, warmup_steps=10, total_steps=100) for s in range(101)]
    assert lrs[0] == pytest.approx(1e-4)
    assert lrs[10] == pytest.approx(1e-3)
    assert lrs[100] == pytest.approx(1e-4)
    assert all(a < b for a, b in zip(lrs[:10], lrs[1:11]))
    assert all(a > b for a, b in zip(lrs[10:100], lrs[11:101]))


def test_rdkit_features_with_the_real_descriptor_set(data):
    featurize = pytest.importorskip("helixforge.chem.featurize")
    if not hasattr(featurize, "descriptors"):
        pytest.skip("helixforge.chem.featurize.descriptors is not available")
    smiles, y = data
    model = DMPNNModel(features="rdkit", epochs=2, **TINY).fit(smiles[:20], y[:20], ["regression"])
    width = featurize.descriptors(smiles[:1]).shape[1]
    emb = model.embed(smiles[20:25])
    assert emb.shape == (5, TINY["hidden"] + width)
    assert np.all(np.isfinite(emb))
    assert emb[:, TINY["hidden"] :].min() >= 0 and emb[:, TINY["hidden"] :].max() <= 1


def test_training_resumes_from_a_checkpoint_directory(tmp_path, data):
    smiles, y = data
    kw = dict(checkpoint_dir=tmp_path / "ckpt", **TINY)
    first = DMPNNModel(epochs=2, **kw).fit(smiles, y, ["regression"], seed=0)
    assert (tmp_path / "ckpt" / "seed_0" / "last.pt").exists()  # one folder per seed
    resumed = DMPNNModel(epochs=3, **kw).fit(smiles, y, ["regression"], seed=0)
    assert len(resumed.history_) == 3
    assert resumed.history_[:2] == first.history_


def test_cdf_scaling_of_descriptors():
    train = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 5.0], [4.0, 1e9]])
    q = np.quantile(train, np.linspace(0, 1, 5), axis=0)
    scaled = _cdf_scale(np.array([[-1.0, 1.0], [2.0, np.nan], [2.5, 1e12], [9.0, 0.0]]), q)
    assert scaled[:, 0].tolist() == pytest.approx([0.0, 0.5, 0.625, 1.0])
    assert scaled[0, 1] == pytest.approx(0.25)  # ties get the mid-rank of positions 0..2
    assert scaled[1, 1] == 0.5  # missing → middle
    assert scaled[2, 1] == 1.0 and scaled[3, 1] == 0.0  # beyond the training range: clipped


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"hidden": "abc"}, "hidden='abc': expected int"),
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"lr": "x"}, "lr='x': expected float"),
        ({"dropout": 1.0}, "dropout must be < 1"),
        ({"features": "morgan"}, "features 'morgan' is not one of: none, rdkit"),
        ({"aggregation": "max"}, "aggregation 'max' is not one of"),
        ({"patience": 1.5}, "patience must be an integer"),
        ({"quiet": "no"}, "quiet='no': expected bool"),
        ({"n_estimators": 500}, "n_estimators: unknown parameter"),
    ],
)
def test_wrong_dmpnn_parameters_name_the_key_the_type_and_the_valid_keys(params, message):
    with pytest.raises(ConfigError) as info:
        DMPNNModel(**params)
    assert message in str(info.value)
    assert "valid keys: " in str(info.value) and "hidden" in str(info.value)
