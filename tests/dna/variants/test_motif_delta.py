"""Motif-disruption scores (Δ best PWM log-odds across the variant) with a known answer."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.errors import ConfigError
from helixforge.dna.motifs.matrices import Motif
from helixforge.dna.motifs.scan import prepare_motif
from helixforge.dna.variants import score_variants
from helixforge.dna.variants.motif_delta import MotifDeltaScorer, allele_spans

SITE = "TGACTCA"  # AP-1-like, palindromic enough to test both strands


def site_motif() -> Motif:
    counts = np.full((len(SITE), 4), 1.0)
    for i, b in enumerate(SITE):
        counts[i, "ACGT".index(b)] = 97.0
    return Motif(id="TEST1.1", name="SITE", counts=counts)


def flank(n: int, seed: int = 0) -> str:
    return "".join(np.random.default_rng(seed).choice(list("AC"), n))  # no G/T: no sites


def bits(motif: Motif, seq: str) -> float:
    sm = prepare_motif(motif)
    lo = sm.int_matrix / sm.scale
    return float(sum(lo[i, "ACGT".index(b)] for i, b in enumerate(seq)))


def test_losing_a_site_gives_minus_its_score_above_threshold():
    m = site_motif()
    scorer = MotifDeltaScorer([m], pvalue=1e-3)
    left, right = flank(20), flank(20, 1)
    ref = left + SITE + right  # site at 20..27; the variant hits its 4th base (C → A)
    alt = ref[:23] + "A" + ref[24:]
    spans = allele_spans(len(ref), "C", "A")
    assert spans == ((23, 24), (23, 24))
    out = scorer.score([ref], [alt], [spans[0]], [spans[1]]).iloc[0]
    sm = prepare_motif(m)
    threshold = sm.score_bits(sm.threshold(1e-3))
    expected = max(bits(m, alt[20:27]), threshold) - bits(m, SITE)
    assert out["motif_delta"] == pytest.approx(expected, abs=1e-6)
    assert out["motif_abs_delta"] == pytest.approx(-expected) and out["motif_loss"] > 0
    assert out["motif_hits"] == 1 and out["motif_id"] == "TEST1.1"


def test_gain_on_the_reverse_strand_and_no_change_far_away():
    m = site_motif()
    scorer = MotifDeltaScorer([m], pvalue=1e-3)
    rc = "TGAGTCA"  # reverse complement of SITE
    broken = rc[:3] + "A" + rc[4:]
    ref = flank(20) + broken + flank(20, 1)
    alt = ref[:23] + "G" + ref[24:]
    s = allele_spans(len(ref), "A", "G")
    gained = scorer.score([ref], [alt], [s[0]], [s[1]]).iloc[0]
    assert gained["motif_delta"] > 0 and gained["motif_gain"] == gained["motif_delta"]
    assert gained["motif_hits"] == 0
    far = flank(47, 2)
    far_alt = far[:23] + "C" + far[24:] if far[23] == "A" else far[:23] + "A" + far[24:]
    s = allele_spans(47, far[23], far_alt[23])
    none = scorer.score([far], [far_alt], [s[0]], [s[1]]).iloc[0]
    assert none["motif_delta"] == 0 and none["motif_id"] == ""


def test_bad_pvalue_and_empty_motif_set_are_refused():
    with pytest.raises(ConfigError, match="--motif-pvalue"):
        MotifDeltaScorer([site_motif()], pvalue=0)
    with pytest.raises(ConfigError, match="no motifs"):
        MotifDeltaScorer([])


VCF = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def tiny_inputs(tmp_path):
    seq = flank(40) + SITE + flank(40, 1)
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    lines = [
        f"chr1\t44\tsite_loss\t{seq[43]}\tA",  # 4th base of the site (C)
        f"chr1\t10\tfar\t{seq[9]}\tG",
        "chr1\t20\tbad_ref\tG\tA",  # the genome has A or C here
    ]
    (tmp_path / "v.vcf").write_text(VCF + "".join(f"{x}\t.\t.\t.\n" for x in lines))
    motif_file = tmp_path / "m.jaspar"
    counts = site_motif().counts.T
    motif_file.write_text(
        ">TEST1.1\tSITE\n"
        + "".join(
            f"{b} [ {' '.join(str(int(c)) for c in row)} ]\n" for b, row in zip("ACGT", counts)
        )
    )
    return tmp_path / "v.vcf", tmp_path / "g.fa", motif_file


def test_library_motif_method(tmp_path):
    vcf, fa, motif_file = tiny_inputs(tmp_path)
    table = score_variants(vcf, fa, method="motif", motifs=motif_file, motif_pvalue=1e-3, window=41)
    by = table.set_index("id")
    assert by.loc["site_loss", "delta"] < 0 and by.loc["site_loss", "score"] > 0
    assert by.loc["far", "score"] == 0
    assert {"motif_hits", "motif_id", "motif_name", "motif_loss", "motif_gain"} <= set(table)


def test_cli_motif_method_end_to_end(tmp_path):
    vcf, fa, motif_file = tiny_inputs(tmp_path)
    out = tmp_path / "scores.tsv"
    args = ["dna", "variants", "score", "--vcf", str(vcf), "--genome", str(fa), "--method",
            "motif", "--motifs", str(motif_file), "--motif-pvalue", "0.001", "--window", "41",
            "-o", str(out)]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, sep="\t")
    errors = pd.read_csv(tmp_path / "scores.errors.csv")
    assert len(table) == 2 and len(errors) == 1  # every allele scored or in the errors table
    assert table.set_index("id").loc["site_loss", "motif_name"] == "SITE"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "nope"], "--method"),
        (["--method", "model"], "--model"),
        (["--method", "lm", "--model", "runs/x"], "lm:PATH"),
        (["--method", "motif", "--model", "runs/x"], "takes no --model"),
        (["--method", "motif", "--motif-pvalue", "0"], "--motif-pvalue"),
    ],
)
def test_cli_refuses_bad_method_options(tmp_path, extra, message):
    vcf, fa, _ = tiny_inputs(tmp_path)
    args = ["dna", "variants", "score", "--vcf", str(vcf), "--genome", str(fa),
            "-o", str(tmp_path / "s.tsv"), *extra]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code != 0 and message in res.output, res.output
    assert not (tmp_path / "s.tsv").exists()


def test_ensemble_method_ranks_model_and_motif_together(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from test_variants import MotifDetector

    vcf, fa, motif_file = tiny_inputs(tmp_path)
    table = score_variants(
        vcf, fa, MotifDetector(SITE), method="ensemble", motifs=motif_file,
        motif_pvalue=1e-3, window=41,
    )  # fmt: skip
    by = table.set_index("id")
    assert {"ref_score", "alt_score", "motif_abs_delta"} <= set(table)
    assert by.loc["site_loss", "delta"] == pytest.approx(-1.0)  # 7 → 6 matching bases
    assert by.loc["site_loss", "score"] > by.loc["far", "score"]
    assert table["score"].between(0, 1).all()


def test_tfs_select_motifs_by_name_and_refuse_unknown_names(tmp_path):
    from helixforge.dna.variants.motif_delta import select_by_tf

    other = Motif(id="TEST2.1", name="FOS::JUN", counts=site_motif().counts)
    chosen = select_by_tf([site_motif(), other], ["jun"])
    assert [m.id for m in chosen] == ["TEST2.1"]
    with pytest.raises(ConfigError, match="NOPE"):
        select_by_tf([site_motif()], ["NOPE"])
    vcf, fa, motif_file = tiny_inputs(tmp_path)
    table = score_variants(vcf, fa, method="motif", motifs=motif_file, tfs="SITE", window=41)
    assert table.set_index("id").loc["site_loss", "score"] > 0
    with pytest.raises(ConfigError, match="--tfs"):
        score_variants(vcf, fa, method="motif", motifs=motif_file, tfs="NOPE", window=41)
