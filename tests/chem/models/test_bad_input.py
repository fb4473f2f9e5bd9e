"""Property models called from Python with what a notebook user passes: wrong containers, labels
that do not fit, models used before training, damaged model folders. Each is a HelixError naming
the argument (or the folder), never a LightGBM / JSON / IndexError traceback or a silent result."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from helixforge.chem.models import get_model, load_model, save_model
from helixforge.chem.models.gbm import GBMModel
from helixforge.core.errors import ConfigError, InputError

SMILES = ["CCO", "CCN", "CCC", "c1ccccc1", "c1ccccc1O", "CC(=O)O", "CCCl", "CCBr", "CCCO", "CCCN"]
SMILES = SMILES * 2
Y = np.arange(len(SMILES), dtype=float)


def _gbm():
    return get_model("gbm-fast", n_estimators=5)


@pytest.fixture(scope="module")
def saved_gbm(tmp_path_factory):
    d = tmp_path_factory.mktemp("gbm")
    save_model(_gbm().fit(SMILES, Y, ["regression"]), d, "gbm-fast")
    return d


@pytest.mark.parametrize(
    "call,error,pattern",
    [
        (lambda m: m.fit("CCO", [1.0], ["regression"]), InputError, "one string"),
        (lambda m: m.fit(None, Y, ["regression"]), InputError, "smiles is None"),
        (lambda m: m.fit(SMILES, Y[:5], ["regression"]), InputError, "20 molecules but 5 rows"),
        (lambda m: m.fit(SMILES[:5], Y, ["regression"]), InputError, "5 molecules but 20 rows"),
        (lambda m: m.fit(SMILES, ["a"] * 20, ["regression"]), InputError, "not a number"),
        (lambda m: m.fit(SMILES, np.where(Y > 15, np.inf, Y), ["regression"]), InputError, "inf"),
        (lambda m: m.fit(SMILES, Y, "regression"), ConfigError, "task_types is one string"),
        (lambda m: m.fit(SMILES, Y, ["binary"]), InputError, "binary but has labels"),
        (lambda m: m.fit(SMILES, -np.ones(20), ["multiclass"]), InputError, "0..k-1"),
        (lambda m: m.fit(SMILES, np.full(20, 1.5), ["multiclass"]), InputError, "0..k-1"),
        (lambda m: m.fit(SMILES, Y, ["regression"], seed="a"), ConfigError, "seed"),
        (
            lambda m: m.fit(SMILES, Y, ["regression"], valid=(SMILES[:4], Y[:3])),
            InputError,
            r"\(valid\): 4 molecules but 3 rows",
        ),
        (
            lambda m: m.fit(SMILES, Y, ["regression"], valid=("CCO", [1.0])),
            InputError,
            "one string",
        ),
        (lambda m: m.fit(SMILES, Y, ["regression"], valid=SMILES), ConfigError, "pair"),
        (
            lambda m: m.fit(SMILES, Y, ["regression"], features=np.zeros((3, 4))),
            InputError,
            "features has shape",
        ),
    ],
)
def test_gbm_fit_names_the_bad_argument(call, error, pattern):
    """Before: IndexError (labels of another length), LightGBMError (multiclass -1), a binary
    model silently trained on labels 0..19, multiclass 1.5 truncated, inf labels dropped."""
    with pytest.raises(error, match=pattern):
        call(_gbm())


def test_gbm_predict_refuses_odd_containers_and_features(saved_gbm):
    model = load_model(saved_gbm)
    with pytest.raises(InputError, match="one string"):
        model.predict("CCO")  # it gave 3 rows, one per character
    with pytest.raises(InputError, match="DataFrame"):
        import pandas as pd

        model.predict(pd.DataFrame({"smiles": SMILES}))
    with pytest.raises(InputError, match="features has shape"):
        model.predict(None, features=np.zeros((2, 5)))
    assert model.predict(np.array(SMILES[:3])).shape == (3, 1)
    assert model.predict(s for s in SMILES[:3]).shape == (3, 1)


def test_load_model_refuses_a_non_path():
    with pytest.raises(InputError, match="path must be a folder path"):
        load_model(None)
    with pytest.raises(ConfigError, match="a model name is a string"):
        get_model(None)


def _damage(src, dst, name, text):
    shutil.copytree(src, dst)
    (dst / name).write_text(text)
    return dst


@pytest.mark.parametrize(
    "name,text,pattern",
    [
        ("gbm.json", "{not json", "damaged or incomplete GBM model folder"),
        ("gbm.json", "{}", r"damaged or incomplete GBM model folder \(KeyError"),
        ("task_0.txt", "garbage", "damaged or incomplete GBM model folder"),
        ("helix_model.json", '["gbm"]', "damaged model metadata"),
        ("helix_model.json", '{"model": 5}', "damaged model metadata"),
    ],
)
def test_a_damaged_gbm_folder_is_named(saved_gbm, tmp_path, name, text, pattern):
    d = _damage(saved_gbm, tmp_path / "m", name, text)
    with pytest.raises(InputError, match=pattern):
        load_model(d)


def test_gbm_files_that_do_not_belong_together(saved_gbm, tmp_path):
    d = tmp_path / "m"
    shutil.copytree(saved_gbm, d)
    meta = json.loads((d / "gbm.json").read_text())
    meta["features"]["descriptors"] = "standard"  # another width than the booster's
    (d / "gbm.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="do not belong together"):
        GBMModel.load(d)
    (d / "task_0.txt").unlink()
    with pytest.raises(InputError, match="damaged or incomplete"):
        GBMModel.load(d)


def test_dmpnn_checks_its_arguments_and_folder(tmp_path):
    pytest.importorskip("torch")
    model = get_model("dmpnn", epochs=1, hidden=16, depth=2, ffn_hidden=16)
    with pytest.raises(InputError, match="one string"):
        model.fit("CCO", [1.0], ["regression"])
    with pytest.raises(InputError, match="not a number"):
        model.fit(SMILES, ["a"] * 20, ["regression"])
    with pytest.raises(InputError, match="DMPNNModel.fit: 20 molecules but 5 rows"):
        model.fit(SMILES, Y[:5], ["regression"])
    model.fit(SMILES[:10], Y[:10], ["regression"])
    with pytest.raises(InputError, match="one string"):
        model.predict("CCO")
    gen = (s for s in SMILES[:3])
    assert model.predict_proba(gen).shape == (3, 1)  # a generator read once, not twice
    save_model(model, tmp_path / "d", "dmpnn")
    (tmp_path / "d" / "scaler.json").write_text("{")
    with pytest.raises(InputError, match="scaler.json: corrupt or truncated JSON"):
        load_model(tmp_path / "d")
    save_model(model, tmp_path / "e", "dmpnn")
    (tmp_path / "e" / "scaler.json").write_text("{}")
    with pytest.raises(InputError, match=r"damaged or incomplete D-MPNN model folder \(KeyError"):
        load_model(tmp_path / "e")


def test_mlp_checks_labels_and_a_damaged_folder(tmp_path):
    pytest.importorskip("torch")
    from helixforge.chem.models.mlp import MiniMolMLP

    emb = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32)
    model = MiniMolMLP(members=1, epochs=1, hidden=8)
    with pytest.raises(InputError, match="not a number"):
        model.fit(SMILES, ["a"] * 20, ["regression"], embeddings=emb)
    with pytest.raises(InputError, match="20 molecules but 5 rows"):
        model.fit(SMILES, Y[:5], ["regression"], embeddings=emb)
    model.fit(SMILES, Y, ["regression"], embeddings=emb)
    model.save(tmp_path / "m")
    (tmp_path / "m" / "mlp.safetensors").write_bytes(b"garbage")
    with pytest.raises(InputError, match="damaged or incomplete MiniMol-MLP model folder"):
        MiniMolMLP.load(tmp_path / "m")


def test_a_model_folder_naming_an_unknown_model(saved_gbm, tmp_path):
    d = _damage(saved_gbm, tmp_path / "m", "helix_model.json", '{"model": "zzz"}')
    with pytest.raises(InputError, match="helix_model.json: names model 'zzz'"):
        load_model(d)  # was ConfigError '--model zzz' as if an option had been given


def test_a_numpy_float_threshold_and_an_lm_lookalike_name_are_read_right():
    import numpy as np

    from helixforge.chem.models import model_class
    from helixforge.chem.splits import ecfp_clusters
    from helixforge.core.errors import ConfigError

    assert len(ecfp_clusters(["CCO", "CCN", "c1ccccc1"], threshold=np.float32(0.5))) == 3
    with pytest.raises(ConfigError, match="unknown chem model"):
        model_class("lmx")  # was taken for an LM


def test_running_out_of_memory_while_loading_is_not_called_a_damaged_folder(tmp_path):
    from helixforge.chem.models.base import reading_model

    with pytest.raises(MemoryError), reading_model(tmp_path, "gbm"):
        raise MemoryError
