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

* FCD (Fréchet ChemNet Distance): ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^½) of the ChemNet
  penultimate-layer activations of the reference and of the canonical valid samples
  (duplicates kept), with fcd_torch's ChemNet, SMILES encoding and Fréchet distance — as
  MOSES (which calls `fcd_torch.FCD`). fcd_torch (the optional `generate` extra) ships
  ChemNet_v0.13_pretrained.pt inside its wheel; HelixForge loads only that file and never
  downloads anything (a missing file is refused). Activations are reduced batch by batch to a
  mean and a covariance (bounded memory), and a reference file's (μ, Σ) are cached by the
  file's sha256 (`reference_fcd_stats`).

    ref_fcd = reference_fcd_stats("moses_test.csv.gz")      # cached after the first call
    m = moses_metrics(generated, test=ref, fcd_test=ref_fcd)  # adds "FCD/Test"

  FCD from small sets is not meaningful: each side's 512 × 512 covariance is estimated from
  its molecules (singular with 512 or fewer), and the distance is biased upward by an amount
  that shrinks only as the sets grow. Below `FCD_MIN_MOLECULES` in either set the value is
  still computed but comes with a caveat (`fcd_caveat`): `frechet_distance` issues an
  `FCDSampleSizeWarning` and `fcd_report` adds it to its text. Published FCDs (MOSES) use 30k
  samples against a 176k-molecule reference.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.chem.inputs import check_int, smiles_list
from helixforge.core.errors import DataUnavailableError, InputError, is_missing
from helixforge.core.io import require_input_file

MOSES_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})


def _quiet_rdkit() -> None:
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")


def to_mols(smiles: Iterable[str], where: str = "to_mols", any_order: bool = False) -> list:
    """RDKit molecules (None where a SMILES is empty, missing — None / NaN, as an empty sample
    reads back from a CSV — or invalid)."""
    from helixforge.chem.standardize import plain_mol

    _quiet_rdkit()
    out = []
    for i, s in enumerate(smiles_list(smiles, where, any_order=any_order)):
        if not isinstance(s, str):
            if is_missing(s):
                out.append(None)
                continue
            raise InputError(
                f"{where}: smiles[{i}] is {type(s).__name__} {s!r}, not a SMILES string"
            )
        m = plain_mol(s) if s else None
        out.append(m if m is not None and m.GetNumAtoms() > 0 else None)
    return out


def canonical_valid(smiles: Sequence[str]) -> list[str]:
    """Canonical SMILES of the valid samples, in order (duplicates kept)."""
    from rdkit import Chem

    return [Chem.MolToSmiles(m) for m in to_mols(smiles, "canonical_valid") if m is not None]


def validity(smiles: Sequence[str]) -> float:
    """Fraction of the samples RDKit parses (MOSES validity)."""
    mols = to_mols(smiles, "validity", any_order=True)
    if not mols:
        raise InputError("validity: no molecules given")
    return sum(m is not None for m in mols) / len(mols)


def unique_at(canon_valid: Sequence[str], k: int | None = None) -> float:
    """Fraction of distinct SMILES among the first k (all when k is None or too large)."""
    canon_valid = smiles_list(canon_valid, "unique_at", "canon_valid")
    if k is not None:
        k = check_int(k, "k", "unique_at", minimum=1)
    sub = list(canon_valid[:k]) if k else list(canon_valid)
    if not sub:
        return float("nan")
    return len(set(sub)) / len(sub)


def novelty(canon_valid: Sequence[str], train: set[str] | Any) -> float:
    """Distinct samples absent from `train` / distinct samples. `train` is a set of canonical
    SMILES or an object with `contains(list) -> bool array` (a NoveltyReference)."""
    canon_valid = smiles_list(canon_valid, "novelty", "canon_valid", any_order=True)
    if not hasattr(train, "contains") and (
        isinstance(train, str | bytes) or not isinstance(train, Iterable)
    ):
        raise InputError(
            f"novelty: train must be a set of canonical SMILES or a NoveltyReference, not "
            f"{type(train).__name__} {str(train)[:40]!r}",
            hint="pass set(training_smiles)"
            + (" (a string would test substrings)" if isinstance(train, str) else ""),
        )
    if not hasattr(train, "contains") and not isinstance(train, set | frozenset | dict):
        train = set(train)  # a list: membership by equality, at set speed
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
        mols = [
            m
            for m in to_mols(smiles, "ReferenceStats.from_smiles", any_order=True)
            if m is not None
        ]
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
        if not Path(path).is_file():
            raise InputError(
                f"{path}: no such reference statistics file",
                hint="write one with ReferenceStats.from_smiles(smiles).save(path)",
            )
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(
                    np.unpackbits(z["fps"], axis=1)[:, :1024],
                    Counter(json.loads(str(z["frags"]))),
                    Counter(json.loads(str(z["scafs"]))),
                )
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(
                f"{path}: damaged reference statistics file ({type(exc).__name__}: {exc})",
                hint="write it again with ReferenceStats.from_smiles(smiles).save(path)",
            ) from None


# ---------------------------------------------------------------- FCD (fcd_torch's ChemNet)

CHEMNET_FILE = "ChemNet_v0.13_pretrained.pt"
FCD_INSTALL_HINT = (
    "install the generate extra: pip install 'helixforge[generate]' (or pip install "
    "'fcd_torch>=1.0.7'); its wheel ships the ChemNet weights, nothing is downloaded"
)
FCD_BATCH = 256  # molecules per ChemNet batch: ~25 MB of one-hot input at 350 x 35
FCD_CACHE_VERSION = 1


def fcd_available() -> bool:
    """True when fcd_torch (the `generate` extra) can be imported."""
    import importlib.util

    try:
        return importlib.util.find_spec("fcd_torch") is not None
    except (ImportError, ValueError):  # a broken or blocked installation counts as missing
        return False


def chemnet_path() -> Path:
    """The ChemNet weights inside the installed fcd_torch package (never downloaded).

    Raises DataUnavailableError when fcd_torch is missing or was installed without the file.
    """
    import importlib.util

    spec = importlib.util.find_spec("fcd_torch")
    if spec is None or not spec.origin:
        raise DataUnavailableError("FCD needs fcd_torch, which is not installed", FCD_INSTALL_HINT)
    path = Path(spec.origin).parent / CHEMNET_FILE
    if not path.is_file() or path.stat().st_size == 0:
        raise DataUnavailableError(
            f"fcd_torch is installed without its ChemNet weights ({path} is missing); "
            "HelixForge computes FCD offline only and will not download them",
            "reinstall fcd_torch from its wheel: pip install --force-reinstall 'fcd_torch>=1.0.7'",
        )
    return path


def _sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=1)
def _chemnet() -> tuple[Any, str]:
    """fcd_torch's FCD object on CPU, loaded from the packaged file, and that file's sha256."""
    path = chemnet_path()
    from fcd_torch import FCD

    # model_path is always given, so fcd_torch reads only this local file.
    return FCD(device="cpu", n_jobs=1, batch_size=FCD_BATCH, model_path=str(path)), _sha256(path)


@dataclass
class FCDStats:
    """Mean and covariance of the ChemNet activations of a set of molecules."""

    mu: np.ndarray  # (512,)
    sigma: np.ndarray  # (512, 512)
    n: int

    def save(self, path: str | os.PathLike, meta: dict[str, Any] | None = None) -> None:
        """Write an .npz atomically (a crash never leaves a half-written cache)."""
        from helixforge.core.io import atomic_file

        with atomic_file(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, mu=self.mu, sigma=self.sigma, n=np.array(self.n),
                     meta=np.array(json.dumps(meta or {})))  # fmt: skip

    @classmethod
    def load(cls, path: str | os.PathLike) -> FCDStats:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["mu"], z["sigma"], int(z["n"]))


def chemnet_stats(smiles: Iterable[str], batch: int = FCD_BATCH) -> FCDStats:
    """(μ, Σ) of the ChemNet activations of `smiles` (valid SMILES; fcd_torch canonicalizes
    each, as in MOSES), reduced batch by batch: memory does not grow with the set.

    Σ is the unbiased covariance (np.cov), accumulated around the first batch's mean so that
    the float64 sums do not cancel.
    """
    fcd, _ = _chemnet()
    n, shift, s1, s2 = 0, None, None, None
    buf: list[str] = []

    def flush() -> None:
        nonlocal n, shift, s1, s2
        act = np.asarray(fcd.get_predictions(buf), dtype=np.float64)
        if shift is None:
            shift = act.mean(0)
            s1, s2 = np.zeros_like(shift), np.zeros((len(shift), len(shift)))
        d = act - shift
        n += len(d)
        s1 += d.sum(0)
        s2 += d.T @ d
        buf.clear()

    for s in smiles:
        buf.append(s)
        if len(buf) == batch:
            flush()
    if buf:
        flush()
    if n < 2:
        raise InputError(f"FCD needs at least 2 valid molecules, got {n}")
    mean_d = s1 / n
    sigma = (s2 - n * np.outer(mean_d, mean_d)) / (n - 1)
    return FCDStats(shift + mean_d, sigma, n)


FCD_ACTIVATIONS = 512  # ChemNet's penultimate layer: the covariance is 512 x 512
FCD_MIN_MOLECULES = 2000  # below this in either set an FCD comes with a caveat (see module doc)
# Sampling bias of FCD per set size: two samples of one distribution read about
# FCD_SAMPLE_BIAS * (1/n_ref + 1/n_gen) (MOSES train vs test: ~1,250/n, docs/generate.md; here
# 8,000 MOSES-test molecules against 300 others read 4.9, against 50 read 21.5).
FCD_SAMPLE_BIAS = 1300.0


class FCDSampleSizeWarning(UserWarning):
    """An FCD computed from a set smaller than `FCD_MIN_MOLECULES` (see `fcd_caveat`)."""


def fcd_caveat(n_reference: int, n_generated: int) -> str | None:
    """Why an FCD from `n_reference` reference and `n_generated` generated molecules is not
    to be trusted, or None when both sets reach `FCD_MIN_MOLECULES`."""
    small = [
        f"{what} has {n} molecules"
        for what, n in (("the reference", n_reference), ("the generated set", n_generated))
        if n < FCD_MIN_MOLECULES
    ]
    if not small:
        return None
    singular = min(n_reference, n_generated) <= FCD_ACTIVATIONS
    size = f"a {FCD_ACTIVATIONS}x{FCD_ACTIVATIONS} ChemNet covariance"
    why = (
        f"{size} from {FCD_ACTIVATIONS} or fewer molecules is singular"
        if singular
        else f"{size} from so few molecules is poorly estimated"
    )
    bias = FCD_SAMPLE_BIAS * (1 / max(n_reference, 1) + 1 / max(n_generated, 1))
    shown = f"{bias:,.0f}" if bias >= 10 else f"{bias:.2g}"
    return (
        f"FCD is unreliable here: {' and '.join(small)} (fewer than {FCD_MIN_MOLECULES}); "
        f"{why}, so the value is inflated by sampling noise (two samples of one distribution "
        f"would read about {shown} at these sizes) and not comparable with FCDs from "
        f"larger sets (MOSES: 30k samples, 176k reference) — use at least "
        f"{FCD_MIN_MOLECULES} molecules on each side"
    )


def frechet_distance(ref: FCDStats, gen: FCDStats) -> float:
    """fcd_torch's (and MOSES's) Fréchet distance between two activation Gaussians; an
    `FCDSampleSizeWarning` (`fcd_caveat`) when either set is below `FCD_MIN_MOLECULES`."""
    import warnings

    from fcd_torch.utils import calculate_frechet_distance

    caveat = fcd_caveat(ref.n, gen.n)
    if caveat:
        warnings.warn(caveat, FCDSampleSizeWarning, stacklevel=2)
    return float(calculate_frechet_distance(ref.mu, ref.sigma, gen.mu, gen.sigma))


def fcd(reference: FCDStats | Sequence[str], generated: FCDStats | Sequence[str]) -> float:
    """FCD between a reference and generated molecules (valid SMILES or precomputed stats).

    Generated SMILES are canonicalized here; invalid ones are not allowed (filter first:
    MOSES computes FCD on the canonical valid samples).
    """
    ref = reference if isinstance(reference, FCDStats) else chemnet_stats(_fcd_input(reference))
    gen = generated if isinstance(generated, FCDStats) else chemnet_stats(_fcd_input(generated))
    return frechet_distance(ref, gen)


def _fcd_input(smiles: Sequence[str]) -> list[str]:
    smiles = smiles_list(smiles, "fcd", any_order=True)
    canon = canonical_valid(smiles)
    if len(canon) != len(smiles):
        raise InputError(
            f"FCD got {len(smiles) - len(canon)} invalid SMILES of {len(smiles)}: "
            "pass the valid molecules only (canonical_valid)"
        )
    return canon


def _read_reference_smiles(path: Path, column: str | None, skipped: list[int]) -> Iterable[str]:
    """Valid SMILES of a reference table (csv / tsv / smi / parquet, gzip or not), streamed;
    unparsable or empty rows are counted in `skipped` (one int) and left out."""
    from rdkit import Chem

    from helixforge.core.errors import ColumnNotFoundError
    from helixforge.core.tables import iter_table

    _quiet_rdkit()
    for chunk in iter_table(path, chunk_size=50_000):
        df = chunk.frame
        skipped[0] += len(chunk.errors)
        col = column
        if col is None:
            col = next((c for c in df.columns if c.lower() in ("smiles", "canonical_smiles")), None)
            col = col or (df.columns[0] if len(df.columns) == 1 else None)
        if col is None or col not in df.columns:
            raise ColumnNotFoundError([column or "smiles"], list(df.columns), path)
        for s in df[col]:
            s = "" if s is None else str(s).strip()
            mol = Chem.MolFromSmiles(s) if s else None
            if mol is None or mol.GetNumAtoms() == 0:
                skipped[0] += 1
                continue
            yield s


def fcd_cache_dir() -> Path:
    """Where reference FCD statistics are cached: $HELIX_CACHE_DIR/fcd (default
    ~/.cache/helixforge/fcd)."""
    from helixforge.chem.pretrained.cache import cache_dir

    return cache_dir() / "fcd"


def reference_fcd_stats(
    path: str | os.PathLike,
    *,
    column: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    log: Callable[[str], None] | None = None,
) -> FCDStats:
    """(μ, Σ) of a reference SMILES file, cached as `<cache_dir>/<sha256>-<chemnet>.npz`.

    The key is the sha256 of the file's bytes (and of the ChemNet weights and the column), so
    an edited file is never served stale statistics. Rows RDKit cannot parse are skipped
    (MOSES's test sets have none). `cache_dir` defaults to `fcd_cache_dir()`.
    """
    import rdkit

    p = require_input_file(path, "a reference SMILES file")  # names a directory, a pipe
    _, chem_sha = _chemnet()
    file_sha = _sha256(p)
    from helixforge.core.tables import table_format

    # the format read is part of the key: the same bytes named .parquet are not the CSV's
    # molecules (a text file named .parquet was served the CSV's cached statistics)
    key = [FCD_CACHE_VERSION, chem_sha, column, rdkit.__version__, table_format(p)]
    tag = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:12]
    d = Path(cache_dir) if cache_dir is not None else fcd_cache_dir()
    cached = d / f"{file_sha}-{tag}.npz"
    if cached.is_file():
        try:
            return FCDStats.load(cached)
        except (OSError, ValueError, KeyError) as exc:
            if log:
                log(f"FCD cache {cached} unreadable ({exc}); recomputing")
    skipped = [0]
    if log:
        log(f"FCD reference statistics for {p} (once; cached in {d})")
    try:
        stats = chemnet_stats(_read_reference_smiles(p, column, skipped))
    except InputError as exc:
        if not exc.message.startswith("FCD needs at least 2"):
            raise
        # 'FCD needs at least 2 valid molecules, got 0' named neither the file nor why
        raise InputError(
            f"{p}: fewer than 2 rows hold a valid SMILES ({skipped[0]} left out: empty, not "
            "text or not parsable by RDKit); an FCD reference needs thousands",
            hint="pass a SMILES table with a 'smiles' column (e.g. MOSES test), or an .npz "
            "of FCD statistics",
        ) from None
    d.mkdir(parents=True, exist_ok=True)
    stats.save(cached, meta={"file": str(p), "sha256": file_sha, "molecules": stats.n,
                             "skipped": skipped[0], "rdkit": rdkit.__version__})  # fmt: skip
    if log and skipped[0]:
        log(f"{p}: {skipped[0]} rows without a valid SMILES left out of the FCD reference")
    return stats


def load_fcd_reference(
    path: str | os.PathLike,
    *,
    cache_dir: str | os.PathLike | None = None,
    log: Callable[[str], None] | None = None,
) -> FCDStats:
    """FCD reference statistics from a SMILES table (computed once, cached) or from an .npz
    written by `FCDStats.save` (used as is)."""
    p = Path(path)
    if p.suffix.lower() == ".npz":
        require_input_file(p, "an FCD statistics file (.npz)")
        try:
            return FCDStats.load(p)
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"{p}: not an FCD statistics file (mu, sigma, n): {exc}") from None
    return reference_fcd_stats(p, cache_dir=cache_dir, log=log)


def fcd_report(
    canonical: Sequence[str],
    reference: str | os.PathLike | None,
    *,
    log: Callable[[str], None] | None = None,
) -> tuple[float | None, str]:
    """FCD of canonical valid samples against a reference file, for a command's summary.

    Returns (value, text); value is None when FCD is not computed (no reference given, the
    `generate` extra missing, fewer than 2 valid samples) and the text says why and what to
    do. Never raises for a missing extra. A value from a set below `FCD_MIN_MOLECULES` has the
    caveat in its text ('FCD … — caution: …', see `fcd_caveat`).
    """
    if not fcd_available():
        return None, f"FCD not computed: {FCD_INSTALL_HINT}"
    if reference is None:
        return (
            None,
            "FCD not computed: give --fcd-ref with a reference SMILES file (e.g. MOSES test)",
        )
    if len(canonical) < 2:
        return None, f"FCD not computed: {len(canonical)} valid sample(s), at least 2 needed"
    import warnings

    ref = load_fcd_reference(reference, log=log)
    gen = chemnet_stats(canonical)
    with warnings.catch_warnings():  # the caveat goes into the text instead
        warnings.simplefilter("ignore", FCDSampleSizeWarning)
        value = frechet_distance(ref, gen)
    text = f"FCD {value:.4f} against {Path(reference).name} ({ref.n} molecules)"
    caveat = fcd_caveat(ref.n, gen.n)
    return value, f"{text} — {FCD_CAUTION} {caveat}" if caveat else text


FCD_CAUTION = "caution:"  # starts the caveat in fcd_report's text (the CLI shows it in yellow)


def moses_metrics(
    generated: Sequence[str],
    *,
    test: ReferenceStats | None = None,
    test_scaffolds: ReferenceStats | None = None,
    train: set[str] | Any | None = None,
    fcd_test: FCDStats | None = None,
    fcd_test_scaffolds: FCDStats | None = None,
) -> dict[str, float]:
    """The MOSES metric set for raw generated SMILES (the references are optional).

    FCD/Test and FCD/TestSF are computed when their reference statistics are given
    (`reference_fcd_stats`), on the canonical valid samples, duplicates kept (MOSES).
    """
    from rdkit import Chem

    generated = smiles_list(generated, "moses_metrics", "generated")
    if not generated:
        raise InputError("no generated molecules given")
    mols_all = to_mols(generated, "moses_metrics")
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
    gen_fcd = None
    for name, ref_fcd in (("Test", fcd_test), ("TestSF", fcd_test_scaffolds)):
        if ref_fcd is None:
            continue
        if len(canon) < 2:
            out[f"FCD/{name}"] = float("nan")
            continue
        gen_fcd = chemnet_stats(canon) if gen_fcd is None else gen_fcd
        out[f"FCD/{name}"] = frechet_distance(ref_fcd, gen_fcd)
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
