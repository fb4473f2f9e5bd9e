"""Trust fixes (issue 9): index swaps survive kill -9, indexes are tied to their genome, bad
bases and overhanging guides are handled honestly, ids and rows are accounted for."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.errors import InputError
from helixforge.crispr.design import design_guides
from helixforge.crispr.guides import enumerate_guides
from helixforge.crispr.offtarget import OfftargetIndex, build_index, offtargets_table
from helixforge.crispr.targets import resolve_target
from helixforge.dna.sequence import reverse_complement

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def _seq(seed: int, n: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


@pytest.fixture
def two_genomes(tmp_path):
    a, b = tmp_path / "a.fa", tmp_path / "b.fa"
    a.write_text(">chr1\n" + _seq(1, 20_000) + "\n")
    b.write_text(">chr1\n" + _seq(2, 20_000) + "\n")
    return a, b


# ---------------------------------------------------------------- index swap and kill -9

_SWAP_HOOK = """
import os, sys, time
import helixforge.core.io as cio
real = os.replace
def pausing_replace(src, dst):
    real(src, dst)
    if str(dst).endswith('.old'):           # the old index is aside, the new one not yet in
        open(sys.argv[3], 'w').close()
        time.sleep(60)
cio.os.replace = pausing_replace
from helixforge.crispr.offtarget import build_index
build_index(sys.argv[1], 'spcas9', out=sys.argv[2], overwrite=True)
"""

_BUILD_HOOK = """
import sys, time
import helixforge.crispr.offtarget_index as oi
def slow_swap(new, final):
    open(sys.argv[3], 'w').close()           # the new index is staged, nothing swapped yet
    time.sleep(60)
oi_save = oi.OfftargetIndex.save
import helixforge.core.io as cio
cio.replace_dir = slow_swap
from helixforge.crispr.offtarget import build_index
build_index(sys.argv[1], 'spcas9', out=sys.argv[2], overwrite=True)
"""


def _kill_at(hook: str, genome: Path, out: Path, marker: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-c", hook, str(genome), str(out), str(marker)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.time() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline, "the build never reached the hook"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("hook", [_SWAP_HOOK, _BUILD_HOOK], ids=["inside-swap", "before-swap"])
def test_kill_9_while_replacing_an_index_never_loses_it(two_genomes, tmp_path, hook):
    a, b = two_genomes
    out = tmp_path / "idx"
    build_index(a, "spcas9", out=out)
    old = OfftargetIndex.load(out)
    _kill_at(hook, b, out, tmp_path / "marker")
    # the old index is back (recover_dir on open) and still answers for genome a
    idx = OfftargetIndex.load(out, genome=a)
    assert idx.meta["genome"]["sha256"] == old.meta["genome"]["sha256"]
    assert idx.n_sites == old.n_sites
    # a rerun gives what an uninterrupted build gives
    res = runner.invoke(app, ["crispr", "index", str(b), "-o", str(out), "--overwrite"])
    assert res.exit_code == 0, res.output
    fresh = build_index(b, "spcas9")
    again = OfftargetIndex.load(out, genome=b)
    assert again.n_sites == fresh.n_sites
    assert np.array_equal(np.asarray(again.arrays["codes"]), fresh.arrays["codes"])
    assert not any(p.name.startswith(".idx") for p in tmp_path.iterdir())


_TRAIN_HOOK = """
import sys, time
import helixforge.core.supervised.rundir as rundir
import helixforge.crispr.ontarget_train as ot
real = rundir.write_run
def write_then_stall(stage, *args, **kwargs):
    real(stage, *args, **kwargs)             # the new run is complete in its staging dir
    open(sys.argv[3], 'w').close()
    time.sleep(60)
rundir.write_run = write_then_stall
ot.train_ontarget(sys.argv[1], 'context', 'lfc', 'gbm', sys.argv[2],
                  params={'n_estimators': 20}, seed=1, overwrite=True)
"""


def test_kill_9_before_a_training_run_is_swapped_in_keeps_the_old_run(tmp_path):
    from helixforge.crispr.ontarget import train_ontarget

    rng = np.random.default_rng(3)
    ctx = ["".join(rng.choice(list("ACGT"), 25)) + "GG" + "ACG" for _ in range(120)]
    ctx = [c[:25] + "GG" + c[27:] for c in ctx]
    y = [float(c[23] == "G") + 0.01 * i for i, c in enumerate(ctx)]
    data = tmp_path / "screen.csv"
    pd.DataFrame({"context": ctx, "lfc": y}).to_csv(data, index=False)
    out = tmp_path / "run"
    train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 20}, seed=0)
    old = (out / "predictions.csv").read_bytes()
    _kill_at(_TRAIN_HOOK, data, out, tmp_path / "marker")
    assert (out / "predictions.csv").read_bytes() == old  # the old run is whole
    train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 20}, seed=1,
                   overwrite=True)  # fmt: skip
    files = ("predictions.csv", "model/member_0/model.txt", "model/manifest.json", "conformal.json")
    rerun = {f: (out / f).read_bytes() for f in files}
    clean = tmp_path / "clean"
    train_ontarget(data, "context", "lfc", "gbm", clean, params={"n_estimators": 20}, seed=1)
    assert rerun == {f: (clean / f).read_bytes() for f in rerun}
    assert not (tmp_path / ".run.partial").exists()


def test_an_index_for_another_genome_is_refused_naming_both(two_genomes, tmp_path):
    a, b = two_genomes
    build_index(a, "spcas9", out=tmp_path / "idx")
    with pytest.raises(InputError, match="built for genome") as exc:
        design_guides("chr1:1001-1400", genome=b, index=tmp_path / "idx", ontarget_model="none")
    assert str(a.resolve()) in exc.value.message and str(b) in exc.value.message
    # same content, new mtime: the sha256 decides, and it agrees
    os.utime(a, (time.time() + 5, time.time() + 5))
    res = design_guides("chr1:1001-1400", genome=a, index=tmp_path / "idx", ontarget_model="none")
    assert len(res.guides) > 0


def test_the_same_genome_in_another_file_is_accepted_for_its_index(two_genomes, tmp_path):
    # indexed from a.fa, designed with a.fa.gz (or re-wrapped, other header descriptions): the
    # same sequences; it was refused as 'built for genome a.fa … (its content differs)'
    import gzip

    a, _ = two_genomes
    build_index(a, "spcas9", out=tmp_path / "idx")
    seq = a.read_text().split("\n", 1)[1].replace("\n", "")
    gz = tmp_path / "a.fa.gz"
    gz.write_bytes(gzip.compress(a.read_bytes()))
    wrapped = tmp_path / "a60.fa"
    lines = [seq[i : i + 60] for i in range(0, len(seq), 60)]
    wrapped.write_text(">chr1 chromosome 1, wrapped at 60\n" + "\n".join(lines) + "\n")
    plain = design_guides("chr1:1001-1400", genome=a, index=tmp_path / "idx", ontarget_model="none")
    for other in (gz, wrapped):
        res = design_guides("chr1:1001-1400", genome=other, index=tmp_path / "idx",
                            ontarget_model="none")  # fmt: skip
        pd.testing.assert_frame_equal(res.guides, plain.guides)
    changed = tmp_path / "changed.fa"  # one base differs: refused
    changed.write_text(">chr1\n" + ("A" if seq[0] != "A" else "C") + seq[1:] + "\n")
    with pytest.raises(InputError, match="its content differs"):
        design_guides("chr1:1001-1400", genome=changed, index=tmp_path / "idx",
                      ontarget_model="none")  # fmt: skip


def test_corrupt_index_files_are_named(two_genomes, tmp_path):
    a, _ = two_genomes
    build_index(a, "spcas9", out=tmp_path / "idx")
    (tmp_path / "idx" / "codes.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(InputError, match="codes.npy"):
        OfftargetIndex.load(tmp_path / "idx")
    (tmp_path / "idx" / "index.json").write_text("{not json")
    with pytest.raises(InputError, match="index.json"):
        OfftargetIndex.load(tmp_path / "idx")


# ---------------------------------------------------------------- design honesty


def test_an_iupac_base_skips_only_the_sites_over_it(tmp_path):
    spacer = "GACGCATAAAGATGAGACGC"
    seq = _seq(3, 200) + spacer + "TGG" + _seq(4, 200)
    bad = seq[:205] + "R" + seq[206:]  # inside the planted spacer
    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\n" + bad + "\n")
    res = design_guides("chr1:1-420", genome=fa, ontarget_model="none", out=tmp_path / "g.tsv")
    assert len(res.guides) > 10 and spacer not in set(res.guides["spacer"])
    skipped = pd.read_csv(tmp_path / "g.skipped.tsv", sep="\t")
    assert len(skipped) >= 1 and skipped["reason"].str.contains("'R'").all()
    assert res.info["n_skipped"] == len(skipped)
    # a sequence target with an IUPAC code is designed too
    g = enumerate_guides(resolve_target(bad[150:300]))
    assert len(g) > 0 and len(g.attrs["skipped"]) >= 1


def test_guides_cutting_in_the_cds_but_overhanging_its_end_are_enumerated(tmp_path):
    spacer = "GACGCATAAAGATGAGACGC"
    chrom = list(_seq(5, 3000))
    # CDS 1001-1600 (1-based): a + strand site whose cut (17 nt in) is 4 nt before the CDS end
    start = 1600 - 21  # 0-based start of the spacer
    chrom[start : start + 23] = list(spacer + "AGG")
    fa, gff = tmp_path / "g.fa", tmp_path / "g.gtf"
    fa.write_text(">chr1\n" + "".join(chrom) + "\n")
    gff.write_text('chr1\tx\tCDS\t1001\t1600\t.\t+\t0\tgene_id "g1"; gene_name "abcD";\n')
    t = resolve_target("abcD", genome=fa, annotation=gff)
    g = enumerate_guides(t, annotation=gff)
    row = g[g.spacer == spacer].iloc[0]
    assert row.site_end > 1600 and row.gene == "abcD" and 1000 < row.cut_position < 1600
    assert (g.gene == "abcD").all()  # every enumerated guide cuts inside the CDS
    res = design_guides("abcD", genome=fa, annotation=gff, ontarget_model="none")
    assert res.info["n_candidates"] == len(res.candidates) == len(g)


def test_gtf_contig_names_are_matched_across_ucsc_and_ensembl(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">chrV\n" + _seq(6, 3000) + "\n>chrM\n" + _seq(7, 2000) + "\n")
    gtf = tmp_path / "a.gtf"
    gtf.write_text('V\tx\tCDS\t1001\t1600\t.\t+\t0\tgene_id "g1"; gene_name "ABC1";\n'
                   'MT\tx\tCDS\t101\t900\t.\t-\t0\tgene_id "g2"; gene_name "COX1";\n')  # fmt: skip
    for gene, contig in (("ABC1", "chrV"), ("COX1", "chrM")):
        t = resolve_target(gene, genome=fa, annotation=gtf)
        assert t.contig == contig
        g = enumerate_guides(t, annotation=gtf)
        assert len(g) and (g.gene == gene).all()


def test_unknown_gene_names_say_not_found_and_suggest_only_close_names(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\n" + _seq(8, 3000) + "\n")
    gtf = tmp_path / "a.gtf"
    gtf.write_text('chr1\tx\tCDS\t1001\t1600\t.\t+\t0\tgene_id "g1"; gene_name "thrA";\n')
    with pytest.raises(InputError, match="is not in the annotation a.gtf") as exc:
        resolve_target("zzzQ", genome=fa, annotation=gtf)
    assert "closest" not in (exc.value.hint or "")
    with pytest.raises(InputError) as exc:  # thrB is another gene, not a typo of thrA
        resolve_target("thrB", genome=fa, annotation=gtf)
    assert "thrA" not in exc.value.hint.split("named like")[0]
    with pytest.raises(InputError) as exc:
        resolve_target("THRA", genome=fa, annotation=gtf)
    assert "did you mean 'thrA'" in exc.value.hint


def test_console_shows_what_the_ranking_uses(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\n" + _seq(9, 5000) + "\n")
    res = runner.invoke(app, ["crispr", "design", "-t", "chr1:1001-1400", "-g", str(fa), "--top", "5",
                              "--ontarget-model", "none", "-o", str(tmp_path / "g.tsv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    header = next(line for line in res.output.splitlines() if line.strip().startswith("rank"))
    assert "tier" in header and "combined_score" in header and "specificity" in header
    g = pd.read_csv(tmp_path / "g.tsv", sep="\t")
    key = list(zip(g.tier, -g.combined_score))
    assert key == sorted(key)
    assert np.allclose(g.combined_score, (g.efficiency * g.specificity).round(4), atol=1e-4)


# ---------------------------------------------------------------- offtargets tables


def test_offtargets_keeps_ids_input_columns_and_accounts_for_every_row(tmp_path):
    seq = _seq(10, 20_000)
    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\n" + seq + "\n")
    s1, s2 = seq[1000:1020], reverse_complement(seq[5000:5020])
    lines = ["guide_id,spacer,note", f"gA,{s1},first", f"gB,{s2},second", "gC,ACGT,short",
             f"gD,{s1},extra,field", 'gE,"",empty']  # fmt: skip
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    info = offtargets_table(tmp_path / "s.csv", fa, tmp_path / "ot.tsv")
    summary = pd.read_csv(tmp_path / "ot.summary.tsv", sep="\t")
    errors = pd.read_csv(tmp_path / "ot.errors.csv")
    assert summary["guide_id"].tolist() == ["gA", "gB"]
    assert summary["note"].tolist() == ["first", "second"] and "mm0" in summary.columns
    assert sorted(errors["row"]) == [4, 5, 6]
    assert info["rows_in"] == 5 == len(summary) + len(errors)
    sites = pd.read_csv(tmp_path / "ot.tsv", sep="\t")
    assert set(sites["guide_id"]) <= {"gA", "gB"}
