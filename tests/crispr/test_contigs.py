"""Contig names across UCSC / Ensembl / RefSeq spellings (crispr.contigs) and the design that
uses them: an annotation written with other contig names than the genome still works."""

from __future__ import annotations

import numpy as np
import pytest

from helixforge.core.errors import InputError
from helixforge.crispr.contigs import contig_keys, map_contig
from helixforge.crispr.guides import enumerate_guides
from helixforge.crispr.targets import open_genome, resolve_target


def _seq(seed: int, n: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


@pytest.mark.parametrize(
    "a, b",
    [
        ("V", "chrV"),
        ("chrM", "MT"),
        ("Mito", "chrM"),
        ("NC_001137.3", "chrV"),  # RefSeq yeast chromosome V
        ("NC_000001.11", "1"),  # RefSeq human chromosome 1
        ("NC_012920.1", "chrM"),  # human mitochondrion
        ("chrUn_KI270302v1", "KI270302.1"),  # UCSC ≡ GenBank unplaced scaffold
        ("Chr1", "1"),  # TAIR
        ("ChrC", "Pt"),  # chloroplast
    ],
)
def test_spellings_of_the_same_contig_share_a_key(a, b):
    assert contig_keys(a) & contig_keys(b)


@pytest.mark.parametrize("a, b", [("chr1", "chr10"), ("I", "II"), ("NC_000001.11", "2"),
                                  ("chrUn_KI270302v1", "KI270303.1")])  # fmt: skip
def test_different_contigs_do_not(a, b):
    assert not contig_keys(a) & contig_keys(b)


def test_map_contig_uses_names_then_the_fasta_headers(tmp_path):
    fa = tmp_path / "ncbi.fa"
    fa.write_text(
        ">NC_999991.1 Testus chromosome 2, complete sequence\n" + _seq(1, 500) + "\n"
        ">NW_999992.1 Testus chromosome 2 unlocalized genomic scaffold\n" + _seq(2, 300) + "\n"
        ">NC_999993.1 Testus mitochondrion, complete genome\n" + _seq(3, 300) + "\n"
    )
    g = open_genome(fa)
    assert map_contig("NC_999991.1", g) == "NC_999991.1"
    assert map_contig("2", g) == "NC_999991.1"  # the scaffold "of chromosome 2" is not it
    assert map_contig("chr2", g) == "NC_999991.1"
    assert map_contig("MT", g) == "NC_999993.1"


def test_no_mapping_names_both_sides():
    g = open_genome({"chrI": "A" * 100, "chrII": "C" * 100})
    with pytest.raises(InputError, match="'scaffold_9' is not in") as exc:
        map_contig("scaffold_9", g, other_names=["scaffold_9", "scaffold_10"])
    assert "chrI, chrII" in exc.value.hint and "scaffold_10" in exc.value.hint


def test_a_refseq_gtf_designs_on_a_ucsc_genome(tmp_path):
    fa = tmp_path / "sacCer.fa"
    fa.write_text(">chrV\n" + _seq(6, 3000) + "\n>chrM\n" + _seq(7, 2000) + "\n")
    gff = tmp_path / "refseq.gff"
    gff.write_text("##gff-version 3\n"
                   "NC_001137.3\tRefSeq\tCDS\t1001\t1600\t.\t+\t0\tID=cds1;gene=ABC1\n"
                   "NC_001224.1\tRefSeq\tCDS\t101\t900\t.\t-\t0\tID=cds2;gene=COX1\n")  # fmt: skip
    for gene, contig in (("ABC1", "chrV"), ("COX1", "chrM")):
        t = resolve_target(gene, genome=fa, annotation=gff)
        assert t.contig == contig
        g = enumerate_guides(t, annotation=gff)
        assert len(g) and (g.gene == gene).all()  # CDS positions found through the alias too


def test_an_annotation_of_another_assembly_is_a_clear_error(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">chrV\n" + _seq(6, 3000) + "\n")
    gtf = tmp_path / "other.gtf"
    gtf.write_text('contig_77\tx\tCDS\t11\t600\t.\t+\t0\tgene_id "g1"; gene_name "ABC1";\n')
    with pytest.raises(InputError, match="gene ABC1: contig 'contig_77' is not in g.fa") as exc:
        resolve_target("ABC1", genome=fa, annotation=gtf)
    assert "g.fa has chrV" in exc.value.hint and "the annotation has contig_77" in exc.value.hint
