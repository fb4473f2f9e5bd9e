"""Nucleotide sequence basics shared by dna, crispr and lm: alphabet, validation, reverse
complement, IUPAC matching and one-hot encoding.

`reverse_complement(seq)` is the project's one complement table (str or bytes, IUPAC-aware,
case-preserving); `clean_sequence(seq, iupac=...)` is the one row-validation policy used by
every reader of sequences.

Policy for unusual characters: lowercase (soft-masked repeats) is accepted and upper-cased unless
the caller keeps it; N is accepted; other IUPAC ambiguity codes (RYSWKMBDHV) are accepted where
`allow_iupac=True` and rejected otherwise; anything else is an error naming the position.
"""

from __future__ import annotations

import numpy as np

from helixforge.core.errors import InputError
from helixforge.lm.alphabet import IUPAC, reverse_complement  # noqa: F401 - re-exported
from helixforge.lm.inputs import as_sequence, as_sequences  # noqa: F401 - re-exported

DNA = "ACGT"
_ALLOWED = set("ACGTN")
_AMBIG = set("RYSWKMBDHV")
IUPAC_POLICIES = ("error", "n", "keep")


def clean_sequence(
    seq: str,
    *,
    where: str = "sequence",
    iupac: str = "error",
    min_len: int = 1,
    max_len: int | None = None,
    max_n_fraction: float = 1.0,
) -> str:
    """Upper-case and check one sequence; raise `InputError` naming `where` and the position.

    iupac: 'error' rejects R, Y, S, W, K, M, B, D, H, V; 'n' turns them into N; 'keep' keeps
    them. U is read as T. `max_n_fraction` rejects sequences that are mostly N (assembly gaps).
    bytes are decoded; None or a non-text value is an `InputError` naming `where`.
    """
    if iupac not in IUPAC_POLICIES:
        from helixforge.core.errors import ConfigError

        raise ConfigError(f"--iupac {iupac!r} is not one of: {', '.join(IUPAC_POLICIES)}")
    seq = as_sequence(seq, where)
    up = seq.upper().replace("U", "T")
    bad = set(up) - _ALLOWED
    if bad:
        other = bad - _AMBIG
        if other:
            i = next(i for i, ch in enumerate(up) if ch in other)
            raise InputError(
                f"{where}: character {seq[i]!r} at position {i + 1} is not a nucleotide code",
                hint="only A, C, G, T, N (and IUPAC codes with --iupac n|keep) are accepted",
            )
        if iupac == "error":
            i = next(i for i, ch in enumerate(up) if ch in bad)
            raise InputError(
                f"{where}: IUPAC ambiguity code {seq[i]!r} at position {i + 1}",
                hint="pass --iupac n to read ambiguity codes as N, or --iupac keep",
            )
        if iupac == "n":
            up = up.translate(str.maketrans("".join(sorted(bad)), "N" * len(bad)))
    if len(up) < min_len:
        raise InputError(
            f"{where}: sequence is {len(up)} bases long, shorter than the minimum of {min_len}"
        )
    if max_len is not None and len(up) > max_len:
        raise InputError(
            f"{where}: sequence is {len(up)} bases long, longer than the maximum of {max_len}",
            hint="cut it into windows or raise the length limit",
        )
    if max_n_fraction < 1.0 and up and up.count("N") / len(up) > max_n_fraction:
        raise InputError(
            f"{where}: {up.count('N') / len(up):.0%} of the bases are N (limit {max_n_fraction:.0%})"
        )
    return up


_NUCLEOTIDE_TEXT = frozenset("ACGTUN" + "RYSWKMBDHV")


def check_nucleotides(seqs: list[str], name: str = "sequences") -> list[str]:
    """Refuse (InputError naming `name[i]` and the position) a sequence with a character that
    is no nucleotide code in any case: whitespace, a line break, a '>' header pasted in, digits.
    IUPAC codes and U are allowed (encoders read them as N and T). One pass over the joined
    text, so it is cheap for large batches; returns `seqs`."""
    if not seqs:
        return seqs
    if set("".join(seqs).upper()) <= _NUCLEOTIDE_TEXT:
        return seqs
    for i, seq in enumerate(seqs):
        up = seq.upper()
        for j, ch in enumerate(up):
            if ch not in _NUCLEOTIDE_TEXT:
                what = (
                    "a FASTA header pasted into the sequence"
                    if ch == ">"
                    else "whitespace"
                    if ch.isspace()
                    else "not a nucleotide code"
                )
                raise InputError(
                    f"{name}[{i}]: character {seq[j]!r} at position {j + 1} is {what}",
                    hint="pass bases only (A C G T, N and IUPAC codes); strip spaces, line "
                    "breaks and '>name' lines first (dna.io.read_fasta reads FASTA text)",
                )
    return seqs


def soft_masked_fraction(seq: str) -> float:
    """Fraction of lowercase (soft-masked, usually repeat) bases."""
    return sum(ch.islower() for ch in seq) / len(seq) if seq else 0.0


def n_runs(seq: str, min_run: int = 1) -> list[tuple[int, int]]:
    """0-based half-open (start, end) of runs of N at least `min_run` long (assembly gaps)."""
    import re

    return [
        (m.start(), m.end()) for m in re.finditer("[Nn]+", seq) if m.end() - m.start() >= min_run
    ]


def validate_dna(
    seq: str, *, name: str = "sequence", allow_n: bool = True, allow_iupac: bool = False
) -> str:
    """Upper-case `seq` and check its alphabet; raise `InputError` naming the first bad position."""
    seq = as_sequence(seq, name)
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
    """G+C fraction of the A/C/G/T bases (N and other codes are not counted)."""
    s = as_sequence(seq).upper()
    acgt = sum(s.count(b) for b in DNA)
    return (s.count("G") + s.count("C")) / acgt if acgt else 0.0


_LUT = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(DNA):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i
_LUT[ord("U")] = _LUT[ord("u")] = 3


def encode_int(seq: str) -> np.ndarray:
    """A=0, C=1, G=2, T=3, anything else (N) = 4; uint8 array (bytes are read as they are)."""
    if isinstance(seq, bytes | bytearray):
        return _LUT[np.frombuffer(bytes(seq), dtype=np.uint8)]
    if type(seq) is not str:
        seq = as_sequence(seq)
    return _LUT[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


def one_hot(seq: str, dtype=np.float32) -> np.ndarray:
    """(len, 4) one-hot in ACGT order; N and other codes are all-zero rows (0.25 would bias saliency)."""
    idx = encode_int(seq)
    out = np.zeros((len(idx), 5), dtype=dtype)
    out[np.arange(len(idx)), idx] = 1
    return out[:, :4]
