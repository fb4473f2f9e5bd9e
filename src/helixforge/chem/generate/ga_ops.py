"""Graph operators of the genetic algorithm (after Jensen, Chem. Sci. 2019, 10, 3567):
crossover at a non-ring bond or across a ring, and seven mutations on the molecular graph.

    child = crossover(parent_a, parent_b, rng)            # RDKit Mol or None
    child = mutate(child, rng) if rng.random() < rate else child

Crossover cuts each parent — one acyclic single bond (non-ring crossover), or two bonds of
one ring, adjacent or one bond apart (ring crossover) — and joins a random fragment of one
parent to a random fragment of the other at the cut points. Mutations are reaction SMARTS
applied to the Kekulé form: append an atom, insert an atom into a bond, delete an atom,
change an element, change a bond order, open a ring, close a ring. A product must sanitize
have `min_atoms`–`max_atoms` heavy atoms and pass the ring rules (`rings_ok`: no macrocycle
above 6 atoms, no allene or double bond in a 3/4-membered ring), or the operator is retried
(at most 10 times).
Randomness comes only from the NumPy generator passed in, so a seed fixes every child.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

APPEND_SINGLE = ("C", "N", "O", "F", "S", "Cl", "Br")
APPEND_DOUBLE = ("C", "N", "O")
APPEND_TRIPLE = ("C", "N")
INSERT = ("C", "N", "O", "S")
CHANGE = {"#6": "C", "#7": "N", "#8": "O", "#9": "F", "#16": "S", "#17": "Cl", "#35": "Br"}
MUTATIONS = (
    "append_atom",
    "insert_atom",
    "delete_atom",
    "change_atom",
    "change_bond_order",
    "delete_ring_bond",
    "add_ring_bond",
)
TRIES = 10


@cache
def _reaction(smarts: str):
    from rdkit.Chem import AllChem

    return AllChem.ReactionFromSmarts(smarts)


def _mutation_smarts(kind: str) -> list[str]:
    """Every reaction SMARTS one mutation kind may apply (one is drawn at random)."""
    if kind == "append_atom":
        return (
            [f"[*;!H0:1]>>[*:1]-{x}" for x in APPEND_SINGLE]
            + [f"[*;!H0;!H1:1]>>[*:1]={x}" for x in APPEND_DOUBLE]
            + [f"[*;H3:1]>>[*:1]#{x}" for x in APPEND_TRIPLE]
        )
    if kind == "insert_atom":
        return [f"[*:1]-[*:2]>>[*:1]-{x}-[*:2]" for x in INSERT]
    if kind == "delete_atom":
        return [
            "[*:1]~[D1]>>[*:1]",
            "[*:1]~[D2]~[*:2]>>[*:1]-[*:2]",
            "[*:1]~[D3](~[*:2])~[*:3]>>[*:1]-[*:2]-[*:3]",
        ]
    if kind == "change_atom":
        return [f"[{a}:1]>>[{b}:1]" for a in CHANGE for b in CHANGE.values() if CHANGE[a] != b]
    if kind == "change_bond_order":
        return [
            "[*:1]!-[*:2]>>[*:1]-[*:2]",
            "[*;!H0:1]-[*;!H0:2]>>[*:1]=[*:2]",
            "[*:1]#[*:2]>>[*:1]=[*:2]",
            "[*;!R;!H0;!H1:1]-[*;!R;!H0;!H1:2]>>[*:1]#[*:2]",
        ]
    if kind == "delete_ring_bond":
        return ["[*:1]@[*:2]>>([*:1].[*:2])"]
    if kind == "add_ring_bond":
        return [
            "[*;!r;!H0:1]~[*;!r:2]~[*;!r:3]~[*;!r;!H0:4]>>[*:1]1~[*:2]~[*:3]~[*:4]1",
            "[*;!r;!H0:1]~[*;!r:2]~[*;!r:3]~[*;!r:4]~[*;!r;!H0:5]>>[*:1]1~[*:2]~[*:3]~[*:4]~[*:5]1",
            "[*;!r;!H0:1]~[*;!r:2]~[*;!r:3]~[*;!r:4]~[*;!r:5]~[*;!r;!H0:6]>>[*:1]1~[*:2]~[*:3]~[*:4]~[*:5]~[*:6]1",
        ]
    raise ValueError(kind)


def _kekule(mol):
    from rdkit import Chem

    m = Chem.Mol(mol)
    Chem.Kekulize(m, clearAromaticFlags=True)
    return m


def clean(mol, min_atoms: int = 1, max_atoms: int = 1000):
    """A sanitized copy (re-parsed from its SMILES) within the size limits, or None."""
    from rdkit import Chem

    if mol is None:
        return None
    try:
        m = Chem.Mol(mol)
        Chem.SanitizeMol(m)
        smi = Chem.MolToSmiles(m)
    except Exception:  # noqa: BLE001 - any RDKit failure means "not a molecule"
        return None
    if "." in smi:
        return None
    out = Chem.MolFromSmiles(smi)
    if out is None or not (min_atoms <= out.GetNumHeavyAtoms() <= max_atoms):
        return None
    return out if rings_ok(out) else None


@cache
def _ring_alerts():
    from rdkit import Chem

    return Chem.MolFromSmarts("[R]=[R]=[R]"), Chem.MolFromSmarts("[r3,r4]=[r3,r4]")


def rings_ok(mol) -> bool:
    """No ring larger than 6, no cumulated double bonds in a ring, no double bond inside a
    3- or 4-membered ring (the paper's ring sanity rules)."""
    rings = mol.GetRingInfo().AtomRings()
    if not rings:
        return True
    if max(len(r) for r in rings) > 6:
        return False
    allene, small = _ring_alerts()
    return not mol.HasSubstructMatch(allene) and not mol.HasSubstructMatch(small)


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def mutate(mol, rng: np.random.Generator, min_atoms: int = 1, max_atoms: int = 1000):
    """One random graph mutation of `mol` (a valid molecule or None after TRIES failures)."""
    from rdkit import Chem

    kek = _kekule(mol)
    for _ in range(TRIES):
        kind = _pick(rng, MUTATIONS)
        rxn = _reaction(_pick(rng, _mutation_smarts(kind)))
        products = rxn.RunReactants((kek,), maxProducts=200)
        if not products:
            continue
        child = clean(_pick(rng, products)[0], min_atoms, max_atoms)
        if child is not None and Chem.MolToSmiles(child) != Chem.MolToSmiles(mol):
            return child
    return None


# ---------------------------------------------------------------- crossover

_NON_RING_CUT = "[*]-;!@[*]"
_RING_CUTS = ("[R]@[R]@[R]@[R]", "[R]@[R;!D2]@[R]")


def _join(frag_a, frag_b, labels: Sequence[int]):
    """Bond fragment A to fragment B at each dummy label pair, dropping the dummies."""
    from rdkit import Chem

    combo = Chem.RWMol(Chem.CombineMols(frag_a, frag_b))
    remove = []
    for label in labels:
        dummies = [a for a in combo.GetAtoms() if a.GetAtomicNum() == 0 and a.GetIsotope() == label]
        if len(dummies) != 2:
            return None
        ends = []
        for d in dummies:
            nbrs = d.GetNeighbors()
            if len(nbrs) != 1:
                return None
            bond = combo.GetBondBetweenAtoms(d.GetIdx(), nbrs[0].GetIdx())
            ends.append((nbrs[0].GetIdx(), bond.GetBondType()))
            remove.append(d.GetIdx())
        (a, btype), (b, _) = ends
        if a == b or combo.GetBondBetweenAtoms(a, b) is not None:
            return None
        combo.AddBond(a, b, btype)
    for idx in sorted(remove, reverse=True):
        combo.RemoveAtom(idx)
    return combo.GetMol()


def _cut(mol, rng: np.random.Generator, ring: bool):
    """Fragments (with isotope-labelled dummies 1 [and 2]) of one random cut of `mol`."""
    from rdkit import Chem

    if ring:
        patt = Chem.MolFromSmarts(_pick(rng, _RING_CUTS))
        matches = mol.GetSubstructMatches(patt)
        if not matches:
            return None
        m = _pick(rng, matches)
        pairs = [(m[0], m[1]), (m[2], m[3])] if len(m) == 4 else [(m[0], m[1]), (m[1], m[2])]
    else:
        matches = mol.GetSubstructMatches(Chem.MolFromSmarts(_NON_RING_CUT))
        if not matches:
            return None
        pairs = [_pick(rng, matches)]
    bonds = [mol.GetBondBetweenAtoms(a, b).GetIdx() for a, b in pairs]
    labels = [(i + 1, i + 1) for i in range(len(bonds))]
    try:
        broken = Chem.FragmentOnBonds(mol, bonds, addDummies=True, dummyLabels=labels)
        frags = Chem.GetMolFrags(broken, asMols=True, sanitizeFrags=False)
    except Exception:  # noqa: BLE001
        return None
    if len(frags) != 2:
        return None
    return frags


def crossover(
    parent_a, parent_b, rng: np.random.Generator, min_atoms: int = 1, max_atoms: int = 1000
):
    """A child of two molecules by ring or non-ring crossover (50/50), or None."""
    a, b = _kekule(parent_a), _kekule(parent_b)
    for _ in range(TRIES):
        ring = bool(rng.random() < 0.5)
        fa, fb = _cut(a, rng, ring), _cut(b, rng, ring)
        if fa is None or fb is None:
            continue
        joined = _join(_pick(rng, fa), _pick(rng, fb), (1, 2) if ring else (1,))
        child = clean(joined, min_atoms, max_atoms)
        if child is not None:
            return child
    return None
