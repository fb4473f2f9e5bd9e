"""`--model auto`: successive halving on validation data only, recorded in the run directory."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from helixforge.core.errors import ConfigError
from helixforge.dna.auto import AutoSearch, parse_candidates, successive_halving
from helixforge.dna.train import train_sequence_model

MOTIF = "TTGATTACAG"


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def motif_table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), 50))
        if i % 2:
            p = int(rng.integers(0, 40))
            s[p : p + 10] = list(MOTIF)
        seqs.append("".join(s))
        labels.append(i % 2)
    return pd.DataFrame({"sequence": seqs, "label": labels})


class FakeModel:
    """Predicts a fixed probability per candidate; records what it was fitted on."""

    quality = {"good": 0.9, "fair": 0.7, "poor": 0.5}
    fitted: list = []

    def __init__(self, name, epochs):
        self.name, self.epochs = name, epochs

    def fit(self, seqs, y, task_types, valid=None, seed=0):
        FakeModel.fitted.append((self.name, self.epochs, tuple(seqs), tuple(valid[0])))
        return self

    def predict(self, seqs):
        q = self.quality[self.name]
        y = np.array([s.startswith("T") for s in seqs], dtype=float)  # truth: starts with T
        return (q * y + (1 - q) * (1 - y))[:, None]


def test_successive_halving_keeps_the_better_half_and_never_sees_test():
    FakeModel.fitted = []
    train = (["TA", "CA", "TT", "GA"], np.array([[1.0], [0.0], [1.0], [0.0]]))
    valid = (["TC", "CC"], np.array([[1.0], [0.0]]))
    search = AutoSearch(candidates=("poor", "fair", "good"), epochs=1)
    chosen, trials = successive_halving(search, train, valid, ["binary"], FakeModel, max_epochs=8)
    assert chosen == "good"
    rung0 = [t.model for t in trials if t.rung == 0]
    rung1 = [t.model for t in trials if t.rung == 1]
    assert rung0 == ["poor", "fair", "good"] and sorted(rung1) == ["fair", "good"]
    assert [t.epochs for t in trials if t.rung == 1] == [8, 8]  # last two at the full epochs
    assert max(t.rung for t in trials) == 1
    # every fit used the training rows, every score the validation rows; nothing else
    assert {f[2] for f in FakeModel.fitted} == {tuple(train[0])}
    assert {f[3] for f in FakeModel.fitted} == {tuple(valid[0])}


def test_budget_stops_after_the_first_candidate():
    FakeModel.fitted = []
    train = (["TA", "CA"], np.array([[1.0], [0.0]]))
    search = AutoSearch(candidates=("fair", "good", "poor"), epochs=1, budget_seconds=1e-9)
    chosen, trials = successive_halving(search, train, train, ["binary"], FakeModel, max_epochs=4)
    assert len(trials) == 1 and chosen == "fair"


class PacedModel(FakeModel):
    """Like FakeModel, but 'slow' learns late: worse than 'fast' at a short rung, better at the
    full epochs (as the CNN on GUE prom_300_tata); 'diverged' predicts NaN; any other name is
    worse than both at every rung."""

    fitted: list = []

    def fit(self, seqs, y, task_types, valid=None, seed=0):
        PacedModel.fitted.append((self.name, self.epochs))
        return self

    def predict(self, seqs):
        if self.name == "diverged":
            return np.full((len(seqs), 1), np.nan)
        full = self.epochs >= 8
        q = {"fast": 0.8, "slow": 0.95 if full else 0.6, "twin": 0.8}.get(self.name, 0.55)
        y = np.array([s.startswith("T") for s in seqs], dtype=float)
        return (q * y + (1 - q) * (1 - y))[:, None]


TRAIN = (["TA", "CA", "TT", "GA"], np.array([[1.0], [0.0], [1.0], [0.0]]))
VALID = (["TC", "CC"], np.array([[1.0], [0.0]]))


@pytest.mark.parametrize(
    "candidates, rungs",
    [
        (("fast", "slow"), [1, 8]),  # two candidates were chosen after rung 0 at 1 epoch
        (("fast", "slow", "x"), [1, 8]),
        (("fast", "slow", "x", "y"), [1, 8]),
        (("fast", "slow", "x", "y", "z"), [1, 2, 8]),
    ],
)
def test_the_last_two_candidates_are_compared_at_the_full_epochs(candidates, rungs):
    PacedModel.fitted = []
    search = AutoSearch(candidates=candidates, epochs=1)
    chosen, trials = successive_halving(search, TRAIN, VALID, ["binary"], PacedModel, max_epochs=8)
    assert sorted({t.epochs for t in trials}) == rungs
    last = [t for t in trials if t.rung == max(t.rung for t in trials)]
    assert sorted(t.model for t in last) == ["fast", "slow"] and {t.epochs for t in last} == {8}
    assert chosen == "slow"  # loses to 'fast' at 1 epoch, wins at the full 8


def test_one_candidate_is_trained_once_and_chosen():
    PacedModel.fitted = []
    search = AutoSearch(candidates=("slow",), epochs=1)
    chosen, trials = successive_halving(search, TRAIN, VALID, ["binary"], PacedModel, max_epochs=8)
    assert chosen == "slow" and [(t.rung, t.epochs) for t in trials] == [(0, 1)]


def test_a_tie_goes_to_the_candidate_given_first_and_nan_never_wins():
    search = AutoSearch(candidates=("twin", "fast"), epochs=1)
    chosen, trials = successive_halving(search, TRAIN, VALID, ["binary"], PacedModel, max_epochs=8)
    assert chosen == "twin" and len(trials) == 4  # both reach the final rung
    search = AutoSearch(candidates=("fast", "twin"), epochs=1)
    assert (
        successive_halving(search, TRAIN, VALID, ["binary"], PacedModel, max_epochs=8)[0] == "fast"
    )
    # a diverged fit (NaN valid loss) compared as neither better nor worse, so it could win
    search = AutoSearch(candidates=("diverged", "fast"), epochs=1)
    chosen, trials = successive_halving(search, TRAIN, VALID, ["binary"], PacedModel, max_epochs=8)
    assert chosen == "fast"
    search = AutoSearch(candidates=("diverged", "x", "fast"), epochs=1)
    chosen, trials = successive_halving(search, TRAIN, VALID, ["binary"], PacedModel, max_epochs=8)
    assert chosen == "fast" and "diverged" not in {t.model for t in trials if t.rung == 1}


def test_a_resumed_search_reuses_finished_trials_and_trains_only_the_rest(tmp_path):
    cache = tmp_path / "auto_trials.json"
    search = AutoSearch(candidates=("fast", "slow"), epochs=1)
    args = (search, TRAIN, VALID, ["binary"], PacedModel)
    PacedModel.fitted = []
    chosen, trials = successive_halving(*args, max_epochs=8, cache=cache)
    assert len(PacedModel.fitted) == 4 and len(json.loads(cache.read_text())) == 4
    PacedModel.fitted = []  # everything finished: nothing is trained again
    assert successive_halving(*args, max_epochs=8, cache=cache) == (chosen, trials)
    assert PacedModel.fitted == []
    # interrupted after rung 0: only the final rung is trained
    cache.write_text(json.dumps(json.loads(cache.read_text())[:2]))
    assert successive_halving(*args, max_epochs=8, cache=cache)[0] == "slow"
    assert PacedModel.fitted == [("fast", 8), ("slow", 8)]
    # a cached trial of other epochs is not reused; a NaN loss (written as null) reads back
    rows = json.loads(cache.read_text())
    rows[2]["epochs"], rows[1]["valid_loss"] = 4, None
    cache.write_text(json.dumps(rows))
    PacedModel.fitted = []
    chosen, trials = successive_halving(*args, max_epochs=8, cache=cache)
    assert chosen == "slow" and PacedModel.fitted == [("fast", 8)]
    assert len(json.loads(cache.read_text())) == 4


def test_a_budget_used_up_by_rung_0_chooses_from_rung_0():
    import time

    class Sleepy(PacedModel):
        def fit(self, seqs, y, task_types, valid=None, seed=0):
            if self.name == "slow":
                time.sleep(0.3)
            return super().fit(seqs, y, task_types, valid=valid, seed=seed)

    search = AutoSearch(candidates=("fast", "slow"), epochs=1, budget_seconds=0.2)
    chosen, trials = successive_halving(search, TRAIN, VALID, ["binary"], Sleepy, max_epochs=8)
    assert [t.rung for t in trials] == [0, 0] and chosen == "fast"  # the best of rung 0


def test_auto_run_records_candidates_in_config_card_and_report(tmp_path):
    motif_table(240).to_csv(tmp_path / "train.csv", index=False)
    run = train_sequence_model(
        tmp_path / "train.csv", out=tmp_path / "run", epochs=2, batch_size=32, threads=1,
        auto=AutoSearch(epochs=1),
    )  # fmt: skip
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["model_requested"] == "auto"
    auto = cfg["auto"]
    assert cfg["model"] == auto["chosen"] == run.config["model"]
    assert {t["model"] for t in auto["trials"] if t["rung"] == 0} == {"cnn", "resnet", "resnet_pos"}
    assert all(np.isfinite(t["valid_loss"]) for t in auto["trials"])
    card = (tmp_path / "run" / "card.md").read_text()
    assert "## Model selection (--model auto)" in card and "resnet_pos" in card
    report = (tmp_path / "run" / "report.html").read_text()
    assert "--model auto chose" in report
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert set(metrics["selection"]) >= {"cnn@1ep", "resnet@1ep", "resnet_pos@1ep"}
    # each trial's wall-clock seconds are in timings.json only (they made config.json and
    # card.md differ between two runs of the same command and seed)
    assert all("seconds" not in t for t in auto["trials"]) and "| seconds |" not in card
    timed = json.loads((tmp_path / "run" / "timings.json").read_text())["auto_trials"]
    assert [(t["model"], t["rung"]) for t in timed] == [
        (t["model"], t["rung"]) for t in auto["trials"]
    ]
    assert all(t["seconds"] >= 0 for t in timed)


def test_the_final_rungs_winner_is_the_first_member_not_trained_twice(tmp_path, monkeypatch):
    """The final rung fits the winner on the training rows at the full --epochs with the run's
    seed, exactly as member 0 is fitted: auto hands that model over. The run is byte for byte
    the run of `--model <winner>`, with one fit fewer."""
    from helixforge.dna.models import SequenceModel

    motif_table(160).to_csv(tmp_path / "train.csv", index=False)
    fits = []
    real = SequenceModel.fit

    def fit(self, *a, **kw):
        fits.append(self.config.arch)
        return real(self, *a, **kw)

    monkeypatch.setattr(SequenceModel, "fit", fit)
    kw = dict(epochs=2, batch_size=32, threads=1, ensemble=2, seed=4)
    auto = train_sequence_model(
        tmp_path / "train.csv", out=tmp_path / "auto", **kw,
        auto=AutoSearch(candidates=("cnn", "resnet"), epochs=1),
    )  # fmt: skip
    chosen = auto.config["model"]
    assert len(fits) == 2 + 2 + 1  # rung 0, the final rung, then member 1 only
    train_sequence_model(tmp_path / "train.csv", out=tmp_path / "plain", model=chosen, **kw)
    # (metrics.json differs by auto's `selection` scores only)
    for name in ("model/member_0/model.safetensors", "model/member_1/model.safetensors",
                 "predictions.csv", "conformal.json"):  # fmt: skip
        assert (tmp_path / "auto" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"auto": AutoSearch(candidates=("cnn", "nope"))}, "nope"),
        ({"auto": AutoSearch(candidates=())}, "empty"),
        ({"auto": AutoSearch(candidates=("cnn", "cnn"))}, "repeats"),
        ({"auto": AutoSearch(epochs=0)}, "--auto-epochs"),
        ({"auto": AutoSearch(budget_seconds=-1)}, "--auto-budget"),
        ({"arch_params": {"position_bins": 4}}, "--model auto"),
    ],
)
def test_bad_auto_options_are_refused_before_work(tmp_path, kwargs, message):
    motif_table(40).to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(ConfigError, match=message):
        train_sequence_model(tmp_path / "train.csv", out=tmp_path / "run", **kwargs)
    assert not (tmp_path / "run").exists()


def test_parse_candidates():
    assert parse_candidates("cnn, resnet") == ("cnn", "resnet")
    assert parse_candidates(None) == ("cnn", "resnet", "resnet_pos")
    assert parse_candidates(("cnn", " resnet")) == ("cnn", "resnet")
    # a number was a raw TypeError ('int' object is not iterable)
    with pytest.raises(ConfigError, match="--auto-candidates must be a string or a list"):
        parse_candidates(5)
    with pytest.raises(ConfigError, match=r"--auto-candidates\[1\] must be a string"):
        parse_candidates(["cnn", None])


def test_cli_auto_is_the_default_and_bad_candidates_are_refused(tmp_path):
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    motif_table(200).to_csv(tmp_path / "t.csv", index=False)
    res = CliRunner().invoke(
        app,
        ["dna", "train", str(tmp_path / "t.csv"), "--epochs", "1", "--auto-epochs", "1",
         "--batch-size", "32", "-j", "1", "-o", str(tmp_path / "run")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["model_requested"] == "auto" and cfg["auto"]["chosen"] == cfg["model"]
    res = CliRunner().invoke(
        app,
        ["dna", "train", str(tmp_path / "t.csv"), "--auto-candidates", "cnn,auto",
         "-o", str(tmp_path / "run2")],
    )  # fmt: skip
    assert res.exit_code != 0 and "--auto-candidates" in res.output
    assert not (tmp_path / "run2").exists()
