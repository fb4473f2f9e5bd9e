"""`--method mpra`: the shipped MPRA-trained motif-context score, end to end."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.errors import ConfigError
from helixforge.dna.variants import score_variants
from helixforge.dna.variants.mpra import MPRA_FEATURES, WEIGHTS, MpraModel, _changed

pytestmark = pytest.mark.skipif(not WEIGHTS.exists(), reason="mpra weights not built")

SEQ = "ACCACCTGACTCAGCCACCAACCACCACCAAACCCACCATTGCGCAACCACCACCCCAACCACCAC"
VCF = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def inputs(tmp_path):
    (tmp_path / "g.fa").write_text(f">chr1\n{SEQ}\n")
    lines = [
        f"chr1\t10\tin_site\t{SEQ[9]}\tA",  # inside TGACTCA (AP-1)
        f"chr1\t55\tplain\t{SEQ[54]}\tG",
        f"chr1\t20\tdel\t{SEQ[19:21]}\t{SEQ[19]}",
    ]
    (tmp_path / "v.vcf").write_text(VCF + "".join(f"{x}\t.\t.\t.\n" for x in lines))
    return tmp_path / "v.vcf", tmp_path / "g.fa"


def test_changed_base_skips_the_vcf_anchor():
    assert _changed("AC", "A") == ("C", "") and _changed("G", "T") == ("G", "T")


def test_mpra_scores_every_allele_with_motif_columns(tmp_path):
    vcf, fa = inputs(tmp_path)
    table = score_variants(vcf, fa, method="mpra", window=61)
    assert len(table) == 3 and table["score"].notna().all()
    assert (table["delta"] == table["motif_sum_delta"]).all()
    assert MpraModel.load().booster.num_feature() == len(MPRA_FEATURES)


def test_mpra_refuses_a_model_and_other_motifs(tmp_path):
    vcf, fa = inputs(tmp_path)
    with pytest.raises(ConfigError, match="takes no --model"):
        score_variants(vcf, fa, "runs/x", method="mpra")
    with pytest.raises(ConfigError, match="trained with"):
        score_variants(vcf, fa, method="mpra", motif_pvalue=1e-3)


def test_cli_mpra(tmp_path):
    vcf, fa = inputs(tmp_path)
    out = tmp_path / "s.tsv"
    args = ["dna", "variants", "score", "--vcf", str(vcf), "--genome", str(fa), "--method",
            "mpra", "--window", "61", "-o", str(out)]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out, sep="\t")) == 3
