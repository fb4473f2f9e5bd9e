"""Count and bit fingerprints of RDKit molecules: ECFP / FCFP (Morgan), hashed atom pairs, and
ErG reduced-graph pharmacophore pairs.

    X = morgan_counts(smiles)                 # (n, 2048) float32, ECFP4 counts
    B = morgan_bits(smiles)                   # (n, 32) uint64, packed ECFP4 bits
    E = erg(smiles)                           # (n, 315) float32

Invalid SMILES give a row of NaN (all-zero words for `morgan_bits`), so rows stay aligned.

Determinism: RDKit caches the topological distance matrix on a molecule (the atom-pair
generator, autocorrelation descriptors ... set it), and `GetErGFingerprint` copies the molecule,
edits it into a reduced graph and then reuses that *copied* cache: with the stale matrix it read
wrong — for some molecules out-of-bounds, so process-dependent — distances, which made a few ErG
cells differ between runs. `erg_block` therefore always works on a `pristine` copy (computed
properties cleared, ring perception kept), and `featurize.featurize_mols` hands every block a
pristine copy of the caller's molecules. `counts_block` reads the molecules' caches as RDKit
does (correct unless a molecule was edited after a calculation cached something on it).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

ERG_SIZE = 315


def mol_of(smiles: object):
    """A parsed, sanitized molecule, or None (see `standardize.parse_smiles`)."""
    from helixforge.chem.standardize import parse_smiles

    return parse_smiles(smiles)[0]


@cache
def _remove_h_params():
    from rdkit import Chem

    params = Chem.RemoveHsParameters()
    params.removeIsotopes = True  # [2H], [3H]: hydrogens all the same to a 2D feature
    params.removeDefiningBondStereo = True
    params.showWarnings = False  # 'not removing hydrogen atom without neighbors' ([H+]) on stderr
    return params


@cache
def _smiles_params():
    """Parse what `hydrogen_free` wrote: its H atoms are those RDKit keeps anyway ([H+], H2),
    and leaving them spares RDKit's 'not removing hydrogen atom without neighbors' on stderr."""
    from rdkit import Chem

    params = Chem.SmilesParserParams()
    params.removeHs = False
    return params


def hydrogen_free(mol):
    """`mol` without hydrogen atoms, isotopic ones included ([2H], [3H] become implicit H):
    the heavy-atom graph every feature, score and filter is computed on. The canonical SMILES
    keeps the isotopes (a deuterated drug is its own compound); its features are its parent's.
    Kept as graph atoms, the six D of a d6-drug counted as atoms in rotatable bonds (4 → 6),
    kappa / chi indices and ECFP environments (Tanimoto 0.85 to the parent), and raised the SA
    score from 3.2 to 5.2. A molecule without H atoms is returned as it is; H atoms RDKit keeps
    on their own ([H][H], [2H+]) stay."""
    if mol is None or mol.GetNumAtoms() == mol.GetNumHeavyAtoms():
        return mol
    from rdkit import Chem

    try:
        out = Chem.RemoveHs(mol, _remove_h_params())
        # through its canonical SMILES: a centre that was one only through its D
        # ('[2H][C@@H](C)O') loses its tag, stereo perception is fresh, and the atom order is
        # the one the parent's canonical SMILES gives (so are its features, to the bit)
        again = Chem.MolFromSmiles(Chem.MolToSmiles(out), _smiles_params())
    except Exception:  # noqa: BLE001 - RDKit raises several types; keep the molecule as given
        return mol
    return again if again is not None else out


def pristine(mol):
    """A copy of `mol` without cached computed properties (distance matrices, descriptor
    contributions, ...) but with its ring information, so no calculation sees another's cache;
    hydrogen atoms folded in (`hydrogen_free`)."""
    from rdkit import Chem

    if mol is None:
        return None
    copy = Chem.Mol(hydrogen_free(mol))
    copy.ClearComputedProps(False)  # False: keep ring info
    return copy


@cache
def morgan_generator(radius: int, n_bits: int, features: bool):
    """A cached RDKit Morgan generator (feature invariants → FCFP)."""
    from rdkit.Chem import rdFingerprintGenerator

    if features:
        inv = rdFingerprintGenerator.GetMorganFeatureAtomInvGen()
        return rdFingerprintGenerator.GetMorganGenerator(
            radius=radius, fpSize=n_bits, atomInvariantsGenerator=inv
        )
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


@cache
def atom_pair_generator(n_bits: int):
    """A cached RDKit hashed atom-pair generator."""
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetAtomPairGenerator(fpSize=n_bits)


def counts_block(mols: Sequence, gen, n_bits: int) -> np.ndarray:
    """Count fingerprints of molecules with generator `gen`, (n, n_bits) float32; None → NaN."""
    out = np.full((len(mols), n_bits), np.nan, dtype=np.float32)
    for i, m in enumerate(mols):
        if m is not None:
            out[i] = gen.GetCountFingerprintAsNumPy(hydrogen_free(m))
    return out


def erg_block(mols: Sequence) -> np.ndarray:
    """ErG fingerprints of molecules, (n, 315) float32; None → NaN row."""
    from rdkit.Chem import rdReducedGraphs

    out = np.full((len(mols), ERG_SIZE), np.nan, dtype=np.float32)
    for i, m in enumerate(mols):
        if m is not None:
            out[i] = rdReducedGraphs.GetErGFingerprint(pristine(m))
    return out


def _fp_params(where: str, radius: int | None, n_bits: int, word: int = 1) -> int:
    """Check a fingerprint call's size (and radius): ConfigError instead of RDKit's
    OverflowError / IndexError deep inside."""
    from helixforge.chem.inputs import check_int
    from helixforge.core.errors import ConfigError

    if radius is not None:
        check_int(radius, "radius", where, minimum=0)
    n_bits = check_int(n_bits, "n_bits", where, minimum=word)
    if n_bits % word:
        raise ConfigError(
            f"{where}: n_bits must be a multiple of {word} (bits are packed into {word}-bit "
            f"words), not {n_bits}",
            hint="use 1024, 2048 or 4096",
        )
    return n_bits


def morgan_counts(
    smiles: Sequence[str], radius: int = 2, n_bits: int = 2048, features: bool = False
) -> np.ndarray:
    """ECFP (or FCFP with `features=True`) count fingerprints, (n, n_bits) float32."""
    from helixforge.chem.inputs import smiles_list

    n_bits = _fp_params("morgan_counts", radius, n_bits)
    mols = [mol_of(s) for s in smiles_list(smiles, "morgan_counts")]
    return counts_block(mols, morgan_generator(int(radius), n_bits, bool(features)), n_bits)


def atom_pair_counts(smiles: Sequence[str], n_bits: int = 2048) -> np.ndarray:
    """Hashed atom-pair count fingerprints, (n, n_bits) float32."""
    from helixforge.chem.inputs import smiles_list

    n_bits = _fp_params("atom_pair_counts", None, n_bits)
    mols = [mol_of(s) for s in smiles_list(smiles, "atom_pair_counts")]
    return counts_block(mols, atom_pair_generator(n_bits), n_bits)


def erg(smiles: Sequence[str]) -> np.ndarray:
    """ErG extended reduced-graph pharmacophore fingerprints, (n, 315) float32."""
    from helixforge.chem.inputs import smiles_list

    return erg_block([mol_of(s) for s in smiles_list(smiles, "erg")])


def morgan_bits(smiles: Sequence[str], radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """ECFP bit vectors packed into uint64 words, (n, n_bits / 64); all-zero rows for invalid
    SMILES. This is the form `uncertainty.max_tanimoto` uses for bulk Tanimoto."""
    from helixforge.chem.inputs import smiles_list

    n_bits = _fp_params("morgan_bits", radius, n_bits, word=64)
    smiles = smiles_list(smiles, "morgan_bits")
    gen = morgan_generator(int(radius), n_bits, False)
    out = np.zeros((len(smiles), n_bits // 64), dtype=np.uint64)
    for i, s in enumerate(smiles):
        m = hydrogen_free(mol_of(s))
        if m is not None:
            bits = gen.GetFingerprintAsNumPy(m).astype(bool)
            out[i] = np.packbits(bits, bitorder="little").view(np.uint64)
    return out


def bits_from_counts(counts: np.ndarray) -> np.ndarray:
    """Packed uint64 bit vectors from count fingerprints (same hashing, so equal to
    `morgan_bits` when the counts came from `morgan_counts` with the same radius and size)."""
    c = np.nan_to_num(np.asarray(counts), nan=0.0)
    if c.ndim != 2 or c.shape[1] % 64:
        from helixforge.core.errors import InputError

        raise InputError(
            f"bits_from_counts: counts has shape {c.shape}; expected (n, n_bits) with n_bits a "
            "multiple of 64 (from morgan_counts)"
        )
    return np.packbits(c > 0, axis=1, bitorder="little").view(np.uint64)
