import numpy as np
import pytest
from rdkit import Chem

from helixforge.chem.graphs import (
    ATOM_DIM,
    ATOMIC_NUMBERS,
    BOND_DIM,
    BOND_STEREO,
    BOND_TYPES,
    FORMAL_CHARGES,
    featurize_graphs,
    mol_graph,
)
from helixforge.core.errors import InputError

# column layout of the atom features, recomputed here from the documented order
BLOCKS = [len(ATOMIC_NUMBERS) + 1, 7, len(FORMAL_CHARGES) + 1, 5, 6, 8]
OFFSETS = np.concatenate(([0], np.cumsum(BLOCKS)))


def block(atoms, i):
    return atoms[:, OFFSETS[i] : OFFSETS[i + 1]]


def test_dimensions_match_chemprop_v2_layout():
    assert ATOM_DIM == 72
    assert BOND_DIM == 14
    assert OFFSETS[-1] + 2 == ATOM_DIM


def test_ethanol_shapes_and_one_hot_blocks():
    g = featurize_graphs(["CCO"])
    b = g.batch([0])
    assert b.atoms.shape == (3, ATOM_DIM)
    assert b.bonds.shape == (4, BOND_DIM)  # 2 bonds → 4 directed edges
    assert b.edge_index.shape == (2, 4)
    atoms = b.atoms.numpy()
    for i in range(len(BLOCKS)):
        assert np.all(block(atoms, i).sum(axis=1) == 1)
    carbon = ATOMIC_NUMBERS.index(6)
    oxygen = ATOMIC_NUMBERS.index(8)
    assert block(atoms, 0)[:, carbon].tolist() == [1, 1, 0]
    assert block(atoms, 0)[2, oxygen] == 1
    assert atoms[:, -1] == pytest.approx([0.12011, 0.12011, 0.15999], abs=1e-4)  # mass / 100
    # bond blocks: type one-hot (5), conjugated, ring, stereo one-hot (7)
    bonds = b.bonds.numpy()
    assert np.all(bonds[:, :5].sum(axis=1) == 1)
    assert np.all(bonds[:, 7:].sum(axis=1) == 1)
    assert np.all(bonds[:, BOND_TYPES.index("SINGLE")] == 1)


def test_reverse_edges_are_consistent_in_a_batch():
    g = featurize_graphs(["CC(=O)Oc1ccccc1C(=O)O", "C1CC1N", "O=C=O"])
    b = g.batch([2, 0, 1])
    src, dst = b.edge_index.numpy()
    rev = b.rev_index.numpy()
    assert np.array_equal(rev[rev], np.arange(len(rev)))
    assert np.array_equal(src[rev], dst)
    assert np.array_equal(dst[rev], src)
    assert np.array_equal(b.bonds.numpy()[rev], b.bonds.numpy())
    assert np.all(src != dst)
    # every edge stays inside one molecule
    mol_of = b.atom_batch.numpy()
    assert np.array_equal(mol_of[src], mol_of[dst])


def test_aromatic_ring_features():
    atoms = featurize_graphs(["c1ccccc1"]).batch([0])
    assert np.all(atoms.atoms.numpy()[:, -2] == 1)  # aromatic flag
    bonds = atoms.bonds.numpy()
    assert np.all(bonds[:, BOND_TYPES.index("AROMATIC")] == 1)
    assert np.all(bonds[:, 5] == 1) and np.all(bonds[:, 6] == 1)  # conjugated, in ring


def test_single_atom_ion_has_no_edges():
    b = featurize_graphs(["[Na+]"]).batch([0])
    assert b.atoms.shape == (1, ATOM_DIM)
    assert b.bonds.shape == (0, BOND_DIM)
    assert b.edge_index.shape == (2, 0)
    assert b.rev_index.shape == (0,)
    charge = block(b.atoms.numpy(), 2)[0]
    assert charge[FORMAL_CHARGES.index(1)] == 1


def test_charged_atoms_and_unknown_elements():
    b = featurize_graphs(["C[N+](C)(C)C.[Cl-]", "[Sn]", "[O-2]"]).batch([0, 1, 2])
    atoms = b.atoms.numpy()
    charges = block(atoms, 2).argmax(axis=1)
    assert charges[1] == FORMAL_CHARGES.index(1)  # N+
    assert charges[5] == FORMAL_CHARGES.index(-1)  # Cl-
    assert charges[7] == FORMAL_CHARGES.index(-2)
    assert block(atoms, 0)[6].argmax() == len(ATOMIC_NUMBERS)  # tin → "other"
    assert b.atom_batch.tolist() == [0] * 6 + [1, 2]


def test_invalid_smiles_give_empty_invalid_graphs_and_keep_indices():
    g = featurize_graphs(["CCO", "not a smiles", None, "C"])
    assert g.valid.tolist() == [True, False, False, True]
    assert g.n_atoms.tolist() == [3, 0, 0, 1]
    assert g.batch([3]).atoms.shape == (1, ATOM_DIM)


def test_batch_equals_concatenated_singles():
    smiles = ["CCN(CC)CC", "c1ccncc1", "[NH4+]", "OCC(O)CO"]
    g = featurize_graphs(smiles)
    b = g.batch([0, 1, 2, 3])
    singles = [featurize_graphs([s]).batch([0]) for s in smiles]
    assert np.array_equal(b.atoms.numpy(), np.concatenate([s.atoms.numpy() for s in singles]))
    assert np.array_equal(b.bonds.numpy(), np.concatenate([s.bonds.numpy() for s in singles]))
    offset, parts = 0, []
    for s in singles:
        parts.append(s.edge_index.numpy() + offset)
        offset += s.atoms.shape[0]
    assert np.array_equal(b.edge_index.numpy(), np.concatenate(parts, axis=1))
    assert b.n_mols == 4


def test_subset_and_mol_input_match_smiles_featurization():
    smiles = ["CCO", "c1ccccc1", "CC(=O)[O-]"]
    g = featurize_graphs(smiles)
    sub = g.subset([2, 0])
    direct = featurize_graphs([Chem.MolFromSmiles(smiles[2]), smiles[0]])
    assert np.array_equal(sub.atoms, direct.atoms)
    assert np.array_equal(sub.bond_atoms, direct.bond_atoms)
    assert np.array_equal(sub.atom_offsets, direct.atom_offsets)


def test_stereo_and_chirality_are_encoded():
    b = featurize_graphs(["C/C=C/C", "C[C@H](N)O"]).batch([0, 1])
    bonds = b.bonds.numpy()
    stereo = bonds[:, 7:].argmax(axis=1)
    assert BOND_STEREO.index("STEREOE") in stereo.tolist()
    chiral = block(b.atoms.numpy(), 3).argmax(axis=1)
    assert chiral[5] in (1, 2)  # the stereocentre (CW or CCW)
    assert np.all(np.delete(chiral, 5) == 0)


def test_mol_graph_rejects_bad_smiles_with_a_clear_error():
    assert mol_graph("CC").n_mols == 1
    with pytest.raises(InputError, match="could not parse"):
        mol_graph("C1CC")
