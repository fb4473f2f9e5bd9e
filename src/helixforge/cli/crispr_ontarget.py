"""helix crispr score-ontarget / train-ontarget: on-target efficiency models (SpCas9)."""

from __future__ import annotations

from pathlib import Path

import typer

from helixforge.cli.common import SEED, console, handle_errors, out


def register(app: typer.Typer) -> None:
    """Add this module's verbs to `app`."""
    app.command("score-ontarget")(score_ontarget_cmd)
    app.command("train-ontarget")(train_ontarget_cmd)


@handle_errors
def score_ontarget_cmd(
    data: Path = typer.Argument(
        ..., help="Table (csv/tsv/parquet) with one guide context per row."
    ),
    context_col: str = typer.Option(
        "context",
        "--context-col",
        help="Column with 30-mer contexts (4 + 20 + NGG + 3) or 23-mers.",
    ),
    out_path: Path = typer.Option(
        ..., "--out", "-o", help="Output table: the input plus an `ontarget_score` column (0-100)."
    ),
    model: str = typer.Option(
        "default", "--model", help="default | gbm | cnn | a directory from train-ontarget."
    ),
    enzyme: str = typer.Option(
        "spcas9", "--enzyme", help="Enzyme (on-target models exist for spcas9)."
    ),
) -> None:
    """Score guide contexts for on-target efficiency (0-100 percentile, higher = more active).

    Example: helix crispr score-ontarget guides.csv --context-col context --out scored.csv
    """
    from helixforge.crispr.ontarget import score_ontarget_table

    res = score_ontarget_table(data, context_col, out_path, model=model, enzyme=enzyme)
    out.print(f"scored {res['n_scored']} contexts → {out_path}")
    if res["n_errors"]:
        console.print(
            f"[yellow]{res['n_errors']} rows could not be scored → {res['errors_path']}[/]"
        )


@handle_errors
def train_ontarget_cmd(
    data: Path = typer.Argument(
        ..., help="Training table with a context column and an activity column."
    ),
    context_col: str = typer.Option(
        ..., "--context-col", help="Column with 30-mer (or 23-mer) contexts."
    ),
    target_col: str = typer.Option(
        ..., "--target-col", help="Column with measured activity (higher = more active)."
    ),
    model: str = typer.Option(
        "gbm", "--model", help="gbm (LightGBM, Rule Set 2-style features) | cnn (PyTorch)."
    ),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Model directory to write."),
    group_col: str = typer.Option(
        None, "--group-col", help="Rank-normalise the target within these groups (e.g. screen)."
    ),
    raw_target: bool = typer.Option(
        False, "--raw-target", help="Fit raw target values instead of per-group ranks."
    ),
    test_fraction: float = typer.Option(
        0.1, "--test-fraction", help="Held-out fraction (by spacer) for the reported metrics."
    ),
    seed: int = SEED,
) -> None:
    """Train an on-target model on your own screen; use it with `score-ontarget --model DIR`.

    Example: helix crispr train-ontarget screen.csv --context-col context --target-col lfc --model gbm --out my_model
    """
    from helixforge.crispr.ontarget import train_ontarget

    metrics = train_ontarget(data, context_col, target_col, model, out_dir, group_col=group_col,
                             target_transform="none" if raw_target else "rank", test_fraction=test_fraction, seed=seed)  # fmt: skip
    out.print(
        f"trained {model} on {metrics['n_train']} rows; held-out Spearman {metrics['test_spearman']:.3f} "
        f"(n={metrics['n_test']}) → {out_dir}"
    )
