"""Reading FASTA / FASTQ / BED / GFF / VCF, the Genome class and sequence validation."""

import gzip

import pytest

from helixforge.core.errors import EmptyInputError, InputError, RowErrors
from helixforge.dna.io import (
    Genome,
    bed_to_sequences,
    clean_sequence,
    n_runs,
    read_bed,
    read_fasta,
    read_fastq,
    read_gff,
    read_vcf,
    soft_masked_fraction,
    write_fasta,
    write_gff3,
)

GENOME = {"chr1": "ACGTACGTAA" * 10, "chr2": "GGGGCCCCAT" * 5}


@pytest.fixture
def genome_fa(tmp_path):
    path = tmp_path / "genome.fa"
    write_fasta(GENOME.items(), path)
    return path


def test_read_fasta_records_and_line_numbers(tmp_path):
    path = tmp_path / "a.fa.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(">s1 label=1\nACGT\nacgt\n\n>s2\nNNNN\n")
    recs = list(read_fasta(path))
    assert [r.id for r in recs] == ["s1", "s2"]
    assert recs[0].seq == "ACGTacgt" and recs[0].line == 1 and recs[1].line == 5
    assert recs[0].description == "s1 label=1"


def test_empty_fasta_is_an_error(tmp_path):
    path = tmp_path / "empty.fa"
    path.write_text("")
    with pytest.raises(EmptyInputError, match="no FASTA records"):
        list(read_fasta(path))


def test_text_before_header_names_the_line(tmp_path):
    path = tmp_path / "bad.fa"
    path.write_text("ACGT\n>s1\nACGT\n")
    with pytest.raises(InputError, match="line 1"):
        list(read_fasta(path))


def test_read_fastq(tmp_path):
    path = tmp_path / "r.fq"
    path.write_text("@r1\nACGT\n+\nIIII\n@r2\nGG\n+\nII\n")
    recs = list(read_fastq(path))
    assert [(r.id, r.seq, r.quality) for r in recs] == [("r1", "ACGT", "IIII"), ("r2", "GG", "II")]


def test_clean_sequence_policies():
    assert clean_sequence("acgtn") == "ACGTN"
    with pytest.raises(InputError, match="position 3"):
        clean_sequence("ACRT", where="x.fa, record s1")
    assert clean_sequence("ACRT", iupac="n") == "ACNT"
    assert clean_sequence("ACRT", iupac="keep") == "ACRT"
    with pytest.raises(InputError, match="'X' at position 2 is not a nucleotide"):
        clean_sequence("AXGT", iupac="keep")
    with pytest.raises(InputError, match="longer than the maximum of 3"):
        clean_sequence("ACGT", max_len=3)
    with pytest.raises(InputError, match="are N"):
        clean_sequence("NNNA", max_n_fraction=0.5)


def test_soft_mask_and_n_runs():
    assert soft_masked_fraction("ACgt") == 0.5
    assert n_runs("ACNNNNGTNA", min_run=2) == [(2, 6)]


def test_genome_fetch_both_strands(genome_fa):
    g = Genome(genome_fa)
    assert g.contigs == ["chr1", "chr2"] and g.lengths["chr2"] == 50
    assert g.fetch("chr1", 0, 4) == "ACGT"
    assert g.fetch("chr2", 0, 5, strand="-") == "GCCCC"  # GGGGC reversed and complemented
    assert g.fetch("1", 0, 2) == "AC"  # chr prefix alias


def test_genome_from_plain_gzip_is_decompressed_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "g.fa.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(">c\nACGTTTGA\n")
    g = Genome(path)
    assert "plain gzip" in g.source_note
    assert g.fetch("c", 2, 6) == "GTTT"


def test_unknown_contig_lists_close_names(genome_fa):
    g = Genome(genome_fa)
    with pytest.raises(InputError, match="closest names: chr1"):
        g.fetch("chr11", 0, 5)


def test_bed_to_sequences_honours_strand(genome_fa, tmp_path):
    bed = tmp_path / "r.bed"
    bed.write_text("track name=x\nchr1\t0\t4\tr1\t0\t+\nchr2\t0\t3\tr2\t0\t-\n")
    df = read_bed(bed)
    assert df.index.tolist() == [2, 3]
    seqs = bed_to_sequences(bed, Genome(genome_fa))
    assert seqs["sequence"].tolist() == ["ACGT", "CCC"]
    both = bed_to_sequences(bed, Genome(genome_fa), both_strands=True)
    assert both["sequence"].tolist() == ["ACGT", "ACGT", "GGG", "CCC"]


def test_bed_outside_contig_goes_to_errors(genome_fa, tmp_path):
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t0\t4\nchr1\t95\t120\nchrZ\t0\t5\n")
    errors = RowErrors(bed)
    seqs = bed_to_sequences(bed, Genome(genome_fa), errors=errors)
    assert len(seqs) == 1
    reasons = [e.reason for e in errors]
    assert any("outside contig chr1" in r for r in reasons) and any("chrZ" in r for r in reasons)
    assert sorted(errors.rows()) == [2, 3]
    with pytest.raises(InputError, match="line 2"):
        bed_to_sequences(bed, Genome(genome_fa))


def test_bad_bed_coordinates(tmp_path):
    bed = tmp_path / "bad.bed"
    bed.write_text("chr1\tten\t20\n")
    with pytest.raises(InputError, match="line 1"):
        read_bed(bed)


def test_read_gff3_and_gtf(tmp_path):
    gff = tmp_path / "a.gff3"
    gff.write_text(
        "##gff-version 3\n"
        "c\tsrc\tgene\t3\t11\t.\t+\t.\tID=g1;Name=abc\n"
        "c\tsrc\tCDS\t3\t11\t.\t+\t0\tID=cds1;Parent=g1\n"
    )
    cds = read_gff(gff, types={"CDS"})
    assert len(cds) == 1
    row = cds.iloc[0]
    assert (row.start, row.end, row.strand, row.id, row.parent) == (2, 11, "+", "cds1", "g1")
    gtf = tmp_path / "a.gtf"
    gtf.write_text('c\tsrc\tCDS\t1\t9\t.\t-\t0\tgene_id "G1"; transcript_id "T1";\n')
    row = read_gff(gtf).iloc[0]
    assert (row.start, row.gene_id, row.parent) == (0, "G1", "T1")


def test_gff_wrong_columns_names_line(tmp_path):
    gff = tmp_path / "bad.gff3"
    gff.write_text("##gff-version 3\nc\tsrc\tCDS\t1\n")
    with pytest.raises(InputError, match="line 2"):
        read_gff(gff)


def test_write_gff3_roundtrip(tmp_path):
    import pandas as pd

    df = pd.DataFrame(
        [
            {
                "seqid": "c",
                "type": "CDS",
                "start": 9,
                "end": 30,
                "strand": "-",
                "id": "g1",
                "phase": 0,
            }
        ]
    )
    path = write_gff3(df, tmp_path / "o.gff3")
    back = read_gff(path)
    assert (back.iloc[0].start, back.iloc[0].end, back.iloc[0].strand) == (9, 30, "-")


def test_read_vcf_splits_multiallelic(tmp_path):
    vcf = tmp_path / "v.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=100>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr1\t5\trs1\tA\tC,G\t.\t.\t.\n"
        "chr1\t9\t.\tAT\tA\t.\t.\t.\n"
    )
    df = read_vcf(vcf)
    assert df[["pos", "ref", "alt", "allele", "record"]].values.tolist() == [
        [5, "A", "C", 1, 1],
        [5, "A", "G", 2, 1],
        [9, "AT", "A", 1, 2],
    ]
    assert read_vcf(vcf, split_multiallelic=False)["alt"].tolist() == [("C", "G"), ("A",)]


def test_read_vcf_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_vcf(tmp_path / "nope.vcf")


def test_a_malformed_bed_line_goes_to_errors_when_collecting(tmp_path):
    import pytest

    from helixforge.core.errors import InputError, RowErrors
    from helixforge.dna.io import read_bed

    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t10\t20\nchr1\tx\t30\nchr1\t50\t40\nchr1\t60\t70\n")
    with pytest.raises(InputError, match="line 2"):
        read_bed(bed)
    errs = RowErrors(bed)
    df = read_bed(bed, errors=errs)
    assert df.index.tolist() == [1, 4] and sorted(errs.rows()) == [2, 3]
