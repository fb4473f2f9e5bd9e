import numpy as np
import pandas as pd
import pytest
import torch
from tiny_models import tiny_decoder
from torch import nn

from helixforge.core.errors import ConfigError, EmptyInputError, NoUsableRowsError, RowErrors
from helixforge.dna.interpret import onehot_sequences
from helixforge.dna.variants import Variant, _genome, read_variants, score_variants, variant_windows

torch.set_num_threads(1)
SITE = "TGATAAGC"


class MotifDetector(nn.Module):
    """Score = best number of bases matching SITE in any window of either strand."""

    def __init__(self, site: str = SITE):
        super().__init__()
        self.conv = nn.Conv1d(4, 1, len(site), bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(onehot_sequences([site])[0].T[None]))

    def forward(self, x):
        both = torch.cat(
            [x, torch.flip(x, dims=(1, 2))], dim=1
        )  # strand-symmetric like a real model
        return self.conv(both.transpose(1, 2)).amax(-1)


def make_genome() -> dict[str, str]:
    rng = np.random.default_rng(0)
    chr1 = list(rng.choice(list("AC"), 400))  # no G/T: no accidental partial sites
    chr1[100:108] = list("TGATCAGC")  # one mismatch from SITE at 0-based 104 (1-based 105)
    return {"chr1": "".join(chr1), "chr2": "".join(rng.choice(list("AC"), 300))}


VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def write_vcf(tmp_path, genome, lines):
    p = tmp_path / "calls.vcf"
    p.write_text(VCF_HEADER + "".join(line + "\n" for line in lines))
    return p


def test_windows_are_centred_and_keep_their_length():
    g = _genome(make_genome())
    seq = g.fetch("chr1", 0, 400)
    snv = Variant("chr1", 105, "v", seq[104], "A", 1)
    ref_w, alt_w = variant_windows(g, snv, "chr1", 21)
    assert len(ref_w) == len(alt_w) == 21 and ref_w[10] == seq[104] and alt_w[10] == "A"
    deletion = Variant("chr1", 50, "d", seq[49:53], seq[49], 2)
    ref_w, alt_w = variant_windows(g, deletion, "chr1", 20)
    assert len(ref_w) == len(alt_w) == 20
    assert alt_w == seq[40:50] + seq[53:63]  # flanks re-centred around the shorter allele
    edge = Variant("chr2", 2, "e", g.fetch("chr2", 1, 2), "A", 3)
    ref_w, _ = variant_windows(g, edge, "chr2", 11)
    assert ref_w.startswith("NNNN") and len(ref_w) == 11


def test_scores_alleles_and_reports_bad_records(tmp_path):
    genome = make_genome()
    chr1 = genome["chr1"]
    vcf = write_vcf(
        tmp_path,
        genome,
        [
            "chr1\t105\trs_gain\tC\tA,T\t.\t.\t.",  # multi-allelic: A completes the site, T does not
            f"chr1\t300\trs_far\t{chr1[299]}\t{'A' if chr1[299] != 'A' else 'C'}\t.\t.\t.",
            f"chr1\t200\trs_del\t{chr1[199:202]}\t{chr1[199]}\t.\t.\t.",
            f"chr1\t210\trs_ins\t{chr1[209]}\t{chr1[209]}GG\t.\t.\t.",
            "chr1\t150\trs_mismatch\tG\tA\t.\t.\t.",  # genome has A or C here
            "chrX\t10\trs_nocontig\tA\tC\t.\t.\t.",
            "chr1\tabc\trs_badpos\tA\tC\t.\t.\t.",
            "chr1\t12",
            "chr1\t20\trs_sv\tA\t<DEL>\t.\t.\t.",
        ],
    )
    errors = RowErrors(vcf)
    out = tmp_path / "scores.tsv"
    table = score_variants(vcf, genome, MotifDetector(), window=40, out=out, errors=errors)
    by = table.set_index(["id", "alt"])
    assert by.loc[("rs_gain", "A"), "delta"] == pytest.approx(1.0)  # 7 → 8 matching bases
    assert by.loc[("rs_gain", "T"), "delta"] == pytest.approx(0.0)
    assert by.loc[("rs_far", by.loc["rs_far"].index[0]), "delta"] == pytest.approx(0.0)
    assert set(table["kind"]) == {"SNV", "deletion", "insertion"}
    assert table["line"].tolist()[:2] == [3, 3]
    err = pd.read_csv(tmp_path / "scores.errors.csv")
    reasons = dict(zip(err["row"], err["reason"]))
    assert "expected" in reasons[7] and "found G" in reasons[7]
    assert "assembly" in reasons[7]  # each reason says what to check or do
    assert "chrX" in reasons[8] and "not in the genome" in reasons[8]
    assert "bcftools annotate --rename-chrs" in reasons[8]
    assert "POS must be a positive integer" in reasons[9]  # POS "abc", read back and named
    assert "needs 8" in reasons[10]  # a truncated record: its field count is named
    assert "symbolic" in reasons[11]
    assert pd.read_csv(out, sep="\t").shape[0] == len(table) == 5
    assert len(table) + len(err) == 10  # every ALT allele is scored or in the errors table


def test_genome_fasta_file_and_dna_io(tmp_path):
    genome = make_genome()
    fa = tmp_path / "g.fa"
    fa.write_text("".join(f">{k}\n{v}\n" for k, v in genome.items()))
    vcf = write_vcf(tmp_path, genome, ["chr1\t105\t.\tC\tA\t.\t.\t."])
    table = score_variants(vcf, fa, MotifDetector(), window=30)
    assert table["delta"].iloc[0] == pytest.approx(1.0)


def test_nothing_scoreable_and_empty_vcf(tmp_path):
    genome = make_genome()
    vcf = write_vcf(tmp_path, genome, ["chrZ\t1\t.\tA\tC\t.\t.\t."])
    with pytest.raises(NoUsableRowsError):
        score_variants(vcf, genome, MotifDetector(), window=20)
    empty = tmp_path / "empty.vcf"
    empty.write_text(VCF_HEADER)
    with pytest.raises(EmptyInputError):
        read_variants(empty)


def test_lm_models_need_an_existing_checkpoint(tmp_path):
    genome = make_genome()
    vcf = write_vcf(tmp_path, genome, ["chr1\t105\t.\tC\tA\t.\t.\t."])
    with pytest.raises(ConfigError, match="not found"):
        score_variants(vcf, genome, f"lm:{tmp_path / 'missing'}", window=20)


def test_language_model_scores_are_log_likelihood_ratios(tmp_path):
    from helixforge.lm.inference import score

    genome = make_genome()
    b = genome["chr1"][199]
    vcf = write_vcf(
        tmp_path, genome, ["chr1\t105\t.\tC\tA\t.\t.\t.", f"chr1\t200\t.\t{b}\t{b}G\t.\t.\t."]
    )
    lm = tiny_decoder(tmp_path / "lm")
    table = score_variants(vcf, genome, f"lm:{lm}", window=20)
    g = _genome(genome)
    ref_w, alt_w = variant_windows(g, Variant("chr1", 105, ".", "C", "A", 1), "chr1", 20)
    ll = score(lm, [ref_w, alt_w]).log_likelihood
    assert table["delta"].iloc[0] == pytest.approx(ll[1] - ll[0], abs=1e-4)
    assert table["kind"].tolist() == ["SNV", "insertion"] and np.isfinite(table["delta"]).all()


def test_a_window_shorter_than_one_token_of_the_lm_is_named(tmp_path):
    """--window 4 with a dna-kmer:6 language model made every window [UNK] alone; the job died
    on 'sequences[0]: 4 base(s), shorter than one 6-mer' instead of naming the option."""
    import torch

    from helixforge.lm.models import build_model
    from helixforge.lm.tokenizers import build_tokenizer

    tok = build_tokenizer("dna-kmer:6")
    torch.manual_seed(0)
    lm = tmp_path / "kmer_lm"
    size = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64}
    build_model("decoder", size, len(tok), 64).save_pretrained(str(lm))
    tok.save(lm)
    genome = make_genome()
    vcf = write_vcf(tmp_path, genome, ["chr1\t105\t.\tC\tA\t.\t.\t."])
    with pytest.raises(ConfigError, match="--window 4 is shorter than one token .* 6-mers"):
        score_variants(vcf, genome, f"lm:{lm}", window=4)
    assert len(score_variants(vcf, genome, f"lm:{lm}", window=12)) == 1


def test_interrupted_runs_resume_from_finished_chunks(tmp_path):
    class Flaky(MotifDetector):
        calls, fail_after = 0, None

        def forward(self, x):
            self.calls += 1
            if self.fail_after is not None and self.calls > self.fail_after:
                raise RuntimeError("simulated crash")
            return super().forward(x)

    genome = make_genome()
    chr1 = genome["chr1"]
    vcf = write_vcf(
        tmp_path, genome, [f"chr1\t{p}\t.\t{chr1[p - 1]}\tG\t.\t.\t." for p in (50, 105, 300)]
    )
    out = tmp_path / "scores.tsv"
    model = Flaky()
    model.fail_after = 8  # 4 forward passes per chunk (ref, alt × 2 strands): dies in chunk 3
    with pytest.raises(RuntimeError):
        score_variants(vcf, genome, model, window=30, out=out, chunk_size=1)
    assert len(list((tmp_path / ".scores.tsv.partial").glob("chunk-*.parquet"))) == 2
    assert not out.exists()
    model.calls, model.fail_after = 0, None
    resumed = score_variants(vcf, genome, model, window=30, out=out, chunk_size=1, resume=True)
    assert model.calls == 4 and len(resumed) == 3
    fresh = score_variants(vcf, genome, MotifDetector(), window=30)
    assert np.allclose(resumed["delta"], fresh["delta"])
    assert not (tmp_path / ".scores.tsv.partial").exists()


def test_resume_refuses_changed_inputs_and_names_them(tmp_path):
    class Dies(MotifDetector):
        calls = 0

        def forward(self, x):
            self.calls += 1
            if self.calls > 4:
                raise RuntimeError("simulated crash")
            return super().forward(x)

    genome = make_genome()
    chr1 = genome["chr1"]
    vcf = write_vcf(
        tmp_path, genome, [f"chr1\t{p}\t.\t{chr1[p - 1]}\tG\t.\t.\t." for p in (50, 105, 300)]
    )
    out = tmp_path / "scores.tsv"
    with pytest.raises(RuntimeError):
        score_variants(vcf, genome, Dies(), window=30, out=out, chunk_size=1)
    other = dict(genome, chr2=genome["chr2"][::-1])
    with pytest.raises(ConfigError, match="the genome") as info:
        score_variants(vcf, other, MotifDetector(), window=30, out=out, chunk_size=1, resume=True)
    assert "model" not in str(info.value.message).split("changed")[0]
    with pytest.raises(ConfigError, match=r"window: 30 → 20"):
        score_variants(vcf, genome, MotifDetector(), window=20, out=out, chunk_size=1, resume=True)
    with pytest.raises(ConfigError, match="the model"):
        score_variants(vcf, genome, MotifDetector("CCCCCCCC"), window=30, out=out, chunk_size=1,
                       resume=True)  # fmt: skip
    resumed = score_variants(vcf, genome, MotifDetector(), window=30, out=out, chunk_size=1,
                             resume=True)  # fmt: skip
    assert len(resumed) == 3 and out.exists()


def test_existing_output_needs_overwrite(tmp_path):
    genome = make_genome()
    vcf = write_vcf(tmp_path, genome, ["chr1\t105\t.\tC\tA\t.\t.\t."])
    out = tmp_path / "scores.tsv"
    out.write_text("keep me\n")
    with pytest.raises(ConfigError, match="already exists"):
        score_variants(vcf, genome, MotifDetector(), window=20, out=out)
    assert out.read_text() == "keep me\n"
    score_variants(vcf, genome, MotifDetector(), window=20, out=out, overwrite=True)
    assert pd.read_csv(out, sep="\t")["delta"].iloc[0] == pytest.approx(1.0)


def test_kill_9_after_a_chunk_then_resume_gives_the_uninterrupted_bytes(tmp_path):
    """A real crash: SIGKILL once the first chunk is on disk; --resume must finish the job with
    exactly the bytes of an uninterrupted run (and never leave a partial output)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from typer.testing import CliRunner

    from helixforge.cli.app import app
    from helixforge.dna.models import SequenceModel

    rng = np.random.default_rng(11)
    chrom = "".join(rng.choice(list("ACGT"), 6000))
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom}\n")
    lines = [f"chr1\t{p}\t.\t{chrom[p - 1]}\t{'A' if chrom[p - 1] != 'A' else 'C'}\t.\t.\t."
             for p in range(40, 5960, 9)]  # fmt: skip
    (tmp_path / "v.vcf").write_text(VCF_HEADER + "\n".join(lines) + "\n")
    seqs = ["".join(rng.choice(list("ACGT"), 64)) for _ in range(32)]
    SequenceModel(arch="cnn", epochs=1, batch_size=16, device="cpu").fit(
        seqs, np.arange(32) % 2
    ).save(tmp_path / "run" / "model")

    def args(out):
        return ["dna", "variants", "score", "--vcf", str(tmp_path / "v.vcf"), "--genome",
                str(tmp_path / "g.fa"), "--model", str(tmp_path / "run"), "--window", "48",
                "--chunk-size", "8", "--device", "cpu", "--jobs", "1", "-q", "-o", str(out)]  # fmt: skip

    out = tmp_path / "killed.tsv"
    stage = tmp_path / ".killed.tsv.partial"
    code = "import sys; from helixforge.cli.app import main; sys.argv[0] = 'helix'; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, *args(out)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not list(stage.glob("chunk-*.parquet")):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no chunk was written"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert not out.exists(), "the job finished before it could be killed"
    done = len(list(stage.glob("chunk-*.parquet")))
    assert 0 < done < len(lines) / 8

    runner = CliRunner()
    other = tmp_path / "g2.fa"
    other.write_text(f">chr1\n{chrom[::-1]}\n")
    res = runner.invoke(app, [*args(out), "--resume", "--genome", str(other)])
    assert res.exit_code == 2 and "the genome" in res.output and not out.exists()
    res = runner.invoke(app, [*args(out), "--resume"])
    assert res.exit_code == 0, res.output
    fresh = tmp_path / "fresh.tsv"
    assert runner.invoke(app, args(fresh)).exit_code == 0
    assert out.read_bytes() == fresh.read_bytes()
    assert not stage.exists()


def test_the_default_window_fits_a_model_shorter_than_200_bases(tmp_path):
    # a model trained on 50-mers (max input 64) refused the default --window 200 it was never told
    genome = make_genome()
    chr1 = genome["chr1"]
    vcf = write_vcf(tmp_path, genome, [f"chr1\t105\tv\t{chr1[104]}\tA\t.\t.\t."])
    short = MotifDetector()
    short.max_len = 30
    table = score_variants(vcf, genome, short)
    assert (
        table["delta"].tolist()
        == score_variants(vcf, genome, MotifDetector(), window=30)["delta"].tolist()
    )
    with pytest.raises(ConfigError, match="--window 31 is longer than the model's maximum input"):
        score_variants(vcf, genome, short, window=31)


def test_n_in_ref_is_scored_against_the_genome_bases_not_against_n(tmp_path):
    # REF N (an unknown base) matches any genome base; the reference window must then hold the
    # genome's base (what the reference is), not N (an all-zero column the model never saw)
    genome = make_genome()
    vcf = write_vcf(
        tmp_path,
        genome,
        [
            "chr1\t101\tn_snv\tN\tA\t.\t.\t.",  # the T of TGATCAGC: 7 → 6 matching bases
            "chr1\t101\tt_snv\tT\tA\t.\t.\t.",  # the same allele with the base written out
        ],
    )
    table = score_variants(vcf, genome, MotifDetector(), window=40).set_index("id")
    assert table.loc["t_snv", "delta"] == pytest.approx(-1.0)
    assert table.loc["n_snv", "delta"] == pytest.approx(-1.0)
    # N>A written with two more bases: the same change as n_snv (scored once in one file)
    vcf.write_text(VCF_HEADER + "chr1\t101\tn_mnv\tNGA\tAGA\t.\t.\t.\n")
    mnv = score_variants(vcf, genome, MotifDetector(), window=40).set_index("id")
    assert mnv.loc["n_mnv", "delta"] == pytest.approx(-1.0)
    assert table.loc["n_snv", "ref_score"] == table.loc["t_snv", "ref_score"]
    assert table.loc["n_snv", "ref"] == "N"  # the output keeps the VCF's alleles


def test_an_alt_equal_to_ref_is_an_error_row_not_a_zero_effect(tmp_path):
    genome = make_genome()
    base = genome["chr1"][104]
    vcf = write_vcf(
        tmp_path,
        genome,
        [
            f"chr1\t105\tmulti\t{base}\tA,{base}\t.\t.\t.",
            f"chr1\t105\tsame\t{base}\t{base.lower()}\t.\t.\t.",
        ],
    )
    errors = RowErrors(vcf)
    out = tmp_path / "s.tsv"
    table = score_variants(vcf, genome, MotifDetector(), window=40, out=out, errors=errors)
    assert table["alt"].tolist() == ["A"]
    err = pd.read_csv(tmp_path / "s.errors.csv")
    assert err["row"].tolist() == [3, 4] and set(err["column"]) == {"ALT"}
    assert all("same as REF" in r for r in err["reason"])
    assert len(table) + len(err) == 3  # every ALT allele is in the output or the errors


def test_an_alt_holding_n_is_an_error_row_not_an_effect(tmp_path):
    """ALT N (an unknown base; the window got an all-zero column there) was scored and ranked
    as if it were an allele; in a multi-allelic record only that allele is refused."""
    genome = make_genome()
    base = genome["chr1"][104]
    other = "A" if base != "A" else "C"
    vcf = write_vcf(
        tmp_path,
        genome,
        [
            f"chr1\t105\tmulti\t{base}\t{other},N\t.\t.\t.",
            f"chr1\t105\tins\t{base}\t{base}NN\t.\t.\t.",
            f"chr1\t105\tlower\t{base}\tn\t.\t.\t.",
        ],
    )
    out = tmp_path / "s.tsv"
    table = score_variants(vcf, genome, MotifDetector(), window=40, out=out)
    assert table["alt"].tolist() == [other]
    err = pd.read_csv(tmp_path / "s.errors.csv")
    assert err["row"].tolist() == [3, 4, 5] and set(err["column"]) == {"ALT"}
    assert all("ALT holds N" in r for r in err["reason"])
    assert len(table) + len(err) == 4


def test_a_dash_allele_says_how_to_write_the_indel_in_vcf(tmp_path):
    """MPRA / MAF tables write a deletion as ALT '-'; the errors row said only 'ALT must be
    bases'."""
    genome = make_genome()
    base = genome["chr1"][104]
    vcf = write_vcf(
        tmp_path, genome, [f"chr1\t105\td\t{base}\t-\t.\t.\t.", "chr1\t105\ti\t-\tG\t.\t.\t."]
    )
    out = tmp_path / "s.tsv"
    with pytest.raises(NoUsableRowsError):
        score_variants(vcf, genome, MotifDetector(), window=40, out=out)
    err = pd.read_csv(tmp_path / "s.errors.csv")
    assert err["column"].tolist() == ["ALT", "REF"]
    assert err["reason"].str.contains("'-' is not VCF: write an indel with its anchor base").all()


def test_a_model_of_another_domain_is_refused_before_the_vcf_is_read(tmp_path, monkeypatch):
    # a chem run given as --model was only refused after the whole VCF had been read
    import json

    import helixforge.dna.variants.score as score_module
    from helixforge.core.errors import InputError

    genome = make_genome()
    vcf = write_vcf(tmp_path, genome, ["chr1\t105\t.\tC\tA\t.\t.\t."])
    run = tmp_path / "chemrun"
    run.mkdir()
    (run / "config.json").write_text(
        json.dumps({"domain": "chem", "targets": ["y"], "task_types": ["regression"]})
    )

    def read_too_early(*args, **kwargs):
        raise AssertionError("the VCF was read before the model was checked")

    monkeypatch.setattr(score_module, "read_variants", read_too_early)
    with pytest.raises(InputError, match="chem run"):
        score_variants(vcf, genome, str(run), out=tmp_path / "s.tsv")
    assert not (tmp_path / "s.tsv").exists()


def test_the_result_says_how_many_alleles_were_rejected_and_where(tmp_path):
    genome = make_genome()
    vcf = write_vcf(
        tmp_path, genome, ["chr1\t105\t.\tC\tA,<DEL>\t.\t.\t.", "chrX\t1\t.\tA\tC\t.\t.\t."]
    )
    out = tmp_path / "s.tsv"
    table = score_variants(vcf, genome, MotifDetector(), window=40, out=out)
    assert table.attrs["rejected"] == 2
    assert table.attrs["errors_path"] == str(tmp_path / "s.errors.csv")
    assert score_variants(vcf, genome, MotifDetector(), window=40).attrs["rejected"] == 2


def test_a_dict_genome_names_a_missing_contig_sequence_and_resolves_aliases(tmp_path):
    from helixforge.core.errors import InputError

    genome = make_genome()
    seq = genome["chr1"]
    vcf = write_vcf(tmp_path, genome, [f"1\t105\tv1\t{seq[104]}\tA\t.\t.\t."])
    # contig '1' in the VCF, 'chr1' in the dict: resolved as dna.io.Genome resolves it
    assert score_variants(vcf, genome, model=MotifDetector(), window=20)["id"].tolist() == ["v1"]
    with pytest.raises(InputError, match=r"genome\['chr1'\] is missing"):
        score_variants(vcf, {"chr1": None}, model=MotifDetector(), window=20)
    with pytest.raises(InputError, match="vcf is None"):
        score_variants(None, genome, model=MotifDetector(), window=20)


def test_a_window_shorter_than_the_model_is_named(tmp_path):
    from helixforge.core.errors import InputError

    genome = make_genome()
    seq = genome["chr1"]
    vcf = write_vcf(tmp_path, genome, [f"chr1\t105\tv1\t{seq[104]}\tA\t.\t.\t."])
    with pytest.raises(InputError, match="failed on .* of length 3"):
        score_variants(vcf, genome, model=MotifDetector(), window=3)


def test_motif_options_given_as_one_string():
    from helixforge.dna.motifs import load_jaspar
    from helixforge.dna.variants import MotifDeltaScorer, select_by_tf

    motifs = load_jaspar(ids=["MA0139.2"])  # CTCF
    assert [m.name for m in select_by_tf(motifs, "CTCF")] == ["CTCF"]  # was 'C', 'T', 'F'
    with pytest.raises(ConfigError, match="tfs is None"):
        select_by_tf(motifs, None)
    with pytest.raises(ConfigError, match="text, not Motif objects"):
        MotifDeltaScorer("MA0139.2")


def test_a_variant_past_the_contig_end_says_the_assembly_may_differ():
    from helixforge.dna.variants.alleles import usable_alleles

    g = _genome({"1": "ACGT" * 25})
    errors = RowErrors("calls.vcf")
    past = Variant("chr1", 150, "p", "A", "G", 7)  # chr1 is '1' here (mapped), 100 bases long
    assert usable_alleles([past], g, 20, errors) == []
    (e,) = list(errors)
    assert (e.row, e.column) == (7, "POS")
    assert "past the end of 1 (length 100)" in e.reason and "another assembly" in e.reason


def test_a_ref_base_an_ambiguity_code_of_the_genome_allows_is_scored():
    """The genome has S (C or G) where the VCF's REF says C: that agrees (it was 'REF does not
    match the genome'); the windows carry the VCF's C. A genome N (a gap) still disagrees."""
    from helixforge.dna.variants.alleles import usable_alleles

    g = _genome({"chr1": "ACGTACGTAS" + "ACGT" * 5 + "N" + "ACGT" * 5})
    errors = RowErrors("calls.vcf")
    at_s = Variant("chr1", 10, "s", "C", "A", 3)
    at_gap = Variant("chr1", 31, "n", "A", "C", 4)
    ((v, chrom, ref_w, alt_w),) = usable_alleles([at_s, at_gap], g, 9, errors)
    assert v.id == "s" and ref_w[4] == "C" and alt_w[4] == "A"
    assert [(e.row, e.column) for e in errors] == [(4, "REF")]
