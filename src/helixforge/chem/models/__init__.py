"""Property models by name.

    model = get_model("gbm", n_estimators=500)
    model = get_model("gbm-fast")                  # ECFP + lite descriptors: screening speed
    model = get_model("dmpnn-rdkit", epochs=30)
    model = get_model("lm:runs/smiles_bert")       # a fine-tuned chemical language model

Every model follows `helixforge.chem.models.base.PropertyModel` (fit / predict / save / load).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, InputError

MODEL_NAMES = ("gbm", "gbm-fast", "dmpnn", "dmpnn-rdkit", "lm:PATH")
GBM_NAMES = ("gbm", "gbm-fast")


def _dmpnn_class():
    try:
        from helixforge.chem.models.dmpnn import DMPNNModel
    except ImportError as exc:
        raise ConfigError(
            f"the D-MPNN model is not available ({exc})",
            hint="use --model gbm, or install the chem extras (torch)",
        ) from exc
    return DMPNNModel


def dmpnn_available() -> bool:
    """True when `helixforge.chem.models.dmpnn` imports."""
    try:
        _dmpnn_class()
    except ConfigError:
        return False
    return True


def get_model(name: str, **params: Any):
    """A fresh, untrained model: 'gbm', 'gbm-fast', 'dmpnn', 'dmpnn-rdkit' or 'lm:PATH'.

    Unknown parameters (e.g. `--param n_estimators=500` given to a D-MPNN) are a ConfigError
    that lists the parameters the model takes."""
    try:
        return _build_model(name, **params)
    except TypeError as exc:
        if "unexpected keyword argument" not in str(exc):
            raise
        import inspect

        cls = model_class(name) if not name.startswith("lm:") else None
        accepted = (
            [p for p in inspect.signature(cls.__init__).parameters if p not in {"self", "kwargs"}]
            if cls is not None
            else []
        )
        raise ConfigError(
            f"model {name!r} does not take that parameter ({exc})",
            hint=("parameters it takes: " + ", ".join(accepted)) if accepted else None,
        ) from None


def _build_model(name: str, **params: Any):
    if name in GBM_NAMES:
        from helixforge.chem.models.gbm import FAST_FEATURES, GBMModel

        if name == "gbm-fast":
            params.setdefault("features", FAST_FEATURES)
        return GBMModel(**params)
    if name == "dmpnn":
        return _dmpnn_class()(**params)
    if name == "dmpnn-rdkit":
        return _dmpnn_class()(**{**params, "features": "rdkit"})
    if name.startswith("lm:"):
        from helixforge.chem.models.lm import lm_property_model

        return lm_property_model(name[3:], **params)
    raise ConfigError(
        f"unknown model {name!r}", hint=f"choose one of: {', '.join(MODEL_NAMES)} or auto"
    )


def model_class(name: str):
    """The class that can `load()` a saved model of this name."""
    if name in GBM_NAMES:
        from helixforge.chem.models.gbm import GBMModel

        return GBMModel
    if name in ("dmpnn", "dmpnn-rdkit"):
        return _dmpnn_class()
    if name.startswith("lm"):
        from helixforge.chem.models.lm import lm_model_class

        return lm_model_class()
    raise ConfigError(f"unknown model {name!r}")


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
    name = json.loads(meta.read_text())["model"]
    return model_class(name).load(path)
