import importlib
import json
from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

from helixforge.core.errors import ConfigError
from helixforge.lm.pretrain import pretrain

MICRO = {"hidden": 32, "layers": 2, "heads": 2, "ffn": 64}


def test_encoder_pretraining_writes_a_plain_transformers_checkpoint(pretrained_encoder):
    model = AutoModelForMaskedLM.from_pretrained(pretrained_encoder, local_files_only=True)
    tok = AutoTokenizer.from_pretrained(pretrained_encoder, local_files_only=True)
    assert type(model).__name__ == "ModernBertForMaskedLM"
    assert tok("ACGT")["input_ids"][1:-1] == tok.convert_tokens_to_ids(list("ACGT"))
    log = [json.loads(line) for line in open(f"{pretrained_encoder}/log.jsonl")]
    assert [r["step"] for r in log] == [1, 3, 6]
    assert all(r["valid_loss"] > 0 and r["tokens_per_second"] > 0 for r in log)
    meta = json.load(open(f"{pretrained_encoder}/helixforge_lm.json"))
    assert meta["objective"] == "masked-lm" and meta["max_len"] == 48 and meta["tokens_seen"] > 0


def test_same_command_and_seed_give_the_same_bytes_but_timings(
    genome, pretrained_encoder, tmp_path
):
    """tokens_per_second (wall clock) was in metrics.json and report.html, so two identical runs
    differed; it is in timings.json now (log.jsonl is a log and keeps each window's rate)."""
    out = tmp_path / "again"
    kw = dict(arch="encoder", size=MICRO, max_len=48, steps=6, batch_size=8, eval_every=3)
    r = pretrain(genome, "dna-char", **kw, save_every=100, out=out, threads=1, device="cpu")
    assert r.tokens_per_second > 0  # still on the result (the CLI prints it)
    first = {p.relative_to(pretrained_encoder): p for p in Path(pretrained_encoder).rglob("*")}
    second = {p.relative_to(out): p for p in out.rglob("*")}
    assert first.keys() == second.keys()
    differ = sorted(
        str(k) for k, p in first.items() if p.is_file() and p.read_bytes() != second[k].read_bytes()
    )
    assert set(differ) <= {"timings.json", "log.jsonl"}, differ
    metrics = json.loads((out / "metrics.json").read_text())
    timings = json.loads((out / "timings.json").read_text())
    assert "tokens_per_second" not in metrics and metrics["tokens_seen"] == r.tokens_seen
    assert timings["tokens_per_second"] > 0 and timings["train_seconds"] > 0
    assert "tokens/s" not in (out / "report.html").read_text()


def test_decoder_on_smiles_learns_and_resume_continues(smiles_file, tmp_path):
    out = tmp_path / "dec"
    kw = dict(
        arch="decoder",
        size=MICRO,
        max_len=32,
        batch_size=8,
        eval_every=10,
        out=out,
        threads=1,
        device="cpu",
        lr=3e-3,
    )
    first = pretrain(smiles_file, "smiles-atom", steps=40, save_every=20, **kw)
    hist = first.history
    assert hist[-1]["valid_loss"] < hist[0]["valid_loss"]  # a repetitive corpus is learnable fast
    AutoModelForCausalLM.from_pretrained(str(out), local_files_only=True)
    # an interrupted run: checkpoint at step 20, resume to 30
    out2 = tmp_path / "dec2"
    kw2 = {**kw, "out": out2}
    pretrain(smiles_file, "smiles-atom", steps=30, save_every=20, **kw2)
    assert not (out2 / "checkpoint").exists()  # finished runs clean up the checkpoint
    with pytest.raises(ConfigError):
        pretrain(smiles_file, "smiles-atom", steps=0, **kw2)


def _crash_after_checkpoint(monkeypatch, at_step: int):
    """Raise KeyboardInterrupt right after the checkpoint of `at_step` is written."""
    pt = importlib.import_module(
        "helixforge.lm.pretrain"
    )  # the module (the attribute: the function)

    real = pt.save_checkpoint

    def save_then_crash(path, **kw):
        real(path, **kw)
        if kw["state"]["step"] == at_step:
            raise KeyboardInterrupt

    monkeypatch.setattr(pt, "save_checkpoint", save_then_crash)
    return real


def test_resume_from_checkpoint(genome, tmp_path, monkeypatch):
    pt = importlib.import_module(
        "helixforge.lm.pretrain"
    )  # the module (the attribute: the function)

    out = tmp_path / "r"
    kw = dict(
        arch="encoder",
        size=MICRO,
        max_len=32,
        batch_size=4,
        eval_every=2,
        save_every=2,
        out=out,
        threads=1,
        device="cpu",
    )
    real = _crash_after_checkpoint(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        pretrain(genome, "dna-kmer:3", steps=4, **kw)
    stage = tmp_path / ".r.partial"
    assert not out.exists()  # never a half-written run at the final path
    assert json.loads((stage / "checkpoint" / "state.json").read_text())["step"] == 2
    monkeypatch.setattr(pt, "save_checkpoint", real)
    with pytest.raises(ConfigError, match="--resume"):
        pretrain(genome, "dna-kmer:3", steps=4, **kw)
    res = pretrain(genome, "dna-kmer:3", steps=4, resume=True, **kw)
    assert res.steps == 4 and [h["step"] for h in res.history] == [1, 2, 4]
    assert not stage.exists() and not (out / "checkpoint").exists()
    assert (out / "report.html").exists() and (out / "card.md").exists()
    # same windows, masks, optimizer and schedule: identical to a run that was never interrupted
    straight = pretrain(genome, "dna-kmer:3", steps=4, **{**kw, "out": tmp_path / "straight"})
    assert straight.history[-1]["valid_loss"] == pytest.approx(
        res.history[-1]["valid_loss"], rel=1e-5
    )
    from safetensors.torch import load_file

    a, b = (
        load_file(str(out / "model.safetensors")),
        load_file(str(tmp_path / "straight" / "model.safetensors")),
    )
    diffs = {k: float((a[k] - b[k]).abs().max()) for k in a}
    assert max(diffs.values()) < 1e-5, diffs


@pytest.mark.parametrize(
    "change, named",
    [
        ({"max_len": 40}, "max_len"),
        ({"tokenizer": "dna-char"}, "tokenizer"),
        ({"seed": 1}, "seed"),
        ({"size": {"hidden": 16, "layers": 1, "heads": 2, "ffn": 32}}, "size"),
        ({"lr": 1e-3}, "lr"),
    ],
)
def test_resume_with_other_options_is_refused(genome, tmp_path, monkeypatch, change, named):
    kw = dict(
        arch="encoder",
        size=MICRO,
        max_len=32,
        batch_size=4,
        eval_every=2,
        save_every=2,
        steps=4,
        out=tmp_path / "r",
        threads=1,
        device="cpu",
    )
    real = _crash_after_checkpoint(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        pretrain(genome, "dna-kmer:3", **kw)
    monkeypatch.setattr(importlib.import_module("helixforge.lm.pretrain"), "save_checkpoint", real)
    tok = change.pop("tokenizer", "dna-kmer:3")
    with pytest.raises(ConfigError, match=f"cannot resume.*{named}"):
        pretrain(genome, tok, resume=True, **{**kw, **change})
    assert not (tmp_path / "r").exists()


def test_resume_with_a_changed_corpus_is_refused(genome, tmp_path, monkeypatch):
    import shutil

    corpus = tmp_path / "g.fa.gz"
    shutil.copy(genome, corpus)
    kw = dict(arch="encoder", size=MICRO, max_len=32, batch_size=4, eval_every=2,
              save_every=2, steps=4, out=tmp_path / "r", threads=1, device="cpu")  # fmt: skip
    _crash_after_checkpoint(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        pretrain(corpus, "dna-char", **kw)
    import gzip

    with gzip.open(corpus, "at") as fh:
        fh.write(">chr3\n" + "ACGT" * 100 + "\n")
    with pytest.raises(ConfigError, match="corpus_sha256"):
        pretrain(corpus, "dna-char", resume=True, **kw)


def test_invalid_smiles_lines_in_the_corpus_are_noted(tmp_path):
    """A SMILES corpus with unparsable lines was trained on without a word."""
    corpus = tmp_path / "c.smi"
    corpus.write_text("smiles\n" + "CCO\nc1ccccc1\nnot_a_smiles\nCC(=O)O\nC(C\nCCN\n" * 3)
    notes: list[str] = []
    pretrain(corpus, "smiles-atom", arch="decoder", size=MICRO, max_len=16, steps=1,
             batch_size=2, out=tmp_path / "p", threads=1, device="cpu", log=notes.append)  # fmt: skip
    (note,) = [n for n in notes if "not valid SMILES" in n]
    assert note.startswith("note: 6 of the first 18 corpus lines") and "'not_a_smiles'" in note
    notes.clear()
    corpus.write_text("smiles\n" + "CCO\nc1ccccc1\nCC(=O)O\nCCN\n" * 3)
    pretrain(corpus, "smiles-atom", arch="decoder", size=MICRO, max_len=16, steps=1,
             batch_size=2, out=tmp_path / "q", threads=1, device="cpu", log=notes.append)  # fmt: skip
    assert not [n for n in notes if "not valid SMILES" in n]


def test_the_package_exports_the_functions_even_after_their_modules_were_imported():
    import helixforge.lm as lm
    from helixforge.lm import finetune as finetune_fn
    from helixforge.lm import pretrain as pretrain_fn

    assert callable(pretrain_fn) and callable(finetune_fn) and lm.pretrain is pretrain
    assert importlib.import_module("helixforge.lm.pretrain").pretrain is pretrain


def test_one_holdout_name_is_one_record_and_a_missing_corpus_is_named(genome, tmp_path):
    from helixforge.core.errors import InputError

    kw = dict(arch="encoder", size=MICRO, max_len=32, batch_size=4, eval_every=1, save_every=1,
              threads=1, device="cpu")  # fmt: skip
    # 'chr2' was read as the records 'c', 'h', 'r', '2' ("hold-out record(s) not found")
    res = pretrain(genome, "dna-char", steps=1, holdout="chr2", out=tmp_path / "h", **kw)
    assert res.steps == 1
    with pytest.raises(InputError, match="corpus is None"):
        pretrain(None, "dna-char", steps=1, out=tmp_path / "n", **kw)


def test_lines_that_are_not_sequences_are_left_out_listed_and_counted(tmp_path):
    """A DNA text corpus with a 'hello world' line (under require_dna_text's corpus-level 10 %)
    trained on it silently; now such lines go to errors.csv, the log and metrics.json."""
    import random

    rng = random.Random(0)
    lines = ["".join(rng.choice("ACGT") for _ in range(60)) for _ in range(60)]
    lines[4], lines[30] = "hello world", "ACGT-ACGT"  # file lines 5 and 31
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(lines) + "\n")
    notes: list[str] = []
    res = pretrain(corpus, "dna-char", size=MICRO, max_len=32, steps=1, batch_size=2,
                   out=tmp_path / "p", threads=1, device="cpu", log=notes.append)  # fmt: skip
    (note,) = [n for n in notes if "not sequences" in n]
    assert "2 corpus line(s)" in note and "(line 5, 31;" in note
    assert res.rejected_lines == 2
    assert json.loads((tmp_path / "p" / "metrics.json").read_text())["rejected_lines"] == 2
    import pandas as pd

    errors = pd.read_csv(tmp_path / "p" / "errors.csv")
    assert errors["row"].tolist() == [5, 31]
    assert errors["value"].tolist() == ["hello world", "ACGT-ACGT"]


def test_corpus_lines_longer_than_the_window_are_said_to_be_cut(tmp_path):
    """A text corpus of 2 kb lines at --max-len 32 trained on each line's first 30 bases and
    said nothing; the log now says how many lines are cut and how much of them is used."""
    import random

    rng = random.Random(0)
    lines = [
        "".join(rng.choice("ACGT") for _ in range(2000 if i % 4 == 0 else 20)) for i in range(60)
    ]
    corpus = tmp_path / "long.txt"
    corpus.write_text("\n".join(lines) + "\n")
    notes: list[str] = []
    pretrain(corpus, "dna-char", size=MICRO, max_len=32, steps=1, batch_size=2,
             out=tmp_path / "p", threads=1, device="cpu", log=notes.append)  # fmt: skip
    (note,) = [n for n in notes if "longer than the window" in n]
    assert "15 of the first 59 corpus lines" in note and "--max-len 32" in note
    assert "the longest has 2,000" in note and "Split long lines" in note


def test_table_corpus_lines_without_a_smiles_value_are_listed_not_dropped(tmp_path):
    """A CSV corpus line with too few fields, or an empty SMILES cell, was skipped without a
    word; now it is in errors.csv with its line, as a line the tokenizer refuses is."""
    rows = ["id,smiles"] + [f"m{i},{'CCO' if i % 2 else 'c1ccccc1'}" for i in range(60)]
    rows[5] = "m4"  # line 6: one field, the SMILES column is the second
    rows[9] = "m8,"  # line 10: empty SMILES
    corpus = tmp_path / "mols.csv"
    corpus.write_text("\n".join(rows) + "\n")
    notes: list[str] = []
    res = pretrain(corpus, "smiles-atom", size=MICRO, max_len=16, steps=1, batch_size=2,
                   out=tmp_path / "p", threads=1, device="cpu", log=notes.append)  # fmt: skip
    assert res.rejected_lines == 2
    import pandas as pd

    errors = pd.read_csv(tmp_path / "p" / "errors.csv", keep_default_na=False)
    assert errors["row"].tolist() == [6, 10]
    assert "1 field(s); the sequence column is field 2" in errors["reason"][0]
    assert "empty value" in errors["reason"][1]
