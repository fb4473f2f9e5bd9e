"""CLI verbs: helix crispr design | index | offtargets | enzymes (see the group module)."""

from __future__ import annotations

import typer

from helixforge.cli.common import console, handle_errors, out


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in (values or []) for v in item.split(",") if v.strip()]


def register(app: typer.Typer) -> None:
    """Add this module's verbs to `app`."""

    @app.command("design")
    @handle_errors
    def design_cmd(
        target: str = typer.Option(
            ...,
            "--target",
            "-t",
            help="DNA sequence, FASTA file (FILE#RECORD), contig:start-end (1-based) or a gene name (with --annotation).",
        ),
        genome: str = typer.Option(
            None,
            "--genome",
            "-g",
            help="Genome FASTA(.gz): region/gene targets and the off-target search.",
        ),
        index: str = typer.Option(
            None,
            "--index",
            help="Off-target index from `helix crispr index` (else one is built in memory).",
        ),
        annotation: str = typer.Option(
            None,
            "--annotation",
            "-a",
            help="GFF3/GTF: gene-name targets and position within the CDS.",
        ),
        enzyme: str = typer.Option(
            "spcas9",
            "--enzyme",
            "-e",
            help="spcas9, sacas9, ascas12a, lbcas12a, enascas12a or custom:PAM:LEN[:3|5].",
        ),
        top: int = typer.Option(None, "--top", "-n", help="Keep the N best guides (default: all)."),
        max_mismatches: int = typer.Option(
            4, "--max-mismatches", "-m", help="Off-target mismatches searched (0–8)."
        ),
        restriction: list[str] = typer.Option(
            None,
            "--restriction",
            help="Restriction enzymes to flag in spacers (repeatable or comma-separated, e.g. BsmBI,BbsI).",
        ),
        ontarget_model: str = typer.Option(
            "default", "--ontarget-model", help="On-target model name, or 'none'."
        ),
        out_path: str = typer.Option(
            "guides.tsv",
            "--out",
            "-o",
            help="Ranked guide table (.tsv/.csv); off-targets go to <stem>.offtargets.tsv.",
        ),
        report: str = typer.Option(None, "--report", help="Write an HTML report here."),
        jobs: int = typer.Option(
            1, "--jobs", "-j", help="Processes for the off-target search (-1 = all CPUs)."
        ),
    ) -> None:
        """Design and rank guides for a target: on-target score, off-targets (CFD, MIT), flags."""
        from helixforge.crispr.design import design_guides

        res = design_guides(
            target, genome=genome, enzyme=enzyme, top=top, max_mismatches=max_mismatches,
            annotation=annotation, index=index, restriction_enzymes=_split(restriction),
            ontarget_model=ontarget_model, out=out_path, report=report, n_jobs=jobs,
        )  # fmt: skip
        for note in res.notes:
            console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
        shown = [
            c
            for c in (
                "rank",
                "guide_id",
                "spacer",
                "pam",
                "ontarget_score",
                "mm0",
                "mm1",
                "mm2",
                "cfd_specificity",
                "flags",
            )
            if c in res.guides.columns
        ]
        if len(res.guides):
            out.print(
                res.guides[shown].head(10).to_string(index=False), highlight=False, soft_wrap=True
            )
        console.print(
            f"{len(res.guides)} guide(s) of {res.info.get('n_candidates', 0)} candidates → {out_path}"
            + (f"; report → {report}" if report else "")
            + f" ({res.info.get('seconds', 0):.1f} s)",
            highlight=False,
        )

    @app.command("index")
    @handle_errors
    def index_cmd(
        genome: str = typer.Argument(..., help="Genome FASTA(.gz)."),
        enzyme: str = typer.Option(
            "spcas9", "--enzyme", "-e", help="Enzyme whose off-target PAMs are indexed."
        ),
        out_dir: str = typer.Option(..., "--out", "-o", help="Index directory to write."),
        pams: list[str] = typer.Option(
            None,
            "--pams",
            help="PAMs to index (default: the enzyme's off-target PAMs, SpCas9: NGG,NAG,NGA).",
        ),
    ) -> None:
        """Build the reusable on-disk off-target index of a genome."""
        from helixforge.crispr.offtarget import build_index

        idx = build_index(genome, enzyme, out=out_dir, pams=_split(pams) or None)
        m = idx.meta
        console.print(
            f"{m['n_sites']:,} {idx.enzyme.name} sites (PAMs {','.join(m['search_pams'])}) in "
            f"{len(m['contigs'])} contig(s), {m['genome_bases']:,} nt → {out_dir} "
            f"({m['build_seconds']:.1f} s)",
            highlight=False,
        )

    @app.command("offtargets")
    @handle_errors
    def offtargets_cmd(
        spacers: str = typer.Argument(
            ..., help="Table with a spacer column, or comma-separated spacers."
        ),
        genome: str = typer.Option(
            None, "--genome", "-g", help="Genome FASTA(.gz) (indexed in memory)."
        ),
        index: str = typer.Option(
            None, "--index", help="Index directory from `helix crispr index`."
        ),
        out_path: str = typer.Option(
            "offtargets.tsv",
            "--out",
            "-o",
            help="Sites table; the per-guide summary goes to <stem>.summary.tsv.",
        ),
        spacer_col: str = typer.Option(
            "spacer", "--spacer-col", help="Column holding the spacers."
        ),
        id_col: str = typer.Option(None, "--id-col", help="Column holding guide ids."),
        enzyme: str = typer.Option(
            None, "--enzyme", "-e", help="Enzyme (default: the index's, else spcas9)."
        ),
        max_mismatches: int = typer.Option(
            4, "--max-mismatches", "-m", help="Mismatches allowed (0–8)."
        ),
        pams: list[str] = typer.Option(
            None, "--pams", help="Restrict to these PAMs (default: all indexed)."
        ),
        max_sites: int = typer.Option(
            1000, "--max-sites", help="Sites reported per guide (all are counted)."
        ),
        jobs: int = typer.Option(1, "--jobs", "-j", help="Processes (-1 = all CPUs)."),
    ) -> None:
        """Find every off-target site of spacers (exact, both strands), scored with CFD and MIT."""
        from helixforge.core.errors import ConfigError
        from helixforge.crispr.offtarget import offtargets_table

        if (genome is None) == (index is None):
            raise ConfigError("give exactly one of --genome or --index")
        info = offtargets_table(
            spacers, index or genome, out_path, spacer_col=spacer_col, id_col=id_col,
            max_mismatches=max_mismatches, pams=_split(pams) or None, enzyme=enzyme,
            n_jobs=jobs, max_sites_per_guide=max_sites,
        )  # fmt: skip
        if info["n_errors"]:
            console.print(
                f"[yellow]{info['n_errors']} bad row(s) skipped → {info['errors_path']}[/]"
            )
        console.print(
            f"{info['n_guides']} guide(s), {info['sites']} site(s) reported, "
            f"{info['repeat_guides']} flagged as repeats → {info['out']}, {info['summary']} "
            f"(search {info['search_seconds']:.2f} s"
            + (f", index built in {info['build_seconds']:.1f} s" if info["build_seconds"] else "")
            + ")",
            highlight=False,
        )

    @app.command("enzymes")
    @handle_errors
    def enzymes_cmd() -> None:
        """List the built-in enzymes: PAMs, spacer length, cut offsets, context layout."""
        from rich.table import Table

        from helixforge.crispr.enzymes import list_enzymes

        table = Table("name", "PAMs", "side", "spacer", "cut", "off-target PAMs", "context")
        for e in list_enzymes():
            d = e.describe()
            table.add_row(
                d["name"],
                d["pams"],
                d["pam_side"],
                str(d["spacer_length"]),
                d["cut_offsets"],
                d["offtarget_pams"],
                d["context"],
            )
        out.print(table)
        console.print(
            "custom enzymes: --enzyme custom:PAM:SPACER_LENGTH[:3|5], e.g. custom:NNGRRT:21:3"
        )
