"""`finetune_prior(resume=True)`: an interrupted transfer-learning run continues from its last
finished epoch and writes the bytes of an uninterrupted run; another option is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helixforge.chem.generate.prior import tiny_prior
from helixforge.core.errors import ConfigError
from helixforge.core.io import staging_path

# 36 distinct molecules the tiny prior can spell
ACTIVES = [f"C{'C' * i}{end}" for i in range(12) for end in ("O", "N", "Cl")]
OPTIONS = {"epochs": 4, "patience": 10, "augment": 2, "batch_size": 8, "seed": 3}


class Killed(Exception):
    """Stands in for a kill: raised right after the checkpoint of epoch `after`."""


def interrupt_after(monkeypatch, after: int) -> None:
    from helixforge.core import checkpoints

    real = checkpoints.save_checkpoint

    def save_then_die(path, **kw):
        done = real(path, **kw)
        if kw["state"]["epoch"] == after:
            raise Killed(f"killed after epoch {after}")
        return done

    monkeypatch.setattr(checkpoints, "save_checkpoint", save_then_die)


def files(run: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(run)): p.read_bytes()
        for p in sorted(run.rglob("*"))
        if p.is_file() and p.name != "timings.json"  # the wall-clock seconds differ
    }


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path / "base"
    tiny_prior(seed=0).save(base)
    actives = tmp_path / "actives.csv"
    actives.write_text("smiles\n" + "\n".join(ACTIVES) + "\n")
    return actives, base


def test_a_run_killed_after_epoch_2_of_4_resumes_to_the_uninterrupted_bytes(
    tmp_path: Path, inputs, monkeypatch
):
    from helixforge.chem.generate.finetune import finetune_prior

    actives, base = inputs
    out = tmp_path / "ft"
    whole = finetune_prior(actives, out, model=base, **OPTIONS)
    assert whole["epochs_run"] == 4
    reference = files(out)
    assert {"prior/config.json", "history.csv", "summary.json", "errors.csv"} <= set(reference)
    assert not any(name.startswith("checkpoint") or name == "resume.json" for name in reference)
    shutil.rmtree(out)

    interrupt_after(monkeypatch, 2)
    with pytest.raises(Killed):
        finetune_prior(actives, out, model=base, **OPTIONS)
    assert not out.exists() and (staging_path(out) / "checkpoint" / "state.json").is_file()
    monkeypatch.undo()

    said: list[str] = []
    resumed = finetune_prior(actives, out, model=base, resume=True, log=said.append, **OPTIONS)
    assert "resuming after epoch 2" in said
    assert [line.split(":")[0] for line in said if line.startswith("epoch ")] == [
        "epoch 3",
        "epoch 4",
    ]
    assert files(out) == reference  # every output file, byte for byte
    assert not staging_path(out).exists()
    assert {k: v for k, v in resumed.items() if k != "seconds"} == {
        k: v for k, v in whole.items() if k != "seconds"
    }


def test_a_resume_with_another_learning_rate_is_refused_by_name(
    tmp_path: Path, inputs, monkeypatch
):
    from helixforge.chem.generate.finetune import finetune_prior

    actives, base = inputs
    out = tmp_path / "ft"
    interrupt_after(monkeypatch, 1)
    with pytest.raises(Killed):
        finetune_prior(actives, out, model=base, **OPTIONS)
    monkeypatch.undo()
    with pytest.raises(ConfigError, match="lr") as refused:
        finetune_prior(actives, out, model=base, resume=True, **{**OPTIONS, "lr": 1e-3})
    assert "cannot resume" in refused.value.message
    # the unfinished run is kept: the original command still continues it
    assert (staging_path(out) / "checkpoint" / "state.json").is_file()
    s = finetune_prior(actives, out, model=base, resume=True, **OPTIONS)
    assert s["epochs_run"] == 4 and (out / "prior").is_dir()
