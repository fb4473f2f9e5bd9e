"""Design targets read from FASTA and GFF3 files as users write them."""

from __future__ import annotations

import numpy as np
import pytest

from helixforge.core.errors import InputError
from helixforge.crispr.targets import resolve_target


@pytest.fixture
def genome(tmp_path):
    seq = "".join(np.random.default_rng(3).choice(list("ACGT"), 5000))
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    return tmp_path / "g.fa", seq


def test_an_ensembl_style_gff3_names_the_cds_through_its_parents(tmp_path, genome):
    # CDS lines hold only ID and Parent; the name is on the gene, two levels up
    g, seq = genome
    (tmp_path / "a.gff3").write_text(
        "##gff-version 3\n"
        "chr1\tx\tgene\t1001\t1600\t.\t+\t.\tID=gene:G1;Name=thrA;biotype=protein_coding\n"
        "chr1\tx\tmRNA\t1001\t1600\t.\t+\t.\tID=transcript:T1;Parent=gene:G1;Name=thrA-201\n"
        "chr1\tx\tCDS\t1001\t1300\t.\t+\t0\tID=CDS:P1;Parent=transcript:T1\n"
        "chr1\tx\tCDS\t1401\t1600\t.\t+\t0\tID=CDS:P1;Parent=transcript:T1\n"
    )
    for name in ("thrA", "gene:G1", "thrA-201"):
        t = resolve_target(name, genome=g, annotation=tmp_path / "a.gff3", flank=0)
        assert t.sequence.upper() == seq[1000:1600]


def test_a_gene_outside_the_genome_names_the_annotation_line(tmp_path, genome):
    g, _ = genome
    (tmp_path / "a.gtf").write_text(
        '#comment\nchr1\tx\tCDS\t4901\t5300\t.\t+\t0\tgene_id "g1"; gene_name "farA";\n'
    )
    with pytest.raises(InputError, match=r"gene 'farA' \(a.gtf, line 2\): region chr1:4901-5300"):
        resolve_target("farA", genome=g, annotation=tmp_path / "a.gtf")


@pytest.mark.parametrize(
    "region, problem, fix",
    [
        ("chr1:2000-1000", "starts after it ends", "chr1:1000-2000"),  # written for - strand
        ("chr1:0-100", "starts at 0: there is no base 0", "chr1:1-100"),  # a 0-based start
        ("chr1:4990-5010", "ends at 5,010, past the contig's last base", "chr1:4990-5000"),
        ("chr1:6000-6100", "starts at 6,000, past the contig's last base", "assembly"),
    ],
)
def test_a_region_that_is_not_in_the_contig_says_what_is_wrong_and_what_to_give(
    genome, region, problem, fix
):
    """Every one of these was "region … is outside contig chr1 (length 5,000) or empty"."""
    g, _ = genome
    with pytest.raises(InputError, match=problem) as exc:
        resolve_target(region, genome=g)
    assert fix in exc.value.hint


def test_two_fasta_records_of_the_asked_name_are_an_error_not_the_first(tmp_path):
    (tmp_path / "t.fa").write_text(">t1\n" + "ACGT" * 20 + "\n>t1\n" + "TTGA" * 20 + "\n")
    with pytest.raises(InputError, match="2 records are named 't1'"):
        resolve_target(f"{tmp_path / 't.fa'}#t1")


def test_an_rna_target_says_it_is_rna():
    with pytest.raises(InputError, match=r"position 3 is RNA \(U\)") as exc:
        resolve_target("ACUGACGTACGTACGTACGTACGTACGT")
    assert "T for U" in exc.value.hint


def test_a_gene_name_given_without_an_annotation_is_named_as_such(tmp_path):
    """'thrA' is spelled in IUPAC letters (T, H, R, A): it was designed on as a 4-nt sequence
    ("target target is 4 nt long")."""
    from helixforge.core.errors import InputError
    from helixforge.crispr.targets import resolve_target

    for name in ("thrA", "TP53", "BRCA1", "MYC"):
        with pytest.raises(InputError, match=f"target '{name}' is not a DNA sequence") as e:
            resolve_target(name)
        assert "--annotation" in e.value.hint
    assert resolve_target("ACGTACGTAC").sequence == "ACGTACGTAC"  # short plain bases still pass


def test_a_gene_without_a_cds_is_named_as_annotated_with_the_region_to_give(tmp_path, genome):
    """A tRNA, snoRNA or lncRNA gene (Ensembl GTFs hold thousands) was "not in the annotation …
    check that the annotation is for this organism", though the annotation names it."""
    g, _ = genome
    (tmp_path / "a.gtf").write_text(
        '1\tsgd\tgene\t2001\t2080\t.\t+\t.\tgene_id "tP(UGG)A"; gene_biotype "tRNA";\n'
        '1\tsgd\tCDS\t101\t400\t.\t+\t0\tgene_id "G1"; transcript_id "G1_mRNA";\n'
    )
    with pytest.raises(InputError, match=r"'tP\(UGG\)A' is in the annotation a.gtf \(line 1: "
                       r"tRNA, 1:2001-2080\) but has no CDS") as exc:  # fmt: skip
        resolve_target("tP(UGG)A", genome=g, annotation=tmp_path / "a.gtf")
    assert exc.value.hint.endswith("give its region: -t chr1:2001-2080")  # the genome's name
    (tmp_path / "genes_only.gff3").write_text("chr1\tx\tgene\t2001\t2080\t.\t-\t.\tID=g9\n")
    with pytest.raises(InputError, match="'g9' is in the annotation genes_only.gff3"):
        resolve_target("g9", genome=g, annotation=tmp_path / "genes_only.gff3")


def test_a_fasta_whose_path_holds_a_hash_is_read_as_that_file(tmp_path):
    """'run#1/t.fa' was split at '#' into the file 'run' and the record '1/t.fa', and refused
    as "not a DNA sequence"; FILE#RECORD still names a record."""
    (tmp_path / "run#1").mkdir()
    seq = "ACGTAGCTAGCTAGCTAGCTAGCATCGATCGGGCGCG"
    (tmp_path / "run#1" / "t.fa").write_text(f">t1\n{seq}\n>t2\nACGT\n")
    with pytest.raises(InputError, match="has 2 records"):
        resolve_target(str(tmp_path / "run#1" / "t.fa"))
    assert resolve_target(str(tmp_path / "run#1" / "t.fa") + "#t1").sequence == seq


@pytest.mark.parametrize("gene", ["tatA", "nagA", "can", "CAT", "ACAN"])
def test_a_gene_name_spelled_in_base_letters_is_found_in_the_annotation(tmp_path, genome, gene):
    """E. coli tatA, nagA, can and human CAT, ACAN are written in A/C/G/T/N: with --annotation
    and --genome they were designed on as 3-4 nt sequences ("the target sequence is 4 nt
    long, shorter than one spcas9 site")."""
    g, seq = genome
    (tmp_path / "a.gff3").write_text(f"chr1\tx\tCDS\t1001\t1600\t.\t+\t0\tID=cds-1;gene={gene}\n")
    target = resolve_target(gene, genome=g, annotation=tmp_path / "a.gff3")
    assert (target.contig, target.start, target.sequence) == ("chr1", 1000, seq[1000:1600])
    short = resolve_target("ACGTACGTAC", genome=g, annotation=tmp_path / "a.gff3")
    assert short.sequence == "ACGTACGTAC"  # no gene of that name: the sequence as typed


def test_sequence_target_names_a_missing_sequence():
    from helixforge.crispr.targets import sequence_target

    with pytest.raises(InputError, match="target is missing"):
        sequence_target(None)
    assert sequence_target(b"ACGTACGTACGTACGTACGTACGTA").sequence == "ACGTACGTACGTACGTACGTACGTA"


def test_a_gene_also_annotated_on_contigs_the_genome_lacks_is_found_on_the_one_it_has(
    tmp_path, genome
):
    """An annotation of more contigs than the FASTA (alt / patch / PAR copies, another
    chromosome set) named the gene 'on several contigs' with no way out; the copy on the
    genome's own contig is the target, and copies on two of its contigs are named with their
    spans and the region to give."""
    g, seq = genome
    cds = 'x\tCDS\t1001\t1600\t.\t+\t0\tgene_id "g1"; gene_name "thrA";\n'
    (tmp_path / "a.gtf").write_text(f"1\t{cds}chrY_PAR\t{cds}scaffold_9\t{cds}")
    t = resolve_target("thrA", genome=g, annotation=tmp_path / "a.gtf", flank=0)
    assert t.sequence.upper() == seq[1000:1600]
    two = tmp_path / "two.fa"
    two.write_text(f">chr1\n{seq}\n>chrY_PAR\n{seq}\n")
    with pytest.raises(InputError, match=r"2 contigs of two.fa \(a.gtf\): chr1:1001-1600; ") as e:
        resolve_target("thrA", genome=two, annotation=tmp_path / "a.gtf", flank=0)
    assert "-t chr1:1001-1600" in e.value.hint


def test_a_named_fasta_record_is_found_though_another_record_has_no_name(tmp_path):
    """'-t t.fa#t2' was refused for a '>' line with no name elsewhere in the file."""
    seq = "".join(np.random.default_rng(5).choice(list("ACGT"), 300))
    (tmp_path / "t.fa").write_text(f">\nACGTACGT\n>t2 target\n{seq}\n")
    t = resolve_target(f"{tmp_path / 't.fa'}#t2")
    assert t.sequence.upper() == seq and t.contig == "t2"
    with pytest.raises(InputError, match="line 1"):  # which record? the nameless one is named
        resolve_target(str(tmp_path / "t.fa"))


@pytest.fixture
def colon_genome(tmp_path):
    rng = np.random.default_rng(5)
    seqs = {n: "".join(rng.choice(list("ACGT"), 600)) for n in
            ("HLA-A*01:01", "chrUn:KI270302v1", "chr1", "chr1:100")}  # fmt: skip
    (tmp_path / "g.fa").write_text("".join(f">{n}\n{s}\n" for n, s in seqs.items()))
    return tmp_path / "g.fa", seqs


@pytest.mark.parametrize(
    ("target", "contig", "start", "end"),
    [
        ("HLA-A*01:01", "HLA-A*01:01", 0, 600),  # a bare contig name holding ':'
        ("HLA-A*01:01:101-300", "HLA-A*01:01", 100, 300),  # coordinates after the last ':'
        ("chrUn:KI270302v1:1-200", "chrUn:KI270302v1", 0, 200),
        ("chrUn:KI270302v1", "chrUn:KI270302v1", 0, 600),
        ("{chr1:100}", "chr1:100", 0, 600),  # braces settle what is ambiguous (htslib)
        ("{chr1}:100-200", "chr1", 99, 200),
    ],
)
def test_a_contig_name_may_hold_colons(colon_genome, target, contig, start, end):
    """'HLA-A*01:01:101-300' was 'not a region' and 'HLA-A*01:01' was read as contig
    'HLA-A*01' from base 1: region strings are read from the right."""
    fa, seqs = colon_genome
    t = resolve_target(target, genome=fa)
    assert (t.contig, t.start, t.sequence) == (contig, start, seqs[contig][start:end])


def test_a_target_that_is_a_contig_and_a_region_of_another_is_refused_as_ambiguous(
    colon_genome,
):
    fa, _ = colon_genome
    with pytest.raises(InputError, match="target 'chr1:100' is ambiguous") as exc:
        resolve_target("chr1:100", genome=fa)
    assert "{chr1:100}" in exc.value.hint
    with pytest.raises(InputError, match="contig 'HLA-B\\*07:02' is not in g.fa"):
        resolve_target("HLA-B*07:02:1-100", genome=fa)


@pytest.mark.parametrize("kind", ["fasta", "sequence"])
def test_a_target_over_the_length_limit_is_refused_before_its_bases_are_checked(
    tmp_path, monkeypatch, kind
):
    # the check came after sequence_target's base-by-base scan: a 5 Mb FASTA target took
    # 17 s to be refused (a human chromosome: minutes)
    from helixforge.crispr import targets
    from helixforge.crispr.targets import TargetTooLongError

    def no_scan(*args, **kwargs):
        raise AssertionError("the bases were scanned before the length was checked")

    seq = "ACGT" * 300
    target = seq
    if kind == "fasta":
        target = str(tmp_path / "big.fa")
        (tmp_path / "big.fa").write_text(">big\n" + seq + "\n")
    monkeypatch.setattr(targets, "sequence_target", no_scan)
    with pytest.raises(TargetTooLongError, match="1,200 bp, longer than the design limit"):
        resolve_target(target, max_length=1000)
