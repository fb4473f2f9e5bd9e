"""`OnTargetModel` as a `core.estimator.Estimator`, the spacer-grouped split, and loading a
`helix crispr train-ontarget` run directory for scoring.

    est = OnTargetEstimator("gbm", params={"n_estimators": 300})
    est.fit(contexts, y[:, None], ["regression"], valid=(v_contexts, v_y[:, None]), seed=0)
    est.predict(contexts)            # (n, 1)

Two label scales (`target`):

- ``"rank"``: labels are per-group rank percentiles × 100 (0-100, made by the crispr reader).
  The model is fitted on them / 100 (the scale the networks and the shipped models use) and
  `predict` returns the calibrated 0-100 score, i.e. what `helix crispr score-ontarget` prints,
  on the label's scale.
- ``"raw"``: labels are the measured activities; `predict` returns the model's raw output in
  the same units (so conformal intervals and RMSE mean something), while `score-ontarget`
  still reports the calibrated 0-100 score.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.core.splits import Split, register_splitter
from helixforge.crispr.ontarget_features import encode_contexts
from helixforge.crispr.ontarget_models import OnTargetEnsemble, OnTargetModel

KINDS = ("gbm", "cnn")
TARGETS = ("rank", "raw")
DOMAIN = "crispr"


class OnTargetEstimator:
    """fit / predict / save / load around one `OnTargetModel` (see the module docstring)."""

    name = "ontarget"

    def __init__(
        self,
        kind: str = "gbm",
        *,
        params: dict[str, Any] | None = None,
        target: str = "rank",
        n_threads: int | None = None,
        device: str = "cpu",
    ) -> None:
        if kind not in KINDS:
            raise ConfigError(f"unknown on-target model kind {kind!r}", hint="use 'gbm' or 'cnn'")
        if target not in TARGETS:
            raise ConfigError(f"unknown on-target label scale {target!r}", hint="rank or raw")
        self.kind = kind
        self.params = dict(params or {})
        self.target = target
        self.n_threads = n_threads
        self.device = device
        self.model: OnTargetModel | None = None

    def _scale(self) -> float:
        return 100.0 if self.target == "rank" else 1.0

    def fit(
        self,
        X: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
    ) -> OnTargetEstimator:
        """Train on contexts and an (n, 1) activity column; `valid` drives early stopping."""
        if list(task_types) != ["regression"]:
            raise ConfigError(f"on-target models fit one regression target, not {list(task_types)}")
        y = np.asarray(y, dtype=float).reshape(len(X), -1)[:, 0] / self._scale()
        v = None
        if valid is not None and len(valid[0]):
            v = (list(valid[0]), np.asarray(valid[1], float).reshape(len(valid[0]), -1)[:, 0])
            v = (v[0], v[1] / self._scale())
        self.model = OnTargetModel(
            self.kind,
            params=self.params,
            target_transform="none",  # the crispr reader already made the labels
            seed=seed,
            n_threads=self.n_threads,
            device=self.device,
        )
        self.model.fit(list(X), y, valid=v)
        self.model.info["fitted_on"] = self.target
        self.params = self.model.params
        return self

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """(n, 1): the calibrated 0-100 score ("rank") or the raw output ("raw")."""
        if self.model is None:
            raise ConfigError("this OnTargetEstimator is not fitted", hint="call fit() first")
        codes, _ = encode_contexts(list(X))
        if self.target == "rank":
            out = self.model.predict_codes(codes)
        else:
            out = self.model.predict_raw_codes(codes)
        return np.asarray(out, dtype=float)[:, None]

    def save(self, path: str | os.PathLike) -> None:
        """config.json + LightGBM text or safetensors (`OnTargetModel.save`)."""
        if self.model is None:
            raise ConfigError("cannot save an unfitted OnTargetEstimator", hint="call fit() first")
        self.model.save(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> OnTargetEstimator:
        """A member folder written by `save`."""
        model = OnTargetModel.load(path)
        if not isinstance(model, OnTargetModel):
            raise InputError(f"{path}: an ensemble config where one on-target model was expected")
        est = cls(model.kind, params=model.params, target=model.info.get("fitted_on", "rank"))
        est.model = model
        return est


def _loader(name: str) -> type[OnTargetEstimator]:
    if name not in KINDS:
        raise InputError(
            f"model {name!r} in the run's model manifest is not an on-target model",
            hint="pass the --out directory of `helix crispr train-ontarget`",
        )
    return OnTargetEstimator


def load_ontarget_run(path: str | os.PathLike) -> OnTargetModel | OnTargetEnsemble:
    """The scorer of a `train-ontarget` run directory (the model manifest is checked first):
    its one model, or the mean of its ensemble members' 0-100 scores."""
    from helixforge.core.supervised import Ensemble, load_run_config

    p = Path(path)
    if not (p / "model").is_dir() and (
        (p / "manifest.json").is_file() or (p / "member_0").is_dir()
    ):
        p = p.parent  # the run's model/ folder was passed
    cfg = load_run_config(p, domain=DOMAIN)
    ens = Ensemble.load(p / "model", _loader, cfg["task_types"])
    members = [m.model for m in ens.members]
    return members[0] if len(members) == 1 else OnTargetEnsemble(members)


@register_splitter("spacer")
def spacer_split(
    n: int,
    *,
    spacers: Sequence[str],
    fractions: Sequence[float] = (0.81, 0.09, 0.1),
    seed: int = 0,
    **_: Any,
) -> Split:
    """Every copy of a spacer in one part. Each distinct spacer goes to test with probability
    `fractions[2]`; of the rest, a `fractions[1] / (fractions[0] + fractions[1])` share of the
    rows (at least one) goes to valid, whole spacers taken in a seeded random row order."""
    keys = np.asarray([str(s) for s in spacers])
    if len(keys) != n:
        raise ConfigError("the spacer split needs one spacer per row")
    uniq, inverse = np.unique(keys, return_inverse=True)
    is_test = np.random.default_rng(seed).random(len(uniq)) < fractions[2]
    rest, test = np.flatnonzero(~is_test[inverse]), np.flatnonzero(is_test[inverse])
    fit_share = fractions[0] + fractions[1]
    share = round(fractions[1] / fit_share, 12) if fit_share > 0 else 0.0
    n_valid = max(1, int(round(share * len(rest)))) if share > 0 and len(rest) else 0
    order = np.random.default_rng(seed).permutation(len(rest))
    sizes = np.bincount(inverse[rest], minlength=len(uniq))
    in_valid = np.zeros(len(uniq), dtype=bool)
    taken = 0
    for j in order:
        if taken >= n_valid:
            break
        g = inverse[rest[j]]
        if not in_valid[g]:
            in_valid[g] = True
            taken += sizes[g]
    to_valid = in_valid[inverse[rest[order]]]
    return Split(rest[order[~to_valid]], rest[order[to_valid]], test)
