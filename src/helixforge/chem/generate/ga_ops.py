"""Graph operators of the genetic algorithm: Jensen's Graph GA (Chem. Sci. 2019, 10, 3567) with
the rules and rates of its GuacaMol version (guacamol_baselines graph_ga: crossover.py,
mutate.py).

    child = crossover(parent_a, parent_b, rng)            # RDKit Mol or None
    child = mutate(child, rng) if rng.random() < rate else child

Crossover (ring or non-ring, 50/50; up to 10 attempts) cuts each parent — one acyclic single
bond (non-ring), or two bonds of one ring, adjacent or one bond apart (ring) — and joins a
random fragment of one parent to a random fragment of the other at the cut points, by bonds
of the order the first parent's cut bonds had (in the Kekulé form this keeps the alternation
of a cut aromatic ring). GuacaMol rejects a child equal to a parent (`allow_parent=False`);
by default a parent copy is allowed here: it costs no scoring call, and rejecting it was not
better at 5,000 calls (Perindopril MPO seeds 0-1: 0.552, 0.549 rejecting; 0.547, 0.566 not;
seed-to-seed noise is about 0.01). Two GuacaMol details are not copied because they measured
worse: its ring crossover joins the first junction by a double bond only (a loop that resets
its list; one generation from the same Osimertinib MPO population, mean child score 0.417
with single-or-double junctions vs 0.465 with the parent's bond order), and trying every
fragment pairing of one cut and re-cutting a ring up to 10 times (400-call paracetamol test,
8 seeds: mean gain 0.20 vs 0.43 for this crossover, both with GuacaMol's mutations).

Mutation picks one of seven kinds with GuacaMol's weights (insert atom 0.15, change bond
order 0.14, delete ring bond 0.14, add ring 0.14, delete atom 0.14, change atom 0.14, append
atom 0.15), then one reaction SMARTS of that kind with GuacaMol's weights (e.g. append:
single / double / triple bond 0.60 / 0.35 / 0.05; add ring: 3 / 4 / 5 / 6 atoms 0.05 / 0.05 /
0.45 / 0.45, closing onto ring atoms too), applied to the Kekulé form; up to 10 attempts.
Among the products of one attempt it returns a uniformly random valid one (checked in a
random order, the first valid wins: the same distribution as checking all, at a fraction of
the cost).

A child (of either operator) must sanitize, be one molecule of `min_atoms`–`max_atoms` heavy
atoms, pass the ring rules (`rings_ok`) and, when `size` = (mean, sd) is given, have fewer
heavy atoms than a size drawn from N(mean, sd) per check (GuacaMol's soft cap: N(39.15, 3.5),
the ChEMBL size distribution).
Randomness comes only from the NumPy generator passed in, so a seed fixes every child.

Speed without changing a child: a `Parent` (what the GA keeps per population member) holds
the Kekulé form, the cut-pattern matches and the fragments of each cut once made, and knows
where its cut points are, so a crossover finds them without a Python loop over atoms; a
cut's fragments are made only once both parents' cuts are drawn; the canonical SMILES of a
child is written once and handed on. The RDKit calls that make a child (FragmentOnBonds,
GetMolFrags, the join, sanitization, the SMILES round trip) and every random draw are those
of the first version, in the same order (tests/chem/generate/test_ga_ops.py pins them).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

MUTATIONS = (
    "insert_atom",
    "change_bond_order",
    "delete_ring_bond",
    "add_ring_bond",
    "delete_atom",
    "change_atom",
    "append_atom",
)
MUTATION_P = (0.15, 0.14, 0.14, 0.14, 0.14, 0.14, 0.15)
BOND_ORDER_P = (0.60, 0.35, 0.05)  # single, double, triple (append and insert)
APPEND = (("-", ("C", "N", "O", "F", "S", "Cl", "Br")), ("=", ("C", "N", "O")), ("#", ("C", "N")))
INSERT = (("-", ("C", "N", "O", "S")), ("=", ("C", "N")), ("#", ("C",)))
ELEMENTS = ("#6", "#7", "#8", "#9", "#16", "#17", "#35")
ELEMENT_P = (0.15, 0.15, 0.14, 0.14, 0.14, 0.14, 0.14)
ATOMIC_NUMBER = {e: int(e[1:]) for e in ELEMENTS}
DELETE_ATOM = (
    ("[*:1]~[D1:2]>>[*:1]", 0.25),
    ("[*:1]~[D2:2]~[*:3]>>[*:1]-[*:3]", 0.25),
    ("[*:1]~[D3:2](~[*;!H0:3])~[*:4]>>[*:1]-[*:3]-[*:4]", 0.25),
    ("[*:1]~[D4:2](~[*;!H0:3])(~[*;!H0:4])~[*:5]>>[*:1]-[*:3]-[*:4]-[*:5]", 0.1875),
    ("[*:1]~[D4:2](~[*;!H0;!H1:3])(~[*:4])~[*:5]>>[*:1]-[*:3](-[*:4])-[*:5]", 0.0625),
)
CHANGE_BOND_ORDER = (
    ("[*:1]!-[*:2]>>[*:1]-[*:2]", 0.45),
    ("[*;!H0:1]-[*;!H0:2]>>[*:1]=[*:2]", 0.45),
    ("[*:1]#[*:2]>>[*:1]=[*:2]", 0.05),
    ("[*;!R;!H1;!H0:1]~[*:2]>>[*:1]#[*:2]", 0.05),
)
ADD_RING = (
    ("[*;!r;!H0:1]~[*;!r:2]~[*;!r;!H0:3]>>[*:1]1~[*:2]~[*:3]1", 0.05),
    ("[*;!r;!H0:1]~[*;!r:2]~[*;!r:3]~[*;!r;!H0:4]>>[*:1]1~[*:2]~[*:3]~[*:4]1", 0.05),
    ("[*;!r;!H0:1]~[*;!r:2]~[*:3]~[*:4]~[*;!r;!H0:5]>>[*:1]1~[*:2]~[*:3]~[*:4]~[*:5]1", 0.45),
    (
        "[*;!r;!H0:1]~[*;!r:2]~[*:3]~[*:4]~[*;!r:5]~[*;!r;!H0:6]"
        ">>[*:1]1~[*:2]~[*:3]~[*:4]~[*:5]~[*:6]1",
        0.45,
    ),
)
DELETE_RING_BOND = "[*:1]@[*:2]>>([*:1].[*:2])"
GUACAMOL_SIZE = (39.15, 3.50)  # heavy atoms: mean, sd of GuacaMol's soft size cap
TRIES = 10


@cache
def _reaction(smarts: str):
    from rdkit.Chem import AllChem

    return AllChem.ReactionFromSmarts(smarts)


@cache
def _pattern(smarts: str):
    from rdkit import Chem

    return Chem.MolFromSmarts(smarts)


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _weighted(rng: np.random.Generator, items: Sequence[Any], p: Sequence[float]) -> Any:
    p = np.asarray(p, float)
    return items[int(rng.choice(len(items), p=p / p.sum()))]


def _bond_and_atom(rng: np.random.Generator, table) -> tuple[str, str]:
    bond, atoms = _weighted(rng, table, BOND_ORDER_P)
    return bond, _pick(rng, atoms)


def mutation_smarts(kind: str, mol, rng: np.random.Generator) -> str | None:
    """One reaction SMARTS of a mutation kind, drawn with GuacaMol's weights (None when the
    kind cannot apply: change_atom on a molecule with none of the seven elements)."""
    if kind == "append_atom":
        bond, x = _bond_and_atom(rng, APPEND)
        head = {"-": "[*;!H0:1]", "=": "[*;!H0;!H1:1]", "#": "[*;H3:1]"}[bond]
        return f"{head}>>[*:1]{bond}{x}"
    if kind == "insert_atom":
        bond, x = _bond_and_atom(rng, INSERT)
        if bond == "-":
            return f"[*:1]~[*:2]>>[*:1]{x}[*:2]"
        if bond == "=":
            return f"[*;!H0:1]~[*:2]>>[*:1]={x}-[*:2]"
        return f"[*;!R;!H1;!H0:1]~[*:2]>>[*:1]#{x}-[*:2]"
    if kind == "delete_atom":
        return _weighted(rng, *zip(*DELETE_ATOM, strict=True))
    if kind == "change_bond_order":
        return _weighted(rng, *zip(*CHANGE_BOND_ORDER, strict=True))
    if kind == "delete_ring_bond":
        return DELETE_RING_BOND
    if kind == "add_ring_bond":
        return _weighted(rng, *zip(*ADD_RING, strict=True))
    if kind == "change_atom":
        present = {a.GetAtomicNum() for a in mol.GetAtoms()}
        have = [
            (e, p) for e, p in zip(ELEMENTS, ELEMENT_P, strict=True) if ATOMIC_NUMBER[e] in present
        ]
        if not have:
            return None
        x = _weighted(rng, *zip(*have, strict=True))
        y = _weighted(
            rng,
            *zip(
                *[(e, p) for e, p in zip(ELEMENTS, ELEMENT_P, strict=True) if e != x], strict=True
            ),
        )
        return f"[{x}:1]>>[{y}:1]"
    raise ValueError(kind)


def _kekule(mol):
    from rdkit import Chem

    m = Chem.Mol(mol)
    Chem.Kekulize(m, clearAromaticFlags=True)
    return m


def _require_mol(mol, where: str, name: str) -> None:
    """InputError unless `mol` is an RDKit molecule (a SMILES string is named)."""
    from rdkit import Chem

    if not isinstance(mol, Chem.Mol):
        from helixforge.core.errors import InputError

        raise InputError(
            f"{where}: {name} is {type(mol).__name__} {str(mol)[:40]!r}, not an RDKit molecule",
            hint="parse it first: Chem.MolFromSmiles(smiles)",
        )


def clean(
    mol,
    min_atoms: int = 1,
    max_atoms: int = 1000,
    rng: np.random.Generator | None = None,
    size: tuple[float, float] | None = None,
):
    """A sanitized copy (re-parsed from its SMILES) within the size limits, or None.

    With `size` = (mean, sd) and `rng`, the heavy-atom count must also be below a target
    drawn from N(mean, sd) (GuacaMol's `mol_ok`)."""
    from rdkit import Chem

    return None if mol is None else _clean(Chem.Mol(mol), min_atoms, max_atoms, rng, size)


def _clean(mol, min_atoms, max_atoms, rng, size):
    """`clean` of a molecule nobody else holds (sanitized in place, not copied). The heavy-atom
    window is checked first: the SMILES round trip keeps every heavy atom, and a child refused
    for its size or for not sanitizing is refused either way without a random draw."""
    from rdkit import Chem

    try:
        if not (min_atoms <= mol.GetNumHeavyAtoms() <= max_atoms):
            return None
        Chem.SanitizeMol(mol)
        smi = Chem.MolToSmiles(mol)
    except Exception:  # noqa: BLE001 - any RDKit failure means "not a molecule"
        return None
    if "." in smi:
        return None
    out = Chem.MolFromSmiles(smi)
    if out is None:
        return None
    n = out.GetNumHeavyAtoms()
    if not (min_atoms <= n <= max_atoms):
        return None
    if size is not None and rng is not None and n >= size[1] * rng.standard_normal() + size[0]:
        return None
    return out if rings_ok(out) else None


def rings_ok(mol) -> bool:
    """No ring larger than 6, no cumulated double bonds in a ring, no double bond inside a
    3- or 4-membered ring (the paper's ring sanity rules)."""
    rings = mol.GetRingInfo().AtomRings()
    if not rings:
        return True
    if max(len(r) for r in rings) > 6:
        return False
    return not mol.HasSubstructMatch(_pattern("[R]=[R]=[R]")) and not mol.HasSubstructMatch(
        _pattern("[r3,r4]=[r3,r4]")
    )


def _first_valid(candidates, rng, min_atoms, max_atoms, size, reject=()):
    """A uniformly random valid candidate and its SMILES (checked lazily in a random order), or
    None. `candidates` are zero-argument callables returning a fresh Mol (or None)."""
    from rdkit import Chem

    for i in rng.permutation(len(candidates)):
        made = candidates[int(i)]()
        child = None if made is None else _clean(made, min_atoms, max_atoms, rng, size)
        if child is not None:
            smi = Chem.MolToSmiles(child)
            if smi not in reject:
                return child, smi
    return None


def mutate(
    mol,
    rng: np.random.Generator,
    min_atoms: int = 1,
    max_atoms: int = 1000,
    size: tuple[float, float] | None = None,
):
    """One random graph mutation of `mol` (a valid molecule different from `mol`, or None
    after TRIES attempts without one)."""
    made = mutate_with_smiles(mol, rng, min_atoms, max_atoms, size)
    return None if made is None else made[0]


def mutate_with_smiles(
    mol,
    rng: np.random.Generator,
    min_atoms: int = 1,
    max_atoms: int = 1000,
    size: tuple[float, float] | None = None,
    smiles: str | None = None,
):
    """`mutate`, returning (child, its canonical SMILES) or None; `smiles`: `mol`'s canonical
    SMILES when the caller has it (saves writing it again)."""
    from rdkit import Chem

    _require_mol(mol, "mutate", "mol")
    kek = _kekule(mol)
    parent = {Chem.MolToSmiles(mol) if smiles is None else smiles}
    for _ in range(TRIES):
        smarts = mutation_smarts(_weighted(rng, MUTATIONS, MUTATION_P), kek, rng)
        if smarts is None:
            continue
        products = _reaction(smarts).RunReactants((kek,))
        if not products:
            continue
        made = _first_valid(
            [lambda p=p: p[0] for p in products], rng, min_atoms, max_atoms, size, parent
        )
        if made is not None:
            return made
    return None


# ---------------------------------------------------------------- crossover

_NON_RING_CUT = "[*]-;!@[*]"
_RING_CUTS = ("[R]@[R]@[R]@[R]", "[R]@[R;!D2]@[R]")
_DUMMY = "[#0]"


class Fragment:
    """One side of a cut: the fragment (with isotope-labelled dummies where bonds were cut) and,
    per dummy label, (dummy index, index of its one neighbour, the cut bond's type), or None
    when the label is not on exactly one dummy atom with exactly one neighbour."""

    __slots__ = ("mol", "ends")

    def __init__(self, mol, dummies: Sequence[int]) -> None:
        self.mol = mol
        by_label: dict[int, list[int]] = {}
        for i in dummies:
            atom = mol.GetAtomWithIdx(i)
            if atom.GetAtomicNum() == 0:
                by_label.setdefault(atom.GetIsotope(), []).append(i)
        self.ends: dict[int, tuple[int, int, Any] | None] = {}
        for label, found in by_label.items():
            end = None
            if len(found) == 1:
                nbrs = mol.GetAtomWithIdx(found[0]).GetNeighbors()
                if len(nbrs) == 1:
                    n = nbrs[0].GetIdx()
                    end = (found[0], n, mol.GetBondBetweenAtoms(found[0], n).GetBondType())
            self.ends[label] = end


class Parent:
    """A crossover parent prepared once for many matings: its Kekulé form and, computed on
    first use and kept, its canonical SMILES, the matches of each cut pattern and the two
    fragments of each cut. Each is a pure function of the molecule, so crossing prepared
    parents makes the same children, with the same random draws, as crossing the molecules;
    the GA keeps one per population member across generations."""

    __slots__ = ("mol", "kekule", "_smiles", "_matches", "_cuts", "_dummies")

    def __init__(self, mol) -> None:
        self.mol = mol
        self.kekule = _kekule(mol)
        self._smiles: str | None = None
        self._matches: dict[str, tuple] = {}
        self._cuts: dict[tuple, tuple[Fragment, Fragment] | None] = {}
        self._dummies: frozenset[int] | None = None

    @property
    def smiles(self) -> str:
        """Canonical SMILES of the molecule (as given, not the Kekulé form)."""
        from rdkit import Chem

        if self._smiles is None:
            self._smiles = Chem.MolToSmiles(self.mol)
        return self._smiles

    def matches(self, smarts: str) -> tuple:
        """Matches of a cut pattern in the Kekulé form (RDKit's order)."""
        found = self._matches.get(smarts)
        if found is None:
            found = self._matches[smarts] = self.kekule.GetSubstructMatches(_pattern(smarts))
        return found

    def fragments(self, pairs: tuple[tuple[int, int], ...]) -> tuple[Fragment, Fragment] | None:
        """The two fragments of cutting the bonds between the atom pairs (dummies labelled 1,
        2, … in pair order), or None when the cut leaves one piece or more than two."""
        if pairs not in self._cuts:
            self._cuts[pairs] = self._fragment(pairs)
        return self._cuts[pairs]

    def _fragment(self, pairs):
        from rdkit import Chem

        mol = self.kekule
        if self._dummies is None:  # dummy atoms the molecule itself has ('*' in its SMILES)
            self._dummies = frozenset(i for (i,) in mol.GetSubstructMatches(_pattern(_DUMMY)))
        bonds = [mol.GetBondBetweenAtoms(a, b).GetIdx() for a, b in pairs]
        labels = [(i + 1, i + 1) for i in range(len(bonds))]
        mapping: list = []
        try:
            broken = Chem.FragmentOnBonds(mol, bonds, addDummies=True, dummyLabels=labels)
            frags = Chem.GetMolFrags(
                broken, asMols=True, sanitizeFrags=False, fragsMolAtomMapping=mapping
            )
        except Exception:  # noqa: BLE001
            return None
        if len(frags) != 2:
            return None
        n, dummies = mol.GetNumAtoms(), self._dummies  # FragmentOnBonds appends its dummies
        return tuple(
            Fragment(f, [k for k, i in enumerate(atoms) if i >= n or i in dummies])
            for f, atoms in zip(frags, mapping, strict=True)
        )


def _join(
    frag_a: Fragment,
    frag_b: Fragment,
    pairs: Sequence[tuple[int, int]],
    orders: Sequence[Any] | None = None,
):
    """Bond fragment A to fragment B: for each (label in A, label in B) pair, the atoms next
    to those dummies get a bond (of the given order; by default the order of A's cut bond,
    which in the Kekulé form keeps an aromatic ring's alternation); the dummies are dropped.
    Returns a new RWMol (None when a label is missing or two pairs would bond the same atoms)."""
    from rdkit import Chem

    n_a = frag_a.mol.GetNumAtoms()
    bonds: list[tuple[int, int, Any]] = []
    remove: list[int] = []
    for k, (la, lb) in enumerate(pairs):
        end_a, end_b = frag_a.ends.get(la), frag_b.ends.get(lb)
        if end_a is None or end_b is None:
            return None
        a, b = end_a[1], end_b[1] + n_a
        if any((a, b) == (x, y) for x, y, _ in bonds):
            return None
        bonds.append((a, b, orders[k] if orders is not None else end_a[2]))
        remove += [end_a[0], end_b[0] + n_a]
    combo = Chem.RWMol(frag_a.mol)  # as Chem.CombineMols(a, b), without its extra copy
    combo.InsertMol(frag_b.mol)
    for a, b, order in bonds:
        combo.AddBond(a, b, order)
    for idx in sorted(remove, reverse=True):
        combo.RemoveAtom(idx)
    return combo


def _draw_cut(parent: Parent, rng: np.random.Generator, ring: bool):
    """The atom pairs of one random cut of `parent` (one acyclic single bond, or two bonds of
    one ring), or None when it has no such bond. Only draws: the fragments are made after both
    parents' cuts are drawn, and only when needed (the random draws are the same either way)."""
    if ring:
        matches = parent.matches(_pick(rng, _RING_CUTS))
        if not matches:
            return None
        m = _pick(rng, matches)
        return ((m[0], m[1]), (m[2], m[3])) if len(m) == 4 else ((m[0], m[1]), (m[1], m[2]))
    matches = parent.matches(_NON_RING_CUT)
    return (tuple(_pick(rng, matches)),) if matches else None


def _as_parent(mol, name: str) -> Parent:
    if isinstance(mol, Parent):
        return mol
    _require_mol(mol, "crossover", name)
    return Parent(mol)


def crossover(
    parent_a,
    parent_b,
    rng: np.random.Generator,
    min_atoms: int = 1,
    max_atoms: int = 1000,
    size: tuple[float, float] | None = None,
    allow_parent: bool = True,
):
    """A child of two molecules by ring or non-ring crossover (50/50 per attempt), or None
    after TRIES attempts. With `allow_parent` false a child equal to a parent is rejected
    (GuacaMol's rule; off by default, see the module notes). The parents are RDKit molecules
    or `Parent`s (prepared once when a molecule mates many times)."""
    made = crossover_with_smiles(parent_a, parent_b, rng, min_atoms, max_atoms, size, allow_parent)
    return None if made is None else made[0]


def crossover_with_smiles(
    parent_a,
    parent_b,
    rng: np.random.Generator,
    min_atoms: int = 1,
    max_atoms: int = 1000,
    size: tuple[float, float] | None = None,
    allow_parent: bool = True,
):
    """`crossover`, returning (child, its canonical SMILES) or None."""
    from rdkit import Chem

    a = _as_parent(parent_a, "parent_a")
    b = _as_parent(parent_b, "parent_b")
    for _ in range(TRIES):
        ring = bool(rng.random() < 0.5)
        cut_a, cut_b = _draw_cut(a, rng, ring), _draw_cut(b, rng, ring)
        if cut_a is None or cut_b is None:
            continue
        fa = a.fragments(cut_a)  # two fragments, or None: a ring cut leaving one piece
        fb = None if fa is None else b.fragments(cut_b)
        if fb is None:
            continue
        joined = _join(_pick(rng, fa), _pick(rng, fb), [(1, 1), (2, 2)] if ring else [(1, 1)])
        child = None if joined is None else _clean(joined, min_atoms, max_atoms, rng, size)
        if child is None:
            continue
        smi = Chem.MolToSmiles(child)
        if allow_parent or smi not in (a.smiles, b.smiles):
            return child, smi
    return None
