"""A model path of the wrong kind is named for what it is, with the verb that uses it.

Every predict-style verb is given every other kind of thing HelixForge writes (a run of another
domain, a language-model checkpoint, a gene annotator, a chem prior, an off-target index, a
run's model/ folder, an empty directory, a file): each must exit 2 with one message naming the
path, what it is and which verb takes it; never a traceback, never "config.json: not found".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.artifacts import identify_artifact, wrong_artifact

runner = CliRunner()


def _dna(n: int, seed: int, length: int = 40) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    """One tiny artifact of every kind, trained or saved the way the verbs write them."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    from helixforge.chem.generate.prior import Prior
    from helixforge.chem.generate.vocab import Vocabulary
    from helixforge.crispr.offtarget import build_index
    from helixforge.dna.annotate import GeneAnnotator
    from helixforge.lm.tokenizers import build_tokenizer

    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("kinds")
    smiles = [c + t for c in ("c1ccccc1", "C1CCCCC1", "c1ccncc1", "C1CCNCC1")
              for t in ("C", "CC", "O", "N", "Cl", "CCO")]  # fmt: skip
    pd.DataFrame({"smiles": smiles, "y": np.arange(len(smiles)) % 5}).to_csv(d / "chem.csv")
    res = runner.invoke(app, ["chem", "train", str(d / "chem.csv"), "--label-col", "y",
                              "--model", "gbm", "--param", "n_estimators=5", "--split", "random",
                              "-j", "1", "-q", "-o", str(d / "chemrun")])  # fmt: skip
    assert res.exit_code == 0, res.output
    seqs = _dna(40, 0)
    pd.DataFrame({"sequence": seqs, "label": np.arange(40) % 2}).to_csv(d / "dna.csv")
    res = runner.invoke(app, ["dna", "train", str(d / "dna.csv"), "-m", "cnn", "--epochs", "1",
                              "-j", "1", "-q", "-o", str(d / "dnarun")])  # fmt: skip
    assert res.exit_code == 0, res.output
    tok = build_tokenizer("dna-char")
    cfg = BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1,
                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)  # fmt: skip
    BertForMaskedLM(cfg).save_pretrained(str(d / "lm"))
    tok.hf.save_pretrained(str(d / "lm"))
    ann = GeneAnnotator(channels=4, dilations=[1], device="cpu")
    ann.torch_module = ann._build()
    ann.save(d / "ann" / "model")
    vocab = Vocabulary.from_counts({"C": 5, "c": 5, "1": 5, "O": 2, "N": 2}, "smiles")
    Prior.from_config(vocab, {"hidden_size": 8, "num_layers": 1, "embedding_dim": 8}).save(
        d / "prior"
    )
    (d / "g.fa").write_text(">chr1\n" + _dna(1, 3, 2000)[0] + "\n")
    build_index(d / "g.fa", "spcas9", out=d / "index")
    (d / "empty").mkdir()
    (d / "afile.txt").write_text("not a model\n")
    (d / "seqs.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs[:3])))
    (d / "ctx.csv").write_text("context\nTTCTGCCTTGTTTCTTTCCTCTCTGGGTCG\n")
    (d / "sp.csv").write_text("spacer\nTTGTTTCTTTCCTCTCTGGG\n")
    return d


# what identify_artifact calls each one: the words a message must hold
WHAT = {
    "chemrun": "a chem run (`helix chem train`)",
    "dnarun": "a dna run (`helix dna train`)",
    "lm": "a language-model checkpoint",
    "ann": "a gene annotation model",
    "prior": "a chem generative prior",
    "index": "an off-target index",
    "chemrun/model": "the model/ folder of",
    "empty": "an empty directory",
    "afile.txt": "a file",
}
# the verb the hint must name for each (None: nothing HelixForge makes; the loader's own hint)
USE = {"chemrun": "helix chem predict", "dnarun": "helix dna predict", "lm": "helix lm embed",
       "ann": "helix dna annotate predict", "prior": "helix chem generate",
       "index": "helix crispr offtargets", "chemrun/model": "helix chem predict"}  # fmt: skip


def test_identify_names_every_kind(kinds):
    for name, words in WHAT.items():
        assert identify_artifact(kinds / name).what.startswith(words.split(" (")[0]), name
    assert identify_artifact(kinds / "nothing").kind == "missing"
    err = wrong_artifact(kinds / "dnarun", "a chem run", "pass a chem run")
    assert "dnarun: a dna run (`helix dna train`), not a chem run" in err.message
    assert "helix dna predict" in err.hint


# verb → (argv with {a} = the artifact, its own kind of artifact, which is skipped)
VERBS = {
    "chem predict": (["chem", "predict", "{a}", "{d}/chem.csv", "-o", "{o}/p.csv"], "chemrun"),
    "chem generate": (["chem", "generate", "--model", "{a}", "--n", "2", "-o", "{o}/g.csv"], "prior"),
    "dna predict": (["dna", "predict", "{a}", "{d}/dna.csv", "-o", "{o}/p.csv"], "dnarun"),
    "dna interpret": (["dna", "interpret", "{a}", "{d}/seqs.fa", "-o", "{o}/i"], "dnarun"),
    "dna annotate predict": (["dna", "annotate", "predict", "{a}", "{d}/g.fa", "-o", "{o}/a.gff3"], "ann"),
    "crispr score-ontarget": (["crispr", "score-ontarget", "{d}/ctx.csv", "--model", "{a}", "-o", "{o}/s.csv"], None),
    "lm predict": (["lm", "predict", "{a}", "{d}/dna.csv", "-o", "{o}/p.csv"], None),
    "lm embed": (["lm", "embed", "{a}", "{d}/dna.csv", "-o", "{o}/e.parquet"], "lm"),
    "lm finetune": (["lm", "finetune", "{a}", "{d}/dna.csv", "-o", "{o}/ft"], "lm"),
    "crispr offtargets": (["crispr", "offtargets", "{d}/sp.csv", "--index", "{a}", "-o", "{o}/ot.tsv"], "index"),
}  # fmt: skip


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_a_model_of_the_wrong_kind_is_named_with_the_verb_that_uses_it(kinds, tmp_path, verb):
    argv, own = VERBS[verb]
    for name, words in WHAT.items():
        if name == own or (name == "chemrun/model" and own == "chemrun"):
            continue
        out = tmp_path / name.replace("/", "_")
        out.mkdir()
        args = [a.format(a=kinds / name, d=kinds, o=out) for a in argv]
        res = runner.invoke(app, [*args, "-q"], env={"COLUMNS": "300"})
        text = " ".join(res.output.split())
        assert res.exit_code == 2, f"{verb} {name}: {res.output}"
        assert (
            "Traceback" not in text
            and res.exception is None
            or isinstance(res.exception, SystemExit)
        ), f"{verb} {name}: {res.exception!r}"
        assert f"{kinds / name}" in text and words in text, f"{verb} {name}: {text}"
        if name in USE:
            assert USE[name] in text, f"{verb} {name}: {text}"
        assert "config.json: not found" not in text, f"{verb} {name}: {text}"
        assert not any(out.iterdir()), f"{verb} {name} wrote {list(out.iterdir())}"


@pytest.mark.parametrize("name", ["prior", "empty", "ann", "chemrun/model", "lm"])
def test_a_design_model_component_of_the_wrong_kind_is_named(kinds, tmp_path, name):
    """A design file's [[component]] type = "model" path that is a prior, an empty folder, an
    annotator or a run's model/ folder said only 'not found (no config.json …)'."""
    toml = tmp_path / "d.toml"
    toml.write_text(
        f'[[component]]\ntype = "model"\npath = "{kinds / name}"\n'
        'transform = { type = "sigmoid", low = 0, high = 5 }\n'
    )
    res = runner.invoke(app, ["chem", "design", "--config", str(toml), "--optimizer", "ga",
                              "--budget", "5", "-o", str(tmp_path / "out"), "-q"])  # fmt: skip
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "d.toml, line 3" in text and WHAT[name] in text, text
    assert "no config.json" not in text and not (tmp_path / "out").exists()
