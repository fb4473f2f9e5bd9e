"""Saving and loading a trained `DMPNNModel`: config.json, scaler.json, weights.safetensors (no
pickles; weights read through safetensors)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.chem.graphs import ATOM_DIM, BOND_DIM, FEATURIZER_VERSION
from helixforge.core.errors import ConfigError, InputError

N_QUANTILES = 101  # training-set quantiles kept per descriptor for the CDF scaling


def save_dmpnn(model: Any, path: str | os.PathLike) -> None:
    """Write a trained model's config.json, scaler.json and weights.safetensors into `path`."""
    from helixforge.core.artifacts import save_json
    from helixforge.core.training import save_weights

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    save_weights(model.net_, out / "weights.safetensors")
    save_json(
        {
            "target_mean": model.target_mean_,
            "target_std": model.target_std_,
            "descriptor_quantiles": model.descriptor_quantiles_,
        },
        out / "scaler.json",
    )
    save_json(
        {
            "model": model.name,
            "class": "helixforge.chem.models.dmpnn.DMPNNModel",
            "featurizer": FEATURIZER_VERSION,
            "atom_dim": ATOM_DIM,
            "bond_dim": BOND_DIM,
            # where it checkpointed while training is a runtime choice, not part of the model
            "params": {k: v for k, v in model.get_params().items() if k != "checkpoint_dir"},
            "task_types": model.task_types_,
            "n_classes": model.n_classes_,
            "best_epoch": model.best_epoch_,
            "history": model.history_,
        },
        out / "config.json",
    )


def load_dmpnn(cls: type, path: str | os.PathLike) -> Any:
    """Rebuild a trained `cls` (DMPNNModel) from a directory written by `save_dmpnn`."""
    from helixforge.core.artifacts import load_json
    from helixforge.core.training import load_weights

    src = Path(path)
    config = load_json(src / "config.json")
    if config.get("featurizer") != FEATURIZER_VERSION or config.get("atom_dim") != ATOM_DIM:
        raise ConfigError(
            f"{src}: model was trained with graph featurizer {config.get('featurizer')!r}, "
            f"this version uses {FEATURIZER_VERSION!r}",
            hint="retrain the model with this version of helixforge",
        )
    scaler = load_json(src / "scaler.json")
    model = cls(**config["params"])
    model.task_types_ = list(config["task_types"])
    model.n_classes_ = [int(k) for k in config["n_classes"]]
    model.best_epoch_ = int(config.get("best_epoch", -1))
    model.history_ = list(config.get("history", []))
    model.target_mean_ = np.asarray(scaler["target_mean"], dtype=np.float64)
    model.target_std_ = np.asarray(scaler["target_std"], dtype=np.float64)
    if scaler.get("descriptor_quantiles") is not None:
        q = np.asarray(scaler["descriptor_quantiles"], dtype=np.float64)
        model.descriptor_quantiles_ = q.reshape(N_QUANTILES, -1)
    model.net_ = model._build_net(model._extra_dim())
    weights = src / "weights.safetensors"
    if not weights.exists():
        raise InputError(f"{weights}: not found", hint="is this a saved D-MPNN model directory?")
    load_weights(model.net_, weights)
    model.net_.eval()
    return model
