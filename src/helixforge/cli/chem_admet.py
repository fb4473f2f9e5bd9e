"""helix chem admet: the shipped ADMET panel (22 TDC endpoints + RDKit properties) on a table."""

from __future__ import annotations

import typer

from helixforge.cli.common import (
    OVERWRITE,
    QUIET,
    RESUME,
    chunk_size_option,
    handle_errors,
    input_col_option,
    jobs_option,
    out_option,
    output_path_value,
    path_value,
    refuse_finished_resume,
    resolve_jobs,
    say,
)


@handle_errors
def admet_cmd(
    input: str = typer.Argument(
        ...,
        callback=path_value,
        help="Molecules: .smi / .csv / .tsv / .parquet with a SMILES column, or an SD file "
        "(.sdf; gz allowed).",
    ),
    out_path: str = out_option(
        None, "Output table (csv / tsv / parquet): input + admet_* columns."
    ),
    endpoints: str = typer.Option(
        None,
        "--endpoints",
        help="Comma-separated endpoints and/or properties (default: all), e.g. herg,ames,qed.",
    ),
    percentiles: bool = typer.Option(
        True,
        "--percentiles/--no-percentiles",
        help="Add admet_<name>_pct: percentile among ChEMBL approved drugs.",
    ),
    domain: bool = typer.Option(
        True, "--domain/--no-domain", help="Add admet_ad_similarity and admet_in_domain."
    ),
    report: str = typer.Option(
        None,
        "--report",
        callback=output_path_value,
        help="Also write an HTML report (per-molecule bars, distributions).",
    ),
    input_col: str = input_col_option("smiles", "Column holding SMILES.", "--smiles-col"),
    chunk_size: int = chunk_size_option(10_000),
    jobs: int = jobs_option(),
    quiet: bool = QUIET,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
) -> None:
    """ADMET panel: 22 TDC ADMET endpoints + physicochemical properties for every molecule.

    Example: helix chem admet library.csv -o library_admet.parquet --report admet.html
    """
    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    from helixforge.chem.admet.predict import predict_admet
    from helixforge.core.errors import ConfigError
    from helixforge.lm.checks import require_table_suffix

    if not out_path:
        raise ConfigError("-o/--out is required", hint="for example -o library_admet.parquet")
    require_table_suffix(out_path)
    summary = predict_admet(
        input,
        out_path,
        endpoints=endpoints,
        percentiles=percentiles,
        domain=domain,
        input_col=input_col,
        chunk_size=chunk_size,
        n_jobs=resolve_jobs(jobs),
        resume=resume,
        overwrite=overwrite,
        report=report,
        quiet=quiet,
    )
    msg = f"{summary['predicted']} of {summary['rows']} rows predicted → {summary['out']}"
    if "admet_in_domain_fraction" in summary:
        msg += f" ({summary['admet_in_domain_fraction']:.0%} in the applicability domain)"
    say(msg, stderr=False)
    if summary.get("report"):
        say(f"report: {summary['report']}", stderr=False)
    if summary["errors"]:
        say(f"{summary['errors']} rows rejected → {summary['errors_path']}", "yellow")


def register(app: typer.Typer) -> None:
    """Add `admet` to the `helix chem` group."""
    app.command("admet")(admet_cmd)
