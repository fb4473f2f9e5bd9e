"""The graph GA: operators make valid molecules; a seeded run improves a simple objective."""

from __future__ import annotations

import numpy as np
from rdkit import Chem

from helixforge.chem.generate.ga import GeneticOptimizer
from helixforge.chem.generate.ga_ops import MUTATIONS, crossover, mutate, rings_ok
from helixforge.chem.generate.history import ScoringLedger
from helixforge.chem.generate.scoring import load_scoring
from helixforge.chem.generate.scoring_config import GA_DEFAULTS, parse_design_text

TARGET = "CC(=O)Nc1ccc(O)cc1"  # paracetamol
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
CONFIG = f"""[[component]]
type = "similarity"
smiles = "{TARGET}"
"""


def _ga(seed: int = 0, **options) -> GeneticOptimizer:
    opts = {**GA_DEFAULTS, "population": 20, "offspring": 40, "mutation_rate": 0.3, **options}
    return GeneticOptimizer(opts, seed=seed, start=START)


def _run(seed: int, budget: int) -> ScoringLedger:
    ledger = ScoringLedger(load_scoring(parse_design_text(CONFIG)), budget)
    ga = _ga(seed)
    step = 0
    while not ledger.exhausted and step < 60:
        ga.step(step, ledger)
        step += 1
    return ledger


def test_operators_give_valid_molecules_within_the_rules():
    rng = np.random.default_rng(0)
    a = Chem.MolFromSmiles("CC1=CC=C(C=C1)C1=CC(=NN1C1=CC=C(C=C1)S(N)(=O)=O)C(F)(F)F")
    b = Chem.MolFromSmiles("COc1ccccc1OCC(O)CN2CCN(CC(=O)Nc3c(C)cccc3C)CC2")
    children = [crossover(a, b, rng, 5, 60) for _ in range(30)]
    children += [mutate(a, rng, 5, 60) for _ in range(30)]
    made = [c for c in children if c is not None]
    assert len(made) >= 50
    for c in made:
        smi = Chem.MolToSmiles(c)
        assert Chem.MolFromSmiles(smi) is not None and "." not in smi
        assert 5 <= c.GetNumHeavyAtoms() <= 60 and rings_ok(c)
    assert len(MUTATIONS) == 7


def test_ring_rules():
    assert rings_ok(Chem.MolFromSmiles("c1ccccc1CC"))
    assert not rings_ok(Chem.MolFromSmiles("C1CCCCCCC1"))  # macrocycle
    assert not rings_ok(Chem.MolFromSmiles("C1=CC1"))  # double bond in a 3-ring


def test_ga_improves_a_simple_objective_on_a_small_budget():
    ledger = _run(seed=0, budget=400)
    hist = ledger.history_frame()
    start_best = hist.loc[hist["step"] == 0, "score"].max()
    assert ledger.used == 400
    assert hist["score"].max() > start_best + 0.15


def test_ga_is_deterministic_by_seed():
    a = _run(seed=3, budget=150).history_frame()
    b = _run(seed=3, budget=150).history_frame()
    c = _run(seed=4, budget=150).history_frame()
    assert a.equals(b)
    assert not a["smiles"].equals(c["smiles"])


def test_population_keeps_the_best_distinct_molecules():
    ga = _ga(population=3)
    ga._select(
        [],
        [],
        ["CCO", "CCN", None, "CCO", "CCC", "CCCl"],
        np.array([0.2, 0.9, 0.0, 0.2, np.nan, 0.5]),
    )
    assert ga.population == ["CCN", "CCCl", "CCO"]
    assert ga.scores == [0.9, 0.5, 0.2]
