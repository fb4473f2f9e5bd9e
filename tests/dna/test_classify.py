"""train / predict / evaluate on tables, FASTA and BED inputs, with bad rows recorded."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from helixforge.core.errors import ColumnNotFoundError, InputError
from helixforge.dna.classify import (
    evaluate_sequences,
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
    result = train_sequence_model(
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
        "conformal.json",
        "errors.csv",
        "report.html",
        "card.md",
        "predictions.csv",
        "model/manifest.json",
        "model/member_0/model.safetensors",
        "model/member_0/history.json",
    ):
        assert (run / name).exists(), name
    test = result.metrics["test"]["label"]
    assert test["accuracy"] > 0.8
    errors = pd.read_csv(run / "errors.csv")
    assert sorted(errors["row"]) == [7, 9]  # file lines of the bad rows
    assert "not a nucleotide" in errors["reason"].iloc[0]
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["split"] == "stratified" and cfg["task_types"] == ["binary"]
    assert cfg["rows_rejected"] == 2 and cfg["classes"] == {"label": [0.0, 1.0]}
    assert cfg["rows_in"] == 400 == sum(cfg["sizes"].values()) + cfg["rows_rejected"]
    preds = pd.read_csv(run / "predictions.csv")
    assert len(preds) == 398 and (preds["split"] == "test").sum() == test["n"]
    assert {"row", "name", "label", "label_prob", "label_pred", "label_set"} <= set(preds.columns)
    assert preds["row"].is_monotonic_increasing  # file order

    new = table(20, seed=9)
    new.loc[0, "sequence"] = "A" * 10 + "Z"
    new.to_csv(tmp_path / "new.csv", index=False)
    summary = predict_sequences(run, tmp_path / "new.csv", tmp_path / "pred.csv", id_col="name")
    assert summary["predicted"] == 19 and summary["errors"] == 1 and summary["rows"] == 20
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert {"label_prob", "label_pred", "label_set", "label_std"} <= set(pred.columns)
    assert {"name", "sequence", "label", "chrom", "row"} <= set(pred.columns)  # inputs kept
    assert 0.5 <= test["coverage"] <= 1.0  # 90 % conformal sets from the valid part
    assert pd.read_csv(tmp_path / "pred.errors.csv")["row"].tolist() == [2]
    ev = evaluate_sequences(run, tmp_path / "new.csv", out=tmp_path / "eval")
    assert ev["n_scored"] == 19 and ev["metrics"]["label"]["n"] == 19
    assert (tmp_path / "eval" / "report.html").exists()


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
    ).metrics
    assert metrics["test"]["label"]["n"] == 60 and metrics["valid"]["label"]["n"] == 60
    assert json.loads((tmp_path / "run" / "config.json").read_text())["split"] == "files"
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert preds["split"].tolist() == ["train"] * 200 + ["valid"] * 60 + ["test"] * 60


def test_ensemble_of_text_classes(tmp_path):
    df = table(90)
    df["kind"] = np.array(["alpha", "beta", "gamma"])[np.arange(90) % 3]
    df.to_csv(tmp_path / "d.csv", index=False)
    run = train_sequence_model(
        tmp_path / "d.csv", label_col="kind", model="cnn", ensemble=2, out=tmp_path / "run",
        epochs=1, batch_size=32, threads=1,
    )  # fmt: skip
    assert run.config["task_types"] == ["multiclass"] and run.config["ensemble"] == 2
    assert run.config["classes"] == {"kind": ["alpha", "beta", "gamma"]}
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    probs = [f"kind_prob_{c}" for c in ("alpha", "beta", "gamma")]
    assert {*probs, "kind_pred", "kind_std", "kind_set"} <= set(preds.columns)
    assert np.allclose(preds[probs].sum(axis=1), 1) and (preds["kind_std"] > 0).any()
    assert set(preds["kind_pred"]) <= {"alpha", "beta", "gamma"}
    assert (tmp_path / "run" / "model" / "member_1" / "model.safetensors").exists()
    from helixforge.dna.models import load_sequence_model

    model = load_sequence_model(tmp_path / "run")  # interpretation / variants: the averaged members
    assert model.classes_ == ["alpha", "beta", "gamma"]
    assert model.forward_onehot(torch.zeros(2, 50, 4)).shape == (2, 3)


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
    assert cfg["sizes"] == {"train": 60, "valid": 30, "test": 30} == cfg["split_sizes"]


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


def test_regression_gets_conformal_intervals(tmp_path):
    df = table(120)
    df["gc"] = [s.count("G") + s.count("C") for s in df["sequence"]]
    df.to_csv(tmp_path / "d.csv", index=False)
    run = train_sequence_model(
        tmp_path / "d.csv", label_col="gc", model="resnet", out=tmp_path / "run", epochs=1,
        batch_size=32, threads=1,
    )  # fmt: skip
    assert run.config["task_types"] == ["regression"] and run.config["split"] == "random"
    test = run.metrics["test"]["gc"]
    assert {"rmse", "coverage", "interval_width"} <= set(test)
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert (preds["gc_lower"] <= preds["gc_pred"]).all() and (
        preds["gc_pred"] <= preds["gc_upper"]
    ).all()


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


def test_predict_fasta_and_bed_in_chunks_accounts_for_every_record(tmp_path):
    df = table(120)
    df.to_csv(tmp_path / "d.csv", index=False)
    train_sequence_model(
        tmp_path / "d.csv", model="cnn", out=tmp_path / "run",
        epochs=1, batch_size=32, threads=1,
    )  # fmt: skip
    recs = [(f"{r.name} x", r.sequence) for r in df.head(25).itertuples()]
    recs[3] = ("broken", "ACGZ")
    write_fasta(recs, tmp_path / "new.fa")
    s = predict_sequences(tmp_path / "run", tmp_path / "new.fa", tmp_path / "p.csv", chunk_size=7)
    assert (s["rows"], s["predicted"], s["errors"]) == (25, 24, 1)
    pred = pd.read_csv(tmp_path / "p.csv")
    assert {"row", "id", "description", "sequence", "label_prob"} <= set(pred.columns)
    write_fasta([("chr1", "".join(df["sequence"].head(10)))], tmp_path / "g.fa")
    (tmp_path / "r.bed").write_text("chr1\t0\t50\ta\nchr1\t60\t110\tb\nchrQ\t0\t10\tc\n")
    s = predict_sequences(
        tmp_path / "run", tmp_path / "r.bed", tmp_path / "b.csv", genome=tmp_path / "g.fa"
    )
    assert (s["rows"], s["predicted"], s["errors"]) == (3, 2, 1)
    assert "chrQ" in pd.read_csv(tmp_path / "b.errors.csv")["reason"].iloc[0]


def test_valid_and_test_files_spelling_classes_otherwise_keep_the_training_classes(tmp_path):
    """'Pos ' in the training file and 'POS' / 'Neg' in --valid are the classes pos / neg (they
    were extra classes: a binary task became multiclass and the report crashed); a class the
    training file lacks is an errors row of its own file; a file with no training class fails."""
    from helixforge.core.errors import ConfigError

    def named(df, spell):
        df = df.copy()
        df["label"] = [spell[i % len(spell)][v] for i, v in enumerate(df["label"])]
        return df

    named(table(120), [{0: "neg", 1: "pos"}] * 7 + [{0: "neg", 1: "Pos "}]).to_csv(
        tmp_path / "train.csv", index=False
    )
    dev = named(table(40, seed=1), [{0: "Neg", 1: "POS"}])
    dev.loc[[3, 7], "label"] = "maybe"
    dev.to_csv(tmp_path / "dev.csv", index=False)
    run = train_sequence_model(
        tmp_path / "train.csv", valid=tmp_path / "dev.csv", model="cnn", out=tmp_path / "run",
        epochs=1, batch_size=32, threads=1,
    )  # fmt: skip
    assert run.config["task_types"] == ["binary"]
    assert run.config["classes"] == {"label": ["neg", "pos"]}
    assert run.metrics["valid"]["label"]["n"] == 38
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert errors[["file", "row", "value"]].values.tolist() == [
        [str(tmp_path / "dev.csv"), 5, "maybe"],
        [str(tmp_path / "dev.csv"), 9, "maybe"],
    ]
    table(40, seed=2).to_csv(tmp_path / "test01.csv", index=False)  # 0/1 for a pos/neg model
    with pytest.raises(ConfigError, match=r"--test .*test01\.csv: none of its labels"):
        train_sequence_model(
            tmp_path / "train.csv", test=tmp_path / "test01.csv", model="cnn",
            out=tmp_path / "run2", epochs=1, batch_size=32, threads=1,
        )  # fmt: skip


def test_fasta_rows_in_the_predictions_have_their_sequence_and_true_label(tmp_path):
    """A --valid FASTA beside a training table showed its rows with empty sequence and label
    columns, and a FASTA trained with --labels had no label column at all in predictions.csv."""
    df = table(80)
    df[["name", "sequence", "label"]].iloc[:60].to_csv(tmp_path / "train.csv", index=False)
    dev = df.iloc[60:]
    write_fasta([(f"{r.name} label={r.label}", r.sequence.lower()) for r in dev.itertuples()],
                tmp_path / "dev.fa")  # fmt: skip
    train_sequence_model(tmp_path / "train.csv", valid=tmp_path / "dev.fa", id_col="name",
                         model="cnn", out=tmp_path / "run", epochs=1, batch_size=32, threads=1)  # fmt: skip
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    valid = preds[preds["split"] == "valid"]
    assert valid["sequence"].tolist() == dev["sequence"].tolist()  # upper-cased, as read
    assert valid["label"].tolist() == dev["label"].tolist()
    write_fasta([(r.name, r.sequence) for r in df.itertuples()], tmp_path / "all.fa")
    df[["name", "label"]].rename(columns={"name": "id"}).to_csv(tmp_path / "lab.csv", index=False)
    train_sequence_model(tmp_path / "all.fa", labels=tmp_path / "lab.csv", model="cnn",
                         out=tmp_path / "run2", epochs=1, batch_size=32, threads=1)  # fmt: skip
    preds = pd.read_csv(tmp_path / "run2" / "predictions.csv").sort_values("row")
    assert preds["label"].tolist() == df["label"].tolist()
