"""helix lm …: each verb end to end on tiny data."""

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("lmcli")
    rng = np.random.default_rng(0)
    genome = "".join(rng.choice(list("ACGT"), 6000))
    with gzip.open(d / "g.fa.gz", "wt") as fh:
        fh.write(">chr1\n" + genome + "\n")
    seqs = [
        "".join(rng.choice(list("GC" if i % 2 else "AT") + list("ACGT"), 30)) for i in range(40)
    ]
    pd.DataFrame({"sequence": seqs, "label": [i % 2 for i in range(40)]}).to_csv(
        d / "train.csv", index=False
    )
    return d


def _ok(res):
    assert res.exit_code == 0, res.output
    return res.output


def test_tokenizer_pretrain_info_embed_score_finetune_predict(workdir):
    d = workdir
    out = _ok(
        runner.invoke(
            app,
            [
                "lm",
                "tokenizer",
                "train",
                "dna-bpe:40",
                "--corpus",
                str(d / "g.fa.gz"),
                "--out",
                str(d / "tok"),
                "--max-sequences",
                "20",
            ],
        )
    )
    assert "vocabulary" in out and (d / "tok" / "tokenizer.json").exists()
    out = _ok(
        runner.invoke(
            app,
            [
                "lm",
                "pretrain",
                "--corpus",
                str(d / "g.fa.gz"),
                "--tokenizer",
                "dna-char",
                "--size",
                "micro",
                "--max-len",
                "40",
                "--steps",
                "4",
                "--batch-size",
                "4",
                "--eval-every",
                "2",
                "--out",
                str(d / "lm"),
                "--jobs",
                "1",
                "--quiet",
            ],
        )
    )
    assert (
        "parameters" in out
        and json.loads((d / "lm" / "helixforge_lm.json").read_text())["steps"] == 4
    )
    out = _ok(runner.invoke(app, ["lm", "info", str(d / "lm")]))
    assert "masked-lm" in out and "modernbert" in out
    _ok(
        runner.invoke(
            app,
            ["lm", "embed", str(d / "lm"), str(d / "train.csv"), "--out", str(d / "emb.parquet")],
        )
    )
    emb = pd.read_parquet(d / "emb.parquet")
    assert emb.shape == (40, 34) and list(emb.columns[:3]) == ["sequence", "label", "emb_0"]
    _ok(
        runner.invoke(
            app, ["lm", "embed", str(d / "lm"), str(d / "train.csv"), "--out", str(d / "emb.npy")]
        )
    )
    assert np.load(d / "emb.npy").shape == (40, 32)
    _ok(
        runner.invoke(
            app,
            [
                "lm",
                "score",
                str(d / "lm"),
                str(d / "train.csv"),
                "--out",
                str(d / "s.csv"),
                "--per-position",
                str(d / "pp.csv"),
            ],
        )
    )
    s = pd.read_csv(d / "s.csv")
    assert (s.n_tokens == 30).all() and (s.log_likelihood < 0).all()
    assert len(pd.read_csv(d / "pp.csv")) == 40 * 30
    _ok(
        runner.invoke(
            app,
            [
                "lm",
                "finetune",
                str(d / "lm"),
                str(d / "train.csv"),
                "--out",
                str(d / "ft"),
                "--lora",
                "--epochs",
                "1",
                "--jobs",
                "1",
                "--quiet",
            ],
        )
    )
    assert json.loads((d / "ft" / "config.json").read_text())["lora"] is True
    assert (d / "ft" / "report.html").exists() and (d / "ft" / "card.md").exists()
    _ok(
        runner.invoke(
            app,
            ["lm", "predict", str(d / "ft"), str(d / "train.csv"), "--out", str(d / "pred.csv")],
        )
    )
    pred = pd.read_csv(d / "pred.csv")
    assert len(pred) == 40 and pred.label_prob.between(0, 1).all()
    assert set(pred.label_pred) <= {0, 1} and list(pred.sequence) == list(
        pd.read_csv(d / "train.csv").sequence
    )  # input columns kept
    assert {"label_std", "label_set"} <= set(pred.columns)


def test_predict_resumes_an_interrupted_run_with_the_same_bytes(workdir, tmp_path, monkeypatch):
    """Chunks finished before a crash are kept; --resume finishes with the bytes of an
    uninterrupted run. A changed input is refused by name."""
    from helixforge.lm.predict import LMRun

    d = workdir
    run = d / "ft"
    if not run.exists():
        pytest.skip("needs the fine-tuned run of the end-to-end test")
    args = ["lm", "predict", str(run), str(d / "train.csv"), "--chunk-size", "7", "--quiet"]
    _ok(runner.invoke(app, [*args, "-o", str(tmp_path / "whole.csv")]))
    calls = {"n": 0}
    original = LMRun.predict_frame

    def crash_on_third(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, *a, **k)

    monkeypatch.setattr(LMRun, "predict_frame", crash_on_third)
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "p.csv")])
    assert res.exit_code != 0 and not (tmp_path / "p.csv").exists()
    assert (tmp_path / ".p.csv.partial").is_dir()
    monkeypatch.setattr(LMRun, "predict_frame", original)
    other = tmp_path / "other.csv"
    pd.read_csv(d / "train.csv").iloc[::-1].to_csv(other, index=False)
    res = runner.invoke(app, [*args[:3], str(other), *args[4:], "-o", str(tmp_path / "p.csv"),
                              "--resume"])  # fmt: skip
    assert res.exit_code == 2 and "input file" in res.output
    _ok(runner.invoke(app, [*args, "-o", str(tmp_path / "p.csv"), "--resume"]))
    assert (tmp_path / "p.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_errors_are_clear_and_exit_2(workdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(
        app, ["lm", "info", "InstaDeepAI/nucleotide-transformer-v2-50m-multi-species"]
    )
    assert res.exit_code == 2 and "never downloads" in res.output
    res = runner.invoke(
        app,
        [
            "lm",
            "pretrain",
            "--corpus",
            str(workdir / "g.fa.gz"),
            "--tokenizer",
            "dna-kmer:12",
            "--out",
            "x",
            "--steps",
            "1",
        ],
    )
    assert res.exit_code == 2 and "K must be 3..6" in res.output
    assert not list(tmp_path.iterdir())  # the refused run left no .x.partial folder behind
    res = runner.invoke(
        app, ["lm", "embed", str(tmp_path), str(workdir / "train.csv"), "--out", "e.parquet"]
    )
    assert res.exit_code == 2 and "an empty directory, not a language-model" in res.output


def test_kill_9_during_predict_then_resume_gives_the_uninterrupted_bytes(workdir, tmp_path):
    from kill9 import kill_after_first_chunk

    run = workdir / "ft"
    if not run.exists():
        pytest.skip("needs the fine-tuned run of the end-to-end test")
    args = ["lm", "predict", str(run), str(workdir / "train.csv"), "--chunk-size", "7", "-q"]
    kill_after_first_chunk([*args, "-o", str(tmp_path / "p.csv")], tmp_path / "marker")
    assert not (tmp_path / "p.csv").exists() and (tmp_path / ".p.csv.partial").is_dir()
    _ok(runner.invoke(app, [*args, "-o", str(tmp_path / "p.csv"), "--resume"]))
    _ok(runner.invoke(app, [*args, "-o", str(tmp_path / "whole.csv")]))
    assert (tmp_path / "p.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_lm_info_with_a_preset_name_points_to_the_preset_list(tmp_path, monkeypatch):
    """`helix lm info tiny` said 'tiny: model directory not found'."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["lm", "info", "tiny"])
    assert res.exit_code == 2 and "'tiny' is a size preset" in res.output, res.output
