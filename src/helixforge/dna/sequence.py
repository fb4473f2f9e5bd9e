"""Nucleotide sequence basics shared by dna and crispr: alphabet, validation, reverse complement,
IUPAC matching and one-hot encoding.

Policy for unusual characters: lowercase (soft-masked repeats) is accepted and upper-cased unless
the caller keeps it; N is accepted; other IUPAC ambiguity codes (RYSWKMBDHV) are accepted where
`allow_iupac=True` and rejected otherwise; anything else is an error naming the position.
"""

from __future__ import annotations

import numpy as np

from helixforge.core.errors import InputError

DNA = "ACGT"
IUPAC: dict[str, str] = {
    "A": "A", "C": "C", "G": "G", "T": "T", "U": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}  # fmt: skip
_COMP = str.maketrans("ACGTUNRYSWKMBDHVacgtunryswkmbdhv-", "TGCAANYRSWMKVHDBtgcaanyrswmkvhdb-")


def reverse_complement(seq: str) -> str:
    """Reverse complement, IUPAC-aware and case-preserving."""
    return seq.translate(_COMP)[::-1]


def validate_dna(
    seq: str, *, name: str = "sequence", allow_n: bool = True, allow_iupac: bool = False
) -> str:
    """Upper-case `seq` and check its alphabet; raise `InputError` naming the first bad position."""
    up = seq.upper().replace("U", "T")
    allowed = set(DNA) | ({"N"} if allow_n else set()) | (set(IUPAC) if allow_iupac else set())
    for i, ch in enumerate(up):
        if ch not in allowed:
            what = "an IUPAC ambiguity code" if ch in IUPAC else "not a nucleotide"
            ok = (
                "A, C, G, T"
                + (", N" if allow_n else "")
                + (" and IUPAC codes" if allow_iupac else "")
            )
            raise InputError(
                f"{name}: character {seq[i]!r} at position {i + 1} is {what}",
                hint=f"only {ok} are accepted here; replace or remove it",
            )
    return up


def iupac_match(base: str, code: str) -> bool:
    """True if `base` (A/C/G/T) is allowed by the IUPAC `code`."""
    return base.upper() in IUPAC.get(code.upper(), "")


def gc_content(seq: str) -> float:
    s = seq.upper()
    acgt = sum(s.count(b) for b in DNA)
    return (s.count("G") + s.count("C")) / acgt if acgt else 0.0


_LUT = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(DNA):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i
_LUT[ord("U")] = _LUT[ord("u")] = 3


def encode_int(seq: str) -> np.ndarray:
    """A=0, C=1, G=2, T=3, anything else (N) = 4; uint8 array."""
    return _LUT[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


def one_hot(seq: str, dtype=np.float32) -> np.ndarray:
    """(len, 4) one-hot in ACGT order; N and other codes are all-zero rows (0.25 would bias saliency)."""
    idx = encode_int(seq)
    out = np.zeros((len(seq), 5), dtype=dtype)
    out[np.arange(len(seq)), idx] = 1
    return out[:, :4]
