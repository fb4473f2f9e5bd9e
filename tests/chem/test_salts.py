"""The parent of a multi-fragment input: the largest fragment counted in heavy atoms."""

import pytest

from helixforge.chem.standardize import standardize_smiles

IMATINIB = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"
NICOTINE = "CN1CCC[C@H]1c1cccnc1"

PARENTS = [
    # (input, parent): counter-ions of every common kind leave the drug
    ("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]", "CC(=O)Oc1ccccc1C(=O)O"),  # sodium salt
    ("[K+].[O-]C(=O)c1ccccc1O", "O=C(O)c1ccccc1O"),  # potassium salt
    ("CN(C)CCCN1c2ccccc2CCc2ccccc21.Cl", "CN(C)CCCN1c2ccccc2CCc2ccccc21"),  # HCl salt
    ("Cc1ccc(S(=O)(=O)O)cc1.CN(C)C(=N)N=C(N)N", "CN(C)C(=N)N=C(N)N"),  # tosylate
    ("CS(=O)(=O)O." + IMATINIB, IMATINIB),  # mesylate
    ("OC(=O)C(F)(F)F.CN", "CN"),  # TFA salt of a parent smaller than TFA
    # hydrogens are not counted: a hydrogen-rich fragment with fewer heavy atoms lost
    ("c1ccc2[nH]ccc2c1.CCCCCC", "c1ccc2[nH]ccc2c1"),  # indole (9) over hexane (6)
    ("CCCCCCCC.c1ccc2ccccc2c1", "c1ccc2ccccc2c1"),  # naphthalene (10) over octane (8)
    ("[H]C([H])([H])C([H])([H])C([H])([H])[H].c1ccncc1", "c1ccncc1"),  # explicit [H]
    # counter-ions larger than their drugs (ChEMBL's salt list)
    ("CCCCCCCCCCCCCCCCCC(=O)O." + NICOTINE, NICOTINE),  # stearate
    ("CCCCCCCC/C=C\\CCCCCCCC(=O)O." + NICOTINE, NICOTINE),  # oleate
    ("CCCCCCCCCCCCOS(=O)(=O)O.Nc1ccc(S(=O)(=O)Nc2ncccn2)cc1", "Nc1ccc(S(=O)(=O)Nc2ncccn2)cc1"),
    (  # isometheptene mucate (TDC CYP sets): mucic acid has more heavy atoms
        "CN[C@@H](C)CCC=C(C)C.CN[C@@H](C)CCC=C(C)C.OC(=O)[C@@H](O)[C@H](O)[C@H](O)[C@@H](O)C(=O)O",
        "CN[C@@H](C)CCC=C(C)C",
    ),
    # equal heavy atoms: the heavier fragment, whatever the order
    ("c1ccccc1.C1CCCCC1", "C1CCCCC1"),
    ("CCO.OCC", "CCO"),  # the same compound twice
    ("[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1", "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1"),  # kept whole
]


@pytest.mark.parametrize(("raw", "parent"), PARENTS)
def test_the_parent_is_the_largest_fragment_in_heavy_atoms(raw, parent):
    assert standardize_smiles(raw) == (parent, None)
    # the order the fragments are written in does not decide
    assert standardize_smiles(".".join(reversed(raw.split(".")))) == (parent, None)


def test_two_different_fragments_of_one_size_and_formula_are_refused():
    smi, reason = standardize_smiles("Cc1ccccc1O.Cc1ccc(O)cc1")
    assert smi is None and "a mixture of 2 isomers" in reason
