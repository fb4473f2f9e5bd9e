"""The one supervised-run layer: every "train a model on labelled inputs" verb goes through it.

A domain (chem, dna, lm, crispr) supplies only: a reader that turns its file into
`LabelledData` (inputs = strings, y = float label matrix), a model factory (an object with
fit / predict / save / load, see `helixforge.core.estimator`), and a loader from model name to
model class. This layer does the rest, identically everywhere: task detection, label encoding,
splits, ensembles, conformal columns, metrics, the run directory (config.json, versions.json,
model/ with an integrity manifest, metrics.json, predictions.csv, errors.csv, card.md,
report.html — built in a staging folder and swapped in) and chunked, resumable prediction.

Worked example — a DNA classifier, no chem code needed:

    from helixforge.core.errors import RowErrors
    from helixforge.core.tables import read_table
    from helixforge.core.supervised import (
        LabelledData, TrainedRun, clean_labels, encode_labels, predict_table,
        resolve_tasks, train_supervised,
    )

    # 1. read: every bad row goes to `errors` with its file line (the frame's index)
    errors = RowErrors("promoters.csv")
    df = read_table("promoters.csv", columns=["sequence", "label"], errors=errors)
    df = clean_labels(df, ["label"], errors, source="promoters.csv")  # inf/text → errors
    ok = df["sequence"].str.fullmatch("[ACGTN]+", na=False)
    for line in df.index[~ok]:
        errors.add(int(line), "sequence", df.at[line, "sequence"], "not a DNA sequence")
    df = df[ok]
    # 2. tasks and labels: one rule (binary / multiclass / regression), text classes allowed
    task_types, notes = resolve_tasks("auto", df, ["label"])
    y, classes = encode_labels(df, ["label"], task_types)      # "promoter"/"other" → 1/0
    data = LabelledData(
        frame=df, inputs=df["sequence"].tolist(), y=y, targets=["label"],
        task_types=task_types, classes=classes, errors=errors, notes=notes,
        source="promoters.csv", input_col="sequence",
        split_args={"groups": df["chrom"].to_numpy()},      # for split="group"/"chromosome"
    )
    # 3. train: N members (seeds seed..seed+N-1), conformal at `coverage`, run dir at `out`
    run = train_supervised(
        data, lambda: CNNClassifier(epochs=5), domain="dna", model_name="cnn",
        split="random", ensemble=3, seed=0, coverage=0.9, out="runs/promoters",
        overwrite=False, config={"max_len": 512},
    )
    run.metrics["test"]["label"]["roc_auc"], run.metrics["test"]["label"]["coverage"]

    # 4. predict a big table in resumable chunks; every row → output or errors table
    trained = TrainedRun("runs/promoters", loader=lambda name: CNNClassifier, domain="dna")

    def prepare(frame, col, source):          # the domain's per-chunk cleaning
        errs = RowErrors(source)
        ...                                   # errs.add(line, col, value, reason)
        return frame, frame[col].tolist(), errs, None   # rows, inputs, errors, features

    predict_table(trained, "new.csv", "new_pred.csv", prepare=prepare, chunk_size=10_000,
                  resume=True)

Columns written for a target T: `T_pred`, `T_prob` (binary, P(second class)), `T_prob_<class>`
(multiclass), `T_std`, `T_lower`/`T_upper` (regression interval), `T_set` ("a|b"). metrics.json:
{"train"|"valid"|"test": {T: {metric: value}}} with conformal `coverage` and `interval_width`
or `set_size`. The task rule is in `helixforge.core.supervised.tasks`.
"""

from __future__ import annotations

from helixforge.core.supervised.columns import (
    coverage_metrics,
    fit_conformal,
    join_sets,
    prediction_columns,
    score_predictions,
    task_metrics,
)
from helixforge.core.supervised.data import ExtraColumns, FeatureSource, LabelledData
from helixforge.core.supervised.ensemble import Ensemble, check_manifest, write_manifest
from helixforge.core.supervised.labels import clean_labels
from helixforge.core.supervised.predict import (
    TrainedRun,
    errors_path_for,
    load_run_config,
    predict_table,
)
from helixforge.core.supervised.tasks import (
    TASK_TYPES,
    class_name,
    decode_labels,
    detect_task,
    encode_labels,
    resolve_tasks,
)
from helixforge.core.supervised.train import (
    RESUME_FILE,
    Prefitted,
    SupervisedRun,
    prepare_resume_stage,
    resumable_stage,
    split_rows,
    train_members,
    train_supervised,
)

__all__ = [
    "RESUME_FILE",
    "TASK_TYPES",
    "Ensemble",
    "ExtraColumns",
    "FeatureSource",
    "LabelledData",
    "Prefitted",
    "SupervisedRun",
    "TrainedRun",
    "check_manifest",
    "class_name",
    "clean_labels",
    "coverage_metrics",
    "decode_labels",
    "detect_task",
    "encode_labels",
    "errors_path_for",
    "fit_conformal",
    "join_sets",
    "load_run_config",
    "predict_table",
    "prediction_columns",
    "prepare_resume_stage",
    "resumable_stage",
    "resolve_tasks",
    "score_predictions",
    "split_rows",
    "task_metrics",
    "train_members",
    "train_supervised",
    "write_manifest",
]
