"""chem.models.lm: which checkpoints `--model lm:PATH` accepts for molecules."""

from __future__ import annotations

import json

import pytest

from helixforge.core.errors import ConfigError


@pytest.mark.parametrize("kind", ["dna-char", "dna-kmer", "dna-bpe"])
def test_a_dna_language_model_is_refused_for_molecules(tmp_path, kind):
    """chem train --model lm:<a DNA model> trained on SMILES read as DNA (most characters
    unknown to the A/C/G/T/N vocabulary) and reported metrics without a word."""
    from helixforge.chem.models.lm import lm_property_model

    (tmp_path / "helixforge_tokenizer.json").write_text(json.dumps({"kind": kind, "k": 1}))
    with pytest.raises(ConfigError, match="DNA language model") as err:
        lm_property_model(str(tmp_path))
    assert "smiles" in err.value.hint.lower()


def test_a_smiles_or_published_checkpoint_is_not_refused_here(tmp_path, monkeypatch):
    import helixforge.chem.models.lm as adapter

    monkeypatch.setattr(adapter, "lm_model_class", lambda: lambda path, **kw: ("model", path))
    (tmp_path / "helixforge_tokenizer.json").write_text(json.dumps({"kind": "smiles-atom"}))
    assert adapter.lm_property_model(str(tmp_path)) == ("model", str(tmp_path))
    other = tmp_path / "hf"  # a published folder has no helixforge_tokenizer.json
    other.mkdir()
    assert adapter.lm_property_model(str(other)) == ("model", str(other))
