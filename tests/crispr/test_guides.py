import gzip

import numpy as np
import pytest

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr.enzymes import get_enzyme
from helixforge.crispr.guides import (
    enumerate_guides,
    region_target,
    resolve_target,
    sequence_target,
)
from helixforge.dna.sequence import reverse_complement

SPACER = "GACGCATAAAGATGAGACGC"


def _genome(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list("ACGT"), n))


def test_plus_and_minus_strand_guides_with_cut_sites_and_context():
    left, right = "AAAACCCCAAAA", "TTTTAAAACCCC"
    seq = left + "TCAG" + SPACER + "AGG" + "ATC" + right
    seq_minus = reverse_complement(seq)
    g = enumerate_guides(sequence_target(seq), "spcas9")
    plus = g[(g.spacer == SPACER) & (g.strand == "+")].iloc[0]
    start = len(left) + 4  # 0-based start of the spacer
    assert plus.pam == "AGG"
    assert plus.site_start == start + 1 and plus.site_end == start + 23
    assert plus.cut_position == start + 17  # cut between spacer nt 17 and 18
    assert plus.context == "TCAG" + SPACER + "AGG" + "ATC"
    # the same site read from the other strand: coordinates mirror, context identical
    gm = enumerate_guides(sequence_target(seq_minus), "spcas9")
    minus = gm[(gm.spacer == SPACER) & (gm.strand == "-")].iloc[0]
    n = len(seq)
    assert minus.site_start == n - plus.site_end + 1 and minus.context == plus.context
    assert minus.cut_position == n - plus.cut_position


def test_cas12a_five_prime_pam_and_staggered_cut():
    spacer = "ACGTCAGTCAGGACTAGCATGCA"  # 23 nt
    seq = "GGGG" + "TTTA" + spacer + "GGCAGG"
    g = enumerate_guides(sequence_target(seq), "ascas12a")
    row = g[g.spacer == spacer].iloc[0]
    assert row.pam == "TTTA" and row.strand == "+"
    pam_end = 4 + 4  # junction after the PAM, 0-based boundary
    assert row.cut_position == pam_end + 18 and row.cut_position_target_strand == pam_end + 23
    assert row.context == "GGGG" + "TTTA" + spacer + "GGC"
    assert np.isnan(row.oof_score)  # the microhomology model is for blunt cuts only


def test_flags_poly_t_homopolymer_gc_and_restriction_sites():
    spacer = "GCTTTTGACGTCTCAAAAAC"  # TTTT, AAAAA, BsmBI site CGTCTC
    seq = "ACGT" + spacer + "TGG" + "ACGTACGT"
    g = enumerate_guides(sequence_target(seq), "spcas9", restriction_enzymes=["BsmBI", "EcoRI"])
    row = g[g.spacer == spacer].iloc[0]
    assert row.poly_t and row.max_homopolymer == 5 and row.restriction_sites == "BsmBI"
    for flag in ("poly_t", "homopolymer", "restriction:BsmBI"):
        assert flag in row["flags"].split(";")
    with pytest.raises(ConfigError):
        enumerate_guides(sequence_target(seq), "spcas9", restriction_enzymes=["NotAnEnzyme"])


def test_guides_near_the_ends_keep_a_flag_instead_of_a_context():
    seq = SPACER + "TGG" + "A" * 10
    row = enumerate_guides(sequence_target(seq)).iloc[0]
    assert row.context == "" and "no_context" in row["flags"]


def test_soft_masked_bases_are_kept_and_flagged():
    seq = "ACGT" + SPACER.lower() + "TGG" + "ACGTAC"
    row = enumerate_guides(sequence_target(seq)).iloc[0]
    assert row.spacer == SPACER and row.soft_masked and "soft_masked" in row["flags"]


def test_a_genome_or_sequence_written_all_in_lowercase_is_not_soft_masked():
    # every guide of an all-lowercase genome or typed sequence was flagged soft_masked (tier 2),
    # which also changed the ranking (a cds_edge guide no longer fell behind clean ones)
    rng = np.random.default_rng(3)
    chrom = "".join(rng.choice(list("ACGT"), 3000))
    cols = ["spacer", "strand", "cut_position", "soft_masked", "flags"]

    def guides(genome, region="chr1:1001-1300"):
        return enumerate_guides(resolve_target(region, genome=genome))[cols]

    upper = guides({"chr1": chrom, "chr2": chrom[::-1]})
    assert len(upper) and not upper.soft_masked.any()
    lower = guides({"chr1": chrom.lower(), "chr2": "N" * 100 + chrom[::-1].lower()})
    assert lower.equals(upper)
    seq = chrom[1000:1300]
    assert enumerate_guides(sequence_target(seq.lower()))[cols].equals(
        enumerate_guides(sequence_target(seq))[cols]
    )
    # soft-masked genome: the same region (all lowercase inside a repeat) is flagged
    masked = guides({"chr1": chrom[:900] + chrom[900:1400].lower() + chrom[1400:]})
    assert masked.soft_masked.all() and masked["flags"].str.contains("soft_masked").all()


def test_bad_targets_give_clear_messages():
    with pytest.raises(InputError, match="position 5"):
        sequence_target("ACGTXACGT")
    with pytest.raises(InputError, match="shorter than one spcas9 site"):
        enumerate_guides(sequence_target("ACGTACGTAC"))
    # 'tatA' reads as 4 bases; it is more likely the E. coli gene, which needs an annotation
    with pytest.raises(InputError, match="4 nt long") as exc:
        enumerate_guides("tatA")
    assert "if 'tatA' is a gene name, give --annotation and --genome" in exc.value.hint
    empty = enumerate_guides(sequence_target("ACATACATACATACATACATACATACATAC"))
    assert len(empty) == 0 and "no spcas9 site" in empty.attrs["note"]


def test_region_targets_from_a_genome_use_genome_coordinates_and_flanks(tmp_path):
    chrom = _genome()
    fa = tmp_path / "g.fa.gz"
    with gzip.open(fa, "wt") as fh:
        fh.write(">chrA\n" + chrom + "\n>chrB\nACGT\n")
    t = resolve_target("chrA:101-400", genome=fa)
    assert t.sequence == chrom[100:400] and t.start == 100 and t.left_flank == chrom[50:100]
    g = enumerate_guides(t)
    row = g.iloc[0]
    a = row.site_start - 1
    site = chrom[a : a + 23] if row.strand == "+" else reverse_complement(chrom[a : a + 23])
    assert site == row.spacer + row.pam and 101 <= row.site_start and row.site_end <= 400
    # the genome flanks give every guide its 60-nt microhomology window (Bae 2014 scores)
    assert g.oof_score.between(0, 100).all() and (g.mh_score >= 0).all()
    with pytest.raises(InputError, match="outside contig chrA"):
        resolve_target("chrA:1-999999", genome=fa)
    with pytest.raises(InputError, match="'chrZ' is not in g.fa"):
        region_target(fa, "chrZ", 0, 10)
    with pytest.raises(InputError, match="no genome was given"):
        resolve_target("chrA:1-100")


def test_gene_targets_and_cds_position_from_an_annotation(tmp_path):
    chrom = _genome(1)
    fa = tmp_path / "g.fa"
    fa.write_text(">chrA\n" + chrom + "\n")
    gff = tmp_path / "a.gff"
    gff.write_text("chrA\tx\tCDS\t201\t800\t.\t-\t0\tID=cds1;gene=abcD;locus_tag=b0001\n")
    t = resolve_target("abcD", genome=fa, annotation=gff)
    assert (t.start, t.end) == (200, 800)
    g = enumerate_guides(t, annotation=gff)
    assert (g.gene == "abcD").all()
    with pytest.raises(InputError, match="ABCD. is not in the annotation") as exc:
        resolve_target("ABCD", genome=fa, annotation=gff)
    assert "did you mean 'abcD'" in exc.value.hint
    pct = g.cds_cut_percent.to_numpy()
    cut = g.cut_position.to_numpy()
    # a minus-strand CDS counts from its end
    assert np.allclose(pct, np.round(100 * (800 - cut) / 600, 2))
    edge = g["flags"].str.contains("cds_edge")
    assert (edge == ~g.cds_cut_percent.between(5, 65)).all()  # knockout-unfriendly cut positions


def test_fasta_record_targets(tmp_path):
    fa = tmp_path / "t.fa"
    fa.write_text(">one\n" + "ACGT" + SPACER + "AGGTTT\n>two\nACGT\n")
    with pytest.raises(InputError, match="2 records"):
        resolve_target(str(fa))
    t = resolve_target(f"{fa}#one")
    assert t.contig == "one" and SPACER in t.sequence
    assert get_enzyme("spcas9").site_length <= len(t.sequence)


def test_a_restriction_enzyme_in_the_wrong_case_is_named_with_its_spelling():
    from helixforge.core.errors import ConfigError
    from helixforge.crispr.guides import _restriction_batch

    with pytest.raises(ConfigError, match="unknown restriction enzyme 'bsmbi'") as exc:
        _restriction_batch(["bsmbi"])
    assert exc.value.hint == "did you mean 'BsmBI'? names are case-sensitive"
    with pytest.raises(ConfigError) as exc:
        _restriction_batch(["NotAnEnzyme"])
    assert "Biopython/REBASE names" in exc.value.hint


def test_one_pam_or_restriction_enzyme_string_is_one_name():
    seq = "ATGCATTACGGCTAGCTAGCTAGGTACCGATCGATCGGAGACGCTAGCTAGCTTGGCCAATCGG"
    want = enumerate_guides(seq, pams=["NGG"], restriction_enzymes=["BsmBI"])
    got = enumerate_guides(seq, pams="NGG", restriction_enzymes="BsmBI")  # 'N','G','G' before
    assert got.equals(want)


def test_bad_guide_options_and_targets_are_named():
    seq = "ATGCATTACGGCTAGCTAGCTAGGTACCGATCGATCGG"
    with pytest.raises(ConfigError, match="homopolymer_min must be at least 2"):
        enumerate_guides(seq, homopolymer_min=0)
    with pytest.raises(InputError, match="target is None"):
        enumerate_guides(None)
    with pytest.raises(InputError, match="one target per call"):
        enumerate_guides([seq, seq])
    assert enumerate_guides(seq.encode()).equals(enumerate_guides(seq))
    with pytest.raises(ConfigError, match="flank must be at least 0"):
        resolve_target("chr1:1-100", genome={"chr1": seq * 3}, flank=-1)


def test_a_multi_exon_gene_places_cuts_along_the_spliced_cds_and_flags_intron_cuts(tmp_path):
    # a minus-strand gene as ACT1 in yeast: a 10-nt first coding exon, an intron, a long second
    # exon (GTF, as Ensembl writes it: the transcript_id groups the CDS lines)
    fa = tmp_path / "g.fa"
    fa.write_text(">chrA\n" + _genome(3) + "\n")
    gtf = tmp_path / "a.gtf"
    attrs = 'gene_id "G1"; transcript_id "G1_mRNA"; gene_name "abc1";'
    gtf.write_text(
        f"chrA\tx\tCDS\t1591\t1600\t.\t-\t0\t{attrs}\n"  # exon 1 (coding bases 1-10)
        f"chrA\tx\tCDS\t201\t1290\t.\t-\t2\t{attrs}\n"  # exon 2 (coding bases 11-1100)
    )
    g = enumerate_guides(resolve_target("abc1", genome=fa, annotation=gtf), annotation=gtf)
    cut = g.cut_position.to_numpy()
    in_exon2 = (200 < cut) & (cut < 1290)
    # 10 coding bases of exon 1 come first, then exon 2 from its right end
    expect = np.round(100 * (10 + 1290 - cut[in_exon2]) / 1100, 2)
    assert np.allclose(g.cds_cut_percent[in_exon2], expect)
    in_exon1 = (1590 < cut) & (cut < 1600)
    assert (g.cds_cut_percent[in_exon1] < 1).all()  # it was ~50 %: half-way along exon 1 alone
    intron = (1290 <= cut) & (cut <= 1590)
    assert intron.any() and g["flags"][intron].str.contains("intron").all()
    assert (g.gene[intron] == "abc1").all() and g.cds_cut_percent[intron].isna().all()
    assert not g["flags"][~intron].str.contains("intron").any()


def test_a_transcript_id_names_that_transcripts_cds(tmp_path):
    # GTF as Ensembl writes it: two isoforms of one gene; CHOPCHOP / CRISPOR users give
    # transcript ids (YFL039C_mRNA, ENST…); it was 'not in the annotation'
    fa = tmp_path / "g.fa"
    fa.write_text(">chrA\n" + _genome(4) + "\n")
    gtf = tmp_path / "a.gtf"
    t1 = 'gene_id "G1"; transcript_id "G1-201"; gene_name "abc1";'
    t2 = 'gene_id "G1"; transcript_id "G1-202"; gene_name "abc1";'
    gtf.write_text(
        f"chrA\tx\tCDS\t201\t500\t.\t+\t0\t{t1}\n"
        f"chrA\tx\tCDS\t801\t1100\t.\t+\t0\t{t1}\n"
        f"chrA\tx\tCDS\t201\t500\t.\t+\t0\t{t2}\n"
        f"chrA\tx\tCDS\t1301\t1600\t.\t+\t0\t{t2}\n"
    )
    assert (resolve_target("G1-201", genome=fa, annotation=gtf).end) == 1100
    assert (resolve_target("G1-202", genome=fa, annotation=gtf).end) == 1600
    assert (resolve_target("abc1", genome=fa, annotation=gtf).end) == 1600  # the gene: both


def test_a_name_shared_by_two_genes_on_one_contig_is_not_one_target_over_both(tmp_path):
    # RefSeq E. coli: 'seg' is a synonym of dnaK (b0014) and of arcA (b4401), 4.6 Mb apart, and
    # 'thiB' is thiB's own name and a synonym of two other genes; the design spanned every base
    # between them (a whole-genome target)
    fa = tmp_path / "g.fa"
    fa.write_text(">chrA\n" + _genome(5, 3000) + "\n")
    gff = tmp_path / "a.gff"
    gff.write_text(
        "chrA\tx\tCDS\t101\t400\t.\t+\t0\tID=c1;gene=dnaK;gene_synonym=seg,thiB;locus_tag=b0014\n"
        "chrA\tx\tCDS\t2501\t2800\t.\t-\t0\tID=c2;gene=arcA;gene_synonym=seg;locus_tag=b4401\n"
        "chrA\tx\tCDS\t1201\t1500\t.\t+\t0\tID=c3;gene=thiB;locus_tag=b0068\n"
    )
    with pytest.raises(InputError, match="'seg' names 2 different genes") as exc:
        resolve_target("seg", genome=fa, annotation=gff)
    assert "dnaK (b0014, chrA:101-400)" in exc.value.message
    assert "arcA (b4401, chrA:2501-2800)" in exc.value.message and "-t b0014" in exc.value.hint
    t = resolve_target("thiB", genome=fa, annotation=gff)  # its own name wins over a synonym
    assert (t.start, t.end) == (1200, 1500)
    assert resolve_target("b4401", genome=fa, annotation=gff).start == 2500


def test_a_fasta_record_that_is_not_in_the_file_lists_the_records_there(tmp_path):
    fa = tmp_path / "t.fa"
    fa.write_text(">one desc\n" + "ACGT" + SPACER + "AGGTTT\n>two\nACGT\n")
    with pytest.raises(InputError, match="no record named 'three'; its records are one, two"):
        resolve_target(f"{fa}#three")
    with pytest.raises(InputError, match="its records are one, two") as exc:
        resolve_target(f"{fa}#ONE")
    assert f"did you mean {fa}#one?" in exc.value.hint


def test_a_site_next_to_an_n_run_has_an_incomplete_context_and_says_so():
    # the 4 nt 5' of the site are N (a gap in the assembly): the on-target model sees unknown
    # bases, as at a contig end, and the guide is flagged no_context like those (it was unflagged)
    seq = "ACGTACGTAC" + "N" * 10 + "AC" + SPACER + "AGG" + "TACGTACGTACG"
    g = enumerate_guides(sequence_target(seq), "spcas9")
    row = g[g.spacer == SPACER].iloc[0]
    assert row.context.startswith("NN") and "no_context" in row["flags"].split(";")
    full = g[~g.context.str.contains("N") & (g.context != "")]
    assert not full["flags"].str.contains("no_context").any()


def test_a_sequence_with_iupac_codes_is_a_sequence_not_a_gene_name(tmp_path):
    # with --annotation it was looked up as a gene ('not in the annotation'); mixed-case
    # (soft-masked) and 25 nt long it was refused as a gene name given without an annotation
    fa = tmp_path / "g.fa"
    fa.write_text(">chrA\n" + _genome(6) + "\n")
    gff = tmp_path / "a.gff"
    gff.write_text("chrA\tx\tCDS\t201\t800\t.\t+\t0\tID=cds1;gene=abcD\n")
    seq = "ACGTRY" + SPACER + "TGG" + "ACGTAGCATCGATCG"
    t = resolve_target(seq, genome=fa, annotation=gff)
    assert not t.from_genome and t.sequence == seq
    t = resolve_target("ACGTRYACGTACGTAGCATCGAtgg")
    assert t.sequence == "ACGTRYACGTACGTAGCATCGAtgg"
    with pytest.raises(InputError, match="needs --annotation"):
        resolve_target("thrA")  # a gene name stays one
    with pytest.raises(InputError, match="is not in the annotation"):
        resolve_target("abcDE", genome=fa, annotation=gff)


def test_two_copies_of_a_gene_without_a_parent_are_two_cds_not_one_with_an_intron(tmp_path):
    # Prokka-style GFF3: CDS lines with their own ID and no Parent, two copies named insA
    fa = tmp_path / "g.fa"
    fa.write_text(">contig1\n" + _genome(3) + "\n")
    gff = tmp_path / "a.gff"
    gff.write_text(
        "##gff-version 3\n"
        "contig1\tProdigal\tCDS\t101\t400\t.\t+\t0\tID=P_00001;gene=insA;locus_tag=P_00001\n"
        "contig1\tProdigal\tCDS\t1101\t1400\t.\t+\t0\tID=P_00002;gene=insA;locus_tag=P_00002\n"
    )
    g = enumerate_guides(resolve_target("contig1:1-2000", genome=fa), annotation=gff)
    cut = g.cut_position.to_numpy()
    second = (1100 < cut) & (cut < 1400)
    assert np.allclose(g.cds_cut_percent[second], np.round(100 * (cut[second] - 1100) / 300, 2))
    between = (400 < cut) & (cut < 1100)  # no coding base, no gene: not an 'intron' of insA
    assert between.any() and not g["flags"][between].str.contains("intron").any()
    assert (g.gene[between] == "").all()


def test_a_target_past_the_length_limit_is_refused_by_enumerate_guides_too(tmp_path):
    """enumerate_guides had no bound (only design_guides and `helix crispr design` had
    --max-target-length): a whole chromosome passed from Python enumerated every site into
    memory. It takes the same limit, default 100,000 bp, checked before a sequence / FASTA
    target is scanned base by base and for a Target resolved by the caller; 0 or None: none."""
    from helixforge.crispr.targets import DEFAULT_MAX_TARGET_LENGTH, TargetTooLongError

    assert DEFAULT_MAX_TARGET_LENGTH == 100_000
    seq = _genome(3, 100_001)
    with pytest.raises(TargetTooLongError) as exc:
        enumerate_guides(seq)
    assert "is 100,001 bp, longer than the design limit of 100,000 bp" in exc.value.message
    assert "would be enumerated" in exc.value.message  # what this function does with them
    assert "max_target_length= in Python; 0 = no limit" in exc.value.hint
    (tmp_path / "big.fa").write_text(f">chrBig\n{seq}\n")
    with pytest.raises(TargetTooLongError, match="target 'big.fa#chrBig' is 100,001 bp"):
        enumerate_guides(str(tmp_path / "big.fa"))
    tgt = region_target({"chrBig": seq}, "chrBig", 0, 3000)  # resolved by the caller
    with pytest.raises(TargetTooLongError, match="target 'chrBig:1-3000' is 3,000 bp"):
        enumerate_guides(tgt, max_target_length=2000)
    assert len(enumerate_guides(tgt, max_target_length=0)) > 100
    assert len(enumerate_guides(seq[:3000], max_target_length=None)) > 100
    with pytest.raises(ConfigError, match="max_target_length"):
        enumerate_guides(seq[:3000], max_target_length=-1)


@pytest.mark.parametrize("pam", ["NGGT", "GG"])
def test_a_pam_of_another_length_than_the_enzymes_is_refused(pam):
    """pams=('NGGT',) for SpCas9 crashed with a numpy broadcast error; pams=('GG',) matched
    one base early and reported 'GGA', 'GGC' … as the PAM of every guide."""
    seq = "TTTT" + SPACER + "AGG" + "TTTT"
    with pytest.raises(ConfigError) as exc:
        enumerate_guides(seq, "spcas9", pams=(pam,))
    assert f"pams {pam!r} ({len(pam)} nt): spcas9 PAMs are 3 nt (NGG)" in exc.value.message
    assert "3-letter IUPAC PAMs" in exc.value.hint
    # IUPAC codes and lowercase of the right length are PAMs
    found = enumerate_guides(seq, "spcas9", pams=("nrg",))["pam"]
    assert "AGG" in set(found) and all(p[1] in "AG" and p[2] == "G" for p in found)


@pytest.mark.parametrize("target", ["chr1:1-100", "thrA"])
def test_a_region_or_gene_given_to_enumerate_guides_says_how_to_resolve_it(target):
    """enumerate_guides has no genome: a region or gene name was told to 'pass --genome', an
    option a Python caller does not have. The hint names resolve_target / design_guides."""
    with pytest.raises(InputError) as exc:
        enumerate_guides(target)
    assert "resolve_target(target, genome=…, annotation=…)" in exc.value.hint
    assert "--genome" not in exc.value.hint
    with pytest.raises(InputError, match="remove or replace the character"):
        enumerate_guides("ACGTX" * 10)  # a bad character keeps its own hint
