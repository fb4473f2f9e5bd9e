"""`helix dna train --model lm:PATH` with a SMILES (chemistry) language model is refused
before training, naming what the model is; it trained without a word, reading A, C, G, T as
atoms. The same check guards `dna variants score --model lm:` and `dna design --lm`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.errors import ConfigError
from helixforge.dna.train import refuse_non_dna_lm, train_sequence_model


def _checkpoint(path, kind: str):
    """A checkpoint folder as far as the alphabet check reads it: config.json + the tokenizer
    spec HelixForge writes beside every tokenizer it builds."""
    path.mkdir()
    (path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (path / "helixforge_tokenizer.json").write_text(json.dumps({"kind": kind}))
    return path


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "train.csv"
    rows = [f"{'ACGT' * 5 if i % 2 else 'TTGCA' * 4},{i % 2}" for i in range(20)]
    path.write_text("sequence,label\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("kind", ["smiles-atom", "smiles-bpe"])
def test_a_smiles_language_model_is_refused_for_a_dna_task(tmp_path, table, kind):
    lm = _checkpoint(tmp_path / "chem_lm", kind)
    out = tmp_path / "run"
    with pytest.raises(ConfigError) as err:
        train_sequence_model(table, model=f"lm:{lm}", out=out, epochs=1)
    assert f"--model lm:{lm}: a SMILES (chemistry) language model (tokenizer {kind})" in str(
        err.value.message
    )
    assert "not one for DNA" in err.value.message and "dna-char" in err.value.hint
    assert not out.exists() and not (tmp_path / ".run.partial").exists()


def test_an_auto_candidate_that_is_a_smiles_model_is_refused(tmp_path, table):
    from helixforge.dna.auto import AutoSearch

    lm = _checkpoint(tmp_path / "chem_lm", "smiles-atom")
    search = AutoSearch(candidates=("cnn", f"lm:{lm}"))
    with pytest.raises(ConfigError, match="--auto-candidates lm:.*SMILES"):
        train_sequence_model(table, model="auto", auto=search, out=tmp_path / "run", epochs=1)


def test_dna_and_published_models_pass_the_check(tmp_path):
    refuse_non_dna_lm(f"lm:{_checkpoint(tmp_path / 'dna_lm', 'dna-kmer')}")
    published = tmp_path / "published"  # no helixforge_tokenizer.json: left to the model
    published.mkdir()
    (published / "config.json").write_text(json.dumps({"model_type": "bert"}))
    refuse_non_dna_lm(f"lm:{published}")


@pytest.mark.parametrize(
    "argv",
    [
        ["dna", "variants", "score", "--vcf", "IN", "--genome", "IN", "--method", "lm",
         "--model", "lm:LM", "-o", "OUT"],
        ["dna", "design", "IN", "--lm", "LM", "-o", "OUT"],
    ],
)  # fmt: skip
def test_other_dna_verbs_refuse_a_smiles_model_too(tmp_path, table, argv):
    lm = _checkpoint(tmp_path / "chem_lm", "smiles-atom")
    paths = {"IN": str(table), "LM": str(lm), "OUT": str(tmp_path / "out.tsv")}
    argv = [a.replace("LM", str(lm)) if a.startswith("lm:") else paths.get(a, a) for a in argv]
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert res.exit_code == 2, res.output
    assert "SMILES (chemistry) language model" in res.output, res.output


def test_sequences_shorter_than_one_kmer_of_the_lm_are_error_rows(tmp_path):
    """With --model lm:PATH on a dna-kmer:K checkpoint a sequence shorter than K tokenised to
    [UNK] alone, and the fine-tuning refused it for the whole job ('sequences[5]: 3 base(s),
    shorter than one 6-mer'); such rows go to the errors table instead, in training (the
    shortest length comes from every lm: model checked) and in predict / evaluate (the loaded
    model says it)."""
    from helixforge.core.errors import RowErrors
    from helixforge.dna.auto import AutoSearch
    from helixforge.dna.models.lm_adapter import LMSequenceModel
    from helixforge.dna.reader import read_sequence_input
    from helixforge.dna.train import _check_models

    lm = _checkpoint(tmp_path / "kmer_lm", "dna-kmer")
    (lm / "helixforge_tokenizer.json").write_text(json.dumps({"kind": "dna-kmer", "k": 4}))
    o = {"model": f"lm:{lm}", "arch_params": None, "epochs": 1, "lr": 1e-3, "batch_size": 8,
         "patience": 2, "seed": 0}  # fmt: skip
    assert _check_models(o, None) == 4
    search = AutoSearch(candidates=("cnn", f"lm:{lm}"))
    assert _check_models({**o, "model": "auto"}, search) == 4
    assert _check_models({**o, "model": "cnn"}, None) == 1
    assert LMSequenceModel(str(lm)).min_len == 4
    (tmp_path / "t.csv").write_text("sequence,label\nACGTAC,1\nACG,0\nacgt,1\nA,0\n")
    errors = RowErrors(tmp_path / "t.csv")
    data = read_sequence_input(tmp_path / "t.csv", min_len=4, errors=errors)
    assert data.sequences == ["ACGTAC", "ACGT"]
    assert [(e.row, e.value) for e in errors] == [(3, "ACG"), (5, "A")]
    assert all("shorter than the minimum of 4" in e.reason for e in errors)
