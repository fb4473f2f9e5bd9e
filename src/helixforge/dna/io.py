"""Genomic file formats: FASTA / FASTQ records, indexed genomes, BED, GFF3 / GTF and VCF.

    for rec in read_fasta("seqs.fa.gz"): rec.id, rec.seq, rec.line
    genome = Genome("genome.fa.gz"); genome.fetch("chr1", 100, 200, strand="-")
    df = bed_to_sequences("peaks.bed", genome)              # one row per interval, strand honoured
    cds = read_gff("genes.gff3", types={"CDS"})             # seqid, type, start, end, strand, …
    variants = read_vcf("calls.vcf.gz")                     # one row per ALT allele

Coordinates: BED and everything returned here in Python is 0-based, half-open
(`start` ≤ position < `end`); GFF/GTF files are 1-based, closed, and `read_gff` converts them.
VCF `pos` stays 1-based as in the file (the convention every variant tool prints).

Validation policy (`clean_sequence`): soft-masked lowercase is upper-cased (the masked fraction
is reported), N is allowed, other IUPAC codes either raise, become N, or are kept
(`iupac="error" | "n" | "keep"`), and anything else is an error naming the file, the record,
the line and the position.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helixforge.core.errors import EmptyInputError, InputError
from helixforge.dna.sequence import IUPAC, reverse_complement

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".frn", ".faa", ".fas", ".mfa")
FASTQ_SUFFIXES = (".fq", ".fastq")
_ALLOWED = set("ACGTN")
_AMBIG = set(IUPAC) - _ALLOWED - {"U"}


@dataclass
class SeqRecord:
    """One FASTA/FASTQ record: `id` (first word of the header), full `description`, `seq`, the
    1-based file `line` of its header, and `quality` (FASTQ only)."""

    id: str
    description: str
    seq: str
    line: int
    quality: str | None = None


def _strip_gz(name: str) -> str:
    name = name.lower()
    return name[:-3] if name.endswith(".gz") else (name[:-4] if name.endswith(".bgz") else name)


def is_fasta(path: str | os.PathLike) -> bool:
    return _strip_gz(Path(path).name).endswith(FASTA_SUFFIXES)


def is_fastq(path: str | os.PathLike) -> bool:
    return _strip_gz(Path(path).name).endswith(FASTQ_SUFFIXES)


def _open_text(path: Path):
    if not path.exists():
        raise InputError(f"{path}: file not found", hint="check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a sequence file")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="ascii", errors="replace")
    return open(path, encoding="ascii", errors="replace")


def read_fasta(path: str | os.PathLike) -> Iterator[SeqRecord]:
    """Yield FASTA records (plain or gzip). Errors name the file and line.

    Raises `EmptyInputError` for a file with no records and `InputError` for text before the
    first header or a record without sequence lines.
    """
    p = Path(path)
    n = 0
    header: str | None = None
    header_line = 0
    chunks: list[str] = []
    with _open_text(p) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line or line.startswith(";"):
                continue
            if line.startswith(">"):
                if header is not None:
                    yield _fasta_record(p, header, header_line, chunks)
                    n += 1
                header, header_line, chunks = line[1:].strip(), lineno, []
            elif header is None:
                raise InputError(
                    f"{p}, line {lineno}: sequence text before the first '>' header",
                    hint="a FASTA file starts with a '>name' line; is this really FASTA?",
                )
            else:
                chunks.append(line.replace(" ", ""))
    if header is not None:
        yield _fasta_record(p, header, header_line, chunks)
        n += 1
    if n == 0:
        raise EmptyInputError(
            f"{p}: no FASTA records found", hint="the file is empty or has no '>' header lines"
        )


def _fasta_record(p: Path, header: str, line: int, chunks: list[str]) -> SeqRecord:
    if not header:
        raise InputError(
            f"{p}, line {line}: empty FASTA header", hint="give every record a name after '>'"
        )
    seq = "".join(chunks)
    return SeqRecord(id=header.split()[0], description=header, seq=seq, line=line)


def read_fastq(path: str | os.PathLike) -> Iterator[SeqRecord]:
    """Yield FASTQ records (plain or gzip) via Biopython's FASTQ parser."""
    from Bio.SeqIO.QualityIO import FastqGeneralIterator

    p = Path(path)
    n = 0
    with _open_text(p) as fh:
        try:
            for title, seq, qual in FastqGeneralIterator(fh):
                yield SeqRecord(
                    id=title.split()[0] if title else "",
                    description=title,
                    seq=seq,
                    line=4 * n + 1,
                    quality=qual,
                )
                n += 1
        except ValueError as exc:
            raise InputError(
                f"{p}: malformed FASTQ near record {n + 1} (line ~{4 * n + 1}): {exc}"
            ) from exc
    if n == 0:
        raise EmptyInputError(f"{p}: no FASTQ records found")


def read_sequences(path: str | os.PathLike) -> Iterator[SeqRecord]:
    """FASTA or FASTQ by suffix (FASTA when unsure)."""
    return read_fastq(path) if is_fastq(path) else read_fasta(path)


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

    iupac: 'error' rejects R, Y, S, W, K, M, B, D, H, V; 'n' turns them into N; 'keep' keeps them.
    U is read as T. `max_n_fraction` rejects sequences that are mostly N (e.g. assembly gaps).
    """
    up = seq.upper().replace("U", "T")
    bad = set(up) - _ALLOWED
    if bad:
        ambiguous = bad & _AMBIG
        other = bad - _AMBIG
        if other:
            i = next(i for i, ch in enumerate(up) if ch in other)
            raise InputError(
                f"{where}: character {seq[i]!r} at position {i + 1} is not a nucleotide code",
                hint="only A, C, G, T, N (and IUPAC codes with --iupac n|keep) are accepted; fix or drop this record",
            )
        if iupac == "error":
            i = next(i for i, ch in enumerate(up) if ch in ambiguous)
            raise InputError(
                f"{where}: IUPAC ambiguity code {seq[i]!r} at position {i + 1}",
                hint="pass --iupac n to read ambiguity codes as N, or --iupac keep",
            )
        if iupac == "n":
            up = re.sub(f"[{''.join(sorted(ambiguous))}]", "N", up)
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


def soft_masked_fraction(seq: str) -> float:
    """Fraction of lowercase (soft-masked, usually repeat) bases."""
    return sum(ch.islower() for ch in seq) / len(seq) if seq else 0.0


def n_runs(seq: str, min_run: int = 1) -> list[tuple[int, int]]:
    """0-based half-open (start, end) of runs of N at least `min_run` long (assembly gaps)."""
    return [
        (m.start(), m.end()) for m in re.finditer("[Nn]+", seq) if m.end() - m.start() >= min_run
    ]


def write_fasta(
    records: Iterable[tuple[str, str]], path: str | os.PathLike, width: int = 60
) -> Path:
    """Write (name, sequence) pairs as FASTA, atomically."""
    from helixforge.core.tables import atomic_path

    dest = Path(path)
    with atomic_path(dest) as tmp:
        opener = gzip.open if dest.name.lower().endswith(".gz") else open
        with opener(tmp, "wt") as fh:
            for name, seq in records:
                fh.write(f">{name}\n")
                for i in range(0, len(seq), width):
                    fh.write(seq[i : i + width] + "\n")
    return dest


# ---------------------------------------------------------------------------- genome


def _is_bgzf(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(18)
    return (
        len(head) >= 16 and head[:2] == b"\x1f\x8b" and bool(head[3] & 4) and head[12:14] == b"BC"
    )


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def genome_cache_dir() -> Path:
    return (
        Path(os.environ.get("HELIX_CACHE", Path.home() / ".cache" / "helixforge" / "data"))
        / "genomes"
    )


def _decompressed_copy(path: Path) -> Path:
    """Plain-gzip FASTA → a decompressed copy in the cache (made once, keyed by path, size, mtime)."""
    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[
        :16
    ]
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    dest = genome_cache_dir() / key / name
    if dest.exists():
        return dest
    from helixforge.core.tables import atomic_path

    with atomic_path(dest) as tmp:
        with gzip.open(path, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    return dest


class Genome:
    """Indexed random access to a genome FASTA (plain, bgzip, or plain gzip) through pyfaidx.

    pyfaidx reads plain and bgzip-compressed files directly. A plain-gzip file cannot be indexed,
    so it is decompressed once into ``$HELIX_CACHE/genomes/<key>/`` and read from there;
    `self.source_note` says so. Sequences come back upper-case unless `keep_case=True`.
    """

    def __init__(self, path: str | os.PathLike, keep_case: bool = False):
        from pyfaidx import Fasta, FastaIndexingError

        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: genome FASTA not found", hint="check the path")
        self.keep_case = keep_case
        self.source_note = ""
        target = self.path
        if _is_gzip(self.path) and not _is_bgzf(self.path):
            target = _decompressed_copy(self.path)
            self.source_note = f"{self.path} is plain gzip; reading a decompressed copy at {target}"
        elif _is_bgzf(self.path):
            self.source_note = f"{self.path} is bgzip-compressed; read directly"
        self.fasta_path = target
        index_dir = (
            target.parent if os.access(target.parent, os.W_OK) else genome_cache_dir() / "fai"
        )
        kwargs = {}
        if index_dir != target.parent:
            index_dir.mkdir(parents=True, exist_ok=True)
            kwargs["indexname"] = str(
                index_dir
                / (hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:16] + ".fai")
            )
        try:
            self._fa = Fasta(
                str(target),
                sequence_always_upper=not keep_case,
                as_raw=True,
                rebuild=False,
                **kwargs,
            )
        except (FastaIndexingError, ValueError, OSError) as exc:
            raise InputError(
                f"{self.path}: could not be indexed as FASTA: {exc}",
                hint="is it a FASTA file (bgzip or plain)?",
            ) from exc
        self.lengths = {name: len(rec) for name, rec in self._fa.records.items()}
        if not self.lengths:
            raise EmptyInputError(f"{self.path}: genome FASTA has no records")

    @property
    def contigs(self) -> list[str]:
        return list(self.lengths)

    def __contains__(self, chrom: str) -> bool:
        return chrom in self.lengths

    def __len__(self) -> int:
        return sum(self.lengths.values())

    def resolve_contig(self, chrom: str, where: str = "") -> str:
        """Return `chrom` if present; otherwise try chr-prefix / Ensembl spellings, then raise
        an error listing the closest names."""
        if chrom in self.lengths:
            return chrom
        for alt in _contig_aliases(chrom):
            if alt in self.lengths:
                return alt
        close = difflib.get_close_matches(chrom, self.contigs, n=5, cutoff=0.4)
        prefix = f"{where}: " if where else ""
        shown = ", ".join(self.contigs[:10]) + (" …" if len(self.contigs) > 10 else "")
        raise InputError(
            f"{prefix}contig {chrom!r} is not in genome {self.path.name}",
            hint=(f"closest names: {', '.join(close)}" if close else f"contigs are: {shown}")
            + "; check that the file and the genome use the same assembly and naming",
        )

    def length(self, chrom: str) -> int:
        return self.lengths[self.resolve_contig(chrom)]

    def fetch(self, chrom: str, start: int, end: int, strand: str = "+", where: str = "") -> str:
        """Bases [start, end) (0-based) of `chrom`; reverse complement when strand is '-'."""
        name = self.resolve_contig(chrom, where)
        n = self.lengths[name]
        prefix = f"{where}: " if where else ""
        if start < 0 or end > n or start >= end:
            raise InputError(
                f"{prefix}interval {chrom}:{start}-{end} is outside contig {name} (length {n:,}) or empty",
                hint="BED coordinates are 0-based half-open and must satisfy 0 ≤ start < end ≤ contig length",
            )
        seq = self._fa[name][start:end]
        return reverse_complement(seq) if strand == "-" else seq

    def sequence(self, chrom: str) -> str:
        """A whole contig as one string."""
        name = self.resolve_contig(chrom)
        return self._fa[name][:]

    def close(self) -> None:
        self._fa.close()


def _contig_aliases(chrom: str) -> list[str]:
    out = []
    if chrom.lower().startswith("chr"):
        bare = chrom[3:]
        out += [bare, "Mito" if bare in {"M", "MT"} else bare]
    else:
        out += [f"chr{chrom}", "chrM" if chrom in {"MT", "Mito", "M"} else f"chr{chrom}"]
    return out


# ---------------------------------------------------------------------------- BED

BED_COLUMNS = ["chrom", "start", "end", "name", "score", "strand"]


def read_bed(path: str | os.PathLike, errors: RowErrors | None = None) -> pd.DataFrame:  # noqa: F821
    """BED3–BED6+ as a DataFrame (chrom, start, end, name, score, strand, extra columns…).

    'track', 'browser' and '#' lines are skipped; a header line starting with 'chrom' names the
    extra columns. Coordinates are checked (integers, start < end); the index is the file line.
    A malformed line raises `InputError`, or with `errors` (a `RowErrors`) is recorded there and
    skipped, so one bad line does not stop a job.
    """
    import pandas as pd

    p = Path(path)
    rows, lines = [], []
    header: list[str] | None = None
    with _open_text(p) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\n\r")
            if not line.strip() or line.startswith(("track", "browser")):
                continue
            if line.startswith("#"):
                cols = line.lstrip("#").strip().split("\t")
                if cols and cols[0].lower() == "chrom":
                    header = cols
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            if header is None and lineno == 1 and fields[0].lower() == "chrom":
                header = fields
                continue
            problem = None
            if len(fields) < 3:
                problem = "a BED line needs at least chrom, start and end (tab-separated)"
            else:
                try:
                    start, end = int(fields[1]), int(fields[2])
                except ValueError:
                    problem = (
                        f"start/end {fields[1]!r}, {fields[2]!r} are not integers "
                        "(is there a header line? start it with '#')"
                    )
                else:
                    if start < 0 or end <= start:
                        problem = f"start {start} must be ≥ 0 and below end {end}"
            if problem:
                if errors is None:
                    raise InputError(f"{p}, line {lineno}: {problem}")
                errors.add(lineno, None, line[:200], problem)
                continue
            fields[1], fields[2] = start, end
            rows.append(fields)
            lines.append(lineno)
    if not rows:
        raise EmptyInputError(f"{p}: no BED intervals found")
    width = max(len(r) for r in rows)
    names = (
        list(header)
        if header and len(header) >= width
        else BED_COLUMNS + [f"col{i + 1}" for i in range(6, width)]
    )
    names = [("chrom" if i == 0 else n) for i, n in enumerate(names[:width])]
    df = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], columns=names[:width])
    df.index = pd.Index(lines, name="line")
    if "strand" in df.columns:
        df["strand"] = df["strand"].fillna("+").replace({".": "+"})
    return df


def bed_to_sequences(
    bed: str | os.PathLike | pd.DataFrame,  # noqa: F821
    genome: Genome | str | os.PathLike,
    *,
    flank: int = 0,
    both_strands: bool = False,
    errors: RowErrors | None = None,  # noqa: F821
) -> pd.DataFrame:  # noqa: F821
    """Extract the sequence of every BED interval (± `flank` bases), honouring its strand.

    With `both_strands`, each interval gives two rows (strand '+' and '-'). Intervals on unknown
    contigs or past a contig's end are recorded in `errors` (a `RowErrors`) and skipped when it
    is given, else raise an `InputError` naming the BED line.
    """
    import pandas as pd

    g = genome if isinstance(genome, Genome) else Genome(genome)
    source = str(bed) if not isinstance(bed, pd.DataFrame) else "<bed>"
    df = read_bed(bed, errors=errors) if not isinstance(bed, pd.DataFrame) else bed
    out_rows, seqs = [], []
    for line, row in df.iterrows():
        where = f"{source}, line {line}"
        strands = ["+", "-"] if both_strands else [row.get("strand", "+") or "+"]
        try:
            start, end = int(row["start"]) - flank, int(row["end"]) + flank
            for strand in strands:
                if strand not in {"+", "-"}:
                    raise InputError(f"{where}: strand {strand!r} must be '+', '-' or '.'")
                seqs.append(g.fetch(str(row["chrom"]), start, end, strand, where=where))
                rec = row.to_dict()
                rec["strand"] = strand
                out_rows.append((line, rec))
        except InputError as exc:
            if errors is None:
                raise
            errors.add(
                int(line),
                "chrom/start/end",
                f"{row['chrom']}:{row['start']}-{row['end']}",
                exc.message.split(": ", 1)[-1],
            )
    if not out_rows:
        raise InputError(
            f"{source}: no BED interval could be extracted from {g.path.name}",
            hint="see the errors table",
        )
    res = pd.DataFrame(
        [r for _, r in out_rows], index=pd.Index([ln for ln, _ in out_rows], name="line")
    )
    res["sequence"] = seqs
    return res


# ---------------------------------------------------------------------------- GFF / GTF

GFF_COLUMNS = ["seqid", "source", "type", "start", "end", "score", "strand", "phase", "attributes"]


def _parse_attributes(text: str, gtf: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    if gtf:
        for part in text.strip().split(";"):
            part = part.strip()
            if not part:
                continue
            key, _, val = part.partition(" ")
            out.setdefault(key, val.strip().strip('"'))
    else:
        from urllib.parse import unquote

        for part in text.strip().split(";"):
            if "=" in part:
                key, _, val = part.partition("=")
                out[key.strip()] = unquote(val.strip())
    return out


def read_gff(path: str | os.PathLike, types: Iterable[str] | None = None) -> pd.DataFrame:  # noqa: F821
    """GFF3 or GTF features as a DataFrame with 0-based half-open `start`/`end`.

    Columns: seqid, source, type, start, end, score, strand, phase, id, parent, name, gene_id,
    attributes (the raw text), line. `types` keeps only those feature types (e.g. {"CDS"}).
    The dialect is taken from the suffix (.gtf) or the attribute syntax.
    """
    import pandas as pd

    p = Path(path)
    keep = set(types) if types else None
    gtf = _strip_gz(p.name).endswith(".gtf")
    rows = []
    with _open_text(p) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw.startswith("##FASTA"):
                break
            if raw.startswith("#") or not raw.strip():
                continue
            f = raw.rstrip("\n\r").split("\t")
            if len(f) != 9:
                raise InputError(
                    f"{p}, line {lineno}: expected 9 tab-separated GFF columns, found {len(f)}",
                    hint="GFF3/GTF columns: seqid source type start end score strand phase attributes",
                )
            if keep is not None and f[2] not in keep:
                continue
            try:
                start, end = int(f[3]) - 1, int(f[4])
            except ValueError as exc:
                raise InputError(
                    f"{p}, line {lineno}: start/end {f[3]!r}, {f[4]!r} are not integers"
                ) from exc
            if start < 0 or end <= start:
                raise InputError(f"{p}, line {lineno}: start {f[3]} must be ≥ 1 and ≤ end {f[4]}")
            attrs = _parse_attributes(f[8], gtf or ("=" not in f[8] and '"' in f[8]))
            rows.append(
                {
                    "seqid": f[0],
                    "source": f[1],
                    "type": f[2],
                    "start": start,
                    "end": end,
                    "score": f[5],
                    "strand": f[6],
                    "phase": f[7],
                    "id": attrs.get("ID", attrs.get("transcript_id", "")),
                    "parent": attrs.get("Parent", attrs.get("transcript_id", "")),
                    "name": attrs.get("Name", attrs.get("gene_name", attrs.get("gene", ""))),
                    "gene_id": attrs.get("gene_id", attrs.get("locus_tag", attrs.get("gene", ""))),
                    "attributes": f[8],
                    "line": lineno,
                }
            )
    cols = GFF_COLUMNS[:8] + ["id", "parent", "name", "gene_id", "attributes", "line"]
    if not rows:
        what = f" of type {sorted(keep)}" if keep else ""
        raise EmptyInputError(
            f"{p}: no GFF/GTF features{what} found",
            hint="check the file and the feature types asked for",
        )
    return pd.DataFrame(rows, columns=cols)


def write_gff3(features: pd.DataFrame, path: str | os.PathLike, source: str = "HelixForge") -> Path:  # noqa: F821
    """Write features (seqid, type, 0-based start, end, strand, optional score/phase/id/name) as GFF3."""
    from helixforge.core.tables import write_text

    lines = ["##gff-version 3"]
    for raw in features.to_dict("records"):
        rec = {k: v for k, v in raw.items() if not _missing(v)}
        attrs = [
            f"{key}={rec[low]}"
            for key, low in (("ID", "id"), ("Parent", "parent"), ("Name", "name"))
            if rec.get(low)
        ]
        score = rec.get("score", ".")
        score = f"{score:.3f}" if isinstance(score, float) else str(score)
        phase = rec.get("phase", ".")
        phase = str(int(phase)) if isinstance(phase, int | float) else str(phase)
        cols = [
            rec["seqid"],
            rec.get("source", source),
            rec["type"],
            int(rec["start"]) + 1,
            int(rec["end"]),
            score,
            rec.get("strand", "."),
            phase,
        ]
        lines.append("\t".join(str(c) for c in cols) + "\t" + (";".join(attrs) or "."))
    return write_text("\n".join(lines) + "\n", path)


def _missing(v) -> bool:
    return v is None or v == "" or (isinstance(v, float) and np.isnan(v))


# ---------------------------------------------------------------------------- VCF


def read_vcf(path: str | os.PathLike, split_multiallelic: bool = True) -> pd.DataFrame:  # noqa: F821
    """Variants from a VCF / BCF (plain, gzip or bgzip) via pysam.

    One row per ALT allele when `split_multiallelic` (default): chrom, pos (1-based), id, ref,
    alt (a string), allele (1-based ALT index), record (1-based record number). With
    `split_multiallelic=False`, `alt` is a tuple of every ALT allele. Records without ALT ('.')
    are kept with alt None so callers can report them.
    """
    import pandas as pd
    import pysam

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: VCF not found", hint="check the path")
    rows = []
    try:
        vf = pysam.VariantFile(str(p))
    except (ValueError, OSError) as exc:
        raise InputError(
            f"{p}: could not be read as VCF: {exc}",
            hint="a VCF needs a '##fileformat=VCF…' header and a '#CHROM' line",
        ) from exc
    with vf:
        n = 0
        try:
            for rec in vf:
                n += 1
                alts = tuple(rec.alts or ())
                vid = rec.id or "."
                if not split_multiallelic:
                    rows.append(
                        {
                            "chrom": rec.chrom,
                            "pos": rec.pos,
                            "id": vid,
                            "ref": rec.ref,
                            "alt": alts,
                            "allele": None,
                            "record": n,
                        }
                    )
                    continue
                if not alts:
                    rows.append(
                        {
                            "chrom": rec.chrom,
                            "pos": rec.pos,
                            "id": vid,
                            "ref": rec.ref,
                            "alt": None,
                            "allele": 0,
                            "record": n,
                        }
                    )
                for k, alt in enumerate(alts, start=1):
                    rows.append(
                        {
                            "chrom": rec.chrom,
                            "pos": rec.pos,
                            "id": vid,
                            "ref": rec.ref,
                            "alt": alt,
                            "allele": k,
                            "record": n,
                        }
                    )
        except (ValueError, OSError) as exc:
            raise InputError(f"{p}: malformed VCF after record {n}: {exc}") from exc
    return pd.DataFrame(rows, columns=["chrom", "pos", "id", "ref", "alt", "allele", "record"])


__all__ = [
    "SeqRecord",
    "read_fasta",
    "read_fastq",
    "read_sequences",
    "clean_sequence",
    "soft_masked_fraction",
    "n_runs",
    "write_fasta",
    "Genome",
    "read_bed",
    "bed_to_sequences",
    "read_gff",
    "write_gff3",
    "read_vcf",
    "is_fasta",
    "is_fastq",
]
