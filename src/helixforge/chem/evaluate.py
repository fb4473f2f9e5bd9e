"""`helix chem evaluate`: score a trained run on a new labelled table."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.inputs import check_paths
from helixforge.core.errors import ConfigError


def _training_molecules(run: Path) -> set[str]:
    """Canonical SMILES the run trained or early-stopped on (from its predictions.csv)."""
    path = Path(run) / "predictions.csv"
    if not path.exists():
        return set()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    part = "assigned_split" if "assigned_split" in df.columns else "split"
    if "canonical_smiles" not in df.columns or part not in df.columns:
        return set()
    return set(df.loc[df[part].isin(["train", "valid"]), "canonical_smiles"])


def evaluation_name(data: str | os.PathLike) -> str:
    """The default folder name of an evaluation: the data file's name without its table
    suffixes ('batch.1.csv.gz' → 'batch.1', '.hidden.csv' → 'hidden'). The name up to its
    first dot gave 'batch.1.csv' and 'batch.2.csv' one folder, and '.hidden.csv' the
    evaluations folder itself: with --overwrite one evaluation deleted the others."""
    name = Path(str(data)).name
    for suffix in (".gz", ".csv", ".tsv", ".tab", ".parquet", ".pq", ".smi", ".txt", ".sdf", ".sd"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name.strip().lstrip(".") or "data"


def _model_labels(table, predictor, targets: list[str]) -> np.ndarray:
    """The table's labels as the model's class indices, matched by `class_key` (True, 'TRUE',
    1 and '1.0' are one class); a label that is not one of the model's classes is NaN and
    recorded in the table's errors (the row is predicted but not scored on that target)."""
    from helixforge.core.supervised.tasks import class_indices

    y = table.y.copy()
    for j, t in enumerate(targets):
        if t in predictor.classes:
            classes = predictor.classes[t]
            values = table.frame[t].tolist()
            y[:, j], unknown = class_indices(values, classes)
            shown = ", ".join(repr(c) for c in classes)
            for row, v in zip(table.frame.index[unknown], np.asarray(values, object)[unknown]):
                table.errors.add(
                    int(row), t, v,
                    f"label is not a class the model was trained on ({shown}); not scored",
                )  # fmt: skip
    return y


def _targets_in_table(data: str | os.PathLike, targets: Sequence[str]) -> tuple[list, list]:
    """(the model's targets that `data` has a column for, those it lacks). None of them is a
    `ConfigError` naming the file, the model's targets and the columns present (an SD file's
    columns: its data items)."""
    from helixforge.chem.screen.library import is_sdf, sd_property_names
    from helixforge.core.tables import iter_table

    if is_sdf(data):
        columns = sd_property_names(data)
    else:
        chunks = iter_table(data, chunk_size=1, check_compressed=False)
        try:
            columns = list(next(chunks).frame.columns)
        except StopIteration:
            columns = []
        finally:
            chunks.close()
    present = [t for t in targets if t in columns]
    if not present:
        shown = ", ".join(repr(c) for c in columns[:12])
        raise ConfigError(
            f"{data}: no column is named as a target of the model ({', '.join(targets)}); "
            f"columns present: {shown}",
            hint="name the file's label column as the model's target (it scores only the "
            "targets it was trained on)",
        )
    return present, [t for t in targets if t not in columns]


def evaluate_property(
    run_dir: str | os.PathLike,
    data: str | os.PathLike,
    *,
    smiles_col: str | None = None,
    targets: Sequence[str] | None = None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    n_jobs: int = 1,
    device: str = "auto",
) -> dict[str, Any]:
    """Score a trained run on a new labelled table. Writes `out` (default
    RUN/evaluations/<data stem>/) with metrics.json, predictions.csv, errors.csv, report.html.
    An SD file (.sdf / .sd, gz allowed) is read as `chem predict` reads it, its labels from
    the records' data items (a record RDKit cannot read: a row of errors.csv by number)."""
    from helixforge.chem.predict import Predictor
    from helixforge.chem.screen.library import SDF_SMILES_COL, is_sdf
    from helixforge.chem.table import load_property_table
    from helixforge.core.artifacts import save_json
    from helixforge.core.io import check_output, staging_dir
    from helixforge.core.report import Report
    from helixforge.core.supervised import score_predictions
    from helixforge.core.supervised.rundir import add_task_plots, metrics_table
    from helixforge.core.tables import write_table

    check_paths(
        "evaluate_property",
        "write the labelled table to a .csv / .parquet file first (DataFrame.to_csv)",
        run_dir=run_dir,
        optional=("out",),
        data=data,
        out=out,
    )
    predictor = Predictor(run_dir, device=device)
    absent: list[str] = []
    if not targets:  # all the model's targets the table has (a new table often has some)
        targets, absent = _targets_in_table(data, predictor.targets)
    targets = list(targets)
    unknown = [t for t in targets if t not in predictor.targets]
    if unknown:
        raise ConfigError(
            f"--label-col {', '.join(unknown)}: the model was not trained on it",
            hint=f"its targets are {predictor.targets}",
        )
    dest = Path(out) if out else Path(run_dir) / "evaluations" / evaluation_name(data)
    check_output(dest, overwrite=overwrite, kind="dir", inputs=[data, run_dir])
    col = smiles_col or predictor.config.get("smiles_col") or "smiles"
    if is_sdf(data):  # an SD file: molecules as the `smiles` column, labels from data items
        col = smiles_col or SDF_SMILES_COL
    idx = [predictor.targets.index(t) for t in targets]
    tt = [predictor.task_types[i] for i in idx]
    table = load_property_table(
        data,
        col,
        targets,
        task=tt,
        tolerance=float("inf"),
        options=predictor.options,
        spec=predictor.spec,
        n_jobs=n_jobs,
        source=str(data),
        known_classes={t: predictor.classes[t] for t in targets if t in predictor.classes},
    )
    y = _model_labels(table, predictor, targets)
    if not np.isfinite(y).any():
        from helixforge.core.errors import NoUsableRowsError

        raise NoUsableRowsError(
            f"{data}: no row has a label the model can be scored on",
            hint=f"the first problems:\n{table.errors.summary()}",
        )
    member = predictor.ensemble.members[0]
    feats = table.features(member, np.arange(len(table))) if table.features else None
    preds = predictor.predict_smiles(table.inputs, features=feats)
    metrics, notes = score_predictions(y, preds, targets, tt, predictor.classes)
    if absent:
        notes.insert(0, f"not scored: {', '.join(absent)} (the model's target(s) that {data} "
                        "has no column for)")  # fmt: skip
    seen = _training_molecules(predictor.path) & set(table.inputs)
    result: dict[str, Any] = {
        "data": str(data),
        "n_molecules": len(table),
        "n_rejected_rows": len(table.errors),
        "n_seen_in_training": len(seen),
        "metrics": metrics,
        "notes": notes,
    }
    if seen:
        unseen = ~np.isin(np.asarray(table.inputs), list(seen))
        notes.append(
            f"{len(seen)} of {len(table)} molecules were in the model's training or "
            "validation data; 'metrics' include them, 'metrics_unseen' leave them out"
        )
        if unseen.any():
            result["metrics_unseen"] = score_predictions(
                y[unseen], preds[unseen].reset_index(drop=True), targets, tt, predictor.classes
            )[0]
    if "in_domain" in preds:
        result["in_domain_fraction"] = float(preds["in_domain"].mean())
    with staging_dir(dest, keep_on_error=False) as stage:
        save_json(result, stage / "metrics.json")
        table.errors.write(stage / "errors.csv")
        frame = table.frame.copy()  # input columns named like an output one get input_
        frame = frame.rename(columns={c: f"input_{c}" for c in frame if c in preds or c == "row"})
        frame.insert(0, "row", frame.index.astype(int))
        for c in preds.columns:
            frame[c] = preds[c].to_numpy()
        write_table(frame.reset_index(drop=True), stage / "predictions.csv")
        rep = Report(f"Evaluation — {', '.join(targets)}", f"run {run_dir} on {data}")
        rep.add_text(f"{len(table)} molecules scored, {len(table.errors)} rows rejected.")
        for n in notes:
            rep.add_text(f"Note: {n}")
        # an undefined metric reads n/a; one another target's task has is an empty cell
        shown = metrics_table({"test": metrics}, list(metrics)).drop(columns="split")
        rep.add_table(shown, na="n/a")
        cfg = {**predictor.config, "targets": targets, "task_types": tt}
        add_task_plots(rep, y, preds, cfg, "evaluation")
        rep.write(stage / "report.html")
    result["report"] = str(dest / "report.html")
    result["out"] = str(dest)
    return result
