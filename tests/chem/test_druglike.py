"""chem.druglike: QED equals RDKit's QED.qed exactly (alerts matched as one FilterCatalog)."""

from __future__ import annotations

import math

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED

from helixforge.chem.druglike import drug_likeness, qed_scores

SMILES = [
    "CC(=O)Oc1ccccc1C(=O)O",  # aspirin
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",  # caffeine
    "OC1(CCN(CCCC(=O)c2ccc(F)cc2)CC1)c1ccc(Cl)cc1",  # haloperidol
    "O=C1C=CC(=O)C=C1",  # quinone: QED alerts fire
    "C=CC(=O)OCC1CO1",  # acrylate + epoxide
    "[2H]C([2H])([2H])Oc1ccccc1",  # isotopic H atoms: scored as hydrogens, as anisole
    "[Na+].[O-]C(=O)c1ccccc1",
    "CCCCCCCCCCCCCCCCCC(=O)O",
    "c1ccc2c(c1)ccc1ccccc12",
    "NS(=O)(=O)c1cc(C(=O)O)c(NCc2ccco2)cc1Cl",  # furosemide
]


def test_qed_scores_equal_rdkit_qed_exactly():
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    got = qed_scores(mols)
    # RDKit's QED keeps [2H] atoms (3 more 'atoms', another rotatable bond); ours scores the
    # heavy-atom molecule every feature sees, so d3-anisole scores as anisole
    expected = np.array([QED.qed(Chem.MolFromSmiles(s.replace("[2H]", "[H]"))) for s in SMILES])
    np.testing.assert_array_equal(got, expected)


def test_invalid_molecules_give_nan_and_rows_stay_aligned():
    mols = [None, Chem.MolFromSmiles("CCO"), None]
    got = qed_scores(mols)
    assert math.isnan(got[0]) and math.isnan(got[2])
    assert got[1] == QED.qed(mols[1])
    frame = drug_likeness(mols)
    assert list(frame.columns) == ["qed", "sa_score"] and len(frame) == 3
