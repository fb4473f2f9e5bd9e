"""helix crispr score-ontarget / train-ontarget: on-target efficiency models (SpCas9)."""

from __future__ import annotations

from pathlib import Path

import typer

from helixforge.cli.common import (
    DEVICE,
    OVERWRITE,
    QUIET,
    SEED,
    choice,
    column_name,
    coverage_option,
    float_option,
    handle_errors,
    input_col_option,
    jobs_option,
    label_col_option,
    out_option,
    path_value,
    resolve_jobs,
    say,
)


def register(app: typer.Typer) -> None:
    """Add this module's verbs to `app`."""
    app.command("score-ontarget")(score_ontarget_cmd)
    app.command("train-ontarget")(train_ontarget_cmd)


@handle_errors
def score_ontarget_cmd(
    data: Path = typer.Argument(
        ..., callback=path_value, help="Table (csv/tsv/parquet) with one guide context per row."
    ),
    context_col: str = input_col_option(
        "context",
        "Column with 30-mer contexts (4 + 20 + NGG + 3) or 23-mers.",
        "--context-col",
        "--spacer-col",
    ),
    out_path: str = out_option(  # str, not Path: Path() drops a trailing '/'
        ..., "Output table: every input column plus `ontarget_score` (0-100)."
    ),
    model: str = typer.Option(
        "default",
        "--model",
        callback=choice("default", "gbm", "cnn", strict=False),
        help="default (= accurate: gbm + cnn) | gbm (fastest) | cnn | a directory from train-ontarget.",
    ),
    enzyme: str = typer.Option(
        "spcas9",
        "--enzyme",
        help="Enzyme: spcas9, or the high-fidelity espcas9 (eSpCas9(1.1)) / spcas9hf1 (SpCas9-HF1) flank-free heads.",
    ),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Score guide contexts for on-target efficiency (0-100 percentile, higher = more active).

    Rows that cannot be scored keep NaN and are listed in <out stem>.errors.csv.

    Example: helix crispr score-ontarget guides.csv --input-col context -o scored.csv
    """
    from helixforge.crispr.ontarget import score_ontarget_table

    res = score_ontarget_table(
        data, context_col, out_path, model=model, enzyme=enzyme, overwrite=overwrite
    )
    if not quiet:
        say(f"scored {res['n_scored']} of {res['rows_in']} rows → {out_path}", stderr=False)
    if res["n_errors"]:
        say(f"{res['n_errors']} row(s) could not be scored → {res['errors_path']}", "yellow")


@handle_errors
def train_ontarget_cmd(
    data: Path = typer.Argument(
        ...,
        callback=path_value,
        help="Training table with a context column and an activity column.",
    ),
    context_col: str = input_col_option(
        "context", "Column with 30-mer (or 23-mer) contexts.", "--context-col"
    ),
    target_col: str = label_col_option(
        ..., "Column with measured activity (higher = more active).", "--target-col", "--target"
    ),
    model: str = typer.Option(
        "gbm",
        "--model",
        callback=choice("gbm", "cnn"),
        help="gbm (LightGBM, Rule Set 2-style features) | cnn (PyTorch).",
    ),
    out_dir: Path = out_option(..., "Run directory to write (model/, metrics, report, card)."),
    group_col: str = typer.Option(
        None,
        "--group-col",
        callback=column_name,
        help="Rank-normalise the target within these groups (e.g. screen).",
    ),
    raw_target: bool = typer.Option(
        False, "--raw-target", help="Fit raw target values instead of per-group ranks."
    ),
    test_fraction: float = float_option(
        0.1,
        "--test-fraction",
        min=0.0,
        max=1.0,
        min_open=True,
        max_open=True,
        help="Held-out fraction (by spacer) for the reported metrics (between 0 and 1).",
    ),
    param: list[str] = typer.Option(
        None, "--param", help="Model parameter KEY=VALUE (repeatable), e.g. n_estimators=300."
    ),
    ensemble: int = typer.Option(
        1, "--ensemble", min=1, max=100, help="Number of ensemble members (seeds)."
    ),
    coverage: float = coverage_option(),
    jobs: int = jobs_option(),
    device: str = DEVICE,
    seed: int = SEED,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Train an on-target model on your own screen; use it with `score-ontarget --model DIR`.

    Writes the run directory every training verb writes (config, versions, model/, metrics,
    predictions with <label>_pred/_std/_lower/_upper, errors, card.md, report.html). Rows
    are held out by spacer; labels are per-group rank percentiles unless --raw-target.

    Example: helix crispr train-ontarget screen.csv --input-col context --label-col lfc --model gbm -o my_model
    """
    from helixforge.core.options import parse_params
    from helixforge.crispr.ontarget import train_ontarget

    res = train_ontarget(
        data, context_col, target_col, model, out_dir, group_col=group_col,
        target_transform="none" if raw_target else "rank", test_fraction=test_fraction,
        seed=seed, params=parse_params(param), ensemble=ensemble, coverage=coverage,
        n_jobs=resolve_jobs(jobs), device=device, overwrite=overwrite, quiet=quiet,
    )  # fmt: skip
    ci = res.get("test_spearman_ci95")
    shown = f" (95% CI {ci[0]:.3f}-{ci[1]:.3f})" if ci else ""
    cov = res.get("test_coverage")
    cov_text = f"; interval coverage {cov:.2f} at {coverage:.2f}" if cov is not None else ""
    say(
        f"trained {model} × {ensemble} on {res['n_train']} rows ({res['n_valid']} for early "
        f"stopping and calibration); held-out Spearman {res['test_spearman']:.3f}{shown} "
        f"(n={res['n_test']}){cov_text}; {res['n_rejected']} row(s) rejected → {out_dir}",
        stderr=False,
    )
