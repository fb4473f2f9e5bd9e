"""The panel's shortcuts give exactly what the general functions give.

`parse_canonical` (re-parse of a standardizer's SMILES without per-atom Python checks) must
return the molecule `featurize.mol_of` returns, or None where it does; `Reference.ad_similarity`
(sparse queries) must equal `uncertainty.max_tanimoto` on the folded ECFP4 bits; the
properties' shared QED terms must equal RDKit's `QED.qed`.
"""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import QED

from helixforge.chem.admet import ADMETPanel
from helixforge.chem.admet.panel import parse_canonical
from helixforge.chem.admet.physchem import PROPERTY_NAMES, physchem_matrix
from helixforge.chem.admet.reference import ecfp_bits, fold_bits
from helixforge.chem.featurize import featurize, mol_of
from helixforge.chem.fingerprints import hydrogen_free
from helixforge.chem.uncertainty import max_tanimoto

SMILES = [
    "CC(=O)Oc1ccccc1C(=O)O",
    "C[C@H](N)C(=O)O",
    "O=C(O)c1ccccc1O",
    "c1ccc2[nH]ccc2c1",
    "[Na+].[Cl-]",
    "C[N+](C)(C)C",
    "FC(F)(F)c1ccc(Cl)cc1Br",
    "O=S(=O)(O)c1ccc(I)cc1",
    "CCOP(=O)(OCC)SC",
    "C=CC(=O)Nc1cccc(N=[N+]=[N-])c1",
    "[2H]C([2H])([2H])O",
    "[13CH3]C",
    "C/C=C/C",
    "B(O)(O)c1ccccc1",
    "C[Si](C)(C)C",
]
ODD = ["", " CCO", "CCO ", "C\tC", "CCO ethanol", "*CC", "[*]C", "C1CC", "c1cccc1", "CCO |$;;$|"]


@pytest.mark.parametrize("smiles", SMILES + ODD)
def test_parse_canonical_equals_mol_of(smiles):
    a, b = mol_of(smiles), parse_canonical(smiles)
    assert (a is None) == (b is None)
    if a is not None:
        assert Chem.MolToMolBlock(a) == Chem.MolToMolBlock(b)


def test_ad_similarity_equals_max_tanimoto_on_the_folded_bits():
    panel = ADMETPanel(percentiles=False)
    ref = panel.reference
    X = featurize(SMILES * 80, panel.feature_spec)  # 1,200 rows: two chunks of the loop
    X[3] = np.nan  # a molecule that did not featurize
    expected = max_tanimoto(fold_bits(ecfp_bits(X, panel.feature_spec)), ref.ad_bits)
    expected = np.round(expected.astype(np.float64), 4)
    got = ref.ad_similarity(X, panel.feature_spec)
    assert got.dtype == np.float64 and got.shape == (len(X),)
    np.testing.assert_array_equal(got, expected)
    assert got[3] == 0.0


def test_properties_qed_equals_rdkit_qed_and_logp_is_taken_when_given():
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    M = physchem_matrix(mols)
    j = PROPERTY_NAMES.index("qed")
    for m, row in zip(mols, M):  # scored as their heavy-atom molecule ([2H] as H: methanol)
        assert row[j] == pytest.approx(QED.qed(hydrogen_free(m)), abs=1e-12)
    given = physchem_matrix(mols, logp=np.full(len(mols), 1.5))
    assert (given[:, PROPERTY_NAMES.index("logp")] == 1.5).all()


def test_properties_from_the_feature_row_equal_the_ones_computed_here():
    panel = ADMETPanel(percentiles=False)
    mols = [parse_canonical(s) for s in SMILES]
    X = featurize(SMILES, panel.feature_spec)
    names = panel.feature_spec.names()
    shared = [X[:, names.index(c)] for c in ("CrippenLogP", "HBD", "StereoCenters")]
    # logP comes from the (float32) feature row in both: the counts are the point here
    np.testing.assert_array_equal(physchem_matrix(mols, *shared), physchem_matrix(mols, shared[0]))
