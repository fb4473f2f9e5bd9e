"""Desirability transforms: a raw property value → a score in [0, 1].

    t = make_transform({"type": "sigmoid", "low": 5, "high": 8})
    t(np.array([4.0, 6.5, 9.0]))   # → array([0.03, 0.5, 0.97]) (vectorised; NaN → 0)

Each transform is a pure function of the raw value, vectorised over NumPy arrays, with its
parameters checked when it is built (`TRANSFORMS[name].params` lists them). The shapes:

| type            | parameters (default)           | score                                                |
|-----------------|--------------------------------|------------------------------------------------------|
| none            | –                              | the raw value clipped to [0, 1]                      |
| sigmoid         | low, high, k (0.5)             | rises from ≈0 at `low` to ≈1 at `high` (REINVENT's)  |
| reverse_sigmoid | low, high, k (0.5)             | 1 − sigmoid: falls from ≈1 at `low` to ≈0 at `high`  |
| double_sigmoid  | low, high, k (0.5), width      | ≈1 inside [low, high], soft edges `width` wide       |
| step            | low (-inf), high (+inf)        | 1 inside [low, high] (low = high: exactly), else 0   |
| maximise        | low, high                      | linear 0 at `low` → 1 at `high`, clipped             |
| minimise        | low, high                      | linear 1 at `low` → 0 at `high`, clipped             |
| gaussian        | mu, sigma                      | exp(−½((x−mu)/sigma)²)                               |
| max_gaussian    | mu, sigma                      | 1 for x ≥ mu, else the Gaussian (GuacaMol's)         |
| min_gaussian    | mu, sigma                      | 1 for x ≤ mu, else the Gaussian (GuacaMol's)         |
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError


class TransformError(ConfigError, ValueError):
    """A transform's parameters are wrong: `key` names the parameter at fault (or None). A
    ConfigError (so `make_transform` called from Python fails as the rest of the API does)
    and still a ValueError for code that caught it as one."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class TransformSpec:
    """A transform family: its required and optional parameters and the function."""

    name: str
    required: tuple[str, ...]
    optional: Mapping[str, float]
    fn: Callable[..., np.ndarray]
    doc: str

    @property
    def params(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


def _sig(x: np.ndarray, mid: float, span: float, k: float) -> np.ndarray:
    # REINVENT's sigmoid: 1 / (1 + 10^(-k·10·(x − mid)/span)), overflow-safe.
    z = -k * 10.0 * (x - mid) / span * math.log(10.0)
    return 1.0 / (1.0 + np.exp(np.clip(z, -700.0, 700.0)))


def _sigmoid(x, low, high, k):
    return _sig(x, (low + high) / 2.0, high - low, k)


def _reverse_sigmoid(x, low, high, k):
    return 1.0 - _sigmoid(x, low, high, k)


def _double_sigmoid(x, low, high, k, width):
    # rising edge centred on `low`, falling edge centred on `high`, each `width` wide
    return _sig(x, low, width, k) * (1.0 - _sig(x, high, width, k))


def _step(x, low, high):
    return ((x >= low) & (x <= high)).astype(float)


def _maximise(x, low, high):
    return np.clip((x - low) / (high - low), 0.0, 1.0)


def _minimise(x, low, high):
    return 1.0 - _maximise(x, low, high)


def _gaussian(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2)


def _max_gaussian(x, mu, sigma):
    return _gaussian(np.minimum(x, mu), mu, sigma)


def _min_gaussian(x, mu, sigma):
    return _gaussian(np.maximum(x, mu), mu, sigma)


def _none(x):
    return np.clip(x, 0.0, 1.0)


TRANSFORMS: dict[str, TransformSpec] = {
    s.name: s
    for s in (
        TransformSpec("none", (), {}, _none, "raw value clipped to [0, 1]"),
        TransformSpec("sigmoid", ("low", "high"), {"k": 0.5}, _sigmoid, "higher is better"),
        TransformSpec(
            "reverse_sigmoid", ("low", "high"), {"k": 0.5}, _reverse_sigmoid, "lower is better"
        ),
        TransformSpec(
            "double_sigmoid",
            ("low", "high"),
            {"k": 0.5, "width": math.nan},
            _double_sigmoid,
            "a window [low, high]",
        ),
        TransformSpec(
            "step", (), {"low": -math.inf, "high": math.inf}, _step, "hard window [low, high]"
        ),
        TransformSpec("maximise", ("low", "high"), {}, _maximise, "linear ramp up"),
        TransformSpec("minimise", ("low", "high"), {}, _minimise, "linear ramp down"),
        TransformSpec("gaussian", ("mu", "sigma"), {}, _gaussian, "a target value"),
        TransformSpec("max_gaussian", ("mu", "sigma"), {}, _max_gaussian, "at least mu"),
        TransformSpec("min_gaussian", ("mu", "sigma"), {}, _min_gaussian, "at most mu"),
    )
}
ALIASES = {"maximize": "maximise", "minimize": "minimise", "identity": "none"}


@dataclass(frozen=True)
class Transform:
    """A built transform: call it on an array of raw values to get scores in [0, 1]."""

    name: str
    params: Mapping[str, float]

    def __call__(self, raw: Any) -> np.ndarray:
        x = np.asarray(raw, dtype=float)
        with np.errstate(invalid="ignore", over="ignore"):
            y = TRANSFORMS[self.name].fn(x, **self.params)
        y = np.asarray(y, dtype=float)
        return np.where(np.isfinite(y), np.clip(y, 0.0, 1.0), 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.name, **{k: _json_number(v) for k, v in self.params.items()}}


def _json_number(v: float) -> float | str:
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TransformError(f"'{key}' must be a number, not {value!r}", key)
    try:
        out = float(value)
    except ValueError:
        raise TransformError(f"'{key}' must be a number, not {value!r}", key) from None
    if math.isnan(out):
        raise TransformError(f"'{key}' is NaN", key)
    return out


def make_transform(spec: Mapping[str, Any] | str | None) -> Transform:
    """Build a transform from its table ({"type": ..., params}) or bare name; checks every
    parameter (unknown, missing, non-numeric, low ≥ high, sigma ≤ 0) with a `TransformError`."""
    if spec is None:
        spec = {"type": "none"}
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, Mapping):
        raise TransformError("'transform' must be a table such as { type = \"sigmoid\", ... }")
    name = spec.get("type")
    if not isinstance(name, str):
        raise TransformError("the transform has no 'type'", "type")
    name = ALIASES.get(name.lower(), name.lower())
    if name not in TRANSFORMS:
        raise TransformError(f"unknown transform type {spec.get('type')!r}", "type")
    t = TRANSFORMS[name]
    for key in spec:
        if key != "type" and key not in t.params:
            raise TransformError(
                f"unknown parameter {key!r} for transform {name!r} (it takes {list(t.params)})",
                key,
            )
    params: dict[str, float] = {}
    for key in t.required:
        if key not in spec:
            raise TransformError(f"transform {name!r} needs {key!r}", key)
        params[key] = _number(spec[key], key)
    for key, default in t.optional.items():
        params[key] = _number(spec[key], key) if key in spec else default
    # infinity is an open end only for a step window (step, high = inf: "at least low"); any
    # other transform at ±inf gives every molecule the same score (0: sigmoid, high = inf)
    for key, v in params.items():
        if math.isinf(v) and name != "step":
            raise TransformError(
                f"'{key}' is infinite: the {name!r} transform would give every molecule the "
                'same score (for a one-sided window use type = "step" with only low or high)',
                key,
            )
    if "low" in params and "high" in params and not params["low"] < params["high"]:
        # a step window is closed: low = high = 0 is "exactly 0" (no fluorine, no charge)
        exact = name == "step" and params["low"] == params["high"] and math.isfinite(params["low"])
        if not exact:
            below = "at or below" if name == "step" else "below"
            raise TransformError(
                f"'low' ({params['low']}) must be {below} 'high' ({params['high']})", "low"
            )
    if name != "step" and "low" in params and not math.isfinite(params["high"] - params["low"]):
        # low = -1e308, high = 1e308: the span overflows and every molecule scores 0.5
        raise TransformError("'high' − 'low' is too large to compute (overflows)", "high")
    if "sigma" in params and not params["sigma"] > 0:
        raise TransformError("'sigma' must be > 0", "sigma")
    if "k" in params and not params["k"] > 0:
        raise TransformError("'k' must be > 0", "k")
    if name == "double_sigmoid":
        w = params["width"]
        if math.isnan(w):
            params["width"] = (params["high"] - params["low"]) / 2.0
        elif not w > 0:
            raise TransformError("'width' must be > 0", "width")
    return Transform(name, params)


def transform_names() -> list[str]:
    """The transform types a config may use."""
    return list(TRANSFORMS)
