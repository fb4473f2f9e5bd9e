"""The Prior API: sampling, likelihoods, save/load, determinism, training, fine-tuning, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from helixforge.chem.generate.prior import Prior, tiny_prior
from helixforge.chem.generate.vocab import Vocabulary
from helixforge.core.errors import ConfigError, InputError

# A little drug-like corpus (MOSES-style SMILES) for training and fine-tuning tests.
CORPUS = [
    "CC(=O)Nc1ccc(O)cc1", "CCOC(=O)c1ccccc1N", "Cc1ccc(S(=O)(=O)N2CCOCC2)cc1",
    "O=C(O)c1ccccc1O", "CN1CCN(c2ccc(F)cc2)CC1", "COc1ccc(CCN)cc1OC", "Clc1ccc(Cl)cc1",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "c1ccc2[nH]ccc2c1", "CCN(CC)C(=O)c1ccccc1",
    "O=C1CCCN1c1ccccc1", "Cc1noc(C)c1C(=O)N", "CC1=CC(=O)CC(C)(C)C1", "OCc1ccco1",
]  # fmt: skip


def finished(prior: Prior, smiles: list[str], max_len: int) -> list[int]:
    """Indices of samples that ended with the end token and are spelled by the vocabulary."""
    return [
        i for i, s in enumerate(smiles)
        if s and prior.can_encode(s) and len(prior.vocab.encode(s)) - 2 < max_len
    ]  # fmt: skip


def test_sample_returns_smiles_and_loglikelihoods():
    prior = tiny_prior(seed=0)
    smiles, ll = prior.sample(16, seed=1)
    assert len(smiles) == 16 and all(isinstance(s, str) for s in smiles)
    assert ll.shape == (16,) and not ll.requires_grad and (ll <= 0).all()


def test_loglikelihood_of_a_sample_equals_its_sampling_logprob():
    prior = tiny_prior(seed=0)
    smiles, ll = prior.sample(200, seed=3, max_len=64)
    idx = finished(prior, smiles, 64)
    assert len(idx) > 50
    again = prior.log_likelihood([smiles[i] for i in idx])
    assert torch.allclose(again, ll[idx], atol=1e-3)


def test_temperature_changes_sampling_but_not_the_reported_likelihood():
    prior = tiny_prior(seed=0)
    smiles, ll = prior.sample(100, seed=5, temperature=0.7, max_len=64)
    idx = finished(prior, smiles, 64)
    assert torch.allclose(prior.log_likelihood([smiles[i] for i in idx]), ll[idx], atol=1e-3)


def test_grad_sampling_carries_autograd_and_matches():
    prior = tiny_prior(seed=0)
    _, ll0 = prior.sample(32, seed=7)
    smiles, ll = prior.sample(32, seed=7, grad=True)
    assert ll.requires_grad
    assert torch.allclose(ll.detach(), ll0, atol=1e-4)
    (-ll.mean()).backward()
    assert prior.model.embedding.weight.grad is not None


def test_same_seed_same_samples_and_generator_works():
    prior = tiny_prior(seed=0)
    assert prior.sample(20, seed=11)[0] == prior.sample(20, seed=11)[0]
    assert prior.sample(20, seed=11)[0] != prior.sample(20, seed=12)[0]
    g1, g2 = torch.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    assert prior.sample(10, generator=g1)[0] == prior.sample(10, generator=g2)[0]


def test_clone_has_independent_parameters():
    prior = tiny_prior(seed=0)
    agent = prior.clone()
    with torch.no_grad():
        next(agent.model.parameters()).add_(1.0)
    a = prior.log_likelihood(["CCO"])
    b = agent.log_likelihood(["CCO"])
    assert not torch.allclose(a, b)


def test_save_load_round_trip(tmp_path: Path):
    prior = tiny_prior(seed=2)
    prior.save(tmp_path / "p")
    back = Prior.load(tmp_path / "p")
    assert back.sample(10, seed=0)[0] == prior.sample(10, seed=0)[0]
    assert torch.allclose(back.log_likelihood(["CCO"]), prior.log_likelihood(["CCO"]))
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "config.json", "manifest.json", "model.safetensors", "vocab.json"
    ]  # fmt: skip


def test_float16_save_is_smaller_and_close(tmp_path: Path):
    prior = tiny_prior(seed=2)
    prior.save(tmp_path / "a")
    prior.save(tmp_path / "b", dtype="float16")
    sa = (tmp_path / "a" / "model.safetensors").stat().st_size
    sb = (tmp_path / "b" / "model.safetensors").stat().st_size
    assert sb < 0.6 * sa
    back = Prior.load(tmp_path / "b")
    assert torch.allclose(back.log_likelihood(["CCO"]), prior.log_likelihood(["CCO"]), atol=0.05)


def test_corrupt_weight_file_is_refused_by_name(tmp_path: Path):
    tiny_prior().save(tmp_path / "p")
    f = tmp_path / "p" / "model.safetensors"
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(InputError, match="model.safetensors"):
        Prior.load(tmp_path / "p")


@pytest.mark.parametrize("missing", ["vocab.json", "manifest.json"])
def test_missing_file_is_refused(tmp_path: Path, missing):
    tiny_prior().save(tmp_path / "p")
    (tmp_path / "p" / missing).unlink()
    with pytest.raises(InputError, match=missing):
        Prior.load(tmp_path / "p")


def test_not_a_prior_directory(tmp_path: Path):
    with pytest.raises(InputError, match="not found"):
        Prior.load(tmp_path / "nothing")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputError, match="not a HelixForge prior"):
        Prior.load(tmp_path / "x")


def test_a_property_run_given_as_a_prior_is_named_as_such(tmp_path: Path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text('{"kind": "helixforge.supervised-run/1"}')
    with pytest.raises(InputError, match="a run directory of another command") as info:
        Prior.load(tmp_path / "run")
    assert "train-prior" in info.value.hint


@pytest.mark.parametrize(
    "bad",
    [
        ["CC[Xe]C"],  # a bracket atom outside the vocabulary
        ["CC Q"],  # characters that are not SMILES
        [""],  # empty
        [None],  # not a string
    ],
)
def test_unencodable_smiles_raise_naming_the_index(bad):
    prior = tiny_prior()
    with pytest.raises(InputError, match=r"smiles\[0\]|SMILES|expected"):
        prior.log_likelihood(bad)


def test_can_encode_filters_before_scoring():
    prior = tiny_prior()
    assert prior.can_encode("c1ccccc1O") and not prior.can_encode("[Xe]")
    assert prior.log_likelihood([]).shape == (0,)
    with pytest.raises(InputError, match="is one string"):
        prior.log_likelihood("CCO")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": -1}, {"n": 2.5}, {"n": 3, "temperature": 0.0}, {"n": 3, "temperature": 50},
        {"n": 3, "max_len": 0}, {"n": 3, "seed": 1, "generator": torch.Generator()},
    ],
)  # fmt: skip
def test_bad_sampling_options_are_refused(kwargs):
    n = kwargs.pop("n")
    with pytest.raises(ConfigError):
        tiny_prior().sample(n, **kwargs)


def test_bad_config_is_refused():
    vocab = tiny_prior().vocab
    with pytest.raises(ConfigError, match="unknown prior config"):
        Prior.from_config(vocab, {"hiddn": 3})
    with pytest.raises(ConfigError, match="cell"):
        Prior.from_config(vocab, {"cell": "transformer"})


def test_selfies_prior_round_trip():
    pytest.importorskip("selfies", reason="SELFIES support needs the selfies package")
    prior = tiny_prior(seed=0, kind="selfies")
    smiles, ll = prior.sample(20, seed=0)
    assert ll.shape == (20,)
    from rdkit import Chem

    assert all(s == "" or Chem.MolFromSmiles(s) is not None for s in smiles)  # always valid
    vocab = Vocabulary.build(["CCO", "c1ccccc1"], kind="selfies")
    assert vocab.decode(vocab.encode("CCO")) == "CCO"


def test_smiles_vocabulary_round_trip():
    vocab = Vocabulary.build(CORPUS)
    for s in CORPUS:
        assert vocab.decode(vocab.encode(s)) == s
    with pytest.raises(InputError, match="duplicate"):
        Vocabulary(["<pad>", "^", "$", "C", "C"])


def test_train_prior_streams_checkpoints_and_resumes(tmp_path: Path):
    from helixforge.chem.generate.train_prior import train_prior

    corpus = tmp_path / "corpus.csv"
    corpus.write_text("SMILES\n" + "\n".join(CORPUS * 20) + "\n")
    kw = dict(config={"hidden_size": 16, "num_layers": 1, "embedding_dim": 8}, block_size=100,
              val_size=20, batch_size=32, max_molecules=200)  # fmt: skip
    s = train_prior(corpus, tmp_path / "run", **kw)
    assert s["complete"] and s["molecules"] == 200
    assert (tmp_path / "run" / "checkpoint" / "state.json").exists()
    prior = Prior.load(tmp_path / "run")  # the run directory works as --model
    assert prior.config["trained"]["molecules"] == 200
    s2 = train_prior(corpus, tmp_path / "run", resume=True, **kw)
    assert s2["step"] == s["step"]  # nothing left to do
    with pytest.raises(ConfigError, match="cannot resume"):
        train_prior(corpus, tmp_path / "run", resume=True, **{**kw, "batch_size": 16})
    with pytest.raises(ConfigError, match="already exists"):
        train_prior(corpus, tmp_path / "run", **kw)


def test_train_prior_lists_unusable_corpus_lines_with_their_line_and_reason(tmp_path: Path):
    """Empty lines, invalid and over-long SMILES were skipped unseen (or, for an invalid
    SMILES that tokenises, trained on): each is now a row of errors.csv (line, reason),
    counted in summary.json and the log, and never trained on; a missing corpus leaves no
    empty run directory."""
    from typer.testing import CliRunner

    from helixforge.chem.generate.train_prior import train_prior
    from helixforge.cli.app import app

    long = "C" * 200
    lines = ["SMILES", CORPUS[0], "", "C1CC", "xx((", long, *CORPUS * 10]
    corpus = tmp_path / "corpus.csv"
    corpus.write_text("\n".join(lines) + "\n")
    logged: list[str] = []
    kw = dict(config={"hidden_size": 8, "num_layers": 1, "embedding_dim": 8}, block_size=50,
              val_size=5, batch_size=16)  # fmt: skip
    s = train_prior(corpus, tmp_path / "run", log=logged.append, **kw)
    assert s["rows"] == len(lines) - 1 and s["rows_skipped"] == 4
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert errors["row"].tolist() == [3, 4, 5, 6]  # file lines (the header is line 1)
    assert list(errors["reason"][:2]) == [
        "empty line: no SMILES",
        "not a valid SMILES (syntax error)",  # C1CC: an unclosed ring
    ]
    assert "longer than the prior's 127-token limit" in errors["reason"].iloc[3]
    assert any("4 of 145 corpus lines unusable" in m for m in logged), logged
    assert s["molecules"] == 141 - 5  # the usable lines but the held-out ones: C1CC was trained on
    res = CliRunner().invoke(app, ["chem", "train-prior", str(tmp_path / "nope.smi"),
                                   "-o", str(tmp_path / "out"), "-q"])  # fmt: skip
    assert res.exit_code == 2 and "nope.smi: file not found" in res.output
    assert not (tmp_path / "out").exists()


def test_finetune_prior_on_actives(tmp_path: Path):
    from helixforge.chem.generate.finetune import finetune_prior

    base = tmp_path / "base"
    prior = Prior.from_config(Vocabulary.build(CORPUS), {"hidden_size": 16, "num_layers": 1})
    prior.save(base)
    actives = tmp_path / "actives.csv"
    actives.write_text("smiles,id\n" + "".join(f"{s},{i}\n" for i, s in enumerate(CORPUS))
                       + "not_a_smiles,99\nCC[Se]C,100\n")  # fmt: skip
    s = finetune_prior(actives, tmp_path / "ft", model=base, epochs=3, augment=3, seed=0)
    assert s["errors"] == 2 and s["rows"] == len(CORPUS) + 2
    assert s["val_nll_best"] <= s["val_nll_before"]
    assert Prior.load(tmp_path / "ft").config["finetuned"]["molecules"] == len(CORPUS)
    errors = (tmp_path / "ft" / "errors.csv").read_text()
    assert (
        "not a valid SMILES" in errors and "token '[Se]' is not in the prior's vocabulary" in errors
    )


def test_finetune_actives_are_standardized_as_every_chem_verb_does(tmp_path: Path):
    """A salt gives its parent, stereo the flat molecule when the prior has no stereo tokens;
    'C C O' (RDKit alone reads methane) and a reaction are errors with their reason."""
    from helixforge.chem.generate.finetune import read_actives
    from helixforge.core.errors import RowErrors

    prior = Prior.from_config(Vocabulary.build(CORPUS), {"hidden_size": 16, "num_layers": 1})
    path = tmp_path / "a.csv"
    path.write_text(
        "smiles\nCC(=O)Nc1ccc(O)cc1.Cl\nO=C([O-])c1ccccc1O.[Na+]\nC[C@H](N)c1ccccc1\n"
        "C C O\nCC>>CO\n"
    )
    errors = RowErrors(path)
    smiles, rows = read_actives(path, prior, None, errors)
    assert rows == 5 and smiles == ["CC(=O)Nc1ccc(O)cc1", "O=C(O)c1ccccc1O", "CC(N)c1ccccc1"]
    reasons = {e.row: e.reason for e in errors}
    assert "whitespace inside the SMILES" in reasons[5] and "reaction" in reasons[6]


def test_generate_cli_on_a_tiny_prior(tmp_path: Path):
    import pandas as pd
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    tiny_prior().save(tmp_path / "p")
    out = tmp_path / "gen.csv"
    args = ["chem", "generate", "--model", str(tmp_path / "p"), "--n", "40", "-o", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "validity" in res.output
    df = pd.read_csv(out)
    assert list(df.columns) == [
        "smiles", "valid", "canonical_smiles", "unique", "novel", "log_likelihood"
    ]  # fmt: skip
    assert len(df) == 40
    first = out.read_bytes()
    assert CliRunner().invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert out.read_bytes() == first  # same seed, same bytes
    res = CliRunner().invoke(app, args)  # exists, no --overwrite
    assert res.exit_code == 2 and "already exists" in res.output
    res = CliRunner().invoke(app, [*args[:-2], "--temperature", "0", "-o", str(tmp_path / "x.csv")])
    assert res.exit_code != 0


def test_generate_reports_novelty_with_a_reference(tmp_path: Path):
    from helixforge.chem.generate.novelty import NoveltyReference
    from helixforge.chem.generate.sampling import generate_molecules

    prior = tiny_prior()
    prior.novelty = NoveltyReference.build(["CCO"], 1)
    prior.save(tmp_path / "p")
    s = generate_molecules(tmp_path / "p", 30, tmp_path / "g.csv", seed=0)
    assert s["n"] == 30 and 0 <= s["validity"] <= 1
    assert s["novelty"] is not None  # reported (nan when no sample is valid)
    assert s["novelty_reference"]["items"] == 1


def test_summary_counts_follow_the_moses_definitions():
    from helixforge.chem.generate.sampling import summarize_samples

    canon = ["CCO", "CCO", None, "c1ccccc1", None]
    s = summarize_samples(canon, [False, False, False, True, False])
    assert (s["validity"], s["uniqueness"], s["novelty"]) == (3 / 5, 2 / 3, 1 / 2)


_KILL_CHILD = r"""
import sys, time
from pathlib import Path
import helixforge.core.checkpoints as ck
marker = Path(sys.argv[1])
real = ck.save_checkpoint
def save_checkpoint(*a, **k):
    out = real(*a, **k)
    marker.write_text("checkpointed")
    time.sleep(120)
    return out
ck.save_checkpoint = save_checkpoint
from helixforge.chem.generate.train_prior import train_prior
train_prior(sys.argv[2], sys.argv[3], config={"hidden_size": 16, "num_layers": 1,
            "embedding_dim": 8}, block_size=100, val_size=20, batch_size=32)
"""


@pytest.fixture
def one_torch_thread():
    """The killed child computes on one thread (OMP_NUM_THREADS=1, tests/conftest.py); the
    in-process runs must too, whatever thread count an earlier in-process verb left set."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_train_prior_resumes_after_kill9_exactly(tmp_path: Path, one_torch_thread):
    import os
    import signal
    import subprocess
    import sys
    import time

    from helixforge.chem.generate.train_prior import train_prior

    corpus = tmp_path / "corpus.smi"
    # .smi: one SMILES per line; C1CC (unusable) must stay out after the resume too
    corpus.write_text("\n".join(["C1CC", *CORPUS * 20]) + "\n")
    kw = dict(config={"hidden_size": 16, "num_layers": 1, "embedding_dim": 8}, block_size=100,
              val_size=20, batch_size=32)  # fmt: skip
    train_prior(corpus, tmp_path / "whole", **kw)
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_CHILD, str(marker), str(corpus), str(tmp_path / "cut")],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    s = train_prior(corpus, tmp_path / "cut", resume=True, **kw)
    assert s["complete"]
    a = Prior.load(tmp_path / "whole").model.state_dict()
    b = Prior.load(tmp_path / "cut").model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_train_prior_continues_from_an_existing_prior(tmp_path: Path):
    from helixforge.chem.generate.train_prior import train_prior

    corpus = tmp_path / "corpus.csv"
    corpus.write_text("SMILES\n" + "\n".join(CORPUS * 20) + "\n")
    kw = dict(block_size=100, val_size=20, batch_size=32, max_molecules=200)
    arch = {"hidden_size": 16, "num_layers": 1, "embedding_dim": 8}
    first = train_prior(corpus, tmp_path / "first", config=arch, **kw)
    again = train_prior(corpus, tmp_path / "again", init=tmp_path / "first", seed=1, **kw)
    # a second pass starts from the first one's weights, so it fits the held-out rows better
    assert again["val_nll"] < first["val_nll"]
    prior = Prior.load(tmp_path / "again")
    assert prior.config["hidden_size"] == 16
    assert prior.config["trained"]["init"]["trained"]["molecules"] == 200
    # the initial weights are part of the resume key
    other = train_prior(corpus, tmp_path / "other", config=arch, seed=5, **kw)
    assert other["complete"]
    with pytest.raises(ConfigError, match="cannot resume"):
        train_prior(corpus, tmp_path / "again", init=tmp_path / "other", seed=1, resume=True, **kw)
    with pytest.raises(ConfigError, match="exclusive"):
        train_prior(corpus, tmp_path / "x", init=tmp_path / "first", config=arch, **kw)


def test_corpus_blocks_leave_out_the_lines_a_first_pass_found_unusable(tmp_path: Path):
    from helixforge.chem.generate.corpus import iter_blocks, iter_smiles

    corpus = tmp_path / "c.csv"
    corpus.write_text("smiles\nCCO\nC1CC\n\nCCN\nCCC\n")  # C1CC is line 3, the blank line 4
    assert list(iter_smiles(corpus, drop={3})) == ["CCO", "CCN", "CCC"]
    assert list(iter_blocks(corpus, 2, skip=1, drop={3})) == [["CCN", "CCC"]]


def test_finetune_with_no_usable_active_names_the_rows_in_the_message(tmp_path: Path):
    """The run directory (and its errors.csv) is not written when nothing is usable, so the
    message itself names the first rows and why; it said 'see the errors table'."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    base = tmp_path / "base"
    Prior.from_config(Vocabulary.build(CORPUS), {"hidden_size": 16, "num_layers": 1}).save(base)
    actives = tmp_path / "actives.csv"
    actives.write_text("smiles\n1\n2\nC C O\n")
    argv = [
        "chem",
        "finetune-prior",
        str(actives),
        "--model",
        str(base),
        "-o",
        str(tmp_path / "ft"),
    ]
    res = CliRunner().invoke(app, [*argv, "-q"], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert "row 2, column 'smiles'" in res.output and "whitespace inside" in res.output
    assert "see the errors table" not in res.output and not (tmp_path / "ft").exists()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("header.csv", b"smiles,id\n", "only 0 usable SMILES"),
        ("latin.csv", b"smiles\nCCO\nCC\xe9\n", "not UTF-8"),
        ("nocol.csv", b"mol,id\nCCO,1\nCCN,2\n", "'smiles' not found"),
        ("bad.csv", b"smiles\n1\n2\nC1CC\n", "row 2, column 'smiles'"),
    ],
)
def test_a_refused_corpus_leaves_no_run_directory(tmp_path: Path, name, content, words):
    """train-prior made its run directory before reading the corpus: a refused corpus left it
    behind (empty, or holding only errors.csv, which the message then pointed to)."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    corpus = tmp_path / name
    corpus.write_bytes(content)
    argv = ["chem", "train-prior", str(corpus), "-o", str(tmp_path / "out"), "--hidden", "8"]
    res = CliRunner().invoke(app, [*argv, "--layers", "1", "-q"], env={"COLUMNS": "200"})
    assert res.exit_code == 2 and words in res.output, res.output
    assert not (tmp_path / "out").exists()


def test_a_novelty_reference_is_saved_to_the_same_bytes_in_every_process(tmp_path: Path):
    """safetensors writes its metadata in hash-map order, which changes from process to
    process: a finetuned prior's novelty.safetensors (and manifest) differed between two runs
    of one command and seed."""
    import subprocess
    import sys

    code = (
        "import sys; from helixforge.chem.generate.novelty import NoveltyReference as N;"
        "N.build(['CCO', 'c1ccccc1', 'CCN'], n_items=3).save(sys.argv[1])"
    )
    paths = [tmp_path / f"n{i}.safetensors" for i in range(3)]
    for p in paths:
        subprocess.run([sys.executable, "-c", code, str(p)], check=True)
    assert paths[0].read_bytes() == paths[1].read_bytes() == paths[2].read_bytes()
    from helixforge.chem.generate.novelty import NoveltyReference

    ref = NoveltyReference.load(paths[0])
    assert ref.contains(["CCO", "CCCCCCCCCCO"]).tolist() == [True, False] and ref.n_items == 3


@pytest.mark.parametrize("seed", [5000, 2**32 - 1])
def test_finetune_takes_every_seed_the_cli_accepts(tmp_path: Path, seed):
    """--seed 5000 crashed finetune-prior (OverflowError from RDKit: the augmentation seed
    seed * 1,000,003 + i passed 2**32)."""
    from helixforge.chem.generate.finetune import finetune_prior, randomized

    base = tmp_path / "base"
    Prior.from_config(Vocabulary.build(CORPUS), {"hidden_size": 16, "num_layers": 1}).save(base)
    actives = tmp_path / "actives.csv"
    actives.write_text("smiles\n" + "".join(f"{s}\n" for s in CORPUS))
    s = finetune_prior(actives, tmp_path / "ft", model=base, epochs=1, augment=2, seed=seed)
    assert s["epochs_run"] == 1
    prior = Prior.load(base)
    assert randomized(CORPUS[:3], 3, 1, prior) == randomized(CORPUS[:3], 3, 2**32 + 1, prior)
    # RDKit reads a seed of 0 as 'unseeded': seed 0's first molecule got another spelling
    # on every call
    assert randomized(CORPUS[:3], 3, 0, prior) == randomized(CORPUS[:3], 3, 0, prior)


def test_sample_takes_numpy_integers_and_checks_the_seed():
    import numpy as np

    prior = tiny_prior()
    assert len(prior.sample(np.int64(3), seed=np.int64(0))[0]) == 3  # refused as 'not 3' before
    for seed in ("a", 1.5, 2**70):
        with pytest.raises(ConfigError, match="seed must be an integer"):
            prior.sample(2, seed=seed)
    with pytest.raises(InputError, match="smiles is None"):
        prior.log_likelihood(None)


def test_sample_refuses_an_n_it_cannot_hold_in_memory():
    """n=10**12 allocated until the process died; the limit is refused up front, naming it."""
    import numpy as np

    from helixforge.chem.generate.prior import MAX_SAMPLES

    prior = tiny_prior()
    for n in (10**12, MAX_SAMPLES + 1, np.int64(MAX_SAMPLES + 1)):
        with pytest.raises(ConfigError, match="10,000,000.*memory"):
            prior.sample(n, seed=0)
    assert len(prior.sample(3, seed=0)[0]) == 3


def test_train_prior_twice_gives_the_same_bytes_but_timings(tmp_path: Path):
    """history.jsonl, checkpoint/state.json and summary.json held wall-clock seconds, so two
    runs of the same command and seed differed; the seconds now live in timings.json alone
    (still logged, returned, and summed over a resume)."""
    import filecmp

    from helixforge.chem.generate.train_prior import train_prior

    corpus = tmp_path / "corpus.smi"
    corpus.write_text("\n".join(["C1CC", *CORPUS * 20]) + "\n")
    kw = dict(config={"hidden_size": 16, "num_layers": 1, "embedding_dim": 8}, block_size=100,
              val_size=20, batch_size=32, max_molecules=250, seed=3)  # fmt: skip
    logged: list[str] = []
    b = train_prior(corpus, tmp_path / "a", **kw)
    (tmp_path / "a").rename(tmp_path / "b")  # the same command: the same --out
    a = train_prior(corpus, tmp_path / "a", log=logged.append, **kw)
    files = sorted(
        str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert files == sorted(
        str(p.relative_to(tmp_path / "b")) for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    assert "timings.json" in files and "history.jsonl" in files
    _, differ, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", files, shallow=False)
    assert differ in ([], ["timings.json"]) and not errors, differ
    assert "seconds" not in (tmp_path / "a" / "history.jsonl").read_text()
    assert "seconds" not in json.loads((tmp_path / "a" / "summary.json").read_text())
    assert a["seconds"] >= 0 and b["seconds"] >= 0 and '"seconds"' in logged[-1]
    first = json.loads((tmp_path / "a" / "timings.json").read_text())["seconds"]
    assert first >= 0
    train_prior(corpus, tmp_path / "a", resume=True, **{**kw, "log": None})
    assert json.loads((tmp_path / "a" / "timings.json").read_text())["seconds"] >= first


def test_a_chem_property_run_given_as_the_prior_says_where_it_belongs(tmp_path: Path):
    """A `helix chem train` run passed as --prior / --model was refused with 'use it with
    chem predict, chem evaluate or chem screen --model': for a design, the place it belongs
    is a type = "model" component; that hint existed but was never reached."""
    run = tmp_path / "pic50"
    run.mkdir()
    config = {"domain": "chem", "targets": ["pIC50"], "task_types": ["regression"]}
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError) as info:
        Prior.load(run)
    assert "not a prior" in info.value.message
    assert '[[component]] type = "model"' in info.value.hint


def test_a_prior_copied_without_its_manifest_is_named_as_such(tmp_path):
    """A prior folder missing only manifest.json was called 'a run directory of another
    command (… a chem run is a property model)'."""
    tiny_prior().save(tmp_path / "prior")
    (tmp_path / "prior" / "manifest.json").unlink()
    with pytest.raises(InputError, match="holds a prior's files .* but no manifest.json") as info:
        Prior.load(tmp_path / "prior")
    assert "copy the whole prior directory again" in info.value.hint
