"""Uncertainty for property predictions: split-conformal intervals (regression), conformal
prediction sets (classification) — both from `helixforge.core.conformal`, re-exported here — and
an applicability-domain flag from nearest-neighbour Tanimoto similarity to the training set.

Split conformal: on a calibration set the model never trained on (the validation split), take
nonconformity scores s_i and their finite-sample quantile q at level ceil((n+1)·coverage)/n.
For a new molecule the interval ŷ ± q (or ŷ ± q·σ̂ with ensemble spread σ̂, "normalized")
covers the truth with probability ≥ coverage when calibration and test are exchangeable;
under a scaffold split they are not exactly, so the report shows the coverage reached on test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helixforge.core.conformal import (  # noqa: F401  (re-exported for the chem API)
    ClassificationConformal,
    RegressionConformal,
    conformal_quantile,
    set_labels,
)
from helixforge.core.errors import InputError

# ---------------------------------------------------------------- applicability domain


def max_tanimoto(
    query_bits: np.ndarray, reference_bits: np.ndarray, chunk: int = 1024
) -> np.ndarray:
    """For each query row, the highest Tanimoto similarity to any reference row.

    Both arguments are packed fingerprints, (n, words) uint64 (see `featurize.morgan_bits`).
    Intersections are one float32 matrix product per chunk of queries (BLAS), so memory stays
    at chunk × n_reference.
    """
    q = _packed(query_bits, "query_bits")
    r = _packed(reference_bits, "reference_bits")
    if len(q) and len(r) and q.shape[1] != r.shape[1]:
        raise InputError(
            f"max_tanimoto: query fingerprints have {q.shape[1] * 64} bits, reference ones "
            f"{r.shape[1] * 64}",
            hint="compute both with morgan_bits(..., n_bits=) of the same size",
        )
    out = np.zeros(len(q), dtype=np.float32)
    if len(r) == 0 or len(q) == 0:
        return out
    R = _unpack(r)
    r_count = R.sum(axis=1)
    for start in range(0, len(q), chunk):
        Q = _unpack(q[start : start + chunk])
        inter = Q @ R.T
        union = Q.sum(axis=1)[:, None] + r_count[None, :] - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(union > 0, inter / union, 0.0)
        out[start : start + len(Q)] = sim.max(axis=1)
    return out


def check_similarity(value: object, where: str) -> float:
    """A Tanimoto threshold: a finite number in [0, 1] (ConfigError otherwise)."""
    import math
    import numbers

    from helixforge.core.errors import ConfigError

    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise ConfigError(
            f"{where}: threshold is a Tanimoto similarity in [0, 1], not {value!r}",
            hint="the default is 0.3",
        )
    return float(value)


def _packed(bits: object, name: str) -> np.ndarray:
    """A (n, words) uint64 matrix of packed fingerprints, or InputError naming `name`."""
    arr = np.asarray(bits)
    if arr.size == 0:
        return np.zeros(
            (arr.shape[0] if arr.ndim else 0, arr.shape[1] if arr.ndim == 2 else 0), np.uint64
        )
    if arr.dtype.kind not in "ui" or arr.ndim != 2:
        raise InputError(
            f"max_tanimoto: {name} must be packed fingerprints, a 2-D uint64 array (n, words); "
            f"got {arr.ndim}-D {arr.dtype}",
            hint="compute them with helixforge.chem.featurize.morgan_bits(smiles)",
        )
    return np.ascontiguousarray(arr, dtype=np.uint64)


def _unpack(bits: np.ndarray) -> np.ndarray:
    return np.unpackbits(bits.view(np.uint8), axis=1, bitorder="little").astype(np.float32)


# A molecule with more heavy atoms than this many times the largest training molecule is out of
# the domain whatever its similarity: ECFP bits cannot count, so a 300-carbon chain has the bits
# of hexadecane (similarity 1.0) and was "in domain" for a model of molecules up to 40 atoms.
AD_SIZE_FACTOR = 2.0


@dataclass
class ApplicabilityDomain:
    """In domain when the nearest training neighbour has Tanimoto (ECFP4) ≥ `threshold` and,
    when `max_heavy_atoms` (of the training molecules) is known, the molecule has at most
    `AD_SIZE_FACTOR` times that many heavy atoms."""

    threshold: float = 0.3
    max_heavy_atoms: int | None = None

    def __post_init__(self) -> None:
        self.threshold = check_similarity(self.threshold, "ApplicabilityDomain")

    def flag(self, similarity: np.ndarray, heavy_atoms: np.ndarray | None = None) -> np.ndarray:
        inside = np.asarray(similarity, float) >= self.threshold
        if heavy_atoms is not None and self.max_heavy_atoms:
            inside &= np.asarray(heavy_atoms) <= AD_SIZE_FACTOR * self.max_heavy_atoms
        return inside


def heavy_atom_counts(smiles, features=None, spec=None) -> np.ndarray:
    """Heavy atoms of each canonical SMILES (0 where it does not parse): the `HeavyAtoms`
    column of the feature matrix when it has one, else an unsanitized parse (~10 µs)."""
    if features is not None and spec is not None and spec.descriptors != "none":
        names = spec.names()
        if "HeavyAtoms" in names:
            return np.nan_to_num(features[:, names.index("HeavyAtoms")], nan=0.0).astype(int)
    from rdkit import Chem

    from helixforge.chem.standardize import quiet_rdkit

    quiet_rdkit()
    out = np.zeros(len(smiles), dtype=int)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s, sanitize=False) if isinstance(s, str) else None
        out[i] = mol.GetNumHeavyAtoms() if mol is not None else 0
    return out


# ---------------------------------------------------------------- AD columns of a run

AD_FILE = "ad.json"
AD_BITS_FILE = "ad_train_bits.npy"


def _ecfp_bits(smiles, features, spec) -> np.ndarray:
    """ECFP4 2048-bit packed fingerprints, from the feature matrix when its first block is
    ECFP4 counts of 2048 bits (no parse), else from the SMILES."""
    from helixforge.chem.featurize import bits_from_counts, morgan_bits

    if (
        features is not None
        and spec is not None
        and spec.morgan_radius == 2
        and spec.morgan_bits == 2048
        and spec.blocks()[:1] == ["ecfp"]
    ):
        return bits_from_counts(features[:, :2048])
    return morgan_bits(list(smiles))


def applicability_columns(threshold: float = 0.3, spec=None):
    """The chem `ExtraColumns` hook: `ad_similarity` (max Tanimoto, ECFP4, to the training
    molecules) and `in_domain` (similarity ≥ threshold). Training saves ad.json and the
    training fingerprints into the run; prediction loads them."""
    from pathlib import Path

    threshold = check_similarity(threshold, "applicability_columns")
    from helixforge.core.artifacts import save_json

    def columns(inputs, folder, train_rows, features):
        folder = Path(folder)
        bits = _ecfp_bits(inputs, features, spec)
        heavy = heavy_atom_counts(list(inputs), features, spec)
        if train_rows is not None:
            rows = np.asarray(train_rows, dtype=int)
            train_bits = bits[rows]
            np.save(folder / AD_BITS_FILE, train_bits, allow_pickle=False)
            info = {"threshold": threshold, "fingerprint": "ECFP4 2048 bits"}
            largest = int(heavy[rows].max()) if len(rows) else None
            info |= {"n_train": len(train_bits), "max_heavy_atoms": largest}
            save_json(info, folder / AD_FILE)
            cut = threshold
        else:
            from helixforge.core.supervised.predict import read_json_file

            bits_path = folder / AD_BITS_FILE
            if not bits_path.exists():
                return {}
            try:
                train_bits = np.load(bits_path, allow_pickle=False)
            except (ValueError, OSError) as exc:
                from helixforge.core.errors import InputError

                raise InputError(f"{bits_path}: damaged fingerprint file ({exc})") from None
            ad_path = folder / AD_FILE
            info = read_json_file(ad_path, AD_FILE) if ad_path.exists() else {}
            cut = info.get("threshold", threshold)
            largest = info.get("max_heavy_atoms")  # absent in runs trained before it was saved
        sim = max_tanimoto(bits, train_bits)
        domain = ApplicabilityDomain(cut, largest)
        return {"ad_similarity": sim, "in_domain": domain.flag(sim, heavy)}

    return columns
