"""train / predict / evaluate on tables, FASTA and BED inputs, with bad rows recorded."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from helixforge.core.errors import ColumnNotFoundError, InputError
from helixforge.dna.classify import (
    evaluate_sequences,
    infer_task,
    load_sequence_table,
    predict_sequences,
    train_sequence_model,
)
from helixforge.dna.io import write_fasta

MOTIF = "TTGATTACAG"


def table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), 50))
        if i % 2:
            p = int(rng.integers(0, 40))
            s[p : p + 10] = list(MOTIF)
        rows.append(
            {
                "name": f"s{i}",
                "sequence": "".join(s),
                "label": i % 2,
                "chrom": f"chr{(i // 2) % 4 + 1}",
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_train_writes_a_complete_run(tmp_path):
    df = table(400)
    df.loc[5, "sequence"] = "ACGT!ACGT"  # one bad row: recorded, not fatal
    df.loc[7, "label"] = None
    df.to_csv(tmp_path / "train.csv", index=False)
    metrics = train_sequence_model(
        tmp_path / "train.csv",
        id_col="name",
        model="resnet",
        out=tmp_path / "run",
        epochs=6,
        batch_size=32,
        threads=1,
    )
    run = tmp_path / "run"
    for name in (
        "config.json",
        "metrics.json",
        "versions.json",
        "history.json",
        "errors.csv",
        "report.html",
        "card.md",
        "predictions_test.csv",
        "model/model.safetensors",
    ):
        assert (run / name).exists(), name
    assert metrics["test"]["accuracy"] > 0.8
    errors = pd.read_csv(run / "errors.csv")
    assert sorted(errors["row"]) == [7, 9]  # file lines of the bad rows
    assert "not a nucleotide" in errors["reason"].iloc[0]
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["split"] == "stratified" and cfg["task"] == "binary" and cfg["rows_rejected"] == 2
    assert cfg["rows_in"] == 400 == sum(cfg["sizes"].values()) + cfg["rows_rejected"]
    test_pred = pd.read_csv(run / "predictions_test.csv")
    assert {"name", "label", "label_prob", "label_pred", "label_set"} <= set(test_pred.columns)

    new = table(20, seed=9)
    new.loc[0, "sequence"] = "A" * 10 + "Z"
    new.to_csv(tmp_path / "new.csv", index=False)
    pred = predict_sequences(run, tmp_path / "new.csv", tmp_path / "pred.csv", id_col="name")
    assert len(pred) == 19 and {"label_prob", "label_pred", "label_set"} <= set(pred.columns)
    assert {"name", "sequence", "label", "chrom", "line"} <= set(pred.columns)  # inputs kept
    assert 0.5 <= metrics["test"]["coverage"] <= 1.0  # 90 % conformal sets from the valid part
    assert pd.read_csv(tmp_path / "pred.errors.csv")["row"].tolist() == [2]
    m = evaluate_sequences(run, tmp_path / "new.csv", out=tmp_path / "eval")
    assert m["n"] == 19 and (tmp_path / "eval" / "report.html").exists()


def test_separate_valid_and_test_files_like_gue(tmp_path):
    table(200).to_csv(tmp_path / "train.csv", index=False)
    table(60, seed=1).to_csv(tmp_path / "dev.csv", index=False)
    table(60, seed=2).to_csv(tmp_path / "test.csv", index=False)
    metrics = train_sequence_model(
        tmp_path / "train.csv",
        valid=tmp_path / "dev.csv",
        test=tmp_path / "test.csv",
        model="cnn",
        out=tmp_path / "run",
        epochs=1,
        batch_size=32,
        threads=1,
    )
    assert metrics["test"]["n"] == 60 and metrics["valid"]["n"] == 60
    assert json.loads((tmp_path / "run" / "config.json").read_text())["split"] == "files"


def test_chromosome_split(tmp_path):
    table(120).to_csv(tmp_path / "d.csv", index=False)
    train_sequence_model(
        tmp_path / "d.csv",
        model="cnn",
        split="chromosome",
        test_chroms="chr4",
        valid_chroms="chr3",
        out=tmp_path / "run",
        epochs=1,
        threads=1,
    )
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["sizes"] == {"train": 60, "valid": 30, "test": 30}


def test_fasta_with_labels_in_headers(tmp_path):
    df = table(10)
    write_fasta(
        [(f"{r.name} label={r.label}", r.sequence) for r in df.itertuples()], tmp_path / "x.fa"
    )
    loaded = load_sequence_table(tmp_path / "x.fa")
    assert loaded["id"].tolist()[:2] == ["s0", "s1"] and loaded["label"].tolist()[:2] == ["0", "1"]
    write_fasta([(r.name, r.sequence) for r in df.itertuples()], tmp_path / "nolabel.fa")
    with pytest.raises(InputError, match="label=VALUE"):
        load_sequence_table(tmp_path / "nolabel.fa")


def test_bed_plus_genome_input(tmp_path):
    write_fasta([("chr1", "ACGT" * 50)], tmp_path / "g.fa")
    (tmp_path / "r.bed").write_text(
        "#chrom\tstart\tend\tname\tscore\tstrand\tlabel\nchr1\t0\t10\ta\t0\t+\t1\nchr1\t5\t15\tb\t0\t-\t0\nchr1\t190\t260\tc\t0\t+\t1\n"
    )
    df = load_sequence_table(tmp_path / "r.bed", genome=tmp_path / "g.fa")
    assert df["id"].tolist() == ["a", "b"] and df["sequence"].iloc[0] == "ACGTACGTAC"
    with pytest.raises(ColumnNotFoundError):
        load_sequence_table(tmp_path / "r.bed", label_col="activity", genome=tmp_path / "g.fa")


def test_missing_label_column_lists_columns(tmp_path):
    table(10).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ColumnNotFoundError, match="'target'.*Columns present"):
        train_sequence_model(tmp_path / "d.csv", label_col="target", out=tmp_path / "run")


def test_iupac_policy(tmp_path):
    pd.DataFrame({"sequence": ["ACGRT", "ACGTT"], "label": [0, 1]}).to_csv(
        tmp_path / "d.csv", index=False
    )
    from helixforge.core.errors import RowErrors

    errs = RowErrors("d")
    assert len(load_sequence_table(tmp_path / "d.csv", errors=errs)) == 1
    assert "IUPAC" in errs.items[0].reason
    assert load_sequence_table(tmp_path / "d.csv", iupac="n")["sequence"].tolist() == [
        "ACGNT",
        "ACGTT",
    ]


def test_infer_task():
    assert infer_task([0, 1, 1]) == "binary"
    assert infer_task(["0", "1", "2"]) == "multiclass"
    assert infer_task(["a", "b", "c"]) == "multiclass"
    assert infer_task([0.1, 2.5, 3.7]) == "regression"


@pytest.mark.skipif(
    __import__("helixforge.datasets.registry", fromlist=["mirror_root"]).mirror_root() is None,
    reason="the shared data mirror (../shared/data) is not on this machine",
)
def test_registered_gue_split_reads_cleanly():
    from helixforge.core.errors import RowErrors
    from helixforge.datasets.registry import resolve

    errs = RowErrors("gue")
    df = load_sequence_table(resolve("gue/prom_core_tata", "test"), errors=errs)
    assert len(df) == 613 and len(errs) == 0
    assert set(df["sequence"].str.len()) == {70} and set(df["label"].astype(int)) == {0, 1}


def test_conformal_intervals_cover_regression_targets():
    from helixforge.dna.classify import apply_conformal, fit_conformal

    rng = np.random.default_rng(0)
    y_cal, y_new = rng.normal(size=500), rng.normal(size=500)
    cal = fit_conformal("regression", y_cal, y_cal + rng.normal(0, 0.5, 500), None, coverage=0.9)
    cols = apply_conformal(cal, "regression", y_new + rng.normal(0, 0.5, 500), None, "y")
    covered = np.mean((y_new >= cols["y_lower"]) & (y_new <= cols["y_upper"]))
    assert 0.85 < covered < 0.95
    sets = apply_conformal({"q": 0.6}, "binary", np.array([0.9, 0.5]), [0, 1])
    assert sets["label_set"] == ["1", "0|1"]


def test_sequences_shared_with_test_are_removed_from_train_and_valid():
    from helixforge.core.errors import RowErrors
    from helixforge.dna.classify import drop_shared_sequences
    from helixforge.dna.reader import SequenceInput

    def part(seqs):
        frame = pd.DataFrame({"sequence": seqs}, index=range(2, 2 + len(seqs)))
        return SequenceInput("t", frame, seqs, seqs, None, len(seqs))

    parts = {
        "train": part(["ACGT", "ACGG", "TTTT", "CCCC"]),
        "valid": part(["TTTT", "GGGG"]),
        "test": part(["ACGG", "GGGG"]),
    }
    errors = RowErrors("t")
    removed = drop_shared_sequences(parts, errors)
    assert removed == {"valid": 1, "train": 2} and len(errors) == 3
    assert parts["train"].sequences == ["ACGT", "CCCC"]
    assert parts["valid"].sequences == ["TTTT"]
