"""Top-K from per-chunk pools equals the whole-library answer (brute force on random data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.screen.topk import Diversity, TopK, chunk_pool, order, select_hits


def candidates(smiles: list[str], n: int, seed: int) -> pd.DataFrame:
    """n rows drawing molecules (with repeats) and scores with many ties."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(smiles), n)
    return pd.DataFrame(
        {
            "row": rng.permutation(np.arange(2, 2 + n)),
            "score": rng.integers(0, 15, n) / 3.0,  # ties are the rule, not the exception
            "canonical_smiles": [smiles[i] for i in pick],
            "scaffold": [f"s{i % 7}" for i in pick],  # 7 scaffolds
        }
    )


def brute_force(frame: pd.DataFrame, top: int, diversity: Diversity) -> list[int]:
    ordered = order(frame)
    return ordered["row"].iloc[select_hits(ordered, top, diversity)].tolist()


def chunked(frame: pd.DataFrame, top: int, diversity: Diversity, size: int, seed: int):
    topk = TopK(top, diversity)
    parts = [frame.iloc[i : i + size] for i in range(0, len(frame), size)]
    for k in np.random.default_rng(seed).permutation(len(parts)):  # any finishing order
        pool, cut = chunk_pool(parts[k], diversity, topk.pool)
        topk.add(pool, cut)
    hits, exact = topk.result()
    return hits["row"].tolist() if len(hits) else [], exact


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    "diversity",
    [Diversity(), Diversity(max_per_scaffold=1), Diversity(max_per_scaffold=3)],
    ids=["plain", "scaffold1", "scaffold3"],
)
@pytest.mark.parametrize("top", [1, 5, 20])
def test_pools_give_the_global_top_k_without_a_distance_rule(smiles_list, seed, diversity, top):
    frame = candidates(smiles_list, 400, seed)
    for size in (7, 50, 400):
        hits, exact = chunked(frame, top, diversity, size, seed)
        assert exact  # 3·K pools always suffice (proof in topk's docstring)
        assert hits == brute_force(frame, top, diversity)


@pytest.mark.parametrize("seed", range(3))
def test_distance_rule_is_exact_when_certified(smiles_list, seed):
    frame = candidates(smiles_list, 300, seed)
    div = Diversity(min_distance=0.6, max_per_scaffold=2)
    hits, exact = chunked(frame, 10, div, 30, seed)
    assert exact
    assert hits == brute_force(frame, 10, div)


def test_a_too_small_pool_is_reported_not_hidden(smiles_list):
    frame = candidates(smiles_list, 300, 0)
    div = Diversity(min_distance=0.9)
    topk = TopK(10, div, pool=10)
    for i in range(0, 300, 30):
        topk.add(*chunk_pool(frame.iloc[i : i + 30], div, topk.pool))
    hits, exact = topk.result()
    assert not exact or hits["row"].tolist() == brute_force(frame, 10, div)


def test_hits_are_unique_molecules_sorted_by_score_then_row():
    frame = pd.DataFrame(
        {
            "row": [10, 3, 7, 5, 2],
            "score": [1.0, 2.0, 2.0, 0.5, 2.0],
            "canonical_smiles": ["CCc1ccccc1", "Nc1ccccc1", "Cc1ccccc1", "CCc1ccccc1", "Nc1ccccc1"],
            "scaffold": ["c1ccccc1"] * 5,
        }
    )
    assert brute_force(frame, 10, Diversity()) == [2, 7, 10]  # row 3 repeats row 2's molecule
    assert brute_force(frame, 10, Diversity(max_per_scaffold=2)) == [2, 7]


@pytest.mark.parametrize("size", [2, 7, 40])
def test_each_acyclic_molecule_is_its_own_scaffold_group(size):
    """Acyclic molecules all have the empty Bemis–Murcko scaffold; lumped into one group,
    --max-per-scaffold 1 let one of them be a hit, however many a library held. Each is its
    own group now (a molecule without a scaffold too); ring scaffolds are still capped."""
    acyclic = ["CCO", "CCN", "CCCC", "CC(=O)O", "NCCN", "OCCO", "CCCl", "CCOC"]
    rings = ["Cc1ccccc1", "Nc1ccccc1", "Oc1ccccc1"]
    frame = pd.DataFrame(
        {
            "row": range(2, 2 + len(acyclic) + len(rings) + 1),
            "score": np.arange(len(acyclic) + len(rings) + 1, 0, -1) / 2.0,
            "canonical_smiles": [*acyclic, *rings, "CCO"],  # the last repeats the first
            "scaffold": [""] * 7 + [None] + ["c1ccccc1"] * 3 + [""],
        }
    )
    div = Diversity(max_per_scaffold=1)
    expected = list(range(2, 2 + len(acyclic))) + [2 + len(acyclic)]  # one of the rings
    assert brute_force(frame, 20, div) == expected
    hits, exact = chunked(frame, 20, div, size, seed=0)
    assert exact and hits == expected


def test_min_distance_keeps_picks_apart():
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    smiles = ["CCCCCCO", "CCCCCCCO", "c1ccccc1O", "c1ccccc1CO", "C1CCNCC1"]
    frame = pd.DataFrame(
        {"row": range(5), "score": [5, 4, 3, 2, 1.0], "canonical_smiles": smiles, "scaffold": ""}
    )
    rows = brute_force(frame, 5, Diversity(min_distance=0.5))
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    fps = [gen.GetFingerprint(Chem.MolFromSmiles(smiles[r])) for r in rows]
    for i in range(len(fps)):
        for j in range(i):
            assert 1 - DataStructs.TanimotoSimilarity(fps[i], fps[j]) >= 0.5
    assert rows[0] == 0 and 1 not in rows  # heptanol is too close to hexanol
