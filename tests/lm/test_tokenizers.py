import json

import numpy as np
import pytest
from transformers import AutoTokenizer

from helixforge.core.errors import ConfigError
from helixforge.lm.tokenizers import (
    SMILES_REGEX,
    SequenceTokenizer,
    build_tokenizer,
    parse_spec,
    split_smiles,
)


def test_dna_char_round_trip_and_unknown_policy(tmp_path):
    tok = build_tokenizer("dna-char")
    ids = tok.encode("ACGTN")
    assert ids[0] == tok.hf.cls_token_id and ids[-1] == tok.hf.sep_token_id
    assert tok.decode(ids) == "ACGTN"
    # soft-masking is dropped, U is T, IUPAC ambiguity codes become N, other characters [UNK]
    assert tok.decode(tok.encode("acgu")) == "ACGT"
    assert tok.decode(tok.encode("ARYK")) == "ANNN"
    assert tok.hf.unk_token_id in tok.tokenize_ids(["AC-GT"])[0]  # the tokenizer's own policy


@pytest.mark.parametrize("spec", ["dna-char", "dna-kmer:3", "dna-kmer:4:nonoverlap"])
def test_encode_names_what_would_be_unk_and_decode_checks_ids(spec):
    """encode('ACGT XYZ') quietly gave [UNK] tokens; decode(None) was a raw TypeError."""
    from helixforge.core.errors import InputError

    tok = build_tokenizer(spec)
    for bad in ("ACGT XYZ", ">s1\nACGT", "AC-GT"):
        with pytest.raises(InputError, match="outside the DNA alphabet"):
            tok.encode(bad)
    ids = tok.encode("ACGTAC")
    assert tok.decode(np.array(ids)) == tok.decode(tuple(ids)) == "ACGTAC"
    for bad, match in [
        (None, "ids is None"),
        ("ACGT", "ids is str"),
        (5, "ids is int"),
        (np.zeros((2, 3), int), r"shape \(2, 3\)"),
        ([2, "A"], r"ids\[1\] is str"),
        ([2, 1.0], r"ids\[1\] is float"),
        ([2, 10_000], r"ids\[1\] = 10000 is not a token"),
        ([-1], r"ids\[0\] = -1"),
    ]:
        with pytest.raises(InputError, match=match):
            tok.decode(bad)


def test_smiles_encode_names_whitespace():
    from helixforge.core.errors import InputError

    tok = build_tokenizer("smiles-atom")
    with pytest.raises(InputError, match="whitespace inside a SMILES"):
        tok.encode("CCO CC")


def test_saved_tokenizer_loads_with_plain_autotokenizer(tmp_path):
    tok = build_tokenizer("dna-kmer:4:nonoverlap")
    tok.save(tmp_path)
    assert (tmp_path / "tokenizer.json").exists()
    hf = AutoTokenizer.from_pretrained(str(tmp_path), local_files_only=True)
    ids = hf("ACGTACGTAC")["input_ids"]
    assert hf.convert_ids_to_tokens(ids) == ["[CLS]", "ACGT", "ACGT", "AC", "[SEP]"]
    assert hf.decode(ids, skip_special_tokens=True) == "ACGTACGTAC"
    again = SequenceTokenizer.load(tmp_path)
    assert again.spec.kind == "dna-kmer" and again.spec.k == 4 and not again.spec.overlap


@pytest.mark.parametrize("k", [3, 6])
def test_overlapping_kmers_round_trip(tmp_path, k):
    tok = build_tokenizer(f"dna-kmer:{k}")
    seq = "ACGTTGCAACGGT"
    ids = tok.encode(seq)
    assert len(ids) == len(seq) - k + 1 + 2
    assert tok.decode(ids) == seq
    tok.save(tmp_path)
    assert json.loads((tmp_path / "helixforge_tokenizer.json").read_text())["overlap"] is True
    assert SequenceTokenizer.load(tmp_path).decode(ids) == seq


def test_kmer_with_n_is_unknown():
    tok = build_tokenizer("dna-kmer:3:nonoverlap")
    ids = tok.encode("ACGNNNACG", add_special_tokens=False)
    assert ids[1] == tok.hf.unk_token_id and ids[0] != tok.hf.unk_token_id


def test_dna_bpe_trained_on_corpus_round_trips():
    corpus = ["ACGTACGTTTGACA" * 20, "TTTTGACAACGT" * 30] * 5
    tok = build_tokenizer("dna-bpe:64", corpus)
    seq = "ACGTACGTTTGACAGGT"
    ids = tok.encode(seq, add_special_tokens=False)
    assert len(ids) < len(seq)  # merges happened
    assert tok.decode(ids) == seq


def test_smiles_atom_level_tokens_and_round_trip():
    smi = "CC(=O)N[C@@H](Cl)c1ccc(Br)cc1%12"
    assert split_smiles(smi)[:6] == ["C", "C", "(", "=", "O", ")"]
    assert (
        "[C@@H]" in split_smiles(smi) and "Cl" in split_smiles(smi) and "%12" in split_smiles(smi)
    )
    tok = build_tokenizer("smiles-atom", [smi, "CCO"])
    assert tok.decode(tok.encode(smi)) == smi
    assert SMILES_REGEX.startswith("(\\[")


def test_smiles_bpe_round_trip():
    corpus = ["CC(=O)Nc1ccc(O)cc1", "c1ccccc1", "CCOC(=O)C", "CCN(CC)CC"] * 20
    tok = build_tokenizer("smiles-bpe:60", corpus)
    assert tok.decode(tok.encode("CCOc1ccccc1")) == "CCOc1ccccc1"


def test_bad_specs_are_config_errors():
    for bad in ("dna-kmer:9", "dna-kmer:x", "protein", "dna-bpe:4"):
        with pytest.raises(ConfigError):
            parse_spec(bad)
    with pytest.raises(ConfigError, match="corpus"):
        build_tokenizer("dna-bpe:100")


def test_published_dnabert1_style_kmer_vocabulary_is_recognised(tmp_path):
    tok = build_tokenizer("dna-kmer:3")
    tok.save(tmp_path)
    (tmp_path / "helixforge_tokenizer.json").unlink()  # as a published checkpoint would ship it
    again = SequenceTokenizer.load(tmp_path)
    assert again.spec.kind == "dna-kmer" and again.spec.k == 3 and again.spec.overlap
    assert again.decode(again.encode("ACGTTGCA")) == "ACGTTGCA"


def test_an_interrupted_tokenizer_save_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    """`helix lm tokenizer train -o DIR` wrote straight into DIR: a save killed half-way (or a
    failed --overwrite) left a torn tokenizer, or new files mixed with the old one's, there.
    It is now built beside DIR and swapped in whole."""
    from helixforge.lm.tokenizers import SequenceTokenizer, train_tokenizer

    out = tmp_path / "tok"
    train_tokenizer("dna-kmer:3", None, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_save = SequenceTokenizer.save

    def killed_save(self, path):
        real_save(self, path)
        (path / "tokenizer.json").write_text('{"trunc')  # torn mid-write …
        raise KeyboardInterrupt  # … then the process is stopped

    monkeypatch.setattr(SequenceTokenizer, "save", killed_save)
    with pytest.raises(KeyboardInterrupt):
        train_tokenizer("dna-char", None, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["tok"]  # no staging folder left behind
    monkeypatch.setattr(SequenceTokenizer, "save", real_save)
    assert SequenceTokenizer.load(out).spec.to_dict()["kind"] == "dna-kmer"


def test_a_damaged_tokenizer_folder_says_what_is_missing(tmp_path):
    """An empty folder or one of ours without tokenizer.json got transformers' message about
    sentencepiece / tiktoken and slow-tokenizer conversion; a corrupt
    helixforge_tokenizer.json had no hint."""
    from helixforge.core.errors import InputError
    from helixforge.lm.tokenizers import SequenceTokenizer, build_tokenizer

    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="an empty directory, not a tokenizer") as e:
        SequenceTokenizer.load(tmp_path / "empty")
    assert "sentencepiece" not in str(e.value)
    tok = tmp_path / "tok"
    build_tokenizer("dna-char").save(tok)
    (tok / "tokenizer.json").unlink()
    with pytest.raises(InputError, match="tokenizer.json is missing") as e:
        SequenceTokenizer.load(tok)
    assert "tokenizer train" in e.value.hint
    build_tokenizer("dna-char").save(tok)
    (tok / "helixforge_tokenizer.json").write_text('{"kind": ')
    with pytest.raises(InputError, match="corrupt or truncated") as e:
        SequenceTokenizer.load(tok)
    assert e.value.hint


def test_a_huge_bpe_vocabulary_is_refused_before_training(tmp_path):
    """`lm tokenizer train dna-bpe:9999999999` aborted the process with a Rust panic (exit 134,
    a 77-frame backtrace) inside the BPE trainer."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    with pytest.raises(ConfigError, match="too large") as e:
        parse_spec("dna-bpe:9999999999")
    assert "1,000,000" in e.value.hint
    assert parse_spec("smiles-bpe:16").vocab_size == 16
    fa = tmp_path / "g.fa"
    fa.write_text(">a\n" + "ACGTTGCA" * 50 + "\n")
    r = CliRunner().invoke(
        app,
        [
            "lm",
            "tokenizer",
            "train",
            "dna-bpe:9999999999",
            "--corpus",
            str(fa),
            "-o",
            str(tmp_path / "t"),
        ],
    )
    assert r.exit_code == 2 and "too large" in r.output, r.output
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize(
    "spec", ["dna-char", "dna-kmer:4", "dna-kmer:4:nonoverlap", "dna-bpe:32", "smiles-atom"]
)
@pytest.mark.parametrize("keep_config", [True, False])
def test_our_tokenizer_copied_without_its_spec_file_is_still_ours(tmp_path, spec, keep_config):
    """A folder holding only the Hugging Face files of one of our tokenizers (no
    helixforge_tokenizer.json; maybe no tokenizer_config.json) was loaded as 'external': the DNA
    alphabet check was skipped (a SMILES corpus was pretrained on) and, without the config,
    [MASK] was unknown."""
    corpus = ["ACGTACGTTAGCCGATAGCTAGGCTAACGTTTAGC" * 4] * 50
    tok = build_tokenizer(spec, corpus if spec.endswith("bpe:32") else None)
    tok.save(tmp_path / "full")
    copy = tmp_path / "copy"
    copy.mkdir()
    names = ["tokenizer.json"] + (["tokenizer_config.json"] if keep_config else [])
    for name in names:
        (copy / name).write_bytes((tmp_path / "full" / name).read_bytes())
    again = SequenceTokenizer.load(copy)
    assert again.spec.kind == tok.spec.kind and again.spec.k == tok.spec.k
    assert again.spec.overlap == tok.spec.overlap
    assert again.spec.alphabet == ("smiles" if spec.startswith("smiles") else "dna")
    assert again.mask_id == 4 and again.pad_id == 0
    assert again.encode("ACGTACGT") == tok.encode("ACGTACGT")


def test_a_published_tokenizer_is_not_taken_for_ours(published_bert):
    assert SequenceTokenizer.load(published_bert).spec.kind == "external"


def test_tokenizer_train_never_replaces_the_folder_holding_its_corpus(tmp_path):
    """`lm tokenizer train --corpus d/genome.fa -o d --overwrite` swapped d for the tokenizer:
    the corpus was deleted."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app
    from helixforge.core.errors import ConfigError
    from helixforge.lm.tokenizers import train_tokenizer

    corpus = tmp_path / "d" / "genome.fa"
    corpus.parent.mkdir()
    corpus.write_text(">c\n" + "ACGTTGCAAGGCTTAC" * 40 + "\n")
    argv = ["lm", "tokenizer", "train", "dna-bpe:32", "--corpus", str(corpus), "-o",
            str(corpus.parent), "--overwrite"]  # fmt: skip
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 2 and "holds the input" in res.output, res.output
    with pytest.raises(ConfigError, match="holds the input"):
        train_tokenizer("dna-bpe:32", corpus, corpus.parent)
    assert corpus.exists()


def test_tokenizer_api_reads_one_string_as_one_sequence():
    from helixforge.core.errors import ConfigError, InputError
    from helixforge.lm.tokenizers import build_tokenizer

    tok = build_tokenizer("dna-kmer:3")
    assert tok.tokenize_ids("ACGT") == tok.tokenize_ids(["ACGT"])  # was 4 one-base [UNK]s
    assert tok.encode(b"ACGT") == tok.encode("ACGT")
    assert tok.tokenize_ids([]) == []
    with pytest.raises(InputError, match="seq is missing"):
        tok.encode(None)
    with pytest.raises(InputError, match="takes one sequence"):
        tok.encode(["ACGT"])
    with pytest.raises(ConfigError, match="tokenizer spec must be a string"):
        build_tokenizer(None)


@pytest.mark.parametrize("spec", ["dna-bpe:64", "smiles-bpe:64"])
def test_a_corpus_item_that_is_not_text_is_named(spec):
    from helixforge.core.errors import InputError
    from helixforge.lm.tokenizers import build_tokenizer

    with pytest.raises(InputError, match=r"corpus\[1\] is missing"):
        build_tokenizer(spec, corpus=["ACGTACGT", None])
    assert len(build_tokenizer("dna-bpe:64", corpus=iter(["ACGTACGTTT", b"GGCCAA"]))) > 5
