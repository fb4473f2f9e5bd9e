"""Which VCF alleles are scored and which go to the errors table, and why (`variants.alleles`).

    errors = RowErrors("calls.vcf")
    variants = read_variants("calls.vcf", errors)          # bad records → errors, with a reason
    usable = usable_alleles(variants, genome, 200, errors)  # genome checks → errors

Every ALT allele of the file ends in `usable` or in `errors`, never in neither.
"""

import pytest

from helixforge.core.errors import RowErrors
from helixforge.dna.variants import as_genome, read_variants, usable_alleles

HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
CHR1 = "ACGTTGCAAC" * 40  # 400 bases; base 100 (1-based) is C, 101 is A


def vcf(tmp_path, *records, name="calls.vcf"):
    p = tmp_path / name
    p.write_text(HEADER + "".join(r + "\n" for r in records))
    return p


def sort_out(path, genome=None, window=50):
    """(scored alleles, errors) of the VCF at `path` against `genome` (default: chr1)."""
    errors = RowErrors(path)
    variants = read_variants(path, errors)
    usable = usable_alleles(variants, as_genome(genome or {"chr1": CHR1}), window, errors)
    return [u[0] for u in usable], list(errors)


def test_a_duplicate_record_is_scored_once_and_the_copy_is_an_errors_row(tmp_path):
    """The same variant twice (two VCFs concatenated, a merge) was scored twice: the output
    ranked it twice and a join on chrom/pos/ref/alt doubled its rows."""
    p = vcf(
        tmp_path,
        "chr1\t100\ta\tC\tA\t.\t.\t.",
        "chr1\t101\tb\tA\tG\t.\t.\t.",
        "chr1\t100\ta\tC\tA\t.\t.\t.",  # the first record again
        "1\t100\ta2\tc\ta,T\t.\t.\t.",  # again, as '1' and lower case; T is new
    )
    scored, errors = sort_out(p)
    assert [(v.line, v.alt) for v in scored] == [(3, "A"), (4, "G"), (6, "T")]
    assert [(e.row, e.column) for e in errors] == [(5, "ALT"), (6, "ALT")]
    assert all("duplicate of the allele on line 3" in e.reason for e in errors)
    assert all("scored once" in e.reason for e in errors)
    assert len(scored) + len(errors) == 5  # every ALT allele is in one of the two


def test_an_allele_longer_than_the_window_names_its_column_length_and_the_fix(tmp_path):
    """A 60-base deletion was reported as column ALT, value 'A' (the 1-base allele), with
    no length and nothing to do about it."""
    deleted = CHR1[199:260]
    p = vcf(
        tmp_path,
        f"chr1\t200\tdel\t{deleted}\t{deleted[0]}\t.\t.\t.",
        f"chr1\t300\tins\t{CHR1[299]}\t{CHR1[299]}{'G' * 60}\t.\t.\t.",
    )
    scored, errors = sort_out(p, window=50)
    assert scored == []
    (d, i) = errors
    assert (d.row, d.column, d.value) == (3, "REF", deleted)
    assert "REF is 61 bases, longer than the 50-base window" in d.reason
    assert (i.row, i.column) == (4, "ALT") and "ALT is 61 bases" in i.reason
    assert all("--window" in e.reason for e in errors)  # what to do
    assert all("structural variant" in e.reason for e in errors)


@pytest.mark.parametrize(
    ("alt", "why"),
    [
        ("<DEL>", "symbolic ALT"),
        ("<NON_REF>", "symbolic ALT"),
        ("*", "'*' is an allele spanned by a deletion"),
        ("C[chr1:300[", "breakend"),
        ("]chr1:300]C", "breakend"),
        ("C.", "single breakend"),
        (".C", "single breakend"),
    ],
)
def test_symbolic_and_breakend_alleles_are_named_as_what_they_are(tmp_path, alt, why):
    """A single breakend ('C.') was 'ALT must be bases A, C, G, T or N', and a breakend's
    value was upper-cased in the errors table ('C[CHR1:300['), no longer the file's text."""
    p = vcf(tmp_path, f"chr1\t100\tsv\tC\t{alt}\t.\t.\tSVTYPE=BND")
    scored, (e,) = sort_out(p)
    assert scored == []
    assert (e.row, e.column, e.value) == (3, "ALT", alt)  # the value as written
    assert why in e.reason and "not scored" in e.reason


def test_bcf_errors_rows_are_record_numbers(tmp_path):
    """A BCF has no text lines: its errors rows had no row at all (the table's row was
    empty), so a rejected record could not be found; they are now the record number, as is
    the output's `line`."""
    pysam = pytest.importorskip("pysam")
    header = pysam.VariantHeader()
    header.add_line("##contig=<ID=chr1,length=400>")
    header.add_line('##INFO=<ID=END,Number=1,Type=Integer,Description="End of the allele">')
    path = tmp_path / "calls.bcf"
    with pysam.VariantFile(str(path), "wb", header=header) as out:
        for pos, alleles in [(100, ("C", "A")), (101, ("A", "<DEL>")), (102, ("C", "G"))]:
            rec = out.new_record(contig="chr1", start=pos - 1, stop=pos, alleles=alleles)
            out.write(rec)
    scored, errors = sort_out(path)
    assert [v.line for v in scored] == [1, 3]
    assert [(e.row, e.column, e.value) for e in errors] == [(2, "ALT", "<DEL>")]


@pytest.mark.parametrize(
    ("written", "genome_has"),
    [("chr01", "chr1"), ("chrm", "chrM"), ("CHR_1", "chr1"), ("NC_1", None)],
)
def test_a_contig_spelled_otherwise_than_the_genome_names_both_spellings(
    tmp_path, written, genome_has
):
    """'chr01' for the genome's 'chr1', 'chrm' for 'chrM': the row listed the genome's
    contigs only, leaving the reader to spot which one was meant. (chrMT, MT and Mito are
    read as chrM: `dna.io.genome.contig_aliases`.)"""
    p = vcf(tmp_path, f"{written}\t100\tv\tC\tA\t.\t.\t.")
    scored, (e,) = sort_out(p, {"chr1": CHR1, "chrM": CHR1[:200]})
    assert scored == [] and (e.row, e.column, e.value) == (3, "CHROM", written)
    if genome_has is None:  # nothing alike: the contigs are listed, no guess is made
        assert "spells it" not in e.reason and "contigs: chr1, chrM" in e.reason
    else:
        assert f"the genome spells it {genome_has!r}" in e.reason
        assert f"'{written} {genome_has}'" in e.reason  # the line of a --rename-chrs map


def test_an_ambiguity_code_allele_names_the_bases_it_stands_for(tmp_path):
    """ALT 'R' (A or G, from a caller that writes heterozygous calls as IUPAC codes) and
    REF 'Y' were 'must be bases A, C, G, T or N', which does not say what to write instead."""
    p = vcf(tmp_path, "chr1\t100\tr\tC\tR\t.\t.\t.", "chr1\t101\ty\tY\tG\t.\t.\t.")
    scored, (alt, ref) = sort_out(p)
    assert scored == []
    assert (alt.row, alt.column, alt.value) == (3, "ALT", "R")
    assert "'R' is an IUPAC ambiguity code (A or G)" in alt.reason
    assert "one ALT per base (ALT=A,G)" in alt.reason
    assert (ref.row, ref.column) == (4, "REF") and "'Y' is an IUPAC ambiguity code" in ref.reason
    assert "REF is the genome's base" in ref.reason


def test_the_kind_of_a_split_multi_allelic_alt_is_that_of_its_own_change(tmp_path):
    """REF=TTG ALT=T,TTA: the second ALT keeps the record's 3-base REF and was an 'MNV'; it is
    the SNV G>A two bases on (as bcftools norm trims it). A>CA (an insertion anchored after it,
    as VCF writes one at POS 1) was 'complex'."""
    p = vcf(tmp_path, "chr1\t4\tm\tTTG\tT,TTA\t.\t.\t.", "chr1\t1\tfirst\tA\tCA\t.\t.\t.")
    scored, errors = sort_out(p)
    assert errors == []
    assert [(v.ref, v.alt, v.kind) for v in scored] == [
        ("TTG", "T", "deletion"),
        ("TTG", "TTA", "SNV"),
        ("A", "CA", "insertion"),
    ]


def test_one_change_written_two_ways_is_scored_once(tmp_path):
    """G>A at POS 6, and TTG>TTA at POS 4 (the ALT of a multi-allelic record, which keeps the
    record's REF): one change, scored twice (bcftools norm -m - -d exact keeps one)."""
    p = vcf(tmp_path, "chr1\t6\ts\tG\tA\t.\t.\t.", "chr1\t4\tm\tTTG\tT,TTA\t.\t.\t.")
    scored, errors = sort_out(p)
    assert [(v.pos, v.ref, v.alt) for v in scored] == [(6, "G", "A"), (4, "TTG", "T")]
    (dup,) = errors
    assert (dup.row, dup.value) == (4, "TTA")
    assert "duplicate of the allele on line 3 (chr1:6 G>A, the same change written there)" in (
        dup.reason
    )
