"""helix chem …: molecular property models (train, predict, evaluate) and standardisation."""

from __future__ import annotations

import typer

from helixforge.chem.models import MODEL_NAMES
from helixforge.cli.common import (
    DEVICE,
    OVERWRITE,
    QUIET,
    RESUME,
    SEED,
    choice,
    chunk_size_option,
    column_name,
    coverage_option,
    handle_errors,
    input_col_option,
    jobs_option,
    label_col_option,
    logger,
    model_spec,
    out,
    out_option,
    path_value,
    refuse_finished_resume,
    resolve_jobs,
    say,
)
from helixforge.lm.checks import require_device, require_table_suffix

MODEL_HELP = (
    " | ".join(("auto", *MODEL_NAMES))
    + ". auto: gbm unless a MiniMol model or a blend of the best two beats it in"
    " scaffold-grouped CV on the training split by more than the fold-to-fold noise"
    " (docs/chem.md); minimol-* need the 'pretrained' extra; blend:A+B@W weights A by W."
)

app = typer.Typer(
    help="Molecules: property models (QSAR / ADMET), standardisation.", no_args_is_help=True
)
SHOWN_METRICS = ("rmse", "mae", "r2", "spearman", "roc_auc", "pr_auc", "accuracy", "coverage")


METRIC_NAMES = (
    "accuracy",
    "balanced_accuracy",
    "brier",
    "f1",
    "mae",
    "mcc",
    "pearson",
    "pr_auc",
    "r2",
    "rmse",
    "roc_auc",
    "spearman",
)  # fmt: skip  (core.metrics.ALL; another name is left to the library, which lists them)
_chem_names = model_spec("auto", *(n for n in MODEL_NAMES if ":" not in n))


def _chem_model(value: str | None) -> str | None:
    """--model: a name in any case (GBM → gbm); a blend checked whole, so `blend:A+B@` (no
    weight) or `blend:A++B` is refused with the valid form before any work."""
    if value is not None and str(value).strip().lower().startswith("blend:"):
        from helixforge.chem.selection import check_blend_spec
        from helixforge.core.errors import ConfigError

        try:
            return check_blend_spec(value)
        except ConfigError as exc:
            raise typer.BadParameter(
                f"{exc.message.removeprefix('--model ')}; {exc.hint}"
            ) from None
    return _chem_names(value)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "–" if v != v else f"{v:.4g}"
    return str(v)


def _print_notes(notes) -> None:
    for note in notes:
        say(f"note: {note}", "yellow")


@app.command("train")
@handle_errors
def train_cmd(
    data: str = typer.Argument(
        ...,
        callback=path_value,
        help="CSV / TSV / Parquet table (gz allowed), or an SD file (labels and split from"
        " its data items).",
    ),
    smiles_col: str = input_col_option("smiles", "Column holding SMILES.", "--smiles-col"),
    target: list[str] = label_col_option(
        ..., "Label column; repeat for multi-task.", "--target", "--target-col"
    ),
    task: str = typer.Option(
        "auto",
        "--task",
        callback=choice("auto", "regression", "binary", "multiclass", lists=True),
        help="auto | regression | binary | multiclass (or one per target, comma-separated).",
    ),
    split: str = typer.Option(
        "scaffold",
        "--split",
        callback=choice("scaffold", "cluster", "random", "stratified"),
        help="scaffold | cluster | random | stratified",
    ),
    split_col: str = typer.Option(
        None,
        "--split-col",
        callback=column_name,
        help="Column of train / valid / test (overrides --split).",
    ),
    model: str = typer.Option(
        "auto",
        "--model",
        callback=_chem_model,
        help=MODEL_HELP,
    ),
    metric: str = typer.Option(
        None,
        "--metric",
        callback=choice(*METRIC_NAMES, strict=False),
        help="With --model auto: compare the candidates by this metric, the one the model"
        " will be judged by (mae, rmse, r2, pearson, spearman | roc_auc, pr_auc, mcc, ...)."
        " Default: RMSE/SD (regression), 1 − ROC-AUC (binary).",
    ),
    ensemble: int = typer.Option(
        1, "--ensemble", min=1, max=100, help="Number of ensemble members (seeds)."
    ),
    param: list[str] = typer.Option(
        None,
        "--param",
        help="Model parameter KEY=VALUE (repeatable), e.g. n_estimators=500. With auto or a"
        " blend each goes to the models that accept it (n_estimators: gbm, minimol-gbm;"
        " epochs: minimol-mlp); one that none accepts is refused before any work.",
    ),
    coverage: float = coverage_option(),
    tautomer: bool = typer.Option(
        False, "--tautomer/--no-tautomer", help="Canonicalize tautomers during standardisation."
    ),
    salts: str = typer.Option(
        "keep",
        "--salts",
        callback=choice("keep", "reject"),
        help="keep | reject: inputs made only of counter-ions / inorganic salts (e.g. [Na+].[Cl-]).",
    ),
    jobs: int = jobs_option(),
    seed: int = SEED,
    device: str = DEVICE,
    quiet: bool = QUIET,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    out_dir: str = out_option("run", "Run directory to create."),
) -> None:
    """Train a property model and write a run directory with metrics, predictions and a report.
    After an interruption the same command with --resume continues it: auto's finished
    cross-validation fits and finished ensemble members are loaded, a D-MPNN goes on from its
    last finished epoch.

    Example: helix chem train assay.csv --input-col smiles --label-col pIC50 -o runs/pic50
    """
    refuse_finished_resume(out_dir, resume=resume, overwrite=overwrite)
    from rich.table import Table

    from helixforge.chem.train import train_property_model
    from helixforge.core.options import parse_params

    run = train_property_model(
        data,
        smiles_col,
        target,
        task=task,
        split=split,
        split_col=split_col,
        model=model,
        metric=metric,
        ensemble=ensemble,
        model_params=parse_params(param or []),
        seed=seed,
        coverage=coverage,
        tautomer=tautomer,
        salts=salts,
        device=require_device(device),
        n_jobs=resolve_jobs(jobs),
        out=out_dir,
        overwrite=overwrite,
        resume=resume,
        quiet=quiet,
        log=logger(quiet),
    )
    title = f"{run.config['model']} × {run.config['ensemble']}"
    table = Table("split", "target", "metric", "value", title=title)
    for part in ("valid", "test"):
        for t, m in run.metrics.get(part, {}).items():
            if t.startswith("_"):
                continue
            for k in SHOWN_METRICS:
                if k in m:
                    table.add_row(part, t, k, _fmt(m[k]))
    out.print(table)
    _print_notes(run.metrics.get("notes", []))
    if run.config.get("n_rejected_rows"):  # as predict and standardize say it, -q or not
        say(f"{run.config['n_rejected_rows']} rows rejected → {run.run_dir}/errors.csv", "yellow")
    say(f"run: {run.run_dir}", stderr=False)
    if run.report:
        say(f"report: {run.report}", stderr=False)


@app.command("predict")
@handle_errors
def predict_cmd(
    run_dir: str = typer.Argument(
        ..., callback=path_value, help="Run directory written by `helix chem train`."
    ),
    input: str = typer.Argument(
        ...,
        callback=path_value,
        help="Table of molecules to predict (csv / tsv / parquet / smi), or an SD file.",
    ),
    out_path: str = out_option(None, "Output table (csv / tsv / parquet)."),
    smiles_col: str = input_col_option(
        None, "SMILES column (default: the training column name).", "--smiles-col"
    ),
    chunk_size: int = chunk_size_option(10_000),
    jobs: int = jobs_option(),
    device: str = DEVICE,
    quiet: bool = QUIET,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
) -> None:
    """Predict new molecules: prediction, ensemble spread, conformal interval / set, AD flag.

    Example: helix chem predict runs/pic50 library.csv -o library_pred.csv
    """
    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    from helixforge.chem.predict import predict_property
    from helixforge.core.errors import ConfigError

    if not out_path:
        raise ConfigError("-o/--out is required", hint="for example -o predictions.csv")
    require_table_suffix(out_path)
    summary = predict_property(
        run_dir,
        input,
        out_path,
        smiles_col=smiles_col,
        chunk_size=chunk_size,
        n_jobs=resolve_jobs(jobs),
        resume=resume,
        overwrite=overwrite,
        device=require_device(device),
        quiet=quiet,
    )
    msg = f"{summary['predicted']} of {summary['rows']} rows predicted → {summary['out']}"
    if "in_domain_fraction" in summary:
        msg += f" ({summary['in_domain_fraction']:.0%} in the applicability domain)"
    say(msg, stderr=False)
    if summary["errors"]:
        say(f"{summary['errors']} rows rejected → {summary['errors_path']}", "yellow")


@app.command("evaluate")
@handle_errors
def evaluate_cmd(
    run_dir: str = typer.Argument(
        ..., callback=path_value, help="Run directory written by `helix chem train`."
    ),
    data: str = typer.Argument(
        ...,
        callback=path_value,
        help="Labelled table (same target column names), or an SD file (labels from its data"
        " items).",
    ),
    smiles_col: str = input_col_option(
        None, "SMILES column (default: the training column name).", "--smiles-col"
    ),
    target: list[str] = label_col_option(
        None,
        "Targets to score (default: each target of the model the table has a column for).",
        "--target",
        "--target-col",
    ),
    out_dir: str = out_option(None, "Where to write (default RUN/evaluations/<name>)."),
    jobs: int = jobs_option(),
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Score a trained model on a new labelled table (metrics, predictions, report).

    Example: helix chem evaluate runs/pic50 new_measurements.csv -o runs/pic50_eval
    """
    from rich.table import Table

    from helixforge.chem.evaluate import evaluate_property

    res = evaluate_property(
        run_dir,
        data,
        smiles_col=smiles_col,
        targets=target or None,
        out=out_dir,
        overwrite=overwrite,
        n_jobs=resolve_jobs(jobs),
        device=require_device(device),
    )
    table = Table("target", "metric", "value", title=f"{res['n_molecules']} molecules")
    for t, m in res["metrics"].items():
        for k, v in m.items():
            table.add_row(t, k, _fmt(v))
    out.print(table)
    _print_notes(res["notes"])
    if res["n_rejected_rows"]:
        say(
            f"{res['n_rejected_rows']} rows not scored (rejected, or a label not used) → "
            f"{res['out']}/errors.csv",
            "yellow",
        )
    say(f"report: {res['report']}", stderr=False)


@app.command("standardize")
@handle_errors
def standardize_cmd(
    input: str = typer.Argument(
        ..., callback=path_value, help="Table with a SMILES column, or an SD file."
    ),
    out_path: str = out_option(None, "Output table."),
    smiles_col: str = input_col_option("smiles", "Column holding SMILES.", "--smiles-col"),
    tautomer: bool = typer.Option(
        False, "--tautomer/--no-tautomer", help="Also canonicalize tautomers (slower)."
    ),
    salts: str = typer.Option(
        "keep",
        "--salts",
        callback=choice("keep", "reject"),
        help="keep | reject: inputs made only of counter-ions / inorganic salts (e.g. [Na+].[Cl-]).",
    ),
    jobs: int = jobs_option(),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Standardize SMILES (salts stripped, neutralised, canonical); rejected rows to <out>.errors.csv.

    Example: helix chem standardize raw.csv --input-col smiles -o clean.csv
    """
    from helixforge.chem.standardize import standardize_file
    from helixforge.core.errors import ConfigError
    from helixforge.core.io import check_output

    if not out_path:
        raise ConfigError("-o/--out is required", hint="for example -o clean.csv")
    require_table_suffix(out_path)
    check_output(out_path, overwrite=overwrite, kind="table", inputs=[input])
    res = standardize_file(
        input,
        out_path,
        smiles_col=smiles_col,
        tautomer=tautomer,
        salts=salts,
        n_jobs=resolve_jobs(jobs),
    )
    say(f"{res['ok']} of {res['rows']} rows standardized → {res['out']}", stderr=False)
    if res["errors"]:
        say(f"{res['errors']} rows rejected → {res['errors_path']}", "yellow")


def _register_extensions() -> None:
    """Verbs that live in their own modules (screen, admet, embed, generate, design), each
    exposing `register(app)`; a module not present in this build is skipped."""
    import importlib

    for name in ("chem_screen", "chem_admet", "chem_embed", "chem_generate", "chem_design"):
        try:
            module = importlib.import_module(f"helixforge.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"helixforge.cli.{name}":
                raise
            continue
        module.register(app)


_register_extensions()
