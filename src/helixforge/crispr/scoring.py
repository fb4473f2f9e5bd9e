"""Off-target scores for SpCas9: CFD (Doench 2016) and MIT (Hsu 2013), vectorised.

    cfd_score("ATGGTCGGACTCCCTGCCAG", "ATGGTGGGACTCCCTGCCAGAGG")   # 0.5
    mit_score("ATGGTCGGACTCCCTGCCAG", "ATGATCCAAATCCCTGCCAG")       # 0..100

* **CFD** (Cutting Frequency Determination): product over mismatched positions of the measured
  activity of that mismatch type at that position, times the activity of the PAM's last two
  bases. Tables from Doench et al. 2016 (via crisprScore, MIT licence) ship in
  ``helixforge/crispr/data``. Range 0–1; a perfect match with NGG scores 1.0.
* **MIT hit score** (Hsu et al. 2013, formula of the MIT CRISPR site / CRISPOR): the product of
  (1 − w_pos) over mismatches × 1/(((19 − mean distance between mismatches)/19)·4 + 1) × 1/n²,
  scaled to 0–100. It ignores the PAM; CRISPOR multiplies it by 0.2 for NAG/NGA sites, and so
  does `offtarget.find_offtargets`.
* **Guide specificity** (CRISPOR): 100 / (100 + Σ off-target scores), on a 0–100 scale, computed
  from MIT hit scores (0–100) and from CFD scores (0–1) alike, as CRISPOR does.

Positions are 1 = PAM-distal … 20 = PAM-proximal. Bases: A0 C1 G2 T3; code 4 (N) in a site is
always a mismatch: it makes CFD undefined (NaN, skipped in sums as CRISPOR skips it) and counts
as a mismatch for MIT.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources

import numpy as np

from helixforge.core.errors import InputError
from helixforge.dna.sequence import encode_int

CFD_LENGTH = 20
_BASES = "ACGT"


def _data_text(name: str) -> str:
    return resources.files("helixforge.crispr").joinpath("data", name).read_text(encoding="utf-8")


@cache
def cfd_tables() -> tuple[np.ndarray, np.ndarray]:
    """(mismatch, pam): mismatch[pos, spacer_base, protospacer_base] (20×4×4, 1.0 on matches) and
    pam[base2, base3] (4×4) activities."""
    mm = np.ones((CFD_LENGTH, 4, 4), dtype=np.float64)
    seen = 0
    for line in _data_text("cfd_mismatch_scores.txt").split("\n"):
        if not line.strip():
            continue
        key, value = line.split()
        g, s, pos = _BASES.index(key[0]), _BASES.index(key[1]), int(key[2:])
        mm[pos - 1, g, s] = float(value)
        seen += 1
    pam = np.zeros((4, 4), dtype=np.float64)
    for line in _data_text("cfd_pam_scores.txt").split("\n"):
        if line.strip():
            key, value = line.split()
            pam[_BASES.index(key[0]), _BASES.index(key[1])] = float(value)
    if seen != 240:
        raise InputError(
            f"CFD mismatch table has {seen} entries, expected 240 (package data corrupt)"
        )
    return mm, pam


@cache
def mit_weights() -> np.ndarray:
    """Hsu 2013 position weights, index 0 = PAM-distal position 1."""
    rows = [
        ln.split() for ln in _data_text("mit_position_weights.tsv").split("\n")[1:] if ln.strip()
    ]
    w = np.zeros(20)
    for pos, val in rows:
        w[int(pos) - 1] = float(val)
    return w


def _codes(seqs: list[str] | np.ndarray, length: int, what: str) -> np.ndarray:
    if isinstance(seqs, np.ndarray):
        return seqs
    out = np.empty((len(seqs), length), dtype=np.uint8)
    for i, s in enumerate(seqs):
        if len(s) != length:
            raise InputError(f"{what} {s!r} has {len(s)} nt, expected {length}")
        out[i] = encode_int(s)
    return out


def cfd_scores(spacers: np.ndarray, protospacers: np.ndarray, pams: np.ndarray) -> np.ndarray:
    """Vectorised CFD: (n, 20) spacer codes, (n, 20) protospacer codes, (n, 2) codes of the PAM's
    last two bases → (n,) scores; NaN where a site base is not A/C/G/T."""
    mm, pam_table = cfd_tables()
    g = np.asarray(spacers, dtype=np.int64)
    s = np.asarray(protospacers, dtype=np.int64)
    p = np.asarray(pams, dtype=np.int64)
    bad = (s > 3).any(axis=1) | (p > 3).any(axis=1) | (g > 3).any(axis=1)
    g, s, p = np.minimum(g, 3), np.minimum(s, 3), np.minimum(p, 3)
    pos = np.arange(CFD_LENGTH)[None, :]
    out = mm[pos, g, s].prod(axis=1) * pam_table[p[:, 0], p[:, 1]]
    out[bad] = np.nan
    return out


def mit_scores(spacers: np.ndarray, protospacers: np.ndarray) -> np.ndarray:
    """Vectorised MIT hit score (0–100) on the 20 PAM-proximal positions: (n, 20) codes each."""
    g = np.asarray(spacers)
    s = np.asarray(protospacers)
    mism = (g != s) | (s > 3)
    return mit_from_mismatches(mism)


def mit_from_mismatches(mism: np.ndarray) -> np.ndarray:
    """MIT hit score from a boolean (n, 20) mismatch matrix (column 0 = PAM-distal)."""
    w = mit_weights()
    mism = np.asarray(mism, dtype=bool)
    n = mism.sum(axis=1)
    score1 = np.where(mism, 1.0 - w[None, :], 1.0).prod(axis=1)
    first = mism.argmax(axis=1)
    last = mism.shape[1] - 1 - mism[:, ::-1].argmax(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_dist = (last - first) / np.maximum(n - 1, 1)
        score2 = np.where(n < 2, 1.0, 1.0 / (((19.0 - mean_dist) / 19.0) * 4.0 + 1.0))
        score3 = np.where(n == 0, 1.0, 1.0 / np.maximum(n, 1) ** 2)
    return score1 * score2 * score3 * 100.0


def _pair(spacer, site, what: str) -> tuple[str, str]:
    """Both sequences as upper-case text (bytes read, U as T); None / non-text is an InputError,
    a spacer base that is not A/C/G/T (it would score NaN) or a site character that is no
    nucleotide code is named."""
    from helixforge.lm.inputs import as_sequence

    sp = as_sequence(spacer, "spacer").upper().replace("U", "T")
    st = as_sequence(site, what).upper().replace("U", "T")
    bad = next((i for i, c in enumerate(sp) if c not in "ACGT"), None)
    if bad is not None:
        raise InputError(
            f"spacer {spacer!r}: character {sp[bad]!r} at position {bad + 1} is not A, C, G or T",
            hint="a guide's spacer is A/C/G/T only (lowercase and U are read as DNA); give the "
            "guide's spacer as designed, or leave this guide out",
        )
    bad = next((i for i, c in enumerate(st) if c not in _SITE_CODES), None)
    if bad is not None:
        raise InputError(
            f"{what} {site!r}: character {st[bad]!r} at position {bad + 1} is not a nucleotide "
            "code (an N or IUPAC code in the site gives NaN)",
            hint=f"give the genome bases of the {what} (A/C/G/T, N where unknown)",
        )
    return sp, st


_SITE_CODES = frozenset("ACGTNRYSWKMBDHV")


def cfd_score(spacer: str, site: str) -> float:
    """CFD of one site: `spacer` (20 nt, a trailing PAM is ignored) vs `site` (20 nt protospacer +
    3 nt PAM). Returns 1.0 for a perfect match with NGG; NaN where the site has a base that is
    not A/C/G/T (N). A spacer base that is not A/C/G/T is an InputError."""
    from helixforge.lm.inputs import as_sequence

    full = as_sequence(spacer, "spacer")
    # a trailing PAM (NGG) is not scored; any other length than 20 / 23 was cut to its first
    # 20 nt without a word (a 21-nt U6 'G' + spacer scored the wrong 20 nt)
    full = full.strip()
    pam = full[CFD_LENGTH:].upper().replace("U", "T")
    if len(pam) not in (0, 3):
        raise InputError(
            f"spacer {spacer!r} is {len(full)} nt; CFD scores a 20-nt SpCas9 spacer (23 nt are "
            "read as spacer + PAM)",
            hint="give the 20 nt of the spacer itself: without an extra 5' G, and with no PAM "
            "or its 3 nt",
        )
    if bad := next((c for c in pam if c not in _SITE_CODES), None):
        raise InputError(
            f"spacer {spacer!r}: its PAM part {pam!r} holds {bad!r}, not a nucleotide code",
            hint="give the 20-nt spacer alone, or spacer + PAM in IUPAC letters (e.g. NGG)",
        )
    sp, st = _pair(full[:CFD_LENGTH], site, "site")
    if len(sp) != CFD_LENGTH or len(st) != CFD_LENGTH + 3:
        raise InputError(
            f"CFD needs a 20-nt spacer and a 23-nt site (protospacer + NGG-like PAM); got "
            f"{len(full)} and {len(st)} nt",
            hint="give the spacer (20 nt) and the site as 20-nt protospacer + 3-nt PAM, both on "
            "the protospacer strand",
        )
    g = encode_int(sp)[None, :]
    s = encode_int(st[:CFD_LENGTH])[None, :]
    p = encode_int(st[-2:])[None, :]
    return float(cfd_scores(g, s, p)[0])


def mit_score(spacer: str, protospacer: str) -> float:
    """MIT hit score (0–100) of one site; uses the 20 PAM-proximal nt (CRISPOR convention)."""
    a, b = _pair(spacer, protospacer, "protospacer")
    if len(a) != len(b) or len(a) < 20:
        raise InputError(
            f"MIT score needs two sequences of equal length ≥ 20 nt, got {len(a)} and {len(b)}",
            hint="give the spacer and the protospacer it is compared with, both without a PAM "
            "(the 20 PAM-proximal nt are scored)",
        )
    ga, gb = encode_int(a[-20:])[None, :], encode_int(b[-20:])[None, :]
    return float(mit_scores(ga, gb)[0])


def specificity(score_sum: float | np.ndarray) -> float | np.ndarray:
    """CRISPOR guide specificity: 100 / (100 + Σ off-target scores), 0–100 (100 = no off-targets).

    `score_sum` is a number ≥ 0 or an array of them (NaN stays NaN: a sum not computed); None,
    text, a negative or an infinite sum is an `InputError` (None gave NaN and -100 inf)."""
    if score_sum is None or isinstance(score_sum, str | bytes | bool):
        raise InputError(
            f"score_sum is {score_sum!r}, not an off-target score sum",
            hint="pass Σ CFD or MIT scores of a guide's off-targets (0 when it has none)",
        )
    try:
        arr = np.asarray(score_sum, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"score_sum is {type(score_sum).__name__} ({repr(score_sum)[:40]}), not a number "
            "or an array of numbers"
        ) from None
    bad = ~np.isnan(arr) & ~((arr >= 0) & np.isfinite(arr))
    if bad.any():
        where = "" if arr.ndim == 0 else f"[{int(np.flatnonzero(bad.ravel())[0])}]"
        raise InputError(
            f"score_sum{where} = {arr.ravel()[bad.ravel()][0]!r} is not a sum of off-target scores "
            "(a finite number ≥ 0)"
        )
    out = 100.0 * 100.0 / (100.0 + arr)
    return float(out) if arr.ndim == 0 else out


def supports_cfd(spacer_length: int, pam_side: str, pam_length: int) -> bool:
    """CFD is defined for SpCas9-style sites: 20-nt spacer, 3-nt PAM 3' of it."""
    return spacer_length == CFD_LENGTH and pam_side == "3prime" and pam_length == 3


def supports_mit(spacer_length: int, pam_side: str) -> bool:
    """MIT is a Cas9 score (3' PAM); CRISPOR applies it to the 20 PAM-proximal nt."""
    return spacer_length >= 20 and pam_side == "3prime"


# ---------------------------------------------------------------------- repair outcomes


def microhomology_scores(
    seq: str, breakpoint: int | None = None, length_weight: float = 20.0
) -> tuple[int, int]:
    """Microhomology and out-of-frame scores of a double-strand break (Bae et al. 2014, Nat
    Methods 11:705), as CRISPOR computes them: (mh_score, oof_score 0–100).

    Every pair of identical stretches (≥ 2 nt) with one copy left and one right of the break
    defines a deletion pattern of length d = distance between the copies; nested patterns on the
    same diagonal count once (maximal runs only). Pattern score = 100 · round(e^(−d/20), 3) ·
    (matched length + its G/C count); mh_score = Σ pattern scores; oof_score = the share (%) of
    the sum from deletions whose length is not a multiple of 3 (frameshifts).
    `breakpoint` defaults to the middle of `seq`. Returns (0, 0) when there is no microhomology.
    """
    from helixforge.core.options import require_float, require_int
    from helixforge.dna.sequence import check_nucleotides
    from helixforge.lm.inputs import as_sequence

    s = check_nucleotides([as_sequence(seq, "seq")], "seq")[0].upper()  # None: AttributeError
    length_weight = require_float(length_weight, "length_weight", low=0, low_open=True)
    n = len(s)
    left = n // 2 if breakpoint is None else require_int(breakpoint, "breakpoint", min_value=None)
    if not 2 < left < n - 1:
        raise InputError(f"breakpoint {left} must lie inside the {n}-nt sequence")
    gc_cum = [0]
    for ch in s:
        gc_cum.append(gc_cum[-1] + (ch in "GC"))
    # exact arithmetic: 100·round(e^(−d/w), 3) = milli/10, so sums are kept ×10 as integers
    in_frame = frame = 0
    for d in range(1, n):
        milli = round(round(1.0 / math.exp(d / length_weight), 3) * 1000)
        if milli == 0:
            # every longer deletion weighs 0 too (d > 152 nt at the default weight 20): the
            # sums are final. Scanning on made the time quadratic in the length (4 kb: 1.5 s),
            # and past d = 709 × weight math.exp overflowed (a raw OverflowError from ~28 kb)
            break
        lo, hi = max(0, left - d), min(left, n - d)  # left copy within [lo, hi), right copy at +d
        if hi - lo < 2:
            continue
        t = lo
        while t < hi:
            if s[t] != s[t + d]:
                t += 1
                continue
            st = t
            while t < hi and s[t] == s[t + d]:
                t += 1
            k = t - st
            if k < 2:
                continue
            # CRISPOR scans lengths below `left` only: longer runs count as their (left-1)-mers
            pieces = (
                [(st, t)] if k <= left - 1 else [(p, p + left - 1) for p in range(st, t - left + 2)]
            )
            for p0, p1 in pieces:
                score10 = milli * ((p1 - p0) + (gc_cum[p1] - gc_cum[p0]))
                if d % 3 == 0:
                    in_frame += score10
                else:
                    frame += score10
    total = in_frame + frame
    if total == 0:
        return 0, 0
    return total // 10, frame * 100 // total
