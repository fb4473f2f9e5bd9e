"""The scoring ledger's history during a design run: appended step by step, cut back on resume."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helixforge.chem.generate.history import (
    HISTORY,
    LIVE_HISTORY,
    ScoringLedger,
    load_step,
    save_step,
)


class LengthScorer:
    """A stand-in scoring function: score = len(smiles) / 100."""

    columns = ["score", "length"]

    def score(self, smiles):
        return pd.DataFrame(
            {"score": [len(s) / 100 for s in smiles], "length": [len(s) for s in smiles]}
        )


def _step(stage: Path, ledger: ScoringLedger, step: int, smiles: list[str]) -> None:
    ledger.evaluate(smiles, step)
    save_step(stage, step=step, ledger=ledger, state={"resume_key": {"k": 1}},
              write_files=lambda d: None)  # fmt: skip


def test_each_step_appends_its_rows_and_a_resume_drops_rows_after_the_last_checkpoint(tmp_path):
    ledger = ScoringLedger(LengthScorer(), budget=100)
    _step(tmp_path, ledger, 0, ["CCO", "CCN", "CCC"])
    first = (tmp_path / LIVE_HISTORY).read_bytes()
    _step(tmp_path, ledger, 1, ["CCO", "c1ccccc1", "CCCl"])  # CCO: cached, no new row
    live = (tmp_path / LIVE_HISTORY).read_bytes()
    assert live.startswith(first)  # appended, not rewritten
    assert live == ledger.history_frame().to_csv(index=False).encode()  # as one write gives
    assert not (tmp_path / "checkpoint" / HISTORY).exists()
    # a crash after step 2 appended its rows but before its checkpoint was swapped in
    ledger.evaluate(["CCCCCCO", "CCCCCN"], 2)
    from helixforge.chem.generate.history import append_history

    append_history(tmp_path / LIVE_HISTORY, ledger)
    state, rows = load_step(tmp_path, {"k": 1}, lambda d: None)
    assert state["step"] == 1 and state["used"] == 5
    assert [r["smiles"] for r in rows] == ["CCO", "CCN", "CCC", "c1ccccc1", "CCCl"]
    assert (tmp_path / LIVE_HISTORY).read_bytes() == live  # cut back to the checkpoint
    resumed = ScoringLedger(LengthScorer(), budget=100, rows=rows)
    _step(tmp_path, resumed, 2, ["CCCCCCO", "CCCCCN"])
    assert (tmp_path / LIVE_HISTORY).read_bytes() == (
        resumed.history_frame().to_csv(index=False).encode()
    )


def test_a_run_resumed_from_a_checkpoint_that_kept_the_history_inside_starts_the_live_file(
    tmp_path,
):
    """Checkpoints of the previous version held history.csv in checkpoint/ (no live file)."""
    from helixforge.chem.generate.history import append_history

    rows = [{"step": 0, "smiles": "CCO", "score": 0.03, "length": 3}]
    ledger = ScoringLedger(LengthScorer(), budget=10, rows=rows)  # as load_step gives them
    ledger.evaluate(["CCN"], 1)
    append_history(tmp_path / LIVE_HISTORY, ledger)
    assert (tmp_path / LIVE_HISTORY).read_bytes() == ledger.history_frame().to_csv(
        index=False
    ).encode()


def test_canonical_smiles_from_the_caller_are_the_keys_as_given():
    """evaluate(canonical=True) does not parse: the strings are the cache keys (None: invalid,
    scores 0 and costs nothing); on canonical input it gives what parsing gives."""
    import numpy as np

    parsed = ScoringLedger(LengthScorer(), budget=3)
    given = ScoringLedger(LengthScorer(), budget=3)
    batch = ["CCO", "c1ccccc1", "CCO", "CCN", "CCCl"]
    canon_p, scores_p = parsed.evaluate(batch, 0)
    canon_g, scores_g = given.evaluate(batch, 0, canonical=True)
    assert canon_p == canon_g == batch
    np.testing.assert_array_equal(scores_p, scores_g)  # CCCl: NaN, beyond the budget
    assert parsed.rows == given.rows and given.used == 3
    ledger = ScoringLedger(LengthScorer(), budget=10)
    canon, scores = ledger.evaluate(["OCC", None], 1, canonical=True)
    assert canon == ["OCC", None] and list(scores) == [0.03, 0.0]  # taken as given
    assert [r["smiles"] for r in ledger.rows] == ["OCC"]


def _design_key(optimizer: str = "ga", **changes) -> dict:
    """A resume key as `design.design` builds it (the options: every default of one optimizer)."""
    from helixforge.chem.generate.scoring_config import GA_DEFAULTS, RL_DEFAULTS

    ga = optimizer == "ga"
    key = {
        "config_sha256": "c" * 64, "prior_sha256": None if ga else "p" * 64,
        "optimizer": optimizer, "options": dict(GA_DEFAULTS if ga else RL_DEFAULTS),
        "budget": 50, "seed": 0, "start_sha256": "s" * 64 if ga else None,
    }  # fmt: skip
    for name, value in changes.items():
        if name in key["options"]:
            key["options"][name] = value
        else:
            key[name] = value
    return key


def _refusal(saved: dict, key: dict):
    import pytest

    from helixforge.chem.generate.history import check_design_resume
    from helixforge.core.checkpoints import versioned_key
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        check_design_resume(Path("/runs/out"), versioned_key(saved), key)
    return exc.value


def test_a_resume_with_another_optimizer_says_that_one_thing_and_how_to_continue():
    """--resume with --optimizer rl on a ga run listed ~20 differences: every setting of both
    optimizers, the prior and the start file. The refusal leads with the option the user set;
    what follows from it is counted, and the hint gives the value that continues the run."""
    err = _refusal(_design_key("ga"), _design_key("rl"))
    assert err.message.startswith(
        "-o /runs/out: cannot resume: the unfinished run used --optimizer ga, this run asks "
        "for --optimizer rl (and so"
    )
    assert "optimizer settings, the --prior model and the ga.start file differ" in err.message
    assert "options." not in err.message and "was None" not in err.message
    assert err.hint.startswith("to continue the unfinished run, rerun with --optimizer ga;")
    assert "give a new -o DIR (or --overwrite to start out over)" in err.hint


def test_a_resume_refusal_names_each_option_set_and_the_config_change_with_its_detail():
    err = _refusal(_design_key(), _design_key(budget=60, seed=3))
    assert err.message.endswith(
        "the unfinished run used --budget 50 --seed 0, this run asks for --budget 60 --seed 3"
    )
    assert "rerun with --budget 50 --seed 0" in err.hint
    # an [ga] setting edited in the config file: the file, then the setting (not 'options.')
    err = _refusal(_design_key(), _design_key(config_sha256="d" * 64, population=12))
    assert (
        "the --config file differs from the one the run started with (sha256 cccccccccccc… → "
        "dddddddddddd…), with it ga.population: was 100, now 12" in err.message
    )
    assert "rerun with the --config file the run started with, as it was then" in err.hint
    # a model file of a component (no option of the user's): every difference, as before
    err = _refusal(
        {**_design_key(), "qsar:model": "a" * 64}, {**_design_key(), "qsar:model": "b" * 64}
    )
    assert "other inputs or options (qsar:model: was 'aaaaaaaaaaaa…'" in err.message


def test_a_resume_with_another_optimizer_and_config_tells_what_follows_once():
    saved = _design_key("ga")
    err = _refusal(saved, _design_key("rl", config_sha256="d" * 64))
    assert (
        err.message.count("optimizer settings") == 1 and "the --config file differs" in err.message
    )
    assert "rerun with --optimizer ga and with the --config file the run" in err.hint
