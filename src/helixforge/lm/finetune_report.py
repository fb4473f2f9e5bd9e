"""The run directory of a token-classification fine-tune, written with the shared pieces.

Sequence-level fine-tunes are written entirely by `helixforge.core.supervised` (its run
directory, card and report). Token classification trains on its own path
(`helixforge.lm.finetune_token`) but its folder has the same layout: the model through
`core.supervised.Ensemble` (member_0 + manifest.json), config / metrics / versions through
`core.artifacts.RunDir`, the metrics table of `core.supervised.rundir`, a `core.report.Report`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import RowErrors


def _metric_lines(metrics: dict[str, Any]) -> str:
    lines = []
    for part in ("valid", "test"):
        for t, m in metrics.get(part, {}).items():
            shown = ", ".join(
                f"{k}={v:.3f}" for k, v in m.items() if isinstance(v, float) and np.isfinite(v)
            )
            lines.append(f"- {part} / {t} (per position): {shown}")
    return "\n".join(lines) or "(no validation or test table given)"


def write_token_card(run, config: dict[str, Any], metrics: dict[str, Any]) -> Path:
    """card.md of a token-classification run."""
    label = config["targets"][0]
    return run.write_card(
        f"Model card — {label} (per position)",
        {
            "Model": f"{'LoRA' if config.get('lora') else 'full'} fine-tuning of "
            f"{config['base_model']} for token classification ({config['n_classes']} classes), "
            f"{config['trainable_parameters']:,} trainable parameters, seed {config['seed']}.",
            "Data": f"{config['data']}; {config['n_rows']} rows used "
            f"({config['split_sizes']}); {config['n_rejected_rows']} rows rejected "
            f"(errors.csv). Labels: one integer per character of {config['input_col']!r} "
            f"in column {label!r}.",
            "Metrics": _metric_lines(metrics),
            "Uncertainty": "none: per-position class probabilities only (no ensemble, no "
            "conformal sets).",
            "Intended use and limits": config.get("card_limits", ""),
        },
    )


def write_token_report(
    path: Path, config: dict[str, Any], metrics: dict[str, Any], history, errors: RowErrors
) -> Path:
    """report.html: summary, per-position metrics, learning curve, rejected rows."""
    from helixforge.core.report import Report
    from helixforge.core.supervised.rundir import metrics_table

    targets = config["targets"]
    rep = Report(
        f"lm model — {', '.join(targets)} (per position)",
        f"{config['model']} · split {config['split']} · data {config['data']}",
    )
    rep.add_heading("Summary")
    rep.add_text(
        f"{config['n_rows']} rows used ({config['n_rejected_rows']} rows rejected, see "
        f"errors.csv). Split sizes: {config['split_sizes']}. Task: token-classification "
        f"with {config['n_classes']} classes."
    )
    for note in metrics.get("notes", []):
        rep.add_text(f"Note: {note}")
    table = metrics_table(metrics, targets)
    if len(table):
        rep.add_heading("Metrics (per position)")
        rep.add_table(table)
    if history:
        rep.add_heading("Learning curves")
        rep.add_learning_curves(history, name="(validation loss)")
    if len(errors):
        rep.add_heading("Rejected rows (first 20)")
        rep.add_table(errors.to_frame().head(20))
    return rep.write(path)


def write_token_run(
    stage: Path,
    *,
    model,
    config: dict[str, Any],
    metrics: dict[str, Any],
    errors: RowErrors,
    predictions: pd.DataFrame,
    sources: list[str | os.PathLike],
    report: bool,
) -> Path | None:
    """Every file of a token-classification run directory into `stage`; the report path."""
    from helixforge.core.artifacts import RunDir
    from helixforge.core.supervised import Ensemble
    from helixforge.core.tables import write_table

    run = RunDir(stage)
    Ensemble([model], "lm", config["task_types"]).save(stage / "model")
    errors.write(stage / "errors.csv")
    write_table(predictions, stage / "predictions.csv")
    run.save_metrics(metrics)
    run.save_config(config)
    run.save_versions(sources or None)
    write_token_card(run, config, metrics)
    if not report:
        return None
    return write_token_report(stage / "report.html", config, metrics, model.history, errors)
