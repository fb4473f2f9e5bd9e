"""Named registries: the one extension point for models, featurizers, architectures, splitters.

    MODELS = Registry("chem model", option="--model")

    @MODELS.register("gbm")
    def _gbm(**params): ...

    MODELS.get("gbm")(**params)      # unknown names raise ConfigError listing the known ones

Adding a model / featurizer / architecture is one new module with one `register` line. A
registry may name modules to import lazily (`lazy=`) so entries that need heavy libraries are
registered only when first looked up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from helixforge.core.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """name → object (a class or factory), with a clear error for unknown names."""

    def __init__(self, kind: str, option: str | None = None, lazy: Iterable[str] = ()):
        self.kind = kind
        self.option = option
        self._items: dict[str, T] = {}
        self._lazy = list(lazy)

    def register(self, name: str, obj: T | None = None) -> Any:
        """Register `obj` under `name`; used bare as a decorator when `obj` is omitted."""
        if obj is not None:
            self._add(name, obj)
            return obj

        def deco(o: T) -> T:
            self._add(name, o)
            return o

        return deco

    def _add(self, name: str, obj: T) -> None:
        if name in self._items and self._items[name] is not obj:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = obj

    def _load(self) -> None:
        while self._lazy:
            name = self._lazy[0]
            importlib.import_module(name)  # a failed import raises and stays pending
            if name in self._lazy:
                self._lazy.remove(name)

    def get(self, name: str) -> T:
        if name not in self._items:
            self._load()
        if name not in self._items:
            opt = f"{self.option} " if self.option else ""
            raise ConfigError(
                f"{opt}{name!r}: unknown {self.kind}",
                hint=f"choose one of: {', '.join(self.names())}",
            )
        return self._items[name]

    def __contains__(self, name: str) -> bool:
        self._load()
        return name in self._items

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def items(self) -> list[tuple[str, T]]:
        self._load()
        return sorted(self._items.items())


def call_registered(registry: Registry[Callable[..., Any]], name: str, **kwargs: Any) -> Any:
    """`registry.get(name)(**kwargs)`."""
    return registry.get(name)(**kwargs)
