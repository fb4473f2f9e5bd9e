"""CLI verbs: helix crispr design | index | offtargets | enzymes (see the group module)."""

from __future__ import annotations

import typer

from helixforge.cli.common import (
    OVERWRITE,
    QUIET,
    RESUME,
    handle_errors,
    id_col_option,
    input_col_option,
    jobs_option,
    logger,
    not_blank,
    out,
    out_option,
    output_path_value,
    path_value,
    refuse_finished_resume,
    say,
)

# The design table's columns shown on the console: the ranking is tier, then combined_score
# (= efficiency × specificity), so those three are shown next to the rank.
CONSOLE_COLUMNS = ("rank", "guide_id", "spacer", "pam", "tier", "efficiency", "specificity",
                   "combined_score", "ontarget_score", "mm0", "mm1", "mm2", "flags")  # fmt: skip


def _split(values: list[str] | None, option: str) -> list[str]:
    """Repeatable, comma-separated option values; given but naming nothing (--pams ',') is
    refused - it silently meant the default (all PAMs, no restriction enzyme)."""
    out = [v.strip() for item in (values or []) for v in item.split(",") if v.strip()]
    if values and not out:
        from helixforge.core.errors import ConfigError

        raise ConfigError(
            f"{option} {','.join(values)!r} names nothing",
            hint=f"give one or more values separated by commas, or leave {option} out",
        )
    return out


def _max_mismatches_option(help: str) -> typer.Option:
    return typer.Option(4, "--max-mismatches", "-m", min=0, max=8, help=help)


def register(app: typer.Typer) -> None:
    """Add this module's verbs to `app`."""
    app.command("design")(design_cmd)
    app.command("index")(index_cmd)
    app.command("offtargets")(offtargets_cmd)
    app.command("enzymes")(enzymes_cmd)


@handle_errors
def design_cmd(
    target: str = typer.Option(
        ...,
        "--target",
        "-t",
        help="DNA sequence, FASTA file (FILE#RECORD), contig:start-end (1-based, inclusive) or "
        "a gene name (with --annotation).",
    ),
    genome: str = typer.Option(
        None,
        "--genome",
        "-g",
        callback=path_value,
        help="Genome FASTA(.gz): region/gene targets and the off-target search.",
    ),
    index: str = typer.Option(
        None,
        "--index",
        callback=path_value,
        help="Off-target index from `helix crispr index` (else one is built in memory); must be "
        "built from --genome when both are given.",
    ),
    annotation: str = typer.Option(
        None,
        "--annotation",
        "-a",
        callback=path_value,
        help="GFF3/GTF: gene-name targets and position within the CDS.",
    ),
    enzyme: str = typer.Option(
        "spcas9",
        "--enzyme",
        "-e",
        help="spcas9, sacas9, ascas12a, lbcas12a, enascas12a or custom:PAM:LEN[:3|5].",
    ),
    top: int = typer.Option(
        None, "--top", "-n", min=1, help="Keep the N best guides (default: all)."
    ),
    max_mismatches: int = _max_mismatches_option("Off-target mismatches searched (0–8)."),
    restriction: list[str] = typer.Option(
        None,
        "--restriction",
        help="Restriction enzymes to flag in spacers (repeatable or comma-separated, e.g. BsmBI,BbsI).",
    ),
    ontarget_model: str = typer.Option(
        "default",
        "--ontarget-model",
        callback=not_blank("default, a model directory, or 'none'"),
        help="On-target model name or directory, or 'none'.",
    ),
    out_path: str = out_option(
        "guides.tsv",
        "Ranked guide table (.tsv/.csv); off-targets go to <stem>.offtargets.tsv, skipped "
        "sites (non-ACGT bases) to <stem>.skipped.tsv.",
    ),
    report: str = typer.Option(
        None, "--report", callback=output_path_value, help="Write an HTML report here."
    ),
    max_sites: int = typer.Option(
        200, "--max-sites", min=1, help="Off-target sites reported per guide (all are counted)."
    ),
    max_target_length: int = typer.Option(
        100_000,
        "--max-target-length",
        min=0,
        help="Refuse a target longer than this many bp, before any work (a whole chromosome is "
        "millions of guides); 0 = no limit.",
    ),
    jobs: int = jobs_option(),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Design and rank guides for a target: on-target score, off-targets (CFD, MIT), flags.

    Guides are ranked by tier (1 no flag, 2 soft flags, 3 hard flags), then by combined_score
    = efficiency (on-target / 100) × specificity (1 / (1 + ΣCFD)); the console shows all three.

    Example: helix crispr design -t NC_000913.3:337-2799 -g ecoli.fna --index ecoli.idx --top 10 -o guides.tsv
    """  # fmt: skip
    from helixforge.crispr.design import design_guides

    res = design_guides(
        target, genome=genome, enzyme=enzyme, top=top, max_mismatches=max_mismatches,
        annotation=annotation, index=index, restriction_enzymes=_split(restriction, "--restriction"),
        ontarget_model=ontarget_model, out=out_path, report=report, n_jobs=jobs,
        max_sites_per_guide=max_sites, overwrite=overwrite, quiet=quiet,
        max_target_length=max_target_length,
    )  # fmt: skip
    for note in res.notes:
        say(f"note: {note}", "yellow")
    shown = [c for c in CONSOLE_COLUMNS if c in res.guides.columns]
    if len(res.guides) and not quiet:
        say(res.guides[shown].head(10).to_string(index=False), stderr=False)
    info = res.info
    skipped = f"; {info['n_skipped']} site(s) skipped (non-ACGT)" if info.get("n_skipped") else ""
    say(
        f"{len(res.guides)} guide(s) of {info.get('n_candidates', 0)} candidates{skipped} → "
        f"{out_path}" + (f"; report → {report}" if report else "")
        + f" ({info.get('seconds', 0):.1f} s)"
    )  # fmt: skip


@handle_errors
def index_cmd(
    genome: str = typer.Argument(..., callback=path_value, help="Genome FASTA(.gz)."),
    enzyme: str = typer.Option(
        "spcas9", "--enzyme", "-e", help="Enzyme whose off-target PAMs are indexed."
    ),
    out_dir: str = out_option(
        ..., "Index directory to write (replaced atomically with --overwrite)."
    ),
    pams: list[str] = typer.Option(
        None,
        "--pams",
        help="PAMs to index (default: the enzyme's off-target PAMs, SpCas9: NGG,NAG,NGA).",
    ),
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    quiet: bool = QUIET,
) -> None:
    """Build the reusable on-disk off-target index of a genome.

    The index is built beside --out and swapped in when finished: an existing index is never
    lost, even if the build is killed. A killed or interrupted build continues from its last
    finished contig (or seed-table part) with --resume (same genome, enzyme and PAMs).

    Example: helix crispr index ecoli.fna.gz --enzyme spcas9 -o ecoli.spcas9.idx
    """
    refuse_finished_resume(out_dir, resume=resume, overwrite=overwrite)
    from helixforge.core.io import check_output
    from helixforge.crispr.offtarget import build_index

    check_output(out_dir, overwrite=overwrite, kind="dir", resume=resume)
    idx = build_index(
        genome,
        enzyme,
        out=out_dir,
        pams=_split(pams, "--pams") or None,
        quiet=quiet,
        overwrite=overwrite,
        resume=resume,
        log=logger(quiet),
    )
    m = idx.meta
    resumed = m.get("resumed_contigs", 0)
    say(
        f"{m['n_sites']:,} {idx.enzyme.name} sites (PAMs {','.join(m['search_pams'])}) in "
        f"{len(m['contigs'])} contig(s), {m['genome_bases']:,} nt → {out_dir} "
        f"({m['build_seconds']:.1f} s"
        + (f"; resumed after {resumed:,} finished contig(s)" if resumed else "")
        + ")"
    )
    for note in m.get("notes", []):  # also in index.json
        say(f"note: {note}", "yellow")


@handle_errors
def offtargets_cmd(
    spacers: str = typer.Argument(
        ..., callback=path_value, help="Table with a spacer column, or comma-separated spacers."
    ),
    genome: str = typer.Option(
        None, "--genome", "-g", callback=path_value, help="Genome FASTA(.gz) (indexed in memory)."
    ),
    index: str = typer.Option(
        None, "--index", callback=path_value, help="Index directory from `helix crispr index`."
    ),
    out_path: str = out_option(
        "offtargets.tsv",
        "Sites table; the per-guide summary (input columns kept) goes to <stem>.summary.tsv, "
        "rejected rows to <stem>.errors.csv.",
    ),
    spacer_col: str = input_col_option("spacer", "Column holding the spacers.", "--spacer-col"),
    id_col: str = id_col_option(),
    enzyme: str = typer.Option(
        None, "--enzyme", "-e", help="Enzyme (default: the index's, else spcas9)."
    ),
    max_mismatches: int = _max_mismatches_option("Mismatches allowed (0–8)."),
    pams: list[str] = typer.Option(
        None, "--pams", help="Restrict to these PAMs (default: all indexed)."
    ),
    max_sites: int = typer.Option(
        1000, "--max-sites", min=1, help="Sites reported per guide (all are counted)."
    ),
    jobs: int = jobs_option(),
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    quiet: bool = QUIET,
) -> None:
    """Find every off-target site of spacers (exact, both strands), scored with CFD and MIT.
    Guides are searched in chunks of 500, each kept when done: after an interruption the same
    command with --resume searches only the rest.

    Guide ids come from --id-col (default: a guide_id, id, guide, sgRNA or name column when
    present, else the spacer) and name the guides in both outputs.

    Example: helix crispr offtargets guides.csv --index ecoli.idx --input-col spacer --id-col guide_id -m 4 -o sites.tsv
    """  # fmt: skip
    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    from helixforge.core.errors import ConfigError
    from helixforge.crispr.offtarget import offtargets_table

    if (genome is None) == (index is None):
        raise ConfigError("give exactly one of --genome or --index")
    from helixforge.crispr.offtarget_index import check_index_path

    check_index_path(index)
    info = offtargets_table(
        spacers, index or genome, out_path, spacer_col=spacer_col, id_col=id_col,
        max_mismatches=max_mismatches, pams=_split(pams, "--pams") or None, enzyme=enzyme,
        n_jobs=jobs, max_sites_per_guide=max_sites, overwrite=overwrite, quiet=quiet,
        resume=resume,
    )  # fmt: skip
    if info["n_errors"]:
        say(f"{info['n_errors']} bad row(s) skipped → {info['errors_path']}", "yellow")
    if missing := info.get("pams_not_indexed"):
        say(
            f"note: the index lacks PAMs {', '.join(missing)} of --enzyme {enzyme}: sites with "
            "them are not counted (build the index for this enzyme without --pams to count them)",
            "yellow",
        )
    say(
        f"{info['n_guides']} guide(s) from {info['rows_out']} of {info['rows_in']} rows, "
        f"{info['sites']} site(s) reported, {info['repeat_guides']} flagged as repeats → "
        f"{info['out']}, {info['summary']} (search {info['search_seconds']:.2f} s"
        + (f", index built in {info['build_seconds']:.1f} s" if info["build_seconds"] else "")
        + ")"
    )


@handle_errors
def enzymes_cmd() -> None:
    """List the built-in enzymes: PAMs, spacer length, cut offsets, context layout.

    Example: helix crispr enzymes
    """
    from rich.table import Table

    from helixforge.crispr.enzymes import list_enzymes

    table = Table("name", "PAMs", "side", "spacer", "cut", "off-target PAMs", "context")
    for e in list_enzymes():
        d = e.describe()
        table.add_row(d["name"], d["pams"], d["pam_side"], str(d["spacer_length"]),
                      d["cut_offsets"], d["offtarget_pams"], d["context"])  # fmt: skip
    out.print(table)
    say("custom enzymes: --enzyme custom:PAM:SPACER_LENGTH[:3|5], e.g. custom:NNGRRT:21:3")
