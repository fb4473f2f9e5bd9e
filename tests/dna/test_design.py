import numpy as np
import pytest
import torch
from torch import nn

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.design import design_sequences, parse_keep_out, write_designs
from helixforge.dna.interpret import onehot_sequences
from helixforge.dna.motifs import Motif

torch.set_num_threads(1)
SITE = "TGATAAGC"


class MotifDetector(nn.Module):
    """Score = best number of bases matching SITE in any window (8 = a perfect site)."""

    def __init__(self, site: str = SITE):
        super().__init__()
        self.conv = nn.Conv1d(4, 1, len(site), bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(onehot_sequences([site])[0].T[None]))

    def forward(self, x):
        return self.conv(x.transpose(1, 2)).amax(-1)


SEED = "C" * 30  # every window matches 1 of the 8 site bases (the final C)


def site_motif() -> Motif:
    c = np.ones((len(SITE), 4))
    for i, b in enumerate(SITE):
        c[i, "ACGT".index(b)] = 50
    return Motif("T1", "site", c)


def test_greedy_builds_the_site_one_edit_at_a_time():
    res = design_sequences(MotifDetector(), [SEED], edits=7, method="greedy")
    row = res.iloc[0]
    assert row["seed_score"] == 1.0
    assert row["score"] == 8.0 and row["n_edits"] == 7 and row["delta"] == 7.0
    assert SITE in row["sequence"]
    changed = [int(e.split(":")[0]) for e in row["edits"].split(";")]
    assert all(SEED[p] != row["sequence"][p] for p in changed)


def test_edit_budget_keep_out_and_minimise():
    res = design_sequences(MotifDetector(), [("s", SEED)], edits=2, keep_out=[(0, 15)])
    row = res.iloc[0]
    assert row["n_edits"] == 2 and row["score"] == 3.0
    assert row["sequence"][:15] == SEED[:15]
    low = design_sequences(MotifDetector(), [SITE + SEED], edits=1, maximize=False).iloc[0]
    assert low["score"] == 7.0 and low["delta"] == -1.0


def test_beam_returns_distinct_ranked_designs():
    res = design_sequences(MotifDetector(), [SEED], edits=3, method="beam", beam_width=4)
    assert len(res) == 4 and res["sequence"].nunique() == 4
    assert list(res["rank"]) == [1, 2, 3, 4]
    assert (np.diff(res["score"].to_numpy()) <= 0).all() and res["score"].iloc[0] == 4.0


def test_avoid_motif_blocks_creating_its_site():
    free = design_sequences(MotifDetector(), [SEED], edits=7).iloc[0]
    assert SITE in free["sequence"]
    guarded = design_sequences(
        MotifDetector(), [SEED], edits=7, avoid_motifs=[site_motif()], motif_pvalue=1e-4
    ).iloc[0]
    assert SITE not in guarded["sequence"] and guarded["score"] < 8.0


def test_annealing_improves_the_seed():
    res = design_sequences(
        MotifDetector(), [SEED], edits=4, method="anneal", anneal_steps=300, temperature=0.5, seed=1
    )
    row = res.iloc[0]
    assert row["score"] > row["seed_score"] and row["n_edits"] <= 4


def test_bad_inputs():
    with pytest.raises(ConfigError):
        design_sequences(MotifDetector(), [SEED], method="magic")
    with pytest.raises(ConfigError):
        design_sequences(MotifDetector(), [SEED], edits=0)
    with pytest.raises(InputError, match="position 3"):
        design_sequences(MotifDetector(), ["AC#GT" * 4])
    assert parse_keep_out("0-20, 35") == [(0, 20), (35, 36)]
    with pytest.raises(ConfigError):
        parse_keep_out("a-b")


def test_write_designs_fasta_and_table(tmp_path):
    res = design_sequences(MotifDetector(), [SEED], edits=2, method="beam", beam_width=2)
    write_designs(res, tmp_path / "designs.fa")
    text = (tmp_path / "designs.fa").read_text().splitlines()
    assert text[0].startswith(">seed1|design1|score=") and len(text) == 4
    assert (tmp_path / "designs.tsv").exists()


def test_lm_samples_are_ranked_by_the_model(tmp_path):
    from helixforge.dna.design import sample_from_lm
    from helixforge.lm.models import build_model
    from helixforge.lm.tokenizers import build_tokenizer

    tok = build_tokenizer("dna-char")
    torch.manual_seed(0)
    size = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64}
    build_model("decoder", size, len(tok), 64).save_pretrained(str(tmp_path / "lm"))
    tok.save(tmp_path / "lm")
    res = sample_from_lm(tmp_path / "lm", MotifDetector(), n=3, length=20, oversample=3)
    assert len(res) == 3 and all(len(s) == 20 and set(s) <= set("ACGT") for s in res["sequence"])
    assert (np.diff(res["score"].to_numpy()) <= 0).all() and list(res["method"]) == [
        "lm-sample"
    ] * 3
