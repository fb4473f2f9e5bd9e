"""Molecule standardisation with RDKit, and duplicate merging after it.

    clean, errors = standardize_table(df, "smiles", source="assay.csv")
    merged, conflicts = merge_duplicates(clean, ["pIC50"], ["regression"])

Every SMILES goes through: parse (a name after whitespace dropped, atom maps dropped, CXSMILES
enhanced stereo resolved into plain tags) → sanitize (explicit H made implicit) → choose the
parent (salts and solvents stripped, see `salts.choose_parent`) → one spelling for groups written
with separated charges (`C[S+](C)[O-]` → `CS(C)=O`) → neutralise charges where a neutral form
exists → (optional) canonical tautomer → canonical isomeric SMILES. RDKit's C++ log is silenced;
the reason a molecule was rejected is captured and written into the errors table instead.

Salts: see `chem.salts` (an all-inorganic salt or a metal compound drawn as fragments is kept
whole; the first is rejected with `StandardizeOptions(salts="reject")`). docs/chem.md has the
table of what happens to each kind of unusual input.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helixforge.core.errors import InputError, RowErrors, is_missing

# A SMILES longer than this is not a small molecule (and parsing it could take minutes).
MAX_SMILES_LENGTH = 5_000
# Distance-matrix features (atom pairs, ErG, 2D autocorrelation) grow with the cube of the atom
# count: a 1,500-atom chain takes minutes, a 5,000-atom one hours. The largest molecule in the
# MoleculeNet / TDC sets has ~500 heavy atoms; above this limit a row is rejected, so one
# polymer in a library cannot stall a whole job.
MAX_HEAVY_ATOMS = 1_000
CANONICAL_COL = "canonical_smiles"


@dataclass(frozen=True)
class StandardizeOptions:
    """What `standardize_smiles` does; every step can be switched off."""

    largest_fragment: bool = True
    neutralize: bool = True
    tautomer: bool = False
    isomeric: bool = True
    # an input made only of counter-ions / inorganic fragments: "keep" it whole, or "reject" it
    salts: str = "keep"

    def __post_init__(self) -> None:
        from helixforge.core.errors import ConfigError
        from helixforge.core.options import require_choice

        require_choice(self.salts, "--salts", SALT_POLICIES)
        for name in ("largest_fragment", "neutralize", "tautomer", "isomeric"):
            value = getattr(self, name)
            if not isinstance(value, bool | np.bool_):  # 'no' is truthy: tautomers on
                raise ConfigError(
                    f"StandardizeOptions: {name} must be True or False, not {value!r}"
                )
            object.__setattr__(self, name, bool(value))


def as_options(options: object, where: str) -> StandardizeOptions:
    """`options` as StandardizeOptions (None = the defaults), else ConfigError: anything else
    failed every molecule with 'standardisation failed: ... no attribute largest_fragment'."""
    if options is None:
        return StandardizeOptions()
    if isinstance(options, StandardizeOptions):
        return options
    from helixforge.core.errors import ConfigError

    raise ConfigError(
        f"{where}: options must be StandardizeOptions, not {type(options).__name__} {options!r}",
        hint="e.g. StandardizeOptions(salts='reject'); salts= and tautomer= are its fields",
    )


SALT_POLICIES = ("keep", "reject")
ONLY_COUNTER_IONS = "only counter-ions / inorganic salt: no organic parent to keep"


def quiet_rdkit() -> None:
    """Silence RDKit's C++ logging for this process (reasons are captured instead)."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")


_TOOLS: dict[str, object] = {}

# One spelling for groups written with separated charges or with a double bond (RDKit's own
# Normalizer goes the other way for sulfoxides, and every stored canonical SMILES has S=O):
# sulfoxides, sulfones, sulfinamides, selenoxides, phosphine and arsine oxides, diazo groups.
# N-oxides and nitro groups keep [N+][O-] (nitrogen has no pentavalent form).
_SEPARATED_CHARGES = """// name\tSMIRKS
S+ O- to S=O\t[S,Se;X3;+1:1]-[O;X1;-1:2]>>[*+0:1]=[O+0:2]
S2+ (O-)2 to S(=O)=O\t[S,Se;X4;+2:1](-[O;X1;-1:2])-[O;X1;-1:3]>>[*+0:1](=[O+0:2])=[O+0:3]
S+ O- beside =O/=N to S(=O)=O\t[S,Se;X4;+1:1](=[O,N;+0:3])-[O;X1;-1:2]>>[*+0:1](=[*:3])=[O+0:2]
P+ O- to P=O\t[P,As;X4;+1:1]-[O;X1;-1:2]>>[*+0:1]=[O+0:2]
C- N+#N to C=N+=N-\t[C;-1:1]-[N;X2;+1:2]#[N;X1;+0:3]>>[C+0:1]=[N+1:2]=[N-1:3]
"""


def _tool(name: str):
    if name not in _TOOLS:
        from rdkit.Chem.MolStandardize import rdMolStandardize

        if name == "uncharger":
            _TOOLS[name] = rdMolStandardize.Uncharger()
        elif name == "charged":
            from rdkit import Chem

            _TOOLS[name] = Chem.MolFromSmarts("[!+0]")  # any charged atom
        elif name == "separated":
            from rdkit import Chem

            _TOOLS[name] = Chem.MolFromSmarts(
                "[$([S,Se,P,As;+1,+2]-[O;X1;-1]),$([C;-1]-[N;X2;+1]#[N;X1])]"
            )
        elif name == "normalizer":
            _TOOLS[name] = rdMolStandardize.NormalizerFromData(
                _SEPARATED_CHARGES, rdMolStandardize.CleanupParameters()
            )
        elif name == "tautomer":
            enum = rdMolStandardize.TautomerEnumerator()
            enum.SetMaxTautomers(200)
            _TOOLS[name] = enum
    return _TOOLS[name]


def parse_smiles(smiles: object):
    """Parse and sanitize one SMILES: `(mol, None)` or `(None, reason)`; never raises, never logs."""
    from rdkit import Chem

    quiet_rdkit()
    if not isinstance(smiles, str):
        if is_missing(smiles):  # None, NaN, pd.NA: an empty table cell
            return None, "empty SMILES"
        if not isinstance(smiles, bytes):
            # str(5) is '5', str(pd.NA) '<NA>' (read as a reaction): name the value instead
            reason = f"not a SMILES string ({type(smiles).__name__} {str(smiles)[:40]})"
            if isinstance(smiles, numbers.Number):  # a Parquet column of numbers, an ID column
                reason += "; check that the SMILES column is the one read (--input-col)"
            return None, reason
        try:
            smiles = smiles.decode("ascii")
        except UnicodeDecodeError:
            return None, f"bytes that are not ASCII text ({smiles[:40]!r}); SMILES are ASCII"
    text = smiles.strip()
    if not text:
        return None, "empty SMILES"
    if len(text) > MAX_SMILES_LENGTH:
        return (
            None,
            f"SMILES is {len(text):,} characters long (limit {MAX_SMILES_LENGTH:,}); not a small molecule",
        )
    text, reason = _molecule_part(text)
    if reason:
        return None, reason
    if not text.split(" |", 1)[0].isascii():
        # RDKit skips some characters it does not know: 'ＣＣO' (full-width letters) parses as
        # water, 'éCC' and 'CC–' as ethane; a SMILES is ASCII, so any other character is an error
        return None, _syntax_reason(text)
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        if text.replace("->", "").count(">") == 2:  # reactants>agents>products
            return None, "a reaction SMILES (has '>'); give one molecule per row"
        return None, _syntax_reason(text)
    if mol.GetNumAtoms() == 0:
        return None, "SMILES has no atoms"
    # Dummy atoms are written '*' in SMILES; the string test spares the per-atom loop.
    if "*" in text and any(a.GetAtomicNum() == 0 for a in mol.GetAtoms()):
        return None, "has a dummy atom '*' (attachment point / R group); give the whole molecule"
    heavy = mol.GetNumHeavyAtoms()
    if heavy > MAX_HEAVY_ATOMS:
        return None, (
            f"molecule too large ({heavy:,} heavy atoms; limit {MAX_HEAVY_ATOMS:,}); "
            "not a small molecule"
        )
    if ":" in text:
        # Atom maps ('[CH3:1][OH:2]', from reaction mapping or R-group tools) are labels, not
        # chemistry: kept, they made a mapped methanol a molecule of its own ('[CH3:1][OH:2]'
        # vs 'CO': never merged as a duplicate, never found in a model's training set).
        for atom in mol.GetAtoms():
            atom.SetAtomMapNum(0)
    try:
        Chem.SanitizeMol(mol)
        if "[H" in text:
            # Hydrogens written as atoms ('[H]N([H])CC') become implicit, as RDKit's default
            # parse does: the same molecule gets the same canonical SMILES ('CCN') however its
            # hydrogens are written (isotopic [2H], H2, and Hs RDKit needs are kept).
            mol = Chem.RemoveHs(mol)
        if " |" in text and (mol.GetStereoGroups() or _relative_flag(text)):
            mol = _without_stereo_groups(mol, _relative_flag(text))
        if text[0] == "[" and _SELFIES_PLAIN.fullmatch(text) and _radicals(mol):
            return None, _selfies_reason(text)  # '[C][C][O]': SELFIES, or a chain of radicals
    except Exception as exc:  # RDKit raises several types (valence, kekulization, ...)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            None,
            f"RDKit could not sanitize the molecule: {reason}{_sanitize_hint(text, reason)}",
        )
    return mol, None


def _relative_flag(text: str) -> bool:
    """Whether a CXSMILES extension has the 'r' field (ChemAxon: every stereocentre's
    configuration is relative, none absolute), which RDKit reads past."""
    extension = text.split(" |", 1)[1].split("|", 1)[0] if " |" in text else ""
    return "r" in extension.split(",")


def _without_stereo_groups(mol, all_relative: bool = False):
    """`mol` with its CXSMILES enhanced-stereo groups resolved into plain stereo tags, which is
    all a canonical SMILES can say. An AND group (racemic: the configuration as written and its
    mirror image, both present) or OR group (one of the two, unknown which) says that the
    absolute configuration of its centres is not known, so their tags are cleared, as the
    stereoisomers of a mixture written fragment by fragment lose theirs (`salts`): the
    racemate of a molecule with one centre ('C[C@H](O)CC |&1:1|') and of one with several
    ('C[C@@H](O)[C@H](C)CC |&1:1,3|') are their flat forms, as an input without the tags is.
    A group of several centres is not written as one of its two mirror forms: that is a
    canonical SMILES of one pure stereoisomer, so the racemate merged with that enantiomer's
    rows (and a racemic test molecule was "seen in training" as it). The relative
    configuration of such a group is lost with its tags; a canonical SMILES cannot state it
    without claiming one enantiomer. A group whose mirror form is the same molecule (the
    centres of a meso compound, cis / trans ring substituents: 'C[C@H]1CC[C@@H](C)CC1
    |&1:1,4|') states nothing beyond its tags and keeps them. Absolute groups keep their tags.
    `all_relative` (the CXSMILES 'r' flag): the tetrahedral centres in no group are one OR
    group."""
    from rdkit import Chem

    groups = [
        [a.GetIdx() for a in g.GetAtoms()]
        for g in mol.GetStereoGroups()
        if g.GetGroupType() != Chem.StereoGroupType.STEREO_ABSOLUTE
    ]
    if all_relative:
        grouped = {i for g in mol.GetStereoGroups() for i in (a.GetIdx() for a in g.GetAtoms())}
        tetrahedral = (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW)
        rest = [
            a.GetIdx()
            for a in mol.GetAtoms()
            if a.GetChiralTag() in tetrahedral and a.GetIdx() not in grouped
        ]
        groups += [rest] if rest else []
    rw = Chem.RWMol(mol)
    rw.SetStereoGroups([])
    base = rw.GetMol()
    written = _stereo_smiles(base)
    unknown = [idx for atoms in groups if _stereo_smiles(base, atoms) != written for idx in atoms]
    for idx in unknown:
        base.GetAtomWithIdx(idx).SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    Chem.AssignStereochemistry(base, cleanIt=True, force=True)
    return base


def _stereo_smiles(mol, mirrored: Sequence[int] = ()) -> str:
    """The canonical SMILES of `mol` with the tetrahedral centres `mirrored` inverted. It is
    written as it stands and read back before the canonical SMILES is made: a copy keeps the
    stereo perception of the unchanged molecule, and RDKit's canonical writer gave the copy of
    a myo-inositol isomer with two centres inverted the SMILES of the original."""
    from rdkit import Chem

    flip = {
        Chem.ChiralType.CHI_TETRAHEDRAL_CW: Chem.ChiralType.CHI_TETRAHEDRAL_CCW,
        Chem.ChiralType.CHI_TETRAHEDRAL_CCW: Chem.ChiralType.CHI_TETRAHEDRAL_CW,
    }
    out = Chem.Mol(mol)
    for idx in mirrored:
        atom = out.GetAtomWithIdx(idx)
        atom.SetChiralTag(flip.get(atom.GetChiralTag(), atom.GetChiralTag()))
    again = Chem.MolFromSmiles(Chem.MolToSmiles(out, canonical=False))
    return Chem.MolToSmiles(again) if again is not None else Chem.MolToSmiles(out, canonical=False)


def _sanitize_hint(text: str, reason: str) -> str:
    """What to do about a sanitization failure, for the two a correct structure runs into."""
    if reason.startswith("Can't kekulize"):
        return (
            " (an aromatic ring with no alternating single/double bonds: write a pyrrole-type "
            "nitrogen with its hydrogen, 'c1cc[nH]c1' not 'c1ccnc1', or the ring in Kekulé form)"
        )
    if "valence" in reason and ("->" in text or "<-" in text):
        return (
            " (a dative bond counts toward the valence of the atom it points to: write that "
            "atom without its H count, 'N->B' not 'N->[BH3]', or with charges, '[NH3+][BH3-]')"
        )
    valence = _VALENCE.search(reason)
    if valence:
        # RDKit counts atoms from 0; the SMILES counts them as written, from 1
        index, element, total = int(valence[1]), valence[2], valence[3]
        return (
            f" (atom {index + 1} as written, {element}, has a valence of {total}, bond orders "
            f"plus hydrogens, more than {element} allows: check its bond orders, a charge left "
            "out ('[N+]' for a nitrogen with four bonds) or the H count in its brackets)"
        )
    return ""


_VALENCE = re.compile(r"valence for atom # ?(\d+) ([A-Z][a-z]?), (\d+), is greater than permitted")


def plain_mol(smiles: object):
    """RDKit's `MolFromSmiles` where it is exact — one ASCII token, the common case, at its
    speed — and `parse_smiles` for anything else: RDKit alone reads 'C C' as methane (text
    after a space is a name), 'ＣＣO' (full-width letters) as water, and raises on bytes or
    NaN. None for what does not parse."""
    if type(smiles) is str and smiles.isascii() and smiles.split() == [smiles]:
        from rdkit import Chem

        return Chem.MolFromSmiles(smiles)
    return parse_smiles(smiles)[0]


# Cells that stand for a missing value: pandas writes pd.NA as '<NA>', R and SQL exports write
# NA / NULL, and people type the rest.
_MISSING_MARKERS = ("nan", "na", "n/a", "n.a.", "<na>", "none", "null", "nil", "-", "?")


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?")

# Identifiers that are not SMILES but are found in SMILES columns. SELFIES ('[C][=C][Branch1]
# [C][O]') is all bracket tokens; its plain ones ('[C][C][O]') even parse as SMILES, as
# atoms with no hydrogens (a chain of radicals), so that form is refused when it has radicals
# ('[Cl][Cl]' and '[Na][Cl]' have none and stay SMILES).
_SELFIES = re.compile(r"(?:\[[^\[\]]+\]){2,}")
_SELFIES_ONLY = re.compile(r"\[(?:[=#/\\]?(?:Branch|Ring)\d|[=#][A-Z])")
_SELFIES_PLAIN = re.compile(r"(?:\[[A-Z][a-z]?\]){2,}")
_INCHIKEY = re.compile(r"[A-Z]{14}-[A-Z]{8}[SN][A-Z]-[A-Z]")
_CAS = re.compile(r"\d{2,7}-\d\d-\d")


def _radicals(mol) -> bool:
    return any(atom.GetNumRadicalElectrons() for atom in mol.GetAtoms())


def _selfies_reason(text: str) -> str:
    return (
        f"a SELFIES string ({text[:40]!r}), not a SMILES (read as SMILES each bracket atom has "
        "no hydrogens); decode it to SMILES first (selfies.decoder)"
    )


def _syntax_reason(text: str) -> str:
    """Why a string RDKit cannot parse is not a SMILES, naming what gives it away: an InChI,
    or a character that is not ASCII (a dash or a full-width letter from a word processor, an
    invisible zero-width space pasted from a web page)."""
    import unicodedata

    if text.startswith("InChI="):
        return "an InChI, not a SMILES; convert it to SMILES first"
    if _INCHIKEY.fullmatch(text):
        return (
            "an InChIKey (a hash: no structure can be read from it), not a SMILES; give the SMILES"
        )
    if _CAS.fullmatch(text):
        return "a CAS registry number, not a SMILES; look up and give the SMILES"
    if _SELFIES.fullmatch(text) and _SELFIES_ONLY.search(text):
        return _selfies_reason(text)
    if text.lower() in _MISSING_MARKERS:
        return f"no SMILES ({text!r} marks a missing value)"
    if text.startswith("#") and text[-1] in "!?A" and text[1:-1].replace("/", "").isalnum():
        # '#N/A', '#VALUE!', '#NAME?', '#DIV/0!', '#REF!': a spreadsheet formula's error value
        return f"no SMILES ({text!r} is a spreadsheet error value; fix the sheet and export again)"
    if _NUMBER.fullmatch(text):
        # a column of numbers (IDs, labels, Excel serials) read as the SMILES column
        return (
            f"{text!r} is a number, not a SMILES; check that the SMILES column is the one "
            "read (--input-col)"
        )
    quotes = [ch for ch in "\"'" if ch in text]
    if quotes:
        # '"CCO"' from a cell quoted twice (a spreadsheet export of text that had quotes)
        return (
            f"not a valid SMILES: it has quote characters ({text[:60]!r}); SMILES have none, "
            "remove them (the export may have quoted the cell twice)"
        )
    for i, ch in enumerate(text):
        if not ch.isascii():
            name = unicodedata.name(ch, "unnamed character")
            return (
                f"not a valid SMILES: character {i + 1} is {ch!r} (U+{ord(ch):04X} {name}); "
                "SMILES are plain ASCII (re-type it, or remove invisible characters)"
            )
    return "not a valid SMILES (syntax error)"


def _molecule_part(text: str) -> tuple[str, str | None]:
    """The SMILES of `text` (stripped): a name after whitespace is dropped ('CCO ethanol' →
    'CCO'), a CXSMILES extension ('CCO |$;;$|') is kept; whitespace *inside* a SMILES
    ('C C O', 'C\tC') is an error, never read as a shorter molecule."""
    from rdkit import Chem

    parts = text.split(None, 1)
    if len(parts) == 1 or parts[1].startswith("|"):
        return text, None
    joined = "".join(text.split())
    if Chem.MolFromSmiles(parts[0], sanitize=False) is None or (
        Chem.MolFromSmiles(joined, sanitize=False) is not None
    ):
        return text, (
            f"whitespace inside the SMILES ({text[:60]!r}); remove it, or put names in a "
            "column of their own"
        )
    return parts[0], None


def standardize_mol(mol, options: StandardizeOptions = StandardizeOptions()):
    """Apply parent choice, one spelling for charge-separated groups, neutralisation and
    tautomer canonicalisation to a sanitized mol. Raises `OnlyCounterIons` for an all-inorganic
    salt when `options.salts == "reject"`."""
    from rdkit import Chem

    salt = False
    if options.largest_fragment and len(Chem.GetMolFrags(mol)) > 1:
        from helixforge.chem.salts import PARENT, SALT, choose_parent

        mol, kind = choose_parent(mol)
        if kind == SALT and options.salts == "reject":
            raise OnlyCounterIons(ONLY_COUNTER_IONS)
        salt = kind != PARENT
    # a SMARTS match, not a Python loop over atoms (~2 µs per atom through the bindings);
    # a salt or metal compound kept whole keeps its ions ([Na+].[Cl-] must not become [Na+].Cl)
    charged = mol.HasSubstructMatch(_tool("charged"))
    if charged and mol.HasSubstructMatch(_tool("separated")):
        # 'C[S+](C)[O-]' is DMSO as 'CS(C)=O' is: one canonical SMILES, one set of features
        # (a third of the sulfoxides in the TDC sets were written the first way)
        mol = _tool("normalizer").normalize(mol)
        charged = mol.HasSubstructMatch(_tool("charged"))
    if options.neutralize and not salt and charged:
        neutral = _tool("uncharger").uncharge(mol)
        try:
            # Protonating an aromatic carbanion leaves stale aromatic flags (the canonical SMILES
            # would not parse back); re-sanitizing re-perceives aromaticity.
            Chem.SanitizeMol(neutral)
            mol = neutral
        except Exception:
            pass  # keep the charged form: valid beats neutral-but-unreadable
    if options.tautomer:
        mol = _tool("tautomer").Canonicalize(mol)
    if (
        mol.GetNumHeavyAtoms() == 0
        and mol.GetNumAtoms() == 1
        and mol.GetAtomWithIdx(0).GetTotalNumHs()
    ):
        # hydrogen alone: H2 written '[HH]' (or a hydride neutralised to it) is '[H][H]', as
        # RDKit keeps H2 written with two atoms; it had two canonical SMILES
        mol = Chem.AddHs(mol)
    return mol


class OnlyCounterIons(ValueError):
    """The input holds only counter-ions / inorganic fragments and salts="reject"."""


def standardize_to_mol(
    smiles: object, options: StandardizeOptions = StandardizeOptions()
) -> tuple[object | None, str | None, str | None]:
    """One SMILES → `(mol, canonical SMILES, None)` or `(None, None, reason it was rejected)`.
    The mol is the standardized molecule itself, so callers that featurize need not re-parse."""
    from rdkit import Chem

    from helixforge.chem.salts import MixtureOfIsomers

    if type(options) is not StandardizeOptions:
        options = as_options(options, "standardize_smiles")
    mol, reason = parse_smiles(smiles)
    if mol is None:
        return None, None, reason
    try:
        mol = standardize_mol(mol, options)
        out = Chem.MolToSmiles(mol, isomericSmiles=options.isomeric)
    except (OnlyCounterIons, MixtureOfIsomers) as exc:
        return None, None, str(exc)
    except Exception as exc:  # standardiser failures are rare; keep the row's reason
        return None, None, f"standardisation failed: {str(exc).strip() or type(exc).__name__}"
    if not out:
        return None, None, "no atoms left after standardisation"
    return mol, out, None


def standardize_smiles(
    smiles: object, options: StandardizeOptions = StandardizeOptions()
) -> tuple[str | None, str | None]:
    """One SMILES → `(canonical SMILES, None)` or `(None, reason it was rejected)`."""
    _, out, reason = standardize_to_mol(smiles, options)
    return out, reason


def _standardize_chunk(items: Sequence[object], options: StandardizeOptions) -> list[tuple]:
    return [standardize_smiles(s, options) for s in items]


def standardize_many(
    smiles: Sequence[object],
    options: StandardizeOptions = StandardizeOptions(),
    n_jobs: int = 1,
    chunk_size: int = 5000,
) -> list[tuple[str | None, str | None]]:
    """`standardize_smiles` over a list (in parallel processes for big lists)."""
    from helixforge.chem.inputs import check_jobs, smiles_list
    from helixforge.core.parallel import chunked, parallel_map

    smiles = smiles_list(smiles, "standardize_many")
    options = as_options(options, "standardize_many")
    check_jobs(n_jobs, chunk_size, "standardize_many")
    if n_jobs == 1 or len(smiles) < 2 * chunk_size:
        return _standardize_chunk(smiles, options)
    parts = parallel_map(
        _standardize_chunk, list(chunked(smiles, chunk_size)), n_jobs=n_jobs, options=options
    )
    return [r for part in parts for r in part]


def standardize_table(
    df: pd.DataFrame,
    smiles_col: str,
    *,
    source: str | os.PathLike | None = None,
    options: StandardizeOptions = StandardizeOptions(),
    n_jobs: int = 1,
    errors: RowErrors | None = None,
) -> tuple[pd.DataFrame, RowErrors]:
    """Standardize a table's SMILES column.

    Returns the rows that parsed, with a `canonical_smiles` column added (index kept, so row
    numbers still point at file lines), and a `RowErrors` naming file, line, column and reason
    for every row that did not.
    """
    from helixforge.core.tables import require_columns

    check_frame(df, "standardize_table")
    require_columns(df, [smiles_col], source)
    df = numbered_rows(df)
    results = standardize_many(df[smiles_col].tolist(), options, n_jobs=n_jobs)
    return apply_standardization(df, smiles_col, results, source=source, errors=errors)


def numbered_rows(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with an index the errors table can name rows by: kept when it is unique integers
    (file lines, or a filtered frame's own labels), else the positions 0..n-1 — a notebook's
    frame after `pd.concat` (duplicate labels), or indexed by name, float or MultiIndex,
    crashed in pandas ('Reindexing only valid with uniquely valued Index', "int('mol5')") or
    had its rows misnamed (index 2.5 reported as row 2). A labelled index (named, text, or
    several levels) is kept as column(s) unless a column already has its name."""
    idx = df.index
    if idx.nlevels == 1 and pd.api.types.is_integer_dtype(idx) and idx.is_unique:
        return df
    names = [n if n is not None else ("index" if idx.nlevels == 1 else f"level_{i}")
             for i, n in enumerate(idx.names)]  # fmt: skip
    labelled = idx.nlevels > 1 or idx.name is not None or not pd.api.types.is_numeric_dtype(idx)
    keep = labelled and not any(n in df.columns for n in names)
    return df.reset_index(drop=not keep)


def check_frame(df: object, where: str) -> None:
    """InputError unless `df` is a pandas DataFrame (a list of SMILES goes elsewhere)."""
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"{where}: expected a pandas DataFrame with a SMILES column, got {type(df).__name__}",
            hint="for a list of SMILES use standardize_many(smiles); for a file, read it first "
            "(pandas.read_csv) or use standardize_file",
        )


def apply_standardization(
    df: pd.DataFrame,
    smiles_col: str,
    results: Sequence[tuple[str | None, str | None]],
    *,
    source: str | os.PathLike | None = None,
    errors: RowErrors | None = None,
) -> tuple[pd.DataFrame, RowErrors]:
    """`standardize_table`'s output from per-row `(canonical SMILES, reason)` results computed
    elsewhere (e.g. together with features, in worker processes)."""
    errors = errors if errors is not None else RowErrors(source)
    canon = [r[0] for r in results]
    for row, raw, (smi, reason) in zip(df.index, df[smiles_col].tolist(), results):
        if smi is None:
            errors.add(int(row), smiles_col, raw, reason)
    out = df.copy()
    if CANONICAL_COL in out.columns and f"input_{CANONICAL_COL}" not in out.columns:
        # an input column of that name (e.g. a previous run's output) is kept, renamed, as
        # the other output-named input columns are, instead of being overwritten
        out = out.rename(columns={CANONICAL_COL: f"input_{CANONICAL_COL}"})
        if smiles_col == CANONICAL_COL:
            out[CANONICAL_COL] = out[f"input_{CANONICAL_COL}"]  # later steps read it by name
    out[CANONICAL_COL] = canon
    out = out[out[CANONICAL_COL].notna()]
    return out, errors


def merge_duplicates(
    df: pd.DataFrame,
    targets: Sequence[str],
    task_types: Sequence[str],
    *,
    key: str = CANONICAL_COL,
    tolerance: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge rows that share a canonical SMILES.

    Regression labels are averaged; a conflict is reported when their spread (max − min)
    exceeds `tolerance`. Class labels take the majority; a tie or any disagreement is reported
    (a tie keeps the first-seen label). Missing labels are ignored per target. Other columns keep
    the first row's value. Returns `(merged, conflicts)`; `conflicts` has one row per
    (molecule, target) with the rows involved, their values, the merged value and the reason.
    """
    check_frame(df, "merge_duplicates")
    conflict_cols = ["canonical_smiles", "target", "rows", "values", "merged", "reason"]
    dup_mask = df.duplicated(key, keep=False)
    if not dup_mask.any():
        out = df.copy()
        out["n_merged"] = 1
        return out, pd.DataFrame(columns=conflict_cols)
    singles = df[~dup_mask]
    conflicts = []
    merged_rows = []
    for smi, group in df[dup_mask].groupby(key, sort=False):
        first = group.iloc[0].copy()
        for target, ttype in zip(targets, task_types):
            vals = pd.to_numeric(group[target], errors="coerce")
            vals = vals[vals.notna()]
            if len(vals) == 0:
                first[target] = np.nan
                continue
            rows = ";".join(str(i) for i in vals.index)
            shown = ";".join(f"{v:g}" for v in vals)
            if ttype == "regression":
                value = float(vals.mean())
                spread = float(vals.max() - vals.min())
                if spread > tolerance:
                    conflicts.append(
                        [
                            smi,
                            target,
                            rows,
                            shown,
                            value,
                            f"spread {spread:.3g} > tolerance {tolerance:g}",
                        ]
                    )
            else:
                counts = vals.value_counts(sort=False)
                top = counts.max()
                winners = [v for v, c in counts.items() if c == top]
                value = float(vals.iloc[0]) if len(winners) > 1 else float(winners[0])
                if len(winners) > 1:
                    conflicts.append(
                        [smi, target, rows, shown, value, "tie between classes; kept the first"]
                    )
                elif len(counts) > 1:
                    conflicts.append(
                        [smi, target, rows, shown, value, "labels disagree; kept the majority"]
                    )
            first[target] = value
        first["n_merged"] = len(group)
        merged_rows.append(first)
    merged = pd.concat([singles, pd.DataFrame(merged_rows)], axis=0)
    merged["n_merged"] = merged["n_merged"].fillna(1).astype(int) if "n_merged" in merged else 1
    merged = merged.sort_index()
    return merged, pd.DataFrame(conflicts, columns=conflict_cols)


def standardize_file(
    path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    smiles_col: str = "smiles",
    tautomer: bool = False,
    salts: str = "keep",
    n_jobs: int = 1,
) -> dict[str, object]:
    """`helix chem standardize`: write the table with a `canonical_smiles` column, plus
    `<out>.errors.csv` for rejected rows. Returns counts and the paths written. An SD file
    (.sdf / .sd, gz) is read record by record as `chem screen` reads it (`smiles` and `name`
    columns; a record RDKit cannot read goes to the errors table)."""
    from helixforge.chem.inputs import check_paths
    from helixforge.chem.screen.library import is_sdf, read_sd_file
    from helixforge.core.errors import NoUsableRowsError
    from helixforge.core.tables import read_table, write_table

    check_paths(
        "standardize_file",
        "for SMILES in memory: standardize_many(smiles); for a DataFrame: "
        "standardize_table(df, column)",
        path=path,
        out=out,
    )
    # Lines that are not rows (wrong field count, broken quoting) are recorded with their raw
    # text by the reader; rows_in counts them, so "ok of rows" is out of every input record.
    errors = RowErrors(path)
    if is_sdf(path):
        df = read_sd_file(path, errors, input_col=smiles_col)
        rows_in = len(df) + len(errors.rows())
    else:
        from helixforge.chem.inputs import smiles_column_hint

        with smiles_column_hint(path, smiles_col):  # the hint names the column holding SMILES
            df = read_table(path, columns=[smiles_col], errors=errors)
        rows_in = int(df.attrs.get("rows_in", len(df)))
    clean, errors = standardize_table(
        df,
        smiles_col,
        source=path,
        options=StandardizeOptions(tautomer=tautomer, salts=salts),
        n_jobs=n_jobs,
        errors=errors,
    )
    errors.items.sort(key=lambda e: -1 if e.row is None else e.row)
    out = str(out)
    errors_path = _errors_path(out)
    errors.write(errors_path)
    if clean.empty:
        raise NoUsableRowsError(
            f"{path}: none of the {len(df)} SMILES could be parsed",
            hint=f"see {errors_path} for the reason of each row; check --input-col",
        )
    write_table(clean, out)
    return {
        "rows": rows_in,
        "ok": len(clean),
        "errors": len(errors),
        "out": out,
        "errors_path": errors_path,
    }


def _errors_path(out: str) -> str:
    from helixforge.core.io import errors_table_path

    return str(errors_table_path(out))
