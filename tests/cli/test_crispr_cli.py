import numpy as np
import pandas as pd
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()


def _genome(tmp_path):
    rng = np.random.default_rng(2)
    seq = "".join(rng.choice(list("ACGT"), 30_000))
    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\n" + seq + "\n")
    return fa, seq


def test_enzymes_lists_builtins():
    res = runner.invoke(app, ["crispr", "enzymes"])
    assert res.exit_code == 0 and "spcas9" in res.output and "ascas12a" in res.output


def test_index_then_design_then_offtargets(tmp_path):
    fa, seq = _genome(tmp_path)
    res = runner.invoke(app, ["crispr", "index", str(fa), "--out", str(tmp_path / "idx")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "idx" / "index.json").exists()
    out = tmp_path / "guides.tsv"
    res = runner.invoke(
        app,
        ["crispr", "design", "--target", "chr1:1001-1600", "--genome", str(fa), "--index", str(tmp_path / "idx"),
         "--top", "5", "--out", str(out), "--report", str(tmp_path / "r.html"), "--ontarget-model", "none"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    g = pd.read_csv(out, sep="\t")
    assert len(g) == 5 and g["rank"].tolist() == [1, 2, 3, 4, 5]
    assert (tmp_path / "r.html").exists() and (tmp_path / "guides.offtargets.tsv").exists()
    spacers = ",".join(g.spacer.head(2)) + ",ACGT"
    res = runner.invoke(
        app,
        [
            "crispr",
            "offtargets",
            spacers,
            "--index",
            str(tmp_path / "idx"),
            "-o",
            str(tmp_path / "ot.tsv"),
        ],
    )
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(tmp_path / "ot.summary.tsv", sep="\t")
    assert len(summary) == 2 and (summary.ontarget.str.startswith("chr1:")).all()
    assert "1 bad row" in res.output


def test_bad_inputs_exit_2_with_a_message(tmp_path):
    fa, _ = _genome(tmp_path)
    cases = [
        (["crispr", "design", "--target", "ACGTQACGT"], "position 5"),
        (["crispr", "design", "--target", "chr9:1-100", "--genome", str(fa)], "is not in g.fa"),
        (["crispr", "design", "--target", "chr1:1-99999", "--genome", str(fa)], "outside contig"),
        (["crispr", "design", "--target", "ACGT" * 3], "shorter than one"),
        (
            ["crispr", "design", "--target", "ACGT" * 10, "--enzyme", "custom:NGX:20"],
            "not an IUPAC",
        ),
        (
            ["crispr", "offtargets", "ACGT", "--genome", str(fa), "--index", str(tmp_path)],
            "exactly one",
        ),
    ]
    for args, msg in cases:
        res = runner.invoke(
            app, args + ["--out", str(tmp_path / "x.tsv")] if args[1] == "design" else args
        )
        assert res.exit_code == 2, (args, res.output)
        assert msg in res.output.replace("\n", " "), (args, res.output)


def test_design_without_pam_reports_it(tmp_path):
    res = runner.invoke(
        app,
        [
            "crispr",
            "design",
            "--target",
            "ACAT" * 10,
            "--out",
            str(tmp_path / "g.tsv"),
            "--ontarget-model",
            "none",
        ],
    )
    assert res.exit_code == 0 and "no spcas9 site" in res.output


def test_design_on_a_target_past_the_length_limit_names_the_option_that_raises_it(tmp_path):
    """A whole contig as --target was designed on without bound (a chromosome: hours and
    gigabytes); past --max-target-length (default 100,000 bp) it is refused up front."""
    fa, _ = _genome(tmp_path)
    base = ["crispr", "design", "--target", "chr1", "--genome", str(fa), "--ontarget-model",
            "none", "--out", str(tmp_path / "g.tsv")]  # fmt: skip
    res = runner.invoke(app, [*base, "--max-target-length", "20000"])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "target 'chr1' is 30,000 bp, longer than the design limit of 20,000 bp" in text
    assert "--max-target-length 30000" in text and not (tmp_path / "g.tsv").exists()
    res = runner.invoke(app, [*base, "--max-target-length", "0", "--top", "3"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(tmp_path / "g.tsv", sep="\t")) == 3
