"""helix chem screen: a molecule library through trained models, filters and a score → top hits."""

from __future__ import annotations

import typer

from helixforge.cli.common import (
    DEVICE,
    OVERWRITE,
    QUIET,
    RESUME,
    choice,
    chunk_size_option,
    float_option,
    handle_errors,
    id_col_option,
    input_col_option,
    jobs_option,
    not_blank,
    out_option,
    output_path_value,
    path_value,
    refuse_finished_resume,
    resolve_jobs,
    say,
)


@handle_errors
def screen_cmd(
    library: str = typer.Argument(
        ...,
        callback=path_value,
        help="Molecules: .smi / .csv / .tsv / .parquet (gz allowed) or an SD file.",
    ),
    model: list[str] = typer.Option(
        ...,
        "--model",
        help="Run directory of `helix chem train` (repeatable); NAME=PATH names its columns.",
    ),
    out_path: str = out_option(None, "Hits table (csv / tsv / parquet), best score first."),
    filters: str = typer.Option(
        None,
        "--filters",
        callback=not_blank("lipinski,pains, or leave --filters out"),
        help="Comma-separated: lipinski, veber, pains, brenk, nih, qed, sa, ghose, egan, reos. "
        "A molecule failing one is not a hit.",
    ),
    score: str = typer.Option(
        None,
        "--score",
        callback=not_blank("'pic50.pIC50_pred', or leave --score out"),
        help="Expression over output columns, e.g. 'pic50.pIC50_pred - 0.5*admet_herg' "
        "(default: the first model's first prediction; its probability for a classifier).",
    ),
    top: int = typer.Option(100, "--top", min=1, max=10_000_000, help="Hits to keep."),
    all_out: str = typer.Option(
        None,
        "--all-out",
        callback=output_path_value,
        help="Also write every screened molecule with all its columns.",
    ),
    admet: bool = typer.Option(
        False, "--admet", help="Add the ADMET panel's admet_* columns (usable in --score)."
    ),
    admet_endpoints: str = typer.Option(
        None,
        "--admet-endpoints",
        help="Comma-separated panel endpoints (implies --admet), e.g. herg,caco2_wang.",
    ),
    max_per_scaffold: int = typer.Option(
        None, "--max-per-scaffold", min=1, max=1_000_000, help="At most N hits per Murcko scaffold."
    ),
    min_distance: float = float_option(
        None,
        "--min-distance",
        min=0.0,
        max=1.0,
        help="Hits at least this Tanimoto distance (ECFP4) from each other, e.g. 0.3.",
    ),
    backend: str = typer.Option(
        "local", "--backend", callback=choice("local", "ray"), help="local (processes) | ray."
    ),
    address: str = typer.Option(
        None, "--address", help="Ray cluster address (auto, ray://host:10001); none = local."
    ),
    domain: bool = typer.Option(
        True, "--domain/--no-domain", help="Applicability-domain columns per model."
    ),
    input_col: str = input_col_option("smiles", "Column holding SMILES.", "--smiles-col"),
    id_col: str = id_col_option(),
    chunk_size: int = chunk_size_option(10_000),
    jobs: int = jobs_option(),
    device: str = DEVICE,
    quiet: bool = QUIET,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
) -> None:
    """Screen a library: predict every molecule with each model, filter, score, keep the top K.

    Example: helix chem screen vendor.smi.gz --model runs/pic50 --filters lipinski,pains --score "pic50.pIC50_pred" --top 100 -o hits.parquet
    """
    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    from helixforge.chem.screen import screen_library
    from helixforge.core.errors import ConfigError
    from helixforge.lm.checks import require_device, require_table_suffix

    if not out_path:
        raise ConfigError("-o/--out is required", hint="for example -o hits.parquet")
    require_table_suffix(out_path)
    if all_out:
        require_table_suffix(all_out, "--all-out")
    summary = screen_library(
        library,
        model,
        out_path,
        filters=filters or (),
        score=score,
        top=top,
        all_out=all_out,
        admet=admet_endpoints.split(",") if admet_endpoints else admet,
        max_per_scaffold=max_per_scaffold,
        min_distance=min_distance,
        backend=backend,
        address=address,
        chunk_size=chunk_size,
        n_jobs=resolve_jobs(jobs, cap=backend != "ray"),
        resume=resume,
        overwrite=overwrite,
        input_col=input_col,
        id_col=id_col,
        domain=domain,
        device=require_device(device),
        quiet=quiet,
    )
    passed = (
        f" (filters run on {summary['filtered']}, {summary['eligible']} passed)" if filters else ""
    )
    say(
        f"{summary['hits']} hits from {summary['screened']} of {summary['rows']} molecules"
        f"{passed} → {summary['out']}",
        stderr=False,
    )
    if summary["hits"] < min(top, summary["eligible"]):
        rules = (
            "; --max-per-scaffold / --min-distance drop the rest"
            if max_per_scaffold or min_distance
            else ""
        )
        say(
            f"note: {summary['hits']} hits though {summary['eligible']} molecules were eligible "
            f"and --top is {top}: a repeat of a hit's canonical SMILES counts once{rules}",
            "yellow",
        )
    if summary.get("unscored"):
        say(
            f"note: {summary['unscored']} of {summary['screened']} screened molecules have no "
            f"finite score: --score {summary['score']!r} is NaN or infinite for them (a division "
            "by zero, log or sqrt of a value out of range, a missing input or text that is not a "
            "number), so they are not ranked; --all-out lists every molecule with its score",
            "yellow",
        )
    if not quiet:
        say(
            f"score: {summary['score']} · {summary['mol_per_s']:,.0f} molecules/s "
            f"on {summary['workers']} {summary['backend']} worker(s)"
        )
    if not summary["exact"]:
        say(
            "note: --min-distance rejected more molecules than the candidate pool held; the hits "
            "follow the rule but may differ from a whole-library pass (see docs/screen.md)",
            "yellow",
        )
    if summary["all_out"]:
        say(f"all screened molecules → {summary['all_out']}", stderr=False)
    if summary["errors"]:
        say(f"{summary['errors']} rows rejected → {summary['errors_path']}", "yellow")


def register(app: typer.Typer) -> None:
    """Add `screen` to the `helix chem` group."""
    app.command("screen")(screen_cmd)
