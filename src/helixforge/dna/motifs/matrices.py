"""Motif matrices: the `Motif` position frequency matrix, its probabilities and log-odds, and
strand-symmetric ACGT backgrounds.

A count matrix becomes probabilities with a pseudocount spread by the background
(p = (c + pc·bg) / (n + pc)) and then log2-odds against the background.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from helixforge.core.errors import ConfigError, InputError

BASES = "ACGT"
DEFAULT_PSEUDOCOUNT = 0.8
# byte → 0..3 for ACGT (U reads as T), 4 for anything else (N, IUPAC codes)
BASE_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    BASE_CODE[ord(_b)] = BASE_CODE[ord(_b.lower())] = _i
BASE_CODE[ord("U")] = BASE_CODE[ord("u")] = 3


@dataclass
class Motif:
    """A position frequency matrix: `counts` is (length, 4) in ACGT order (counts or frequencies)."""

    id: str
    name: str
    counts: np.ndarray
    tax_group: str = ""
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        c = np.asarray(self.counts, dtype=np.float64)
        if c.ndim != 2 or c.shape[1] != 4 or c.shape[0] == 0:
            raise InputError(
                f"motif {self.id}: matrix must be (length, 4) in ACGT order, got {c.shape}"
            )
        if (c < 0).any() or not np.isfinite(c).all():
            raise InputError(f"motif {self.id}: matrix has negative or non-finite entries")
        self.counts = c

    @property
    def length(self) -> int:
        return int(self.counts.shape[0])

    def probabilities(
        self, pseudocount: float = DEFAULT_PSEUDOCOUNT, background=None
    ) -> np.ndarray:
        """(L, 4) base probabilities with `pseudocount` (in counts) spread by the background."""
        bg = _background(background)
        n = self.counts.sum(axis=1, keepdims=True)
        p = (self.counts + pseudocount * bg) / (n + pseudocount)
        empty = n[:, 0] <= 0
        p[empty] = bg
        return p

    def log_odds(self, pseudocount: float = DEFAULT_PSEUDOCOUNT, background=None) -> np.ndarray:
        """(L, 4) log2-odds scores of each base against the background (bits)."""
        bg = _background(background)
        p = self.probabilities(pseudocount, bg)
        with np.errstate(divide="ignore"):
            return np.log2(np.maximum(p, 1e-300) / bg)

    def information_content(self, pseudocount: float = 0.0) -> np.ndarray:
        """Per-column information content (bits) against a uniform background."""
        p = self.probabilities(pseudocount, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.nansum(np.where(p > 0, p * np.log2(p), 0.0), axis=1)
        return 2.0 - h

    def reverse_complement(self) -> Motif:
        return Motif(
            self.id,
            self.name,
            self.counts[::-1, ::-1].copy(),
            self.tax_group,
            self.source,
            dict(self.meta),
        )

    @property
    def consensus(self) -> str:
        return "".join(BASES[i] for i in self.counts.argmax(axis=1))

    def __repr__(self) -> str:
        return (
            f"Motif({self.id!r}, {self.name!r}, length={self.length}, consensus={self.consensus!r})"
        )


def _background(background) -> np.ndarray:
    """ACGT background, symmetrised over both strands (A=T, C=G): both strands are scanned
    against one null score distribution, which is exact only for a strand-symmetric background
    (MEME's fasta-get-markov symmetrises the same way)."""
    if background is None or (isinstance(background, str) and background == "uniform"):
        return np.full(4, 0.25)
    bg = np.asarray(background, dtype=np.float64).ravel()
    if bg.shape != (4,) or not (np.isfinite(bg) & (bg > 0)).all():  # NaN passes 'bg <= 0'
        raise ConfigError(
            f"background must be 4 positive frequencies in ACGT order, got {background!r}"
        )
    bg = (bg + bg[::-1]) / 2
    return bg / bg.sum()


def background_from_sequences(sequences: Iterable[str], pseudocount: float = 1.0) -> np.ndarray:
    """ACGT frequencies of `sequences` (one string is one sequence), symmetrised over both
    strands (A=T, C=G)."""
    from helixforge.lm.inputs import as_sequences

    counts = np.zeros(5)
    for s in as_sequences(sequences, "sequences"):
        counts += np.bincount(
            BASE_CODE[np.frombuffer(s.encode("ascii", "replace"), np.uint8)], minlength=5
        )
    c = counts[:4] + pseudocount
    c = (c + c[::-1]) / 2
    return c / c.sum()


def motif_from_biopython(m, source: str = "") -> Motif:
    """Convert a Bio.motifs motif (JASPAR, TRANSFAC, MEME, …) into a `Motif`."""
    mid = biopython_motif_id(m)
    letters = set(str(getattr(m, "alphabet", "") or "ACGT"))
    if "T" not in letters and "U" in letters:  # an RNA motif (MEME 'ALPHABET= ACGU'): U is T
        counts = np.array([[float(v) for v in m.counts[b if b != "T" else "U"]] for b in BASES]).T
    elif not set(BASES) <= letters:
        raise InputError(
            f"{source + ': ' if source else ''}motif {mid or getattr(m, 'name', '')!r}: its "
            f"alphabet is {''.join(sorted(letters))!r}, not DNA (A C G T)",
            hint="only nucleotide motifs (ACGT, or ACGU for RNA) can be scanned on DNA",
        )
    else:
        counts = np.array([[float(v) for v in m.counts[b]] for b in BASES]).T
    name = getattr(m, "name", None) or _get(m, "ID") or mid
    tax = getattr(m, "tax_group", None) or ""
    meta = {}
    for key in ("tf_family", "tf_class"):
        val = getattr(m, key, None)
        if val:
            meta[key] = "; ".join(val) if isinstance(val, list | tuple) else str(val)
    for cc in _get(m, "CC") or []:  # TRANSFAC comment lines: tax_group:…, tf_family:…
        key, _, val = str(cc).partition(":")
        if key == "tax_group" and not tax:
            tax = val
        elif key in ("tf_family", "tf_class") and val and key not in meta:
            meta[key] = val
    label = f"{source + ': ' if source else ''}motif {mid or name!r}"
    if counts.size == 0 or not np.isfinite(counts).all() or (counts < 0).any():
        raise InputError(
            f"{label}: its matrix holds no rows, or a value that is not a finite number ≥ 0",
            hint="each row of a motif matrix holds four counts or frequencies (A C G T) ≥ 0",
        )
    if (counts.sum(axis=1) <= 0).any():
        row = int(np.flatnonzero(counts.sum(axis=1) <= 0)[0]) + 1
        raise InputError(
            f"{label}: matrix row {row} is all zeros", hint="every position needs counts"
        )
    if counts.sum(axis=1).max() <= 1.0 + 1e-6:  # frequencies (MEME): scale to the site count
        nsites = float(getattr(m, "num_occurrences", 0) or 0) or 20.0
        counts = counts * nsites
    return Motif(str(mid or name), str(name or mid), counts, str(tax or ""), source, meta)


def biopython_motif_id(m) -> str:
    """The id of a Bio.motifs motif as `motif_from_biopython` takes it (JASPAR matrix id,
    TRANSFAC AC, MEME name)."""
    return getattr(m, "matrix_id", None) or _get(m, "AC") or getattr(m, "id", None) or ""


def _get(m, key):
    try:
        return m.get(key)
    except AttributeError:
        return None
