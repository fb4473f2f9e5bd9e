"""Variant alleles and their sequence windows.

Alleles come from `dna.io.iter_vcf` (pysam: VCF plain / gzip / BGZF, or BCF); a record htslib
cannot parse, a POS that is not a positive integer, a REF or ALT that is not bases, a symbolic
ALT, an ALT equal to REF, an ALT holding N (an unknown base: it was scored as if it were an
allele, the effect of masking the position), a contig missing from the genome, a REF that
disagrees with the genome, an allele longer than the window and a repeat of an allele already
kept (same contig, POS, REF and ALT: it is scored once) become rows of the errors table (file,
line, column, value, reason). A BCF has no text lines: its rows are record numbers.

Windows. For every ALT allele the reference window is `window` bases of the genome with the REF
allele centred, and the alternative window the same locus with ALT in place of REF, re-centred
so that it also has exactly `window` bases (for indels the flanks shift; both windows stay the
model's length). Windows that run past a contig end are padded with N (all-zero one-hot). An N
in REF matches any genome base and the windows take the genome's base there; a REF base one of
the bases of a genome ambiguity code stands for (C at an S) matches it, and the windows take
the VCF's base.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from helixforge.core.errors import ConfigError, EmptyInputError, InputError, RowErrors

_BASES_RE = re.compile(r"^[ACGTN]+$")


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
        """SNV, MNV, insertion, deletion or complex, of the alleles without the bases they
        share at their ends (as `bcftools norm` trims them): an ALT of a multi-allelic record
        keeps the record's REF, so REF=TCG ALT=T,TCA gives TCG>TCA, an SNV at POS+2 (it was
        an 'MNV'), and TC>TTC or A>CA (anchored after, as at POS 1) an insertion ('complex')."""
        ref, alt = self.ref, self.alt
        while ref and alt and ref[-1] == alt[-1]:
            ref, alt = ref[:-1], alt[:-1]
        while ref and alt and ref[0] == alt[0]:
            ref, alt = ref[1:], alt[1:]
        r, a = len(ref), len(alt)
        if r == a == 1:
            return "SNV"
        if r == a:
            return "MNV"
        if a == 0:
            return "deletion"
        if r == 0:
            return "insertion"
        return "complex"


def read_variants(path: str | os.PathLike, errors: RowErrors | None = None) -> list[Variant]:
    """ALT alleles of a VCF / BCF (via `dna.io.iter_vcf`), multi-allelic records split.

    Records that cannot be scored go to `errors` with their file line; an input with no
    variant record at all raises `EmptyInputError`.
    """
    from helixforge.dna.io import iter_vcf
    from helixforge.lm.inputs import as_path

    p = as_path(path, "vcf")
    errors = errors if errors is not None else RowErrors(p)
    out: list[Variant] = []
    n_before = len(errors)
    for a in iter_vcf(p, errors=errors):
        # a BCF has no text lines: its rows (errors table, output `line`) are record numbers
        line = a.line if a.line is not None else a.record
        ref = str(a.ref or "").upper()
        if a.pos is None or a.pos < 1:
            errors.add(line, "POS", a.pos, "POS must be a positive integer (1-based)")
            continue
        if not _BASES_RE.match(ref):
            why = "REF must be bases A, C, G, T or N" + _dash_note(ref) + _code_note(ref, "REF")
            errors.add(line, "REF", ref, why)
            continue
        if a.alt is None or a.alt in {".", ""}:
            errors.add(line, "ALT", ".", "no ALT allele")
            continue
        alt = str(a.alt).upper()
        if not _BASES_RE.match(alt):
            why = _not_bases_reason(str(a.alt))
            errors.add(line, "ALT", str(a.alt), why)  # as written: breakends name contigs
            continue
        if alt == ref:  # not a variant: scoring it would report a zero effect as a finding
            errors.add(line, "ALT", alt, "ALT is the same as REF: not a variant")
            continue
        if "N" in alt:  # an unknown base: its window is an all-zero column, not an allele
            errors.add(line, "ALT", alt, "ALT holds N (an unknown base): no allele to score")
            continue
        out.append(Variant(str(a.chrom), int(a.pos), str(a.id), ref, alt, line))
    if not out and len(errors) == n_before:
        raise EmptyInputError(
            f"{p}: no variant records", hint="a VCF needs a '#CHROM' header and variant lines"
        )
    return out


def _not_bases_reason(alt: str) -> str:
    """Why an ALT that is not bases is refused: what kind of allele it is (VCF 4.3 §5)."""
    unscored = "not scored: a window model compares two base sequences"
    if alt == "*":
        return (
            f"'*' is an allele spanned by a deletion of another record (no bases here): "
            f"{unscored}; the deletion itself is scored on its own record"
        )
    if alt.startswith("<") and alt.endswith(">"):
        return (
            f"symbolic ALT {alt} (a structural variant or a gVCF reference block): {unscored}; "
            "give the alleles as bases, or score structural variants with an SV tool"
        )
    if "[" in alt or "]" in alt:
        return f"breakend ALT (a rearrangement joining two loci): {unscored}"
    if len(alt) > 1 and (alt.startswith(".") or alt.endswith(".")):
        return f"single breakend ALT (a join to an unknown sequence): {unscored}"
    return "ALT must be bases A, C, G, T or N" + _dash_note(alt) + _code_note(alt, "ALT")


def _code_note(allele: str, column: str) -> str:
    """What an IUPAC ambiguity code in an allele stands for, and what to write instead."""
    from helixforge.dna.sequence import IUPAC

    code = next((c for c in allele.upper() if c in "RYSWKMBDHV"), None)
    if code is None:
        return ""
    bases = IUPAC[code]
    note = f" ({code!r} is an IUPAC ambiguity code ({' or '.join(bases)}), not one base: "
    if column == "REF":
        return note + "REF is the genome's base at POS)"
    if len(allele) == 1:
        return note + f"write one ALT per base (ALT={','.join(bases)}))"
    return note + "write one ALT per sequence of bases)"


def _dash_note(allele: str) -> str:
    """How to write an indel that a table gave as '-' (MPRA and MAF style) in VCF."""
    if "-" not in allele:
        return ""
    return (
        " ('-' is not VCF: write an indel with its anchor base, e.g. a deletion of C after A "
        "as REF=AC ALT=A, an insertion as REF=A ALT=AC)"
    )


# ---------------------------------------------------------------- genome access


class MemoryGenome:
    """A {contig: sequence} mapping with the small part of the `Genome` API used here."""

    def __init__(self, contigs: Mapping[str, str]):
        from helixforge.lm.inputs import as_sequence

        # None was kept as the text 'NONE' (every REF then "did not match the genome")
        self._seqs = {str(k): as_sequence(v, f"genome[{k!r}]").upper() for k, v in contigs.items()}
        self.lengths = {k: len(v) for k, v in self._seqs.items()}

    def resolve(self, chrom: str) -> str | None:
        """`chrom`, else its chr-prefix / Ensembl spelling (as `dna.io.Genome` resolves it)."""
        if chrom in self._seqs:
            return chrom
        from helixforge.dna.io.genome import contig_aliases

        return next((a for a in contig_aliases(str(chrom)) if a in self._seqs), None)

    def fetch(self, chrom: str, start: int, end: int) -> str:
        return self._seqs[chrom][start:end]


class FileGenome:
    """A `dna.io.Genome` seen through the same small API (unknown contigs resolve to None)."""

    def __init__(self, genome: Any):
        self.g = genome
        self.lengths = genome.lengths

    def resolve(self, chrom: str) -> str | None:
        try:
            return self.g.resolve_contig(chrom)
        except InputError:
            return None

    def fetch(self, chrom: str, start: int, end: int) -> str:
        return self.g.fetch(chrom, start, end).upper()


def as_genome(genome: Any) -> MemoryGenome | FileGenome:
    """A genome given as a FASTA path, a `dna.io.Genome` or a {contig: sequence} dict."""
    if isinstance(genome, MemoryGenome | FileGenome):
        return genome
    if isinstance(genome, str | os.PathLike):
        from helixforge.dna.io import Genome

        return FileGenome(Genome(genome))
    if hasattr(genome, "resolve_contig") and hasattr(genome, "lengths"):
        return FileGenome(genome)
    if isinstance(genome, Mapping):
        return MemoryGenome(genome)
    raise ConfigError(
        f"genome must be a FASTA path, a dna.io.Genome or a dict, got {type(genome).__name__}"
    )


_genome = as_genome  # the name used before the split


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


def _trimmed(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """(POS, REF, ALT) without the bases both alleles share at their ends, keeping one base
    each (VCF's anchor), as `bcftools norm` trims the ALTs of a split multi-allelic record."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def _ref_agrees(vcf_base: str, genome_base: str) -> bool:
    """A REF base agrees with the genome's: the same base, an N in REF (any base), or one of
    the bases a genome ambiguity code stands for (C at an S); a genome N (a gap) agrees with
    no REF base but N."""
    if vcf_base == genome_base or vcf_base == "N":
        return True
    from helixforge.dna.sequence import IUPAC

    return genome_base in "RYSWKMBDHV" and vcf_base in IUPAC[genome_base]


def _contig_key(name: str) -> str:
    """A contig name without what spellings of one chromosome differ in: case, a 'chr'
    prefix, '_' / '-', leading zeros ('chr01'), and M / MT / Mito for the mitochondrion."""
    key = re.sub(r"[_\-\s]", "", str(name).lower())
    key = key.removeprefix("chr") or key
    key = re.sub(r"^0+(?=\d)", "", key)
    return "m" if key in {"m", "mt", "mito", "chrm"} else key


def _missing_contig_reason(chrom: str, lengths: Mapping[str, int]) -> str:
    """Why `chrom` is not scored, naming the genome's spelling of it when one is alike."""
    alike = [c for c in lengths if _contig_key(c) == _contig_key(chrom)]
    if len(alike) == 1:
        return (
            f"contig {chrom!r} is not in the genome, but the genome spells it {alike[0]!r}: "
            f"rename the VCF's contigs to the genome's (bcftools annotate --rename-chrs MAP, "
            f"MAP holding the line '{chrom} {alike[0]}'), if they are the same chromosome"
        )
    shown = ", ".join(list(lengths)[:8])
    more = " …" if len(lengths) > 8 else ""
    return (
        f"contig {chrom!r} is not in the genome (contigs: {shown}{more}), nor its "
        "chr-prefix / Ensembl spelling; use a genome of the VCF's assembly, or rename "
        "the VCF's contigs to the genome's (bcftools annotate --rename-chrs MAP)"
    )


def usable_alleles(
    variants: list[Variant], g, window: int, errors: RowErrors
) -> list[tuple[Variant, str, str, str]]:
    """(variant, contig, ref window, alt window) of every allele that can be scored; the others
    go to `errors` (`checked_alleles`)."""
    return [
        (v, chrom, *variant_windows(g, as_windowed, chrom, window))
        for v, chrom, as_windowed in checked_alleles(variants, g, window, errors)
    ]


def checked_alleles(
    variants: list[Variant], g, window: int, errors: RowErrors
) -> list[tuple[Variant, str, Variant]]:
    """(variant, contig, the variant as its windows take it) of every allele that can be
    scored, without the windows: `variant_windows(g, third, contig, window)` makes them when
    they are scored, a chunk at a time (all windows of a large VCF were held at once, ~0.7 kB
    an allele at the default window). The others go to `errors` (contig missing, past the
    contig end, REF mismatch, allele > window, a repeat of an allele already kept: the same
    contig, POS, REF and ALT)."""
    usable = []
    seen: dict[tuple[str, int, str, str], tuple[int | None, tuple[int, str, str]]] = {}
    for v in variants:
        chrom = g.resolve(v.chrom)
        if chrom is None:
            errors.add(v.line, "CHROM", v.chrom, _missing_contig_reason(v.chrom, g.lengths))
            continue
        p0 = v.pos - 1
        if p0 + len(v.ref) > g.lengths[chrom]:
            reason = (
                f"position past the end of {chrom} (length {g.lengths[chrom]:,}): the VCF is "
                "of another assembly than the genome, or POS is wrong"
            )
            errors.add(v.line, "POS", v.pos, reason)
            continue
        found = g.fetch(chrom, p0, p0 + len(v.ref))
        if not all(map(_ref_agrees, v.ref, found)):
            reason = (
                f"REF does not match the genome at {chrom}:{v.pos}: "
                f"expected {found} (genome), found {v.ref} (VCF); check that the VCF was "
                "called on this genome (assembly version); bcftools norm -c w -f GENOME lists "
                "every such record"
            )
            errors.add(v.line, "REF", v.ref, reason)
            continue
        if max(len(v.ref), len(v.alt)) > window:
            column, allele = ("REF", v.ref) if len(v.ref) >= len(v.alt) else ("ALT", v.alt)
            reason = (
                f"{column} is {len(allele):,} bases, longer than the {window}-base window: "
                "the model would not see both alleles; raise --window (up to the model's "
                "maximum input), or score it as a structural variant with an SV tool"
            )
            errors.add(v.line, column, allele, reason)
            continue
        # the change itself, trimmed of shared end bases: TTG>TTA at POS 4 (an ALT of a
        # multi-allelic record) is the G>A at POS 6 of another record, and was scored twice
        key = (chrom, *_trimmed(v.pos, v.ref, v.alt))
        if key in seen:  # scored twice, it was ranked twice and doubled a join's rows
            line0, first = seen[key]
            other = "" if first == (v.pos, v.ref, v.alt) else ", the same change written there"
            reason = (
                f"duplicate of the allele on line {line0} ({chrom}:{first[0]} {first[1]}>"
                f"{first[2]}{other}): scored once; remove repeated records (bcftools norm "
                "-m - -d exact)"
            )
            errors.add(v.line, "ALT", v.alt, reason)
            continue
        seen[key] = (v.line, (v.pos, v.ref, v.alt))
        # an N in REF stands for whatever the genome has there: the windows hold the genome's
        # bases (the reference), not N (an all-zero column)
        usable.append((v, chrom, replace(v, ref=found) if "N" in v.ref else v))
    return usable
