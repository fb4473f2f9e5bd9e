"""Property models by name, from one registry.

    model = get_model("gbm", n_estimators=500)
    model = get_model("gbm-fast")                  # ECFP + lite descriptors: screening speed
    model = get_model("dmpnn-rdkit", epochs=30)
    model = get_model("lm:runs/smiles_bert")       # a fine-tuned chemical language model

Every model follows `helixforge.core.estimator.Estimator` (fit / predict / save / load).
Adding a model is one module and one registration:

    @MODELS.register("mymodel")
    def _mymodel(**params): return MyModel(**params)     # MyModel.load(path) reads it back
    MODEL_CLASSES.register("mymodel", lambda: MyModel)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, InputError
from helixforge.core.registry import Registry

MODEL_NAMES = ("gbm", "gbm-fast", "dmpnn", "dmpnn-rdkit", "lm:PATH")
GBM_NAMES = ("gbm", "gbm-fast")
LM_PREFIX = "lm:"

MODELS: Registry[Callable[..., Any]] = Registry("chem model", option="--model")
MODEL_CLASSES: Registry[Callable[[], type]] = Registry("chem model", option="--model")


def _dmpnn_class():
    try:
        from helixforge.chem.models.dmpnn import DMPNNModel
    except ImportError as exc:
        raise ConfigError(
            f"the D-MPNN model is not available ({exc})",
            hint="use --model gbm, or install the chem extras (torch)",
        ) from exc
    return DMPNNModel


def _gbm_class():
    from helixforge.chem.models.gbm import GBMModel

    return GBMModel


def _lm_class():
    from helixforge.chem.models.lm import lm_model_class

    return lm_model_class()


@MODELS.register("gbm")
def _gbm(**params: Any):
    return _gbm_class()(**params)


@MODELS.register("gbm-fast")
def _gbm_fast(**params: Any):
    from helixforge.chem.models.gbm import FAST_FEATURES

    return _gbm_class()(**{"features": FAST_FEATURES, **params})


@MODELS.register("dmpnn")
def _dmpnn(**params: Any):
    return _dmpnn_class()(**params)


@MODELS.register("dmpnn-rdkit")
def _dmpnn_rdkit(**params: Any):
    return _dmpnn_class()(**{**params, "features": "rdkit"})


for _name in GBM_NAMES:
    MODEL_CLASSES.register(_name, _gbm_class)
for _name in ("dmpnn", "dmpnn-rdkit"):
    MODEL_CLASSES.register(_name, _dmpnn_class)
MODEL_CLASSES.register("lm", _lm_class)


def dmpnn_available() -> bool:
    """True when `helixforge.chem.models.dmpnn` imports."""
    try:
        _dmpnn_class()
    except ConfigError:
        return False
    return True


def get_model(name: str, **params: Any):
    """A fresh, untrained model: a registered name or 'lm:PATH'. Unknown or badly typed
    parameters are a ConfigError (each model checks its own parameters)."""
    try:
        if name.startswith(LM_PREFIX):
            from helixforge.chem.models.lm import lm_property_model

            return lm_property_model(name[len(LM_PREFIX) :], **params)
        return MODELS.get(name)(**params)
    except TypeError as exc:
        if "unexpected keyword argument" not in str(exc) and "got an unexpected" not in str(exc):
            raise
        raise ConfigError(f"--model {name}: {exc}", hint="see the model's parameters") from None


def model_class(name: str):
    """The class that can `load()` a saved model of this name ('lm:…' → the LM estimator)."""
    if name.startswith("lm"):
        return MODEL_CLASSES.get("lm")()
    return MODEL_CLASSES.get(name)()


def save_model(model, path: str | os.PathLike, name: str) -> None:
    """`model.save(path)` plus a `helix_model.json` naming the class that loads it."""
    from helixforge.core.artifacts import save_json

    model.save(path)
    save_json({"model": name}, Path(path) / "helix_model.json")


def load_model(path: str | os.PathLike):
    """Load a model directory written by `save_model`."""
    meta = Path(path) / "helix_model.json"
    if not meta.exists():
        raise InputError(f"{path}: not a HelixForge model directory (helix_model.json missing)")
    try:
        name = json.loads(meta.read_text())["model"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{meta}: damaged model metadata ({exc})") from None
    return model_class(name).load(path)
