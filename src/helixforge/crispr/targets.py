"""What guides are designed in: genome access, annotations and `Target`s.

    target = resolve_target("NC_000913.3:337-2799", genome="ecoli.fna.gz")  # 1-based, inclusive
    target = resolve_target("thrA", genome="ecoli.fna.gz", annotation="ecoli.gff.gz")
    target = resolve_target("ACGT…")                                        # a sequence

Genomes are read through `helixforge.dna.io.Genome` (pyfaidx: indexed, nothing loaded whole);
a ``{name: sequence}`` dict works too (tests, small in-memory genomes). Contig names of an
annotation or region that differ from the genome's by UCSC/Ensembl/RefSeq spelling (``V`` /
``chrV``, ``MT`` / ``chrM``, ``NC_001137.3`` / ``chrV``) are mapped (`crispr.contigs`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from helixforge.core.errors import InputError
from helixforge.dna.sequence import IUPAC

_REGION_HINT = (
    "a region is contig:start-end, 1-based and inclusive as samtools (commas allowed); "
    "contig:start runs to the contig's end, and a bare contig name is the whole contig "
    "({contig} when the name holds ':')"
)


# The longest target `design_guides` takes unless told otherwise: a large gene's span. Every
# site in a target is enumerated, scored on-target and searched genome-wide, so a whole
# chromosome (yeast chrI: ~17,000 SpCas9 sites; human chr1: ~25 million) is hours of work and
# a table of millions of rows held in memory. CRISPOR's web form takes 2,000 bp at most.
DEFAULT_MAX_TARGET_LENGTH = 100_000


class TargetTooLongError(InputError):
    """A design target longer than the `max_target_length` limit (`check_target_length`)."""


class TargetNeedsGenomeError(InputError):
    """A region or gene name given as target without the genome (and annotation) to read it
    from: a caller without a --genome option (`enumerate_guides`) words its own hint."""


_DESIGN_WORK = "would be scored on-target and searched genome-wide, all held in memory"


def check_target_length(
    name: str, length: int, max_length: int | None, work: str = _DESIGN_WORK
) -> None:
    """`TargetTooLongError` when a target of `length` bp exceeds `max_length` (None or 0: no
    limit), naming the target, both numbers, what would be done with every site (`work`) and
    how to narrow the target or raise the limit."""
    if not max_length or length <= max_length:
        return
    raise TargetTooLongError(
        f"target {name!r} is {length:,} bp, longer than the design limit of {max_length:,} bp: "
        f"every guide site in it (about {length // 10:,} for SpCas9's NGG) {work}",
        hint="design on the stretch you mean to edit: a gene (with --annotation) or a region "
        "contig:start-end of a few kb (e.g. an exon); to design on the whole target anyway, "
        f"raise the limit: --max-target-length {length} (max_target_length= in Python; 0 = "
        "no limit)",
    )


@dataclass
class Target:
    """A sequence to design guides in; `start` is its 0-based offset on `contig` (genome targets),
    and the flanks are the genome bases around it (for sites and context windows at the edges)."""

    name: str
    sequence: str
    contig: str
    start: int = 0
    left_flank: str = ""
    right_flank: str = ""
    from_genome: bool = False
    aliases: frozenset[str] = frozenset()  # contig keys annotation seqids are matched by
    # lowercase means soft-masked (repeats) only where the source has upper-case bases too: an
    # all-lowercase genome or typed sequence is just written in lowercase (see `case_masks`)
    masked: bool = True

    @property
    def end(self) -> int:
        return self.start + len(self.sequence)


# ---------------------------------------------------------------------- genome access


class MemoryGenome:
    """A {name: sequence} dict behind the same small interface as `dna.io.Genome`."""

    def __init__(self, seqs: dict[str, str]):
        from helixforge.lm.inputs import as_sequence

        # text (bytes read), case kept; None / non-text is an InputError naming the contig
        self._seqs = {k: as_sequence(v, f"genome[{k!r}]") for k, v in seqs.items()}
        self.lengths = {k: len(v) for k, v in seqs.items()}
        self.path = None

    @property
    def contigs(self) -> list[str]:
        return list(self.lengths)

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases [start, end) (0-based), case kept."""
        return self._seqs[chrom][start:end]

    def sequence(self, chrom: str) -> str:
        return self._seqs[chrom]


@lru_cache(maxsize=4)
def _open_fasta(path: str, size: int, mtime_ns: int):
    from helixforge.dna.io import Genome

    return Genome(path, keep_case=True)


def open_genome(genome):
    """A genome from a FASTA path (plain, bgzip or gzip; opened once and cached) or a dict."""
    if isinstance(genome, dict):
        return MemoryGenome(genome)
    if hasattr(genome, "lengths") and hasattr(genome, "fetch"):
        return genome
    from helixforge.lm.inputs import as_path

    p = as_path(genome, "genome")
    if not p.exists():
        raise InputError(
            f"{p}: genome FASTA not found",
            hint="check the path to the genome FASTA (.fa/.fna, .gz ok)",
        )
    if p.is_dir():
        raise InputError(
            f"{p}: is a directory; a genome FASTA file is needed here",
            hint="an off-target index directory is used with --index, not as the genome sequence",
        )
    st = p.stat()
    return _open_fasta(str(p.resolve()), st.st_size, st.st_mtime_ns)


_UPPER_BASE = re.compile(r"[ACGT]")
_CASE_SAMPLE = 1_000_000  # bases read from the start of each contig …
_CASE_BUDGET = 20_000_000  # … and in all, to tell a soft-masked genome from a lowercase one


def case_masks(genome, seen: str = "") -> bool:
    """Whether lowercase bases of `genome` mark soft-masked repeats: True when it has upper-case
    A/C/G/T too (`seen`, bases already read, is checked first; then up to the first
    `_CASE_SAMPLE` bases of each contig, `_CASE_BUDGET` in all). A genome written wholly in
    lowercase (upper-case N runs allowed) has no mask: every site would be flagged."""
    if _UPPER_BASE.search(seen):
        return True
    g = open_genome(genome)
    if getattr(g, "path", None):
        st = Path(g.path).stat()
        return _case_masks_cached(str(Path(g.path).resolve()), st.st_size, st.st_mtime_ns)
    return _scan_case(g)


@lru_cache(maxsize=4)
def _case_masks_cached(path: str, size: int, mtime_ns: int) -> bool:
    return _scan_case(open_genome(path))


def _scan_case(g) -> bool:
    budget = _CASE_BUDGET
    for name in g.contigs:
        n = min(g.lengths[name], _CASE_SAMPLE, budget)
        if n <= 0:
            break
        if _UPPER_BASE.search(g.fetch(name, 0, n)):
            return True
        budget -= n
    return False


def iter_contigs(genome) -> Iterator[tuple[str, str]]:
    """(name, sequence) for each contig, one at a time (case kept: lowercase = soft-masked)."""
    g = open_genome(genome)
    for name in g.contigs:
        yield name, g.fetch(name, 0, g.lengths[name]) if g.lengths[name] else ""


def match_contig(genome, contig: str, where: str = "", other_names=None) -> str:
    """The genome's spelling of `contig` (exact, else a UCSC/Ensembl/RefSeq alias, see
    `crispr.contigs.map_contig`), or an error listing contig names of both sides
    (`other_names`: the annotation's contigs, when `contig` came from one)."""
    from helixforge.crispr.contigs import map_contig

    return map_contig(
        contig, open_genome(genome), where=where, other_names=other_names,
        other_label="the annotation",
    )  # fmt: skip


# ---------------------------------------------------------------------- annotation


def _gene_key(attrs: str) -> set[str]:
    keys = set()
    for m in re.finditer(
        r"(?:^|;)\s*(gene|Name|locus_tag|ID|gene_name|gene_id|gene_synonym|transcript_id)[= ]"
        r'(?:"((?:[^"\\]|\\.)*)"|([^";]+))',
        attrs,
    ):
        if m.group(2) is not None:  # a quoted GTF value: may hold ';' and escaped quotes
            keys.add(m.group(2).replace('\\"', '"').strip())
        else:
            keys.update(v.strip() for v in m.group(3).split(","))
    return {k for k in keys if k}


def load_annotation(annotation) -> pd.DataFrame:
    """CDS features (0-based half-open) from a GFF3/GTF path or a DataFrame with seqid, start,
    end, strand (and optionally name); adds `gene` (a readable name) and `keys` (names to match)."""
    if annotation is None:
        return pd.DataFrame(columns=["seqid", "start", "end", "strand", "gene", "keys"])
    if isinstance(annotation, pd.DataFrame):
        df = annotation.copy()
        missing = [c for c in ("seqid", "start", "end", "strand") if c not in df.columns]
        if missing:
            from helixforge.core.errors import ColumnNotFoundError

            raise ColumnNotFoundError(missing, df.columns, "annotation table")
        if "gene" not in df.columns:
            df["gene"] = df.get("name", pd.Series([""] * len(df), index=df.index))
        df["keys"] = [{str(g)} for g in df["gene"]]
        return df
    p = Path(annotation)
    if not p.is_file():
        raise InputError(f"{p}: annotation file not found", hint="give a GFF3 or GTF file (.gz ok)")
    st = p.stat()
    return _load_gff_cached(str(p.resolve()), st.st_size, st.st_mtime_ns).copy()


# Features whose names a CDS inherits through Parent= (GFF3 as Ensembl writes it: the CDS line
# holds only ID and Parent=transcript:…, the transcript Parent=gene:…, the gene Name=BRCA1).
_ANCESTOR_TYPES = {"gene", "mRNA", "transcript", "pseudogene", "ncRNA_gene"}
_GENE_ATTR = re.compile(r'(?:^|;)\s*(?:gene|gene_name)[= ](?:"((?:[^"\\]|\\.)*)"|([^";]+))')


def _gene_attr(attrs: str) -> str:
    """The gene / gene_name attribute of a GFF3 or GTF line; a quoted GTF value whole (it may
    hold ';' and escaped quotes: 'gene_name "ab;c"' is 'ab;c', not 'ab')."""
    m = _GENE_ATTR.search(attrs)
    if m is None:
        return ""
    return m.group(1).replace('\\"', '"') if m.group(1) is not None else m.group(2)


@lru_cache(maxsize=4)
def _load_gff_cached(path: str, size: int, mtime_ns: int) -> pd.DataFrame:
    from helixforge.core.errors import EmptyInputError, RowErrors
    from helixforge.dna.io import read_gff

    errors = RowErrors(path)  # a malformed line is skipped and noted, not the end of the design
    try:
        every = read_gff(path, types={"CDS"} | _ANCESTOR_TYPES, errors=errors)
    except EmptyInputError:
        every = pd.DataFrame(columns=["type"])
    df = every[every["type"] == "CDS"].reset_index(drop=True)
    if df.empty:
        raise EmptyInputError(
            f"{path}: no GFF/GTF features of type ['CDS'] found",
            hint=errors.summary(3)
            if len(errors)
            else "--annotation places cuts along coding sequences (CDS lines) and finds genes "
            "by them; without CDS lines, leave --annotation out and give the target as a region "
            "contig:start-end",
        )
    if len(errors):
        df.attrs["note"] = (
            f"annotation {Path(path).name}: {len(errors)} malformed line(s) skipped "
            f"({errors.summary(2)})"
        )
    parents = every[every["type"] != "CDS"]
    by_id = {
        i: (par, a, nm, gid, t)
        for i, par, a, nm, gid, t in zip(parents["id"], parents["parent"], parents["attributes"],
                                         parents["name"], parents["gene_id"], parents["type"])
        if i
    }  # fmt: skip
    keys, genes = [], []
    for a, nm, gid, par in zip(df["attributes"], df["name"], df["gene_id"], df["parent"]):
        k = _gene_key(a) | {n for n in (nm, gid) if n}
        gene = _gene_attr(a)
        inherited = ""  # the nearest gene feature's name, else the nearest named ancestor's
        todo, seen = [p for p in str(par).split(",") if p], set()
        while todo and len(seen) < 8:
            pid = todo.pop(0)
            if pid in seen or pid not in by_id:
                continue
            seen.add(pid)
            ppar, pa, pnm, pgid, ptype = by_id[pid]
            k |= _gene_key(pa) | {n for n in (pnm, pgid) if n}
            pname = _gene_attr(pa) or pnm
            if pname and (ptype == "gene" or not inherited):
                inherited = pname
            todo += [q for q in str(ppar).split(",") if q]
        keys.append(k)
        genes.append(gene or inherited or nm or gid)
    df["gene"] = genes
    df["keys"] = keys
    return df


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance of `a` and `b` (case-insensitive), capped at `limit` + 1."""
    a, b = a.lower(), b.lower()
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return min(prev[-1], limit + 1)


def _fold(name: str) -> str:
    return re.sub(r"[-_.\s]", "", name).lower()


def gene_name_hints(text: str, names) -> list[str]:
    """Names that `text` may have meant, only when genuinely close: the same name up to case and
    ``-``/``_``/``.`` first; else names within edit distance 1 (names of 5–8 characters) or 2
    (longer) — when at most three names are that close. Short names (≤ 4 characters: CAN1 vs
    CAD1, CAK1, …) and crowded neighbourhoods get no guesses: a gene that is simply not in the
    annotation is said to be so, not replaced by a look-alike."""
    names = sorted({str(n) for n in names if n and str(n) != "nan"})
    key = _fold(text)
    same = [n for n in names if _fold(n) == key]
    if same:
        return same[:3]
    limit = 0 if len(key) <= 4 else 1 if len(key) <= 8 else 2
    if limit == 0:
        return []
    scored = sorted((d, n) for n in names if (d := edit_distance(key, _fold(n), limit)) <= limit)
    if not scored:
        return []
    best = [n for d, n in scored if d == scored[0][0]]
    return best if len(best) <= 3 else []


def _gene_hits_on_one_contig(text: str, hits: pd.DataFrame, genome, annotation):
    """The CDS rows of a gene annotated on several contigs that lie on the one contig the genome
    has (an annotation of more contigs than the FASTA: other assemblies, alt / patch / PAR
    copies); an error naming each contig's span and the region to give when several (or none)
    are in the genome."""
    from helixforge.crispr.contigs import map_contig

    g = open_genome(genome)
    contigs = list(hits["seqid"].astype(str).unique())
    present = {}
    for c in contigs:
        try:
            present[c] = map_contig(c, g)
        except InputError:
            continue
    if len(present) == 1:
        (c,) = present
        return hits[hits["seqid"].astype(str) == c], [c]
    where = Path(annotation).name if isinstance(annotation, str | os.PathLike) else "annotation"
    spans = []
    for c in contigs:
        rows = hits[hits["seqid"].astype(str) == c]
        lo, hi = int(rows["start"].min()) + 1, int(rows["end"].max())
        spans.append(
            f"{present.get(c, c)}:{lo}-{hi}" + ("" if c in present else " (not in the genome)")
        )
    if not present:
        return hits, contigs  # the first contig's 'not in the genome' error says what to do
    region = next(s for s in spans if not s.endswith(")"))
    raise InputError(
        f"gene {text!r} has CDS on {len(present)} contigs of {Path(g.path).name} "
        f"({where}): {'; '.join(spans)}",
        hint=f"give the copy you mean as a region, e.g. -t {region}",
    )


def _loci(hits: pd.DataFrame) -> pd.Series:
    """Which gene each CDS row belongs to: its gene_id (GTF gene_id, GFF3 locus tag), else one
    gene for all rows without one."""
    if "gene_id" not in hits:
        return pd.Series([""] * len(hits), index=hits.index)
    return hits["gene_id"].fillna("").astype(str)


def _prefer_own_name(text: str, hits: pd.DataFrame) -> pd.DataFrame:
    """The CDS rows of the genes `text` is the own name or gene_id of, when it is only a synonym
    (gene_synonym, an old name) of the other genes it matched: 'pyrA' is carA's and carB's
    synonym, 'seg' dnaK's and another gene's; the gene whose name it is wins, as in NCBI Gene."""
    if not len(hits) or "gene" not in hits:
        return hits
    own = (hits["gene"].astype(str) == text).to_numpy().copy()
    if "gene_id" in hits:
        own |= (hits["gene_id"].astype(str) == text).to_numpy()
    loci = _loci(hits)
    keep = loci.isin(set(loci[own]))
    return hits[keep.to_numpy()] if own.any() else hits


def _check_one_locus(text: str, hits: pd.DataFrame, annotation) -> None:
    """An error naming each gene when `text` matches several genes (different gene_id / locus
    tag) that are not its own name: their span would be one target over every base between
    them (a synonym shared by two E. coli genes 4.6 Mb apart made a whole-genome target)."""
    loci = _loci(hits)
    names = [n for n in dict.fromkeys(loci) if n]
    if len(names) < 2:
        return
    where = Path(annotation).name if isinstance(annotation, str | os.PathLike) else "annotation"
    parts = []
    for n in names[:6]:
        rows = hits[(loci == n).to_numpy()]
        gene = str(rows["gene"].iloc[0]) if "gene" in rows else ""
        span = f"{rows['seqid'].iloc[0]}:{int(rows['start'].min()) + 1}-{int(rows['end'].max())}"
        parts.append(f"{gene} ({n}, {span})" if gene and gene != n else f"{n} ({span})")
    more = f" and {len(names) - 6} more" if len(names) > 6 else ""
    raise InputError(
        f"gene {text!r} names {len(names)} different genes in {where}: {'; '.join(parts)}{more}",
        hint=f"give the one you mean by its gene_id / locus tag, e.g. -t {names[0]}, or as a "
        "region contig:start-end",
    )


def _noncoding_gene(text: str, annotation, genome) -> InputError | None:
    """The error for a gene the annotation holds without a CDS (a tRNA, snoRNA, lncRNA,
    pseudogene): where it is and the region to give. Such a gene was "not in the annotation …
    check that the annotation is for this organism". None when no feature names `text`."""
    if not isinstance(annotation, str | os.PathLike) or not Path(annotation).is_file():
        return None
    from helixforge.core.errors import RowErrors
    from helixforge.dna.io import read_gff

    try:
        every = read_gff(annotation, errors=RowErrors(str(annotation)))
    except InputError:
        return None
    every = every[every["type"] != "CDS"]
    hits = every[[text in _gene_key(a) | {n for n in (nm, g) if n}
                  for a, nm, g in zip(every["attributes"], every["name"], every["gene_id"])]]  # fmt: skip
    if not len(hits):
        return None
    first = hits.iloc[0]
    seqid = str(first["seqid"])
    hits = hits[hits["seqid"].astype(str) == seqid]
    start, end = int(hits["start"].min()), int(hits["end"].max())
    try:
        contig = match_contig(genome, seqid) if genome is not None else seqid
    except InputError:
        contig = seqid
    kind = re.search(r'(?:gene_biotype|biotype|gene_type)[= ]"?([^";]+)', str(first["attributes"]))
    what = kind[1] if kind else str(first["type"])
    return InputError(
        f"gene {text!r} is in the annotation {Path(annotation).name} (line {int(first['line'])}: "
        f"{what}, {seqid}:{start + 1}-{end}) but has no CDS; gene names are resolved through "
        "their CDS features",
        hint=f"to design guides in it, give its region: -t {contig}:{start + 1}-{end}",
    )


def _gene_not_found(text: str, ann: pd.DataFrame, annotation, genome=None) -> InputError:
    if (noncoding := _noncoding_gene(text, annotation, genome)) is not None:
        return noncoding
    where = Path(annotation).name if isinstance(annotation, str | os.PathLike) else "annotation"
    readable = ann["gene"].astype(str) if "gene" in ann else pd.Series([], dtype=str)
    names = set(readable)
    if "gene_id" in ann:
        names |= set(ann["gene_id"].dropna().astype(str))
    n_genes = readable[readable != ""].nunique()
    hints = gene_name_hints(text, names)
    msg = (
        f"gene {text!r} is not in the annotation {where} ({n_genes:,} genes with a CDS; "
        "matched against gene name, gene_id, transcript_id, locus tag, Name and ID)"
    )
    if hints:
        same = _fold(hints[0]) == _fold(text)
        hint = (f"did you mean {hints[0]!r}? names are matched exactly" if same
                else f"similar names in the annotation: {', '.join(hints)}")  # fmt: skip
    else:
        examples = ", ".join(sorted(set(readable[readable != ""]))[:: max(1, n_genes // 4)][:4])
        hint = (
            "no gene of that name or a close spelling is annotated. Check the name and that the "
            "annotation is for this organism; if the annotation lacks common names, use the "
            f"gene_id / locus tag (its genes are named like {examples}), or give the region "
            "as contig:start-end"
        )
    return InputError(msg, hint=hint)


# ---------------------------------------------------------------------- targets


def resolve_target(
    target, genome=None, annotation=None, name=None, flank: int = 50,
    max_length: int | None = None,
) -> Target:  # fmt: skip
    """A `Target` from a sequence, a FASTA path (``file.fa`` or ``file.fa#record``), a region
    ``contig:start-end`` (1-based, inclusive; needs `genome`) or a gene name (needs `genome` and
    `annotation`). Errors name what is wrong: unknown contig or gene, coordinates outside the
    contig, characters that are not nucleotides (with their position). A target longer than
    `max_length` bp (None or 0: no limit) is a `TargetTooLongError`, for a genome region or
    gene before its bases are read."""
    from helixforge.core.options import require_int

    if max_length is not None:
        require_int(max_length, "max_target_length", min_value=0)
    tgt = _resolve_target(target, genome, annotation, name, flank, max_length)
    check_target_length(tgt.name, len(tgt.sequence), max_length)  # sequence and FASTA targets
    return tgt


def _resolve_target(target, genome, annotation, name, flank, max_length) -> Target:
    from helixforge.core.options import require_int

    if isinstance(target, Target):
        return target
    flank = require_int(flank, "flank", min_value=0)
    if target is None:
        raise InputError(
            "target is None",
            hint="give a DNA sequence, a FASTA file, contig:start-end or a gene name",
        )
    if isinstance(target, bytes | bytearray):
        from helixforge.lm.inputs import as_sequence

        target = as_sequence(target, "target")
    if not isinstance(target, str | os.PathLike):
        raise InputError(
            f"target must be one sequence, file, region or gene name (a str), got "
            f"{type(target).__name__} {str(target)[:40]!r}",
            hint="design one target per call: loop over a list of targets",
        )
    text = str(target).strip()
    if not text:
        raise InputError(
            "the target is empty",
            hint="give a DNA sequence, a FASTA file, contig:start-end or a gene name",
        )
    path_part, _, record = text.partition("#")
    if "#" in text and not _is_file(path_part):  # a path holding '#' (run#1/t.fa[#RECORD])
        path_part, record = next(
            ((text[:i], text[i + 1 :]) for i in _hashes_from_right(text) if _is_file(text[:i])),
            (text, "") if _is_file(text) else (path_part, record),
        )
    if _is_file(path_part):
        return _target_from_fasta(Path(path_part), record or None, name, max_length)
    region = _region_of(text, genome)
    if region is not None:
        if genome is None:
            raise TargetNeedsGenomeError(
                f"target {text!r} is a genome region but no genome was given",
                hint="pass --genome GENOME.fa(.gz) (or give the sequence itself)",
            )
        g = open_genome(genome)
        contig = match_contig(g, region.contig)
        start = 1 if region.start is None else region.start
        end = g.lengths[contig] if region.end is None else region.end
        return region_target(genome, contig, start - 1, end, name=name or text, flank=flank,
                             max_length=max_length)  # fmt: skip
    is_bases = _looks_like_bases(text)
    if genome is not None and not is_bases and text in open_genome(genome).lengths:
        n = open_genome(genome).lengths[text]
        return region_target(genome, text, 0, n, name=name or text, flank=flank,
                             max_length=max_length)  # fmt: skip
    # a gene name spelled in A/C/G/T/N letters (E. coli tatA, nagA, can, cca; human CAT,
    # ACAN) is looked up too: it was designed on as a 3-4 nt sequence. Shorter than a spacer,
    # such a text holds no site, so a sequence of that length is no loss
    as_gene = not is_bases or len(text) < _SHORTEST_SEQUENCE_TARGET
    if annotation is not None and genome is not None and as_gene:
        from helixforge.core.errors import EmptyInputError

        try:
            ann = load_annotation(annotation)
        except EmptyInputError:  # no CDS at all: a gene of other features is told so
            if (noncoding := _noncoding_gene(text, annotation, genome)) is not None:
                raise noncoding from None
            if not is_bases:
                raise
            ann = load_annotation(None)
        hits = _prefer_own_name(text, ann[[text in k for k in ann["keys"]]])
        if len(hits):
            contigs = hits["seqid"].unique()
            if len(contigs) > 1:
                hits, contigs = _gene_hits_on_one_contig(text, hits, genome, annotation)
            _check_one_locus(text, hits, annotation)
            start, end = int(hits["start"].min()), int(hits["end"].max())
            contig = match_contig(
                genome, str(contigs[0]), where=f"gene {text}",
                other_names=ann["seqid"].astype(str).unique(),
            )  # fmt: skip
            try:
                return region_target(genome, contig, start, end, name=name or text, flank=flank,
                                     max_length=max_length)  # fmt: skip
            except TargetTooLongError:
                raise
            except InputError as exc:  # name the annotation lines, not only the coordinates
                where = Path(annotation).name if isinstance(annotation, str | os.PathLike) else ""
                lo, hi = (
                    (int(hits["line"].min()), int(hits["line"].max())) if "line" in hits else (0, 0)
                )
                lines = "" if not lo else f", line {lo}" if lo == hi else f", lines {lo}-{hi}"
                raise InputError(
                    f"gene {text!r} ({where}{lines}): {exc.message}",
                    hint=f"{exc.hint}; check that the annotation belongs to this genome "
                    "(assembly version)",
                ) from None
        if not is_bases:
            if ":" in text and text.rsplit(":", 1)[0] in open_genome(genome).lengths:
                raise InputError(f"target {text!r} is not a region", hint=_REGION_HINT)
            raise _gene_not_found(text, ann, annotation, genome)
        if (noncoding := _noncoding_gene(text, annotation, genome)) is not None:
            raise noncoding
    if ":" in text and not is_bases:
        raise InputError(f"target {text!r} is not a region", hint=_REGION_HINT)
    if re.search(r"[/\\]|\.(fa|fasta|fna|gz)$", path_part, re.I):  # FILE or FILE#RECORD
        raise InputError(f"{path_part}: target FASTA file not found", hint="check the path")
    gene_like = len(text) < 30 and (
        re.search(r"\d", text) is not None  # TP53, BRCA1
        or text not in (text.upper(), text.lower())  # thrA
        # MYC: short and mostly not A/C/G/T (ACGTQACGT, a sequence with a typo, is not)
        or (len(text) < 23 and sum(c in "ACGTNacgtn" for c in text) < 0.8 * len(text))
    )
    if not is_bases and gene_like and annotation is None:
        # a gene name given without an annotation to look it up in; some (thrA, MYC) are spelled
        # in IUPAC letters and were taken for a sequence
        raise TargetNeedsGenomeError(
            f"target {text!r} is not a DNA sequence of A/C/G/T/N",
            hint="a gene name as target needs --annotation (GFF/GTF) and --genome; a region "
            "is written contig:start-end",
        )
    # before sequence_target's base-by-base scan (seconds per megabase)
    check_target_length(name or "target", len(re.sub(r"\s+", "", text)), max_length)
    return sequence_target(text, name=name or "target")


# a target text of A/C/G/T/N shorter than this is looked up as a gene name first (with an
# annotation): the shortest built-in site is 23 nt, so it could hold no guide as a sequence
_SHORTEST_SEQUENCE_TARGET = 20


def _region_of(text: str, genome):
    """The `dna.io.RegionText` of a target written contig:start[-end] or {contig}[:start-end],
    or of a bare contig name holding ':' ('HLA-A*01:01', 'chrUn:KI270302v1'); None for any
    other text. Coordinates are read after the last ':', so a ':' inside a contig name stays
    in it; a text that is both a contig and a region of another contig is refused."""
    from helixforge.dna.io.regions import split_region

    if ":" not in text and not text.startswith("{"):
        return None  # a bare contig without ':' is looked up after the sequence / file checks
    if genome is None:
        return split_region(text, what="target")
    g = open_genome(genome)

    def is_contig(name: str) -> bool:
        try:
            match_contig(g, name)
        except InputError:
            return False
        return True

    return split_region(text, is_contig, what="target")


def _looks_like_bases(text: str) -> bool:
    """Whether `text` is a sequence, not a gene or contig name: A/C/G/T/N only, or — at least a
    spacer long (20) and mostly A/C/G/T/N — IUPAC codes (R, Y, …, U) in any case too: a sequence
    holding one R was looked up as a gene ('not in the annotation') or, mixed-case, refused as a
    gene name; gene names (thrA, MYC) are short."""
    if re.fullmatch(r"[ACGTNacgtn]+", text):
        return True
    if len(text) < 20 or not re.fullmatch(r"[ACGTURYSWKMBDHVNacgturyswkmbdhvn]+", text):
        return False
    return sum(c in "ACGTNacgtn" for c in text) >= 0.8 * len(text)


def _hashes_from_right(text: str) -> list[int]:
    """Positions of '#' in `text`, the last first."""
    return [i for i in range(len(text) - 1, -1, -1) if text[i] == "#"]


def _is_file(text: str) -> bool:
    if len(text) > 4096 or re.fullmatch(r"[ACGTNacgtn]+", text) and len(text) > 255:
        return False
    try:
        return Path(text).is_file()
    except OSError:
        return False


def sequence_target(seq: str, name: str = "target") -> Target:
    """A target from a sequence string: A/C/G/T (any case), N and IUPAC codes are accepted (sites
    over a non-ACGT base are skipped and recorded); anything else is an error naming the position."""
    from helixforge.lm.inputs import as_sequence

    clean = re.sub(r"\s+", "", as_sequence(seq, name))
    for i, ch in enumerate(clean):
        if ch.upper() == "U":
            raise InputError(
                f"{name}: character {ch!r} at position {i + 1} is RNA (U); Cas nucleases cut DNA",
                hint="give the DNA sequence of the target (T for U), or the genome region",
            )
        if ch.upper() not in IUPAC:
            raise InputError(
                f"{name}: character {ch!r} at position {i + 1} is not a nucleotide",
                hint="guides are designed on A/C/G/T (N and IUPAC codes are skipped); remove or "
                "replace the character. A gene name as target needs --genome and --annotation; a "
                "region is written contig:start-end",
            )
    masked = bool(_UPPER_BASE.search(clean))  # all-lowercase: typed so, not soft-masked
    return Target(name=name, sequence=clean, contig=name, masked=masked)


def _target_from_fasta(
    path: Path, record: str | None, name: str | None, max_length: int | None = None
) -> Target:
    from helixforge.dna.io import read_fasta

    if record:
        # a record asked for by name is found though another record has no name ('>' alone
        # on a line: read_fasta refuses the file for it)
        every = _named_fasta_records(path)
        recs = [r for r in every if r.id == record]
        if not recs:
            ids = [r.id for r in every]
            same = [i for i in ids if i.lower() == record.lower()]
            shown = ", ".join(ids[:8]) + (f" … ({len(ids)} in all)" if len(ids) > 8 else "")
            raise InputError(
                f"{path}: no record named {record!r}; its records are {shown or '(none)'}",
                hint=f"did you mean {path}#{same[0]}? record names are matched exactly"
                if same
                else "give the record id after '#' as it follows '>' (up to the first space)",
            )
        if len(recs) > 1:  # the first of two same-named records is a guess, not the target
            raise InputError(
                f"{path}: {len(recs)} records are named {record!r}",
                hint="give each record its own name after '>' (or keep only the target in the file)",
            )
    else:
        recs = list(read_fasta(path))
    if not record and len(recs) > 1:
        raise InputError(
            f"{path}: has {len(recs)} records; which one is the target?",
            hint=f"name it as {path}#RECORD, e.g. {path}#{recs[0].id}",
        )
    rec = recs[0]
    name = f"{path.name}#{rec.id}" if name is None else name
    # before sequence_target's base-by-base scan (seconds per megabase)
    check_target_length(name, len(rec.seq), max_length)
    tgt = sequence_target(rec.seq, name=name)
    tgt.contig = rec.id
    return tgt


def _named_fasta_records(path: Path) -> list:
    """The records of a FASTA file that have a name (`dna.io.SeqRecord`s)."""
    from helixforge.core.errors import EmptyInputError
    from helixforge.core.io import fasta_records
    from helixforge.dna.io import SeqRecord

    out = [
        SeqRecord(id=header.split()[0], description=header, seq=seq, line=line)
        for line, header, seq in fasta_records(path)
        if header.split()
    ]
    if not out:
        raise EmptyInputError(f"{path}: no named FASTA records found")
    return out


def _region_problem(contig: str, start: int, end: int, n: int) -> InputError:
    """Why the 0-based [start, end) of a contig of `n` bp is no region, told in the 1-based
    inclusive coordinates the user wrote, with the region to give instead: a reversed one
    (written high-low for the - strand), a start of 0 (a 0-based / BED start), an end past the
    contig. They were one message, "outside contig … or empty", whatever was wrong."""
    typed = f"{contig}:{start + 1}-{end}"
    rule = f"coordinates are 1-based and inclusive: 1 ≤ start ≤ end ≤ {n:,}"
    if start + 1 > end and start < n and end >= 1:
        return InputError(
            f"region {typed} starts after it ends",
            hint=f"write the lower coordinate first, {contig}:{end}-{start + 1}: regions are on "
            "the + strand and guides are designed on both strands; " + rule,
        )
    if start < 0 and 0 < end <= n:
        return InputError(
            f"region {typed} starts at 0: there is no base 0 ({rule})",
            hint=f"for a 0-based (BED) start of 0 give {contig}:1-{end}; add 1 to every 0-based "
            "start (a BED line chr 0 100 is chr:1-100)",
        )
    if end > n and start < n:
        return InputError(
            f"region {typed} is outside contig {contig}: it ends at {end:,}, past the contig's "
            f"last base ({n:,})",
            hint=f"give {contig}:{max(start, 0) + 1}-{n} to run to the contig's end; " + rule,
        )
    if start >= n:
        return InputError(
            f"region {typed} is outside contig {contig}: it starts at {start + 1:,}, past the "
            f"contig's last base ({n:,})",
            hint=f"check the contig and the assembly the coordinates are for; {rule}",
        )
    return InputError(f"region {typed} is outside contig {contig} (length {n:,})", hint=rule)


def region_target(
    genome, contig: str, start: int, end: int, name=None, flank: int = 50,
    max_length: int | None = None,
) -> Target:  # fmt: skip
    """The genome bases [start, end) (0-based) of `contig`, with up to `flank` nt on each side;
    a `TargetTooLongError` before any base is read when it is longer than `max_length`."""
    g = open_genome(genome)
    contig = match_contig(g, contig)
    n = g.lengths[contig]
    if start < 0 or end > n or start >= end:
        raise _region_problem(contig, start, end, n)
    check_target_length(name or f"{contig}:{start + 1}-{end}", end - start, max_length)
    from helixforge.crispr.contigs import genome_aliases

    lo, hi = max(0, start - flank), min(n, end + flank)
    seq = g.fetch(contig, lo, hi)
    return Target(
        name=name or f"{contig}:{start + 1}-{end}",
        sequence=seq[start - lo : end - lo],
        contig=contig,
        start=start,
        left_flank=seq[: start - lo],
        right_flank=seq[end - lo :],
        from_genome=True,
        aliases=genome_aliases(g, contig),
        masked=case_masks(g, seq),
    )
