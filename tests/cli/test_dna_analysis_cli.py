import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()
SITE = "AGATAAGA"


def random_dna(n: int, seed: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


def transfac(path, motif_id: str, name: str, consensus: str):
    rows = []
    for i, b in enumerate(consensus):
        counts = [1] * 4
        counts["ACGT".index(b)] = 30
        rows.append(f"{i + 1:02d}\t" + "\t".join(map(str, counts)))
    path.write_text(
        f"AC {motif_id}\nXX\nID {name}\nXX\nPO\tA\tC\tG\tT\n" + "\n".join(rows) + "\nXX\n//\n"
    )
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dna_analysis")
    fg = d / "fg.fa"
    fg.write_text(
        "".join(f">p{i}\n{random_dna(30, i)}{SITE}{random_dna(26, 100 + i)}\n" for i in range(20))
    )
    bg = d / "bg.fa"
    bg.write_text("".join(f">b{i}\n{random_dna(64, 200 + i)}\n" for i in range(20)))
    motifs = transfac(d / "gata.transfac", "T0001.1", "GATA-like", SITE)
    return d, fg, bg, motifs


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import torch

    from helixforge.dna.models import SequenceModel

    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("run")
    seqs = [random_dna(64, i) for i in range(64)]
    SequenceModel(arch="cnn", epochs=1, batch_size=32, device="cpu").fit(
        seqs, np.arange(64) % 2
    ).save(d / "model")
    return d


def test_motifs_scan_with_a_matrix_file_writes_hits_and_errors(files):
    d, fg, _, motifs = files
    out = d / "hits.tsv"
    res = runner.invoke(
        app, ["dna", "motifs", "scan", str(fg), "--motifs", str(motifs), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    hits = pd.read_csv(out, sep="\t")
    assert set(hits.loc[hits["start"] == 30, "seq"]) == {f"p{i}" for i in range(20)}
    assert (d / "hits.errors.csv").exists()


def test_motifs_scan_bundled_jaspar_to_bed(files):
    d, fg, _, _ = files
    out = d / "ctcf.bed"
    res = runner.invoke(
        app,
        [
            "dna",
            "motifs",
            "scan",
            str(fg),
            "--jaspar",
            "--ids",
            "MA0139.2",
            "--pvalue",
            "1e-2",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert out.exists() and all(len(line.split("\t")) == 6 for line in out.read_text().splitlines())


def test_motifs_scan_unknown_id_and_bad_fasta_are_clean_errors(files, tmp_path):
    _, fg, _, _ = files
    res = runner.invoke(
        app,
        ["dna", "motifs", "scan", str(fg), "--ids", "MA9999.9", "--out", str(tmp_path / "h.tsv")],
    )
    assert res.exit_code == 2 and "MA9999.9" in res.output
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nACGU-XYZ\n")
    res = runner.invoke(
        app,
        ["dna", "motifs", "scan", str(bad), "--ids", "MA0139.2", "--out", str(tmp_path / "h.tsv")],
    )
    assert res.exit_code == 2 and "no usable sequences" in res.output
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    res = runner.invoke(
        app,
        [
            "dna",
            "motifs",
            "scan",
            str(empty),
            "--ids",
            "MA0139.2",
            "--out",
            str(tmp_path / "e.tsv"),
        ],
    )
    assert res.exit_code == 2 and "no FASTA records" in res.output


def test_motifs_enrich(files):
    d, fg, bg, motifs = files
    out = d / "enrich.tsv"
    res = runner.invoke(
        app,
        ["dna", "motifs", "enrich", str(fg), str(bg), "--motifs", str(motifs), "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, sep="\t")
    assert table.loc[0, "fg_hits"] == 20 and table.loc[0, "qvalue"] < 1e-5


def test_variants_score_with_a_trained_run(run_dir, tmp_path):
    rng = np.random.default_rng(5)
    chrom = "".join(rng.choice(list("ACGT"), 500))
    fa = tmp_path / "g.fa"
    fa.write_text(f">chr1\n{chrom}\n")
    vcf = tmp_path / "v.vcf"
    other = "A" if chrom[99] != "A" else "C"
    wrong = "A" if chrom[199] != "A" else "C"
    vcf.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chr1\t100\trs1\t{chrom[99]}\t{other}\t.\t.\t.\n"
        f"chr1\t200\trs2\t{wrong}\tG\t.\t.\t.\n"
        "chr9\t5\trs3\tA\tC\t.\t.\t.\n"
    )
    out = tmp_path / "scores.tsv"
    res = runner.invoke(
        app,
        [
            "dna",
            "variants",
            "score",
            "--vcf",
            str(vcf),
            "--genome",
            str(fa),
            "--model",
            str(run_dir),
            "--window",
            "64",
            "--out",
            str(out),
            "--device",
            "cpu",
        ],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, sep="\t")
    assert table["id"].tolist() == ["rs1"] and np.isfinite(table["delta"]).all()
    errors = pd.read_csv(tmp_path / "scores.errors.csv")
    assert errors["row"].tolist() == [4, 5]
    res = runner.invoke(
        app,
        [
            "dna",
            "variants",
            "score",
            "--vcf",
            str(vcf),
            "--genome",
            str(fa),
            "--model",
            str(run_dir),
            "--window",
            "500",
        ],
    )
    assert res.exit_code == 2 and "longer than the model" in res.output


def test_interpret_and_design_with_a_trained_run(run_dir, files, tmp_path):
    _, fg, _, motifs = files
    res = runner.invoke(
        app,
        [
            "dna",
            "interpret",
            str(run_dir),
            str(fg),
            "--method",
            "ism",
            "--motifs",
            str(motifs),
            "--out",
            str(tmp_path / "interp"),
            "--max-sequences",
            "4",
            "--device",
            "cpu",
        ],
    )
    assert res.exit_code == 0, res.output
    for name in ("attributions.npz", "seqlets.tsv", "report.html"):
        assert (tmp_path / "interp" / name).exists()
    out = tmp_path / "designs.fa"
    res = runner.invoke(
        app,
        [
            "dna",
            "design",
            str(run_dir),
            "--seed-seq",
            random_dna(64, 9),
            "--class",
            "1",
            "--edits",
            "2",
            "--method",
            "beam",
            "--beam-width",
            "2",
            "--out",
            str(out),
            "--quiet",
            "--device",
            "cpu",
        ],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "designs.tsv", sep="\t")
    assert (
        len(table) == 2
        and (table["score"] >= table["seed_score"]).all()
        and (table["n_edits"] <= 2).all()
    )
    res = runner.invoke(app, ["dna", "design", str(run_dir), "--out", str(tmp_path / "x.fa")])
    assert res.exit_code == 2 and "nothing to design" in res.output


def test_motifs_scan_says_how_many_motifs_were_scanned_and_records_rejected(files, tmp_path):
    # It used to print "0 hits of 0 motifs" for a motif scanned without hits, and nothing about
    # the records that went to the errors table.
    d, _, bg, _ = files
    fa = tmp_path / "in.fa"
    fa.write_text(bg.read_text() + ">bad\nACGTXXACGT\n>empty\n")
    motifs = transfac(tmp_path / "m.transfac", "T0002.1", "never", "CCCCCCCCCCCCCCCC")
    out = tmp_path / "hits.tsv"
    res = runner.invoke(
        app, ["dna", "motifs", "scan", str(fa), "--motifs", str(motifs), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "0 hits from 0 of 1 motifs" in res.output
    assert "2 record(s) rejected" in res.output and "hits.errors.csv" in res.output
    assert len(pd.read_csv(tmp_path / "hits.errors.csv")) == 2


@pytest.mark.parametrize("bg", ["nan,1,1,1", "inf,1,1,1", "0.5,0.5,0,0"])
def test_motifs_scan_background_with_nan_inf_or_zero_is_exit_2(files, tmp_path, bg):
    _, fg, _, motifs = files
    res = runner.invoke(app, ["dna", "motifs", "scan", str(fg), "--motifs", str(motifs),
                              "--background", bg, "-o", str(tmp_path / "h.tsv")])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "--background" in res.output and not (tmp_path / "h.tsv").exists()


def test_motifs_scan_says_when_records_share_a_name(files, tmp_path):
    """Records named alike ('peak', '.') gave hits no one could trace to a record, silently."""
    d, fg, _, motifs = files
    fa = tmp_path / "dup.fa"
    fa.write_text(fg.read_text().replace(">p1\n", ">p0\n").replace(">p2\n", ">p0\n"))
    out = tmp_path / "hits.tsv"
    res = runner.invoke(app, ["dna", "motifs", "scan", str(fa), "--motifs", str(motifs), "-o",
                              str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # the console may wrap the long line anywhere
    assert "note: 2 record(s) of" in text and "repeat an earlier record's name" in text
    res = runner.invoke(app, ["dna", "motifs", "scan", str(fg), "--motifs", str(motifs), "-o",
                              str(tmp_path / "h2.tsv")])  # fmt: skip
    assert res.exit_code == 0 and "note:" not in res.output


def test_interpret_takes_predicts_iupac_option(run_dir, files, tmp_path):
    _, _, _, motifs = files
    fa = tmp_path / "amb.fa"
    fa.write_text(
        "".join(f">p{i}\n{random_dna(30, i)}{SITE}RY{random_dna(24, i)}\n" for i in range(4))
    )
    base = ["dna", "interpret", str(run_dir), str(fa), "--method", "ism", "--motifs", str(motifs),
            "--device", "cpu", "--quiet"]  # fmt: skip
    res = runner.invoke(app, [*base, "--out", str(tmp_path / "i1")])
    assert res.exit_code != 0 and "no sequence can be interpreted" in res.output, res.output
    res = runner.invoke(app, [*base, "--iupac", "N", "--out", str(tmp_path / "i2")])
    assert res.exit_code == 0, res.output
    assert "4 sequences" in res.output and "0 rejected" in res.output


def test_interpret_skips_an_unusable_matrix_of_the_motif_file_as_motifs_scan_does(
    run_dir, files, tmp_path
):
    """One bad matrix (a value that is not a number) refused the whole --motifs file in
    `dna interpret`, while `dna motifs scan` skipped it: now it is skipped here too, recorded
    in errors.csv (line, id, why) and named in the summary with that file's path."""
    _, fg, _, motifs = files
    mixed = tmp_path / "mixed.transfac"
    bad = "AC T0002.1\nXX\nID BROKEN\nXX\nPO\tA\tC\tG\tT\n01\t1\tabc\t1\t1\nXX\n//\n"
    mixed.write_text(motifs.read_text() + bad)
    out = tmp_path / "interp"
    res = runner.invoke(app, ["dna", "interpret", str(run_dir), str(fg), "--method", "ism",
                              "--motifs", str(mixed), "--max-sequences", "4", "--device", "cpu",
                              "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"1 motif(s) of {mixed} have no usable matrix and were skipped" in res.output
    assert str(out / "errors.csv") in res.output
    errors = pd.read_csv(out / "errors.csv")
    line = len(motifs.read_text().splitlines()) + 1  # the bad record's 'AC' line
    assert errors[["row", "column", "value"]].values.tolist() == [[line, "matrix", "T0002.1"]]
    assert "not convert" in errors["reason"].iloc[0]
    only_bad = tmp_path / "bad.transfac"
    only_bad.write_text(bad)
    res = runner.invoke(app, ["dna", "interpret", str(run_dir), str(fg), "--method", "ism",
                              "--motifs", str(only_bad), "--device", "cpu",
                              "--out", str(tmp_path / "i2")])  # fmt: skip
    assert res.exit_code == 2 and "bad.transfac" in res.output, res.output


def test_motifs_scan_and_enrich_name_the_errors_table_when_records_are_rejected(files, tmp_path):
    """enrich said nothing of rejected records, and when every record of an input was
    rejected neither verb named the errors table it had just written (chem verbs do)."""
    _, fg, bg, motifs = files
    mixed = tmp_path / "mixed.fa"
    mixed.write_text(fg.read_text() + ">bad1\nACGT!!ACGT\n>empty\n\n")
    out = tmp_path / "enrich.tsv"
    res = runner.invoke(app, ["dna", "motifs", "enrich", str(mixed), str(bg), "--motifs",
                              str(motifs), "-o", str(out), "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"2 record(s) rejected → {tmp_path / 'enrich.errors.csv'}" in res.output
    assert pd.read_csv(tmp_path / "enrich.errors.csv")["row"].tolist() == [41, 43]
    all_bad = tmp_path / "all_bad.fa"
    all_bad.write_text(">bad1\nACGT!!ACGT\n>empty\n\n")
    for argv, table in (
        (["scan", str(all_bad)], "hits.errors.csv"),
        (["enrich", str(fg), str(all_bad)], "enrich2.errors.csv"),
    ):
        dest = tmp_path / table.replace(".errors.csv", ".tsv")
        res = runner.invoke(app, ["dna", "motifs", *argv, "--motifs", str(motifs), "-o",
                                  str(dest)])  # fmt: skip
        assert res.exit_code == 2, res.output
        assert f"see {tmp_path / table} for the reason of each record" in res.output
        assert (tmp_path / table).exists()
