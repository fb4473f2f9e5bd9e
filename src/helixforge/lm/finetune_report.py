"""The human-facing part of a fine-tuning run: predictions.csv (test rows), card.md, report.html."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def write_finetune_outputs(
    stage: Path, model, metrics: dict[str, Any], config: dict[str, Any], test, data
) -> None:
    """Write predictions.csv (when a test table was given), card.md and report.html."""
    from helixforge.core.artifacts import RunDir
    from helixforge.core.report import Report
    from helixforge.core.tables import write_table

    types = metrics["task_types"]
    title = f"HelixForge fine-tuned LM ({', '.join(types)})"
    rep = Report(title, subtitle=f"base model {config['model']}; data {data}")
    test_m = metrics.get("test")
    if isinstance(test_m, dict):
        flat = all(not isinstance(v, dict) for v in test_m.values())
        rep.add_metrics({"test": test_m} if flat else test_m)
    if test is not None and types != ["token-classification"]:
        frame, seqs, yy = test
        cols = model.prediction_columns(seqs)
        pred = frame.reset_index(drop=True).copy()
        for name, values in cols.items():
            pred[name] = values
        write_table(pred, stage / "predictions.csv")
        for j, (col, t) in enumerate(zip(model.label_cols, types)):
            ok = ~np.isnan(yy[:, j])
            if t == "binary" and len(set(yy[ok, j])) == 2:
                rep.add_classification(yy[ok, j], np.asarray(cols[f"{col}_prob"])[ok], name=col)
            elif t == "regression" and ok.sum() > 1:
                rep.add_regression(yy[ok, j], np.asarray(cols[f"{col}_pred"])[ok], name=col)
    curves = [{k: v for k, v in h.items() if k in ("epoch", "train_loss", "valid_loss")}
              for h in metrics.get("history", [])]  # fmt: skip
    rep.add_learning_curves(curves)
    rep.write(stage / "report.html")
    shown = (
        "no test set"
        if not isinstance(test_m, dict)
        else ", ".join(f"{k} {v:.3f}" for k, v in test_m.items() if isinstance(v, float))
        or "see metrics.json"
    )
    RunDir(stage, create=False).write_card(
        title,
        {
            "Data": f"{data}: {metrics['n_train']} training rows, {metrics['rows_rejected']} rows "
            "rejected (errors.csv); labels "
            + ", ".join(config["label_cols"])
            + f" from column {config['sequence_col']}.",
            "Training": f"{'LoRA' if config['lora'] else 'full'} fine-tuning of {config['model']}, "
            f"{len(metrics.get('history', []))} epochs run (best kept), "
            f"{metrics['trainable_parameters']:,} trainable parameters, seed {config['seed']}.",
            "Test": shown,
            "Use": "`helix lm predict RUN input.csv -o out.csv` or LMPropertyModel.load(RUN). "
            "model/ is a plain transformers checkpoint; loading never runs code from this folder.",
        },
    )
