import numpy as np
import pandas as pd
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


def test_finetune_table_writes_run_dir_and_records_bad_rows(published_bert, tmp_path):
    seqs, y = _gc_task(40)
    df = pd.DataFrame({"sequence": seqs, "label": y[:, 0].astype(int).astype(str)})
    df.loc[3, "label"] = "maybe"
    df.loc[5, "sequence"] = ""
    df.to_csv(tmp_path / "train.csv", index=False)
    df.iloc[:10].to_csv(tmp_path / "test.csv", index=False)
    m = finetune(
        published_bert,
        tmp_path / "train.csv",
        task="classification",
        out=tmp_path / "run",
        test=tmp_path / "test.csv",
        epochs=1,
        lora=True,
        threads=1,
        device="cpu",
    )
    assert m["rows_rejected"] >= 2 and "roc_auc" in m["test"]
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert {"label", "sequence"} <= set(errors.column)
    run = tmp_path / "run"
    for name in ("config.json", "versions.json", "metrics.json", "errors.csv", "card.md",
                 "report.html", "predictions.csv", "model/config.json"):  # fmt: skip
        assert (run / name).exists(), name
    pred = pd.read_csv(run / "predictions.csv")
    assert {"sequence", "label", "label_pred", "label_prob"} <= set(pred.columns)
    assert not (tmp_path / ".run.partial").exists()


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
