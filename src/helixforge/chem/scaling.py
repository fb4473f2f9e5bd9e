"""Column standardisation of feature matrices, fitted on training rows and saved as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from helixforge.core.errors import ConfigError, InputError


@dataclass
class FeatureScaler:
    """Column standardisation fitted on training rows (NaN-aware; constant columns → 0).

    `transform` also replaces NaN with 0 (the training mean), as Chemprop does for descriptors.
    """

    mean: list[float] = field(default_factory=list)
    scale: list[float] = field(default_factory=list)

    def fit(self, X: np.ndarray) -> FeatureScaler:
        X = _matrix(X, "FeatureScaler.fit")
        with np.errstate(all="ignore"):
            mean = np.nanmean(X, axis=0) if len(X) else np.zeros(X.shape[1])
            std = np.nanstd(X, axis=0) if len(X) else np.ones(X.shape[1])
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
        self.mean, self.scale = mean.tolist(), std.tolist()
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = _matrix(X, "FeatureScaler.transform")
        if X.shape[1] != len(self.mean):
            raise (InputError if self.mean else ConfigError)(
                f"FeatureScaler.transform: X has {X.shape[1]} columns; the scaler was fitted "
                f"on {len(self.mean)}"
                if self.mean
                else "FeatureScaler.transform: the scaler is not fitted",
                hint="call fit(X_train) first" if not self.mean else None,
            )
        Z = (X - np.asarray(self.mean)) / np.asarray(self.scale)
        Z = np.clip(np.nan_to_num(Z, nan=0.0, posinf=0.0, neginf=0.0), -1e4, 1e4)
        return Z.astype(np.float32)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def to_json(self) -> str:
        return json.dumps({"mean": self.mean, "scale": self.scale})

    @classmethod
    def from_json(cls, text: str) -> FeatureScaler:
        try:
            d = json.loads(text)
            return cls(mean=list(d["mean"]), scale=list(d["scale"]))
        except (TypeError, ValueError, KeyError) as exc:
            raise InputError(f"FeatureScaler.from_json: damaged scaler JSON ({exc})") from None


def _matrix(X: object, where: str) -> np.ndarray:
    """X as a float64 (n, d) matrix, or InputError."""
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: X is not a numeric matrix ({exc})") from None
    if X.ndim != 2:
        raise InputError(f"{where}: X must be 2-D (n_rows, n_features), not shape {X.shape}")
    return X
