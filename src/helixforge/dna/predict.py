"""`helix dna predict` and `helix dna evaluate`: apply a trained run to new sequences.

    predict_sequences("runs/tf0", "new.fa", out="pred.csv")      # + pred.errors.csv
    evaluate_sequences("runs/tf0", "test.csv", out="runs/tf0_eval")

Predictions keep every input column and add `<label>_pred` / `_prob` / `_set` (see
`dna.outputs`). Every input row is either in the predictions or in the errors table. Outputs
are checked before any work and written atomically (the evaluation directory is built in a
staging directory and swapped in).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from helixforge.core.errors import InputError, NoUsableRowsError, RowErrors
from helixforge.dna.outputs import (
    conformal_metrics,
    conformal_ok,
    prediction_frame,
    score,
    write_report,
)
from helixforge.dna.reader import read_sequence_input


def model_dir(run: str | os.PathLike) -> Path:
    """The model folder of a run directory (or the folder itself when it is one)."""
    d = Path(run)
    if not d.exists():
        raise InputError(
            f"{d}: run directory not found", hint="pass the --out directory of `helix dna train`"
        )
    return d / "model" if (d / "model").is_dir() else d


def _run_info(run: str | os.PathLike) -> tuple[dict[str, Any] | None, str]:
    """The run's conformal calibration (None for bare model folders) and its label name."""
    from helixforge.dna.models.storage import read_json

    d = Path(run)
    cal = read_json(d / "conformal.json") if (d / "conformal.json").exists() else None
    cfg = read_json(d / "config.json") if (d / "model").is_dir() else {}
    return cal, str((cfg or {}).get("label_col") or "label")


def errors_path(out: str | os.PathLike) -> Path:
    """`pred.csv` → `pred.errors.csv` (beside the predictions)."""
    p = Path(out)
    return p.with_name(p.name.split(".")[0] + ".errors.csv")


def predict_sequences(
    run: str | os.PathLike,
    input: str | os.PathLike,
    out: str | os.PathLike,
    seq_col: str = "sequence",
    *,
    id_col: str | None = None,
    genome: str | os.PathLike | None = None,
    flank: int = 0,
    iupac: str = "error",
    device: str = "auto",
    chunk_size: int = 20000,
    overwrite: bool = False,
    quiet: bool = True,
):
    """Predict every sequence of `input` (table / FASTA / BED+genome) with a trained run.

    Writes `out` and `<out stem>.errors.csv` (rows that could not be scored: bad characters,
    longer than the model accepts, …). Returns the prediction frame.
    """
    import pandas as pd

    from helixforge.core.io import check_output
    from helixforge.core.options import require_int
    from helixforge.core.progress import progress
    from helixforge.core.tables import write_table
    from helixforge.dna.models import load_sequence_model

    require_int(chunk_size, "--chunk-size")
    out_path = check_output(out, overwrite=overwrite)
    err_path = check_output(errors_path(out_path), overwrite=overwrite)
    model = load_sequence_model(model_dir(run), device=device)
    cal, target = _run_info(run)
    errors = RowErrors(input)
    data = read_sequence_input(
        input, seq_col, None, id_col=id_col, genome=genome, flank=flank, iupac=iupac,
        max_len=getattr(model, "max_len", None), errors=errors,
    )  # fmt: skip
    task, classes = model.task, getattr(model, "classes_", None)
    frames = []
    with progress("predicting", total=len(data), quiet=quiet, unit="seq") as advance:
        for start in range(0, len(data), chunk_size):
            part = data.take(range(start, min(start + chunk_size, len(data))))
            pred = model.predict(part.sequences)
            frames.append(prediction_frame(part, pred, task, classes, target, cal))
            advance(len(part))
    errors.write(err_path)
    if not frames:
        raise NoUsableRowsError(
            f"{input}: no sequence could be scored", hint=f"see {err_path}:\n{errors.summary()}"
        )
    result = pd.concat(frames, ignore_index=True)
    write_table(result, out_path)
    return result


def evaluate_sequences(
    run: str | os.PathLike,
    data: str | os.PathLike,
    seq_col: str = "sequence",
    label_col: str = "label",
    *,
    id_col: str | None = None,
    labels: str | os.PathLike | None = None,
    genome: str | os.PathLike | None = None,
    flank: int = 0,
    iupac: str = "error",
    out: str | os.PathLike | None = None,
    device: str = "auto",
    overwrite: bool = False,
) -> dict[str, float]:
    """Score a trained run on labelled data; with `out`, also write metrics.json,
    predictions.csv, errors.csv and report.html there. Returns the metrics."""
    from helixforge.core.artifacts import RunDir
    from helixforge.core.io import check_output, staging_dir
    from helixforge.core.tables import write_table
    from helixforge.dna.models import load_sequence_model

    final = check_output(out, overwrite=overwrite, kind="dir") if out is not None else None
    model = load_sequence_model(model_dir(run), device=device)
    cal, target = _run_info(run)
    errors = RowErrors(data)
    df = read_sequence_input(
        data, seq_col, label_col, id_col=id_col, labels=labels, genome=genome, flank=flank,
        iupac=iupac, max_len=getattr(model, "max_len", None), errors=errors,
    )  # fmt: skip
    if len(df) == 0:
        raise NoUsableRowsError(f"{data}: no usable labelled rows", hint=errors.summary())
    task, classes = model.task, getattr(model, "classes_", None)
    pred = model.predict(df.sequences)
    metrics = score(task, df.labels, pred, classes)
    if conformal_ok(cal):
        metrics.update(conformal_metrics(cal, task, df.labels, pred, classes))
    metrics["rows_in"] = df.rows_in
    metrics["rows_rejected"] = len(errors)
    if final is not None:
        with staging_dir(final, keep_on_error=False) as stage:
            rd = RunDir(stage)
            rd.save_metrics({"evaluation": metrics})
            errors.write(rd / "errors.csv")
            write_table(
                prediction_frame(df, pred, task, classes, target, cal), rd / "predictions.csv"
            )
            info = {"model": str(run), "data": str(data), "split": "evaluation",
                    "sizes": {"test": len(df)}, "rows_rejected": len(errors)}  # fmt: skip
            write_report(
                rd / "report.html", task, df, pred, {"evaluation": metrics}, [], classes, info
            )
    return metrics
