"""What the user reads is what the tool did: honest gene-name hints, the specificity the ranking
uses shown in the report, and guide ids carried from the input into `crispr offtargets`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.errors import InputError
from helixforge.crispr.design import design_guides
from helixforge.crispr.offtarget import guess_id_column
from helixforge.crispr.targets import edit_distance, gene_name_hints, resolve_target

runner = CliRunner()
NAMES = ["CAD1", "CAK1", "CAM1", "SIT1", "YEL063C", "PHO84", "RAD51", "RAD52", "MAL11"]


def _seq(seed: int, n: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("ABC", "abc") == 0
    assert edit_distance("A", "ABCDEFGH", limit=2) == 3  # capped


@pytest.mark.parametrize(
    "query, expected",
    [
        ("sit1", ["SIT1"]),  # same name, other case: first
        ("YEL-063C", ["YEL063C"]),  # punctuation ignored
        ("YEL63C", ["YEL063C"]),  # one letter off a long name
        ("PHO48", []),  # two letters off a 5-letter name is another gene
        ("CAN1", []),  # short names: CAD1/CAK1/CAM1 are other genes, not typos
        ("RAD5", []),  # short: RAD51/RAD52 are not what "RAD5" meant
        ("MAL1", []),
        ("NOTAGENE", []),
    ],
)
def test_gene_name_hints_only_when_genuinely_close(query, expected):
    assert gene_name_hints(query, NAMES) == expected


def test_a_gene_missing_from_the_annotation_is_said_so_with_its_gene_count(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">chrV\n" + _seq(1, 4000) + "\n")
    gtf = tmp_path / "a.gtf"
    gtf.write_text('V\tx\tCDS\t1001\t1600\t.\t+\t0\tgene_id "YEL063C";\n'
                   'V\tx\tCDS\t2001\t2600\t.\t+\t0\tgene_id "YEL064C"; gene_name "AVT2";\n')  # fmt: skip
    with pytest.raises(InputError, match=r"'CAN1' is not in the annotation a.gtf \(2 genes") as e:
        resolve_target("CAN1", genome=fa, annotation=gtf)
    assert "gene_id" in e.value.hint and "did you mean" not in e.value.hint
    assert resolve_target("YEL063C", genome=fa, annotation=gtf).contig == "chrV"


def test_the_report_shows_the_specificity_the_ranking_uses(tmp_path):
    seq = _seq(2, 6000)
    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\n" + seq + "\n>chr2\n" + seq[1000:1400] + _seq(3, 2000) + "\n")
    res = design_guides("chr1:1001-1400", genome=fa, top=8, ontarget_model="none",
                        report=tmp_path / "r.html")  # fmt: skip
    html = (tmp_path / "r.html").read_text()
    table = html[html.index("Ranked guides") : html.index("Why each guide")]
    assert "combined_score" in table and "specificity" in table and "efficiency" in table
    assert "cfd_specificity" not in table and "mit_specificity" not in table
    g = res.guides
    assert np.allclose(g.specificity, (1 / (1 + g.cfd_sum)).round(4), atol=1e-4)
    key = list(zip(g.tier, -g.combined_score))
    assert key == sorted(key)  # the shown scores explain the order


@pytest.mark.parametrize(
    "columns, expected",
    [
        (["spacer", "guide_id"], "guide_id"),
        (["ID", "spacer"], "ID"),
        (["sgRNA", "spacer", "name"], "sgRNA"),
        (["spacer", "score"], None),
        (["guide"], None),  # the spacer column is never the id
    ],
)
def test_guess_id_column(columns, expected):
    spacer_col = "guide" if columns == ["guide"] else "spacer"
    assert guess_id_column(columns, spacer_col) == expected


def test_offtargets_keeps_an_id_column_named_id(tmp_path):
    seq = _seq(4, 20_000)
    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\n" + seq + "\n")
    pam = [i for i in range(1000, 19_000) if seq[i + 21 : i + 23] == "GG"]
    s1, s2 = seq[pam[0] : pam[0] + 20], seq[pam[-1] : pam[-1] + 20]
    (tmp_path / "s.csv").write_text(f"id,spacer\nmyA,{s1}\n,{s2}\n")
    res = runner.invoke(app, ["crispr", "offtargets", str(tmp_path / "s.csv"), "-g", str(fa),
                              "-o", str(tmp_path / "ot.tsv"), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    sites = pd.read_csv(tmp_path / "ot.tsv", sep="\t")
    summary = pd.read_csv(tmp_path / "ot.summary.tsv", sep="\t")
    assert summary["guide_id"].tolist() == ["myA", s2]  # an empty id falls back to the spacer
    assert set(sites["guide_id"]) == {"myA", s2}
