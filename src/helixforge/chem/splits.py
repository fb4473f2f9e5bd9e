"""Molecule-aware splits: Bemis–Murcko scaffold (balanced, as Chemprop), ECFP cluster, and TDC's
exact scaffold split. Importing `helixforge.chem` registers "scaffold" and "cluster" with
`helixforge.core.splits`, so `make_split("scaffold", n, smiles=...)` works everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.core.splits import Split, group_split, register_splitter


def murcko_scaffold(smiles: str, include_chirality: bool = False) -> str | None:
    """Bemis–Murcko scaffold SMILES ('' for acyclic molecules), None when SMILES is invalid."""

    from helixforge.chem.standardize import parse_smiles

    mol, _ = parse_smiles(smiles)
    return scaffold_of_mol(mol, include_chirality)


def scaffold_of_mol(mol, include_chirality: bool = False) -> str | None:
    """`murcko_scaffold` of an already parsed molecule (None for None or a failure)."""
    from rdkit.Chem.Scaffolds import MurckoScaffold

    if mol is None:
        return None
    try:
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=include_chirality)
    except Exception:
        return None


def scaffold_groups(
    smiles: Sequence[str], scaffolds: Sequence[str | None] | None = None
) -> np.ndarray:
    """One scaffold key per molecule; invalid SMILES and failures get a unique key of their own.
    `scaffolds`: the molecules' scaffolds when already computed (no SMILES parsed then)."""
    from helixforge.chem.inputs import smiles_list

    smiles = smiles_list(smiles, "scaffold_groups")
    if scaffolds is not None:
        scaffolds = smiles_list(scaffolds, "scaffold_groups", "scaffolds")
        if len(scaffolds) != len(smiles):
            raise InputError(
                f"scaffold_groups: {len(scaffolds)} scaffolds for {len(smiles)} SMILES",
                hint="pass one scaffold per SMILES (or none)",
            )
    keys = []
    for i, s in enumerate(smiles):
        scaf = scaffolds[i] if scaffolds is not None else murcko_scaffold(s)
        keys.append(f"__invalid_{i}" if scaf is None else scaf)
    return np.asarray(keys, dtype=object)


def check_fractions(fractions: Sequence[float], where: str, sizes: int | tuple = 3) -> list:
    """Split fractions: `sizes` finite non-negative numbers summing to 1 (ConfigError)."""
    import math

    sizes = (sizes,) if isinstance(sizes, int) else sizes
    try:
        values = [float(f) for f in fractions]
    except (TypeError, ValueError):
        values = []
    if (
        len(values) not in sizes
        or not all(math.isfinite(f) and f >= 0 for f in values)
        or abs(sum(values) - 1) > 1e-6
    ):
        count = " or ".join(map(str, sizes))
        raise ConfigError(
            f"{where}: fractions {fractions!r} must be {count} non-negative numbers summing to 1",
            hint="e.g. (0.8, 0.1, 0.1) for train / valid / test",
        )
    return values


def check_seed(seed: object, where: str) -> None:
    """A seed NumPy's generators accept: a non-negative integer (or None = fresh entropy)."""
    import numbers

    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ConfigError(f"{where}: seed must be a non-negative integer, not {seed!r}")


def _need_smiles(smiles, n: int, name: str, fractions=None, seed=None) -> list[str]:
    from helixforge.chem.inputs import smiles_list

    if smiles is None:
        raise ConfigError(f"the {name} split needs the molecules' SMILES (smiles=...)")
    smiles = smiles_list(smiles, f"{name}_split")
    if fractions is not None:
        check_fractions(fractions, f"{name}_split", 3)
    check_seed(seed, f"{name}_split")
    if len(smiles) != n:
        raise ConfigError(f"the {name} split got {len(smiles)} SMILES for {n} rows")
    return smiles


@register_splitter("scaffold")
def scaffold_split(
    n: int,
    *,
    smiles: Sequence[str] | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    balanced: bool = True,
    scaffolds: Sequence[str | None] | None = None,
    **_,
) -> Split:
    """Whole Bemis–Murcko scaffold sets go to one part. `balanced` (Chemprop's default) puts sets
    bigger than half the valid/test size first (in shuffled order), then the rest shuffled.
    `scaffolds` (one per row, precomputed) spares parsing the SMILES again."""
    smiles = _need_smiles(smiles, n, "scaffold", fractions, seed)
    groups = scaffold_groups(smiles, scaffolds)
    if n > 1 and len(set(groups)) == 1:  # 'the split left no training rows' said nothing of it
        raise ConfigError(
            f"all {n} molecules have one Bemis-Murcko scaffold ({groups[0] or 'none: acyclic'}"
            "), so a scaffold split cannot separate them",
            hint="use --split random or --split cluster (or a --split-col)",
        )
    return group_split(n, groups=groups, fractions=fractions, seed=seed, balanced=balanced)


@register_splitter("scaffold_valid")
def scaffold_valid_split(
    n: int,
    *,
    smiles: Sequence[str] | None = None,
    fractions: Sequence[float] = (0.9, 0.1, 0.0),
    seed: int = 0,
    scaffolds: Sequence[str | None] | None = None,
    **_,
) -> Split:
    """The validation part carved from a run's training part (early stopping, conformal
    calibration): whole scaffold sets, or a random carve-out when one set holds so many rows
    that the training part would lose more than half of them. A congeneric series (every
    molecule a substituted benzene, or acyclic) with a --split-col of train / test lost its
    whole training part to validation ('0 labelled training molecules')."""
    smiles = _need_smiles(smiles, n, "scaffold", fractions, seed)
    groups = scaffold_groups(smiles, scaffolds)
    sp = group_split(n, groups=groups, fractions=fractions, seed=seed, balanced=True)
    if len(sp.train) >= 0.5 * fractions[0] * n:
        return sp
    from helixforge.core.splits import make_split

    return make_split("random", n, fractions=fractions, seed=seed)


@register_splitter("cluster")
def cluster_split(
    n: int,
    *,
    smiles: Sequence[str] | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    method: str = "auto",
    threshold: float = 0.35,
    n_clusters: int | None = None,
    **_,
) -> Split:
    """Whole ECFP clusters go to one part (harder than scaffold: near analogues stay together).

    method: "butina" (Taylor–Butina on Tanimoto distance, clusters of molecules with similarity
    ≥ `threshold` to a centroid; O(n²) memory so used up to 5,000 molecules), "kmeans" (k-means
    on ECFP bits, k = n / 20 unless `n_clusters`), or "auto" (butina up to 5,000, else kmeans).
    """
    smiles = _need_smiles(smiles, n, "cluster", fractions, seed)
    labels = ecfp_clusters(
        smiles, method=method, threshold=threshold, n_clusters=n_clusters, seed=seed
    )
    return group_split(n, groups=labels.astype(str), fractions=fractions, seed=seed, balanced=True)


def ecfp_clusters(
    smiles: Sequence[str],
    method: str = "auto",
    threshold: float = 0.35,
    n_clusters: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Cluster label per molecule from ECFP4 (2048 bits)."""
    import math

    from helixforge.chem.featurize import morgan_bits
    from helixforge.chem.inputs import check_int, smiles_list

    smiles = smiles_list(smiles, "ecfp_clusters")
    import numbers

    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, numbers.Real)  # np.float32(0.5) was refused as 'not 0.5'
        or not math.isfinite(threshold)
    ):
        raise ConfigError(f"cluster split: threshold must be a number in [0, 1], not {threshold!r}")
    if not 0 <= threshold <= 1:
        raise ConfigError(
            f"cluster split: threshold is a Tanimoto similarity in [0, 1], not {threshold}"
        )
    if n_clusters is not None:
        n_clusters = check_int(n_clusters, "n_clusters", "cluster split", minimum=1)
    n = len(smiles)
    if method == "auto":
        method = "butina" if n <= 5000 else "kmeans"
    if method == "butina":
        from rdkit import DataStructs
        from rdkit.Chem import rdFingerprintGenerator
        from rdkit.ML.Cluster import Butina

        from helixforge.chem.standardize import parse_smiles

        gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
        fps = []
        for s in smiles:
            mol, _ = parse_smiles(s)
            fps.append(
                gen.GetFingerprint(mol) if mol is not None else DataStructs.ExplicitBitVect(2048)
            )
        dists: list[float] = []
        for i in range(1, n):
            sims = DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i])
            dists.extend(1.0 - x for x in sims)
        clusters = Butina.ClusterData(dists, n, 1.0 - threshold, isDistData=True)
        labels = np.empty(n, dtype=int)
        for c, members in enumerate(clusters):
            labels[list(members)] = c
        return labels
    if method == "kmeans":
        from sklearn.cluster import MiniBatchKMeans

        bits = np.unpackbits(morgan_bits(smiles).view(np.uint8), axis=1, bitorder="little").astype(
            np.float32
        )
        k = n_clusters or max(2, min(n, n // 20))
        km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=1, batch_size=2048)
        return km.fit_predict(bits)
    raise ConfigError(f"unknown cluster method {method!r}", hint="use 'butina', 'kmeans' or 'auto'")


def tdc_scaffold_split(
    smiles: Sequence[str], seed: int, frac: Sequence[float] = (0.875, 0.125)
) -> Split:
    """Reproduce TDC's `create_scaffold_split` (as `get_train_valid_split(seed, ...)` calls it
    with fractions [0.875, 0.125, 0]) exactly: same scaffold sets, same order, same shuffles.

    TDC groups rows by `MurckoScaffoldSmiles(mol=MolFromSmiles(s), includeChirality=False)` in
    first-seen order and drops unparsable rows; sets larger than half the valid or test size are
    "big"; `random.Random(seed)` shuffles the big list, then the small list; sets then fill train
    up to int(n·frac[0]), then (with a test fraction) valid up to int(n·frac[1]), the rest going
    to the last part. Positions refer to the input order; the test part is empty for two
    fractions.
    """
    import random as _random

    from rdkit import Chem, RDLogger
    from rdkit.Chem.Scaffolds import MurckoScaffold

    from helixforge.chem.inputs import check_int, smiles_list

    RDLogger.DisableLog("rdApp.*")
    smiles = smiles_list(smiles, "tdc_scaffold_split")
    seed = check_int(seed, "seed", "tdc_scaffold_split")
    frac = check_fractions(frac, "tdc_scaffold_split", (2, 3))
    frac = frac + [0.0] * (3 - len(frac))
    scaffolds: dict[str, list[int]] = {}
    errors = 0
    for i, s in enumerate(smiles):
        try:
            scaf = MurckoScaffold.MurckoScaffoldSmiles(
                mol=Chem.MolFromSmiles(s), includeChirality=False
            )
        except Exception:
            errors += 1
            continue
        scaffolds.setdefault(scaf, []).append(i)
    total = len(smiles) - errors
    train_size = int(total * frac[0])
    val_size = int(total * frac[1])
    test_size = total - train_size - val_size
    big, small = [], []
    for idx in scaffolds.values():
        (big if len(idx) > val_size / 2 or len(idx) > test_size / 2 else small).append(idx)
    rng = _random.Random(seed)
    rng.seed(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for idx in big + small:
        if len(train) + len(idx) <= train_size:
            train += idx
        elif frac[2] == 0 or len(val) + len(idx) <= val_size:
            val += idx
        else:
            test += idx
    return Split(np.array(train, int), np.array(val, int), np.array(test, int))
