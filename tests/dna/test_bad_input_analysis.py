"""Malformed inputs and options for dna motifs / variants / annotate / interpret / design.

Every case must exit with code 2, print no traceback, name the file or option at fault, and
leave nothing at the final output path (or leave an existing output untouched). Rows are
accounted for: every input record ends up in the output or in the errors table.
"""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()
SITE = "AGATAAGA"
VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def random_dna(n: int, seed: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    """Tiny inputs: FASTA, motif file, genome, VCF, GFF, a sequence-model run, an annotator."""
    import torch

    from helixforge.dna.annotate import GeneAnnotator
    from helixforge.dna.models import SequenceModel

    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("bad_analysis")
    (d / "fg.fa").write_text("".join(f">p{i}\n{random_dna(30, i)}{SITE}\n" for i in range(6)))
    (d / "bg.fa").write_text("".join(f">b{i}\n{random_dna(40, 50 + i)}\n" for i in range(6)))
    (d / "empty.fa").write_text("")
    (d / "nohead.fa").write_text("ACGTACGT\n>x\nACGT\n")
    (d / "allbad.fa").write_text(">a\n12345\n>b\nXYZ\n")
    (d / "short.fa").write_text(">a\nACGT\n>b\nACG\n")
    (d / "withn.fa").write_text(">a\nACGTNNACGT\n")
    (d / "adir").mkdir()
    with gzip.open(d / "whole.fa.gz", "wt") as fh:
        fh.write("".join(f">p{i}\n{random_dna(400, i)}\n" for i in range(20)))
    (d / "trunc.fa.gz").write_bytes((d / "whole.fa.gz").read_bytes()[:60])
    rows = [f"{i + 1:02d}\t" + "\t".join("30" if b == c else "1" for c in "ACGT") for i, b in
            enumerate(SITE)]  # fmt: skip
    (d / "m.transfac").write_text(
        "AC T1\nXX\nID GATA\nXX\nPO\tA\tC\tG\tT\n" + "\n".join(rows) + "\nXX\n//\n"
    )
    (d / "garbage.txt").write_text("this is not a motif file\n")
    chrom = random_dna(3000, 7)
    (d / "g.fa").write_text(f">chrS\n{chrom}\n")
    (d / "v.vcf").write_text(VCF_HEADER + f"chrS\t100\trs1\t{chrom[99]}\tA\t.\t.\t.\n")
    (d / "v_nocontig.vcf").write_text(VCF_HEADER + "chrQ\t5\trs1\tA\tC\t.\t.\t.\n")
    (d / "empty.vcf").write_text("")
    (d / "garbage.vcf").write_text("hello\tworld\n")
    with gzip.open(d / "whole.vcf.gz", "wt") as fh:
        fh.write(VCF_HEADER + "".join(f"chrS\t{p}\t.\t{chrom[p - 1]}\tA\t.\t.\t.\n"
                                      for p in range(10, 2000, 7)))  # fmt: skip
    (d / "trunc.vcf.gz").write_bytes((d / "whole.vcf.gz").read_bytes()[:80])
    (d / "notgz.vcf.gz").write_bytes(b"\x1f\x8b" + b"gzip magic, then plain text" * 3)
    (d / "g.gff3").write_text("chrS\ts\tCDS\t101\t400\t.\t+\t0\tID=a\n")
    (d / "other.gff3").write_text("chrZ\ts\tCDS\t101\t400\t.\t+\t0\tID=a\n")
    seqs = [random_dna(64, i) for i in range(32)]
    SequenceModel(arch="cnn", epochs=1, batch_size=16, device="cpu").fit(
        seqs, np.arange(32) % 2
    ).save(d / "run" / "model")
    ann = GeneAnnotator(channels=4, dilations=[1], device="cpu")
    ann.torch_module = ann._build()
    ann.save(d / "ann" / "model")
    for name, target, junk in (
        ("ann_badcfg", "config.json", b"{not json"),
        ("ann_badweights", "model.safetensors", b"\x00garbage"),
    ):
        shutil.copytree(d / "ann", d / name)
        (d / name / "model" / target).write_bytes(junk)
    (d / "exists.tsv").write_text("keep me\n")
    (d / "existing_dir").mkdir()
    (d / "existing_dir" / "keep.txt").write_text("keep me\n")
    (d / "afile").write_text("a file, not a directory\n")
    (d / "gdup.fa").write_text(f">chrS\n{chrom[:100]}\n>chrS\n{chrom[100:]}\n")
    (d / "gnoname.fa").write_text(f">\n{chrom}\n")
    return d


SCAN = ["dna", "motifs", "scan"]
ENRICH = ["dna", "motifs", "enrich"]
VAR = ["dna", "variants", "score"]
TRAIN = ["dna", "annotate", "train"]
PRED = ["dna", "annotate", "predict"]
INTERP = ["dna", "interpret"]
DESIGN = ["dna", "design"]
M = ["--motifs", "{d}/m.transfac"]
V = ["--vcf", "{d}/v.vcf", "--genome", "{d}/g.fa", "--model", "{d}/run", "--window", "32"]
T = ["{d}/g.fa", "{d}/g.gff3", "--epochs", "1", "--window", "256", "--channels", "4"]
I = ["{d}/run", "{d}/fg.fa", *M]  # noqa: E741
DS = ["{d}/run", "--seed-seq", random_dna(40, 3), "--edits", "1"]

# (id, args, expected text in the message, output path given with -o)
CASES = [
    ("scan-missing-fasta", [*SCAN, "{d}/missing.fa", *M], "missing.fa", "o1.tsv"),
    ("scan-fasta-is-dir", [*SCAN, "{d}/adir", *M], "adir", "o2.tsv"),
    ("scan-empty-fasta", [*SCAN, "{d}/empty.fa", *M], "empty.fa", "o3.tsv"),
    ("scan-text-before-header", [*SCAN, "{d}/nohead.fa", *M], "line 1", "o4.tsv"),
    ("scan-all-records-bad", [*SCAN, "{d}/allbad.fa", *M], "no usable sequences", "o5.tsv"),
    ("scan-truncated-gzip", [*SCAN, "{d}/trunc.fa.gz", *M], "trunc.fa.gz", "o6.tsv"),
    ("scan-pvalue-zero", [*SCAN, "{d}/fg.fa", *M, "--pvalue", "0"], "--pvalue", "o7.tsv"),
    ("scan-pvalue-above-one", [*SCAN, "{d}/fg.fa", *M, "--pvalue", "2"], "--pvalue", "o8.tsv"),
    ("scan-pvalue-text", [*SCAN, "{d}/fg.fa", *M, "--pvalue", "abc"], "--pvalue", "o9.tsv"),
    (
        "scan-background-3-values",
        [*SCAN, "{d}/fg.fa", *M, "--background", "0.1,0.2,0.7"],
        "--background",
        "o10.tsv",
    ),  # fmt: skip
    (
        "scan-background-word",
        [*SCAN, "{d}/fg.fa", *M, "--background", "gc"],
        "--background",
        "o11.tsv",
    ),  # fmt: skip
    (
        "scan-motif-file-missing",
        [*SCAN, "{d}/fg.fa", "--motifs", "{d}/nomotifs.transfac"],
        "nomotifs.transfac",
        "o12.tsv",
    ),  # fmt: skip
    (
        "scan-motif-file-garbage",
        [*SCAN, "{d}/fg.fa", "--motifs", "{d}/garbage.txt"],
        "garbage.txt",
        "o13.tsv",
    ),  # fmt: skip
    ("scan-unknown-jaspar-id", [*SCAN, "{d}/fg.fa", "--ids", "MA9999.9"], "MA9999.9", "o14.tsv"),
    ("scan-id-not-in-file", [*SCAN, "{d}/fg.fa", *M, "--ids", "NOPE1"], "NOPE1", "o15.tsv"),
    (
        "scan-release-unknown",
        [*SCAN, "{d}/fg.fa", "--ids", "MA0139.2", "--release", "2001"],
        "2001",
        "o16.tsv",
    ),  # fmt: skip
    ("scan-out-exists", [*SCAN, "{d}/fg.fa", *M], "already exists", "exists.tsv"),
    ("scan-out-is-dir", [*SCAN, "{d}/fg.fa", *M], "--out", "adir"),
    ("scan-out-parent-is-file", [*SCAN, "{d}/fg.fa", *M], "--out", "afile/hits.tsv"),
    ("enrich-top-zero", [*ENRICH, "{d}/fg.fa", "{d}/bg.fa", *M, "--top", "0"], "--top", "e1.tsv"),
    ("enrich-missing-background", [*ENRICH, "{d}/fg.fa", "{d}/nobg.fa", *M], "nobg.fa", "e2.tsv"),
    (
        "enrich-out-exists",
        [*ENRICH, "{d}/fg.fa", "{d}/bg.fa", *M],
        "already exists",
        "exists.tsv",
    ),  # fmt: skip
    ("var-window-zero", [*VAR, *V, "--window", "0"], "--window", "v1.tsv"),
    ("var-window-negative", [*VAR, *V, "--window", "-5"], "--window", "v2.tsv"),
    ("var-batch-size-zero", [*VAR, *V, "--batch-size", "0"], "--batch-size", "v3.tsv"),
    ("var-chunk-size-zero", [*VAR, *V, "--chunk-size", "0"], "--chunk-size", "v4.tsv"),
    ("var-jobs-negative", [*VAR, *V, "--jobs", "-1"], "--jobs", "v5.tsv"),
    ("var-vcf-missing", [*VAR, *V, "--vcf", "{d}/missing.vcf"], "missing.vcf", "v6.tsv"),
    ("var-vcf-empty", [*VAR, *V, "--vcf", "{d}/empty.vcf"], "empty.vcf", "v7.tsv"),
    ("var-vcf-garbage", [*VAR, *V, "--vcf", "{d}/garbage.vcf"], "garbage.vcf", "v8.tsv"),
    ("var-vcf-truncated-gzip", [*VAR, *V, "--vcf", "{d}/trunc.vcf.gz"], "trunc.vcf.gz", "v9.tsv"),
    ("var-vcf-gzip-magic-only", [*VAR, *V, "--vcf", "{d}/notgz.vcf.gz"], "notgz.vcf.gz", "v18.tsv"),
    ("var-genome-missing", [*VAR, *V, "--genome", "{d}/nogenome.fa"], "nogenome.fa", "v10.tsv"),
    ("var-model-missing", [*VAR, *V, "--model", "{d}/norun"], "norun", "v11.tsv"),
    ("var-lm-missing", [*VAR, *V, "--model", "lm:{d}/nolm"], "--model", "v12.tsv"),
    (
        "var-nothing-scoreable",
        [*VAR, *V, "--vcf", "{d}/v_nocontig.vcf"],
        "no variant could be scored",
        "v13.tsv",
    ),  # fmt: skip
    ("var-window-over-model", [*VAR, *V, "--window", "500"], "--window", "v14.tsv"),
    ("var-unknown-class", [*VAR, *V, "--class", "zzz"], "zzz", "v15.tsv"),
    ("var-out-exists", [*VAR, *V], "already exists", "exists.tsv"),
    ("train-genome-missing", [*TRAIN, "{d}/nog.fa", "{d}/g.gff3"], "nog.fa", "t1"),
    ("train-gff-missing", [*TRAIN, "{d}/g.fa", "{d}/no.gff3"], "no.gff3", "t2"),
    ("train-epochs-zero", [*TRAIN, *T, "--epochs", "0"], "--epochs", "t3"),
    ("train-holdout-fraction", [*TRAIN, *T, "--holdout", "1.5"], "--holdout", "t4"),
    ("train-holdout-contig", [*TRAIN, *T, "--holdout", "chrZ:1-10"], "chrZ", "t5"),
    ("train-holdout-zero-start", [*TRAIN, *T, "--holdout", "chrS:0-10"], "--holdout", "t6"),
    ("train-window-too-long", [*TRAIN, *T, "--window", "100000"], "--window", "t7"),
    ("train-gff-other-genome", [*TRAIN, "{d}/g.fa", "{d}/other.gff3"], "chrZ", "t8"),
    ("train-contigs-unknown", [*TRAIN, *T, "--contigs", "nope"], "nope", "t9"),
    ("train-out-exists", [*TRAIN, *T], "already exists", "existing_dir"),
    ("train-out-is-file", [*TRAIN, *T], "--out", "afile"),
    ("predict-run-missing", [*PRED, "{d}/noann", "{d}/g.fa"], "noann", "p1.gff3"),
    (
        "predict-not-an-annotator",
        [*PRED, "{d}/run", "{d}/g.fa"],
        "gene annotation model",
        "p2.gff3",
    ),  # fmt: skip
    ("predict-corrupt-config", [*PRED, "{d}/ann_badcfg", "{d}/g.fa"], "config.json", "p3.gff3"),
    (
        "predict-corrupt-weights",
        [*PRED, "{d}/ann_badweights", "{d}/g.fa"],
        "model.safetensors",
        "p4.gff3",
    ),  # fmt: skip
    (
        "predict-region-zero",
        [*PRED, "{d}/ann", "{d}/g.fa", "--region", "chrS:0-10"],
        "--region",
        "p5.gff3",
    ),  # fmt: skip
    (
        "predict-region-reversed",
        [*PRED, "{d}/ann", "{d}/g.fa", "--region", "chrS:10-5"],
        "--region",
        "p6.gff3",
    ),  # fmt: skip
    (
        "predict-region-contig",
        [*PRED, "{d}/ann", "{d}/g.fa", "--region", "chrQ:1-10"],
        "chrQ",
        "p7.gff3",
    ),  # fmt: skip
    (
        "predict-region-text",
        [*PRED, "{d}/ann", "{d}/g.fa", "--region", "chrS:a-b"],
        "--region",
        "p8.gff3",
    ),  # fmt: skip
    (
        "predict-region-past-end",
        [*PRED, "{d}/ann", "{d}/g.fa", "--region", "chrS:5000-6000"],
        "--region",
        "p9.gff3",
    ),  # fmt: skip
    ("predict-genome-missing", [*PRED, "{d}/ann", "{d}/nog.fa"], "nog.fa", "p10.gff3"),
    ("predict-out-exists", [*PRED, "{d}/ann", "{d}/g.fa"], "already exists", "exists.tsv"),
    ("interp-window-zero", [*INTERP, *I, "--window", "0"], "--window", "i1"),
    ("interp-method-unknown", [*INTERP, *I, "--method", "magic"], "--method", "i2"),
    ("interp-max-sequences-zero", [*INTERP, *I, "--max-sequences", "0"], "--max-sequences", "i3"),
    ("interp-match-qvalue", [*INTERP, *I, "--match-qvalue", "2"], "--match-qvalue", "i4"),
    (
        "interp-all-too-short",
        [*INTERP, "{d}/run", "{d}/short.fa", *M],
        "no usable sequences",
        "i5",
    ),  # fmt: skip
    ("interp-run-missing", [*INTERP, "{d}/norun", "{d}/fg.fa", *M], "norun", "i6"),
    ("interp-out-exists", [*INTERP, *I], "already exists", "existing_dir"),
    ("interp-out-is-file", [*INTERP, *I], "--out", "afile"),
    ("design-edits-zero", [*DESIGN, *DS, "--edits", "0"], "--edits", "s1.fa"),
    ("design-beam-width-zero", [*DESIGN, *DS, "--beam-width", "0"], "--beam-width", "s2.fa"),
    ("design-method-unknown", [*DESIGN, *DS, "--method", "magic"], "--method", "s3.fa"),
    ("design-keep-out-text", [*DESIGN, *DS, "--keep-out", "a-b"], "--keep-out", "s4.fa"),
    ("design-keep-out-zero", [*DESIGN, *DS, "--keep-out", "0-5"], "--keep-out", "s5.fa"),
    (
        "design-fasta-missing",
        [*DESIGN, "{d}/run", "--fasta", "{d}/noseeds.fa"],
        "noseeds.fa",
        "s6.fa",
    ),  # fmt: skip
    ("design-no-seeds", [*DESIGN, "{d}/run"], "nothing to design", "s7.fa"),
    (
        "design-seeds-with-n",
        [*DESIGN, "{d}/run", "--fasta", "{d}/withn.fa"],
        "no usable seed",
        "s8.fa",
    ),  # fmt: skip
    (
        "design-seed-too-long",
        [*DESIGN, "{d}/run", "--seed-seq", random_dna(100, 1)],
        "no usable seed",
        "s9.fa",
    ),  # fmt: skip
    ("design-n-zero", [*DESIGN, "{d}/run", "--lm", "{d}/nolm", "--n", "0"], "--n", "s10.fa"),
    ("design-out-exists", [*DESIGN, *DS], "already exists", "exists.tsv"),
    ("design-run-missing", [*DESIGN, "{d}/norun", "--seed-seq", "ACGT"], "norun", "s11.fa"),
    # outputs that are inputs (refused even with --overwrite); genomes pyfaidx cannot index
    ("scan-out-is-input", [*SCAN, "{d}/fg.fa", *M, "--overwrite"], "is the input", "fg.fa"),
    ("var-out-is-vcf", [*VAR, *V, "--overwrite"], "is the input", "v.vcf"),
    ("predict-out-is-genome", [*PRED, "{d}/ann", "{d}/g.fa", "--overwrite"], "is the input", "g.fa"),
    ("interp-out-is-run", [*INTERP, *I, "--overwrite"], "is the input", "run"),
    ("var-genome-dup-names", [*VAR, *V, "--genome", "{d}/gdup.fa"], "appears more than once", "v16.tsv"),
    ("var-genome-no-name", [*VAR, *V, "--genome", "{d}/gnoname.fa"], "gnoname.fa, line 1: a '>' header line has no record name", "v17.tsv"),
    ("predict-region-dots", [*PRED, "{d}/ann", "{d}/g.fa", "--region", "chrS:1..10"], "--region", "p11.gff3"),
]  # fmt: skip


def test_there_are_enough_cases():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_clean_error(d, case):
    _, args, expected, out_name = case
    out = d / out_name
    before = {p: p.read_bytes() for p in (out.rglob("*") if out.is_dir() else [out])
              if p.is_file()}  # fmt: skip
    res = runner.invoke(app, [a.format(d=d) for a in args] + ["-o", str(out), "-q"])
    text = res.output
    assert res.exit_code == 2, text
    assert "Traceback" not in text, text
    assert res.exception is None or isinstance(res.exception, SystemExit), text
    assert expected in text, text
    after = {p: p.read_bytes() for p in (out.rglob("*") if out.is_dir() else [out])
             if p.is_file()}  # fmt: skip
    assert after == before, "the final output path was changed"
    assert not (d / f".{out.name}.partial").exists()


def test_scan_accounts_for_every_record(d, tmp_path):
    fa = tmp_path / "mixed.fa"
    fa.write_text(">ok1\nACGTACGTAC\n>bad\nAC*GT\n>ok2\nGGGGCCCCAA\n>empty\n>ok3\nTTTTAAAACC\n")
    out = tmp_path / "hits.tsv"
    res = runner.invoke(app, [*SCAN, str(fa), "--motifs", str(d / "m.transfac"),
                              "--pvalue", "1", "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    hits = pd.read_csv(out, sep="\t")
    errors = pd.read_csv(tmp_path / "hits.errors.csv")
    assert set(hits["seq"]) == {"ok1", "ok2", "ok3"} and errors["row"].tolist() == [3, 7]
    assert hits["seq"].nunique() + len(errors) == 5


def test_variants_account_for_every_allele(d, tmp_path):
    chrom = (d / "g.fa").read_text().split("\n")[1]
    wrong = "A" if chrom[199] != "A" else "C"
    two = ",".join([b for b in "ACGT" if b != chrom[99]][:2])  # an ALT equal to REF is an error
    vcf = tmp_path / "mixed.vcf"
    vcf.write_text(
        VCF_HEADER
        + f"chrS\t100\tok\t{chrom[99]}\t{two}\t.\t.\t.\n"  # two alleles
        + f"chrS\t200\tmismatch\t{wrong}\tG\t.\t.\t.\n"
        + "chrS\tabc\tbadpos\tA\tC\t.\t.\t.\n"
        + "chrQ\t5\tnocontig\tA\tC\t.\t.\t.\n"
        + "chrS\t300\tsv\tA\t<DEL>\t.\t.\t.\n"
    )
    out = tmp_path / "s.tsv"
    args = [*VAR, "--vcf", str(vcf), "--genome", str(d / "g.fa"), "--model", str(d / "run"),
            "--window", "32", "-o", str(out), "--class", "1"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, sep="\t")
    errors = pd.read_csv(tmp_path / "s.errors.csv")
    assert len(table) == 2 and sorted(errors["row"]) == [4, 5, 6, 7]
    assert len(table) + len(errors) == 6  # every ALT allele is somewhere
    assert "4 rejected" in res.output and "s.errors.csv" in res.output  # and the user is told


def test_design_accounts_for_every_seed(d, tmp_path):
    fa = tmp_path / "seeds.fa"
    fa.write_text(f">good\n{random_dna(40, 1)}\n>hasN\nACGTNACGT\n>long\n{random_dna(90, 2)}\n")
    out = tmp_path / "designs.fa"
    res = runner.invoke(app, [*DESIGN, str(d / "run"), "--fasta", str(fa), "--edits", "1",
                              "-o", str(out), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "designs.tsv", sep="\t")
    errors = pd.read_csv(tmp_path / "designs.errors.csv")
    assert set(table["seed"]) == {"good"} and errors["row"].tolist() == [3, 5]


@pytest.mark.parametrize(
    "name, raw",
    [
        ("mac.fa", b">chrS\rACGTACGTAC\rGGCCTTAA\r"),
        ("bom.fa", b"\xef\xbb\xbf>chrS\nACGTACGTACGGCCTTAA\n"),
        ("plain_named.fa.gz", b">chrS\nACGTACGTAC\nGGCCTTAA\n"),
    ],
)
def test_genome_with_mac_line_ends_bom_or_fake_gz_is_read(tmp_path, monkeypatch, name, raw):
    from helixforge.dna.io import Genome

    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    (tmp_path / name).write_bytes(raw)
    g = Genome(tmp_path / name)
    assert g.lengths == {"chrS": 18} and g.fetch("chrS", 0, 18) == "ACGTACGTACGGCCTTAA"
    assert "normalised copy" in g.source_note


def test_regions_read_as_samtools_does():
    from helixforge.dna.annotate.regions import Region, parse_regions

    lengths = {"chr1": 5000, "2": 900, "HLA-A*01:01": 40}
    assert parse_regions("chr1:1,001-2,000", lengths) == [Region("chr1", 1000, 2000)]
    assert parse_regions("chr1:4001", lengths) == [Region("chr1", 4000, 5000)]
    assert parse_regions("1:10-20,chr2:5-9", lengths) == [Region("chr1", 9, 20), Region("2", 4, 9)]
    assert parse_regions("HLA-A*01:01", lengths) == [Region("HLA-A*01:01", 0, 40)]


@pytest.mark.parametrize(
    "verb, source, argv",
    [
        ("scan", "fg.fa", [*SCAN, "{inp}", *M, "-o", "{t}/x.tsv"]),
        ("enrich", "bg.fa", [*ENRICH, "{d}/fg.fa", "{inp}", *M, "-o", "{t}/x.tsv"]),
        ("variants", "v.vcf", [*VAR, "--vcf", "{inp}", "--genome", "{d}/g.fa",
                               "--model", "{d}/run", "--window", "32", "-o", "{t}/x.tsv"]),
        ("design", "fg.fa", [*DESIGN, "{d}/run", "--fasta", "{inp}", "--edits", "1",
                             "-o", "{t}/x.fa"]),
    ],
)  # fmt: skip
def test_an_input_named_like_the_errors_table_is_not_overwritten(d, tmp_path, verb, source, argv):
    """-o x.tsv writes x.errors.csv beside it; an input of that name (a FASTA or VCF called
    x.errors.csv) was replaced by the rejected rows (motifs scan/enrich, variants, design)."""
    inp = tmp_path / "x.errors.csv"
    shutil.copy(d / source, inp)
    before = inp.read_bytes()
    res = runner.invoke(app, [a.format(d=d, t=tmp_path, inp=inp) for a in argv] + ["-q"])
    assert res.exit_code == 2, res.output
    assert "errors table" in res.output and "x.errors.csv" in res.output, res.output
    assert inp.read_bytes() == before


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([*SCAN, "{d}/fg.fa", "--ids", ","], "--ids ',' names no matrix id"),
        ([*DESIGN, *DS, "--avoid-motif", " "], "--avoid-motif ' ' names no matrix id"),
        ([*VAR, "--vcf", "{d}/v.vcf", "--genome", "{d}/g.fa", "--method", "motif",
          "--motifs", "{d}/m.transfac", "--tfs", ","], "--tfs ',' names no transcription"),
    ],
)  # fmt: skip
def test_a_list_option_that_names_nothing_is_refused(d, tmp_path, argv, expected):
    """--ids ',' scanned all 879 JASPAR motifs as if --ids were not given; --tfs ',' said 'no
    motifs … check --motifs / --ids'."""
    out = tmp_path / "o.tsv"
    res = runner.invoke(app, [a.format(d=d) for a in argv] + ["-o", str(out), "-q"])
    assert res.exit_code == 2 and expected in res.output, res.output
    assert not out.exists()


def test_motif_file_with_a_repeated_id_is_refused(d, tmp_path):
    """Two MEME motifs named m1: their hits were written under the same id, indistinguishable."""
    meme = tmp_path / "dup.meme"
    mat = "letter-probability matrix: alength= 4 w= 2\n0.7 0.1 0.1 0.1\n0.1 0.1 0.1 0.7\n"
    meme.write_text(f"MEME version 4\n\nMOTIF m1\n{mat}\nMOTIF m1\n{mat}")
    out = tmp_path / "h.tsv"
    res = runner.invoke(app, [*SCAN, str(d / "fg.fa"), "--motifs", str(meme), "-o", str(out)])
    assert res.exit_code == 2 and "motif id 'm1' is used by motifs 1 and 2" in res.output
    assert not out.exists()


@pytest.mark.parametrize("region", [",", ""])
def test_annotate_predict_region_naming_nothing_is_refused(d, tmp_path, region):
    """--region ',' (or '') called genes on the whole genome as if it were not given."""
    out = tmp_path / "g.gff3"
    res = runner.invoke(app, [*PRED, str(d / "ann"), str(d / "g.fa"), "--region", region,
                              "-o", str(out)])  # fmt: skip
    assert res.exit_code == 2 and "names no region" in res.output, res.output
    assert not out.exists()


def test_interpret_window_past_the_models_input_is_an_option_error(d, tmp_path):
    """--window 100000 was reported as one 'shorter than 100001' row error per sequence."""
    out = tmp_path / "i"
    res = runner.invoke(app, [*INTERP, *[a.format(d=d) for a in I], "--window", "100000",
                              "-o", str(out)])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "--window 100,000 is not shorter than the model's maximum input" in res.output
    assert "row 1" not in res.output and not out.exists()


def test_motif_scan_reads_a_fastq_as_dna_predict_does(d, tmp_path):
    """motifs scan of reads.fq refused it ('sequence text before the first >' and the hint
    'name the file .fq or .fastq', which it already was)."""
    fq = tmp_path / "reads.fq"
    fq.write_text(f"@r1\n{SITE}ACGT\n+\n{'I' * 12}\n@r2\nACGTACGTACGT\n+\n{'I' * 12}\n")
    out = tmp_path / "h.tsv"
    res = runner.invoke(app, [*SCAN, str(fq), *[a.format(d=d) for a in M], "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert set(pd.read_csv(out, sep="\t")["seq"]) == {"r1"}
