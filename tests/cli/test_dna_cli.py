"""`helix dna train | predict | evaluate | annotate` end to end on tiny data."""

import json

import numpy as np
import pandas as pd
import torch
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()


def tiny_table(path, n=80, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), 40))
        if i % 2:
            s[10:20] = list("TTGATTACAG")
        rows.append({"sequence": "".join(s), "label": i % 2})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_train_predict_evaluate(tmp_path):
    torch.set_num_threads(1)
    data = tiny_table(tmp_path / "d.csv")
    res = runner.invoke(
        app,
        [
            "dna",
            "train",
            str(data),
            "--model",
            "cnn",
            "--epochs",
            "1",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "run"),
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["test"]["label"]["n"] == 8
    res = runner.invoke(
        app, ["dna", "predict", str(tmp_path / "run"), str(data), "--out", str(tmp_path / "p.csv")]
    )
    assert res.exit_code == 0, res.output
    pred = pd.read_csv(tmp_path / "p.csv")
    assert len(pred) == 80 and {"sequence", "label", "label_prob", "label_pred"} <= set(
        pred.columns
    )
    res = runner.invoke(app, ["dna", "evaluate", str(tmp_path / "run"), str(data)])
    assert res.exit_code == 0 and "mcc" in res.output


def test_new_grammar_names_and_overwrite(tmp_path):
    torch.set_num_threads(1)
    data = tiny_table(tmp_path / "d.csv")
    pd.read_csv(data).rename(columns={"sequence": "seq", "label": "y"}).to_csv(data, index=False)
    args = ["dna", "train", str(data), "--input-col", "seq", "--label-col", "y", "-m", "resnet",
            "--param", "channels=8", "--epochs", "1", "-j", "1", "-o", str(tmp_path / "run"), "-q"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "already exists" in res.output and "--overwrite" in res.output
    res = runner.invoke(app, [*args, "--overwrite"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / ".run.partial").exists() and not (tmp_path / ".run.old").exists()
    res = runner.invoke(
        app,
        [
            "dna",
            "predict",
            str(tmp_path / "run"),
            str(data),
            "--seq-col",
            "seq",
            "-o",
            str(tmp_path / "p.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert {"seq", "y", "y_prob", "y_pred"} <= set(pd.read_csv(tmp_path / "p.csv").columns)


def test_missing_label_column_exits_2_with_a_hint(tmp_path):
    data = tiny_table(tmp_path / "d.csv", n=10)
    res = runner.invoke(
        app, ["dna", "train", str(data), "--label-col", "y", "--out", str(tmp_path / "run")]
    )
    assert res.exit_code == 2
    assert "'y' not found" in res.output and "Columns present" in res.output


def test_too_long_sequences_are_error_rows_at_predict(tmp_path):
    torch.set_num_threads(1)
    data = tiny_table(tmp_path / "d.csv")
    runner.invoke(
        app,
        [
            "dna",
            "train",
            str(data),
            "--model",
            "cnn",
            "--epochs",
            "1",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "run"),
            "-q",
        ],
    )
    long = tmp_path / "long.csv"
    pd.DataFrame({"sequence": ["ACGT" * 10, "ACGT" * 30]}).to_csv(long, index=False)
    res = runner.invoke(
        app, ["dna", "predict", str(tmp_path / "run"), str(long), "--out", str(tmp_path / "p.csv")]
    )
    assert res.exit_code == 0, res.output
    errors = pd.read_csv(tmp_path / "p.errors.csv")
    assert (
        errors["row"].tolist() == [3]
        and "longer than the maximum of 64" in errors["reason"].iloc[0]
    )


def test_annotate_train_and_predict(tmp_path):
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 3000))
    gene = "ATG" + "GCT" * 100 + "TAA"
    seq = seq[:500] + gene + seq[500:1500] + gene + seq[1500:]
    (tmp_path / "g.fa").write_text(">c1\n" + seq + "\n")
    (tmp_path / "g.gff3").write_text(
        f"c1\ts\tCDS\t501\t{500 + len(gene)}\t.\t+\t0\tID=a\nc1\ts\tCDS\t{1501 + len(gene)}\t{1500 + 2 * len(gene)}\t.\t+\t0\tID=b\n"
    )
    res = runner.invoke(
        app,
        ["dna", "annotate", "train", str(tmp_path / "g.fa"), str(tmp_path / "g.gff3"), "--out", str(tmp_path / "ann"), "--holdout", "0.3",
         "--epochs", "1", "--channels", "8", "--window", "256", "--windows-per-epoch", "16", "--threads", "1", "-q"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        [
            "dna",
            "annotate",
            "predict",
            str(tmp_path / "ann"),
            str(tmp_path / "g.fa"),
            "--out",
            str(tmp_path / "genes.gff3"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "genes.gff3").read_text().startswith("##gff-version 3")


def test_annotate_unknown_contig_is_reported(tmp_path):
    (tmp_path / "g.fa").write_text(">chr1\n" + "ACGT" * 100 + "\n")
    (tmp_path / "g.gff3").write_text("chrUn\ts\tCDS\t1\t90\t.\t+\t0\tID=a\n")
    res = runner.invoke(
        app,
        [
            "dna",
            "annotate",
            "train",
            str(tmp_path / "g.fa"),
            str(tmp_path / "g.gff3"),
            "--out",
            str(tmp_path / "ann"),
        ],
    )
    assert res.exit_code == 2 and "chrUn" in res.output


def test_lm_model_trains_and_predicts_through_the_one_adapter(tmp_path):
    from helixforge.lm.models import build_model
    from helixforge.lm.tokenizers import build_tokenizer

    torch.manual_seed(0)
    tok = build_tokenizer("dna-char")
    size = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64}
    build_model("encoder", size, len(tok), 64).save_pretrained(str(tmp_path / "lm"))
    tok.save(tmp_path / "lm")
    data = tiny_table(tmp_path / "d.csv", n=40)
    res = runner.invoke(
        app,
        ["dna", "train", str(data), "-m", f"lm:{tmp_path / 'lm'}", "--epochs", "1", "-j", "1",
         "--batch-size", "8", "--device", "cpu", "-o", str(tmp_path / "run"), "-q"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["dna", "predict", str(tmp_path / "run"), str(data), "-o", str(tmp_path / "p.csv")]
    )
    assert res.exit_code == 0, res.output
    pred = pd.read_csv(tmp_path / "p.csv")
    assert len(pred) == 40 and pred["label_prob"].between(0, 1).all()
