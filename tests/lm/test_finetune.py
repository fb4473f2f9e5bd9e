from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from transformers import AutoModelForSequenceClassification

from helixforge.lm.estimator import FinetunedLM, LMPropertyModel
from helixforge.lm.finetune import finetune


def _gc_task(n, seed=0, length=30):
    rng = np.random.default_rng(seed)
    seqs, y = [], []
    for i in range(n):
        alphabet = list("GC") if i % 2 else list("AT")
        s = "".join(rng.choice(alphabet + list("ACGT"), length))
        seqs.append(s)
        y.append(i % 2)
    return seqs, np.array(y, float)[:, None]


def test_lora_finetune_of_a_published_checkpoint(published_bert, tmp_path):
    import torch
    from transformers import BertForMaskedLM

    seqs, y = _gc_task(48)
    lm = FinetunedLM(
        published_bert, lora=True, epochs=2, batch_size=16, lr=5e-3, threads=1, device="cpu"
    )
    lm.fit(seqs, y, ["binary"], valid=_gc_task(16, seed=1), seed=0)
    assert lm.trainable_parameters < 0.5 * sum(p.numel() for p in lm.model.parameters())
    base = BertForMaskedLM.from_pretrained(published_bert, local_files_only=True)
    tuned = lm.model  # LoRA merged: adapted layers moved, frozen embeddings did not
    q = "encoder.layer.0.attention.self.query.weight"
    assert not torch.allclose(tuned.bert.get_parameter(q), base.bert.get_parameter(q))
    e = "embeddings.word_embeddings.weight"
    assert torch.equal(tuned.bert.get_parameter(e), base.bert.get_parameter(e))
    lm.save(tmp_path / "ft")
    AutoModelForSequenceClassification.from_pretrained(
        str(tmp_path / "ft" / "model"), local_files_only=True
    )
    again = FinetunedLM.load(tmp_path / "ft")
    ts, _ = _gc_task(8, seed=2)
    assert np.allclose(again.predict(ts), lm.predict(ts), atol=1e-5)


def test_full_finetune_learns_a_composition_signal(published_bert):
    seqs, y = _gc_task(64)
    lm = FinetunedLM(published_bert, epochs=6, batch_size=16, lr=5e-3, threads=1, device="cpu")
    lm.fit(seqs, y, ["binary"], valid=_gc_task(16, seed=1), seed=0)
    ts, ty = _gc_task(40, seed=2)
    assert ((lm.predict(ts)[:, 0] > 0.5) == ty[:, 0]).mean() > 0.8


def test_multitask_with_missing_labels_and_long_inputs(pretrained_encoder):
    seqs, y = _gc_task(40, length=20)
    reg = np.array([s.count("G") + s.count("C") for s in seqs], float)
    Y = np.column_stack([y[:, 0], reg])
    Y[::3, 0] = np.nan  # missing labels are skipped, not zero
    lm = FinetunedLM(pretrained_encoder, epochs=2, batch_size=16, threads=1, device="cpu")
    lm.fit(seqs, Y, ["binary", "regression"], seed=0)
    long = "ACGT" * 60  # 240 bases > the 48-token window: predicted over windows
    pred = lm.predict(seqs[:3] + [long])
    assert pred.shape == (4, 2) and np.all((pred[:, 0] >= 0) & (pred[:, 0] <= 1))
    assert np.isfinite(pred).all()


def _table(tmp_path, name, n, seed=0, **extra):
    seqs, y = _gc_task(n, seed=seed)
    df = pd.DataFrame({"sequence": seqs, "label": y[:, 0].astype(int), **extra})
    df.to_csv(tmp_path / name, index=False)
    return tmp_path / name


FAST = dict(epochs=1, batch_size=16, lr=5e-3, threads=1, device="cpu")


def test_finetune_table_writes_run_dir_and_records_bad_rows(published_bert, tmp_path):
    seqs, y = _gc_task(40)
    df = pd.DataFrame({"sequence": seqs, "label": y[:, 0].astype(int).astype(str)})
    df.loc[3, "label"] = "maybe"
    df.loc[5, "sequence"] = ""
    df.to_csv(tmp_path / "train.csv", index=False)
    df.iloc[:10].to_csv(tmp_path / "test.csv", index=False)
    run = finetune(
        published_bert,
        tmp_path / "train.csv",
        task="classification",
        out=tmp_path / "run",
        test=tmp_path / "test.csv",
        lora=True,
        **FAST,
    )
    assert run.config["n_rejected_rows"] >= 2 and "roc_auc" in run.metrics["test"]["label"]
    assert run.config["task_types"] == ["binary"] and run.config["lora"] is True
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert {"label", "sequence"} <= set(errors.column)
    d = tmp_path / "run"
    for name in ("config.json", "versions.json", "metrics.json", "errors.csv", "card.md",
                 "report.html", "predictions.csv", "conformal.json", "model/manifest.json",
                 "model/member_0/model/config.json"):  # fmt: skip
        assert (d / name).exists(), name
    pred = pd.read_csv(d / "predictions.csv")
    assert {"row", "split", "sequence", "label", "label_pred", "label_prob", "label_std",
            "label_set"} <= set(pred.columns)  # fmt: skip
    # every row of both files is used or rejected: 40 train + 10 test rows, 2 bad in each
    rejected = errors[["file", "row"]].drop_duplicates()  # a bad label: two reasons, one row
    bad = errors[~errors.reason.str.contains("no leakage")]
    assert len(pred) + len(rejected) == 50 and set(bad.row) == {5, 7}
    # test.csv repeats the first 10 training rows: their 8 usable ones leave the training part
    assert (errors.reason == "also in the test part: left out of train (no leakage)").sum() == 8
    assert not (tmp_path / ".run.partial").exists()
    assert "LoRA fine-tuning of" in (d / "card.md").read_text()


def test_ensemble_conformal_and_predict_from_the_run(published_bert, tmp_path):
    from helixforge.lm.predict import predict_run

    train = _table(tmp_path, "train.csv", 40)
    valid, test = _table(tmp_path, "dev.csv", 20, seed=1), _table(tmp_path, "test.csv", 12, seed=2)
    run = finetune(published_bert, train, valid=valid, test=test, out=tmp_path / "run",
                   ensemble=2, coverage=0.8, **FAST)  # fmt: skip
    m = run.metrics["test"]["label"]
    assert {"roc_auc", "coverage", "set_size"} <= set(m) and run.config["ensemble"] == 2
    assert sorted(p.name for p in (tmp_path / "run" / "model").glob("member_*")) == [
        "member_0",
        "member_1",
    ]
    pred = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert (pred.label_std > 0).any()
    res = predict_run(tmp_path / "run", test, tmp_path / "p.csv", chunk_size=5, device="cpu")
    assert res["rows"] == 12 and res["predicted"] == 12 and res["errors"] == 0
    new = pd.read_csv(tmp_path / "p.csv")
    old = pred[pred.split == "test"].reset_index(drop=True)
    assert list(new.sequence) == list(old.sequence)
    assert np.allclose(new.label_prob, old.label_prob, atol=1e-5)
    assert list(new.label_set.fillna("")) == list(old.label_set.fillna(""))
    again = finetune(tmp_path / "run", train, out=tmp_path / "again", **FAST)  # run as base
    assert again.config["base_model"].endswith("member_0/model")


def test_text_classes_and_the_one_task_rule(published_bert, tmp_path):
    from helixforge.core.errors import ConfigError

    names = np.array(["other", "promoter"])
    seqs, y = _gc_task(30)
    df = pd.DataFrame({"sequence": seqs, "kind": names[y[:, 0].astype(int)]})
    df["gc"] = [s.count("G") + s.count("C") + 0.5 for s in seqs]
    df.to_csv(tmp_path / "t.csv", index=False)
    run = finetune(published_bert, tmp_path / "t.csv", label_cols=["kind"], out=tmp_path / "r",
                   **FAST)  # fmt: skip
    assert run.config["task_types"] == ["binary"]
    assert run.config["classes"]["kind"] == ["other", "promoter"]
    pred = pd.read_csv(tmp_path / "r" / "predictions.csv")
    assert set(pred.kind_pred) <= {"other", "promoter"}
    with pytest.raises(ConfigError, match="continuous"):
        finetune(published_bert, tmp_path / "t.csv", task="classification", label_cols=["gc"],
                 out=tmp_path / "r2", **FAST)  # fmt: skip
    assert not (tmp_path / "r2").exists()


def test_token_classification_run_and_predict(pretrained_encoder, tmp_path):
    from helixforge.lm.predict import predict_run

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(20)]
    labels = ["".join(str(int(c in "GC")) for c in s) for s in seqs]
    df = pd.DataFrame({"sequence": seqs, "mask": labels})
    df.loc[2, "mask"] = "01"  # wrong length → errors.csv
    df.to_csv(tmp_path / "t.csv", index=False)
    test = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(10)]  # not in training
    pd.DataFrame({"sequence": test, "mask": ["".join(str(int(c in "GC")) for c in s) for s in test]}
                 ).to_csv(tmp_path / "test.csv", index=False)  # fmt: skip
    run = finetune(pretrained_encoder, tmp_path / "t.csv", task="token-classification",
                   label_cols=["mask"], test=tmp_path / "test.csv", out=tmp_path / "r", **FAST)  # fmt: skip
    d = tmp_path / "r"
    for name in ("config.json", "versions.json", "metrics.json", "errors.csv", "card.md",
                 "report.html", "predictions.csv", "model/manifest.json"):  # fmt: skip
        assert (d / name).exists(), name
    assert "roc_auc" in run.metrics["test"]["mask"]
    assert list(pd.read_csv(d / "errors.csv").row) == [4]
    res = predict_run(d, tmp_path / "test.csv", tmp_path / "p.csv", device="cpu")
    pred = pd.read_csv(tmp_path / "p.csv", dtype={"mask_pred": str})
    assert res["predicted"] == 10 and all(len(p) == 30 for p in pred.mask_pred)


def _gc_mask_table(path, n, seed=0, length=30):
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]
    labels = ["".join(str(int(c in "GC")) for c in s) for s in seqs]
    pd.DataFrame({"sequence": seqs, "mask": labels}).to_csv(path, index=False)


def test_token_classification_without_valid_holds_out_ten_percent(pretrained_encoder, tmp_path):
    """No --valid: 10 % of the training rows (seeded) are the valid part, as for sequence tasks;
    it printed "valid: no metrics" and wrote a 1-byte predictions.csv."""
    _gc_mask_table(tmp_path / "t.csv", 40)
    opts = dict(task="token-classification", label_cols=["mask"], report=False, **FAST)
    run = finetune(pretrained_encoder, tmp_path / "t.csv", out=tmp_path / "r", **opts)
    assert run.config["split_sizes"] == {"train": 36, "valid": 4}
    assert "roc_auc" in run.metrics["valid"]["mask"]
    pred = pd.read_csv(tmp_path / "r" / "predictions.csv", dtype={"mask_pred": str})
    assert list(pred.columns) == ["row", "sequence", "mask", "split", "mask_pred"]
    assert len(pred) == 4 and set(pred.split) == {"valid"}
    assert all(len(p) == 30 for p in pred.mask_pred)
    again = finetune(pretrained_encoder, tmp_path / "t.csv", out=tmp_path / "r2", **opts)
    held = pd.read_csv(tmp_path / "r2" / "predictions.csv")
    assert list(held.row) == list(pred.row)  # the same rows held out (seeded)
    assert again.metrics["valid"] == run.metrics["valid"]


def test_token_classification_with_nothing_scored_writes_a_header(pretrained_encoder, tmp_path):
    """Below 20 training rows nothing is held out: predictions.csv is an empty table with its
    columns (it was one newline)."""
    _gc_mask_table(tmp_path / "t.csv", 12)
    finetune(pretrained_encoder, tmp_path / "t.csv", task="token-classification",
             label_cols=["mask"], out=tmp_path / "r", report=False, **FAST)  # fmt: skip
    pred = pd.read_csv(tmp_path / "r" / "predictions.csv")
    assert pred.empty and list(pred.columns) == ["row", "sequence", "mask", "split", "mask_pred"]


def test_token_classifier_labels_every_base(pretrained_encoder, tmp_path):
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(24)]
    labels = [[int(c in "GC") for c in s] for s in seqs]
    tc = LMPropertyModel(
        pretrained_encoder, epochs=2, batch_size=8, lr=5e-3, threads=1, device="cpu"
    ).fit(seqs, labels, ["token-classification"])
    out = tc.predict([seqs[0], "ACGT" * 30])
    assert out[0].shape == (40, 2) and out[1].shape == (120, 2)
    assert np.allclose(out[1].sum(axis=1), 1, atol=1e-5)
    tc.save(tmp_path / "tc")
    again = LMPropertyModel.load(tmp_path / "tc").predict([seqs[0]])
    assert np.allclose(again[0], out[0], atol=1e-5)


EVIL = "from pathlib import Path\nPath({marker!r}).write_text('ran')\n"


def test_run_directory_code_never_runs_without_the_opt_in(published_bert, tmp_path):
    """A run whose member checkpoint was swapped for one that needs its own code (manifest
    rewritten too, as an attacker could): predict refuses before importing anything."""
    import json

    from typer.testing import CliRunner

    from helixforge.cli.app import app
    from helixforge.core.errors import ConfigError
    from helixforge.core.supervised import write_manifest
    from helixforge.lm.predict import load_run

    train = _table(tmp_path, "train.csv", 24)
    finetune(published_bert, train, out=tmp_path / "run", **FAST)
    member = tmp_path / "run" / "model" / "member_0" / "model"
    marker = tmp_path / "pwned.txt"
    (member / "modeling_evil.py").write_text(EVIL.format(marker=str(marker)))
    cfg = json.loads((member / "config.json").read_text())
    cfg.update(model_type="evil_lm", trust_remote_code=True,
               auto_map={"AutoModelForSequenceClassification": "modeling_evil.EvilModel"})  # fmt: skip
    (member / "config.json").write_text(json.dumps(cfg))
    write_manifest(tmp_path / "run" / "model", {"model": "lm", "members": 1})
    with pytest.raises(ConfigError, match="--trust-remote-code"):
        load_run(tmp_path / "run", device="cpu")
    res = CliRunner().invoke(
        app, ["lm", "predict", str(tmp_path / "run"), str(train), "-o", str(tmp_path / "p.csv")]
    )
    assert res.exit_code == 2 and "--trust-remote-code" in res.output
    assert not marker.exists() and not (tmp_path / "p.csv").exists()


def test_read_rows_refuses_a_missing_value_marker_as_a_sequence():
    import pandas as pd

    from helixforge.core.errors import RowErrors
    from helixforge.lm.finetune import read_rows

    df = pd.DataFrame({"sequence": ["ACGT", "NA", "TTGA"], "label": [1, 0, 1]}, index=[2, 3, 4])
    errors = RowErrors("t.csv")
    kept = read_rows(df, "sequence", ["label"], errors)
    assert kept.index.tolist() == [2, 4]
    assert [(e.row, e.reason) for e in errors] == [(3, "missing-value marker, not a sequence")]


def test_valid_or_test_rows_that_repeat_training_sequences_leave_the_training_part():
    import pandas as pd
    import pytest

    from helixforge.core.errors import NoUsableRowsError
    from helixforge.lm.finetune import load_labelled

    seqs = ["ACGTAC", "TTGACA", "GGGCCC", "ATATAT", "CACACA", "TGTGTG"]
    train = pd.DataFrame({"sequence": seqs, "label": [0, 1, 0, 1, 0, 1]})
    valid = pd.DataFrame({"sequence": seqs[:2] + ["AAAACC"], "label": [0, 1, 0]})
    test = pd.DataFrame({"sequence": ["AAAACC", "CCCCGG"], "label": [1, 0]})
    data, parts = load_labelled(train, valid, test, "sequence", ["label"], "auto")
    assert parts.count("train") == 4 and parts.count("valid") == 2 and parts.count("test") == 2
    reasons = [e.reason for e in data.errors]
    assert reasons.count("also in the valid/test part: left out of train (no leakage)") == 2
    assert reasons.count("also in the test part: left out of valid (no leakage)") == 1
    # --valid naming the training file: refused, not a model validated on its training rows
    with pytest.raises(NoUsableRowsError, match="training part is empty: all 6 of its sequences"):
        load_labelled(train, train, None, "sequence", ["label"], "auto")


def test_an_interrupted_finetune_resumes_to_the_uninterrupted_model(
    published_bert, tmp_path, monkeypatch
):
    import helixforge.core.training as training
    from helixforge.core.errors import ConfigError

    train = _table(tmp_path, "train.csv", 40)
    opts = dict(epochs=3, batch_size=16, lr=5e-3, threads=1, device="cpu", ensemble=2,
                report=False, task="classification")  # fmt: skip
    finetune(published_bert, train, out=tmp_path / "whole", **opts)
    real, saved = training._save_epoch, []

    def save_then_die(*args, **kw):  # member 0 finishes; member 1 dies after its 2nd epoch
        real(*args, **kw)
        saved.append(1)
        if len(saved) == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "_save_epoch", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        finetune(published_bert, train, out=tmp_path / "run", **opts)
    stage = tmp_path / ".run.partial"
    assert (stage / "checkpoints" / "member_0" / "final").is_dir()
    assert (stage / "checkpoints" / "member_1" / "last.pt").is_file()
    monkeypatch.setattr(training, "_save_epoch", real)
    with pytest.raises(ConfigError, match="lr"):  # another option: refused, the stage is kept
        finetune(published_bert, train, out=tmp_path / "run", resume=True, **{**opts, "lr": 1e-3})
    resumed_epochs = []
    monkeypatch.setattr(training, "_save_epoch",
                        lambda *a, **k: (resumed_epochs.append(a[4]), real(*a, **k)))  # fmt: skip
    run = finetune(published_bert, train, out=tmp_path / "run", resume=True, **opts)
    assert resumed_epochs == [2]  # member 0 loaded, member 1 trained its last epoch only
    a = pd.read_csv(tmp_path / "whole" / "predictions.csv")
    b = pd.read_csv(run.run_dir / "predictions.csv")
    assert np.allclose(a["label_prob"], b["label_prob"], atol=1e-6)
    assert not stage.exists() and not (run.run_dir / "checkpoints").exists()


def test_kill_9_during_finetune_then_resume_gives_the_uninterrupted_model(published_bert, tmp_path):
    from kill9 import kill_after_epoch
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    train = _table(tmp_path, "train.csv", 40)
    args = ["lm", "finetune", published_bert, str(train), "--epochs", "3", "--batch-size", "16",
            "--lr", "5e-3", "--jobs", "1", "--device", "cpu", "-q"]  # fmt: skip
    ok = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "whole")])
    assert ok.exit_code == 0, ok.output
    marker = tmp_path / "marker"
    kill_after_epoch([*args, "-o", str(tmp_path / "run")], marker, epochs=2)
    assert (tmp_path / ".run.partial" / "checkpoints" / "member_0" / "last.pt").is_file()
    res = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "run"), "--resume"])
    assert res.exit_code == 0, res.output
    a = pd.read_csv(tmp_path / "whole" / "predictions.csv")
    b = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert np.allclose(a["label_prob"], b["label_prob"], atol=1e-6)


def test_an_interrupted_token_classification_finetune_resumes(
    pretrained_encoder, tmp_path, monkeypatch
):
    import helixforge.core.training as training

    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(24)]
    df = pd.DataFrame({"sequence": seqs, "mask": ["".join(str(int(c in "GC")) for c in s)
                                                  for s in seqs]})  # fmt: skip
    df.to_csv(tmp_path / "t.csv", index=False)
    opts = dict(task="token-classification", label_cols=["mask"], epochs=3, batch_size=8,
                lr=5e-3, threads=1, device="cpu", report=False)  # fmt: skip
    finetune(pretrained_encoder, tmp_path / "t.csv", out=tmp_path / "whole", **opts)
    real, saved = training._save_epoch, []

    def save_then_die(*args, **kw):
        real(*args, **kw)
        saved.append(1)
        if len(saved) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "_save_epoch", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        finetune(pretrained_encoder, tmp_path / "t.csv", out=tmp_path / "run", **opts)
    stage = tmp_path / ".run.partial"
    assert (stage / "checkpoints" / "member_0" / "last.pt").is_file()
    resumed_epochs = []
    monkeypatch.setattr(training, "_save_epoch",
                        lambda *a, **k: (resumed_epochs.append(a[4]), real(*a, **k)))  # fmt: skip
    finetune(pretrained_encoder, tmp_path / "t.csv", out=tmp_path / "run", resume=True, **opts)
    assert resumed_epochs == [2]  # the last epoch only
    weights = Path("model") / "member_0"
    a = {str(p.relative_to(tmp_path / "whole")): p.read_bytes()
         for p in (tmp_path / "whole" / weights).rglob("*.safetensors")}  # fmt: skip
    b = {str(p.relative_to(tmp_path / "run")): p.read_bytes()
         for p in (tmp_path / "run" / weights).rglob("*.safetensors")}  # fmt: skip
    assert a and a == b  # the resumed model is the uninterrupted one, byte for byte
    assert not stage.exists() and not (tmp_path / "run" / "checkpoints").exists()


def test_valid_and_test_labels_are_matched_to_the_training_classes():
    """A --valid file spelling the classes otherwise is read in the training classes; a class
    the training file lacks is an errors row (it was an extra class: binary became 4-class)."""
    import pandas as pd
    import pytest

    from helixforge.core.errors import ConfigError
    from helixforge.lm.finetune import load_labelled

    seqs = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACG"]  # 48 distinct
    train = pd.DataFrame({"sequence": seqs[:20], "label": ["pos", "neg"] * 10})
    valid = pd.DataFrame({"sequence": seqs[20:26], "label": ["POS", "Neg", "maybe", "neg",
                                                             " pos", "pos"]})  # fmt: skip
    data, parts = load_labelled(train, valid, None, "sequence", ["label"], "auto")
    assert data.task_types == ["binary"] and data.classes == {"label": ["neg", "pos"]}
    assert parts.count("valid") == 5
    assert [(e.row, e.value) for e in data.errors] == [(2, "maybe")]
    test = pd.DataFrame({"sequence": seqs[30:34], "label": [0, 1, 1, 0]})
    with pytest.raises(ConfigError, match="none of its labels in 'label' \\(0, 1\\)"):
        load_labelled(train, None, test, "sequence", ["label"], "auto")


def test_fasta_files_with_labels_in_their_headers_are_read_as_dna_train_reads_them(tmp_path):
    """A FASTA was read as a CSV ("columns 'sequence', 'label' not found. Columns present:
    '>s0 label=pos'"); now '>id label=V' (or NAME=V per --label-col) headers give the labels,
    a record without one is an errors row, and a FASTA with none at all is named."""
    import pytest

    from helixforge.core.errors import InputError
    from helixforge.lm.finetune import load_labelled

    seqs = [a + b + c + "ACGT" for a in "ACGT" for b in "ACGT" for c in "ACG"]
    (tmp_path / "t.fa").write_text(
        "".join(
            f">s{i} label={'pos' if i % 2 else 'neg'}|gc=0.{i}\n{s}\n"
            for i, s in enumerate(seqs[:20])
        )  # fmt: skip
        + f">nolabel\n{seqs[20]}\n"
    )
    (tmp_path / "v.fa").write_text(
        "".join(f">v{i} label=POS\n{s}\n" for i, s in enumerate(seqs[30:34]))
    )
    data, parts = load_labelled(tmp_path / "t.fa", tmp_path / "v.fa", None, "sequence",
                                ["label"], "auto")  # fmt: skip
    assert data.classes == {"label": ["neg", "pos"]} and parts.count("valid") == 4
    assert data.frame["id"].tolist()[:2] == ["s0", "s1"]
    assert [e.row for e in data.errors] == [41]  # the header line of '>nolabel'
    (tmp_path / "n.fa").write_text("".join(f">n{i}\n{s}\n" for i, s in enumerate(seqs)))
    with pytest.raises(InputError, match=r"n\.fa: a FASTA file with no label=VALUE"):
        load_labelled(tmp_path / "n.fa", None, None, "sequence", ["label"], "auto")


def test_the_output_rows_keep_the_label_cells_as_the_file_wrote_them(tmp_path):
    """predictions.csv showed the cleaned labels (1 as 1.0, 'POS ' as 'pos'), not the input's
    cells as dna train's does; the classes and y still come from the cleaned values."""
    from helixforge.lm.finetune import load_labelled

    seqs = [a + b + c + "ACGT" for a in "ACGT" for b in "ACGT" for c in "ACG"]
    (tmp_path / "t.csv").write_text(
        "sequence,label\n" + "".join(f"{s},{i % 2}\n" for i, s in enumerate(seqs[:20]))
    )
    (tmp_path / "v.csv").write_text("sequence,label\n" + "".join(
        f"{s},{lab}\n" for s, lab in zip(seqs[30:33], ["1.0", " 0", "1"])))  # fmt: skip
    data, _ = load_labelled(tmp_path / "t.csv", tmp_path / "v.csv", None, "sequence", ["label"],
                            "auto")  # fmt: skip
    assert data.classes == {"label": [0.0, 1.0]}
    assert data.y[:, 0].tolist()[-3:] == [1.0, 0.0, 1.0]
    assert [str(v).strip() for v in data.frame["label"].tolist()[-3:]] == ["1.0", "0", "1"]
    assert [str(v) for v in data.frame["label"].tolist()[:2]] == ["0", "1"]  # not 0.0, 1.0


def test_token_classification_leaves_training_rows_shared_with_the_test_file_out(
    pretrained_encoder, tmp_path
):
    """A sequence in both the training and the test file is not trained on (it went in: the
    token path skipped the de-duplication sequence-level tasks do); it goes to errors.csv."""
    _gc_mask_table(tmp_path / "t.csv", 40)
    train = pd.read_csv(tmp_path / "t.csv", dtype=str)
    train.iloc[:5].to_csv(tmp_path / "test.csv", index=False)  # five training rows as test
    run = finetune(pretrained_encoder, tmp_path / "t.csv", test=tmp_path / "test.csv",
                   task="token-classification", label_cols=["mask"], out=tmp_path / "r",
                   report=False, **FAST)  # fmt: skip
    assert run.config["split_sizes"]["train"] + run.config["split_sizes"]["valid"] == 35
    errors = pd.read_csv(tmp_path / "r" / "errors.csv")
    assert (errors.reason.str.contains("no leakage")).sum() == 5
