"""RL on a tiny prior: budget respected, duplicates free, diversity filter, agent updated."""

from __future__ import annotations

import numpy as np
import torch

from helixforge.chem.generate.history import ScoringLedger
from helixforge.chem.generate.prior import tiny_prior
from helixforge.chem.generate.rl import ReinforcementOptimizer, scaffold_of
from helixforge.chem.generate.scoring import load_scoring
from helixforge.chem.generate.scoring_config import RL_DEFAULTS, parse_design_text

CONFIG = '[[component]]\ntype = "qed"\n'


def _scorer():
    return load_scoring(parse_design_text(CONFIG))


def test_duplicates_and_invalid_smiles_do_not_consume_budget():
    ledger = ScoringLedger(_scorer(), budget=3)
    canon, scores = ledger.evaluate(["CCO", "OCC", "C(O)C", "not smiles", "c1ccccc1"], step=0)
    assert ledger.used == 2  # ethanol once (three spellings), benzene; the invalid one is free
    assert canon[:3] == ["CCO"] * 3 and canon[3] is None
    assert scores[3] == 0.0 and scores[0] == scores[1] == scores[2] > 0
    canon, scores = ledger.evaluate(["CCO", "CCN", "CCCl"], step=1)
    assert ledger.used == 3 and ledger.exhausted  # CCN took the last call
    assert np.isnan(scores[2])  # beyond the budget: not scored
    assert ledger.history_frame()["smiles"].tolist() == ["CCO", "c1ccccc1", "CCN"]
    assert ledger.history_frame()["step"].tolist() == [0, 0, 1]


def test_rl_respects_the_budget_and_updates_the_agent():
    prior = tiny_prior(seed=0)
    opts = {**RL_DEFAULTS, "batch_size": 32, "max_len": 40, "replay": 4, "memory_size": 10}
    rl = ReinforcementOptimizer(prior, opts, seed=0)
    ledger = ScoringLedger(_scorer(), budget=15)
    before = [p.detach().clone() for p in rl.agent.model.parameters()]
    step = 0
    while not ledger.exhausted and step < 200:
        rl.step(step, ledger)
        step += 1
    assert ledger.used == 15
    assert len(set(ledger.history_frame()["smiles"])) == 15
    moved = any(
        not torch.equal(a, b) for a, b in zip(before, rl.agent.model.parameters(), strict=True)
    )
    assert moved, "the agent's weights change"
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            tiny_prior(seed=0).model.parameters(), prior.model.parameters(), strict=True
        )
    ), "the prior stays frozen"
    assert np.isfinite(rl.last_loss)
    assert rl.memory and all(m["score"] > 0 for m in rl.memory)


def test_diversity_filter_penalises_full_scaffold_buckets():
    rl = ReinforcementOptimizer(
        tiny_prior(), {**RL_DEFAULTS, "bucket_size": 2, "min_score": 0.5}, seed=0
    )
    canon = ["c1ccccc1C", "c1ccccc1CC", "c1ccccc1CCC", "C1CCCCC1C", "c1ccccc1N"]
    out = rl._diversity(canon, np.array([0.9, 0.8, 0.7, 0.9, 0.3]))
    # benzene bucket fills after two; the third benzene scores 0; low scores are not counted
    assert out.tolist() == [0.9, 0.8, 0.0, 0.9, 0.3]
    assert rl.buckets == {"c1ccccc1": 2, "C1CCCCC1": 1}
    assert scaffold_of("CCO") == ""


def test_rl_is_deterministic_by_seed():
    def run(seed):
        rl = ReinforcementOptimizer(
            tiny_prior(), {**RL_DEFAULTS, "batch_size": 16, "max_len": 30}, seed=seed
        )
        ledger = ScoringLedger(_scorer(), budget=10)
        for step in range(40):
            if ledger.exhausted:
                break
            rl.step(step, ledger)
        return ledger.history_frame()

    assert run(1).equals(run(1))


def test_a_sequence_cut_at_max_len_is_no_molecule_to_score():
    # a cut sequence's prefix often parses ('C', 'N'): it was scored, and the agent was
    # rewarded for running out of tokens. With max_len 1 every non-empty sample is cut.
    prior = tiny_prior(seed=0)
    opts = {**RL_DEFAULTS, "batch_size": 32, "max_len": 1, "replay": 0}
    rl = ReinforcementOptimizer(prior, opts, seed=0)
    ledger = ScoringLedger(_scorer(), budget=50)
    rl.step(0, ledger)
    assert ledger.used == 0 and ledger.history_frame().empty
