"""Molecular feature matrices for the GBM (and D-MPNN's extra descriptors): named feature blocks
from a registry, a saved `FeatureSpec` saying which blocks a model uses, and single-parse
standardize + featurize paths for training and prediction.

    X = featurize(smiles, FeatureSpec())      # (n, d) float32: ECFP4 counts + descriptors
    res, X = standardize_and_featurize(raw_smiles, spec)   # standardize + featurize
    clean, errors, feats = standardize_featurize_table(df, "smiles", spec)
    X_train = feats.take(train_canonical_smiles)

Adding a feature block is one function and one registration line:

    @register_featurizer("maccs", names=lambda spec: [f"maccs_{i}" for i in range(167)])
    def _maccs(mols, spec): ...               # (n, 167) float32, NaN rows for None

    FeatureSpec(extra=("maccs",))             # appended after the built-in blocks

Determinism: the blocks see cache-free copies of the molecules, and ErG its own (see
`fingerprints`), so the same molecule gives the same bytes in any process, with any
PYTHONHASHSEED, in any block order and with any number of worker processes.
The fingerprint and descriptor functions live in `fingerprints.py` / `descriptors.py` and are
re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from helixforge.chem.descriptors import (  # noqa: F401  (re-exported API)
    DESCRIPTOR_SETS,
    descriptor_names,
    descriptors,
    descriptors_of_mols,
    profile_descriptors,
    rdkit_all_descriptors,
)
from helixforge.chem.fingerprints import (  # noqa: F401  (re-exported API)
    ERG_SIZE,
    atom_pair_counts,
    atom_pair_generator,
    bits_from_counts,
    counts_block,
    erg,
    erg_block,
    mol_of,
    morgan_bits,
    morgan_counts,
    morgan_generator,
    pristine,
)
from helixforge.chem.scaling import FeatureScaler  # noqa: F401  (re-exported API)
from helixforge.core.registry import Registry

# ---------------------------------------------------------------- registry


@dataclass(frozen=True)
class Featurizer:
    """One feature block: its column names and its values for parsed molecules, given a spec."""

    name: str
    names: Callable[[FeatureSpec], list[str]]
    compute: Callable[[Sequence, FeatureSpec], np.ndarray]


FEATURIZERS: Registry[Featurizer] = Registry("chem featurizer", option="FeatureSpec.extra")


def register_featurizer(
    name: str, names: Callable[[FeatureSpec], list[str]]
) -> Callable[[Callable], Callable]:
    """Decorator: register `fn(mols, spec) -> (n, len(names(spec))) float32` as block `name`."""

    def deco(fn: Callable[[Sequence, FeatureSpec], np.ndarray]) -> Callable:
        FEATURIZERS.register(name, Featurizer(name, names, fn))
        return fn

    return deco


@register_featurizer(
    "ecfp", lambda s: [f"ecfp{2 * s.morgan_radius}_{i}" for i in range(s.morgan_bits)]
)
def _ecfp(mols: Sequence, spec: FeatureSpec) -> np.ndarray:
    gen = morgan_generator(spec.morgan_radius, spec.morgan_bits, False)
    return counts_block(mols, gen, spec.morgan_bits)


@register_featurizer(
    "fcfp", lambda s: [f"fcfp{2 * s.morgan_radius}_{i}" for i in range(s.fcfp_bits)]
)
def _fcfp(mols: Sequence, spec: FeatureSpec) -> np.ndarray:
    gen = morgan_generator(spec.morgan_radius, spec.fcfp_bits, True)
    return counts_block(mols, gen, spec.fcfp_bits)


@register_featurizer("atompair", lambda s: [f"atompair_{i}" for i in range(s.atom_pair_bits)])
def _atom_pairs(mols: Sequence, spec: FeatureSpec) -> np.ndarray:
    return counts_block(mols, atom_pair_generator(spec.atom_pair_bits), spec.atom_pair_bits)


@register_featurizer("erg", lambda s: [f"erg_{i}" for i in range(ERG_SIZE)])
def _erg(mols: Sequence, spec: FeatureSpec) -> np.ndarray:
    return erg_block(mols)


@register_featurizer("descriptors", lambda s: descriptor_names(s.descriptors))
def _descriptors(mols: Sequence, spec: FeatureSpec) -> np.ndarray:
    return descriptors_of_mols(mols, spec.descriptors)


import helixforge.chem.pretrained.register  # noqa: E402,F401,I001  (the "minimol" block)
import helixforge.chem.ionizable  # noqa: E402,F401,I001  (the "ionizable" block)


# ---------------------------------------------------------------- feature specs


@dataclass(frozen=True)
class FeatureSpec:
    """Which feature blocks to concatenate (saved with every model as JSON)."""

    morgan_radius: int = 2
    morgan_bits: int = 2048
    fcfp_bits: int = 0  # 0 = off
    atom_pair_bits: int = 0
    erg: bool = False  # 315 ErG pharmacophore-pair values (~0.2 ms / molecule)
    descriptors: str = "standard"  # "standard", "lite" or "none" (True/False also accepted)
    extra: tuple[str, ...] = ()  # further registered featurizers, appended in this order

    def __post_init__(self) -> None:
        from helixforge.chem.inputs import check_int

        for name in ("morgan_radius", "morgan_bits", "fcfp_bits", "atom_pair_bits"):
            value = check_int(getattr(self, name), name, "FeatureSpec", minimum=0)
            object.__setattr__(self, name, value)
        d = self.descriptors
        kind = "standard" if d is True else "none" if d in (False, None, "") else str(d)
        if kind not in (*DESCRIPTOR_SETS, "none"):
            from helixforge.core.errors import ConfigError

            raise ConfigError(
                f"unknown descriptor set {d!r}", hint=f"choose from {(*DESCRIPTOR_SETS, 'none')}"
            )
        object.__setattr__(self, "descriptors", kind)
        extra = (self.extra,) if isinstance(self.extra, str) else tuple(self.extra or ())
        for name in extra:
            FEATURIZERS.get(name)  # unknown → ConfigError listing the registered blocks
        object.__setattr__(self, "extra", extra)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["extra"] = list(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSpec:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def blocks(self) -> list[str]:
        """Registered featurizer names this spec uses, in column order."""
        out = ["ecfp"] if self.morgan_bits else []
        out += ["fcfp"] if self.fcfp_bits else []
        out += ["atompair"] if self.atom_pair_bits else []
        out += ["erg"] if self.erg else []
        out += ["descriptors"] if self.descriptors != "none" else []
        return out + list(self.extra)

    def names(self) -> list[str]:
        return [n for b in self.blocks() for n in FEATURIZERS.get(b).names(self)]


def featurize_mols(mols: Sequence, spec: FeatureSpec = FeatureSpec()) -> np.ndarray:
    """`featurize` for already parsed (and standardized) RDKit molecules; None → NaN row.
    The blocks see cache-free copies (`pristine`): the caller's molecules are not modified and
    no cached value from an earlier calculation on them can leak into a feature."""
    from helixforge.chem.inputs import mol_list

    spec = as_spec(spec, "featurize_mols")
    mols = mol_list(mols, "featurize_mols")
    clean = [pristine(m) for m in mols]
    parts = [FEATURIZERS.get(b).compute(clean, spec) for b in spec.blocks()]
    if not parts:
        return np.zeros((len(mols), 0), dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # 1e300 in float32 is inf, made NaN below
        X = np.concatenate([np.asarray(p, dtype=np.float32) for p in parts], axis=1)
    # Whatever a block gives (a registered one too), a value float32 cannot hold is missing,
    # never ±inf: LightGBM reads inf as the largest value and the D-MPNN's quantile scaling
    # and NaN-aware means do not survive it
    X[~np.isfinite(X)] = np.nan
    return X


def as_spec(spec: object, where: str) -> FeatureSpec:
    """`spec` as a FeatureSpec (a dict as saved in a model's JSON is read), else ConfigError."""
    if isinstance(spec, FeatureSpec):
        return spec
    if isinstance(spec, dict):
        return FeatureSpec.from_dict(spec)
    from helixforge.core.errors import ConfigError

    raise ConfigError(
        f"{where}: spec must be a FeatureSpec, not {type(spec).__name__} {spec!r}",
        hint="FeatureSpec() (the gbm features), or a model's .features / ADMETPanel.feature_spec",
    )


def _featurize_chunk(smiles: Sequence[str], spec: FeatureSpec) -> np.ndarray:
    return featurize_mols([mol_of(s) for s in smiles], spec)


def featurize(
    smiles: Sequence[str],
    spec: FeatureSpec = FeatureSpec(),
    n_jobs: int = 1,
    chunk_size: int = 2000,
) -> np.ndarray:
    """All blocks of `spec` for each SMILES, (n, d) float32; processes when n_jobs > 1 (the
    result does not depend on n_jobs or chunk_size)."""
    from helixforge.chem.inputs import check_jobs, smiles_list
    from helixforge.core.parallel import chunked, parallel_map

    smiles = smiles_list(smiles, "featurize")
    spec = as_spec(spec, "featurize")
    check_jobs(n_jobs, chunk_size, "featurize")
    if n_jobs == 1 or len(smiles) < 2 * chunk_size:
        return _featurize_chunk(smiles, spec)
    parts = parallel_map(
        _featurize_chunk, list(chunked(smiles, chunk_size)), n_jobs=n_jobs, spec=spec
    )
    return np.concatenate(parts, axis=0)


# ---------------------------------------------------------------- one parse per molecule


def standardize_and_featurize(
    smiles: Sequence[object],
    spec: FeatureSpec = FeatureSpec(),
    options=None,
    n_jobs: int = 1,
    chunk_size: int = 2000,
) -> tuple[list[tuple[str | None, str | None]], np.ndarray]:
    """Standardize each SMILES and featurize the molecules that survive (`table.parse_molecules`:
    one parse to standardize, one per distinct canonical SMILES to featurize).

    Returns per-input `(canonical SMILES, None)` / `(None, reason)` results and the feature
    rows of the accepted molecules, in input order; they equal `featurize(canonical_smiles,
    spec)`, as in training and prediction. `n_jobs > 1` spreads chunks over processes."""
    from helixforge.chem.table import parse_molecules

    results, X, _ = parse_molecules(smiles, spec, options, n_jobs, chunk_size, scaffolds=False)
    return results, X


@dataclass
class MolFeatures:
    """Feature rows by canonical SMILES (from `standardize_featurize_table`); `take` returns
    rows in any order and featurizes SMILES it has not seen (e.g. a second table)."""

    spec: FeatureSpec
    index: dict[str, int] = field(default_factory=dict)
    X: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    def take(self, smiles: Sequence[str], n_jobs: int = 1) -> np.ndarray:
        """(len(smiles), d) float32 feature rows of these canonical SMILES."""
        from helixforge.chem.inputs import smiles_list

        smiles = smiles_list(smiles, "MolFeatures.take")
        new = [s for s in dict.fromkeys(smiles) if s not in self.index]
        if new:
            X_new = featurize(new, self.spec, n_jobs=n_jobs)
            base = len(self.X) if self.X.size else 0
            self.X = np.concatenate([self.X, X_new]) if base else X_new
            self.index.update({s: base + i for i, s in enumerate(new)})
        rows = [self.index[s] for s in smiles]
        return self.X[rows] if rows else np.zeros((0, len(self.spec.names())), np.float32)


def standardize_featurize_table(
    df,
    smiles_col: str,
    spec: FeatureSpec,
    *,
    source: str | os.PathLike | None = None,
    options=None,
    n_jobs: int = 1,
    errors=None,
):
    """`standardize.standardize_table` that also featurizes every accepted molecule from the
    same RDKit parse. Returns `(clean_df, RowErrors, MolFeatures)`; duplicates share the
    features of their first occurrence (after `merge_duplicates`, `feats.take(clean[key])`)."""
    from helixforge.chem.standardize import CANONICAL_COL, apply_standardization, check_frame
    from helixforge.core.tables import require_columns

    check_frame(df, "standardize_featurize_table")
    require_columns(df, [smiles_col], source)
    results, X = standardize_and_featurize(df[smiles_col].tolist(), spec, options, n_jobs)
    clean, errors = apply_standardization(df, smiles_col, results, source=source, errors=errors)
    index: dict[str, int] = {}
    for i, smi in enumerate(clean[CANONICAL_COL].tolist()):
        index.setdefault(smi, i)
    return clean, errors, MolFeatures(spec, index, X)
