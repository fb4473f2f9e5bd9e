import numpy as np
import pytest

from helixforge.chem.featurize import FeatureSpec
from helixforge.chem.models import get_model, load_model, save_model
from helixforge.chem.models.base import PropertyModel
from helixforge.chem.models.gbm import GBMModel
from helixforge.core.errors import ConfigError

SMALL = FeatureSpec(morgan_bits=256)


def test_gbm_learns_multitask_with_missing_labels_and_roundtrips(tmp_path, make_table, fast_gbm):
    df = make_table()
    y = df[["logp_like", "tox"]].to_numpy()
    train, test = np.arange(100), np.arange(100, 128)
    smiles = df["smiles"].tolist()
    model = GBMModel(features=SMALL, **fast_gbm).fit(
        [smiles[i] for i in train],
        y[train],
        ["regression", "binary"],
        valid=([smiles[i] for i in test], y[test]),
        seed=0,
    )
    assert isinstance(model, PropertyModel)
    pred = model.predict([smiles[i] for i in test])
    assert pred.shape == (28, 2)
    assert np.corrcoef(pred[:, 0], y[test, 0])[0, 1] > 0.5  # learned something real
    assert ((pred[:, 1] >= 0) & (pred[:, 1] <= 1)).all()
    save_model(model, tmp_path / "m", "gbm")
    assert (tmp_path / "m" / "task_0.txt").read_text().startswith("tree")  # LightGBM text format
    again = load_model(tmp_path / "m")
    np.testing.assert_allclose(again.predict([smiles[i] for i in test]), pred, rtol=1e-6)


def test_gbm_multiclass_predicts_argmax_and_probabilities(make_table, fast_gbm):
    df = make_table()
    cls = np.digitize(df["logp_like"], np.quantile(df["logp_like"], [1 / 3, 2 / 3])).astype(float)
    model = GBMModel(features=SMALL, **fast_gbm).fit(df["smiles"], cls, ["multiclass"])
    proba = model.predict_proba(df["smiles"][:5])
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1)
    assert set(np.unique(model.predict(df["smiles"])[:, 0])) <= {0.0, 1.0, 2.0}


def test_registry_knows_its_models_and_explains_missing_ones():
    assert isinstance(get_model("gbm", n_estimators=5), GBMModel)
    with pytest.raises(ConfigError, match="svm.*unknown"):
        get_model("svm")
    with pytest.raises(ConfigError, match="trees: unknown parameter"):
        get_model("gbm", trees=5)


def test_lm_adapter_builds_the_lm_estimator_or_explains_its_absence(monkeypatch, tmp_path):
    import sys

    (tmp_path / "config.json").write_text("{}")  # a checkpoint folder (checked at get_model)
    try:
        from helixforge.lm.estimator import LMPropertyModel
    except ImportError:
        LMPropertyModel = None
    if LMPropertyModel is not None:
        model = get_model(f"lm:{tmp_path}")
        assert isinstance(model, LMPropertyModel) and model.model_path == str(tmp_path)
    monkeypatch.setitem(sys.modules, "helixforge.lm.estimator", None)  # the lm layer missing
    with pytest.raises(ConfigError, match="LMPropertyModel"):
        get_model(f"lm:{tmp_path}")


def test_skewed_positive_targets_are_modelled_on_log_scale(tmp_path, make_table, fast_gbm):
    from helixforge.chem.models.gbm import use_log_target

    rng = np.random.default_rng(0)
    skewed = 10 ** rng.normal(0, 1, 200)
    assert use_log_target(skewed) and not use_log_target(np.log10(skewed))
    assert not use_log_target(skewed, False) and use_log_target(np.ones(5), True)
    df = make_table()
    y = 10 ** df["logp_like"].to_numpy()  # half-life-like: orders of magnitude
    model = GBMModel(features=SMALL, **fast_gbm).fit(df["smiles"], y, ["regression"])
    assert model.log_targets == [True]
    pred = model.predict(df["smiles"])[:, 0]
    assert (pred > 0).all() and np.corrcoef(np.log10(pred), np.log10(y))[0, 1] > 0.8
    model.save(tmp_path / "m")
    np.testing.assert_allclose(
        GBMModel.load(tmp_path / "m").predict(df["smiles"])[:, 0], pred, rtol=1e-6
    )


def test_unknown_model_parameter_is_a_config_error_listing_valid_ones():
    import pytest

    from helixforge.chem.models import dmpnn_available, get_model
    from helixforge.core.errors import ConfigError

    if not dmpnn_available():
        pytest.skip("torch not installed")
    with pytest.raises(
        ConfigError, match=r"n_estimators: unknown parameter(.|\n)*valid keys: .*hidden"
    ):
        get_model("dmpnn", n_estimators=500)


def test_refit_trains_on_valid_too_but_keeps_held_out_valid_predictions(make_table):
    df = make_table()
    smiles, y = df["smiles"].tolist(), df[["logp_like"]].to_numpy()
    tr, va = smiles[:100], smiles[100:]
    params = {"n_estimators": 200, "early_stopping_rounds": 20, "learning_rate": 0.1}
    kept = GBMModel(features=SMALL, refit=False, **params).fit(
        tr, y[:100], ["regression"], valid=(va, y[100:])
    )
    refit = GBMModel(features=SMALL, refit=True, **params).fit(
        tr, y[:100], ["regression"], valid=(va, y[100:])
    )
    # the held-out predictions come from the same early-stopped booster in both
    np.testing.assert_allclose(refit.valid_pred_[0], kept.valid_pred_[0])
    np.testing.assert_allclose(kept.predict(va)[:, 0], kept.valid_pred_[0], rtol=1e-6)
    # the refit model has seen the valid molecules: more rounds, closer fit on them
    assert refit.best_iterations[0] == round(kept.best_iterations[0] * 128 / 100)
    err = lambda m: np.abs(m.predict(va)[:, 0] - y[100:, 0]).mean()  # noqa: E731
    assert err(refit) < err(kept)
    assert GBMModel(features=SMALL, **params).fit(tr, y[:100], ["regression"]).valid_pred_ is None


BAD_GBM_PARAMS = [
    ({"n_estimators": "abc"}, "n_estimators='abc': expected int"),
    ({"n_estimators": 1.5}, "n_estimators=1.5: expected int"),
    ({"n_estimators": True}, "n_estimators=True: expected int"),
    ({"n_estimators": 0}, "n_estimators must be at least 1"),
    ({"learning_rate": "fast"}, "learning_rate='fast': expected float"),
    ({"learning_rate": 0}, "learning_rate must be > 0"),
    ({"feature_fraction": 1.5}, "feature_fraction must be ≤ 1"),
    ({"num_leaves": 1}, "num_leaves must be at least 2"),
    ({"lambda_l2": -1}, "lambda_l2 must be ≥ 0"),
    ({"refit": "yes"}, "refit='yes': expected bool"),
    ({"log_target": "maybe"}, "log_target='maybe': expected auto, true or false"),
    ({"early_stopping_rounds": None}, "early_stopping_rounds=None: expected int"),
    ({"trees": 5}, "trees: unknown parameter"),
]


@pytest.mark.parametrize(("params", "message"), BAD_GBM_PARAMS)
def test_wrong_gbm_parameters_name_the_key_the_type_and_the_valid_keys(params, message):
    with pytest.raises(ConfigError) as info:
        GBMModel(**params)
    text = str(info.value)
    assert message in text
    assert "valid keys: " in text and "n_estimators" in text and "learning_rate" in text


def test_good_gbm_parameters_pass_and_ints_are_accepted_for_floats():
    m = GBMModel(n_estimators=10, learning_rate=1, lambda_l2=0, log_target=False, num_threads=0)
    assert m.params["learning_rate"] == 1.0 and isinstance(m.params["learning_rate"], float)
    assert GBMModel(max_bin=63, lambda_l1=0.5).params["max_bin"] == 63


def test_param_from_the_cli_reaches_the_model_as_a_config_error(tmp_path, make_table):
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    data = tmp_path / "t.csv"
    make_table().to_csv(data, index=False)
    cmd = ["chem", "train", str(data), "--target", "logp_like", "--model", "gbm"]
    res = CliRunner().invoke(
        app, [*cmd, "--param", "n_estimators=abc", "--out", str(tmp_path / "r")]
    )
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "n_estimators" in res.output
    assert "expected int" in res.output


def test_a_model_trained_with_several_threads_predicts_with_one_after_loading(
    tmp_path, make_table, fast_gbm
):
    """--jobs at training is not part of the model: a loaded model predicts the same values
    with one LightGBM thread (an OpenMP pool started with several threads hangs worker
    processes forked after it, as `chem screen --jobs 2` does)."""
    smiles = make_table()["smiles"].tolist()[:60]
    y = np.arange(60, dtype=float)[:, None] % 7
    model = GBMModel(features=SMALL, **{**fast_gbm, "num_threads": 2}).fit(
        smiles, y, ["regression"], seed=0
    )
    save_model(model, tmp_path / "m", "gbm")
    again = load_model(tmp_path / "m")
    assert again.params["num_threads"] == 1
    np.testing.assert_allclose(again.predict(smiles), model.predict(smiles), rtol=1e-12)


def test_a_smiles_that_does_not_parse_is_nan_in_predict_and_refused_in_fit(make_table):
    """Its feature row is all NaN; LightGBM sent it down every default branch: predict gave
    it a number (-2.9 on ESOL) and fit trained on it with its label."""
    from helixforge.chem.models.gbm import GBMModel
    from helixforge.core.errors import InputError

    t = make_table().head(40)
    model = GBMModel(n_estimators=10).fit(t["smiles"].tolist(), t[["logp_like"]].to_numpy(),
                                          ["regression"])  # fmt: skip
    pred = model.predict(["xx((", None, "CCO"])[:, 0]
    assert np.isnan(pred[:2]).all() and np.isfinite(pred[2])
    with pytest.raises(
        InputError, match=r"1 SMILES could not be read \(first: position 3, 'xx\(\('\)"
    ):
        GBMModel(n_estimators=10).fit(["CCO", "CCN", "CCC", "xx(("], [[1.0], [2.0], [3.0], [4.0]],
                                      ["regression"])  # fmt: skip
