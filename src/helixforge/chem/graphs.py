"""Molecular graphs for message passing: RDKit molecules → flat arrays → batched torch tensors.

    graphs = featurize_graphs(["CCO", "c1ccccc1O", "[Na+]"])
    batch = graphs.batch([0, 2])          # one disjoint graph holding molecules 0 and 2
    batch.atoms.shape, batch.bonds.shape   # (n_atoms, ATOM_DIM), (n_directed_edges, BOND_DIM)

Atom features follow Chemprop v2's default ("v2") featurizer: one-hot atomic number (H–Kr and
I, plus "other"), total degree, formal charge, chiral tag, total number of Hs, hybridization
(each with an "other" slot), aromaticity and mass / 100 — 72 columns. Bond features: bond type
(single, double, triple, aromatic, other), conjugated, in ring, stereo (none, any, Z, E, cis,
trans, other) — 14 columns.

Each bond becomes two directed edges stored next to each other (edge 2k: a→b, 2k+1: b→a), so the
reverse of edge e is always e ^ 1, in a single molecule and in any batch. RDKit is only asked
for a handful of integers per atom and bond; the one-hot encoding is done by NumPy for the
whole set at once, so featurization runs at thousands of molecules per second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

ATOMIC_NUMBERS: tuple[int, ...] = (*range(1, 37), 53)
DEGREES: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
FORMAL_CHARGES: tuple[int, ...] = (-1, -2, 1, 2, 0)
CHIRAL_TAGS: tuple[int, ...] = (0, 1, 2, 3)  # unspecified, CW, CCW, other (RDKit ChiralType)
NUM_HS: tuple[int, ...] = (0, 1, 2, 3, 4)
HYBRIDIZATIONS: tuple[str, ...] = ("S", "SP", "SP2", "SP2D", "SP3", "SP3D", "SP3D2")
BOND_TYPES: tuple[str, ...] = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
BOND_STEREO: tuple[str, ...] = (
    "STEREONONE",
    "STEREOANY",
    "STEREOZ",
    "STEREOE",
    "STEREOCIS",
    "STEREOTRANS",
)

# (name, choices) of the categorical atom properties, in column order; each gets len+1 columns.
_ATOM_BLOCKS = ("atomic_num", "degree", "formal_charge", "chiral_tag", "num_hs", "hybridization")
_BLOCK_SIZES = (
    len(ATOMIC_NUMBERS) + 1,
    len(DEGREES) + 1,
    len(FORMAL_CHARGES) + 1,
    len(CHIRAL_TAGS) + 1,
    len(NUM_HS) + 1,
    len(HYBRIDIZATIONS) + 1,
)
_BLOCK_OFFSETS = tuple(int(x) for x in np.cumsum((0, *_BLOCK_SIZES))[:-1])
ATOM_DIM: int = sum(_BLOCK_SIZES) + 2  # + aromatic + mass/100
BOND_DIM: int = (len(BOND_TYPES) + 1) + 2 + (len(BOND_STEREO) + 1)

FEATURIZER_VERSION = "chemprop-v2-like/1"

# Raw property values are shifted by _SHIFT so that negative charges index a lookup table.
_SHIFT = 8
_TABLE_SIZE = 256


def _lookup(choices: Sequence[int]) -> np.ndarray:
    """Table mapping raw value + _SHIFT → position in `choices` (len(choices) = "other")."""
    table = np.full(_TABLE_SIZE, len(choices), dtype=np.int64)
    for i, value in enumerate(choices):
        table[value + _SHIFT] = i
    return table


def _enum_values(enum_type: Any, names: Sequence[str]) -> list[int]:
    # A name missing from an older RDKit keeps its column but maps to a value never seen.
    unused = _TABLE_SIZE - 1 - _SHIFT
    return [int(getattr(enum_type, name)) if hasattr(enum_type, name) else unused for name in names]


_TABLES: dict[str, np.ndarray] | None = None


def _tables() -> dict[str, np.ndarray]:
    global _TABLES
    if _TABLES is None:
        from rdkit import Chem

        _TABLES = {
            "atomic_num": _lookup(ATOMIC_NUMBERS),
            "degree": _lookup(DEGREES),
            "formal_charge": _lookup(FORMAL_CHARGES),
            "chiral_tag": _lookup(CHIRAL_TAGS),
            "num_hs": _lookup(NUM_HS),
            "hybridization": _lookup(_enum_values(Chem.HybridizationType, HYBRIDIZATIONS)),
            "bond_type": _lookup(_enum_values(Chem.BondType, BOND_TYPES)),
            "bond_stereo": _lookup(_enum_values(Chem.BondStereo, BOND_STEREO)),
        }
    return _TABLES


@dataclass
class GraphBatch:
    """Several molecules as one disjoint graph (torch tensors).

    atoms (n_atoms, ATOM_DIM) · bonds (n_edges, BOND_DIM) · edge_index (2, n_edges) with
    row 0 = source atom, row 1 = destination atom · rev_index (n_edges,) the reverse edge ·
    atom_batch (n_atoms,) molecule of each atom (0..n_mols-1) · n_mols.
    """

    atoms: Any
    bonds: Any
    edge_index: Any
    rev_index: Any
    atom_batch: Any
    n_mols: int

    def to(self, device) -> GraphBatch:
        """Copy to a torch device."""
        return GraphBatch(
            self.atoms.to(device, non_blocking=True),
            self.bonds.to(device, non_blocking=True),
            self.edge_index.to(device, non_blocking=True),
            self.rev_index.to(device, non_blocking=True),
            self.atom_batch.to(device, non_blocking=True),
            self.n_mols,
        )


@dataclass
class GraphSet:
    """Featurized molecules stored flat (NumPy). `valid[i]` is False when input i did not parse;
    such a molecule is kept as an empty graph so that indices line up with the input."""

    atoms: np.ndarray  # (total_atoms, ATOM_DIM) float32
    bonds: np.ndarray  # (total_bonds, BOND_DIM) float32, one row per undirected bond
    bond_atoms: np.ndarray  # (total_bonds, 2) int64, atom indices local to their molecule
    atom_offsets: np.ndarray  # (n + 1,) int64
    bond_offsets: np.ndarray  # (n + 1,) int64
    valid: np.ndarray  # (n,) bool

    def __len__(self) -> int:
        return len(self.valid)

    @property
    def n_atoms(self) -> np.ndarray:
        """Number of atoms of each molecule."""
        return np.diff(self.atom_offsets)

    @property
    def n_bonds(self) -> np.ndarray:
        """Number of (undirected) bonds of each molecule."""
        return np.diff(self.bond_offsets)

    def batch_arrays(self, indices: Sequence[int] | np.ndarray) -> dict[str, np.ndarray]:
        """The disjoint graph of molecules `indices` as NumPy arrays (see `GraphBatch`)."""
        idx = np.asarray(indices, dtype=np.int64)
        a_start = self.atom_offsets[idx]
        a_count = self.atom_offsets[idx + 1] - a_start
        b_start = self.bond_offsets[idx]
        b_count = self.bond_offsets[idx + 1] - b_start
        atom_rows = _ranges(a_start, a_count)
        bond_rows = _ranges(b_start, b_count)
        new_atom_offset = np.concatenate(([0], np.cumsum(a_count)[:-1])) if len(idx) else a_count
        bond_mol = np.repeat(np.arange(len(idx)), b_count)
        ends = self.bond_atoms[bond_rows] + new_atom_offset[bond_mol, None]  # (nb, 2)
        # directed edges: 2k = a→b, 2k+1 = b→a
        src = ends.reshape(-1)
        dst = ends[:, ::-1].reshape(-1)
        n_edges = len(src)
        return {
            "atoms": self.atoms[atom_rows],
            "bonds": np.repeat(self.bonds[bond_rows], 2, axis=0),
            "edge_index": np.stack([src, dst]) if n_edges else np.zeros((2, 0), np.int64),
            "rev_index": np.arange(n_edges, dtype=np.int64) ^ 1,
            "atom_batch": np.repeat(np.arange(len(idx), dtype=np.int64), a_count),
        }

    def batch(self, indices: Sequence[int] | np.ndarray) -> GraphBatch:
        """The molecules `indices` as one `GraphBatch` of torch tensors (CPU)."""
        import torch

        arr = self.batch_arrays(indices)
        return GraphBatch(
            atoms=torch.from_numpy(arr["atoms"]),
            bonds=torch.from_numpy(arr["bonds"]),
            edge_index=torch.from_numpy(np.ascontiguousarray(arr["edge_index"])),
            rev_index=torch.from_numpy(arr["rev_index"]),
            atom_batch=torch.from_numpy(arr["atom_batch"]),
            n_mols=len(np.asarray(indices)),
        )

    def subset(self, indices: Sequence[int] | np.ndarray) -> GraphSet:
        """A new GraphSet holding molecules `indices` in that order."""
        idx = np.asarray(indices, dtype=np.int64)
        a_start = self.atom_offsets[idx]
        a_count = self.atom_offsets[idx + 1] - a_start
        b_start = self.bond_offsets[idx]
        b_count = self.bond_offsets[idx + 1] - b_start
        return GraphSet(
            atoms=self.atoms[_ranges(a_start, a_count)],
            bonds=self.bonds[_ranges(b_start, b_count)],
            bond_atoms=self.bond_atoms[_ranges(b_start, b_count)],
            atom_offsets=np.concatenate(([0], np.cumsum(a_count))).astype(np.int64),
            bond_offsets=np.concatenate(([0], np.cumsum(b_count))).astype(np.int64),
            valid=self.valid[idx],
        )


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + c) for each (s, c), without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return np.repeat(starts - first, counts) + np.arange(total, dtype=np.int64)


def _parse(item: Any):
    """The molecule of a SMILES or Mol as every feature sees it (`fingerprints.hydrogen_free`:
    a [2H] is a hydrogen, not a graph atom), or None."""
    from rdkit import Chem

    from helixforge.chem.fingerprints import hydrogen_free

    if item is None:
        return None
    if isinstance(item, Chem.Mol):
        return hydrogen_free(item)
    if not isinstance(item, str):
        return None
    from helixforge.chem.standardize import plain_mol

    return hydrogen_free(plain_mol(item))


def featurize_graphs(molecules: Sequence[Any]) -> GraphSet:
    """Featurize SMILES strings and/or RDKit molecules into a `GraphSet`.

    Unparsable SMILES (or None) give an empty graph with `valid[i] = False`; RDKit's parse
    warnings are silenced (callers report invalid rows themselves)."""
    from rdkit import RDLogger

    from helixforge.chem.inputs import smiles_list

    molecules = smiles_list(molecules, "featurize_graphs", "molecules")
    tables = _tables()
    anum: list[int] = []
    degree: list[int] = []
    charge: list[int] = []
    chiral: list[int] = []
    num_hs: list[int] = []
    hybrid: list[int] = []
    aromatic: list[bool] = []
    mass: list[float] = []
    btype: list[int] = []
    bconj: list[bool] = []
    bring: list[bool] = []
    bstereo: list[int] = []
    bends: list[int] = []
    n_atoms = np.zeros(len(molecules), dtype=np.int64)
    n_bonds = np.zeros(len(molecules), dtype=np.int64)
    valid = np.zeros(len(molecules), dtype=bool)

    RDLogger.DisableLog("rdApp.*")
    try:
        for i, item in enumerate(molecules):
            mol = _parse(item)
            if mol is None:
                continue
            valid[i] = True
            atoms = mol.GetAtoms()
            n_atoms[i] = mol.GetNumAtoms()
            for a in atoms:
                anum.append(a.GetAtomicNum())
                degree.append(a.GetTotalDegree())
                charge.append(a.GetFormalCharge())
                chiral.append(int(a.GetChiralTag()))
                num_hs.append(a.GetTotalNumHs())
                hybrid.append(int(a.GetHybridization()))
                aromatic.append(a.GetIsAromatic())
                mass.append(a.GetMass())
            n_bonds[i] = mol.GetNumBonds()
            for b in mol.GetBonds():
                btype.append(int(b.GetBondType()))
                bconj.append(b.GetIsConjugated())
                bring.append(b.IsInRing())
                bstereo.append(int(b.GetStereo()))
                bends.append(b.GetBeginAtomIdx())
                bends.append(b.GetEndAtomIdx())
    finally:
        RDLogger.EnableLog("rdApp.*")

    total_atoms = len(anum)
    atom_x = np.zeros((total_atoms, ATOM_DIM), dtype=np.float32)
    rows = np.arange(total_atoms)
    raw = {
        "atomic_num": anum,
        "degree": degree,
        "formal_charge": charge,
        "chiral_tag": chiral,
        "num_hs": num_hs,
        "hybridization": hybrid,
    }
    for name, offset in zip(_ATOM_BLOCKS, _BLOCK_OFFSETS):
        col = _one_hot_index(tables[name], np.asarray(raw[name], dtype=np.int64))
        atom_x[rows, offset + col] = 1.0
    atom_x[:, ATOM_DIM - 2] = np.asarray(aromatic, dtype=np.float32)
    atom_x[:, ATOM_DIM - 1] = np.asarray(mass, dtype=np.float32) * 0.01

    total_bonds = len(btype)
    bond_x = np.zeros((total_bonds, BOND_DIM), dtype=np.float32)
    rows = np.arange(total_bonds)
    n_types = len(BOND_TYPES) + 1
    bond_x[rows, _one_hot_index(tables["bond_type"], np.asarray(btype, dtype=np.int64))] = 1.0
    bond_x[:, n_types] = np.asarray(bconj, dtype=np.float32)
    bond_x[:, n_types + 1] = np.asarray(bring, dtype=np.float32)
    stereo_col = _one_hot_index(tables["bond_stereo"], np.asarray(bstereo, dtype=np.int64))
    bond_x[rows, n_types + 2 + stereo_col] = 1.0

    return GraphSet(
        atoms=atom_x,
        bonds=bond_x,
        bond_atoms=np.asarray(bends, dtype=np.int64).reshape(-1, 2),
        atom_offsets=np.concatenate(([0], np.cumsum(n_atoms))).astype(np.int64),
        bond_offsets=np.concatenate(([0], np.cumsum(n_bonds))).astype(np.int64),
        valid=valid,
    )


def _one_hot_index(table: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Column inside a block for each raw value; out-of-range values go to "other"."""
    other = int(table.max())  # the "other" position = number of choices
    idx = raw + _SHIFT
    ok = (idx >= 0) & (idx < _TABLE_SIZE)
    out = np.full(raw.shape, other, dtype=np.int64)
    out[ok] = table[idx[ok]]
    return out


def mol_graph(molecule: Any) -> GraphBatch:
    """One molecule (SMILES or RDKit Mol) as a `GraphBatch` of size 1."""
    from helixforge.core.errors import InputError

    graphs = featurize_graphs([molecule])
    if not graphs.valid[0]:
        raise InputError(
            f"could not parse molecule {molecule!r}",
            hint="check the SMILES (or run helixforge.chem.standardize first)",
        )
    return graphs.batch([0])
