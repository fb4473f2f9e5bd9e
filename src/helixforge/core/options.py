"""Option checks shared by the library API (the CLI states the same ranges in its options).

Each raises `ConfigError` naming the option and the accepted values, before any work starts.
"""

from __future__ import annotations

import math
import numbers
import operator
import re
from collections.abc import Iterable
from typing import Any

from helixforge.core.errors import ConfigError


def require_int(
    value: Any, option: str, *, min_value: int | None = 1, max_value: int | None = None
) -> int:
    """An integer within [min_value, max_value] (default: a positive integer).

    Python and NumPy integers are accepted, and floats with an integral value (3.0);
    booleans, NaN, infinities and text are not."""
    if isinstance(value, bool):
        raise ConfigError(f"{option} must be an integer, got {value!r}")
    try:
        value = operator.index(value)  # int, numpy integer
    except TypeError:
        if not (isinstance(value, numbers.Real) and math.isfinite(value) and value == int(value)):
            raise ConfigError(f"{option} must be an integer, got {value!r}") from None
        value = int(value)
    if min_value is not None and value < min_value:
        raise ConfigError(f"{option} must be at least {min_value}, got {value}")
    if max_value is not None and value > max_value:
        raise ConfigError(f"{option} must be at most {max_value}, got {value}")
    return value


def require_float(
    value: Any,
    option: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite float within the range; `low_open`/`high_open` exclude the bounds."""
    if isinstance(value, bool):
        raise ConfigError(f"{option} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{option} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ConfigError(f"{option} must be a finite number, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ConfigError(f"{option} must be {'>' if low_open else '≥'} {low}, got {v}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ConfigError(f"{option} must be {'<' if high_open else '≤'} {high}, got {v}")
    return v


def require_choice(value: Any, option: str, choices: Iterable[str]) -> str:
    """One of `choices` (the message lists them, and names the nearest one: 'Scaffold' → did
    you mean 'scaffold'?). Exact: callers use `value` as given, so a value in another case is
    refused here; the CLI normalises the case before the library sees it (`cli.common.choice`)."""
    choices = list(choices)
    if value not in choices:
        import difflib

        text = str(value).strip().lower()
        lower = {str(c).lower(): str(c) for c in choices}
        near = [lower[text]] if text in lower else []
        near = near or [lower[m] for m in difflib.get_close_matches(text, list(lower), n=1)]
        raise ConfigError(
            f"{option} {value!r} is not one of: {', '.join(choices)}",
            hint=f"did you mean {near[0]!r}?" if near else None,
        )
    return value


def parse_params(items: Iterable[str], option: str = "--param") -> dict[str, Any]:
    """KEY=VALUE strings → dict; values parsed as JSON when they are JSON, else kept as text."""
    import json

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"{option} {item!r} is not KEY=VALUE", hint=f"for example {option} n_estimators=500"
            )
        if key.strip() in out:
            raise ConfigError(f"{option} {key.strip()} is given twice", hint="give each key once")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = _non_finite(value)
    return out


_NON_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


def _non_finite(value: str) -> Any:
    """'nan' / 'inf' / '-Infinity' … as the float they spell (JSON reads only NaN and
    Infinity), so a numeric parameter is told 'must be a finite number' rather than 'expected
    float' for a number; any other text is kept."""
    return float(value) if value.strip().lower() in _NON_FINITE else value


def check_param_types(
    params: dict[str, Any], defaults: dict[str, Any], option: str = "--param"
) -> dict[str, Any]:
    """Check each param against the type of its default; unknown keys list the valid ones.

    An int default accepts integers, a float default accepts numbers, a bool default accepts
    true/false; a None default accepts anything.
    """
    out = dict(params)
    for key, value in params.items():
        if key not in defaults:
            raise ConfigError(
                f"{option} {key}: unknown parameter",
                hint=f"valid keys: {', '.join(sorted(defaults))}",
            )
        ref = defaults[key]
        ok = True
        if isinstance(ref, bool):
            ok = isinstance(value, bool)
        elif isinstance(ref, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(ref, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if ok and not math.isfinite(value):
                raise ConfigError(f"{option} {key}={value!r}: must be a finite number")
            if ok:
                out[key] = float(value)
        elif isinstance(ref, str):
            ok = isinstance(value, str)
        if not ok:
            raise ConfigError(
                f"{option} {key}={value!r}: expected {type(ref).__name__} (default {ref!r})"
            )
    return out


_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def require_device(spec: Any, option: str = "--device") -> str:
    """`spec` when it is auto, cpu, mps, cuda or cuda:N; otherwise a ConfigError before work."""
    if not isinstance(spec, str) or not _DEVICE.fullmatch(spec.strip()):
        raise ConfigError(
            f"{option} {spec!r} is not a device", hint="use auto, cpu, cuda, cuda:N or mps"
        )
    return spec.strip()
