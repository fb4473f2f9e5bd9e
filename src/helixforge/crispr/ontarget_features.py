"""On-target contexts and features: validation, encoding, Rule Set 2-style features, one-hot.

Context layout (SpCas9): 30 nt = 4 nt 5' flank + 20 nt spacer + NGG PAM + 3 nt 3' flank, on the
strand of the protospacer. A 23-mer (spacer + PAM, no flanks) is accepted as well: the flanks are
then treated as unknown (``N``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, HelixError, InputError, RowErrors

CONTEXT_LENGTH = 30
SPACER = slice(4, 24)
PAM = slice(24, 27)
SHORT_LENGTH = 23  # spacer + PAM, no flanks


def _shipped(name: str) -> bool:
    from importlib.resources import files

    return files("helixforge.crispr").joinpath("weights", name, "config.json").is_file()


# SpCas9, plus the high-fidelity variants whose DeepHF-trained heads are shipped
ENZYMES = ("spcas9", *(e for e in ("espcas9", "spcas9hf1") if _shipped(f"{e}_default")))
SHIPPED_MODELS = ("default", "gbm", "cnn",
                  *(("accurate",) if _shipped("spcas9_accurate") else ()),
                  *(("gbm23",) if _shipped("spcas9_gbm23") else ()))  # fmt: skip
VARIANT_ALIASES = {"espcas911": "espcas9", "espcas9(1.1)": "espcas9", "hf1": "spcas9hf1",
                   "cas9hf1": "spcas9hf1"}  # fmt: skip
FEATURE_VERSION = 2  # 1: Rule Set 2-style (628 columns); 2: + binding energies (ontarget_energy)
FEATURE_VERSIONS = (1, 2)
FLANKS = (slice(0, 4), slice(27, 30))
# Segments whose melting temperature is a feature (0-based, on the 30-mer), as in Rule Set 2.
TM_SEGMENTS = {
    "tm_context": (0, 30),
    "tm_spacer": (4, 24),
    "tm_19_24": (19, 24),
    "tm_11_19": (11, 19),
    "tm_6_11": (6, 11),
}

_LUT = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _LUT[ord(_b)] = _LUT[ord(_b.lower())] = _i
_LUT[ord("N")] = _LUT[ord("n")] = 4
_LUT[ord("U")] = _LUT[ord("u")] = 3


# --------------------------------------------------------------------------- contexts


def _check_enzyme(enzyme: str) -> str:
    """The on-target model key of `enzyme`, read as every crispr verb reads an enzyme
    (`enzymes.get_enzyme`: 'cas9', 'SpCas9', 'custom:NGG:20' are SpCas9; --enzyme cas9 was
    accepted by design and refused by score-ontarget), or a ConfigError."""
    from helixforge.crispr.enzymes import ontarget_model_name

    key = str(enzyme).lower().replace("-", "").replace("_", "").replace(" ", "")
    key = VARIANT_ALIASES.get(key.replace(".", ""), VARIANT_ALIASES.get(key, key))
    if key not in ENZYMES:
        try:
            key = ontarget_model_name(str(enzyme))
        except HelixError:
            pass
    if key not in ENZYMES:
        raise ConfigError(
            f"no on-target efficiency model for enzyme {enzyme!r}",
            hint=f"on-target models exist for: {', '.join(ENZYMES)}; rank other enzymes' guides by "
            "off-target specificity (helix crispr design --ontarget-model none). `helix crispr "
            "train-ontarget` trains SpCas9 models (NGG 30-mer contexts) only",
        )
    return key


def missing_spelled(text: str) -> bool:
    """A cell that spells a missing value ('NA', 'N/A', 'nan', 'null', 'None', as pandas, R
    and Excel write them): told as missing, not as a context of length 2-4."""
    from helixforge.core.tables import NA_SPELLINGS

    return text in NA_SPELLINGS or text.upper() in {"NA", "N/A", "NAN", "NULL", "NONE", "#N/A"}


def _context_problem(seq: str, codes: np.ndarray, shift: int = 0) -> str | None:
    """Why a (length-checked, encoded) 30-mer context is unusable, or None.

    `shift`: how many N the caller put in front of what the user gave (4 for a 23-mer padded
    to 30), so positions are told in the user's sequence, not in the padded one."""
    if (codes == 255).any():
        pos = int(np.argmax(codes == 255))
        return f"character {seq[pos]!r} at position {pos + 1 - shift} is not A, C, G, T or N"
    if (codes[SPACER] == 4).any() or (codes[PAM] == 4).any():
        return (
            f"N inside the spacer or PAM (positions {SPACER.start + 1 - shift}-{PAM.stop - shift})"
            + ("" if shift else "; only the flanks may be unknown")
        )
    if codes[25] != 2 or codes[26] != 2:
        problem = (
            f"PAM {seq[24:27].upper()!r} at positions {PAM.start + 1 - shift}-{PAM.stop - shift} "
            "is not NGG"
        )
        return problem + _other_strand(seq, shift)
    return None


def _other_strand(seq: str, shift: int) -> str:
    """'; …' telling a context (or 23-mer) written on the other strand — CCN where its PAM
    should be, as a - strand guide's bases read off the + strand — with the sequence to give;
    '' otherwise. Such rows were refused only as "PAM 'GAT' … is not NGG"."""
    from helixforge.dna.sequence import reverse_complement

    given = seq[shift : len(seq) - (3 if shift else 0)].upper()
    rc = reverse_complement(given)
    pam_at = 25 if len(given) == CONTEXT_LENGTH else 21
    if rc[pam_at : pam_at + 2] != "GG":
        return ""
    return (
        "; it reads like the reverse complement (CC at positions "
        f"{len(given) - pam_at - 1}-{len(given) - pam_at}): give it on the protospacer strand, "
        f"{rc}"
    )


def _encode_clean_30mers(contexts: Sequence[str], codes: np.ndarray) -> np.ndarray:
    """Vectorised path of `encode_contexts`: encode into `codes` every context that is a valid
    30-mer as given (no whitespace); returns which rows it took. The rest take the row-by-row
    path, which strips, pads 23-mers and words the errors."""
    take = np.fromiter(
        (isinstance(c, str) and len(c) == CONTEXT_LENGTH for c in contexts), bool, len(contexts)
    )
    if not take.any():
        return take
    rows = np.flatnonzero(take)
    text = "".join([contexts[i] for i in rows]).encode("ascii", "replace")
    c = _LUT[np.frombuffer(text, dtype=np.uint8)].reshape(len(rows), CONTEXT_LENGTH)
    ok = ~(c == 255).any(axis=1) & ~(c[:, SPACER] == 4).any(axis=1) & ~(c[:, PAM] == 4).any(axis=1)
    ok &= (c[:, 25] == 2) & (c[:, 26] == 2)
    codes[rows[ok]] = c[ok]
    take[rows[~ok]] = False
    return take


def encode_contexts(
    contexts: Sequence[str],
    *,
    errors: RowErrors | None = None,
    rows: Sequence[int] | None = None,
    column: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate and encode SpCas9 contexts → (codes (n, 30) uint8 A0 C1 G2 T3 N4, valid mask).

    A 23-mer (spacer + PAM) is padded with N flanks. Without `errors`, the first invalid context
    raises `InputError` naming its index and the problem; with `errors`, each one is recorded
    there (row = `rows[i]` when given, else the index) and its mask entry is False.
    """
    if isinstance(contexts, str):
        raise InputError(
            "contexts must be a list of sequences, not one string", hint="wrap it: [context]"
        )
    n = len(contexts)
    codes = np.full((n, CONTEXT_LENGTH), 4, dtype=np.uint8)
    valid = np.ones(n, dtype=bool)
    done = _encode_clean_30mers(contexts, codes)
    for i in np.flatnonzero(~done):
        raw = contexts[i]
        missing = raw is None or (isinstance(raw, float) and math.isnan(raw))
        if isinstance(raw, bytes | bytearray):  # str(b'ACGT') is "b'ACGT'", 33 characters
            raw = bytes(raw).decode("ascii", "replace")
        seq = raw if isinstance(raw, str) else ("" if missing else str(raw))
        seq = given = seq.strip()  # `given`: what errors show (a 23-mer unpadded)
        shift = 0
        problem = None
        if missing:
            c = None
            problem = "missing (None / NaN), not a sequence"
        elif len(seq) == CONTEXT_LENGTH:
            c = _LUT[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]
        elif len(seq) == SHORT_LENGTH:
            c = np.full(CONTEXT_LENGTH, 4, dtype=np.uint8)
            c[4:27] = _LUT[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]
            seq, shift = "NNNN" + seq + "NNN", 4
        elif missing_spelled(seq):
            c = None
            problem = f"missing ({seq!r}), not a sequence"
        else:
            c = None
            problem = (
                f"length {len(seq)}; expected a 30-mer (4 nt + 20 nt spacer + NGG PAM + 3 nt) "
                "or a 23-mer (spacer + PAM)"
            )
            if len(seq) == SPACER.stop - SPACER.start:
                problem += (
                    ": this looks like the spacer alone; the models read the PAM and flanks too, "
                    "so give the guide's context column (or spacer + PAM)"
                )
        if c is not None:
            problem = _context_problem(seq, c, shift)
        if problem:
            if errors is None:
                raise InputError(
                    f"context {i} ({given[:40]!r}): {problem}",
                    hint="pass SpCas9 contexts on the protospacer strand: 4 nt 5' flank, 20 nt spacer, "
                    "NGG PAM, 3 nt 3' flank",
                )
            errors.add(rows[i] if rows is not None else i, column, given, problem)
            valid[i] = False
            continue
        codes[i] = c
    return codes, valid


class _ContextScorer:
    """Shared `predict` of the on-target models: encode contexts, score the valid ones with the
    subclass's `predict_codes(codes) -> np.ndarray`."""

    def predict(self, contexts: Sequence[str], *, errors: RowErrors | None = None) -> np.ndarray:
        """Scores 0-100 (higher = more active); invalid contexts raise, or are NaN + a RowError in `errors`."""
        codes, valid = encode_contexts(contexts, errors=errors)
        out = np.full(len(codes), np.nan)
        if valid.any():
            out[valid] = self.predict_codes(codes[valid])
        return out


# --------------------------------------------------------------------------- features


@functools.lru_cache(maxsize=1)
def _tm_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Dinucleotide dH/dS (16,) and terminal-base dH/dS (4,) from Biopython's default Tm_NN table."""
    from Bio.SeqUtils import MeltingTemp as mt

    table = mt.DNA_NN3
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    nn_h, nn_s = np.zeros(16), np.zeros(16)
    for a, x in enumerate("ACGT"):
        for b, y in enumerate("ACGT"):
            key = x + y + "/" + comp[x] + comp[y]
            val = table.get(key, table.get(key[::-1]))
            nn_h[a * 4 + b], nn_s[a * 4 + b] = val
    end_h = np.array([table["init_A/T"][0] if b in "AT" else table["init_G/C"][0] for b in "ACGT"])
    end_s = np.array([table["init_A/T"][1] if b in "AT" else table["init_G/C"][1] for b in "ACGT"])
    base_h = table["init"][0] + table["init_oneG/C"][0]
    return nn_h, nn_s, end_h, end_s, base_h


def melting_temperature(codes: np.ndarray) -> np.ndarray:
    """Nearest-neighbour Tm (°C) of each row of `codes` (A0 C1 G2 T3; rows with N → NaN).

    Same numbers as ``Bio.SeqUtils.MeltingTemp.Tm_NN(seq)`` with its defaults (Allawi &
    SantaLucia 1997 table, 25 nM strands, 50 mM Na+, salt correction 5), vectorised over rows;
    sequences without any G/C use Biopython's all-A/T initiation.
    """
    from Bio.SeqUtils import MeltingTemp as mt

    nn_h, nn_s, end_h, end_s, base_h = _tm_tables()
    codes = np.asarray(codes)
    n, length = codes.shape
    bad = (codes > 3).any(axis=1)
    c = np.where(codes > 3, 0, codes).astype(np.int64)
    pair = c[:, :-1] * 4 + c[:, 1:]
    dh = nn_h[pair].sum(axis=1) + end_h[c[:, 0]] + end_h[c[:, -1]] + base_h
    ds = nn_s[pair].sum(axis=1) + end_s[c[:, 0]] + end_s[c[:, -1]] + mt.DNA_NN3["init"][1]
    no_gc = ~((c == 1) | (c == 2)).any(axis=1)
    table = mt.DNA_NN3
    dh += (
        np.where(no_gc, table["init_allA/T"][0], table["init_oneG/C"][0]) - table["init_oneG/C"][0]
    )
    ds += np.where(no_gc, table["init_allA/T"][1], table["init_oneG/C"][1])
    dh += table["init_5T/A"][0] * ((c[:, 0] == 3).astype(float) + (c[:, -1] == 0))
    ds += table["init_5T/A"][1] * ((c[:, 0] == 3).astype(float) + (c[:, -1] == 0))
    ds += 0.368 * (length - 1) * math.log(50e-3)  # salt correction method 5 at 50 mM Na+
    k = (25 - 25 / 2.0) * 1e-9
    tm = 1000 * dh / (ds + 1.987 * math.log(k)) - 273.15
    tm[bad] = np.nan
    return tm


def _one_hot_positions(idx: np.ndarray, n_values: int, unknown: np.ndarray) -> np.ndarray:
    n, length = idx.shape
    out = np.zeros((n, length, n_values), dtype=np.float32)
    rows, cols = np.nonzero(~unknown)
    out[rows, cols, idx[rows, cols]] = 1.0
    out[unknown] = np.nan
    return out.reshape(n, length * n_values)


def mask_flanks(codes: np.ndarray) -> np.ndarray:
    """A copy of encoded contexts with both flanks set to unknown (N): what a flank-free model
    sees of every context, 30-mer or 23-mer."""
    out = np.array(codes, dtype=np.uint8, copy=True)
    for f in FLANKS:
        out[:, f] = 4
    return out


def flanks_unknown(codes: np.ndarray) -> np.ndarray:
    """Rows whose flanks are all N (23-mers padded by `encode_contexts`)."""
    codes = np.asarray(codes)
    return np.all(np.concatenate([codes[:, f] for f in FLANKS], axis=1) == 4, axis=1)


def _check_version(version: int) -> int:
    if version not in FEATURE_VERSIONS:
        raise ConfigError(
            f"unknown on-target feature version {version!r}",
            hint=f"this HelixForge computes versions {', '.join(map(str, FEATURE_VERSIONS))}",
        )
    return version


def feature_names(version: int = FEATURE_VERSION) -> list[str]:
    """Names of the columns of `featurize` for a feature version (stable within a version)."""
    _check_version(version)
    bases, names = "ACGT", []
    names += [f"pos{p + 1}_{b}" for p in range(CONTEXT_LENGTH) for b in bases]
    names += [f"pos{p + 1}_{a}{b}" for p in range(CONTEXT_LENGTH - 1) for a in bases for b in bases]
    names += [f"spacer_count_{b}" for b in bases]
    names += [f"spacer_count_{a}{b}" for a in bases for b in bases]
    names += ["spacer_gc_count", "spacer_gc_high", "spacer_gc_low"]
    names += list(TM_SEGMENTS)
    names += [f"nggn_{a}gg{b}" for a in bases for b in bases]
    if version >= 2:
        from helixforge.crispr.ontarget_energy import energy_feature_names

        names += energy_feature_names()
    return names


def featurize(codes: np.ndarray, version: int = FEATURE_VERSION) -> np.ndarray:
    """Features (n, len(feature_names(version))) float32 from encoded 30-mer contexts; unknown
    (N) → NaN. Version 1: Rule Set 2-style (628 columns); version 2 adds the spacer's RNA–DNA
    hybrid and DNA duplex binding energies (`ontarget_energy`)."""
    _check_version(version)
    codes = np.asarray(codes, dtype=np.uint8)
    unknown = codes > 3
    c = np.where(unknown, 0, codes).astype(np.int64)
    blocks = [_one_hot_positions(c, 4, unknown)]
    blocks.append(
        _one_hot_positions(c[:, :-1] * 4 + c[:, 1:], 16, unknown[:, :-1] | unknown[:, 1:])
    )
    sp = c[:, SPACER]
    counts1 = np.stack([(sp == b).sum(axis=1) for b in range(4)], axis=1)
    dimer = sp[:, :-1] * 4 + sp[:, 1:]
    counts2 = np.stack([(dimer == d).sum(axis=1) for d in range(16)], axis=1)
    gc = counts1[:, 1] + counts1[:, 2]
    blocks += [counts1, counts2, np.stack([gc, gc > 10, gc < 10], axis=1)]
    blocks.append(
        np.stack([melting_temperature(codes[:, a:b]) for a, b in TM_SEGMENTS.values()], axis=1)
    )
    nggn = _one_hot_positions(
        (c[:, 24] * 4 + c[:, 27])[:, None], 16, (unknown[:, 24] | unknown[:, 27])[:, None]
    )
    blocks.append(nggn)
    if version >= 2:
        from helixforge.crispr.ontarget_energy import energy_features

        blocks.append(energy_features(codes[:, SPACER]))
    return np.concatenate([np.asarray(b, dtype=np.float32) for b in blocks], axis=1)


def one_hot_contexts(codes: np.ndarray) -> np.ndarray:
    """(n, 4, 30) float32 one-hot, channels ACGT; N = all zeros."""
    codes = np.asarray(codes)
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])
    return np.ascontiguousarray(eye[np.minimum(codes, 4)].transpose(0, 2, 1))


def rank_normalize(y: Sequence[float], groups: Sequence[Any] | None = None) -> np.ndarray:
    """Per-group rank percentile in (0, 1): (rank - 0.5) / n, ties averaged; NaN stays NaN."""
    import pandas as pd

    s = pd.Series(np.asarray(y, dtype=float))
    g = pd.Series(np.zeros(len(s)) if groups is None else np.asarray(groups))
    ranks = s.groupby(g.values).rank(method="average")
    sizes = s.notna().groupby(g.values).transform("sum")
    return ((ranks - 0.5) / sizes).to_numpy(dtype=float)
