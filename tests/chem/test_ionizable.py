"""chem.ionizable: acidic / basic group counts by ionization class at pH 7.4."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from helixforge.chem.featurize import FeatureSpec, featurize
from helixforge.chem.ionizable import NAMES, ionizable_block


def _counts(smiles: str) -> dict[str, int]:
    row = ionizable_block([Chem.MolFromSmiles(smiles)])[0]
    return {n.removeprefix("ion_"): int(v) for n, v in zip(NAMES, row, strict=True) if v}


@pytest.mark.parametrize(
    ("smiles", "expected"),
    [
        ("CC(=O)O", {"carboxylic_acid": 1, "acids": 1, "net_charge": -1}),
        ("c1ccccc1-c1nn[nH]n1", {"tetrazole": 1, "acids": 1, "net_charge": -1}),  # 2H tautomer
        ("c1ccccc1-c1n[nH]nn1", {"tetrazole": 1, "acids": 1, "net_charge": -1}),  # 1H: an acid
        ("c1c[nH]cn1", {"imidazole_like_n": 1}),  # an azole N is a weak base
        ("c1ccccc1S(=O)(=O)O", {"sulfonic_phosphoric_acid": 1, "acids": 1,
                                "net_charge": -1}),  # one acidic OH, not one per S=O
        ("COS(=O)(=O)[O-]", {"sulfonic_phosphoric_acid": 1, "negative_charge": 1, "acids": 1,
                             "net_charge": -1}),
        ("CCN(CC)CC", {"aliphatic_amine": 1, "bases": 1, "net_charge": 1}),
        ("C1CCNCC1", {"aliphatic_amine": 1, "bases": 1, "net_charge": 1}),
        ("NC(=N)N", {"amidine_guanidine": 1, "bases": 1, "net_charge": 1}),  # once, not per NH2
        ("C[N+](C)(C)C", {"quaternary_ammonium": 1, "positive_charge": 1, "bases": 1,
                          "net_charge": 1}),
        ("c1ccncc1", {"pyridine_like_n": 1}),  # weak base: not counted among bases
        ("Nc1ccccc1", {"aniline_n": 1}),
        ("c1ccccc1O", {"phenol": 1}),
        ("CS(=O)(=O)Nc1ccccc1", {"sulfonamide_nh": 1}),
        ("CC(=O)NC", {}),  # an amide is neither
        ("O=[N+]([O-])c1ccccc1", {}),  # nor is a nitro group's charge pair
        ("NCCCC[C@H](N)C(=O)O", {"carboxylic_acid": 1, "aliphatic_amine": 2,
                                 "primary_aliphatic_amine": 2, "acids": 1, "bases": 2,
                                 "net_charge": 1}),  # lysine
    ],
)  # fmt: skip
def test_textbook_groups_are_counted_in_their_class(smiles, expected):
    assert _counts(smiles) == expected


def test_the_block_plugs_into_a_feature_spec_and_a_missing_molecule_is_a_nan_row():
    spec = FeatureSpec(morgan_bits=64, fcfp_bits=0, atom_pair_bits=0, descriptors="none",
                       extra=("ionizable",))  # fmt: skip
    assert spec.names()[-len(NAMES) :] == NAMES
    X = featurize(["CC(=O)O", "CCN"], spec)
    assert X.shape == (2, 64 + len(NAMES)) and X[0, -1] == -1 and X[1, -1] == 1
    assert np.isnan(ionizable_block([None])).all()
