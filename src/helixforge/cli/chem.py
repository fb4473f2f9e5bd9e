"""helix chem …: molecular property models (train, predict, evaluate) and standardisation."""

from __future__ import annotations

import typer

from helixforge.cli.common import DEVICE, QUIET, SEED, console, handle_errors, out

app = typer.Typer(
    help="Molecules: property models (QSAR / ADMET), standardisation.", no_args_is_help=True
)


def _logger(quiet: bool):
    if quiet:
        return None
    return lambda msg: console.print(f"[dim]·[/] {msg}", highlight=False)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "–" if v != v else f"{v:.4g}"
    return str(v)


def _params(items: list[str]) -> dict:
    import json

    from helixforge.core.errors import ConfigError

    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--param {item!r} is not KEY=VALUE", hint="for example --param n_estimators=500"
            )
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


@app.command("train")
@handle_errors
def train_cmd(
    data: str = typer.Argument(..., help="CSV / TSV / Parquet table (gz allowed)."),
    smiles_col: str = typer.Option("smiles", "--smiles-col", help="Column holding SMILES."),
    target: list[str] = typer.Option(..., "--target", help="Label column; repeat for multi-task."),
    task: str = typer.Option(
        "auto",
        "--task",
        help="auto | regression | binary | multiclass (or one per target, comma-separated).",
    ),
    split: str = typer.Option(
        "scaffold", "--split", help="scaffold | cluster | random | stratified"
    ),
    split_col: str = typer.Option(
        None, "--split-col", help="Column of train / valid / test (overrides --split)."
    ),
    model: str = typer.Option(
        "auto", "--model", help="auto | gbm | gbm-fast | dmpnn | dmpnn-rdkit | lm:PATH"
    ),
    ensemble: int = typer.Option(1, "--ensemble", help="Number of ensemble members (seeds)."),
    param: list[str] = typer.Option(
        None, "--param", help="Model parameter KEY=VALUE (repeatable), e.g. n_estimators=500."
    ),
    coverage: float = typer.Option(
        0.9, "--coverage", help="Conformal coverage of intervals / prediction sets."
    ),
    tautomer: bool = typer.Option(
        False, "--tautomer", help="Canonicalize tautomers during standardisation."
    ),
    n_jobs: int = typer.Option(1, "--jobs", help="Processes for featurisation of big tables."),
    seed: int = SEED,
    device: str = DEVICE,
    quiet: bool = QUIET,
    out_dir: str = typer.Option("run", "--out", help="Run directory to create."),
) -> None:
    """Train a property model and write a run directory with metrics, predictions and a report."""
    from rich.table import Table

    from helixforge.chem.property import train_property_model

    run = train_property_model(
        data,
        smiles_col,
        target,
        task=task,
        split=split,
        split_col=split_col,
        model=model,
        ensemble=ensemble,
        model_params=_params(param or []),
        seed=seed,
        coverage=coverage,
        tautomer=tautomer,
        device=device,
        n_jobs=n_jobs,
        out=out_dir,
        quiet=quiet,
        log=_logger(quiet),
    )
    table = Table(
        "split",
        "target",
        "metric",
        "value",
        title=f"{run.config['model']} × {run.config['ensemble']}",
    )
    for part in ("valid", "test"):
        for t, m in run.metrics.get(part, {}).items():
            if t.startswith("_"):
                continue
            for k in (
                "rmse",
                "mae",
                "r2",
                "spearman",
                "roc_auc",
                "pr_auc",
                "accuracy",
                "interval_coverage",
                "set_coverage",
            ):
                if k in m:
                    table.add_row(part, t, k, _fmt(m[k]))
    out.print(table)
    for note in run.metrics.get("notes", []):
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    out.print(f"run: {run.run_dir}\nreport: {run.report}", highlight=False)


@app.command("predict")
@handle_errors
def predict_cmd(
    run_dir: str = typer.Argument(..., help="Run directory written by `helix chem train`."),
    input: str = typer.Argument(..., help="Table of molecules to predict."),
    out_path: str = typer.Option(..., "--out", help="Output table (csv / tsv / parquet)."),
    smiles_col: str = typer.Option(
        None, "--smiles-col", help="SMILES column (default: the training column name, or 'smiles')."
    ),
    chunk_size: int = typer.Option(10_000, "--chunk-size", help="Rows per chunk (resumable)."),
    n_jobs: int = typer.Option(
        -1, "--jobs", help="Processes for standardisation + featurisation (-1: all CPUs)."
    ),
    quiet: bool = QUIET,
) -> None:
    """Predict new molecules: prediction, ensemble spread, conformal interval / set, AD flag."""
    from rich.progress import Progress

    from helixforge.chem.property import predict_property

    with Progress(console=console, disable=quiet, transient=True) as bar:
        task_id = bar.add_task("predicting", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=total)

        summary = predict_property(
            run_dir,
            input,
            out_path,
            smiles_col=smiles_col,
            chunk_size=chunk_size,
            n_jobs=n_jobs,
            progress=progress,
        )
    msg = f"{summary['predicted']} of {summary['rows']} rows predicted → {summary['out']}"
    if "in_domain_fraction" in summary:
        msg += f" ({summary['in_domain_fraction']:.0%} in the applicability domain)"
    out.print(msg, highlight=False)
    if summary["errors"]:
        console.print(
            f"[yellow]{summary['errors']} rows rejected[/] → {summary['errors_path']}",
            highlight=False,
        )


@app.command("evaluate")
@handle_errors
def evaluate_cmd(
    run_dir: str = typer.Argument(..., help="Run directory written by `helix chem train`."),
    data: str = typer.Argument(..., help="Labelled table (same target column names)."),
    smiles_col: str = typer.Option(None, "--smiles-col"),
    target: list[str] = typer.Option(
        None, "--target", help="Targets to score (default: all the model has)."
    ),
    out_dir: str = typer.Option(
        None, "--out", help="Where to write (default RUN/evaluations/<name>)."
    ),
) -> None:
    """Score a trained model on a new labelled table (metrics, predictions, report)."""
    from rich.table import Table

    from helixforge.chem.property import evaluate_property

    res = evaluate_property(
        run_dir, data, smiles_col=smiles_col, targets=target or None, out=out_dir
    )
    table = Table("target", "metric", "value", title=f"{res['n_molecules']} molecules")
    for t, m in res["metrics"].items():
        for k, v in m.items():
            table.add_row(t, k, _fmt(v))
    out.print(table)
    for note in res["notes"]:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    out.print(f"report: {res['report']}", highlight=False)


@app.command("standardize")
@handle_errors
def standardize_cmd(
    input: str = typer.Argument(..., help="Table with a SMILES column."),
    out_path: str = typer.Option(..., "--out", help="Output table."),
    smiles_col: str = typer.Option("smiles", "--smiles-col"),
    tautomer: bool = typer.Option(
        False, "--tautomer", help="Also canonicalize tautomers (slower)."
    ),
    n_jobs: int = typer.Option(1, "--jobs"),
) -> None:
    """Standardize SMILES (salts stripped, neutralised, canonical); rejected rows to <out>.errors.csv."""
    from helixforge.chem.standardize import standardize_file

    res = standardize_file(input, out_path, smiles_col=smiles_col, tautomer=tautomer, n_jobs=n_jobs)
    out.print(f"{res['ok']} of {res['rows']} rows standardized → {res['out']}", highlight=False)
    if res["errors"]:
        console.print(
            f"[yellow]{res['errors']} rows rejected[/] → {res['errors_path']}", highlight=False
        )
