"""`auto`'s cross-validation resumes (chem.selection, `checkpoint=`): each finished candidate ×
fold is stored, an interrupted selection fits only the rest and decides as an uninterrupted
one; a stored fit made with other parameters, or a damaged file, is fitted again."""

from __future__ import annotations

import pytest
from interrupts import Interrupted, count_fits

from helixforge.chem.models.gbm import GBMModel
from helixforge.chem.selection import cv_fit_path, select_model


def _count_fits(monkeypatch, fail_at: int | None = None) -> list[int]:
    """Count GBMModel fits; raise `Interrupted` on fit number `fail_at` (1-based)."""
    return count_fits(monkeypatch, GBMModel, fail_at)


def _select(df, params, **kw):
    record: dict = {}
    chosen, scores = select_model(
        df["smiles"],
        df[["logp_like"]].to_numpy(),
        ["regression"],
        candidates=["gbm", "gbm-fast"],
        folds=3,
        params=params,
        record=record,
        **kw,
    )
    return chosen, scores, record


def test_an_interrupted_selection_fits_only_the_rest_and_decides_the_same(
    make_table, fast_gbm, tmp_path, monkeypatch
):
    df = make_table()
    params = {"gbm": fast_gbm, "gbm-fast": fast_gbm}
    whole = _select(df, params)  # no checkpoint: the reference
    ckpt = tmp_path / "auto_cv"
    calls = _count_fits(monkeypatch, fail_at=5)  # 2 candidates × 3 folds: dies on the 5th
    with pytest.raises(Interrupted):
        _select(df, params, checkpoint=ckpt)
    assert len(list(ckpt.glob("*.npz"))) == 4 and not list(ckpt.glob(".*"))  # no temp files
    calls.clear()
    logs: list[str] = []
    resumed = _select(df, params, checkpoint=ckpt, log=logs.append)
    assert len(calls) == 2  # the two fits that never finished
    assert any("4 of 6 cross-validation fits loaded" in m for m in logs)
    assert resumed == whole  # same choice, same losses to the last bit, same record
    calls.clear()
    assert _select(df, params, checkpoint=ckpt) == whole and not calls  # all six stored


def test_a_fit_stored_with_other_parameters_or_damaged_is_fitted_again(
    make_table, fast_gbm, tmp_path, monkeypatch
):
    df = make_table()
    ckpt = tmp_path / "auto_cv"
    params = {"gbm": fast_gbm, "gbm-fast": fast_gbm}
    _select(df, params, checkpoint=ckpt)
    calls = _count_fits(monkeypatch)
    other = {"gbm": fast_gbm, "gbm-fast": {**fast_gbm, "n_estimators": 20}}
    logs: list[str] = []
    changed = _select(df, other, checkpoint=ckpt, log=logs.append)
    assert len(calls) == 3  # gbm-fast's three folds; gbm's are reused
    assert any("other options or rows" in m for m in logs)
    assert changed == _select(df, other)  # and the result is that of the new parameters
    calls.clear()
    damaged = cv_fit_path(ckpt, "gbm", 1)
    assert damaged.exists()
    damaged.write_bytes(b"not an npz")
    logs.clear()
    assert _select(df, other, checkpoint=ckpt, log=logs.append) == changed
    assert len(calls) == 1 and any("cannot be read" in m for m in logs)
