"""The DNA architecture registry behind `--model`: one name → one entry, no if/else.

    @register_architecture("cnn", defaults={...}, fixed_length=True)
    def build_cnn(max_len, n_outputs, **params) -> nn.Module: ...

A torch architecture registers a module builder; `SequenceModel` trains any of them. An entry
with its own estimator (the `lm:PATH` adapter) registers `estimator=` instead and takes the
part after ':' as its argument. Adding an architecture is one module with one registration
line plus its name in `_LAZY` (so it is imported only when asked for).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helixforge.core.errors import ConfigError
from helixforge.core.registry import Registry

_LAZY = [
    "helixforge.dna.models.cnn",
    "helixforge.dna.models.resnet",
    "helixforge.dna.models.lm_adapter",
]


@dataclass(frozen=True)
class Architecture:
    """A registered `--model` entry.

    build: (max_len, n_outputs, **params) → torch module (torch architectures);
    estimator: (arg, task=, **options) → estimator (entries with their own estimator);
    defaults: the `--param` keys and their defaults (types are checked against them);
    fixed_length: inputs longer than the training length are refused;
    argument: the name of the ':' argument (e.g. 'PATH'), or None when none is taken.
    """

    name: str
    build: Callable[..., Any] | None = None
    estimator: Callable[..., Any] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    fixed_length: bool = False
    argument: str | None = None
    help: str = ""

    @property
    def usage(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name


ARCHITECTURES: Registry[Architecture] = Registry("DNA architecture", option="--model", lazy=_LAZY)


def register_architecture(name: str, **spec: Any) -> Callable[[Callable], Callable]:
    """Decorator: register a module builder (or, with `estimator=True`, an estimator factory)."""

    def deco(fn: Callable) -> Callable:
        as_estimator = spec.pop("estimator", False)
        key = "estimator" if as_estimator else "build"
        ARCHITECTURES.register(name, Architecture(name=name, **{key: fn}, **spec))
        return fn

    return deco


def architecture_names() -> list[str]:
    """Every `--model` value as typed on the command line (e.g. 'cnn', 'lm:PATH')."""
    return [a.usage for _, a in ARCHITECTURES.items()]


def parse_model_spec(spec: str) -> tuple[Architecture, str | None]:
    """'resnet' → (entry, None); 'lm:runs/x' → (entry, 'runs/x'). Unknown names list the valid."""
    name, sep, arg = str(spec).partition(":")
    if name not in ARCHITECTURES:
        raise ConfigError(
            f"--model {spec!r}: unknown DNA architecture",
            hint=f"choose one of: {', '.join(architecture_names())}",
        )
    arch = ARCHITECTURES.get(name)
    if arch.argument and not arg:
        raise ConfigError(f"--model {spec!r} needs a {arch.argument}: --model {arch.usage}")
    if sep and not arch.argument:
        raise ConfigError(f"--model {spec!r}: {name} takes no ':' argument")
    return arch, (arg or None)


def check_arch_params(params: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """`--param` values checked against `defaults`: the type (`core.options.check_param_types`),
    then a range read from the default, so a value torch would refuse mid-run (with a traceback)
    is a `ConfigError` before any work: an int is ≥ 1 (≥ 0 when its default is 0), a list is a
    non-empty list of such ints, a `*dropout` is in [0, 1), a `*fraction` in (0, 1], any other
    float ≥ 0."""
    from helixforge.core.errors import ConfigError
    from helixforge.core.options import check_param_types, require_float, require_int

    out = check_param_types(params, defaults)
    for key, value in out.items():
        ref, opt = defaults[key], f"--param {key}"
        try:
            if isinstance(ref, bool) or ref is None:
                continue
            if isinstance(ref, int):
                require_int(value, opt, min_value=0 if ref == 0 else 1)
            elif isinstance(ref, float) and key.endswith("dropout"):
                require_float(value, opt, low=0, high=1, high_open=True)
            elif isinstance(ref, float) and key.endswith("fraction"):
                require_float(value, opt, low=0, high=1, low_open=True)
            elif isinstance(ref, float):
                require_float(value, opt, low=0)
            elif isinstance(ref, list | tuple):
                if not isinstance(value, list | tuple) or not value:
                    raise ConfigError(f"{opt} must be a non-empty list, got {value!r}")
                for v in value:
                    require_int(v, f"{opt} (each value)", min_value=1)
        except ConfigError as exc:
            raise ConfigError(exc.message, hint=f"the default is {key}={ref!r}") from None
    return out
