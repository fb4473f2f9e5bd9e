import random
from collections import defaultdict

import numpy as np
import pytest

import helixforge.chem  # noqa: F401  (registers the splitters)
from helixforge.chem.splits import murcko_scaffold, scaffold_groups, tdc_scaffold_split
from helixforge.core.splits import available_splitters, make_split
from helixforge.datasets.registry import mirror_root


def test_importing_chem_registers_scaffold_and_cluster():
    assert {"scaffold", "cluster"} <= set(available_splitters())


def test_murcko_scaffold():
    assert murcko_scaffold("c1ccccc1CCO") == "c1ccccc1"
    assert murcko_scaffold("CCO") == ""
    assert murcko_scaffold("xx") is None


def test_scaffold_split_never_shares_a_scaffold_between_parts(smiles_list):
    smiles = smiles_list
    sp = make_split("scaffold", len(smiles), smiles=smiles, seed=3)
    groups = scaffold_groups(smiles)
    parts = [set(groups[p]) for p in (sp.train, sp.valid, sp.test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert sum(sp.sizes().values()) == len(smiles)


@pytest.mark.parametrize("method", ["butina", "kmeans"])
def test_cluster_split_is_disjoint_and_complete(method, smiles_list):
    smiles = smiles_list
    sp = make_split("cluster", len(smiles), smiles=smiles, seed=0, method=method)
    assert sorted(np.concatenate([sp.train, sp.valid, sp.test]).tolist()) == list(
        range(len(smiles))
    )
    assert len(sp.train) > len(sp.test) > 0


def _tdc_reference(smiles, seed, frac):
    """TDC's create_scaffold_split algorithm, written independently from its description."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    scaffolds = defaultdict(set)
    errors = 0
    for i, s in enumerate(smiles):
        try:
            scaffolds[
                MurckoScaffold.MurckoScaffoldSmiles(
                    mol=Chem.MolFromSmiles(s), includeChirality=False
                )
            ].add(i)
        except Exception:
            errors += 1
    n = len(smiles) - errors
    train_size, val_size = int(n * frac[0]), int(n * frac[1])
    test_size = n - train_size - val_size
    sets = list(scaffolds.values())
    big = [s for s in sets if len(s) > val_size / 2 or len(s) > test_size / 2]
    small = [s for s in sets if not (len(s) > val_size / 2 or len(s) > test_size / 2)]
    rng = random.Random(seed)
    rng.seed(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    train, val = [], []
    for s in big + small:
        if len(train) + len(s) <= train_size:
            train += s
        else:
            val += s
    return set(train), set(val)


def test_tdc_scaffold_split_matches_the_reference_algorithm(smiles_list):
    smiles = smiles_list + ["invalid((", "CCO", "CCN"]
    for seed in (1, 2, 5):
        sp = tdc_scaffold_split(smiles, seed)
        train, val = _tdc_reference(smiles, seed, [0.875, 0.125, 0.0])
        assert set(sp.train.tolist()) == train and set(sp.valid.tolist()) == val
        assert len(sp.test) == 0


@pytest.mark.skipif(mirror_root() is None, reason="shared data mirror not present")
def test_tdc_scaffold_split_on_caco2_is_seed_dependent_and_sized_like_tdc():
    from helixforge.datasets.registry import load_frame

    smiles = load_frame("tdc/caco2_wang", "train_val")["Drug"].tolist()
    a, b = tdc_scaffold_split(smiles, 1), tdc_scaffold_split(smiles, 2)
    assert len(a.train) <= int(len(smiles) * 0.875) and len(a.train) + len(a.valid) == len(smiles)
    assert set(a.valid.tolist()) != set(b.valid.tolist())


def test_one_scaffold_for_every_molecule_is_named_by_the_scaffold_split():
    """An acyclic or congeneric set failed with 'the split left no training rows; check the
    split column values or fractions' (no split column was given)."""
    from helixforge.chem.splits import scaffold_split
    from helixforge.core.errors import ConfigError

    acyclic = ["C" * i + "O" for i in range(1, 41)]
    with pytest.raises(ConfigError, match="one Bemis-Murcko scaffold") as err:
        scaffold_split(40, smiles=acyclic)
    assert "--split random" in err.value.hint


def test_the_validation_carve_out_of_a_congeneric_training_part_keeps_it_for_training():
    """With a --split-col of train / test, a training part of substituted benzenes lost every
    row to the scaffold-grouped validation carve-out ('0 labelled training molecules')."""
    from helixforge.chem.splits import scaffold_valid_split

    benzenes = ["c1ccccc1" + "C" * i for i in range(1, 46)] + ["C1CCCCC1C", "C1CCNCC1C"]
    sp = scaffold_valid_split(len(benzenes), smiles=benzenes, fractions=(0.9, 0.1, 0.0))
    assert len(sp.train) >= 40 and len(sp.valid) + len(sp.test) >= 4
    varied = [f"{c}C" for c in ("c1ccccc1", "c1ccncc1", "C1CCCCC1", "c1ccoc1", "c1ccsc1")] * 6
    sp = scaffold_valid_split(30, smiles=varied, fractions=(0.9, 0.1, 0.0))
    kept = {varied[i] for i in sp.train}
    assert not kept & {varied[i] for i in [*sp.valid, *sp.test]}  # still whole scaffold sets
