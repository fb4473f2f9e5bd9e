"""`helix chem design` end to end: outputs, report, resume after kill -9, determinism."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from kill9 import kill_after_first_chunk
from typer.testing import CliRunner

from helixforge.chem.generate.design import design
from helixforge.chem.generate.prior import tiny_prior
from helixforge.chem.generate.scoring import ScoringFunction
from helixforge.cli.app import app
from helixforge.core.errors import ConfigError

START = [
    "c1ccccc1",
    "CCO",
    "CCCCN",
    "Cc1ccncc1",
    "CC(=O)OC",
    "c1ccc2ccccc2c1",
    "CCN(CC)CC",
    "OC1CCCCC1",
]
CONFIG = """title = "paracetamol-like, drug-like"
[[component]]
name = "sim"
type = "similarity"
smiles = "CC(=O)Nc1ccc(O)cc1"
weight = 2
[[component]]
type = "qed"
[[component]]
name = "mw"
type = "property"
property = "mw"
transform = { type = "double_sigmoid", low = 100, high = 350 }
[ga]
start = "start.smi"
population = 10
offspring = 20
mutation_rate = 0.2
[rl]
batch_size = 16
max_len = 40
"""


@pytest.fixture
def config(tmp_path):
    (tmp_path / "start.smi").write_text("\n".join(START) + "\n", encoding="utf-8")
    path = tmp_path / "design.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _read(d):
    return {
        n: (d / n).read_bytes()
        for n in ("molecules.csv", "history.csv", "config.json", "report.html")
    }


def test_ga_design_end_to_end_with_report(config, tmp_path):
    out = tmp_path / "run"
    res = design(config, out, optimizer="ga", budget=80, seed=0)
    assert res.used == 80 and res.stopped == "budget"
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "config.json",
        "config.toml",
        "history.csv",
        "molecules.csv",
        "report.html",
        "timings.json",
    ]
    mols = pd.read_csv(out / "molecules.csv")
    hist = pd.read_csv(out / "history.csv")
    assert len(hist) == len(mols) == 80 and hist["smiles"].is_unique
    assert mols["score"].is_monotonic_decreasing and mols["rank"].tolist() == list(range(1, 81))
    for col in ("sim", "sim_raw", "qed", "qed_raw", "mw", "mw_raw", "step"):
        assert col in mols
    resolved = json.loads((out / "config.json").read_text())
    assert resolved["run"]["optimizer"] == "ga" and resolved["rl"]["sigma"] == 128.0
    assert (out / "config.toml").read_text() == CONFIG
    html = (out / "report.html").read_text()
    assert "Score trajectory" in html and html.count("data:image/png;base64,") >= 3
    timings = json.loads((out / "timings.json").read_text())
    parts = ("sampling_s", "scoring_s")
    assert timings["total_s"] >= sum(timings.get(k, 0.0) for k in parts)  # the start included
    assert not (tmp_path / ".run.partial").exists()


def test_rl_design_with_a_prior_directory_through_the_cli(config, tmp_path):
    prior_dir = tmp_path / "prior"
    tiny_prior(seed=0).save(prior_dir)
    out = tmp_path / "rl"
    args = ["chem", "design", "--config", str(config), "--optimizer", "rl", "--budget", "12"]
    res = CliRunner().invoke(
        app, [*args, "--prior", str(prior_dir), "-o", str(out), "-q", "-j", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "12 molecules scored" in res.output
    assert len(pd.read_csv(out / "history.csv")) == 12
    assert (out / "agent" / "manifest.json").is_file()  # the tuned agent is a prior directory


def test_same_seed_same_bytes(config, tmp_path):
    a = design(config, tmp_path / "a", optimizer="ga", budget=60, seed=5).out
    b = design(config, tmp_path / "b", optimizer="ga", budget=60, seed=5).out
    assert _read(a) == _read(b)


class _Counter:
    def __init__(self, monkeypatch):
        self.n = 0
        real = ScoringFunction.score

        def score(scorer, smiles):
            self.n += len(smiles)
            return real(scorer, smiles)

        monkeypatch.setattr(ScoringFunction, "score", score)


def test_resume_after_kill9_repeats_no_scoring_call(config, tmp_path, monkeypatch):
    budget = 90
    full = design(config, tmp_path / "full", optimizer="ga", budget=budget, seed=1).out
    out = tmp_path / "killed"
    args = ["chem", "design", "--config", str(config), "--optimizer", "ga", "--budget", str(budget)]
    kill_after_first_chunk([*args, "--seed", "1", "-o", str(out), "-q"], tmp_path / "marker")
    stage = tmp_path / ".killed.partial"
    done = json.loads((stage / "state.json").read_text())
    assert done["done"] == [0] and 0 < done["used"] < budget and not out.exists()
    counter = _Counter(monkeypatch)
    design(config, out, optimizer="ga", budget=budget, seed=1, resume=True)
    assert counter.n == budget - done["used"]  # only the calls not made before the kill
    assert _read(out) == _read(full)  # and the same run as one without a kill


def test_rl_resume_after_a_crash_gives_the_uninterrupted_run(config, tmp_path, monkeypatch):
    full = design(
        config, tmp_path / "full", optimizer="rl", budget=14, seed=2, prior=tiny_prior()
    ).out
    import helixforge.chem.generate.design as mod

    real = mod.save_step
    calls = {"n": 0}

    def crash_after_three(*a, **k):
        real(*a, **k)
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(mod, "save_step", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        design(config, tmp_path / "rl", optimizer="rl", budget=14, seed=2, prior=tiny_prior())
    monkeypatch.setattr(mod, "save_step", real)
    used = json.loads((tmp_path / ".rl.partial" / "state.json").read_text())["used"]
    counter = _Counter(monkeypatch)
    out = design(
        config, tmp_path / "rl", optimizer="rl", budget=14, seed=2, prior=tiny_prior(), resume=True
    ).out
    assert counter.n == 14 - used
    assert _read(out) == _read(full)


def test_resume_with_other_options_is_refused_by_name(config, tmp_path, monkeypatch):
    import helixforge.chem.generate.design as mod

    real = mod.save_step

    def crash(*a, **k):
        real(*a, **k)
        raise KeyboardInterrupt

    monkeypatch.setattr(mod, "save_step", crash)
    with pytest.raises(KeyboardInterrupt):
        design(config, tmp_path / "run", optimizer="ga", budget=50, seed=0)
    monkeypatch.setattr(mod, "save_step", real)
    with pytest.raises(ConfigError, match="used --budget 50, this run asks for --budget 60"):
        design(config, tmp_path / "run", optimizer="ga", budget=60, seed=0, resume=True)
    # another optimizer: that one difference, not every setting of both (tests/chem/generate/
    # test_history.py has the message whole)
    with pytest.raises(ConfigError, match="used --optimizer ga, this run asks for --optimizer rl"):
        design(config, tmp_path / "run", optimizer="rl", budget=50, seed=0, prior=tiny_prior(),
               resume=True)  # fmt: skip
    config.write_text(CONFIG.replace("weight = 2", "weight = 3"), encoding="utf-8")
    with pytest.raises(ConfigError, match="the --config file differs from the one the run"):
        design(config, tmp_path / "run", optimizer="ga", budget=50, seed=0, resume=True)


def test_novelty_against_the_priors_training_set(config, tmp_path):
    from helixforge.chem.generate.novelty import NoveltyReference

    prior = tiny_prior(seed=0)
    out = design(config, tmp_path / "a", optimizer="rl", budget=6, seed=0, prior=prior).out
    seen = pd.read_csv(out / "molecules.csv")["smiles"].tolist()[:2]
    prior.novelty = NoveltyReference.build(seen, n_items=10)
    out = design(config, tmp_path / "b", optimizer="rl", budget=6, seed=0, prior=prior).out
    mols = pd.read_csv(out / "molecules.csv")
    assert mols.loc[mols["smiles"].isin(seen), "novel"].eq(False).all()
    assert mols["novel"].sum() >= len(mols) - 2 - 1  # at most a Bloom false positive more
    assert "Novel (not in the prior" in (out / "report.html").read_text()


@pytest.mark.parametrize(
    ("smiles", "ga", "sizes"),
    [
        ("CCO\nCC\nC=O\n", "", "2–3"),  # below the default min_atoms = 5
        ("CCCCCCCCCCCC\nCCCCCCCCCCCCCC\n", "max_atoms = 10\n", "12–14"),
    ],
    ids=["too small", "too large"],
)
def test_ga_start_molecules_outside_the_atom_window_are_refused_before_work(
    tmp_path, smiles, ga, sizes
):
    """Every child outside min_atoms–max_atoms is refused, so start molecules all outside it
    made no new molecule: the run scored the starts, idled `patience` generations and stopped
    with 'no new molecule in 50 steps', never naming the window."""
    (tmp_path / "start.smi").write_text(smiles, encoding="utf-8")
    path = tmp_path / "design.toml"
    path.write_text(
        '[[component]]\ntype = "qed"\n[ga]\nstart = "start.smi"\n' + ga, encoding="utf-8"
    )
    with pytest.raises(ConfigError) as info:
        design(path, tmp_path / "run", optimizer="ga", budget=50)
    err = info.value
    assert err.message.startswith(f"{path}, line 4: ga.start: no start molecule has ")
    assert f"; they have {sizes})" in err.message
    assert "ga.min_atoms" in err.hint and "ga.max_atoms" in err.hint
    assert not (tmp_path / "run").exists()


def test_a_design_leaves_the_callers_torch_thread_count_as_it_was(config, tmp_path):
    """design(n_jobs=2) set torch's process-global thread count and left it: a later
    train-prior resume in the same process then computed in other float order (test order)."""
    import torch

    before = torch.get_num_threads()
    design(config, tmp_path / "run", optimizer="ga", budget=20, seed=0, n_jobs=before + 1,
           report=False)  # fmt: skip
    assert torch.get_num_threads() == before
