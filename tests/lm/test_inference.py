from pathlib import Path

import numpy as np
import pytest

from helixforge.lm.batching import window_spans
from helixforge.lm.inference import embed, score


def test_window_spans_cover_everything_with_full_length_windows():
    assert window_spans(5, 10) == [(0, 5)]
    spans = window_spans(25, 10, 5)
    assert spans[0] == (0, 10) and spans[-1] == (15, 25)
    assert all(b - a == 10 for a, b in spans)
    covered = set().union(*(range(a, b) for a, b in spans))
    assert covered == set(range(25))


def test_embeddings_are_mean_pooled_and_handle_long_inputs(pretrained_encoder):
    seqs = ["ACGTACGTAA", "TTTTGGGGCC", "ACGT" * 50]  # the last is 200 bases > 48-token window
    X = embed(pretrained_encoder, seqs, batch_size=2)
    assert X.shape == (3, 32) and np.isfinite(X).all()
    again = embed(pretrained_encoder, seqs[:1])
    assert np.allclose(again[0], X[0], atol=1e-5)  # batching does not change the result


def test_a_layer_the_model_does_not_have_is_a_named_error(published_bert):
    # 2 layers → 3 hidden states (embeddings, layer 1, layer 2): 0..2 and -3..-1 are valid.
    from helixforge.core.errors import ConfigError

    seqs = ["ACGTACGTAA", "TTTTGGGGCC"]
    assert np.allclose(embed(published_bert, seqs, layer=2), embed(published_bert, seqs, layer=-1))
    assert embed(published_bert, seqs, layer=-3).shape == (2, 32)
    for layer in (3, 99, -4):
        with pytest.raises(ConfigError, match=f"--layer {layer}: this model has 3 hidden states"):
            embed(published_bert, seqs, layer=layer)


def test_pseudo_log_likelihood_matches_a_manual_computation(published_bert):
    import torch

    from helixforge.lm.models import load_pretrained

    seq = "ACGTTGCAAGCT"
    res = score(published_bert, [seq], batch_size=3)
    assert res.objective == "pseudo-log-likelihood"
    model, tok = load_pretrained(published_bert)
    ids = tok.encode(seq)
    manual = []
    for i in range(1, len(ids) - 1):
        x = torch.tensor([ids])
        x[0, i] = tok.mask_id
        with torch.no_grad():
            lp = torch.log_softmax(model(input_ids=x).logits[0, i], -1)[ids[i]]
        manual.append(float(lp))
    assert np.allclose(res.per_position[0], manual, atol=1e-4)
    assert res.log_likelihood[0] == pytest.approx(sum(manual), abs=1e-3)


def test_long_sequences_are_scored_in_windows(published_bert):
    long = "ACGTTGCA" * 40  # 320 bases = 107 3-mers > the 38-token body
    res = score(published_bert, [long, "ACG"], batch_size=64)
    assert res.n_tokens.tolist() == [107, 1]
    assert np.all(res.per_position[0] < 0)
    frame = res.positions_frame(["a", "b"])
    assert len(frame) == 108 and frame.token.iloc[0] == "ACG"


def test_causal_log_likelihood_uses_the_bos_context(tmp_path):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from helixforge.lm.tokenizers import build_tokenizer

    tok = build_tokenizer("dna-char")
    torch.manual_seed(0)
    m = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tok),
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            intermediate_size=64,
            max_position_embeddings=64,
        )
    )
    m.save_pretrained(str(tmp_path / "dec"))
    tok.save(tmp_path / "dec")
    seq = "ACGTAC"
    res = score(tmp_path / "dec", [seq, "ACGT" * 30], max_len=20)
    assert res.objective == "log-likelihood" and res.n_tokens.tolist() == [6, 120]
    ids = tok.encode(seq)[:-1]
    with torch.no_grad():
        lp = torch.log_softmax(m(input_ids=torch.tensor([ids])).logits[0], -1)
    manual = sum(float(lp[t, ids[t + 1]]) for t in range(len(ids) - 1))
    assert res.log_likelihood[0] == pytest.approx(manual, abs=1e-4)


# ---------------------------------------------------------------- Python-API inputs


@pytest.fixture(scope="module")
def tiny_dna_decoder(tmp_path_factory):
    from tiny_models import tiny_decoder

    return str(tiny_decoder(tmp_path_factory.mktemp("tiny") / "dec"))


def test_one_string_is_one_sequence_not_one_per_base(tiny_dna_decoder):
    seq = "ACGTACGTTGCA"
    assert embed(tiny_dna_decoder, seq, device="cpu").shape == (1, 32)
    one = score(tiny_dna_decoder, seq, device="cpu")
    assert one.log_likelihood.shape == (1,)
    assert one.log_likelihood[0] == pytest.approx(
        score(tiny_dna_decoder, [seq], device="cpu").log_likelihood[0]
    )


def test_arrays_series_bytes_and_empty_lists(tiny_dna_decoder):
    import pandas as pd

    seqs = ["ACGTACGT", "TTGACCAA"]
    want = embed(tiny_dna_decoder, seqs, device="cpu")
    for given in (np.array(seqs), pd.Series(seqs), [s.encode() for s in seqs], iter(seqs)):
        assert np.allclose(embed(tiny_dna_decoder, given, device="cpu"), want, atol=1e-6)
    assert embed(tiny_dna_decoder, [], device="cpu").shape == (0, 32)
    assert score(tiny_dna_decoder, [], device="cpu").log_likelihood.shape == (0,)


@pytest.mark.parametrize(
    "given, match",
    [
        (None, "sequences is None"),
        (["ACGT", None], r"sequences\[1\] is missing"),
        (["ACGT", ""], r"sequences\[1\] is empty"),
        ([">chr1\nACGT"], r"sequences\[0\]: character\(s\) outside the DNA alphabet.*'>'"),
        (["ACGT ACGT"], r"sequences\[0\].*' ' at position 5"),
    ],
)
def test_what_the_tokenizer_would_read_as_unk_is_named(tiny_dna_decoder, given, match):
    from helixforge.core.errors import InputError

    for fn in (embed, score):
        with pytest.raises(InputError, match=match):
            fn(tiny_dna_decoder, given, device="cpu")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"batch_size": -1}, "batch_size must be at least 1"),  # returned (0, hidden) before
        ({"max_len": 0}, "max_len must be at least 1"),
        ({"max_len": float("nan")}, "max_len must be an integer"),
        ({"layer": "x"}, "layer must be an integer"),
    ],
)
def test_bad_numeric_options_are_config_errors(tiny_dna_decoder, kwargs, match):
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        embed(tiny_dna_decoder, ["ACGT"], device="cpu", **kwargs)


def test_a_model_path_that_is_not_a_path_is_named():
    from helixforge.core.errors import InputError

    with pytest.raises(InputError, match="model path is None"):
        embed(None, ["ACGT"])
    with pytest.raises(InputError, match="model path must be a path"):
        score(5, ["ACGT"])


def test_score_frame_ids_are_one_per_sequence():
    """One string is one id (it was split into characters); a count mismatch is named."""

    from helixforge.core.errors import InputError
    from helixforge.lm.inference import ScoreResult

    res = ScoreResult(
        np.array([-4.0]), np.array([2]), [np.zeros(2)], [["A", "C"]], "log-likelihood"
    )
    assert res.to_frame("seq1")["id"].tolist() == ["seq1"]
    assert res.to_frame()["id"].tolist() == [0]
    with pytest.raises(InputError, match="ids has 2 entries but 1 sequence"):
        res.to_frame(["a", "b"])


def _count_passes(monkeypatch) -> list[int]:
    """Patch `load_pretrained` so every forward pass (one window, one batch row) is counted."""
    import helixforge.lm.inference as inference

    original, rows = inference.load_pretrained, []

    def counted(*args, **kwargs):
        model, tok = original(*args, **kwargs)
        model.register_forward_hook(lambda m, a, kw, out: rows.append(kw["input_ids"].shape[0]),
                                    with_kwargs=True)  # fmt: skip
        return model, tok

    monkeypatch.setattr(inference, "load_pretrained", counted)
    return rows


@pytest.mark.parametrize("model", ["published_bert", "tiny_dna_decoder"])
def test_score_says_how_many_forward_passes_before_the_work(model, request, monkeypatch):
    import re

    path = request.getfixturevalue(model)
    rows, said = _count_passes(monkeypatch), []
    seqs = ["ACGTTGCA" * 40, "ACGTAC", "TTGACCA" * 30]
    score(path, seqs, batch_size=16, max_len=24, device="cpu", log=lambda m: rows and
          pytest.fail("logged after the work") or said.append(m))  # fmt: skip
    assert len(said) == 1
    announced = int(re.search(r"([\d,]+) forward passes", said[0]).group(1).replace(",", ""))
    assert announced == sum(rows) > len(seqs)
    assert "long job" not in said[0]


def test_a_very_long_pseudo_log_likelihood_job_says_what_makes_it_cheaper():
    from helixforge.lm.inference import score_cost

    text = score_cost([200_000], 510, False, 64, n_special=2)
    assert "200,000 forward passes of a window of up to 512 tokens" in text
    assert "--max-len" in text and "long job" in text
    assert "long job" not in score_cost([200_000], 510, True, 64, n_special=2, prefix=1)


def test_each_position_is_scored_by_the_window_where_it_is_farthest_from_an_edge():
    # _assign_masked_windows looks only at the windows holding a position (it scanned every
    # window for every position: 160 million steps for a 200 kb record); same assignment.
    from helixforge.lm.batching import window_spans
    from helixforge.lm.inference import _assign_masked_windows

    for n, body in [(0, 8), (1, 8), (9, 8), (100, 7), (1000, 64), (5003, 100), (333, 1), (10, 2)]:
        spans = window_spans(n, body, max(1, body // 2))
        got = _assign_masked_windows(n, body)
        assert sorted(p for _, _, ps in got for p in ps) == list(range(n))
        for a, b, ps in got:
            for p in ps:
                k = spans.index((a, b))
                rivals = [
                    (min(p - x, y - 1 - p), j) for j, (x, y) in enumerate(spans) if x <= p < y
                ]
                assert max(rivals)[1] == k


def _save_as(published_bert, folder, model_class):
    """The published BERT re-saved as `model_class` (a classifier, a bare encoder), with its
    tokenizer: what a fine-tuned member's model/ or a head-less published folder holds."""
    import shutil

    import transformers as tf

    model = getattr(tf, model_class).from_pretrained(published_bert, num_labels=2)
    model.save_pretrained(str(folder))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (src := Path(published_bert) / name).exists():
            shutil.copy(src, folder / name)
    return folder


def test_scoring_a_fine_tuned_classifier_is_refused_and_names_its_base(published_bert, tmp_path):
    """A fine-tuned member has no masked-LM head: loading one as a language model filled the
    head with new random weights and `lm score` wrote their 'likelihoods' without a word."""
    import json

    from helixforge.core.errors import ConfigError

    member = tmp_path / "run" / "model" / "member_0"
    _save_as(published_bert, member / "model", "BertForSequenceClassification")
    (member / "helixforge_finetune.json").write_text(
        json.dumps({"base_model": published_bert, "max_len": 24})
    )
    with pytest.raises(ConfigError, match="has no language-model head") as info:
        score(member / "model", ["ACGTACGTAA"])
    assert "BertForSequenceClassification" in str(info.value) and published_bert in info.value.hint
    # embeddings need no head: they work, in the window the member was fine-tuned with
    from helixforge.lm.models import default_max_len

    assert embed(member / "model", ["ACGTACGTAA"]).shape == (1, 32)
    assert default_max_len(member / "model", None) == 24


def test_scoring_a_published_encoder_saved_without_its_head_is_refused(published_bert, tmp_path):
    from helixforge.core.errors import ConfigError

    bare = _save_as(published_bert, tmp_path / "bare", "BertModel")
    with pytest.raises(ConfigError, match="has no language-model head") as info:
        score(bare, ["ACGTACGTAA"])
    assert "ForMaskedLM" in info.value.hint
    assert score(published_bert, ["ACGTACGTAA"]).n_tokens[0] > 0  # with its head: scored
