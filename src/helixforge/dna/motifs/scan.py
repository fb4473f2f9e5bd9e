"""FIMO-like motif scanning with exact p-values.

Each motif's log-odds are integerised (at most `bins` score steps over the motif's whole
range), and the exact null distribution of the integer score is computed by dynamic
programming over the columns under the i.i.d. background, as FIMO does; a hit's p-value is
exact for the integerised matrix, and the reported score is that integer score converted back
to bits.

Speed. All motifs and both strands are scanned at once: the sequence is one-hot encoded, its
windows are viewed as a (positions, width·4) matrix without copying per motif, and one BLAS
matrix product per motif-length bucket gives every window score of every motif. Integer
matrices make the float32 products exact, so thresholds agree with the p-value tables.
Windows that contain N (or another ambiguity code) or run past a sequence end are not scored.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError, RowErrors
from helixforge.core.progress import progress
from helixforge.dna.motifs.matrices import (
    BASE_CODE,
    DEFAULT_PSEUDOCOUNT,
    Motif,
    _background,
    background_from_sequences,
)
from helixforge.dna.motifs.records import (
    SequenceRecord,
    SequencesLike,
    as_records,
    check_records,
)
from helixforge.dna.motifs.stats import partial_qvalues
from helixforge.dna.sequence import reverse_complement

HIT_COLUMNS = ["seq", "start", "end", "strand", "motif_id", "name", "score", "pvalue", "matched"]


@dataclass
class ScoredMotif:
    """A motif ready for scanning: integer log-odds, their scale and the exact score tail."""

    motif: Motif
    int_matrix: np.ndarray  # (L, 4) int64
    scale: float  # integer units per bit
    min_score: int
    tail: np.ndarray  # tail[s - min_score] = P(score >= s) under the background

    def pvalue(self, int_scores) -> np.ndarray:
        idx = np.clip(
            np.asarray(int_scores, dtype=np.int64) - self.min_score, 0, len(self.tail) - 1
        )
        p = self.tail[idx]
        return np.where(np.asarray(int_scores) > self.min_score + len(self.tail) - 1, 0.0, p)

    def threshold(self, pvalue: float) -> int:
        """Smallest integer score whose tail probability is ≤ `pvalue` (max + 1 when none is)."""
        ok = np.nonzero(self.tail <= pvalue)[0]
        return int(self.min_score + (ok[0] if len(ok) else len(self.tail)))

    def score_bits(self, int_scores) -> np.ndarray:
        return np.asarray(int_scores, dtype=np.float64) / self.scale


def prepare_motif(
    motif: Motif, background=None, pseudocount: float = DEFAULT_PSEUDOCOUNT, bins: int = 4000
) -> ScoredMotif:
    """Integerise a motif's log-odds and compute its exact score distribution (FIMO-style)."""
    bg = _background(background)
    pseudocount = _require_pseudocount(pseudocount)
    lo = motif.log_odds(pseudocount, bg)
    span = float((lo.max(axis=1) - lo.min(axis=1)).sum())
    scale = bins / span if span > 0 else 1.0
    w = np.rint(lo * scale).astype(np.int64)
    dist = np.ones(1)
    for col in w:
        cmin = col.min()
        new = np.zeros(len(dist) + int(col.max() - cmin))
        for b in range(4):
            off = int(col[b] - cmin)
            new[off : off + len(dist)] += dist * bg[b]
        dist = new
    tail = np.cumsum(dist[::-1])[::-1]
    return ScoredMotif(motif, w, scale, int(w.min(axis=1).sum()), np.minimum(tail, 1.0))


def _require_pvalue(pvalue) -> float:
    """A p-value threshold in (0, 1]; NaN, text or None is a ConfigError."""
    from helixforge.core.options import require_float

    try:
        return require_float(pvalue, "pvalue", low=0, high=1, low_open=True)
    except ConfigError:
        raise ConfigError(f"pvalue must be in (0, 1], got {pvalue!r}",
                          hint="e.g. pvalue=1e-4 (FIMO's default)") from None  # fmt: skip


def _require_pseudocount(pseudocount) -> float:
    """A finite pseudocount ≥ 0 (a negative one makes negative probabilities)."""
    from helixforge.core.options import require_float

    return require_float(pseudocount, "pseudocount", low=0)


def as_motifs(motifs) -> list[Motif]:
    """`motifs` as a list of `Motif`: one Motif is a list of one; None / [] / ids given as text
    / other objects are a ConfigError saying how to get motifs."""
    if isinstance(motifs, Motif):
        return [motifs]
    how = "load them first, e.g. load_jaspar(ids=['MA0139.2']) or read_motifs('file.meme')"
    if isinstance(motifs, str | bytes | os.PathLike):
        raise ConfigError(f"motifs {motifs!r} is text, not Motif objects", hint=how)
    if not motifs:
        raise ConfigError("no motifs to scan with", hint=how)
    out = list(motifs)
    for i, m in enumerate(out):
        if not isinstance(m, Motif):
            raise ConfigError(
                f"motifs[{i}] is a {type(m).__name__} ({str(m)[:40]!r}), not a Motif", hint=how
            )
    return out


# ---------------------------------------------------------------- scanning


def _length_buckets(lengths: np.ndarray, waste: float = 0.25) -> list[np.ndarray]:
    """Group motif indices by length so that no motif is padded by more than `waste`."""
    order = np.argsort(lengths, kind="stable")
    buckets, cur = [], []
    for i in order:
        if cur and lengths[i] > lengths[cur[0]] * (1 + waste) + 1:
            buckets.append(np.array(cur))
            cur = []
        cur.append(i)
    if cur:
        buckets.append(np.array(cur))
    return buckets


class MotifScanner:
    """Scan many sequences for many motifs on both strands with exact p-value thresholds."""

    def __init__(
        self,
        motifs: Sequence[Motif],
        background=None,
        pseudocount: float = DEFAULT_PSEUDOCOUNT,
        pvalue: float = 1e-4,
        bins: int = 4000,
        chunk: int = 1 << 15,
    ):
        from helixforge.core.options import require_int

        motifs = as_motifs(motifs)
        pvalue = _require_pvalue(pvalue)
        self.background = _background(background)
        self.pvalue = float(pvalue)
        self.chunk = require_int(chunk, "chunk", min_value=1)
        bins = require_int(bins, "bins", min_value=1)
        pseudocount = _require_pseudocount(pseudocount)
        self.prepared = [prepare_motif(m, self.background, pseudocount, bins) for m in motifs]
        self.lengths = np.array([p.motif.length for p in self.prepared])
        self.thresholds = np.array([p.threshold(self.pvalue) for p in self.prepared])
        self._buckets = []
        for idx in _length_buckets(self.lengths):
            width = int(self.lengths[idx].max())
            n_cols = -(-2 * len(idx) // 8) * 8  # a multiple of 8 so the hit mask views as uint64
            w = np.zeros((width, 4, n_cols), dtype=np.float32)
            for j, m in enumerate(idx):
                mat = self.prepared[m].int_matrix
                w[: len(mat), :, 2 * j] = mat
                w[: len(mat), :, 2 * j + 1] = mat[::-1, ::-1]
            thr = np.full(n_cols, np.finfo(np.float32).max, dtype=np.float32)
            thr[: 2 * len(idx)] = np.repeat(self.thresholds[idx], 2)
            self._buckets.append((idx, width, w.reshape(width * 4, -1), thr))

    @property
    def motifs(self) -> list[Motif]:
        return [p.motif for p in self.prepared]

    def scan(
        self,
        sequences: SequencesLike,
        errors: RowErrors | None = None,
        qvalues: bool = False,
        quiet: bool = True,
    ) -> pd.DataFrame:
        """Hits as a DataFrame (columns `HIT_COLUMNS`, plus `qvalue` if asked), sorted by seq and start;
        `attrs["repeated_names"]`: how many scanned records share a name with an earlier one.

        `start` is 0-based and `end` exclusive (BED convention); `matched` is the site read on the
        hit's strand. Bad records go to `errors` when given, else raise `InputError`.
        """
        records, source = as_records(sequences)
        records = check_records(records, source, errors)
        codes, offsets = self._concatenate(records)
        found = self._scan_codes(codes, quiet)
        hits = self._to_frame(found, codes, offsets, records, qvalues)
        # records sharing a name ('peak', '.') share it in the hits too: say so (attrs)
        hits.attrs["repeated_names"] = len(records) - len({r.name for r in records})
        return hits

    # -- internals
    def _concatenate(self, records: list[SequenceRecord]) -> tuple[np.ndarray, np.ndarray]:
        gap = int(self.lengths.max())
        parts, offsets, pos = [], [], 0
        sep = np.full(gap, 4, dtype=np.uint8)
        for r in records:
            offsets.append(pos)
            parts += [BASE_CODE[np.frombuffer(r.seq.encode("ascii"), np.uint8)], sep]
            pos += len(r.seq) + gap
        return np.concatenate(parts), np.array(offsets + [pos])

    def _scan_codes(self, codes: np.ndarray, quiet: bool = True) -> list[tuple[np.ndarray, ...]]:
        """(positions, motif index, strand 0/1, integer score) of every window above threshold."""
        with progress("scanning", total=len(codes), quiet=quiet, unit="bp") as advance:
            return self._scan_chunks(codes, advance)

    def _scan_chunks(self, codes: np.ndarray, advance) -> list[tuple[np.ndarray, ...]]:
        n = len(codes)
        eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
        is_n = np.concatenate([[0], np.cumsum(codes == 4)])
        pos_all, mot_all, strand_all, score_all = [], [], [], []
        maxw = int(self.lengths.max())
        for start in range(0, n, self.chunk):
            stop = min(n, start + self.chunk)
            seg = codes[start : min(n, stop + maxw - 1)]
            seg = np.concatenate([seg, np.full(stop + maxw - 1 - start - len(seg), 4, np.uint8)])
            onehot = eye[seg]
            for idx, width, w, thr in self._buckets:
                win = np.lib.stride_tricks.sliding_window_view(onehot, (width, 4))[
                    : stop - start, 0
                ]
                scores = win.reshape(stop - start, width * 4) @ w
                rows, cols = _sparse_nonzero(scores >= thr)
                if not len(rows):
                    continue
                m = idx[cols // 2]
                p = rows + start
                lens = self.lengths[m]
                end = p + lens
                ok = (end <= n) & (is_n[np.minimum(end, n)] - is_n[p] == 0)
                pos_all.append(p[ok])
                mot_all.append(m[ok])
                strand_all.append((cols % 2)[ok])
                score_all.append(np.rint(scores[rows, cols][ok]).astype(np.int64))
            advance(stop - start)
        if not pos_all:
            return []
        return [tuple(np.concatenate(a) for a in (pos_all, mot_all, strand_all, score_all))]

    def _to_frame(self, found, codes, offsets, records, qvalues: bool) -> pd.DataFrame:
        cols = HIT_COLUMNS + (["qvalue"] if qvalues else [])
        if not found:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        pos, mot, strand, iscore = found[0]
        seq_idx = np.searchsorted(offsets, pos, side="right") - 1
        local = pos - offsets[seq_idx]
        score = np.empty(len(pos))
        pval = np.empty(len(pos))
        for m in np.unique(mot):
            sel = mot == m
            score[sel] = self.prepared[m].score_bits(iscore[sel])
            pval[sel] = self.prepared[m].pvalue(iscore[sel])
        lens = self.lengths[mot]
        letters = np.frombuffer(b"ACGTN", np.uint8)
        matched = []
        for p, ln, s in zip(pos, lens, strand):
            site = letters[codes[p : p + ln]].tobytes().decode()
            matched.append(reverse_complement(site) if s else site)
        df = pd.DataFrame(
            {
                "seq": [records[i].name for i in seq_idx],
                "start": local.astype(np.int64),
                "end": (local + lens).astype(np.int64),
                "strand": np.where(strand == 1, "-", "+"),
                "motif_id": [self.prepared[m].motif.id for m in mot],
                "name": [self.prepared[m].motif.name for m in mot],
                "score": np.round(score, 4),
                "pvalue": pval,
                "matched": matched,
                "_seq_idx": seq_idx,
                "_mot": mot,
            }
        )
        if qvalues:
            n_windows = self._window_counts(records)
            df["qvalue"] = np.nan
            for m, grp in df.groupby("_mot"):
                df.loc[grp.index, "qvalue"] = partial_qvalues(
                    grp["pvalue"].to_numpy(), 2 * n_windows[m]
                )
        df = df.sort_values(["_seq_idx", "start", "motif_id", "strand"], kind="stable").reset_index(
            drop=True
        )
        return df[cols]

    def _window_counts(self, records: list[SequenceRecord]) -> np.ndarray:
        total = np.zeros(len(self.prepared))
        for r in records:
            total += np.maximum(len(r.seq) - self.lengths + 1, 0)
        return total


def _sparse_nonzero(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.nonzero for a sparse C-contiguous bool matrix whose width is a multiple of 8 (4× faster)."""
    r, c = np.nonzero(mask.view(np.uint64))
    if not len(r):
        return r, c
    sub = mask[r[:, None], c[:, None] * 8 + np.arange(8)]
    rr, cc = np.nonzero(sub)
    return r[rr], c[rr] * 8 + cc


def scan(
    sequences: SequencesLike,
    motifs: Sequence[Motif],
    pvalue: float = 1e-4,
    background=None,
    pseudocount: float = DEFAULT_PSEUDOCOUNT,
    qvalues: bool = False,
    errors: RowErrors | None = None,
    quiet: bool = True,
) -> pd.DataFrame:
    """Scan sequences (FASTA path, dict, list) for motif hits on both strands at p ≤ `pvalue`.

    Returns columns seq, start (0-based), end, strand, motif_id, name, score (bits), pvalue,
    matched (+ qvalue). `background`: None/"uniform", "sequence" (composition of the input) or
    four ACGT frequencies.
    """
    records, source = as_records(sequences)
    records = check_records(records, source, errors)
    if isinstance(background, str) and background == "sequence":
        background = background_from_sequences(r.seq for r in records)
    scanner = MotifScanner(motifs, background, pseudocount, pvalue)
    return scanner.scan(records, qvalues=qvalues, quiet=quiet)


# What would break a BED line (tab-separated, one record a line, no quoting): tab, CR, LF,
# every other control character (C0, DEL, C1 such as NEL) and the Unicode line / paragraph
# separators that line splitters (Python's str.splitlines, editors) also end a line at.
_BED_UNSAFE = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+"


def bed_text(values: pd.Series) -> pd.Series:
    r"""`values` as text fit for a BED field: the characters that would end the field or the
    line (tab, '\r', '\n', other control characters, U+2028 / U+2029) are dropped at both
    ends and each run of them inside becomes one '_' ('CTCF\r' → 'CTCF', 'a\tb' → 'a_b').
    Every other character, spaces and quotes included, is kept as it is."""
    text = values.astype(str).str.replace(f"^{_BED_UNSAFE}|{_BED_UNSAFE}$", "", regex=True)
    return text.str.replace(_BED_UNSAFE, "_", regex=True)


def hits_to_bed(hits: pd.DataFrame) -> pd.DataFrame:
    """BED6 view of a hits table: chrom, start, end, name (id_name), score, strand.

    chrom and name are made fit for BED by `bed_text`: a sequence or motif name holding a
    tab, carriage return, newline or another control character would split the line (BED is
    tab-separated and headerless), so such characters are dropped at the ends and replaced
    by '_' inside. The hits table itself (.tsv / .csv / .parquet) keeps the names as read."""
    need = ["seq", "start", "end", "strand", "motif_id", "name", "score"]
    missing = [c for c in need if c not in getattr(hits, "columns", ())]
    if missing:
        raise InputError(
            f"hits must be a table from scan() with columns {need}; missing {missing}",
            hint="pass the DataFrame that scan() / scan_fasta() returned",
        )
    return pd.DataFrame(
        {
            "chrom": bed_text(hits["seq"]),
            "start": hits["start"],
            "end": hits["end"],
            "name": bed_text(hits["motif_id"].astype(str) + "_" + hits["name"].astype(str)),
            "score": hits["score"],
            "strand": hits["strand"],
        }
    )


def write_hits(hits: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write hits as BED6 (suffix .bed or .bed.gz, no header; names as `hits_to_bed` makes
    them fit for BED, never quoted) or as a table (tsv/csv/parquet, .gz too). The same hits
    give the same bytes: a gzip header holds no time and no file name."""
    import csv

    from helixforge.core.io import atomic_file, open_output
    from helixforge.core.tables import write_table

    dest = Path(path)
    if dest.name.lower().removesuffix(".gz").endswith(".bed"):
        with atomic_file(dest) as tmp, open_output(tmp, gz=dest.name.lower().endswith(".gz")) as fh:
            # QUOTE_NONE: a '"' in a name is written as it is (BED has no quoting; pandas
            # wrote '"a""b"'); bed_text left no tab or line end that would need escaping
            hits_to_bed(hits).to_csv(
                fh, sep="\t", header=False, index=False, quoting=csv.QUOTE_NONE
            )
        return dest
    return write_table(hits, dest)
