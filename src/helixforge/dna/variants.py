"""Variant effects: score each VCF allele with a sequence model (ref vs alt window) or a language model.

    table = score_variants("calls.vcf", "genome.fa", model="runs/promoter", window=200)
    table = score_variants("calls.vcf", "genome.fa", model="lm:models/dna-gpt", window=512)

Windows. For every ALT allele the reference window is `window` bases of the genome with the REF
allele centred, and the alternative window the same locus with ALT in place of REF, re-centred
so that it also has exactly `window` bases (for indels the flanks shift; both windows stay the
model's length). Windows that run past a contig end are padded with N (all-zero one-hot).

Scores. Supervised models: the model's raw output for the target (the logit for classifiers),
averaged over both strands; `delta = alt_score − ref_score`. Language models (`lm:PATH`):
log-likelihood (decoders) or pseudo-log-likelihood (encoders) of each window from
`helixforge.lm.inference.score`, `delta` = log-likelihood ratio
log P(alt) − log P(ref), zero-shot.

Bad records never stop the job: malformed lines, contigs missing from the genome, REF alleles
that do not match the genome, symbolic/unsupported ALT alleles and indels longer than the window
become rows of the errors table (file, line, column, value, reason).
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import (
    ConfigError,
    EmptyInputError,
    InputError,
    NoUsableRowsError,
    RowErrors,
)

LM_PREFIX = "lm:"
_BASES_RE = re.compile(r"^[ACGTN]+$")
OUTPUT_COLUMNS = [
    "line",
    "chrom",
    "pos",
    "id",
    "ref",
    "alt",
    "kind",
    "ref_score",
    "alt_score",
    "delta",
]


@dataclass
class Variant:
    """One ALT allele of a VCF record: 1-based `pos` as in the file, `line` of the record."""

    chrom: str
    pos: int
    id: str
    ref: str
    alt: str
    line: int | None

    @property
    def kind(self) -> str:
        r, a = len(self.ref), len(self.alt)
        if r == a == 1:
            return "SNV"
        if r == a:
            return "MNV"
        if r > a and self.ref.startswith(self.alt):
            return "deletion"
        if a > r and self.alt.startswith(self.ref):
            return "insertion"
        return "complex"


# ---------------------------------------------------------------- reading


def _open_text(path: Path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_variants(path: str | os.PathLike, errors: RowErrors | None = None) -> list[Variant]:
    """ALT alleles of a VCF (plain / gzip / bgzip text, or BCF via pysam), multi-allelic records split.

    Text VCF is read line by line so that every problem names its file line and one malformed
    line becomes an error row instead of ending the job; BCF goes through `dna.io.read_vcf`.
    """
    p = Path(path)
    errors = errors if errors is not None else RowErrors(p)
    if not p.exists():
        raise InputError(f"{p}: VCF not found", hint="check the path")
    if p.stat().st_size == 0:
        raise EmptyInputError(
            f"{p}: VCF is empty", hint="a VCF needs a '#CHROM' header line and variant lines"
        )
    if p.name.lower().endswith(".bcf"):
        from helixforge.dna.io import read_vcf

        df = read_vcf(p)
        out = []
        for r in df.itertuples():
            if r.alt is None:
                errors.add(None, "ALT", ".", f"record {r.record}: no ALT allele")
                continue
            out.append(
                Variant(
                    str(r.chrom),
                    int(r.pos),
                    str(r.id),
                    str(r.ref).upper(),
                    str(r.alt).upper(),
                    None,
                )
            )
        return out
    out: list[Variant] = []
    seen_header = False
    with _open_text(p) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            if line.startswith("##"):
                continue
            if line.startswith("#"):
                seen_header = True
                continue
            fields = line.split("\t")
            if len(fields) < 5:
                errors.add(
                    lineno,
                    None,
                    line[:80],
                    f"malformed VCF line: {len(fields)} tab-separated fields, need at least 5 (CHROM POS ID REF ALT)",
                )
                continue
            chrom, pos_s, vid, ref, alts = (f.strip() for f in fields[:5])
            try:
                pos = int(pos_s)
                if pos < 1:
                    raise ValueError
            except ValueError:
                errors.add(lineno, "POS", pos_s, "POS must be a positive integer (1-based)")
                continue
            ref = ref.upper()
            if not _BASES_RE.match(ref):
                errors.add(lineno, "REF", ref, "REF must be bases A, C, G, T or N")
                continue
            if alts in {".", ""}:
                errors.add(lineno, "ALT", alts, "no ALT allele")
                continue
            for alt in alts.split(","):
                alt = alt.strip().upper()
                if not _BASES_RE.match(alt):
                    why = (
                        "symbolic or breakend ALT alleles are not scored"
                        if alt[:1] in "<[]*" or "[" in alt or "]" in alt
                        else "ALT must be bases A, C, G, T or N"
                    )
                    errors.add(lineno, "ALT", alt, why)
                    continue
                out.append(Variant(chrom, pos, vid, ref, alt, lineno))
    if not out and not len(errors):
        raise EmptyInputError(
            f"{p}: no variant lines" + ("" if seen_header else " (and no #CHROM header)")
        )
    return out


# ---------------------------------------------------------------- genome access


class _MemoryGenome:
    """A {contig: sequence} mapping with the small part of the `Genome` API used here."""

    def __init__(self, contigs: Mapping[str, str]):
        self._seqs = {str(k): str(v).upper() for k, v in contigs.items()}
        self.lengths = {k: len(v) for k, v in self._seqs.items()}

    def resolve(self, chrom: str) -> str | None:
        return chrom if chrom in self._seqs else None

    def fetch(self, chrom: str, start: int, end: int) -> str:
        return self._seqs[chrom][start:end]


class _FileGenome:
    def __init__(self, genome):
        self.g = genome
        self.lengths = genome.lengths

    def resolve(self, chrom: str) -> str | None:
        try:
            return self.g.resolve_contig(chrom)
        except InputError:
            return None

    def fetch(self, chrom: str, start: int, end: int) -> str:
        return self.g.fetch(chrom, start, end).upper()


def _genome(genome) -> _MemoryGenome | _FileGenome:
    if isinstance(genome, _MemoryGenome | _FileGenome):
        return genome
    if isinstance(genome, Mapping):
        return _MemoryGenome(genome)
    if isinstance(genome, str | os.PathLike):
        from helixforge.dna.io import Genome

        return _FileGenome(Genome(genome))
    if hasattr(genome, "fetch") and hasattr(genome, "lengths"):
        return _FileGenome(genome)
    raise ConfigError(
        f"genome must be a FASTA path, a dna.io.Genome or a dict, got {type(genome).__name__}"
    )


def _fetch_padded(g, chrom: str, start: int, end: int) -> str:
    """Bases [start, end) with N where the interval runs past the contig."""
    n = g.lengths[chrom]
    a, b = max(0, start), min(n, end)
    core = g.fetch(chrom, a, b) if b > a else ""
    return "N" * (a - start) + core + "N" * (end - b)


def variant_windows(g, v: Variant, chrom: str, window: int) -> tuple[str, str]:
    """(ref_window, alt_window), each `window` long, allele centred (see module docs)."""
    p0 = v.pos - 1
    r, a = len(v.ref), len(v.alt)
    left_r = (window - r) // 2
    ref_w = (
        _fetch_padded(g, chrom, p0 - left_r, p0)
        + v.ref
        + _fetch_padded(g, chrom, p0 + r, p0 + r + window - left_r - r)
    )
    left_a = (window - a) // 2
    alt_w = (
        _fetch_padded(g, chrom, p0 - left_a, p0)
        + v.alt
        + _fetch_padded(g, chrom, p0 + r, p0 + r + window - left_a - a)
    )
    return ref_w, alt_w


# ---------------------------------------------------------------- models


def _lm_scorer(path: str, device: str = "cpu", batch_size: int = 32) -> Any:
    """A function seqs → log-likelihoods from `helixforge.lm.inference.score` (imported lazily)."""
    try:
        from helixforge.lm.inference import score as lm_score
    except ImportError as exc:
        raise ConfigError(
            "zero-shot variant scores with lm:PATH need helixforge.lm.inference, which is not available in this install",
            hint=f"score with a supervised run directory instead (import failed: {exc})",
        ) from exc

    def score(seqs: list[str]) -> np.ndarray:
        return np.asarray(
            lm_score(path, seqs, batch_size=batch_size, device=device).log_likelihood, dtype=float
        )

    return score


def _resolve_model(model: Any, target: Any, device: str, batch_size: int):
    """('lm', fn) for lm:PATH, else ('supervised', Scorer)."""
    from helixforge.dna.interpret import _load_run_model, as_scorer

    if isinstance(model, str) and model.startswith(LM_PREFIX):
        path = model[len(LM_PREFIX) :]
        if not path or not Path(path).exists():
            raise ConfigError(
                f"language model {path!r} not found",
                hint="pass lm:DIR with a local checkpoint directory",
            )
        return "lm", _lm_scorer(path, device)
    if isinstance(model, str | os.PathLike):
        model = _load_run_model(model, device)
    return "supervised", as_scorer(model, target, batch_size)


def _both_strands(scorer, x: np.ndarray) -> np.ndarray:
    return 0.5 * (scorer(x) + scorer(np.ascontiguousarray(x[:, ::-1, ::-1])))


# ---------------------------------------------------------------- scoring


class _PartStore:
    """Finished chunks of a `score_variants` run, for resuming after a crash."""

    def __init__(self, out, vcf, model, window, target, chunk_size, n_usable):
        import hashlib
        import json

        out = Path(out)
        self.dir = out.with_name(out.name + ".parts")
        st = Path(vcf).stat()
        key = json.dumps(
            [
                str(Path(vcf).resolve()),
                st.st_size,
                st.st_mtime,
                str(model),
                window,
                str(target),
                chunk_size,
                n_usable,
            ]
        )
        self.key = hashlib.sha256(key.encode()).hexdigest()[:16]

    def _path(self, k: int) -> Path:
        return self.dir / f"{self.key}-{k:06d}.parquet"

    def load(self, k: int) -> pd.DataFrame | None:
        p = self._path(k)
        return pd.read_parquet(p) if p.exists() else None

    def save(self, k: int, frame: pd.DataFrame) -> None:
        from helixforge.core.tables import write_table

        self.dir.mkdir(parents=True, exist_ok=True)
        write_table(frame, self._path(k))

    def clear(self) -> None:
        import shutil

        if self.dir.exists():
            shutil.rmtree(self.dir)


def score_variants(
    vcf: str | os.PathLike,
    genome: str | os.PathLike | Mapping[str, str] | Any,
    model: Any,
    window: int = 200,
    out: str | os.PathLike | None = None,
    target: Any = None,
    batch_size: int = 256,
    chunk_size: int = 4096,
    device: str = "cpu",
    errors: RowErrors | None = None,
    resume: bool = False,
) -> pd.DataFrame:
    """Score every ALT allele of `vcf` with `model` (a run directory, a loaded model, or lm:PATH).

    With `out`, alleles are scored in chunks of `chunk_size`, each saved under `<out>.parts/`
    until the final table is written; `resume=True` reuses the chunks of an interrupted run
    with the same inputs and settings.

    Returns (and with `out`, writes) line, chrom, pos, id, ref, alt, kind, ref_score, alt_score,
    delta; rejected records go to `errors` and to `<out stem>.errors.csv`.
    """
    from helixforge.dna.interpret import onehot_sequences

    if window < 1:
        raise ConfigError(f"window must be positive, got {window}")
    errors = errors if errors is not None else RowErrors(vcf)
    variants = read_variants(vcf, errors)
    g = _genome(genome)
    model_max = (
        getattr(model, "max_len", None) if not isinstance(model, str | os.PathLike) else None
    )
    kind, scorer = _resolve_model(model, target, device, batch_size)
    if kind == "supervised":
        model_max = getattr(scorer.model, "max_len", None)
    if model_max and window > model_max:
        raise ConfigError(
            f"window {window} is longer than the model's maximum input of {model_max} bases",
            hint=f"use --window {model_max} or less",
        )
    usable: list[tuple[Variant, str, str, str]] = []
    for v in variants:
        chrom = g.resolve(v.chrom)
        if chrom is None:
            shown = ", ".join(list(g.lengths)[:8])
            errors.add(
                v.line,
                "CHROM",
                v.chrom,
                f"contig {v.chrom!r} is not in the genome (contigs: {shown})",
            )
            continue
        p0 = v.pos - 1
        if p0 + len(v.ref) > g.lengths[chrom]:
            errors.add(
                v.line,
                "POS",
                v.pos,
                f"position past the end of {chrom} (length {g.lengths[chrom]:,})",
            )
            continue
        found = g.fetch(chrom, p0, p0 + len(v.ref))
        if any(e != f and e != "N" for e, f in zip(v.ref, found)):
            errors.add(
                v.line,
                "REF",
                v.ref,
                f"REF does not match the genome at {chrom}:{v.pos}: expected {found} (genome), found {v.ref} (VCF)",
            )
            continue
        if max(len(v.ref), len(v.alt)) > window:
            errors.add(v.line, "ALT", v.alt, f"allele longer than the {window}-base window")
            continue
        ref_w, alt_w = variant_windows(g, v, chrom, window)
        usable.append((v, chrom, ref_w, alt_w))
    parts = (
        _PartStore(out, vcf, model, window, target, chunk_size, len(usable))
        if out is not None
        else None
    )
    if parts is not None and not resume:
        parts.clear()
    frames = []
    for k, start in enumerate(range(0, len(usable), chunk_size)):
        done = parts.load(k) if parts is not None else None
        if done is not None:
            frames.append(done)
            continue
        part = usable[start : start + chunk_size]
        refs = [u[2] for u in part]
        alts = [u[3] for u in part]
        if kind == "lm":
            rs, as_ = scorer(refs), scorer(alts)
        else:
            rs = _both_strands(scorer, onehot_sequences(refs, window))
            as_ = _both_strands(scorer, onehot_sequences(alts, window))
        frame = pd.DataFrame(
            {
                "line": [u[0].line for u in part],
                "chrom": [u[0].chrom for u in part],
                "pos": [u[0].pos for u in part],
                "id": [u[0].id for u in part],
                "ref": [u[0].ref for u in part],
                "alt": [u[0].alt for u in part],
                "kind": [u[0].kind for u in part],
                "ref_score": rs,
                "alt_score": as_,
                "delta": np.asarray(as_) - np.asarray(rs),
            }
        )
        if parts is not None:
            parts.save(k, frame)
        frames.append(frame)
    result = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OUTPUT_COLUMNS)
    )
    if out is not None:
        from helixforge.core.tables import write_table

        out_path = Path(out)
        errors.write(out_path.with_name(out_path.name.split(".")[0] + ".errors.csv"))
        if result.empty:
            raise NoUsableRowsError(f"{vcf}: no variant could be scored", hint=errors.summary())
        write_table(result, out_path)
        parts.clear()
    elif result.empty:
        raise NoUsableRowsError(f"{vcf}: no variant could be scored", hint=errors.summary())
    return result
