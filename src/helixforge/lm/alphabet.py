"""The nucleotide alphabet every sequence layer shares: IUPAC codes and the one complement table.

It lives in `lm` (below `dna` and `crispr`) because the language-model corpus needs it too and
`lm` must not import `dna`; `helixforge.dna.sequence` re-exports it.
"""

from __future__ import annotations

IUPAC: dict[str, str] = {
    "A": "A", "C": "C", "G": "G", "T": "T", "U": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}  # fmt: skip
_FROM, _TO = "ACGTUNRYSWKMBDHVacgtunryswkmbdhv-", "TGCAANYRSWMKVHDBtgcaanyrswmkvhdb-"
_COMP = str.maketrans(_FROM, _TO)
_COMP_BYTES = bytes.maketrans(_FROM.encode(), _TO.encode())


def reverse_complement(seq: str | bytes) -> str | bytes:
    """Reverse complement of a str or bytes sequence, IUPAC-aware and case-preserving."""
    if isinstance(seq, bytes | bytearray):
        return bytes(seq).translate(_COMP_BYTES)[::-1]
    if not isinstance(seq, str):  # None, a list …: an InputError naming the argument
        from helixforge.lm.inputs import as_sequence

        seq = as_sequence(seq, "seq")
    return seq.translate(_COMP)[::-1]
