"""Transcription-factor motifs: JASPAR matrices, log-odds PWMs, FIMO-like scanning and enrichment.

    motifs = load_jaspar(ids=["MA0139.2"])                 # CTCF, from the bundled JASPAR 2024
    hits = scan({"chr1": seq}, motifs, pvalue=1e-4)        # both strands, exact p-values
    table = enrich(fg_sequences, bg_sequences, motifs)     # Fisher's exact test, BH q-values

Scoring. A count matrix becomes probabilities with a pseudocount spread by the background
(p = (c + pc·bg) / (n + pc)) and then log2-odds against the background. Each motif's log-odds are
integerised (at most `bins` score steps over the motif's whole range), and the exact null
distribution of the integer score is computed by dynamic programming over the columns under the
i.i.d. background, as FIMO does; a hit's p-value is exact for the integerised matrix, and the
reported score is that integer score converted back to bits.

Speed. All motifs and both strands are scanned at once: the sequence is one-hot encoded, its
windows are viewed as a (positions, width·4) matrix without copying per motif, and one BLAS
matrix product per motif-length bucket gives every window score of every motif. Integer
matrices make the float32 products exact, so thresholds agree with the p-value tables.
Windows that contain N (or another ambiguity code) or run past a sequence end are not scored.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.errors import (
    ConfigError,
    EmptyInputError,
    InputError,
    NoUsableRowsError,
    RowErrors,
)
from helixforge.dna.sequence import IUPAC, reverse_complement

BASES = "ACGT"
DEFAULT_PSEUDOCOUNT = 0.8
DEFAULT_RELEASE = 2024
HIT_COLUMNS = ["seq", "start", "end", "strand", "motif_id", "name", "score", "pvalue", "matched"]
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _CODE[ord(_b.lower())] = _i
_CODE[ord("U")] = _CODE[ord("u")] = 3
_ALLOWED = set(IUPAC) | {c.lower() for c in IUPAC}


# ---------------------------------------------------------------- motifs


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
    if bg.shape != (4,) or (bg <= 0).any():
        raise ConfigError(
            f"background must be 4 positive frequencies in ACGT order, got {background!r}"
        )
    bg = (bg + bg[::-1]) / 2
    return bg / bg.sum()


def background_from_sequences(sequences: Iterable[str], pseudocount: float = 1.0) -> np.ndarray:
    """ACGT frequencies of `sequences`, symmetrised over both strands (A=T, C=G)."""
    counts = np.zeros(5)
    for s in sequences:
        counts += np.bincount(
            _CODE[np.frombuffer(s.encode("ascii", "replace"), np.uint8)], minlength=5
        )
    c = counts[:4] + pseudocount
    c = (c + c[::-1]) / 2
    return c / c.sum()


def motif_from_biopython(m, source: str = "") -> Motif:
    """Convert a Bio.motifs motif (JASPAR, TRANSFAC, MEME, …) into a `Motif`."""
    counts = np.array([[float(v) for v in m.counts[b]] for b in BASES]).T
    mid = getattr(m, "matrix_id", None) or _get(m, "AC") or getattr(m, "id", None) or ""
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
    if counts.sum(axis=1).max() <= 1.0 + 1e-6:  # frequencies (MEME): scale to the site count
        nsites = float(getattr(m, "num_occurrences", 0) or 0) or 20.0
        counts = counts * nsites
    return Motif(str(mid or name), str(name or mid), counts, str(tax or ""), source, meta)


def _get(m, key):
    try:
        return m.get(key)
    except AttributeError:
        return None


# ---------------------------------------------------------------- loading


def jaspar_releases() -> list[int]:
    """JASPAR releases bundled with pyjaspar (offline)."""
    from pyjaspar import jaspar_releases as rel

    return sorted(int(k.replace("JASPAR", "")) for k in rel)


def load_jaspar(
    ids: Sequence[str] | None = None,
    collection: str | None = "CORE",
    tax_group: str | Sequence[str] | None = ("vertebrates",),
    release: int | str = DEFAULT_RELEASE,
    tf_name: str | Sequence[str] | None = None,
) -> list[Motif]:
    """JASPAR motifs from the SQLite releases bundled with pyjaspar (no network).

    `ids` (e.g. "MA0139.2", or "MA0139" for the latest version) takes precedence over the filters.
    Unknown ids raise `InputError` naming them.
    """
    import warnings

    from pyjaspar import jaspardb

    rel = str(release)
    rel = rel if rel.upper().startswith("JASPAR") else f"JASPAR{rel}"
    available = jaspar_releases()
    if rel.upper() not in {f"JASPAR{r}" for r in available}:
        raise ConfigError(
            f"JASPAR release {release!r} is not bundled with pyjaspar",
            hint=f"choose one of {', '.join(map(str, available))}",
        )
    db = jaspardb(release=rel.upper())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ids:
            out, missing = [], []
            for mid in ids:
                m = db.fetch_motif_by_id(str(mid).strip())
                (out.append(motif_from_biopython(m, rel)) if m is not None else missing.append(mid))
            if missing:
                raise InputError(
                    f"unknown JASPAR matrix id(s) in {rel}: {', '.join(map(str, missing))}",
                    hint="ids look like MA0139.2 (or MA0139 for the latest version); "
                    "browse https://jaspar.elixir.no or pick another --release",
                )
            return out
        taxa = (
            [tax_group] if isinstance(tax_group, str) else (list(tax_group) if tax_group else None)
        )
        rec = db.fetch_motifs(collection=collection, tax_group=taxa, tf_name=tf_name)
    motifs = [motif_from_biopython(m, rel) for m in rec]
    if not motifs:
        raise InputError(
            f"no JASPAR motifs in {rel} match collection={collection!r}, tax_group={tax_group!r}",
            hint="tax groups are e.g. vertebrates, insects, plants, fungi, nematodes, urochordates",
        )
    return motifs


def _open_text(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_motifs(path: str | os.PathLike, fmt: str | None = None) -> list[Motif]:
    """Read motif matrices from a TRANSFAC, JASPAR (.jaspar/.pfm), MEME or JASPAR-sites file (.gz ok).

    `fmt` is one of transfac, jaspar, pfm, meme, sites; by default it is guessed from the suffix
    and, failing that, from the content.
    """
    from Bio import motifs as bio_motifs

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: motif file not found")
    if fmt is None:
        name = p.name.lower().removesuffix(".gz")
        suffix = name.rsplit(".", 1)[-1] if "." in name else ""
        fmt = {
            "transfac": "transfac",
            "dat": "transfac",
            "jaspar": "jaspar",
            "pfm": "pfm",
            "meme": "meme",
        }.get(suffix)
        if fmt is None:
            with _open_text(p) as fh:
                head = fh.read(4000)
            if head.lstrip().startswith("MEME version"):
                fmt = "meme"
            elif re.search(r"^(AC|ID|PO|P0)\s", head, re.M):
                fmt = "transfac"
            elif head.lstrip().startswith(">"):
                fmt = "jaspar"
            else:
                raise InputError(
                    f"{p}: unknown motif format", hint="pass fmt= transfac | jaspar | pfm | meme"
                )
    fmt = fmt.lower()
    try:
        with _open_text(p) as fh:
            if fmt == "transfac":
                rec = bio_motifs.parse(fh, "transfac", strict=False)
            elif fmt == "meme":
                rec = bio_motifs.parse(fh, "minimal")
            elif fmt in {"jaspar", "pfm", "sites"}:
                rec = bio_motifs.parse(fh, fmt if fmt != "pfm" else "pfm-four-columns")
                if fmt == "pfm" and not rec:
                    rec = bio_motifs.parse(_open_text(p), "pfm-four-rows")
            else:
                raise ConfigError(
                    f"unknown motif format {fmt!r}", hint="use transfac, jaspar, pfm or meme"
                )
    except (ValueError, KeyError, IndexError) as exc:
        raise InputError(f"{p}: could not be read as {fmt.upper()} motifs: {exc}") from exc
    motifs = [motif_from_biopython(m, p.name) for m in rec]
    if not motifs:
        raise EmptyInputError(f"{p}: no motifs found")
    return motifs


def select_motifs(
    motifs: Sequence[Motif], ids: Sequence[str] | None = None, tax_group: str | None = None
) -> list[Motif]:
    """Keep motifs whose id (with or without version) or name is in `ids`, and/or of one tax group."""
    out = list(motifs)
    if tax_group:
        out = [m for m in out if m.tax_group.lower() == tax_group.lower()]
    if ids:
        want = {i.strip() for i in ids}
        chosen = [m for m in out if m.id in want or m.id.split(".")[0] in want or m.name in want]
        found = (
            {m.id for m in chosen} | {m.id.split(".")[0] for m in chosen} | {m.name for m in chosen}
        )
        missing = sorted(want - found)
        if missing:
            raise InputError(f"motif id(s) not found: {', '.join(missing)}")
        out = chosen
    return out


# ---------------------------------------------------------------- sequences


@dataclass
class SequenceRecord:
    """One input sequence: its name, bases and the file line of its header (None if in memory)."""

    name: str
    seq: str
    line: int | None = None


def read_fasta_records(path: str | os.PathLike) -> list[SequenceRecord]:
    """FASTA records (gz ok) with the line of each header; empty files raise `EmptyInputError`."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: FASTA file not found", hint="check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, expected a FASTA file")
    records: list[SequenceRecord] = []
    name, line_no, chunks = None, None, []
    with _open_text(p) as fh:
        for i, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if line.startswith(">"):
                if name is not None:
                    records.append(SequenceRecord(name, "".join(chunks), line_no))
                name, line_no, chunks = (line[1:].split() or [f"seq{len(records) + 1}"])[0], i, []
            elif line.strip():
                if name is None:
                    raise InputError(
                        f"{p}, line {i}: sequence before the first '>' header; this is not FASTA",
                        hint="a FASTA file starts with a line like '>name'",
                    )
                chunks.append(line.strip())
        if name is not None:
            records.append(SequenceRecord(name, "".join(chunks), line_no))
    if not records:
        raise EmptyInputError(
            f"{p}: no FASTA records", hint="the file needs '>name' lines followed by sequence lines"
        )
    return records


SequencesLike = (
    str
    | os.PathLike
    | Mapping[str, str]
    | Sequence[str]
    | Sequence[tuple[str, str]]
    | Sequence[SequenceRecord]
)


def as_records(sequences: SequencesLike) -> tuple[list[SequenceRecord], str]:
    """Normalise sequences given as a FASTA path, {name: seq}, [seq], [(name, seq)] or records."""
    if isinstance(sequences, (str, os.PathLike)) and not (
        isinstance(sequences, str) and _looks_like_dna(sequences)
    ):
        return read_fasta_records(sequences), str(sequences)
    if isinstance(sequences, str):
        return [SequenceRecord("seq1", sequences)], "<sequences>"
    if isinstance(sequences, Mapping):
        return [SequenceRecord(str(k), str(v)) for k, v in sequences.items()], "<sequences>"
    out = []
    for i, s in enumerate(sequences):
        if isinstance(s, SequenceRecord):
            out.append(s)
        elif isinstance(s, str):
            out.append(SequenceRecord(f"seq{i + 1}", s))
        else:
            out.append(SequenceRecord(str(s[0]), str(s[1])))
    return out, "<sequences>"


def _looks_like_dna(s: str) -> bool:
    return len(s) > 0 and set(s) <= _ALLOWED and not os.path.exists(s)


def check_records(
    records: list[SequenceRecord], source: str, errors: RowErrors | None = None, min_length: int = 1
) -> list[SequenceRecord]:
    """Upper-case each record and reject those with non-nucleotide characters or no bases.

    With `errors`, a bad record is recorded (file, header line, value, reason) and skipped;
    without, the first bad record raises `InputError`. IUPAC ambiguity codes are kept (they are
    never part of a scored window).
    """
    good = []
    for r in records:
        seq = r.seq.upper().replace("U", "T")
        bad = next((c for c in seq if c not in IUPAC), None)
        reason = None
        if bad is not None:
            pos = seq.index(bad) + 1
            reason = f"sequence {r.name!r} has {bad!r} at position {pos}, which is not a nucleotide (A C G T N or IUPAC)"
        elif len(seq) < min_length:
            reason = (
                f"sequence {r.name!r} is empty"
                if not seq
                else f"sequence {r.name!r} is shorter than {min_length}"
            )
        if reason:
            if errors is None:
                where = f"{source}, line {r.line}: " if r.line else f"{source}: "
                raise InputError(where + reason, hint="fix or remove this record")
            errors.add(r.line, "sequence", bad if bad is not None else r.name, reason)
            continue
        good.append(SequenceRecord(r.name, seq, r.line))
    if not good:
        raise NoUsableRowsError(
            f"{source}: no usable sequences ({len(records)} rejected)",
            hint=errors.summary() if errors is not None else None,
        )
    return good


# ---------------------------------------------------------------- p-values


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
        if not motifs:
            raise ConfigError("no motifs to scan with")
        if not 0 < pvalue <= 1:
            raise ConfigError(f"pvalue must be in (0, 1], got {pvalue}")
        self.background = _background(background)
        self.pvalue = float(pvalue)
        self.chunk = int(chunk)
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
        self, sequences: SequencesLike, errors: RowErrors | None = None, qvalues: bool = False
    ) -> pd.DataFrame:
        """Hits as a DataFrame (columns `HIT_COLUMNS`, plus `qvalue` if asked), sorted by seq and start.

        `start` is 0-based and `end` exclusive (BED convention); `matched` is the site read on the
        hit's strand. Bad records go to `errors` when given, else raise `InputError`.
        """
        records, source = as_records(sequences)
        records = check_records(records, source, errors)
        codes, offsets = self._concatenate(records)
        found = self._scan_codes(codes)
        return self._to_frame(found, codes, offsets, records, qvalues)

    # -- internals
    def _concatenate(self, records: list[SequenceRecord]) -> tuple[np.ndarray, np.ndarray]:
        gap = int(self.lengths.max())
        parts, offsets, pos = [], [], 0
        sep = np.full(gap, 4, dtype=np.uint8)
        for r in records:
            offsets.append(pos)
            parts += [_CODE[np.frombuffer(r.seq.encode("ascii"), np.uint8)], sep]
            pos += len(r.seq) + gap
        return np.concatenate(parts), np.array(offsets + [pos])

    def _scan_codes(self, codes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(positions, motif index, strand 0/1, integer score) of every window above threshold."""
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
                df.loc[grp.index, "qvalue"] = _bh_partial(
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


def _bh_partial(p: np.ndarray, n_tests: float) -> np.ndarray:
    """Benjamini–Hochberg q-values for the smallest p-values out of `n_tests` (conservative)."""
    order = np.argsort(p)
    ranked = p[order] * n_tests / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1.0)
    return out


def benjamini_hochberg(p) -> np.ndarray:
    """BH-adjusted p-values (q-values) for a full set of tests; NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = _bh_partial(p[ok], ok.sum())
    return out


def scan(
    sequences: SequencesLike,
    motifs: Sequence[Motif],
    pvalue: float = 1e-4,
    background=None,
    pseudocount: float = DEFAULT_PSEUDOCOUNT,
    qvalues: bool = False,
    errors: RowErrors | None = None,
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
    return MotifScanner(motifs, background, pseudocount, pvalue).scan(records, qvalues=qvalues)


def hits_to_bed(hits: pd.DataFrame) -> pd.DataFrame:
    """BED6 view of a hits table: chrom, start, end, name (id_name), score, strand."""
    return pd.DataFrame(
        {
            "chrom": hits["seq"],
            "start": hits["start"],
            "end": hits["end"],
            "name": hits["motif_id"].astype(str) + "_" + hits["name"].astype(str),
            "score": hits["score"],
            "strand": hits["strand"],
        }
    )


def write_hits(hits: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write hits as BED6 (suffix .bed, no header) or as a table (tsv/csv/parquet)."""
    from helixforge.core.tables import atomic_path, write_table

    dest = Path(path)
    if dest.name.lower().removesuffix(".gz").endswith(".bed"):
        with atomic_path(dest) as tmp:
            comp = "gzip" if dest.name.lower().endswith(".gz") else None
            hits_to_bed(hits).to_csv(tmp, sep="\t", header=False, index=False, compression=comp)
        return dest
    return write_table(hits, dest)


# ---------------------------------------------------------------- enrichment


def enrich(
    foreground: SequencesLike,
    background: SequencesLike,
    motifs: Sequence[Motif],
    pvalue: float = 1e-4,
    pseudocount: float = DEFAULT_PSEUDOCOUNT,
    base_background=None,
    errors: RowErrors | None = None,
    bg_errors: RowErrors | None = None,
) -> pd.DataFrame:
    """Per motif: fraction of foreground vs background sequences with ≥ 1 hit, Fisher's exact test.

    Returns motif_id, name, fg_hits, fg_total, bg_hits, bg_total, fg_rate, bg_rate,
    log2_enrichment (rates, +0.5 smoothed), odds_ratio, pvalue (one-sided, enriched in the
    foreground), qvalue (Benjamini–Hochberg over motifs); sorted by pvalue.
    """
    from scipy.stats import fisher_exact

    fg, fg_src = as_records(foreground)
    bg, bg_src = as_records(background)
    fg = check_records(fg, fg_src, errors)
    bg = check_records(bg, bg_src, bg_errors if bg_errors is not None else errors)
    scanner = MotifScanner(motifs, base_background, pseudocount, pvalue)
    names = [m.id for m in scanner.motifs]

    def presence(recs):
        hits = scanner.scan(recs)
        counts = hits.groupby("motif_id")["seq"].nunique() if len(hits) else pd.Series(dtype=int)
        return np.array([int(counts.get(n, 0)) for n in names])

    a, b = presence(fg), presence(bg)
    n_fg, n_bg = len(fg), len(bg)
    pv, odds = np.empty(len(names)), np.empty(len(names))
    for i in range(len(names)):
        table = [[a[i], n_fg - a[i]], [b[i], n_bg - b[i]]]
        res = fisher_exact(table, alternative="greater")
        odds[i], pv[i] = res.statistic, res.pvalue
    fr, br = a / n_fg, b / n_bg
    df = pd.DataFrame(
        {
            "motif_id": names,
            "name": [m.name for m in scanner.motifs],
            "fg_hits": a,
            "fg_total": n_fg,
            "bg_hits": b,
            "bg_total": n_bg,
            "fg_rate": fr,
            "bg_rate": br,
            "log2_enrichment": np.log2(((a + 0.5) / (n_fg + 1)) / ((b + 0.5) / (n_bg + 1))),
            "odds_ratio": odds,
            "pvalue": pv,
            "qvalue": benjamini_hochberg(pv),
        }
    )
    return df.sort_values(
        ["pvalue", "log2_enrichment"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


# ---------------------------------------------------------------- pipelines behind `helix dna motifs`


def resolve_motifs(
    motif_file: str | os.PathLike | None = None,
    ids: Sequence[str] | None = None,
    collection: str | None = "CORE",
    tax_group: str | Sequence[str] | None = ("vertebrates",),
    release: int | str = DEFAULT_RELEASE,
) -> list[Motif]:
    """Motifs from a matrix file (optionally filtered by `ids`) or else from bundled JASPAR."""
    if motif_file:
        return select_motifs(read_motifs(motif_file), ids)
    return load_jaspar(ids=ids or None, collection=collection, tax_group=tax_group, release=release)


def _errors_path(out: str | os.PathLike) -> Path:
    p = Path(out)
    return p.with_name(p.name.split(".")[0] + ".errors.csv")


def scan_fasta(
    fasta: str | os.PathLike,
    out: str | os.PathLike,
    motifs: Sequence[Motif] | None = None,
    pvalue: float = 1e-4,
    background: str | Sequence[float] | None = None,
    qvalues: bool = False,
    **motif_options,
) -> pd.DataFrame:
    """Scan a FASTA file and write hits to `out` (.bed → BED6, else a table) plus `<stem>.errors.csv`.

    `motifs` default to `resolve_motifs(**motif_options)` (JASPAR CORE vertebrates).
    """
    motifs = list(motifs) if motifs is not None else resolve_motifs(**motif_options)
    errors = RowErrors(fasta)
    try:
        hits = scan(
            fasta, motifs, pvalue=pvalue, background=background, qvalues=qvalues, errors=errors
        )
    finally:
        errors.write(_errors_path(out))
    write_hits(hits, out)
    return hits


def enrich_fasta(
    foreground: str | os.PathLike,
    background: str | os.PathLike,
    out: str | os.PathLike,
    motifs: Sequence[Motif] | None = None,
    pvalue: float = 1e-4,
    **motif_options,
) -> pd.DataFrame:
    """`enrich` for two FASTA files; writes the table to `out` and rejected records to `<stem>.errors.csv`."""
    from helixforge.core.tables import write_table

    motifs = list(motifs) if motifs is not None else resolve_motifs(**motif_options)
    fg_err, bg_err = RowErrors(foreground), RowErrors(background)
    try:
        table = enrich(
            foreground, background, motifs, pvalue=pvalue, errors=fg_err, bg_errors=bg_err
        )
    finally:
        fg_err.extend(bg_err)
        fg_err.write(_errors_path(out))
    write_table(table, out)
    return table
