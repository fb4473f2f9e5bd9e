"""The off-target search is exact: it finds what a base-by-base brute-force scan finds."""

import numpy as np
import pandas as pd
import pytest

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr.offtarget import (
    OfftargetIndex,
    brute_force_offtargets,
    build_index,
    find_offtargets,
    offtargets_table,
)
from helixforge.dna.sequence import reverse_complement

SWAP = {"A": "C", "C": "G", "G": "T", "T": "A"}


def _random(rng, n):
    return "".join(rng.choice(list("ACGT"), n))


def _mutate(rng, s, k):
    s = list(s)
    for p in rng.choice(len(s), k, replace=False):
        s[p] = SWAP[s[p]]
    return "".join(s)


@pytest.fixture(scope="module")
def planted():
    """A ~100 kb random genome with sites planted at 0–5 mismatches, on both strands, at the
    contig ends, next to N runs, soft-masked, and with NAG / NGA / non-PAM decoys."""
    rng = np.random.default_rng(7)
    spacers = [_random(rng, 20) for _ in range(6)]
    chr1 = list(_random(rng, 80_000))
    chr2 = list(_random(rng, 20_000))
    pos = 500
    for gi, sp in enumerate(spacers):
        for k in range(6):
            for pam in ("TGG", "CAG", "AGA", "ACC"):  # ACC is no PAM: must never be reported
                site = _mutate(rng, sp, k) + pam
                if (gi + k) % 2:
                    site = reverse_complement(site)
                chr1[pos : pos + 23] = list(site)
                pos += 60
    chr1[pos : pos + 40] = list("N" * 40)  # an N run right before a planted site
    chr1[pos + 40 : pos + 63] = list(spacers[0] + "TGG")
    site_n = list(_mutate(rng, spacers[1], 1) + "AGG")
    site_n[5] = "N"  # N inside the protospacer: a mismatch, never a match
    chr1[pos + 100 : pos + 123] = site_n
    soft = "".join(_mutate(rng, spacers[2], 2) + "GGG").lower()
    chr1[pos + 200 : pos + 223] = list(soft)
    chr2[0:23] = list(spacers[3] + "AGG")  # genome start
    chr2[-23:] = list(reverse_complement(_mutate(rng, spacers[4], 3) + "TGG"))  # genome end
    genome = {"chr1": "".join(chr1), "chr2": "".join(chr2), "tiny": "ACGTN"}
    return genome, spacers


def _keyset(df):
    return set(
        zip(
            df["spacer"],
            df["contig"],
            df["start"].astype(int),
            df["strand"],
            df["mismatches"].astype(int),
        )
    )


@pytest.mark.parametrize("max_mm", [0, 1, 2, 3, 4, 5])
def test_index_search_equals_brute_force(planted, max_mm):
    genome, spacers = planted
    idx = build_index(genome, "spcas9")
    res = find_offtargets(spacers, idx, max_mismatches=max_mm, max_sites_per_guide=10_000)
    brute = brute_force_offtargets(spacers, genome, max_mm)
    assert len(brute) > len(spacers)  # the planted sites are there
    assert _keyset(res.sites) == _keyset(brute)


def test_strands_ends_n_and_soft_masking_are_handled(planted):
    genome, spacers = planted
    res = find_offtargets(
        spacers, build_index(genome), max_mismatches=4, max_sites_per_guide=10_000
    )
    s = res.sites
    assert {"+", "-"} <= set(s["strand"])
    assert ((s.contig == "chr2") & (s.start == 0)).any()
    assert ((s.contig == "chr2") & (s.end == len(genome["chr2"]))).any()
    n_hits = s[s.has_n]
    assert len(n_hits) and (n_hits.mismatches >= 1).all() and n_hits.site.str.contains("n").all()
    assert s.soft_masked.any()
    assert set(s.pam.str[1:]) <= {"GG", "AG", "GA"}


def test_alternative_pams_can_be_restricted_and_must_be_indexed(planted):
    genome, spacers = planted
    idx = build_index(genome)
    only_ngg = find_offtargets(spacers, idx, max_mismatches=3, pams=["NGG"])
    assert set(only_ngg.sites.pam.str[1:]) == {"GG"}
    assert _keyset(only_ngg.sites) == _keyset(
        brute_force_offtargets(spacers, genome, 3, pams=["NGG"])
    )
    with pytest.raises(ConfigError, match="not all covered"):
        find_offtargets(spacers, idx, pams=["NNG"])


def test_saved_index_and_worker_processes_give_the_same_answer(planted, tmp_path):
    genome, spacers = planted
    build_index(genome, "spcas9", out=tmp_path / "idx")
    idx = OfftargetIndex.load(tmp_path / "idx")
    assert idx.n_sites > 1000 and idx.meta["search_pams"] == ["NGG", "NAG", "NGA"]
    one = find_offtargets(spacers, idx, max_mismatches=4)
    two = find_offtargets(spacers, tmp_path / "idx", max_mismatches=4, n_jobs=2)
    assert two.info["n_jobs"] == 2
    assert one.sites.equals(two.sites) and one.summary.equals(two.summary)


def test_scores_counts_and_on_target_exclusion(planted):
    genome, spacers = planted
    res = find_offtargets(spacers, genome, max_mismatches=4)
    summ = res.summary.set_index("guide_id")
    s0 = summ.loc[spacers[0]]
    on = res.sites[(res.sites.guide_id == spacers[0]) & res.sites.is_ontarget]
    assert len(on) == 1 and on.iloc[0].cfd == 1.0 and on.iloc[0].mismatches == 0
    assert s0.ontarget != ""
    off = res.sites[(res.sites.guide_id == spacers[0]) & ~res.sites.is_ontarget]
    assert s0.mm0 + s0.mm1 + s0.mm2 + s0.mm3 + s0.mm4 == len(off) == s0.offtargets
    assert s0.cfd_sum == pytest.approx(off.cfd.sum(), abs=1e-5)
    assert 0 < s0.cfd_specificity < 100 and 0 < s0.mit_specificity < 100
    assert res.info["build_seconds"] > 0  # the genome was indexed on the fly


def test_repeats_are_flagged_never_dropped_and_caps_still_count():
    rng = np.random.default_rng(3)
    sp = _random(rng, 20)
    copies = "".join(_random(rng, 30) + sp + "TGG" for _ in range(12))
    genome = {"c": _random(rng, 500) + copies + _random(rng, 500)}
    res = find_offtargets([sp], genome, max_mismatches=2, max_sites_per_guide=5)
    row = res.summary.iloc[0]
    assert row.repeat and row.mm0 == 11 and row.sites_reported == 5 and row.truncated
    assert len(res.sites) == 5 and res.sites.is_ontarget.iloc[0]


def test_cas12a_index_is_exact_too():
    rng = np.random.default_rng(11)
    spacers = [_random(rng, 23) for _ in range(3)]
    seq = list(_random(rng, 30_000))
    for i, sp in enumerate(spacers):
        for k in range(4):
            site = "TTTA" + _mutate(rng, sp, k)
            if k % 2:
                site = reverse_complement(site)
            seq[1000 + 300 * (4 * i + k) : 1000 + 300 * (4 * i + k) + 27] = list(site)
    genome = {"c": "".join(seq)}
    res = find_offtargets(
        spacers, build_index(genome, "ascas12a"), max_mismatches=3, enzyme="ascas12a"
    )
    assert _keyset(res.sites) == _keyset(
        brute_force_offtargets(spacers, genome, 3, enzyme="ascas12a")
    )
    assert res.summary.cfd_specificity.isna().all()  # CFD is a SpCas9 score


def test_bad_spacers_and_mismatched_indexes(planted, tmp_path):
    genome, spacers = planted
    idx = build_index(genome)
    with pytest.raises(InputError, match="20-nt"):
        find_offtargets(["ACGT"], idx)
    with pytest.raises(InputError, match="position 3"):
        find_offtargets(["ACNTACGTACGTACGTACGT"], idx)
    with pytest.raises(ConfigError, match="built for spcas9"):
        find_offtargets(["A" * 23], idx, enzyme="ascas12a")
    with pytest.raises(InputError, match="not an off-target index"):
        OfftargetIndex.load(tmp_path)


def test_table_in_tables_out_with_an_errors_table(planted, tmp_path):
    genome, spacers = planted
    table = tmp_path / "guides.csv"
    table.write_text(
        "id,spacer\n" + f"g1,{spacers[0]}\n" + "g2,ACGTXACGT\n" + f"g3,{spacers[1].lower()}\n"
    )
    info = offtargets_table(
        table, genome, tmp_path / "out" / "sites.tsv", id_col="id", max_mismatches=3
    )
    assert info["n_guides"] == 2 and info["n_errors"] == 1
    errors = (tmp_path / "out" / "sites.errors.csv").read_text()
    assert "ACGTXACGT" in errors and ",3," in errors  # file line 3
    assert (tmp_path / "out" / "sites.summary.tsv").exists()
    with pytest.raises(InputError, match="spacer table not found"):
        offtargets_table(tmp_path / "missing.csv", genome, tmp_path / "x.tsv")


def test_a_table_for_another_enzyme_than_the_index_is_refused_for_the_index(small, tmp_path):
    """21-nt SaCas9 spacers searched with --enzyme sacas9 in an SpCas9 index: every row went to
    the errors table as "spacer is 21 nt; spcas9 uses 20 nt" and the job ended "no usable
    spacer", though the spacers were right and the index was wrong."""
    genome, sp = small
    table = tmp_path / "sacas9_guides.csv"
    table.write_text("id,spacer\ng1," + sp + "A\ng2," + sp + "C\n")
    with pytest.raises(ConfigError, match=r"index was built for spcas9.*asks for sacas9"):
        offtargets_table(table, build_index(genome), tmp_path / "sites.tsv", enzyme="sacas9")
    assert not (tmp_path / "sites.errors.csv").exists()  # no row was blamed


def test_the_summary_names_each_guide_by_the_id_the_sites_table_uses(small, tmp_path):
    """With --id-col name, a table's own guide_id column stayed the summary's guide_id ('a')
    while the sites table said 'n1': the two outputs did not join. An empty id cell was NaN in
    the summary and the spacer in the sites table."""
    genome, sp = small
    genome = {"chr1": genome["chr1"][:500] + sp + "TGG" + genome["chr1"][500:]}  # one site
    (tmp_path / "ids.csv").write_text(f"guide_id,name,spacer\na,n1,{sp}\n")
    offtargets_table(tmp_path / "ids.csv", genome, tmp_path / "o.tsv", id_col="name")
    summary = pd.read_csv(tmp_path / "o.summary.tsv", sep="\t")
    sites = pd.read_csv(tmp_path / "o.tsv", sep="\t")
    assert summary[["guide_id", "input_guide_id", "name"]].values.tolist() == [["n1", "a", "n1"]]
    assert set(sites["guide_id"]) == {"n1"}
    (tmp_path / "blank.csv").write_text(f"guide_id,spacer\n,{sp}\n")
    offtargets_table(tmp_path / "blank.csv", genome, tmp_path / "b.tsv")
    summary = pd.read_csv(tmp_path / "b.summary.tsv", sep="\t")
    assert (
        summary["guide_id"].tolist()
        == [sp]
        == pd.read_csv(tmp_path / "b.tsv", sep="\t")["guide_id"].unique().tolist()
    )


def test_an_existing_index_is_replaced_only_with_overwrite(tmp_path):
    from helixforge.core.errors import ConfigError

    genome = {"chr1": "ACGT" * 50 + "GATTACAGATTACAGATTACAGG" + "TTGCA" * 40}
    build_index(genome, "spcas9", out=tmp_path / "idx")
    with pytest.raises(ConfigError, match="--overwrite"):
        build_index(genome, "spcas9", out=tmp_path / "idx")
    assert build_index(genome, "spcas9", out=tmp_path / "idx", overwrite=True).n_sites > 0


@pytest.mark.parametrize("junk", ["61 ", "*", "-"])
def test_a_genome_with_characters_that_are_not_bases_is_refused_with_its_position(tmp_path, junk):
    # GenBank ORIGIN numbering pasted into a FASTA used to index "fine", every site over the
    # junk skipped silently as if it were N.
    from helixforge.crispr.offtarget import build_index

    rng = np.random.default_rng(3)
    seq = _random(rng, 300)
    fa = tmp_path / "g.fa"
    fa.write_text(f">chr1\n{seq[:60]}\n>chr2\n{seq[:120]}{junk}{seq[120:]}\n")
    import re

    with pytest.raises(InputError, match=re.escape(f"contig chr2, position 121: '{junk[0]}' is")):
        build_index(str(fa), "spcas9")
    fa.write_text(f">chr1\n{seq[:60]}\n>chr2\n{seq[:120].lower()}NRYU{seq[124:]}\n")
    assert build_index(str(fa), "spcas9").n_sites > 0  # soft-masking, N, IUPAC and U are bases


def test_whitespace_inside_genome_sequence_lines_is_not_a_base(tmp_path):
    # dna.io.Genome reads a FASTA whose lines hold spaces / tabs through a normalised copy
    # (as Biopython does): the same sites, at the same positions, as the clean file.
    from helixforge.crispr.offtarget import build_index

    seq = _random(np.random.default_rng(3), 300)
    clean, spaced = tmp_path / "clean.fa", tmp_path / "spaced.fa"
    clean.write_text(f">chr1\n{seq}\n")
    spaced.write_text(f">chr1\n{seq[:120]} \t{seq[120:]}\n")
    a, b = build_index(str(clean), "spcas9"), build_index(str(spaced), "spcas9")
    assert a.n_sites == b.n_sites > 0
    for name, column in a.arrays.items():
        assert np.array_equal(column, b.arrays[name]), name


def test_an_all_lowercase_genome_flags_no_site_as_soft_masked():
    # every site of a genome written in lowercase was reported soft_masked
    rng = np.random.default_rng(7)
    chrom = "".join(rng.choice(list("ACGT"), 4000))
    at = next(i for i in range(1000, 1100) if chrom[i + 21 : i + 23] == "GG")  # an NGG site
    sp = chrom[at : at + 20]
    hits = {}
    for name, genome in {
        "upper": {"chr1": chrom},
        "lower": {"chr1": chrom.lower()},
        "soft": {"chr1": chrom[:900] + chrom[900:1100].lower() + chrom[1100:]},
    }.items():
        hits[name] = find_offtargets([sp], genome, max_mismatches=4).sites
    assert hits["upper"].is_ontarget.sum() == 1
    assert not hits["upper"].soft_masked.any() and not hits["lower"].soft_masked.any()
    assert hits["lower"].drop(columns="site").equals(hits["upper"].drop(columns="site"))
    on = hits["soft"][hits["soft"].is_ontarget]
    assert len(on) == 1 and on.soft_masked.all()


def test_a_23mer_or_30mer_spacer_is_refused_naming_the_spacer_inside_it(tmp_path):
    from helixforge.crispr.offtarget import offtargets_table

    rng = np.random.default_rng(5)
    seq = "".join(rng.choice(list("ACGT"), 5000))
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    site, context = seq[100:120] + "AGG", seq[200:224] + "TGG" + seq[227:230]
    (tmp_path / "in.csv").write_text(
        f"guide_id,spacer\na,{seq[300:320]}\nb,{site}\nc,{context}\nd,\n"
    )
    offtargets_table(tmp_path / "in.csv", tmp_path / "g.fa", tmp_path / "o.tsv")
    errors = pd.read_csv(tmp_path / "o.errors.csv", keep_default_na=False).set_index("row")
    assert errors.at[3, "reason"].endswith("looks like spacer + PAM; give positions 1-20 only")
    assert errors.at[4, "reason"].endswith(
        "looks like a 30-nt context; the spacer is positions 5-24"
    )
    # an empty cell is an empty value in the errors table, not the text 'nan'
    assert (
        errors.at[5, "value"] == ""
        and errors.at[5, "reason"] == "empty cell; expected a 20-nt spacer"
    )


def test_a_site_or_context_on_the_other_strand_is_told_so_with_its_spacer(tmp_path):
    """A - strand guide's site read off the + strand (CCN + 20 nt) was told "looks like spacer +
    PAM; give positions 1-20 only": CCN + 17 nt, a guide nobody meant. A 23-mer with no PAM at
    all is not called a site."""
    from helixforge.crispr.offtarget import offtargets_table

    seq = "".join(np.random.default_rng(5).choice(list("ACGT"), 5000))
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    spacer = seq[300:320]
    site_rc = reverse_complement(spacer + "TGG")
    context_rc = reverse_complement("ACGT" + spacer + "AGG" + "TCA")
    rows = [site_rc, context_rc, spacer + "TTT", spacer]  # the last one is searched
    (tmp_path / "in.csv").write_text("spacer\n" + "\n".join(rows) + "\n")
    offtargets_table(tmp_path / "in.csv", tmp_path / "g.fa", tmp_path / "o.tsv")
    reasons = pd.read_csv(tmp_path / "o.errors.csv").set_index("row")["reason"]
    assert reasons[2].endswith(
        f"reverse complement of a spacer + PAM (its PAM on the other strand); the spacer is "
        f"{spacer}, the reverse complement of positions 4-23"
    )
    assert f"the spacer is {spacer}, the reverse complement of positions 7-26" in reasons[3]
    assert reasons[4] == "spacer is 23 nt; spcas9 uses 20 nt (without PAM)"


@pytest.mark.parametrize(
    "enzyme, extra, custom",
    [("sacas9", "AC", "custom:NNGRRT:22"), ("ascas12a", "", "custom:TTTV:20:5")],
)
def test_a_spacer_of_another_length_is_told_the_custom_enzyme_that_searches_it(
    small, tmp_path, enzyme, extra, custom
):
    """22-nt SaCas9 and 20-nt Cas12a guides are common; the reason said only "spacer is 22 nt;
    sacas9 uses 21 nt". The custom enzyme it names searches them."""
    from helixforge.core.errors import NoUsableRowsError

    genome, sp = small
    (tmp_path / "in.csv").write_text(f"spacer\n{sp + extra}\n")
    with pytest.raises(NoUsableRowsError):
        offtargets_table(tmp_path / "in.csv", genome, tmp_path / "a.tsv", enzyme=enzyme)
    reason = pd.read_csv(tmp_path / "a.errors.csv")["reason"][0]
    assert reason.endswith(f"use --enzyme {custom} (with --genome, or an index built for it)")
    info = offtargets_table(tmp_path / "in.csv", genome, tmp_path / "b.tsv", enzyme=custom)
    assert info["n_guides"] == 1 and info["n_errors"] == 0


def test_a_site_written_with_its_pam_pattern_is_told_to_be_spacer_plus_pam(tmp_path):
    """GUIDE-seq / CIRCLE-seq tables write target sites as spacer + 'NGG' (Listgarten 2018,
    Kleinstiver 2016, Tsai 2017): they were refused with "character 'N' at position 21 is not
    A, C, G or T", which does not say that the PAM is the problem. A site or context whose
    spacer part holds a base that is no base still gets that reason."""
    from helixforge.crispr.offtarget import offtargets_table

    rng = np.random.default_rng(6)
    seq = "".join(rng.choice(list("ACGT"), 5000))
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    sp = seq[300:320]
    rows = [sp, sp.lower() + "ngg", "NNNN" + sp + "NGGNNN", sp[:5] + "N" + sp[6:] + "NGG",
            "NNNN" + sp + "NG"]  # fmt: skip
    (tmp_path / "in.csv").write_text("spacer\n" + "\n".join(rows) + "\n")
    offtargets_table(tmp_path / "in.csv", tmp_path / "g.fa", tmp_path / "o.tsv")
    errors = pd.read_csv(tmp_path / "o.errors.csv").set_index("row")["reason"]
    assert sorted(errors.index) == [3, 4, 5, 6]
    assert errors[3].endswith("looks like spacer + PAM; give positions 1-20 only")
    assert errors[4].endswith("looks like a 30-nt context; the spacer is positions 5-24")
    assert errors[5] == "character 'N' at position 6 is not A, C, G or T"
    assert errors[6] == "character 'N' at position 1 is not A, C, G or T"


def test_index_of_an_rna_or_iupac_genome_says_what_it_read(tmp_path):
    """A genome FASTA in the RNA alphabet, with IUPAC codes or with a contig too short for a
    site was indexed without a word: the index says (index.json notes, printed by the CLI)
    that U was read as T, which contigs held ambiguity codes and which contigs have no site."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    rng = np.random.default_rng(5)
    dna = _random(rng, 4000)
    (tmp_path / "dna.fa").write_text(f">chr1\n{dna}\n")
    (tmp_path / "rna.fa").write_text(f">chr1\n{dna.replace('T', 'U').lower()}\n")
    amb = dna[:2000] + "RYKM" + dna[2004:]
    (tmp_path / "amb.fa").write_text(f">chr1\n{amb}\n>tiny\nACGTAC\n")
    ref = build_index(tmp_path / "dna.fa")
    rna = build_index(tmp_path / "rna.fa")
    assert rna.n_sites == ref.n_sites > 100  # U read as T: the same sites
    assert np.array_equal(rna.arrays["codes"], ref.arrays["codes"])
    assert rna.meta["notes"] == [f"contig chr1: {dna.count('T'):,} U (RNA alphabet) read as T"]
    assert ref.meta["notes"] == []
    notes = build_index(tmp_path / "amb.fa").meta["notes"]
    assert any("chr1: 4 IUPAC ambiguity code(s)" in n for n in notes), notes
    assert any("contig tiny (6 nt) has no NGG/NAG/NGA site" in n for n in notes), notes
    res = CliRunner().invoke(app, ["crispr", "index", str(tmp_path / "rna.fa"),
                                   "-o", str(tmp_path / "idx")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "U (RNA alphabet) read as T" in res.output
    meta = (tmp_path / "idx" / "index.json").read_text()
    assert "U (RNA alphabet) read as T" in meta


def test_an_interrupted_search_resumes_to_the_uninterrupted_tables(planted, tmp_path, monkeypatch):
    import helixforge.crispr.offtarget as ot
    from helixforge.core.errors import ConfigError

    genome, spacers = planted
    table = tmp_path / "guides.csv"
    table.write_text("id,spacer\n" + "".join(f"g{i},{s}\n" for i, s in enumerate(spacers)))
    kw = dict(id_col="id", max_mismatches=3, chunk_size=2)
    offtargets_table(table, genome, tmp_path / "whole" / "sites.tsv", **kw)
    real, calls = ot.find_offtargets, []

    def die_on_the_third_chunk(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(ot, "find_offtargets", die_on_the_third_chunk)
    run = tmp_path / "run" / "sites.tsv"
    with pytest.raises(KeyboardInterrupt):
        offtargets_table(table, genome, run, **kw)
    assert sorted(p.name for p in (tmp_path / "run" / ".sites.tsv.partial").glob("chunk_*")) == [
        "chunk_000000", "chunk_000001"]  # fmt: skip
    with pytest.raises(ConfigError, match="max_mismatches"):
        offtargets_table(table, genome, run, resume=True, **{**kw, "max_mismatches": 2})
    calls.clear()
    monkeypatch.setattr(ot, "find_offtargets", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    offtargets_table(table, genome, run, resume=True, **kw)
    assert len(calls) == 1  # only the third chunk was searched again
    for name in ("sites.tsv", "sites.summary.tsv"):
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    assert not (tmp_path / "run" / ".sites.tsv.partial").exists()


# ---------------------------------------------------------------- Python-API inputs


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(1)
    g = _random(rng, 3000)
    return {"chr1": g}, g[100:120]


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda sp: sp.encode(), id="bytes"),  # was read as ints: 'spacer 65'
        pytest.param(lambda sp: [sp.encode()], id="list-of-bytes"),  # was "b'…'", 23 nt
        pytest.param(lambda sp: np.array([sp]), id="ndarray"),
        pytest.param(lambda sp: pd.Series([sp], index=["g1"]), id="series"),
    ],
)
def test_spacers_in_any_container_are_searched(small, given):
    genome, sp = small
    want = find_offtargets([sp], genome).summary
    got = find_offtargets(given(sp), genome).summary
    assert got["offtargets"].tolist() == want["offtargets"].tolist()


def test_a_typed_spacer_list_keeps_no_blank_after_its_commas(small, tmp_path):
    """'A…, c…' on the command line: the summary's spacer column showed ' c…' (the blank kept)."""
    from helixforge.crispr.offtarget import offtargets_table

    genome, sp = small
    (tmp_path / "g.fa").write_text(f">chr1\n{genome['chr1']}\n")
    other = genome["chr1"][500:520]
    offtargets_table(f"{sp}, {other.lower()} ;{sp}", tmp_path / "g.fa", tmp_path / "o.tsv")
    summary = pd.read_csv(tmp_path / "o.summary.tsv", sep="\t")
    assert summary["spacer"].tolist() == [sp, other.lower(), sp]
    assert summary["guide_id"].tolist() == [sp, other, sp]


@pytest.mark.parametrize(
    "given, match",
    [
        (None, "spacers is None"),
        ([None], r"spacers\[0\] is missing"),  # was "'None' is 4 nt"
        ({"g1": None}, "spacer g1 is missing"),
        ({"AC", "GT"}, "set, whose order is arbitrary"),
    ],
)
def test_missing_spacers_are_named(small, given, match):
    with pytest.raises(InputError, match=match):
        find_offtargets(given, small[0])


def test_one_pam_string_is_one_pam(small):
    genome, sp = small
    want = find_offtargets([sp], genome, pams=["NGG"]).summary
    assert find_offtargets([sp], genome, pams="NGG").summary.equals(want)
    assert list(build_index(genome, pams="NGG").meta["search_pams"]) == ["NGG"]


@pytest.mark.parametrize(
    "ontargets, match",
    [
        ({"nope": ("chr1", 100, "+")}, "names guide 'nope'"),
        ({"SP": ("chrZ", 100, "+")}, "contig 'chrZ' is not in the index"),
        ({"SP": ("chr1", 100, "?")}, "strand must be"),
        ({"SP": ("chr1", -1, "+")}, "start must be at least 0"),
    ],
)
def test_an_ontarget_that_names_nothing_is_refused(small, ontargets, match):
    """A wrong entry was ignored and the intended site was counted as an off-target."""
    genome, sp = small
    ontargets = {(sp if k == "SP" else k): v for k, v in ontargets.items()}
    with pytest.raises(ConfigError, match=match):
        find_offtargets([sp], genome, ontargets=ontargets)


def test_bad_numbers_and_genomes_are_named(small):
    genome, sp = small
    with pytest.raises(ConfigError, match="repeat_threshold must be at least 1"):
        find_offtargets([sp], genome, repeat_threshold=-1)
    with pytest.raises(InputError, match="genome is None"):
        find_offtargets([sp], None)
    with pytest.raises(InputError, match=r"genome\['c'\] is missing"):
        find_offtargets([sp], {"c": None})
    with pytest.raises(InputError, match="spacer ACGT: 'ACGT' is 4 nt"):
        brute_force_offtargets(["ACGT"], genome)
    with pytest.raises(ConfigError, match="max_mismatches must be at least 0"):
        brute_force_offtargets([sp], genome, max_mismatches=-1)


def test_offtargets_table_names_missing_spacers(small, tmp_path):
    with pytest.raises(InputError, match="spacers is None"):
        offtargets_table(None, small[0], tmp_path / "o.tsv")


@pytest.mark.parametrize(
    "spacers, key",
    [
        pytest.param(lambda sp: pd.Series([sp]), 0, id="series-int-index"),
        pytest.param(lambda sp: {7: sp}, 7, id="dict-int-key"),
        pytest.param(lambda sp: {"7": sp}, 7, id="int-key-for-str-id"),
    ],
)
def test_ontargets_keyed_like_the_spacers_ids(spacers, key):
    """Guide ids are str(key); an int ontargets key was refused with a hint to use that key."""
    rng = np.random.default_rng(3)
    g = list(_random(rng, 3000))
    sp = _random(rng, 20)
    g[1000:1023] = list(sp + "TGG")
    genome = {"chr1": "".join(g)}
    res = find_offtargets(spacers(sp), genome, ontargets={key: ("chr1", 1000, "+")})
    assert res.summary.ontarget.tolist() == ["chr1:1000:+"]
    assert res.sites.is_ontarget.sum() == 1


def test_ontargets_that_name_one_guide_twice_are_refused(small):
    genome, sp = small
    with pytest.raises(ConfigError, match="names guide '0' twice"):
        find_offtargets(
            pd.Series([sp]), genome, ontargets={0: ("chr1", 1, "+"), "0": ("chr1", 1, "+")}
        )


def test_an_index_is_searched_with_the_pams_of_the_enzyme_asked_for():
    # a perfect copy of the guide next to NAG: SpCas9 cuts it, custom:NGG:20 (off-target PAMs:
    # NGG only) does not. With an SpCas9 index (NGG, NAG, NGA) custom:NGG:20 counted it, and
    # without the index (built in memory for that enzyme) it did not: two answers to one design
    from helixforge.crispr.design import design_guides

    rng = np.random.default_rng(11)
    spacer = "GACGCATAAAGATGAGACGC"
    genome = {"c1": _random(rng, 60) + spacer + "TGG" + _random(rng, 60) + spacer + "CAG"
              + _random(rng, 60)}  # fmt: skip
    full = build_index(genome, "spcas9")
    r = find_offtargets([spacer], full, max_mismatches=0, enzyme="custom:NGG:20")
    assert r.summary.mm0.tolist() == [0] and "pams_not_indexed" not in r.info
    assert find_offtargets([spacer], full, max_mismatches=0).summary.mm0.tolist() == [1]
    by_index = design_guides("c1", genome=genome, index=full, enzyme="custom:NGG:20",
                             ontarget_model="none")  # fmt: skip
    in_memory = design_guides("c1", genome=genome, enzyme="custom:NGG:20", ontarget_model="none")
    pd.testing.assert_frame_equal(by_index.guides, in_memory.guides)
    # an index built with --pams NGG cannot count SpCas9's NAG / NGA sites: said, not silent
    ngg = build_index(genome, "spcas9", pams=["NGG"])
    r = find_offtargets([spacer], ngg, max_mismatches=0, enzyme="spcas9")
    assert r.info["pams_not_indexed"] == ["NAG", "NGA"]
    res = design_guides("c1", genome=genome, index=ngg, ontarget_model="none")
    assert any("NAG, NGA are not counted" in n for n in res.notes)


def test_pams_of_another_length_than_the_enzymes_are_named_with_the_option():
    # they were InputErrors ('search PAMs (...) must be 3 nt', 'PAM is 6 nt; this search uses
    # 3-nt PAMs') whose hint spoke of a file
    genome = {"c1": _random(np.random.default_rng(2), 300)}
    with pytest.raises(ConfigError, match=r"--pams NGGG \(4 nt\): spcas9's PAMs are 3 nt") as e:
        build_index(genome, "spcas9", pams=["NGGG", "NGG"])
    assert "NGG, NAG, NGA" in e.value.hint and "--enzyme" in e.value.hint
    idx = build_index(genome, "spcas9")
    with pytest.raises(ConfigError, match=r"--pams NNGRRT \(6 nt\)") as e:
        find_offtargets(["GACGCATAAAGATGAGACGC"], idx, pams=["NNGRRT"])
    assert "NGG, NAG, NGA" in e.value.hint


def test_one_guide_id_for_two_spacers_is_refused_and_bad_spacers_say_what_to_do(small):
    """A Series index used twice (or {1: …, '1': …}) gave two summary rows of one guide id,
    and `ontargets` applied to both; an empty spacer of a list was named 'spacer :'."""
    genome, sp = small
    other = reverse_complement(sp)
    for given in (pd.Series([sp, other], index=["g1", "g1"]), {1: sp, "1": other}):
        with pytest.raises(InputError) as exc:
            find_offtargets(given, genome)
        assert "names two spacers" in exc.value.message and "(entry 1)" in exc.value.message
        assert "own id" in exc.value.hint
    with pytest.raises(InputError, match="spacer 2 of 2 is empty") as exc:
        find_offtargets([sp, " "], genome)
    assert "leave the guide out" in exc.value.hint
    with pytest.raises(InputError, match="'N' at position 1 is not A, C, G or T") as exc:
        find_offtargets(["N" + sp[1:]], genome)
    assert exc.value.hint
    with pytest.raises(InputError, match="41 nt") as exc:
        find_offtargets(f"{sp},{other}", genome)
    assert "as a list" in exc.value.hint
    # one spacer twice is one guide asked for twice (same id, same spacer): searched as given;
    # a padded, soft-masked or RNA spacer is the same guide, named without the padding
    res = find_offtargets([sp, sp, f" {sp.lower()} ", sp.replace("T", "U")], genome)
    assert res.summary["spacer"].tolist() == [sp] * 4
    assert res.summary["guide_id"].tolist()[2] == sp.lower()


@pytest.mark.parametrize("pam", ["NGGT", "GG"])
def test_the_brute_force_reference_refuses_a_pam_of_another_length(small, pam):
    """brute_force_offtargets(pams=['NGGT']) for SpCas9 crashed with a numpy broadcast error
    and pams=['GG'] found nothing; find_offtargets refuses both by name, and so does it."""
    genome, sp = small
    with pytest.raises(ConfigError, match=f"pams {pam} \\({len(pam)} nt\\): spcas9 PAMs are 3 nt"):
        brute_force_offtargets([sp], genome, pams=[pam])
    lower = brute_force_offtargets([sp], genome, pams=["nrg"], max_mismatches=3)
    assert lower.equals(brute_force_offtargets([sp], genome, pams=["NRG"], max_mismatches=3))
