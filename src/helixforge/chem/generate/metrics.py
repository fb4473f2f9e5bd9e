"""MOSES distribution-learning metrics, implemented with RDKit and NumPy.

    ref = ReferenceStats.from_smiles(test_smiles)          # fingerprints, fragments, scaffolds
    m = moses_metrics(generated, test=ref, test_scaffolds=ref_sf, train=train_set)

Definitions follow MOSES (Polykovskiy et al., Front. Pharmacol. 2020; molsets 0.3.1
`moses/metrics`), so numbers are comparable with its published table:

* validity: fraction of samples RDKit parses (an empty string is invalid);
* unique@k: distinct canonical SMILES among the first k valid samples (all if fewer);
* novelty: distinct valid canonical SMILES not in the training set / distinct valid;
* IntDiv_p: 1 − mean_i (mean_j T(i, j)^p)^(1/p) over valid samples (duplicates kept, i = j
  included), T = Tanimoto on Morgan radius-2, 1024-bit fingerprints;
* SNN: mean over valid samples of the highest Tanimoto to the reference set;
* Frag / Scaf: cosine similarity of BRICS-fragment / Bemis–Murcko-scaffold (≥ 2 rings) count
  vectors of the samples and the reference;
* Filters: fraction of valid samples passing the MOSES filters (no charge, atoms in
  C N S O F Cl Br H, no ring of ≥ 8 atoms, no MCF or WEHI-PAINS SMARTS match; the SMARTS are
  MOSES's own files, shipped in weights/moses_filters.json, MIT).

FCD is not computed: its ChemNet weights are downloaded by the fcd packages at run time and
nothing in HelixForge may use the network (docs/generate.md).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np

from helixforge.core.errors import InputError

MOSES_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})


def _quiet_rdkit() -> None:
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")


def to_mols(smiles: Iterable[str]) -> list:
    """RDKit molecules (None where a SMILES is empty or invalid)."""
    from rdkit import Chem

    _quiet_rdkit()
    out = []
    for s in smiles:
        if not isinstance(s, str):
            raise InputError(f"expected SMILES strings, got {type(s).__name__} {s!r}")
        m = Chem.MolFromSmiles(s) if s else None
        out.append(m if m is not None and m.GetNumAtoms() > 0 else None)
    return out


def canonical_valid(smiles: Sequence[str]) -> list[str]:
    """Canonical SMILES of the valid samples, in order (duplicates kept)."""
    from rdkit import Chem

    return [Chem.MolToSmiles(m) for m in to_mols(smiles) if m is not None]


def validity(smiles: Sequence[str]) -> float:
    if not smiles:
        raise InputError("no molecules given")
    return sum(m is not None for m in to_mols(smiles)) / len(smiles)


def unique_at(canon_valid: Sequence[str], k: int | None = None) -> float:
    """Fraction of distinct SMILES among the first k (all when k is None or too large)."""
    sub = list(canon_valid[:k]) if k else list(canon_valid)
    if not sub:
        return float("nan")
    return len(set(sub)) / len(sub)


def novelty(canon_valid: Sequence[str], train: set[str] | Any) -> float:
    """Distinct samples absent from `train` / distinct samples. `train` is a set of canonical
    SMILES or an object with `contains(list) -> bool array` (a NoveltyReference)."""
    distinct = sorted(set(canon_valid))
    if not distinct:
        return float("nan")
    if hasattr(train, "contains"):
        known = np.asarray(train.contains(distinct), dtype=bool)
        return float((~known).sum()) / len(distinct)
    return sum(s not in train for s in distinct) / len(distinct)


def fingerprints(mols: Sequence) -> np.ndarray:
    """Morgan radius-2 1024-bit fingerprints as a (n, 1024) uint8 0/1 matrix."""
    from rdkit import DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    out = np.zeros((len(mols), 1024), dtype=np.uint8)
    for i, m in enumerate(mols):
        DataStructs.ConvertToNumpyArray(gen.GetFingerprint(m), out[i])
    return out


def agg_tanimoto(
    stock: np.ndarray, gen: np.ndarray, agg: str = "max", p: int = 1, batch: int = 4096
) -> float:
    """MOSES average_agg_tanimoto: for each gen row, max (or power mean) of Tanimoto to every
    stock row; the mean over gen rows. Both are 0/1 matrices; a 0/0 Tanimoto counts as 1."""
    if len(gen) == 0 or len(stock) == 0:
        return float("nan")
    acc = np.zeros(len(gen)) if agg == "mean" else np.full(len(gen), -1.0)
    g_all = gen.astype(np.float32)
    g_sum = g_all.sum(1)
    for j in range(0, len(stock), batch):
        s = stock[j : j + batch].astype(np.float32)
        s_sum = s.sum(1)
        for i in range(0, len(gen), batch):
            g = g_all[i : i + batch]
            tp = s @ g.T
            denom = s_sum[:, None] + g_sum[None, i : i + batch] - tp
            with np.errstate(invalid="ignore", divide="ignore"):
                jac = np.where(denom > 0, tp / np.maximum(denom, 1), 1.0)
            if p != 1:
                jac = jac**p
            if agg == "max":
                acc[i : i + batch] = np.maximum(acc[i : i + batch], jac.max(0))
            else:
                acc[i : i + batch] += jac.sum(0)
    if agg == "mean":
        acc /= len(stock)
    if p != 1:
        acc = acc ** (1 / p)
    return float(acc.mean())


def internal_diversity(fps: np.ndarray, p: int = 1) -> float:
    """IntDiv_p (MOSES): 1 − power-mean Tanimoto of every pair, self pairs included."""
    return 1.0 - agg_tanimoto(fps, fps, agg="mean", p=p)


def fragments(mols: Iterable) -> Counter[str]:
    """BRICS fragment SMILES counts (MOSES `compute_fragments`)."""
    from rdkit import Chem
    from rdkit.Chem.rdmolops import FragmentOnBRICSBonds

    c: Counter[str] = Counter()
    for m in mols:
        c.update(Chem.MolToSmiles(FragmentOnBRICSBonds(m)).split("."))
    return c


def scaffolds(mols: Iterable, min_rings: int = 2) -> Counter[str]:
    """Bemis–Murcko scaffold counts, scaffolds with fewer than `min_rings` rings dropped."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    c: Counter[str] = Counter()
    for m in mols:
        try:
            sc = MurckoScaffold.GetScaffoldForMol(m)
        except (ValueError, RuntimeError):
            continue
        smi = Chem.MolToSmiles(sc)
        if smi and sc.GetRingInfo().NumRings() >= min_rings:
            c[smi] += 1
    return c


def cos_similarity(ref: Counter[str], gen: Counter[str]) -> float:
    """Cosine similarity of two count vectors over the union of keys (nan if one is empty)."""
    if not ref or not gen:
        return float("nan")
    keys = sorted(set(ref) | set(gen))
    a = np.array([ref.get(k, 0) for k in keys], dtype=float)
    b = np.array([gen.get(k, 0) for k in keys], dtype=float)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@lru_cache(maxsize=1)
def _filters() -> list:
    from rdkit import Chem

    path = files("helixforge.chem.generate").joinpath("weights", "moses_filters.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Chem.MolFromSmarts(f["smarts"]) for f in data["mcf"] + data["pains"]]


def passes_filters(mol) -> bool:
    """MOSES `mol_passes_filters` with its default allowed atoms."""
    from rdkit import Chem

    if mol is None:
        return False
    ring = mol.GetRingInfo()
    if ring.NumRings() and any(len(r) >= 8 for r in ring.AtomRings()):
        return False
    if any(a.GetFormalCharge() != 0 for a in mol.GetAtoms()):
        return False
    if any(a.GetSymbol() not in MOSES_ATOMS for a in mol.GetAtoms()):
        return False
    h_mol = Chem.AddHs(mol)
    if any(h_mol.HasSubstructMatch(f) for f in _filters()):
        return False
    smi = Chem.MolToSmiles(mol, isomericSmiles=False)
    return bool(smi) and Chem.MolFromSmiles(smi) is not None


@dataclass
class ReferenceStats:
    """What SNN, Frag and Scaf need of a reference set (MOSES test or scaffold-test)."""

    fps: np.ndarray  # (n, 1024) uint8
    frags: Counter[str]
    scafs: Counter[str]

    @classmethod
    def from_smiles(cls, smiles: Sequence[str]) -> ReferenceStats:
        mols = [m for m in to_mols(smiles) if m is not None]
        if not mols:
            raise InputError("reference set has no valid molecules")
        return cls(fingerprints(mols), fragments(mols), scaffolds(mols))

    def save(self, path) -> None:
        np.savez_compressed(
            path,
            fps=np.packbits(self.fps, axis=1),
            frags=np.array(json.dumps(self.frags)),
            scafs=np.array(json.dumps(self.scafs)),
        )

    @classmethod
    def load(cls, path) -> ReferenceStats:
        with np.load(path, allow_pickle=False) as z:
            return cls(
                np.unpackbits(z["fps"], axis=1)[:, :1024],
                Counter(json.loads(str(z["frags"]))),
                Counter(json.loads(str(z["scafs"]))),
            )


def moses_metrics(
    generated: Sequence[str],
    *,
    test: ReferenceStats | None = None,
    test_scaffolds: ReferenceStats | None = None,
    train: set[str] | Any | None = None,
) -> dict[str, float]:
    """The MOSES metric set for raw generated SMILES (the references are optional)."""
    from rdkit import Chem

    if isinstance(generated, str):
        raise InputError("moses_metrics takes a sequence of SMILES, not one string")
    generated = list(generated)
    if not generated:
        raise InputError("no generated molecules given")
    mols_all = to_mols(generated)
    mols = [m for m in mols_all if m is not None]
    canon = [Chem.MolToSmiles(m) for m in mols]
    out: dict[str, float] = {
        "valid": len(mols) / len(generated),
        "unique@1000": unique_at(canon, 1000),
        "unique@10000": unique_at(canon, 10000),
    }
    if not mols:
        return out
    fps = fingerprints(mols)
    out["IntDiv"] = internal_diversity(fps, 1)
    out["IntDiv2"] = internal_diversity(fps, 2)
    out["Filters"] = sum(passes_filters(m) for m in mols) / len(mols)
    if train is not None:
        out["Novelty"] = novelty(canon, train)
    frags = scafs = None
    for name, ref in (("Test", test), ("TestSF", test_scaffolds)):
        if ref is None:
            continue
        frags = fragments(mols) if frags is None else frags
        scafs = scaffolds(mols) if scafs is None else scafs
        out[f"SNN/{name}"] = agg_tanimoto(ref.fps, fps, agg="max")
        out[f"Frag/{name}"] = cos_similarity(ref.frags, frags)
        out[f"Scaf/{name}"] = cos_similarity(ref.scafs, scafs)
    return out
