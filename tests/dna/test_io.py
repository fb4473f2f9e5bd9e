"""Reading FASTA / FASTQ / BED / GFF / VCF, the Genome class and sequence validation."""

import gzip
import re

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


@pytest.mark.parametrize("name", ["reads.fq", "reads.fq.gz", "reads.txt"])
def test_a_latin1_byte_in_a_fastq_title_is_only_shown(tmp_path, name):
    """An '@' title written by a Latin-1 tool ('caf\\xe9' for 'café') refused the whole file
    as not UTF-8; a FASTA '>' description with that byte was read. The title keeps a U+FFFD,
    the id before it is intact, and a .txt FASTQ is still recognised by its '@' line."""
    from helixforge.dna.io import read_sequences

    body = b"@r1 caf\xe9 sample\nACGT\n+r1 caf\xe9\nIIII\n@r2\nGG\n+\nII\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
    recs = list(read_sequences(path))
    assert [(r.id, r.seq, r.quality, r.line) for r in recs] == [
        ("r1", "ACGT", "IIII", 1),
        ("r2", "GG", "II", 5),
    ]
    assert recs[0].description == "r1 caf\ufffd sample"


@pytest.mark.parametrize(
    ("record", "line", "column", "words"),
    [
        (b"@r2\nAC\xe9T\n+\nIIII\n", 6, "sequence", "line 6 (sequence) holds a byte that is not UTF-8"),
        (b"@r2\nACGT\n+\nII\xe9I\n", 8, "quality", "line 8 (quality) holds a byte that is not UTF-8"),
        (b"@r2\nACGT\n+\nII I\n", 8, "quality", "line 8: quality character ' ' at position 3 is not Phred+33"),
    ],
)  # fmt: skip
def test_a_bad_byte_in_a_fastq_sequence_or_quality_line_names_that_line(
    tmp_path, record, line, column, words
):
    """Sequence and quality lines stay strict: a byte that is not UTF-8 (or a quality
    character outside Phred+33) is that record's fault, named by its line; with an errors
    table the record is a row there and the other records are read."""
    path = tmp_path / "reads.fq"
    path.write_bytes(b"@r1\nACGT\n+\nIIII\n" + record + b"@r3\nGG\n+\nII\n")
    with pytest.raises(
        InputError, match=re.escape(f"reads.fq, line 5: malformed FASTQ record: {words}")
    ):
        list(read_fastq(path))
    errors = RowErrors(path)
    assert [r.id for r in read_fastq(path, errors)] == ["r1", "r3"]
    (err,) = errors.items
    assert (err.row, err.column, err.value) == (5, column, "@r2")
    assert words in err.reason


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


@pytest.mark.parametrize("genome_name", ["chrM", "MT", "Mito", "M"])
def test_every_spelling_of_the_mitochondrion_finds_the_genomes(tmp_path, genome_name):
    """UCSC chrM, Ensembl / GRC MT, yeast Mito: a VCF's MT on a genome's Mito (or M on MT,
    chrMT on chrM) was 'not in the genome', as only some pairs were tried."""
    path = tmp_path / "g.fa"
    write_fasta([("chr1", "ACGT" * 5), (genome_name, "GATTACA")], path)
    g = Genome(path)
    for asked in ["chrM", "MT", "Mito", "M", "chrMT", "chrMito"]:
        assert g.resolve_contig(asked) == genome_name
    assert g.resolve_contig("1") == "chr1"


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


@pytest.mark.parametrize(
    "head",
    ["track name=peaks\nchrom\tstart\tend\tname\tlabel\n",  # under a track line
     "browser position chr1:1-9\n#chrom start end name label\n",  # '#', space-separated
     "chrom\tstart\tend\tname\tlabel\n"],
)  # fmt: skip
def test_a_bed_column_header_names_the_label_column_wherever_it_sits(tmp_path, head):
    """Only a header on line 1 was read as one: under a track line it was an errors row, its
    label column was named 'score' and dna train said "column 'label' not found"."""
    bed = tmp_path / "peaks.bed"
    bed.write_text(head + "chr1\t0\t4\tp1\t1\nchr2\t0\t3\tp2\t0\textra\n")
    errors = RowErrors(bed)
    df = read_bed(bed, errors=errors)
    assert len(errors) == 0
    assert list(df.columns) == ["chrom", "start", "end", "name", "label", "col6"]
    assert df["label"].tolist() == ["1", "0"] and df["col6"].tolist()[1] == "extra"


def test_bed_table_strand_dot_or_missing_is_unstranded(genome_fa, tmp_path):
    """A DataFrame not from read_bed with strand '.' was refused by a message saying '.' is
    allowed ("strand '.' must be '+', '-' or '.'")."""
    import pandas as pd

    df = pd.DataFrame(
        {"chrom": ["chr1", "chr2", "chr1"], "start": [0, 0, 0], "end": [4, 3, 4],
         "strand": [".", "-", None]}
    )  # fmt: skip
    seqs = bed_to_sequences(df, Genome(genome_fa))
    assert seqs["sequence"].tolist() == ["ACGT", "CCC", "ACGT"]
    assert seqs["strand"].tolist() == ["+", "-", "+"]
    bad = df.assign(strand=["x", "-", "+"])
    with pytest.raises(InputError, match=r"strand 'x' is not '\+', '-' or '\.' \(unstranded"):
        bed_to_sequences(bad, Genome(genome_fa))
    errors = RowErrors(tmp_path / "t.bed")
    assert len(bed_to_sequences(bad, Genome(genome_fa), errors=errors)) == 2
    assert [(e.column, e.value) for e in errors] == [("strand", "x")]


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


def test_a_gff_without_the_asked_feature_type_names_the_types_it_has(tmp_path):
    """'no features of type CDS found' left the user guessing (an exon-only GTF, a 'cds')."""
    gtf = tmp_path / "exons.gtf"
    gtf.write_text(
        'I\tsgd\tgene\t1\t90\t.\t+\t.\tgene_id "g1";\n'
        'I\tsgd\texon\t1\t90\t.\t+\t.\tgene_id "g1";\n'
        'I\tsgd\texon\t200\t290\t.\t+\t.\tgene_id "g2";\n'
    )
    with pytest.raises(EmptyInputError, match=r"its features are exon \(2\), gene \(1\)") as e:
        read_gff(gtf, types={"CDS"})
    assert "learns from CDS lines" in e.value.hint


def test_a_bed_interval_left_out_says_what_to_do_in_the_errors_table(genome_fa, tmp_path):
    """The errors table said "contig 'chrZ' is not in genome g.fa" without the genome's
    contigs, and nothing of --flank taking an interval past the contig start."""
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t2\t6\tedge\nchrZ\t0\t5\tz\nchr1\t10\t14\tok\n")
    errors = RowErrors(bed)
    seqs = bed_to_sequences(bed, Genome(genome_fa), flank=3, errors=errors)
    assert seqs["name"].tolist() == ["ok"]
    edge, unknown = (e.reason for e in errors)
    assert "(--flank 3 widened 2-6; a smaller --flank keeps intervals near a contig end)" in edge
    assert "closest names: chr2, chr1; check that the file and the genome use" in unknown


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


# ------------------------------------------------------------------ index trust, truncation


def _rewrap(path, width):
    from helixforge.dna.io import read_fasta as rf

    recs = [(r.id, r.seq) for r in rf(path)]
    write_fasta(recs, path, width=width)


@pytest.mark.parametrize("older_fasta", [False, True])
def test_stale_fai_after_rewrap_is_rebuilt(tmp_path, older_fasta):
    import os

    path = tmp_path / "g.fa"
    seqs = {"chr1": "ACGTTGCA" * 40, "chr2": "GATTACA" * 30}
    write_fasta(seqs.items(), path, width=60)
    Genome(path).close()  # builds g.fa.fai for width 60
    _rewrap(path, 50)
    if older_fasta:  # e.g. copied with `cp -p`: the timestamps say the index is current
        fai = os.stat(str(path) + ".fai")
        os.utime(path, ns=(fai.st_atime_ns, fai.st_mtime_ns - 10**9))
    g = Genome(path)
    assert g.fetch("chr2", 100, 130) == seqs["chr2"][100:130]
    assert g.fetch("chr1", 250, 300) == seqs["chr1"][250:300]
    assert "rebuilt the stale index" in g.source_note or not older_fasta


def test_consistent_fai_is_kept(genome_fa):
    from helixforge.dna.io import stale_index_reason

    Genome(genome_fa).close()
    assert stale_index_reason(genome_fa, str(genome_fa) + ".fai") is None
    assert Genome(genome_fa).source_note == ""


def _bgzip_fasta(path, seq):
    from Bio import bgzf

    with bgzf.BgzfWriter(str(path), "wb") as w:
        w.write(">c1\n")
        for i in range(0, len(seq), 60):
            w.write(seq[i : i + 60] + "\n")


def test_bgzip_genome_and_truncated_bgzip(tmp_path):
    import random

    rng = random.Random(0)
    seq = "".join(rng.choice("ACGT") for _ in range(150_000))
    _bgzip_fasta(tmp_path / "g.fa.gz", seq)
    assert Genome(tmp_path / "g.fa.gz").fetch("c1", 100_000, 100_010) == seq[100_000:100_010]
    data = (tmp_path / "g.fa.gz").read_bytes()
    (tmp_path / "t.fa.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"t\.fa\.gz.*truncated"):
        Genome(tmp_path / "t.fa.gz")


def test_truncated_plain_gzip_genome(tmp_path, monkeypatch):
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    import random

    rng = random.Random(1)
    with gzip.open(tmp_path / "g.fa.gz", "wt") as fh:
        fh.write(">c\n" + "".join(rng.choice("ACGT") for _ in range(100_000)) + "\n")
    data = (tmp_path / "g.fa.gz").read_bytes()
    (tmp_path / "g.fa.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"g\.fa\.gz.*truncated"):
        Genome(tmp_path / "g.fa.gz")


def test_genome_is_a_mapping_of_contigs(genome_fa):
    g = Genome(genome_fa, keep_case=True)
    assert list(g) == ["chr1", "chr2"] and len(g) == 2 and g.total_length == 150
    assert g["chr2"] == GENOME["chr2"] and dict(g.items())["chr1"] == GENOME["chr1"]
    assert "chrX" not in g and g.get("chrX") is None


VCF_HEAD = (
    "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
)


def test_malformed_vcf_records_become_error_rows(tmp_path):
    from helixforge.dna.io import iter_vcf

    (tmp_path / "v.vcf").write_text(
        VCF_HEAD + "chr1\t10\trs1\tA\tG\t.\t.\t.\nchr1\tabc\trs2\tA\tG\t.\t.\t.\n"
        "chr1\t30\trs3\tA\tT,C\t.\t.\t.\n"
    )
    errs = RowErrors(tmp_path / "v.vcf")
    alleles = list(iter_vcf(tmp_path / "v.vcf", errors=errs))
    assert [(a.pos, a.alt, a.line) for a in alleles] == [(10, "G", 4), (30, "T", 6), (30, "C", 6)]
    assert [e.row for e in errs] == [5] and errs.items[0].column == "POS"
    with pytest.raises(InputError, match=r"v\.vcf, line 5"):
        list(iter_vcf(tmp_path / "v.vcf"))


def test_truncated_bgzip_vcf_names_the_file(tmp_path):
    import pysam

    (tmp_path / "v.vcf").write_text(VCF_HEAD + "chr1\t10\trs1\tA\tG\t.\t.\t.\n" * 50)
    pysam.tabix_compress(str(tmp_path / "v.vcf"), str(tmp_path / "v.vcf.gz"))
    data = (tmp_path / "v.vcf.gz").read_bytes()
    (tmp_path / "t.vcf.gz").write_bytes(data[:-30])
    assert len(read_vcf(tmp_path / "v.vcf.gz")) == 50
    with pytest.raises(InputError, match=r"t\.vcf\.gz"):
        read_vcf(tmp_path / "t.vcf.gz")


def test_a_malformed_vcf_record_names_its_column(tmp_path):
    from helixforge.core.errors import RowErrors
    from helixforge.dna.io import iter_vcf

    vcf = tmp_path / "v.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr1\t10\t.\tA\tG\t.\t.\t.\nchr1\tabc\t.\tA\tG\t.\t.\t.\nchr1\t30\t.\tC\tT\t.\t.\t.\n"
    )
    errors = RowErrors(vcf)
    assert [a.pos for a in iter_vcf(vcf, errors=errors)] == [10, 30]
    (err,) = errors.items
    assert (err.row, err.column, err.value) == (5, "POS", "abc")


def test_a_vcf_compressed_with_plain_gzip_reads_like_the_plain_file(tmp_path):
    # `gzip calls.vcf` (not bgzip): htslib cannot seek in it; it used to end in a traceback.
    from helixforge.dna.io import iter_vcf

    text = VCF_HEAD + "chr1\t10\trs1\tA\tG\t.\t.\t.\nchr1\tabc\trs2\tA\tG\t.\t.\t.\n"
    text += "chr1\t30\trs3\tA\tT,C\t.\t.\t.\n"
    (tmp_path / "v.vcf").write_text(text)
    (tmp_path / "v.vcf.gz").write_bytes(gzip.compress(text.encode()))
    plain, zipped = RowErrors(tmp_path / "v.vcf"), RowErrors(tmp_path / "v.vcf.gz")
    want = [(a.pos, a.alt, a.line) for a in iter_vcf(tmp_path / "v.vcf", errors=plain)]
    got = [(a.pos, a.alt, a.line) for a in iter_vcf(tmp_path / "v.vcf.gz", errors=zipped)]
    assert got == want == [(10, "G", 4), (30, "T", 6), (30, "C", 6)]
    assert [(e.row, e.column) for e in zipped] == [(5, "POS")]
    (tmp_path / "t.vcf.gz").write_bytes(gzip.compress(text.encode())[:-12])
    with pytest.raises(InputError, match=r"t\.vcf\.gz"):
        read_vcf(tmp_path / "t.vcf.gz")


def test_a_vcf_saved_with_a_byte_order_mark_reads_like_the_plain_file(tmp_path):
    # A Windows editor's UTF-8 BOM made htslib refuse the file ("is it VCF/BCF format?").
    from helixforge.dna.io import iter_vcf

    text = VCF_HEAD + "chr1\t10\trs1\tA\tG\t.\t.\t.\nchr1\t30\trs3\tA\tT,C\t.\t.\t.\n"
    (tmp_path / "v.vcf").write_text(text)
    (tmp_path / "bom.vcf").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "bom.vcf.gz").write_bytes(gzip.compress(b"\xef\xbb\xbf" + text.encode()))
    want = [(a.pos, a.alt, a.line) for a in iter_vcf(tmp_path / "v.vcf")]
    assert want == [(10, "G", 4), (30, "T", 5), (30, "C", 5)]
    for name in ("bom.vcf", "bom.vcf.gz"):
        assert [(a.pos, a.alt, a.line) for a in iter_vcf(tmp_path / name)] == want


def _vcf_variants(raw: bytes, tmp_path, compress: str):
    """`raw` saved as a plain, bgzip or plain-gzip VCF, read back: (alleles, error rows)."""
    import pysam

    from helixforge.dna.io import iter_vcf

    plain = tmp_path / "v.vcf"
    plain.write_bytes(raw)
    path = plain
    if compress == "bgzip":
        path = tmp_path / "v.vcf.gz"
        pysam.tabix_compress(str(plain), str(path), force=True)
    elif compress == "gzip":
        path = tmp_path / "v.gz.vcf.gz"
        path.write_bytes(gzip.compress(raw))
    errors = RowErrors(path)
    alleles = [(a.pos, a.id, a.ref, a.alt, a.line) for a in iter_vcf(path, errors=errors)]
    return alleles, [(e.row, e.column, e.value, e.reason) for e in errors]


@pytest.mark.parametrize("compress", ["plain", "bgzip", "gzip"])
def test_a_latin1_byte_in_the_info_or_id_of_a_first_record_is_only_data(tmp_path, compress):
    """A Latin-1 'é' (byte 0xE9) in the INFO or ID of one of the first records refused the
    whole VCF as 'not UTF-8' (the header scan decoded the first text block); the same byte
    further down was read. The ID keeps a U+FFFD, as a FASTA header does; so does a '##'
    header line (htslib keeps it as bytes)."""
    raw = VCF_HEAD.encode().replace(b"\n", b"\n##source=caf\xe9 tools\n", 1) + (
        b"chr1\t10\trs1\tA\tG\t.\t.\tNOTE=caf\xe9\n"
        b"chr1\t20\trs\xe9\tC\tT\t.\t.\t.\n"
        b"chr1\t30\trs3\tA\tG\t.\t.\t.\n"
    )
    alleles, errors = _vcf_variants(raw, tmp_path, compress)
    assert alleles == [
        (10, "rs1", "A", "G", 5),
        (20, "rs\ufffd", "C", "T", 6),
        (30, "rs3", "A", "G", 7),
    ]
    assert errors == []


@pytest.mark.parametrize("compress", ["plain", "bgzip", "gzip"])
def test_a_latin1_byte_in_chrom_ref_or_alt_makes_that_record_an_error_row(tmp_path, compress):
    """The same byte where a contig name or bases belong refuses that record only (it ended
    the job with pysam's UnicodeDecodeError); the row names its line, column and value."""
    raw = VCF_HEAD.encode() + (
        b"chr1\t10\trs1\tC\xe9\tT\t.\t.\t.\n"
        b"chr\xe91\t20\trs2\tA\tG\t.\t.\t.\n"
        b"chr1\t30\trs3\tA\tG\xe9\t.\t.\t.\n"
        b"chr1\t40\trs4\tA\tG\t.\t.\t.\n"
    )
    alleles, errors = _vcf_variants(raw, tmp_path, compress)
    assert alleles == [(40, "rs4", "A", "G", 7)]
    assert [e[:3] for e in errors] == [
        (4, "REF", "C\ufffd"),
        (5, "CHROM", "chr\ufffd1"),
        (6, "ALT", "G\ufffd"),
    ]
    assert all("not UTF-8" in e[3] and "correct the record" in e[3] for e in errors)


def test_a_vcf_that_is_not_text_at_all_is_still_refused_up_front(tmp_path):
    """Reading the header as bytes keeps open_text's up-front refusal of UTF-16 files."""
    path = tmp_path / "v.vcf"
    path.write_bytes((VCF_HEAD + "chr1\t10\trs1\tA\tG\t.\t.\t.\n").encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        read_vcf(path)


def test_a_vcf_without_fileformat_line_reads_with_its_own_line_numbers(tmp_path):
    from helixforge.core.errors import InputError
    from helixforge.dna.io import read_vcf

    cols = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    (tmp_path / "a.vcf").write_text(
        cols + "chr1\t5\tv1\tA\tC\t.\t.\t.\nchr1\t9\tv2\tG\tT,A\t.\t.\t.\n"
    )
    df = read_vcf(tmp_path / "a.vcf")
    assert df[["pos", "alt", "line"]].values.tolist() == [[5, "C", 2], [9, "T", 3], [9, "A", 3]]
    # no header at all: named as such, not htslib's 'invalid file'
    (tmp_path / "b.vcf").write_text("chr1\t5\tv1\tA\tC\t.\t.\t.\n")
    with pytest.raises(InputError, match=r"b.vcf, line 1: not a VCF header line") as exc:
        read_vcf(tmp_path / "b.vcf")
    assert "#CHROM POS ID REF ALT" in exc.value.hint


@pytest.mark.parametrize(
    "name, raw, words",
    [
        ("magic_only.vcf.gz", b"\x1f\x8b" + b"not gzip at all " * 4, "truncated or corrupt"),
        ("bad_bgzf.vcf.gz", b"\x1f\x8b\x08\x04" + b"\x00" * 40, "truncated or corrupt"),
        ("nothing_inside.vcf.gz", gzip.compress(b""), "empty"),
    ],
    ids=["gzip-magic-only", "bgzf-header-only", "empty-gzip"],
)
def test_a_gzip_vcf_that_is_not_gzip_or_holds_nothing_names_the_file(tmp_path, name, raw, words):
    # gzip magic bytes with no gzip stream behind them used to escape as BadGzipFile, which
    # the CLI could only report as "a compressed input" without naming the file
    from helixforge.dna.io import iter_vcf

    (tmp_path / name).write_bytes(raw)
    with pytest.raises(InputError, match=words) as info:
        list(iter_vcf(tmp_path / name, errors=RowErrors(tmp_path / name)))
    assert name in info.value.message


def test_blank_lines_in_a_vcf_are_not_records_and_do_not_shift_line_numbers(tmp_path):
    # a trailing newline too many (editors, `echo >>`) used to be reported as a rejected
    # record "with 1 tab-separated fields"
    from helixforge.dna.io import iter_vcf

    vcf = tmp_path / "v.vcf"
    vcf.write_bytes(
        (VCF_HEAD + "chr1\t10\trs1\tA\tG\t.\t.\t.\n\n  \nchr1\t30\trs3\tC\tT\t.\t.\t.\n\n\n")
        .replace("\n", "\r\n")
        .encode()
    )
    errors = RowErrors(vcf)
    assert [(a.pos, a.line) for a in iter_vcf(vcf, errors=errors)] == [(10, 4), (30, 7)]
    assert len(errors) == 0
    vcf.write_text(VCF_HEAD + "chr1 10 rs1 A G . . .\n")  # spaces for tabs: say so
    errors = RowErrors(vcf)
    assert list(iter_vcf(vcf, errors=errors)) == []
    assert "separated by spaces" in errors.items[0].reason


def test_every_refused_vcf_record_is_diagnosed_not_only_the_first_hundred(tmp_path):
    from helixforge.dna.io import iter_vcf

    vcf = tmp_path / "v.vcf"
    bad = "".join(f"chr1\tp{i}\trs{i}\tA\tG\t.\t.\t.\n" for i in range(150))
    vcf.write_text(VCF_HEAD + bad + "chr1\t30\trs3\tC\tT\t.\t.\t.\n")
    errors = RowErrors(vcf)
    assert [a.line for a in iter_vcf(vcf, errors=errors)] == [154]
    assert [e.row for e in errors] == list(range(4, 154))
    assert {e.column for e in errors} == {"POS"}


# ---------------------------------------------------------------- Python-API inputs


def test_genome_item_of_a_missing_contig_is_a_named_key_error(genome_fa):
    from helixforge.dna.io.genome import ContigNotFoundError

    g = Genome(genome_fa)
    with pytest.raises(ContigNotFoundError, match="closest names") as err:
        g["chrX"]
    assert isinstance(err.value, KeyError) and isinstance(err.value, InputError)
    with pytest.raises(InputError, match="'chr1' is its spelling here"):
        g["1"]
    assert "chrX" not in g and g.get("chrX") is None  # the Mapping protocol still works
    assert g.fetch("1", 0, 4) == "ACGT"  # fetch resolves the alias


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("chr1", 0, 4), {"strand": "x"}, "strand must be '\\+' or '-'"),  # was read as '+'
        (("chr1", "0", "4"), {}, "start must be an integer"),
        (("chr1", 0.5, 4), {}, "start must be an integer"),
        ((None, 0, 4), {}, "contig name must be a string"),
    ],
)
def test_fetch_names_a_bad_argument(genome_fa, args, kwargs, match):
    from helixforge.core.errors import HelixError

    with pytest.raises(HelixError, match=match):
        Genome(genome_fa).fetch(*args, **kwargs)


def test_readers_name_a_missing_path_and_bed_tables_are_checked(genome_fa):
    import pandas as pd

    from helixforge.core.errors import ConfigError

    for reader in (read_fasta, read_bed, read_vcf, Genome):
        with pytest.raises(InputError, match="is None"):
            r = reader(None)
            list(r) if reader is read_fasta else None
    with pytest.raises(InputError, match=r"column\(s\) \['start', 'end'\] missing"):
        bed_to_sequences(pd.DataFrame({"chrom": ["chr1"]}), genome_fa)
    bed = pd.DataFrame({"chrom": ["chr1"], "start": [5], "end": [15]})
    with pytest.raises(ConfigError, match="flank must be at least 0"):
        bed_to_sequences(bed, genome_fa, flank=-1)  # shrank the interval silently


def test_write_fasta_takes_a_dict_or_one_pair_and_names_a_missing_sequence(tmp_path):
    p = write_fasta({"a": "ACGT"}, tmp_path / "a.fa")
    assert [(r.id, r.seq) for r in read_fasta(p)] == [("a", "ACGT")]
    p = write_fasta(("b", b"GGCC"), tmp_path / "b.fa")
    assert [(r.id, r.seq) for r in read_fasta(p)] == [("b", "GGCC")]
    with pytest.raises(InputError, match=r"records\[0\] \('c'\) is missing"):
        write_fasta([("c", None)], tmp_path / "c.fa")


def test_missing_contig_probes_are_cheap_on_many_scaffolds(tmp_path, monkeypatch):
    """.get / `in` on a missing name ran difflib over every contig name (2.5 s per call on 200k
    scaffolds); suggestions are now built only for a raised error, from a bounded candidate
    pool once there are more than ContigNames.SMALL names."""
    import difflib

    from helixforge.dna.io.genome import ContigNames, ContigNotFoundError

    path = tmp_path / "scaf.fa"
    path.write_text("".join(f">scaffold_{i}\nACGTACGT\n" for i in range(3000)))
    g = Genome(path)
    monkeypatch.setattr(ContigNames, "SMALL", 100)
    seen = []
    real = difflib.get_close_matches
    monkeypatch.setattr(
        difflib,
        "get_close_matches",
        lambda w, pool, **kw: seen.append(len(pool)) or real(w, pool, **kw),
    )
    assert g.get("scafold_1234") is None and g.get("scaffold_7", "d") == "ACGTACGT"
    assert "scafold_1234" not in g and g._names is None and not seen
    with pytest.raises(ContigNotFoundError, match="closest names: scaffold_1234,"):
        g["scafold_1234"]  # a typo inside the name: found by the shared suffix
    with pytest.raises(InputError, match="closest names: scaffold_2999"):
        g.fetch("Scaffold_2999x", 0, 2)  # case and a trailing typo: found by the prefix
    assert seen and max(seen) <= 4 * 2 * ContigNames.NEIGHBOURS  # not all 3000 names
    few = ContigNames(["chr1", "chr2", "chrX"])
    assert few.closest("chrx") == real("chrx", ["chr1", "chr2", "chrX"], n=5, cutoff=0.4)


# ------------------------------------------------ genome layouts pyfaidx refuses or misreads


def _layout_genome(rng_seed: int = 1) -> dict[str, str]:
    import random

    rng = random.Random(rng_seed)
    return {name: "".join(rng.choice("ACGT") for _ in range(n)) for name, n in
            (("chr1", 2_000), ("chr2", 150_000), ("chr3", 777))}  # fmt: skip


def _lines(seq: str, widths) -> list[str]:
    out, i, k = [], 0, 0
    while i < len(seq):
        w = widths[k % len(widths)]
        out.append(seq[i : i + w])
        i, k = i + w, k + 1
    return out


def _check_genome(g, seqs) -> None:
    assert g.lengths == {k: len(v) for k, v in seqs.items()}
    for name, seq in seqs.items():
        assert g.sequence(name) == seq
        assert g.fetch(name, 500, 560) == seq[500:560]
        assert (
            g.fetch(name, len(seq) - 7, len(seq), strand="-")
            == g.fetch(name, len(seq) - 7, len(seq), strand="+").translate(
                str.maketrans("ACGT", "TGCA")
            )[::-1]
        )


@pytest.mark.parametrize(
    "layout",
    ["uneven", "blank_lines", "one_line_then_wrapped", "trailing_spaces", "tabs_late", "crlf_mix"],
)
@pytest.mark.parametrize("compress", ["plain", "bgzip", "gzip"])
def test_genome_layouts_pyfaidx_cannot_index_are_read_through_a_normalised_copy(
    tmp_path, monkeypatch, layout, compress
):
    """Every way a real FASTA varies its line layout reads as the same bases: lines of uneven
    length (pyfaidx refused: 'Line length … not consistent'), blank lines inside a record, a
    record on one line before wrapped ones, trailing spaces (pyfaidx handed them back as bases:
    contig lengths grew and every window held ' '), tabs only in a record far past the first
    64 kB, mixed CRLF / LF line ends."""
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    seqs = _layout_genome()
    text = []
    for k, (name, seq) in enumerate(seqs.items()):
        text.append(f">{name} some description")
        if layout == "uneven":
            text += _lines(seq, [60, 61, 59, 100])
        elif layout == "blank_lines":
            text += [
                line + ("\n" if i % 7 == 3 else "") for i, line in enumerate(_lines(seq, [60]))
            ]
        elif layout == "one_line_then_wrapped":
            text += [seq] if k == 0 else _lines(seq, [70])
        elif layout == "trailing_spaces":
            text += [line + " " for line in _lines(seq, [60])]
        elif layout == "tabs_late":
            text += [line + ("\t" if name == "chr3" else "") for line in _lines(seq, [60])]
        else:  # crlf_mix
            text += [line + ("\r" if i % 2 else "") for i, line in enumerate(_lines(seq, [60]))]
    body = "\n".join(text) + "\n"
    path = tmp_path / ("g.fa" if compress == "plain" else "g.fa.gz")
    if compress == "plain":
        path.write_text(body)
    elif compress == "gzip":
        with gzip.open(path, "wt") as fh:
            fh.write(body)
    else:
        from Bio import bgzf

        with bgzf.BgzfWriter(str(path), "wb") as w:
            w.write(body)
    g = Genome(path)
    if layout == "tabs_late":  # only chr3, past the first 64 kB: found by the per-record check
        assert g.fetch("chr1", 0, 10) == seqs["chr1"][:10]
        assert g.fetch("chr3", 10, 20) == seqs["chr3"][10:20]
    _check_genome(g, seqs)
    assert ("normalised copy" in g.source_note) == (layout != "one_line_then_wrapped")
    g.close()
    _check_genome(Genome(path), seqs)  # the second opening reuses the copy and its index


def test_a_normalised_genome_keeps_soft_masking_and_text_before_the_first_header_still_fails(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "g.fa"
    path.write_text(">c1\nacgtac \nGGT\nTTTTAAAA\n>c2\nAC\n")
    assert Genome(path, keep_case=True).sequence("c1") == "acgtacGGTTTTTAAAA"
    assert Genome(path).fetch("c1", 4, 9) == "ACGGT"
    bad = tmp_path / "bad.fa"
    bad.write_text("ACGT ACGT\n>c1\nACGT\n")
    with pytest.raises(InputError, match=r"bad\.fa"):
        Genome(bad)


@pytest.mark.parametrize("compress", ["plain", "bgzip", "gzip"])
def test_a_genome_with_latin1_bytes_in_its_headers_opens(tmp_path, monkeypatch, compress):
    """A '>' line written by a Latin-1 editor ('\\xe9' for 'é') made pyfaidx's indexer fail
    with a UnicodeDecodeError and the whole genome was refused; the bases are ASCII, so it
    reads through a normalised copy whose headers are UTF-8."""
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    seqs = _layout_genome()
    body = b""
    for name, seq in seqs.items():
        body += f">{name} Escherichia coli K-12 str. MG1655 ".encode() + b"\xe9\n"
        body += "\n".join(_lines(seq, [60])).encode() + b"\n"
    body = b";made by caf\xe9 tools\n" + body
    path = tmp_path / ("g.fa" if compress == "plain" else "g.fa.gz")
    if compress == "plain":
        path.write_bytes(body)
    elif compress == "gzip":
        path.write_bytes(gzip.compress(body))
    else:
        from Bio import bgzf

        with bgzf.BgzfWriter(str(path), "wb") as w:
            w.write(body)
    g = Genome(path)
    _check_genome(g, seqs)
    assert "not UTF-8" in g.source_note
    g.close()
    _check_genome(Genome(path), seqs)  # the copy and its index are reused


def test_a_non_ascii_byte_in_a_sequence_line_names_the_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "g.fa"
    path.write_bytes(b">chr1 caf\xe9\nACGTACGT\nACG\xe9ACGT\n")
    with pytest.raises(InputError, match=r"g\.fa, line 3: a sequence line holds a byte"):
        Genome(path)


def test_gtf_attributes_keep_quoted_semicolons_and_escaped_quotes(tmp_path):
    """GTF values are quoted strings that may hold ';' and \\" (GENCODE notes, odd gene
    names); splitting the attribute column on ';' first cut 'ab;c' to 'ab'."""
    path = tmp_path / "a.gtf"
    path.write_text(
        'chr1\tx\tCDS\t11\t40\t.\t+\t0\tgene_id "g1"; transcript_id "t1"; '
        'gene_name "ab;c"; note "a \\"quoted\\" word; here" ;exon_number 2\n'
        "chr1\tx\tCDS\t51\t60\t.\t-\t0\tgene_id g2;gene_name  X ;\n"
    )
    df = read_gff(path)
    assert df["name"].tolist() == ["ab;c", "X"]
    assert df["gene_id"].tolist() == ["g1", "g2"]
    assert df["id"].tolist() == ["t1", ""]


@pytest.mark.parametrize("compress", ["plain", "gzip"])
def test_a_header_with_no_name_is_named_by_its_line(tmp_path, monkeypatch, compress):
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    body = b">chr1\nACGTACGT\nACGT\n>\nACGT\n"
    path = tmp_path / ("g.fa" if compress == "plain" else "g.fa.gz")
    path.write_bytes(body if compress == "plain" else gzip.compress(body))
    with pytest.raises(InputError, match=r"g\.fa(\.gz)?, line 4: a '>' header line has no record"):
        Genome(path)


@pytest.mark.parametrize("compress", ["plain", "bgzip"])
def test_a_genome_in_a_read_only_folder_keeps_its_indexes_in_a_fresh_cache(
    tmp_path, monkeypatch, compress
):
    """A FASTA in a folder we may not write to, read for the first time: the .fai goes to the
    cache, whose folder did not exist yet (pyfaidx makes no folder: 'may not be writable'), and
    a bgzip file's .gzi goes there too (pyfaidx wrote it beside the FASTA: refused)."""
    import os

    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "fresh-cache"))
    folder = tmp_path / "ro"
    folder.mkdir()
    body = ">chr1 x\n" + "ACGTACGTAC" * 30 + "\n>chr2\n" + "GGGCCCAAAT" * 9 + "\n"
    path = folder / ("g.fa" if compress == "plain" else "g.fa.gz")
    if compress == "plain":
        path.write_text(body)
    else:
        from Bio import bgzf

        with bgzf.BgzfWriter(str(path), "wb") as w:
            w.write(body)
    real_access = os.access

    def no_write_in_folder(p, mode, *args, **kwargs):
        if mode & os.W_OK and str(os.path.abspath(p)).startswith(str(folder)):
            return False
        return real_access(p, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", no_write_in_folder)
    g = Genome(path)
    assert g.fetch("chr2", 0, 6) == "GGGCCC" and g.lengths == {"chr1": 300, "chr2": 90}
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # nothing written beside it
    assert str(g.index_path).startswith(str(tmp_path / "fresh-cache"))


def test_a_repeated_record_name_is_named_with_its_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "g.fa"
    path.write_text(">chr1 a\nACGT\n>chr2\nACGT\n>chr1 b\nACGT\n")
    with pytest.raises(InputError, match=r"'chr1' appears more than once \(lines 1, 5\)"):
        Genome(path)


@pytest.mark.parametrize(
    "chrom_line, message",
    [
        ("#CHROM POS ID REF ALT QUAL FILTER INFO", "line 2: the '#CHROM' header line is "
         "separated by spaces, not tabs"),
        ("#CHR\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO", "line 2: the column header line "
         "starts '#CHR"),
        (None, "line 2: the header has no '#CHROM' line"),
        ("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT", "line 2: the '#CHROM' line "
         "has a FORMAT column but no sample columns"),
        ("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tS1", "line 2: the '#CHROM' line has "
         "sample columns (S1) but no FORMAT column before them"),
        ("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\t", "line 2: the '#CHROM' line ends "
         "with an empty column"),
    ],
)  # fmt: skip
def test_a_vcf_column_header_htslib_refuses_is_named_by_its_line(tmp_path, chrom_line, message):
    """htslib said only 'does not have valid header - is it VCF/BCF format?'."""
    lines = ["##fileformat=VCFv4.2", chrom_line, "chr1\t5\t.\tA\tC\t.\t.\t."]
    path = tmp_path / "v.vcf"
    path.write_text("\n".join(x for x in lines if x is not None) + "\n")
    with pytest.raises(InputError, match=re.escape(f"v.vcf, {message}")):
        read_vcf(path)


@pytest.mark.parametrize("compress", ["plain", "bgzip", "gzip"])
def test_a_vcf_with_format_but_no_samples_is_refused_with_the_command_that_fixes_it(
    tmp_path, compress
):
    """'#CHROM … INFO<TAB>FORMAT' with no sample names (samples dropped, FORMAT kept): htslib
    said only 'does not have valid header', and `bcftools view -G` refuses it too. The error
    names the file, the line and the fault; the hint's command gives a file that reads."""
    import subprocess

    head = "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n"
    cols = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\n"
    raw = (head + cols + "chr1\t10\trs1\tA\tG\t.\t.\t.\tGT\n").encode()
    with pytest.raises(InputError, match="line 3: the '#CHROM' line has a FORMAT column but no"):
        _vcf_variants(raw, tmp_path, compress)
    name = {"plain": "v.vcf", "bgzip": "v.vcf.gz", "gzip": "v.gz.vcf.gz"}[compress]
    with pytest.raises(InputError) as info:
        read_vcf(tmp_path / name)
    assert info.value.message.startswith(f"{tmp_path / name}, line 3")
    fix = info.value.hint.split(": ", 1)[1]
    subprocess.run(fix, shell=True, check=True, cwd=tmp_path)
    df = read_vcf(tmp_path / f"fixed-{name}")
    assert df[["pos", "ref", "alt", "line"]].values.tolist() == [[10, "A", "G", 4]]


@pytest.mark.parametrize("name", ["genes.gtf", "genes.gff3", "genes.txt"])
def test_gff3_and_gtf_attributes_are_read_whatever_the_suffix_says(tmp_path, name):
    """A GFF3 file named .gtf lost every ID / Parent / Name (read as GTF: 'ID=gene:G1;…' was
    one key with no value) and crispr design found no gene in it; each line's own syntax
    decides."""
    path = tmp_path / name
    path.write_text(
        "chr1\tx\tgene\t11\t40\t.\t+\t.\tID=gene:G1;Name=thrA\n"
        "chr1\tx\tCDS\t11\t40\t.\t+\t0\tID=cds1;Parent=gene:G1\n"
        'chr1\tx\tCDS\t51\t60\t.\t-\t0\tgene_id "g2"; transcript_id "t2"; gene_name "X=1";\n'
    )
    df = read_gff(path)
    assert df["id"].tolist() == ["gene:G1", "cds1", "t2"]
    assert df["name"].tolist() == ["thrA", "", "X=1"]
    assert df["parent"].tolist() == ["", "gene:G1", "t2"]


@pytest.mark.parametrize("writable", [True, False])
def test_a_bgzip_genome_with_a_newer_fai_of_another_layout_is_reindexed(
    tmp_path, monkeypatch, writable
):
    """A .fai newer than the bgzip FASTA but made for another version of it (rewrapped, or
    copied in after the file): the timestamps passed it, and reads failed as 'truncated or
    corrupt' or gave other bases. Its layout is checked and the index rebuilt (in the cache
    when the folder may not be written, once)."""
    import os
    import time

    from Bio import bgzf

    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    seqs = _layout_genome()
    path = tmp_path / "g.fa.gz"
    with bgzf.BgzfWriter(str(path), "wb") as w:
        for name, seq in seqs.items():
            w.write(f">{name}\n" + "\n".join(_lines(seq, [70])) + "\n")
    other = tmp_path / "other.fa"  # the same records wrapped at 60: another layout
    other.write_text(
        "".join(f">{n}\n" + "\n".join(_lines(s, [60])) + "\n" for n, s in seqs.items())
    )
    Genome(other).close()
    Genome(path).close()  # its .gzi is made (without one, pyfaidx rebuilds the .fai anyway)
    (tmp_path / "g.fa.gz.fai").write_bytes((tmp_path / "other.fa.fai").read_bytes())
    later = time.time() + 100
    os.utime(tmp_path / "g.fa.gz.fai", (later, later))
    if not writable:
        real_access = os.access

        def no_write_here(p, mode, *args, **kwargs):
            if mode & os.W_OK and str(os.path.abspath(p)).startswith(str(tmp_path / "g.fa")):
                return False
            if mode & os.W_OK and os.path.abspath(p) == str(tmp_path):
                return False
            return real_access(p, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", no_write_here)
    g = Genome(path)
    _check_genome(g, seqs)
    assert "rebuilt the stale index" in g.source_note
    g.close()
    again = Genome(path)
    _check_genome(again, seqs)
    assert "rebuilt" not in again.source_note  # the rebuilt index is reused


# ---------------------------------------------------------------- region strings


NAMES = {"HLA-A*01:01", "chrUn:KI270302v1", "chr1", "chr1:100", "chr2:5-10"}


@pytest.mark.parametrize(
    ("text", "contig", "start", "end"),
    [
        ("HLA-A*01:01", "HLA-A*01:01", None, None),  # a bare contig name holding ':'
        ("HLA-A*01:01:101-200", "HLA-A*01:01", 101, 200),  # coordinates after the last ':'
        ("HLA-A*01:01:5", "HLA-A*01:01", 5, None),
        ("chrUn:KI270302v1:1,001-2,000", "chrUn:KI270302v1", 1001, 2000),
        ("chr2:5-10", "chr2:5-10", None, None),  # a record samtools faidx named so
        ("chr2:5-10:1-3", "chr2:5-10", 1, 3),
        ("{chr1:100}", "chr1:100", None, None),  # braces name the contig (htslib)
        ("{chr1}:100-200", "chr1", 100, 200),
        ("chr9:1-5", "chr9", 1, 5),  # not in the genome: the caller names it
    ],
)
def test_a_region_is_read_from_the_right_so_a_contig_name_may_hold_colons(text, contig, start, end):
    from helixforge.dna.io.regions import RegionText, split_region

    assert split_region(text, NAMES.__contains__) == RegionText(contig, start, end)


def test_a_contig_name_that_is_also_a_region_of_another_contig_is_ambiguous():
    from helixforge.dna.io.regions import split_region

    with pytest.raises(InputError, match=r"--region 'chr1:100' is ambiguous") as exc:
        split_region("chr1:100", NAMES.__contains__, what="--region")
    assert "{chr1:100}" in exc.value.hint and "{chr1}:100" in exc.value.hint
    assert split_region("TP53", NAMES.__contains__) is None  # not a region: the caller says
