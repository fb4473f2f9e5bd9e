"""Shared test helper: stand-in interrupts for resume tests (a kill in the middle of fitting)."""

from __future__ import annotations


class Interrupted(RuntimeError):
    """Stands in for a kill (not a refusal: a staging folder is kept for --resume)."""


def count_fits(monkeypatch, model_cls, fail_at: int | None = None) -> list[int]:
    """Count `model_cls.fit` calls; raise `Interrupted` on call number `fail_at` (1-based)."""
    calls: list[int] = []
    real = model_cls.fit

    def fit(self, *args, **kwargs):
        calls.append(1)
        if fail_at is not None and len(calls) == fail_at:
            raise Interrupted("killed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(model_cls, "fit", fit)
    return calls
