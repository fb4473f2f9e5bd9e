import numpy as np
import pytest
import torch
from tiny_models import tiny_decoder

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.design import design_sequences, parse_keep_out, write_designs
from helixforge.dna.motifs import Motif

torch.set_num_threads(1)
SITE = "TGATAAGC"


SEED = "C" * 30  # every window matches 1 of the 8 site bases (the final C)


def site_motif() -> Motif:
    c = np.ones((len(SITE), 4))
    for i, b in enumerate(SITE):
        c[i, "ACGT".index(b)] = 50
    return Motif("T1", "site", c)


def test_greedy_builds_the_site_one_edit_at_a_time(make_detector):
    res = design_sequences(make_detector(), [SEED], edits=7, method="greedy")
    row = res.iloc[0]
    assert row["seed_score"] == 1.0
    assert row["score"] == 8.0 and row["n_edits"] == 7 and row["delta"] == 7.0
    assert SITE in row["sequence"]
    changed = [int(e.split(":")[0]) for e in row["edits"].split(";")]  # 1-based positions
    assert all(SEED[p - 1] != row["sequence"][p - 1] for p in changed)


def test_edit_budget_keep_out_and_minimise(make_detector):
    res = design_sequences(make_detector(), [("s", SEED)], edits=2, keep_out=[(0, 15)])
    row = res.iloc[0]
    assert row["n_edits"] == 2 and row["score"] == 3.0
    assert row["sequence"][:15] == SEED[:15]
    low = design_sequences(make_detector(), [SITE + SEED], edits=1, maximize=False).iloc[0]
    assert low["score"] == 7.0 and low["delta"] == -1.0


def test_beam_returns_distinct_ranked_designs(make_detector):
    res = design_sequences(make_detector(), [SEED], edits=3, method="beam", beam_width=4)
    assert len(res) == 4 and res["sequence"].nunique() == 4
    assert list(res["rank"]) == [1, 2, 3, 4]
    assert (np.diff(res["score"].to_numpy()) <= 0).all() and res["score"].iloc[0] == 4.0


def test_avoid_motif_blocks_creating_its_site(make_detector):
    free = design_sequences(make_detector(), [SEED], edits=7).iloc[0]
    assert SITE in free["sequence"]
    guarded = design_sequences(
        make_detector(), [SEED], edits=7, avoid_motifs=[site_motif()], motif_pvalue=1e-4
    ).iloc[0]
    assert SITE not in guarded["sequence"] and guarded["score"] < 8.0


def test_annealing_improves_the_seed(make_detector):
    res = design_sequences(
        make_detector(), [SEED], edits=4, method="anneal", anneal_steps=300, temperature=0.5, seed=1
    )
    row = res.iloc[0]
    assert row["score"] > row["seed_score"] and row["n_edits"] <= 4


def test_bad_inputs(make_detector):
    with pytest.raises(ConfigError):
        design_sequences(make_detector(), [SEED], method="magic")
    with pytest.raises(ConfigError):
        design_sequences(make_detector(), [SEED], edits=0)
    with pytest.raises(InputError, match="position 3"):
        design_sequences(make_detector(), ["AC#GT" * 4])
    assert parse_keep_out("1-20, 36") == [(0, 20), (35, 36)]  # 1-based inclusive → 0-based
    for bad in ("a-b", "0-5", "10-3"):
        with pytest.raises(ConfigError, match="--keep-out"):
            parse_keep_out(bad)
    with pytest.raises(ConfigError, match="--beam-width"):
        design_sequences(make_detector(), [SEED], method="beam", beam_width=0)


def test_write_designs_fasta_and_table(tmp_path, make_detector):
    res = design_sequences(make_detector(), [SEED], edits=2, method="beam", beam_width=2)
    write_designs(res, tmp_path / "designs.fa")
    text = (tmp_path / "designs.fa").read_text().splitlines()
    assert text[0].startswith(">seed1|design1|score=") and len(text) == 4
    assert (tmp_path / "designs.tsv").exists()


def test_lm_samples_are_ranked_by_the_model(tmp_path, make_detector):
    from helixforge.dna.design import sample_from_lm
    from helixforge.lm.models import build_model
    from helixforge.lm.tokenizers import build_tokenizer

    tok = build_tokenizer("dna-char")
    torch.manual_seed(0)
    size = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64}
    build_model("decoder", size, len(tok), 64).save_pretrained(str(tmp_path / "lm"))
    tok.save(tmp_path / "lm")
    res = sample_from_lm(tmp_path / "lm", make_detector(), n=3, length=20, oversample=3)
    assert len(res) == 3 and all(len(s) == 20 and set(s) <= set("ACGT") for s in res["sequence"])
    assert (np.diff(res["score"].to_numpy()) <= 0).all() and list(res["method"]) == [
        "lm-sample"
    ] * 3


def test_lm_sampling_refuses_sizes_it_cannot_serve(tmp_path, make_detector):
    """--n 1,000,000,000 asked torch for one 8 GB batch (a RuntimeError traceback) and
    --length 100,000 ran for hours on sequences the ranking model cannot score."""
    from helixforge.dna.design import sample_from_lm

    lm, model = tiny_decoder(tmp_path / "lm"), make_detector()
    with pytest.raises(ConfigError, match="--n must be at most"):
        sample_from_lm(lm, model, n=1_000_000_000, length=8)
    model.max_len = 40
    with pytest.raises(ConfigError, match="--length 100,000 is longer than the model's maximum"):
        sample_from_lm(lm, model, n=3, length=100_000)


def test_lm_sampling_in_batches_is_reproducible(tmp_path, make_detector, monkeypatch):
    import helixforge.dna.design.sample as sample

    lm, model = tiny_decoder(tmp_path / "lm"), make_detector()
    monkeypatch.setattr(sample, "SAMPLE_BATCH", 4)
    a = sample.sample_from_lm(lm, model, n=10, length=12, seed=3)
    b = sample.sample_from_lm(lm, model, n=10, length=12, seed=3)
    assert len(a) == 10 and a.equals(b)


def test_design_with_lm_refuses_seed_and_edit_options(tmp_path):
    """--lm with --fasta / --keep-out / --minimize / --avoid-motif ran the sampler and ignored
    them without a word."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    (tmp_path / "s.fa").write_text(">a\nACGTACGTAC\n")
    res = CliRunner().invoke(app, ["dna", "design", str(tmp_path / "run"), "--lm",
                                   str(tmp_path / "lm"), "--fasta", str(tmp_path / "s.fa"),
                                   "--keep-out", "1-3", "--minimize", "-o",
                                   str(tmp_path / "d.fa")])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "--fasta, --keep-out, --minimize cannot be used with it" in res.output, res.output
    assert not (tmp_path / "d.fa").exists()


def test_one_seed_string_is_one_seed_and_missing_seeds_are_named(make_detector):
    res = design_sequences(make_detector(), SEED, edits=1)
    assert len(res) == 1 and len(res["sequence"][0]) == len(SEED)
    with pytest.raises(InputError, match="seeds is None"):
        design_sequences(make_detector(), None)
    with pytest.raises(InputError, match="seed2 is missing"):
        design_sequences(make_detector(), [SEED, None])


@pytest.mark.parametrize(
    "keep_out, match",
    [("1-5", r"parse_keep_out\('1-5'\)"), ([(5, 2)], "is empty"), ([(-3, 4)], "at least 0")],
)
def test_keep_out_given_wrongly_is_a_config_error(make_detector, keep_out, match):
    with pytest.raises(ConfigError, match=match):
        design_sequences(make_detector(), [SEED], edits=1, keep_out=keep_out)


def test_a_seed_shorter_than_the_model_is_named(make_detector):
    with pytest.raises(InputError, match="failed on 1 sequence.*length 4"):
        design_sequences(make_detector(), ["ACGT"], edits=1)


def test_sampling_options_are_checked_before_the_model_runs(make_detector, tmp_path):
    from helixforge.dna.design import sample_from_lm

    lm = tiny_decoder(tmp_path / "dec")
    for kwargs, match in [
        ({"temperature": 0}, "--temperature must be > 0"),
        ({"temperature": float("nan")}, "--temperature must be a finite number"),
        ({"top_k": -1}, "--top-k must be at least 0"),
    ]:
        with pytest.raises(ConfigError, match=match):
            sample_from_lm(lm, make_detector(), n=2, length=16, **kwargs)
    with pytest.raises(InputError, match="prompt: character 'X' at position 4"):
        sample_from_lm(lm, make_detector(), n=2, length=16, prompt="ACGX")  # sampled before


def test_parse_keep_out_takes_text_only():
    with pytest.raises(ConfigError, match="takes text such as"):
        parse_keep_out(5)
    assert parse_keep_out(None) == []
