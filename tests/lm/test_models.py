import pytest

from helixforge.core.errors import ConfigError, DataUnavailableError, InputError
from helixforge.lm.models import SIZES, build_model, count_parameters, load_pretrained, model_info


@pytest.mark.parametrize("arch", ["encoder", "bert", "decoder", "gpt2"])
def test_every_architecture_builds_and_computes_a_loss(arch):
    import torch

    model = build_model(arch, SIZES["micro"], vocab_size=12, max_len=32)
    x = torch.randint(5, 12, (2, 16))
    out = model(input_ids=x, labels=x)
    assert out.logits.shape == (2, 16, 12) and torch.isfinite(out.loss)


def test_size_presets_grow():
    counts = [
        count_parameters(build_model("decoder", s, 64, 64)) for s in ("micro", "tiny", "small")
    ]
    assert counts == sorted(counts) and counts[0] < 50_000


def test_hub_id_without_local_copy_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataUnavailableError, match="never downloads") as exc:
        load_pretrained("zhihan1996/DNABERT-2-117M")
    assert "--local-dir" in exc.value.hint and "--trust-remote-code" in exc.value.hint


def test_directory_without_config_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="an empty directory, not a language-model checkpoint"):
        load_pretrained(tmp_path)
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(InputError, match="config.json"):
        load_pretrained(tmp_path)
    with pytest.raises(ConfigError):
        build_model("transformer-xl", "tiny", 10, 10)


def test_published_checkpoint_loads_with_its_tokenizer(published_bert):
    model, tok = load_pretrained(published_bert)
    assert type(model).__name__ == "BertForMaskedLM"
    assert tok.spec.kind == "external" and tok.mask_id is not None
    info = model_info(published_bert)
    assert info["objective"] == "masked-lm" and info["parameters"] == count_parameters(model)


def test_a_finetune_run_directory_resolves_to_its_first_member(tmp_path):
    from helixforge.lm.models import resolve_model_dir

    member = tmp_path / "run" / "model" / "member_0" / "model"
    member.mkdir(parents=True)
    (member / "config.json").write_text("{}")
    (tmp_path / "run" / "model" / "manifest.json").write_text("{}")
    (tmp_path / "run" / "config.json").write_text("{}")  # the run's own config, not a model's
    assert resolve_model_dir(tmp_path / "run") == member
