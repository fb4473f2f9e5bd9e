"""Contig names across UCSC, Ensembl and RefSeq spellings: which genome contig an annotation
(GTF/GFF) or region contig means.

    map_contig("V", genome)              # 'chrV'   (chr prefix)
    map_contig("MT", genome)             # 'chrM'   (mitochondrion: M, MT, chrM, Mito, …)
    map_contig("NC_001137.3", genome)    # 'chrV'   (RefSeq accession, small alias table)
    map_contig("1", genome)              # 'NC_000001.11' when its FASTA header says
                                         #  "Homo sapiens chromosome 1, GRCh38.p14 …"

A name maps when exactly one genome contig shares one of its spelling-free keys
(`contig_keys`): the name without ``chr``, mitochondrion and chloroplast synonyms, UCSC
``chrUn_KI270302v1`` ≡ GenBank ``KI270302.1``, the RefSeq accession without its version and
its chromosome from `REFSEQ_CHROMOSOMES`, and — read from the FASTA only when nothing else
matched — the chromosome named in the genome's own FASTA header (NCBI "chromosome 1",
Ensembl "chromosome:GRCh38:1:…"). No match, or several, is an error naming both sides.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from helixforge.core.errors import InputError

_MITO = {"M", "MT", "MITO", "MITOCHONDRION", "MTDNA", "MITOCHONDRIAL"}
_PLASTID = {"PT", "C", "CP", "CHLOROPLAST", "PLASTID"}


def _refseq_table() -> dict[str, str]:
    """Primary-assembly RefSeq accessions (version dropped) → chromosome, for common models."""
    t: dict[str, str] = {}
    # human GRCh37/GRCh38
    t.update({f"NC_{i:06d}": str(i) for i in range(1, 23)})
    t.update({"NC_000023": "X", "NC_000024": "Y", "NC_012920": "MT"})
    # mouse GRCm38/GRCm39
    t.update({f"NC_{66 + i:06d}": str(i) for i in range(1, 20)})
    t.update({"NC_000086": "X", "NC_000087": "Y", "NC_005089": "MT"})
    # budding yeast S288C (R64)
    roman = "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI".split()
    t.update({f"NC_{1132 + i:06d}": r for i, r in enumerate(roman, start=1)})
    t["NC_001224"] = "MT"
    # C. elegans WBcel235
    t.update(dict(zip([f"NC_{3278 + i:06d}" for i in range(1, 7)], "I II III IV V X".split())))
    t["NC_001328"] = "MT"
    # D. melanogaster BDGP6
    t.update({"NC_004354": "X", "NT_033779": "2L", "NT_033778": "2R", "NT_037436": "3L",
              "NT_033777": "3R", "NC_004353": "4", "NC_024512": "Y", "NC_024511": "MT"})  # fmt: skip
    # zebrafish GRCz11
    t.update({f"NC_{7111 + i:06d}": str(i) for i in range(1, 26)})
    t["NC_002333"] = "MT"
    # Arabidopsis TAIR10
    t.update({"NC_003070": "1", "NC_003071": "2", "NC_003074": "3", "NC_003075": "4",
              "NC_003076": "5", "NC_037304": "MT", "NC_000932": "PT"})  # fmt: skip
    return t


REFSEQ_CHROMOSOMES: dict[str, str] = _refseq_table()
_ACCESSION = re.compile(r"^([A-Z]{1,2}_?\d{5,9})(?:\.(\d+))?$", re.I)
_PIECE = re.compile(r"scaffold|unlocalized|unplaced|patch|alternate|alt_|contig\b", re.I)
_UCSC_ACC = re.compile(r"^(?:chr[^_]*_)?([A-Z]{1,2}\d{5,9})v(\d+)(?:_(?:random|alt|fix))?$", re.I)


def contig_keys(name: str, description: str = "") -> frozenset[str]:
    """Spelling-free keys of a contig name (upper-case): ``chrV`` and ``V`` share ``V``,
    ``chrM``/``MT``/``Mito`` share ``MT``, ``NC_001137.3`` gives ``NC_001137`` and ``V``.
    `description` (the rest of a FASTA header) adds the chromosome it names."""
    s = str(name).strip()
    keys = {s.upper()}
    bare = s[3:] if s.lower().startswith("chr") and len(s) > 3 else s
    up = bare.upper()
    keys.add(up)
    if up in _MITO:
        keys.add("MT")
    if up in _PLASTID:
        keys.add("PT")
    if m := _UCSC_ACC.match(s):  # UCSC chrUn_KI270302v1 ≡ GenBank KI270302.1
        keys.add(f"{m[1]}.{m[2]}".upper())
        keys.add(m[1].upper())
    if m := _ACCESSION.match(s):
        acc = m[1].upper()
        keys.add(acc)
        if acc in REFSEQ_CHROMOSOMES:
            keys.add(REFSEQ_CHROMOSOMES[acc])
    if description:
        keys |= _description_keys(description)
    return frozenset(keys)


def _description_keys(desc: str) -> set[str]:
    d = desc.strip()
    keys: set[str] = set()
    if m := re.search(r"\bchromosome:[^:\s]+:([^:\s]+):", d):  # Ensembl
        keys.add(m[1].upper())
    elif _PIECE.search(d):  # a scaffold of chromosome 1 is not chromosome 1
        return keys
    elif m := re.search(r"\b(?:chromosome|chr)\s+([A-Za-z0-9]+)\b", d, re.I):  # NCBI
        keys.add(m[1].upper())
    elif re.search(r"\bmitochondri(?:on|al)\b", d, re.I):
        keys.add("MT")
    elif re.search(r"\b(?:chloroplast|plastid)\b", d, re.I):
        keys.add("PT")
    return {"MT" if k in _MITO else k for k in keys}


def _genome_name(g) -> str:
    return Path(g.path).name if getattr(g, "path", None) else "the genome"


def _shown(names, n: int = 6) -> str:
    names = list(names)
    return ", ".join(map(str, names[:n])) + (f" … ({len(names)} in all)" if len(names) > n else "")


@lru_cache(maxsize=8)
def _keys_by_contig(g) -> dict[str, frozenset[str]]:
    return {c: contig_keys(c) for c in g.contigs}


@lru_cache(maxsize=8)
def _header_keys_by_contig(g) -> dict[str, frozenset[str]]:
    """Keys from the FASTA's own header lines (read by random access through the .fai)."""
    descs = fasta_descriptions(g)
    return {c: contig_keys(c, descs.get(c, "")) for c in g.contigs}


def fasta_descriptions(g, max_contigs: int = 20_000) -> dict[str, str]:
    """{contig: header text after the name} of an indexed FASTA (`dna.io.Genome`); empty for
    in-memory genomes, unreadable headers or more than `max_contigs` contigs."""
    fasta, fai = getattr(g, "fasta_path", None), getattr(g, "index_path", None)
    if fasta is None or fai is None or len(g.contigs) > max_contigs:
        return {}
    try:
        from pyfaidx import Faidx

        fx = Faidx(str(fasta), indexname=str(fai), gzi_indexname=getattr(g, "gzi_path", None))
        try:
            out = {}
            for c in g.contigs:
                head = fx.get_long_name(c).strip()
                out[c] = head[len(c) :].strip() if head.startswith(c) else head
            return out
        finally:
            fx.close()
    except Exception:  # a header we cannot read only means one alias source fewer
        return {}


def map_contig(name: str, genome, where: str = "", other_names=None, other_label: str = "") -> str:
    """The genome's contig for `name` (exact, else by shared `contig_keys`, else through the
    FASTA headers), or an `InputError` that lists names from both sides (`other_names`: the
    contigs of the annotation `name` came from, labelled `other_label`)."""
    g = genome
    if name in g.lengths:
        return name
    keys = contig_keys(name)
    for table in (_keys_by_contig, _header_keys_by_contig):
        same = [c for c, k in table(g).items() if k & keys]
        if len(same) == 1:
            return same[0]
        if len(same) > 1:
            raise InputError(
                f"{where + ': ' if where else ''}contig {name!r} matches several contigs of "
                f"{_genome_name(g)}: {_shown(same)}",
                hint="use the genome's exact contig name",
            )
    prefix = f"{where}: " if where else ""
    hint = f"{_genome_name(g)} has {_shown(g.contigs)}"
    if other_names is not None:
        hint += f"; {other_label or 'the annotation'} has {_shown(sorted(set(other_names)))}"
    raise InputError(
        f"{prefix}contig {name!r} is not in {_genome_name(g)}, and no chr-prefix, "
        "mitochondrion, UCSC/Ensembl/RefSeq alias or FASTA-header name maps it",
        hint=hint + ". Use an annotation and a genome of the same assembly, or rename contigs",
    )


def genome_aliases(genome, contig: str) -> frozenset[str]:
    """Every key under which `contig` of `genome` is known (its name spellings and, when the
    FASTA header names a chromosome, that name) — annotation seqids sharing one map to it."""
    return _keys_by_contig(genome).get(contig, contig_keys(contig)) | _lazy_header(genome, contig)


def _lazy_header(g, contig: str) -> frozenset[str]:
    if getattr(g, "fasta_path", None) is None:
        return frozenset()
    return _header_keys_by_contig(g).get(contig, frozenset())
