import numpy as np
import pandas as pd
import pytest

from helixforge.core.errors import DataUnavailableError
from helixforge.crispr import ontarget
from helixforge.crispr.design import design_columns, design_guides
from helixforge.crispr.enzymes import get_enzyme
from helixforge.crispr.offtarget import build_index


@pytest.fixture(scope="module")
def genome_files(tmp_path_factory):
    """A 60 kb random genome with one 'gene' (CDS 10,001–11,500) whose first guide also occurs,
    perfectly, elsewhere in the genome."""
    rng = np.random.default_rng(5)
    chrom = list(rng.choice(list("ACGT"), 60_000))
    gene_site = "GACGCATAAAGATGAGACGC" + "TGG"
    chrom[10_100:10_123] = list(gene_site)
    chrom[40_000:40_023] = list(gene_site)  # a perfect copy outside the gene
    seq = "".join(chrom)
    d = tmp_path_factory.mktemp("g")
    (d / "g.fa").write_text(">chr1\n" + seq + "\n")
    (d / "g.gff").write_text("chr1\tx\tCDS\t10001\t11500\t.\t+\t0\tID=c1;gene=abcD\n")
    return d / "g.fa", d / "g.gff", seq


def _fake_scores(contexts, enzyme="spcas9", model="default", errors=None):
    # deterministic stand-in for the model: GC content of the spacer, as a percentile
    return np.array([100 * sum(ch in "GC" for ch in c[4:24]) / 20 for c in contexts])


def test_design_ranks_guides_and_writes_table_offtargets_and_report(
    genome_files, tmp_path, monkeypatch
):
    fa, gff, seq = genome_files
    monkeypatch.setattr(ontarget, "score_ontarget", _fake_scores)
    out = tmp_path / "guides.tsv"
    res = design_guides(
        "abcD", genome=fa, annotation=gff, top=15, out=out, report=tmp_path / "r.html"
    )
    g = res.guides
    assert list(g.columns) == design_columns(4)
    assert len(g) == 15 and g["rank"].tolist() == list(range(1, 16))
    assert res.candidates is not None and len(res.candidates) > 15
    # tiers ascending, combined score descending inside a tier
    for _, part in res.candidates.groupby("tier"):
        assert part["combined_score"].is_monotonic_decreasing
    assert res.candidates["tier"].is_monotonic_increasing
    assert (g.gene == "abcD").all() and g.cds_cut_percent.between(0, 100).all()
    assert g.ontarget_score.notna().all() and g.genome_match.str.startswith("chr1:").all()
    assert g.rank_reason.str.contains("tier").all()
    written = pd.read_csv(out, sep="\t")
    assert written.guide_id.tolist() == g.guide_id.tolist()
    assert (tmp_path / "guides.offtargets.tsv").exists()
    html = (tmp_path / "r.html").read_text()
    assert "Guide map" in html and "data:image/png;base64" in html
    assert any("built in memory" in n for n in res.notes)


def test_a_guide_with_a_perfect_copy_elsewhere_is_kept_flagged_and_demoted(
    genome_files, monkeypatch
):
    fa, gff, _ = genome_files
    monkeypatch.setattr(ontarget, "score_ontarget", _fake_scores)
    res = design_guides("chr1:10001-11500", genome=fa)
    c = res.candidates.set_index("spacer").loc["GACGCATAAAGATGAGACGC"]
    assert c.mm0 == 1 and "offtarget_perfect" in c["flags"] and c.tier == 3
    assert c.genome_match == "chr1:10100:+"  # its own site is the on-target, not an off-target
    assert res.candidates.iloc[0].tier < 3


def test_missing_on_target_model_leaves_the_column_empty_with_a_note(genome_files, monkeypatch):
    fa, _, seq = genome_files

    def unavailable(*a, **k):
        raise DataUnavailableError("model weights not installed")

    monkeypatch.setattr(ontarget, "score_ontarget", unavailable)
    res = design_guides(seq[20_000:20_300], genome=fa, top=5)
    assert res.guides.ontarget_score.isna().all() and len(res.guides) == 5
    assert any("model weights not installed" in n for n in res.notes)
    assert "on-target n/a" in res.guides.rank_reason.iloc[0]


def test_design_with_a_prebuilt_index_and_without_a_genome(genome_files, tmp_path):
    fa, _, seq = genome_files
    build_index(fa, "spcas9", out=tmp_path / "idx")
    target = seq[30_000:30_400]
    res = design_guides(target, index=tmp_path / "idx", ontarget_model="none", top=3)
    assert len(res.guides) == 3 and res.guides.mm0.notna().all()
    assert (res.guides.genome_match != "").all()  # the sequence is found in the genome
    bare = design_guides(target, ontarget_model="none")
    assert bare.guides.cfd_specificity.isna().all()
    assert any("off-target search skipped" in n for n in bare.notes)
    # unknown, not 1.0 ("perfectly specific"): the ranking uses efficiency alone and says so
    g = bare.guides
    assert g.specificity.isna().all() and (g.combined_score == g.efficiency).all()
    assert g.rank_reason.str.contains("specificity not measured").all()


def test_other_enzymes_and_an_empty_design(genome_files, tmp_path):
    fa, _, seq = genome_files
    res = design_guides(seq[5_000:5_600], genome=fa, enzyme="ascas12a", ontarget_model="none")
    assert len(res.guides) and (res.guides.spacer.str.len() == 23).all()
    assert (
        res.guides.cfd_specificity.isna().all()
        and "mismatch-count heuristic" in res.guides.rank_reason.iloc[0]
    )
    empty = design_guides(
        "ACATACATACATACATACATACATACATAC", out=tmp_path / "e.tsv", ontarget_model="none"
    )
    assert len(empty.guides) == 0 and "no spcas9 site" in empty.notes[0]
    assert (tmp_path / "e.tsv").exists()


def test_a_custom_enzyme_of_spcas9s_layout_is_scored_by_spcas9s_model(genome_files, monkeypatch):
    """custom:NGG:20 designs SpCas9's guides with SpCas9's 30-mer contexts, but got no
    on-target score ("no on-target efficiency model for enzyme 'custom_NGG_20nt_3prime'");
    a custom enzyme of another layout still gets none."""
    from helixforge.crispr.ontarget_features import _check_enzyme

    def scores(contexts, enzyme="spcas9", model="default", errors=None):
        _check_enzyme(enzyme)  # as the real models: no model for an enzyme without one
        return _fake_scores(contexts)

    monkeypatch.setattr(ontarget, "score_ontarget", scores)
    _, _, seq = genome_files
    wt = design_guides(seq[12_000:12_400], top=50).candidates.set_index("spacer")
    custom = design_guides(seq[12_000:12_400], enzyme="custom:NGG:20", top=50).candidates
    got = custom.set_index("spacer").ontarget_score
    assert got.notna().all() and got.equals(wt.ontarget_score.loc[got.index])
    seen = []
    monkeypatch.setattr(ontarget, "score_ontarget",
                        lambda c, enzyme, **k: seen.append(enzyme) or _fake_scores(c))  # fmt: skip
    design_guides(seq[12_000:12_400], enzyme="custom:NGG:21", top=5)
    assert seen == ["custom_NGG_21nt_3prime"]  # not SpCas9's layout: its own name


def test_high_fidelity_variants_design_like_spcas9_with_their_own_on_target_model(genome_files):
    """eSpCas9(1.1) / SpCas9-HF1 had on-target heads that `crispr design` could not reach
    (the enzyme registry did not know them)."""
    from helixforge.crispr.ontarget_features import ENZYMES as SCORED

    fa, _, seq = genome_files
    wt = design_guides(seq[12_000:12_400], genome=fa, top=50)
    for name, alias in (("espcas9", "eSpCas9(1.1)"), ("spcas9hf1", "SpCas9-HF1")):
        assert get_enzyme(alias).name == name
        if name not in SCORED:
            continue  # an installation without the variant heads
        hf = design_guides(seq[12_000:12_400], genome=fa, enzyme=alias, top=50)
        assert set(hf.candidates.spacer) == set(wt.candidates.spacer)  # same PAM and layout
        a = hf.candidates.set_index("spacer").ontarget_score
        b = wt.candidates.set_index("spacer").ontarget_score.loc[a.index]
        assert a.notna().all() and not np.allclose(a, b)  # its own model, not SpCas9's
        assert hf.candidates.cfd_specificity.notna().all()  # CFD applies (same PAM, 20 nt)
        assert hf.info["enzyme"] == name and hf.info["ontarget_model"] == "default"


def test_a_whole_contig_past_the_target_limit_is_refused_before_any_base_is_read(
    tmp_path, monkeypatch
):
    """A whole chromosome as target was designed on unbounded: every site enumerated, scored
    and searched, all in memory (hours and gigabytes on a human chromosome). A target longer
    than max_target_length (default 100,000 bp) is refused up front, naming its length, the
    limit and the option that raises it; region, contig and gene targets are refused before
    their bases are read, and 0 switches the limit off."""
    from helixforge.crispr.targets import DEFAULT_MAX_TARGET_LENGTH, TargetTooLongError
    from helixforge.dna.io import Genome

    rng = np.random.default_rng(1)
    seq = "".join(rng.choice(list("ACGT"), DEFAULT_MAX_TARGET_LENGTH + 1))
    (tmp_path / "g.fa").write_text(f">chrBig\n{seq}\n>chrSmall\n{seq[:3000]}\n")
    (tmp_path / "g.gff").write_text("chrBig\tx\tCDS\t1\t100001\t.\t+\t0\tID=c1;gene=bigG\n")
    fa, gff = tmp_path / "g.fa", tmp_path / "g.gff"
    Genome(fa).close()  # index it now: below, reading a base is a failure

    def no_bases(*args, **kwargs):
        raise AssertionError("the target's bases were read before its length was checked")

    monkeypatch.setattr(Genome, "fetch", no_bases)
    for target in ("chrBig", "chrBig:1-100001", "bigG"):
        with pytest.raises(TargetTooLongError, match="is 100,001 bp, longer than the design "
                           "limit of 100,000 bp") as exc:  # fmt: skip
            design_guides(target, genome=fa, annotation=gff, out=tmp_path / "g.tsv")
        assert "--max-target-length 100001" in exc.value.hint
    assert not (tmp_path / "g.tsv").exists()
    with pytest.raises(TargetTooLongError, match="target 'chrSmall' is 3,000 bp"):
        design_guides("chrSmall", genome=fa, max_target_length=2000)
    with pytest.raises(TargetTooLongError, match="3,000 bp"):  # a sequence target too
        design_guides(seq[:3000], max_target_length=2000)
    monkeypatch.undo()
    res = design_guides("chrSmall", genome=fa, max_target_length=0, ontarget_model="none")
    assert res.info["target_length"] == 3000 and res.info["n_candidates"] > 100
