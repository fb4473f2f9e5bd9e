"""`blend`: a weighted average of two (or more) chem models' predictions.

    model = BlendModel(members=("gbm", "minimol-mlp"), weights=(0.6, 0.4)).fit(smiles, y, types)
    get_model("blend:gbm+minimol-mlp@0.6")     # the same, by name (what `auto` records)

`--model auto` scores a blend of its two best candidates (weight picked on their out-of-fold
CV predictions, per-fold losses cross-fitted) and chooses it only when it beats `gbm` by more
than the fold-to-fold noise (see `chem.selection`). `--param` values reach the members that
accept them (`chem.train.route_params` → `member_params`). Regression values and binary
probabilities are averaged; multiclass probabilities too (then argmax).
Saved as one sub-folder per member (each loadable on its own) + blend.json.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError

BLEND_PREFIX = "blend:"


def blend_name(members: Sequence[str], weights: Sequence[float]) -> str:
    """'blend:gbm+minimol-mlp@0.6' (the first member's weight; two members)."""
    return f"{BLEND_PREFIX}{'+'.join(members)}@{float(weights[0]):.2f}"


def parse_blend_name(name: str) -> tuple[list[str], list[float]]:
    """Inverse of `blend_name`: members and weights (summing to 1). The spec is checked by
    `chem.selection.check_blend_spec` first (the rule the CLI applies), so `blend:A+B@`
    (an '@' with no weight), a non-number weight, an unknown or repeated member are a
    ConfigError here too; with no '@' the members share the weight equally."""
    from helixforge.chem.selection import check_blend_spec

    body = check_blend_spec(name)[len(BLEND_PREFIX) :]
    names, at, w = body.partition("@")
    members = names.split("+")
    first = float(w) if at else 1.0 / len(members)
    rest = (1.0 - first) / (len(members) - 1)
    return members, [first] + [rest] * (len(members) - 1)


class BlendModel:
    """`PropertyModel`: the weighted mean of its members' per-task outputs."""

    name = "blend"
    uses_features = False

    def __init__(
        self,
        members: Sequence[str] = ("gbm", "minimol-mlp"),
        weights: Sequence[float] | None = None,
        member_params: dict[str, dict[str, Any]] | None = None,
    ):
        from helixforge.chem.models import get_model

        self.member_names = [str(m) for m in members]
        if len(self.member_names) < 2:
            raise ConfigError("a blend needs at least two member models")
        w = np.asarray(
            weights if weights is not None else [1.0] * len(self.member_names), dtype=float
        )
        if len(w) != len(self.member_names) or np.any(w < 0) or w.sum() <= 0:
            raise ConfigError(f"blend weights {list(w)} do not fit members {self.member_names}")
        self.weights = [float(v) for v in w / w.sum()]
        self.member_params = dict(member_params or {})
        self.members = [get_model(m, **self.member_params.get(m, {})) for m in self.member_names]
        self.task_types: list[str] = []

    def fit(
        self,
        smiles: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
    ) -> BlendModel:
        """Fit every member (same data, `valid` for their early stopping). `valid_pred_` holds
        the blend of the members' out-of-sample predictions of the valid rows."""
        from helixforge.chem.inputs import label_matrix, smiles_list, valid_pair

        smiles = smiles_list(smiles, "BlendModel.fit")  # every member reads it
        y = label_matrix(y, task_types, "BlendModel.fit", n=len(smiles))
        if valid is not None:
            v_smiles, v_y = valid_pair(valid, "BlendModel.fit")
            valid = (smiles_list(v_smiles, "BlendModel.fit", "valid smiles"), v_y)
        self.task_types = list(task_types)
        for m in self.members:
            m.fit(smiles, y, task_types, valid=valid, seed=seed)
        self.valid_pred_ = None
        if valid is not None and len(valid[0]):
            parts = []
            for m in self.members:
                vp = getattr(m, "valid_pred_", None)
                parts.append(vp if vp is not None else self._outputs(m, valid[0]))
            self.valid_pred_ = self._mix(parts)
        return self

    def _outputs(self, model, smiles: Sequence[str]) -> list[np.ndarray]:
        from helixforge.core.estimator import task_outputs

        return task_outputs(model, list(smiles), self.task_types)

    def _mix(self, parts: list[list[np.ndarray]]) -> list[np.ndarray]:
        return [
            sum(w * np.asarray(p[j], dtype=float) for w, p in zip(self.weights, parts))
            for j in range(len(self.task_types))
        ]

    def predict_proba_tasks(self, smiles: Sequence[str]) -> list[np.ndarray]:
        """Per task: blended (n,) values / P(1), or (n, k) class probabilities."""
        if not self.task_types:
            raise ConfigError("the blend is not trained yet", hint="call fit() or load() first")
        from helixforge.chem.inputs import smiles_list

        smiles = smiles_list(smiles, "BlendModel.predict")  # every member reads it
        return self._mix([self._outputs(m, smiles) for m in self.members])

    def predict(self, smiles: Sequence[str]) -> np.ndarray:
        """(n, n_tasks): values (regression), P(1) (binary), argmax class (multiclass)."""
        parts = self.predict_proba_tasks(smiles)
        return np.stack([p.argmax(axis=1).astype(float) if p.ndim == 2 else p for p in parts], 1)

    def predict_proba(self, smiles: Sequence[str]) -> np.ndarray:
        p = self.predict_proba_tasks(smiles)[0]
        return p if p.ndim == 2 else np.stack([1 - p, p], axis=1)

    def save(self, path: str | os.PathLike) -> None:
        """member_<i>/ (each a model folder with helix_model.json) + blend.json."""
        from helixforge.chem.models import save_model
        from helixforge.core.artifacts import save_json

        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        for i, (name, m) in enumerate(zip(self.member_names, self.members)):
            save_model(m, d / f"member_{i}", name)
        save_json(
            {"members": self.member_names, "weights": self.weights, "task_types": self.task_types},
            d / "blend.json",
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> BlendModel:
        from helixforge.chem.models.base import reading_model

        d = Path(path)
        if not (d / "blend.json").exists():
            raise InputError(f"{d}: not a blend model directory (blend.json missing)")
        with reading_model(d, "blend"):
            return cls._load(d)

    @classmethod
    def _load(cls, d: Path) -> BlendModel:
        from helixforge.chem.models import load_model

        meta = json.loads((d / "blend.json").read_text())
        model = cls.__new__(cls)
        model.member_names = list(meta["members"])
        model.weights = [float(w) for w in meta["weights"]]
        model.member_params = {}
        model.task_types = list(meta["task_types"])
        model.members = [load_model(d / f"member_{i}") for i in range(len(model.member_names))]
        return model
