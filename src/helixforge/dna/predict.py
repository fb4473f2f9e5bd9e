"""`helix dna predict` and `helix dna evaluate`: a trained run applied to new sequences, through
the supervised-run layer (`core.supervised`).

    predict_sequences("runs/tf0", "new.fa", out="pred.csv")      # + pred.errors.csv
    evaluate_sequences("runs/tf0", "test.csv", out="runs/tf0_eval")

Predictions keep every input column (FASTA/BED inputs: id, description or the BED columns, and
`sequence`), add `row` (the file line) and the prediction columns of the one naming
(`T_pred`, `T_prob` / `T_prob_<class>`, `T_std`, `T_lower`/`T_upper`, `T_set`). Prediction runs
in chunks that are kept until the output is whole (`resume=True` continues an interrupted
run). Every input row is either in the predictions or in the errors table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ColumnNotFoundError, ConfigError, NoUsableRowsError, RowErrors
from helixforge.core.io import check_not_input
from helixforge.core.supervised import TrainedRun, predict_table
from helixforge.dna.io import is_fasta, is_fastq
from helixforge.dna.reader import clean_rows, is_bed, read_sequence_input, sequence_chunks


def _loader(name: str):
    from helixforge.dna.models import model_class

    return model_class(name)


class SequencePredictor(TrainedRun):
    """A DNA run directory ready to predict: its ensemble on `device`, calibration, and the
    longest sequence every member accepts."""

    def __init__(self, run_dir: str | os.PathLike, device: str = "auto"):
        from helixforge.lm.inputs import as_path

        super().__init__(as_path(run_dir, "run directory"), _loader, domain="dna")
        for m in self.ensemble.members:
            m.to_device(device)
        limits = [m.max_len for m in self.ensemble.members if getattr(m, "max_len", None)]
        self.max_len = min(limits) if limits else None
        # one k-mer of a language model's tokenizer: a shorter sequence is [UNK] alone
        self.min_len = max(
            [int(getattr(m, "min_len", 1) or 1) for m in self.ensemble.members] + [1]
        )

    def prepare(self, iupac: str = "error", id_col: str | None = None):
        """The per-chunk step for `predict_table`: sequences checked and cleaned; empty,
        invalid and too-long ones go to the errors table."""

        def prepare(frame, col: str, source: str):
            errs = RowErrors(source)
            if id_col and id_col not in frame.columns:  # was ignored: ids fell back to lines
                raise ColumnNotFoundError([id_col], frame.columns, source)
            if id_col:
                ids = [str(v) for v in frame[id_col]]
            else:
                ids = [f"line{i}" for i in frame.index]
            keep, seqs = clean_rows(
                frame, list(frame[col]), ids, errs, col, iupac=iupac, max_len=self.max_len,
                min_len=self.min_len,
            )  # fmt: skip
            return frame.iloc[keep], seqs, errs, None

        return prepare


def _check_input_options(flank: int | None, iupac: str | None) -> None:
    """--flank / --iupac as given (None: the run's), refused before any work when invalid."""
    from helixforge.core.options import require_choice, require_int
    from helixforge.dna.sequence import IUPAC_POLICIES

    if flank is not None:
        require_int(flank, "--flank", min_value=0)
    if iupac is not None:
        require_choice(iupac, "--iupac", IUPAC_POLICIES)


def run_input_options(
    config: dict[str, Any], flank: int | None, iupac: str | None
) -> tuple[int, str]:
    """(flank, iupac) for reading new inputs: the values given, else those the run was trained
    with. A model trained on BED intervals with --flank 100 was given the bare intervals (200
    bases fewer context, no word said), and one trained with --iupac n refused every row
    holding an R."""
    if flank is None:
        flank = int(config.get("flank") or 0)
    if iupac is None:
        iupac = str(config.get("iupac") or "error")
    return flank, iupac


def predict_sequences(
    run: str | os.PathLike,
    input: str | os.PathLike,
    out: str | os.PathLike,
    seq_col: str | None = None,
    *,
    id_col: str | None = None,
    genome: str | os.PathLike | None = None,
    flank: int | None = None,
    iupac: str | None = None,
    device: str = "auto",
    chunk_size: int = 20000,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = True,
) -> dict[str, Any]:
    """Predict every sequence of `input` (table / FASTA / BED + genome) with a trained run.

    Writes `out` and `<out stem>.errors.csv` (rows that could not be scored: bad characters,
    longer than the model accepts, …). `seq_col` defaults to the training column, `flank` and
    `iupac` to the run's (`run_input_options`). Returns {rows, predicted, errors, out,
    errors_path}."""
    from helixforge.core.io import check_output
    from helixforge.core.options import require_int
    from helixforge.lm.inputs import as_path

    require_int(chunk_size, "--chunk-size", min_value=1)
    _check_input_options(flank, iupac)
    for value, name in ((run, "run"), (input, "input"), (out, "out")):
        as_path(value, name)  # None or a non-path is named before any work
    check_not_input(out, [input, genome])
    check_output(out, overwrite=overwrite)
    predictor = SequencePredictor(run, device=device)
    flank, iupac = run_input_options(predictor.config, flank, iupac)
    col = seq_col or predictor.config.get("seq_col") or "sequence"
    if is_fasta(input) or is_fastq(input) or is_bed(input):
        col = "sequence"  # the column the FASTA / BED reader fills

    def chunks(path: str, size: int, column: str):
        extra = [id_col] if id_col else []
        return sequence_chunks(path, size, column, genome=genome, flank=flank, extra_cols=extra)

    return predict_table(
        predictor,
        input,
        out,
        prepare=predictor.prepare(iupac, id_col),
        input_col=col,
        chunk_size=chunk_size,
        resume=resume,
        overwrite=overwrite,
        options={"iupac": iupac, "flank": flank, "genome": str(genome) if genome else None},
        quiet=quiet,
        read_chunks=chunks,
    )


def evaluate_sequences(
    run: str | os.PathLike,
    data: str | os.PathLike,
    seq_col: str | None = None,
    label_col: str | None = None,
    *,
    id_col: str | None = None,
    labels: str | os.PathLike | None = None,
    genome: str | os.PathLike | None = None,
    flank: int | None = None,
    iupac: str | None = None,
    out: str | os.PathLike | None = None,
    device: str = "auto",
    overwrite: bool = False,
) -> dict[str, Any]:
    """Score a trained run on labelled data; with `out`, also write metrics.json,
    predictions.csv, errors.csv and report.html there. `flank` and `iupac` default to the
    run's (`run_input_options`). Returns {"metrics": {T: {…}}, …}."""
    from helixforge.core.io import check_output
    from helixforge.core.supervised import score_predictions

    _check_input_options(flank, iupac)
    check_not_input(out, [run, data, labels, genome])
    final = check_output(out, overwrite=overwrite, kind="dir") if out is not None else None
    predictor = SequencePredictor(run, device=device)
    flank, iupac = run_input_options(predictor.config, flank, iupac)
    target = predictor.targets[0]
    col = seq_col or predictor.config.get("seq_col") or "sequence"
    errors = RowErrors(data)
    df = read_sequence_input(
        data, col, label_col or target, id_col=id_col, labels=labels, genome=genome,
        flank=flank, iupac=iupac, max_len=predictor.max_len, min_len=predictor.min_len,
        errors=errors,
    )  # fmt: skip
    y, keep = _model_labels(df.labels, predictor, errors, df.frame.index, label_col or target)
    df = df.take(keep)
    if len(df) == 0:
        raise NoUsableRowsError(f"{data}: no usable labelled rows", hint=errors.summary())
    preds = predictor.predict_frame(df.sequences)
    tt = predictor.task_types
    metrics, notes = score_predictions(y[:, None], preds, [target], tt, predictor.classes)
    result: dict[str, Any] = {
        "data": str(data),
        "rows_in": df.rows_in,
        "n_scored": len(df),
        "rows_rejected": len(errors),
        "metrics": metrics,
        "notes": notes,
    }
    if final is not None:
        _write_evaluation(final, result, df, preds, y, predictor, errors, run)
        result["out"] = str(final)
    return result


def _model_labels(raw, predictor: SequencePredictor, errors: RowErrors, lines, col: str):
    """Labels as the run's class indices (values for regression); labels the run never saw
    go to the errors table. Returns (y, positions kept)."""
    import pandas as pd

    from helixforge.core.supervised import encode_labels

    tt = predictor.task_types[0]
    frame = pd.DataFrame({"y": list(raw)}, dtype=object)
    if tt == "regression":
        y = encode_labels(frame, ["y"], ["regression"])[0][:, 0]
    else:  # matched by class_key: True, 'TRUE', 1 and '1.0' are one class
        from helixforge.core.supervised.tasks import class_indices

        y = class_indices(list(raw), predictor.classes.get(predictor.targets[0], []))[0]
    bad = ~np.isfinite(y)
    for line, v in zip(np.asarray(lines)[bad], np.asarray(list(raw), dtype=object)[bad]):
        errors.add(int(line), col, v, "label is not a class the model was trained on")
    keep = np.flatnonzero(~bad)
    return y[keep], keep


def _write_evaluation(final: Path, result, df, preds, y, predictor, errors, run) -> None:

    from helixforge.core.artifacts import save_json
    from helixforge.core.io import staging_dir
    from helixforge.core.report import Report
    from helixforge.core.supervised.rundir import add_task_plots, metrics_table
    from helixforge.core.tables import write_table

    target = predictor.targets[0]
    with staging_dir(final, keep_on_error=False) as stage:
        save_json(result, stage / "metrics.json")
        errors.write(stage / "errors.csv")
        frame = df.frame.copy()
        if "sequence" not in frame.columns:
            frame["sequence"] = df.sequences
        frame.insert(0, "row", frame.index.astype(int))
        clash = [c for c in preds.columns if c in frame.columns]
        if clash:
            raise ConfigError(
                f"{df.source}: the input already has column(s) {clash}",
                hint="rename them; prediction columns are named <label>_pred / _prob / _set",
            )
        for c in preds.columns:
            frame[c] = preds[c].to_numpy()
        write_table(frame.reset_index(drop=True), stage / "predictions.csv")
        rep = Report(f"Evaluation — {target}", f"run {run} on {result['data']}")
        rep.add_text(f"{len(df)} sequences scored, {len(errors)} rows rejected (errors.csv).")
        for n in result["notes"]:
            rep.add_text(f"Note: {n}")
        shown = metrics_table({"test": result["metrics"]}, list(result["metrics"]))
        rep.add_table(shown.drop(columns="split"), na="n/a")  # undefined metrics read n/a
        add_task_plots(rep, y[:, None], preds, predictor.config, "evaluation")
        rep.write(stage / "report.html")
