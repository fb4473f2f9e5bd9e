"""`score_variants` when nothing can be scored: the refusal says where every record went.

score_variants("calls.vcf", "genome.fa", method="motif", out="scores.tsv")
# NoUsableRowsError "calls.vcf: no variant could be scored; the 7 rejected records are in
# the errors table scores.errors.csv (file, row, column, value, reason)"
"""

import pandas as pd
import pytest

from helixforge.core.errors import ConfigError, NoUsableRowsError
from helixforge.dna.motifs import Motif
from helixforge.dna.variants import score_variants

HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def test_when_no_allele_is_scored_the_message_names_the_errors_table(tmp_path):
    """Every record refused (here: symbolic SVs and an unknown contig): the errors table was
    written, but the message named only the VCF and the first rows, not where the rest went."""
    vcf = tmp_path / "calls.vcf"
    records = [f"chr1\t{10 + k}\tsv{k}\tA\t<DEL>\t.\t.\t." for k in range(6)]
    vcf.write_text(HEADER + "\n".join([*records, "chr9\t5\tx\tA\tG\t.\t.\t."]) + "\n")
    motif = Motif("M1", "site", [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    out = tmp_path / "scores.tsv"
    with pytest.raises(NoUsableRowsError) as info:
        score_variants(vcf, {"chr1": "A" * 100}, method="motif", motifs=[motif], out=out)
    message = info.value.message
    errors = tmp_path / "scores.errors.csv"
    assert f"the 7 rejected records are in the errors table {errors}" in message
    assert len(pd.read_csv(errors)) == 7 and not out.exists()


def test_resume_is_refused_when_the_alleles_to_score_differ(tmp_path, monkeypatch):
    """Chunks are slices of the list of usable alleles. When the rules that choose them change
    between the crash and the resume (a newer HelixForge drops a repeated record), the same
    VCF, genome and options gave another list: the saved chunk 0 was kept and chunk 1 cut
    from the new list, so an allele was lost or scored twice. The resume key now holds the
    list's fingerprint, and such a resume is refused by name."""
    import helixforge.dna.variants.score as score

    vcf = tmp_path / "calls.vcf"
    vcf.write_text(HEADER + "".join(f"chr1\t{p}\tv{p}\tA\tG\t.\t.\t.\n" for p in (10, 20, 30)))
    genome = {"chr1": "A" * 100}
    motif = Motif("M1", "site", [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    out = tmp_path / "scores.tsv"
    kw = dict(method="motif", motifs=[motif], out=out, chunk_size=1, window=20)
    real_chunk = score._score_chunk
    calls = []

    def crash_after_one(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("simulated crash")
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(score, "_score_chunk", crash_after_one)
    with pytest.raises(RuntimeError):
        score_variants(vcf, genome, **kw)
    monkeypatch.setattr(score, "_score_chunk", real_chunk)
    real_usable = score.checked_alleles
    monkeypatch.setattr(score, "checked_alleles", lambda *a: real_usable(*a)[1:])  # new rules
    with pytest.raises(ConfigError, match="the alleles to score") as info:
        score_variants(vcf, genome, resume=True, **kw)
    assert "another HelixForge version" in info.value.message
    monkeypatch.setattr(score, "checked_alleles", real_usable)
    assert score_variants(vcf, genome, resume=True, **kw)["id"].tolist() == ["v10", "v20", "v30"]


def test_windows_are_made_a_chunk_at_a_time(tmp_path, monkeypatch):
    """Every allele's two windows were built before the first chunk was scored (~0.7 kB an
    allele at the default window: GBs for a whole-genome VCF); now each chunk makes its own."""
    import helixforge.dna.variants.alleles as alleles
    import helixforge.dna.variants.score as score

    vcf = tmp_path / "calls.vcf"
    vcf.write_text(HEADER + "".join(f"chr1\t{p}\tv{p}\tA\tG\t.\t.\t.\n" for p in range(10, 70, 10)))
    made, at_chunk = [], []
    real_windows, real_chunk = alleles.variant_windows, score._score_chunk

    def counting_windows(*args):
        made.append(1)
        return real_windows(*args)

    def chunk(*args, **kwargs):
        at_chunk.append(len(made))
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(alleles, "variant_windows", counting_windows)
    monkeypatch.setattr(score, "variant_windows", counting_windows, raising=False)
    monkeypatch.setattr(score, "_score_chunk", chunk)
    motif = Motif("M1", "site", [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    result = score_variants(vcf, {"chr1": "A" * 100}, method="motif", motifs=[motif],
                            window=20, chunk_size=2)  # fmt: skip
    assert len(result) == 6 and at_chunk == [0, 2, 4]


def test_a_tf_missing_from_the_default_vertebrate_motifs_points_to_motifs_file(tmp_path):
    """--tfs REB1 (a yeast TF) said only 'no motif for REB1 among the 879 motifs'."""
    vcf = tmp_path / "calls.vcf"
    vcf.write_text(HEADER + "chr1\t10\tv\tA\tG\t.\t.\t.\n")
    with pytest.raises(ConfigError, match=r"no motif for REB1 .*JASPAR CORE vertebrates") as e:
        score_variants(vcf, {"chr1": "A" * 100}, method="motif", tfs="REB1,SP1")
    assert "pass --motifs FILE" in e.value.hint
