"""helix dna interpret · helix dna design (explaining and optimising a trained sequence model).

Only typer/rich at module level; the library is imported inside each verb.
"""

from __future__ import annotations

from pathlib import Path

import typer

from helixforge.cli.common import (
    DEVICE,
    OVERWRITE,
    QUIET,
    SEED,
    batch_size_option,
    choice,
    float_option,
    handle_errors,
    jobs_option,
    not_blank,
    out_option,
    path_value,
    say,
)
from helixforge.cli.dna_analysis import (
    MOTIFS,
    RELEASE,
    TAX,
    motif_options,
    resolve_device,
    split_ids,
    use_jobs,
)
from helixforge.cli.dna_models import IUPAC, IUPAC_HELP


@handle_errors
def interpret_cmd(
    run: str = typer.Argument(..., callback=path_value, help="Run directory of `helix dna train`."),
    fasta: str = typer.Argument(..., callback=path_value, help="FASTA of sequences to explain."),
    method: str = typer.Option(
        "gradxinput", "--method", callback=choice("ism", "gradxinput"), help="ism | gradxinput"
    ),
    out_dir: str = out_option("interpretation", "Output directory."),
    class_: str = typer.Option(
        None,
        "--class",
        callback=not_blank("1 (a class label or output index), or leave it out"),
        help="Class label or output index to explain.",
    ),
    window: int = typer.Option(10, "--window", min=1, help="Seqlet core width (bases)."),
    max_sequences: int = typer.Option(
        None, "--max-sequences", min=1, help="Only the first N usable sequences."
    ),
    match_qvalue: float = float_option(
        0.05,
        "--match-qvalue",
        min=0.0,
        max=1.0,
        min_open=True,
        help="A database motif is a match only at q ≤ this; otherwise 'no significant match'.",
    ),
    motifs_file: str = MOTIFS,
    tax: str = TAX,
    release: int = RELEASE,
    iupac: str = typer.Option(
        None, "--iupac", callback=IUPAC, help=IUPAC_HELP.rstrip(".") + " (default: the run's)."
    ),
    batch_size: int = batch_size_option(256),
    device: str = DEVICE,
    jobs: int = jobs_option(),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Attributions (ISM or gradient×input), seqlets matched to JASPAR, and report.html with logos.

    Example: helix dna interpret runs/promoter promoters.fa --method ism --class 1 -o interp
    """
    from helixforge.dna.interpret import interpret, match_title

    with use_jobs(jobs):
        summary = interpret(
            run, fasta, out_dir, method=method, target=class_, window=window,
            max_sequences=max_sequences, match_qvalue=match_qvalue, batch_size=batch_size,
            motif_options=motif_options(motifs_file, None, "CORE", tax, release),
            device=resolve_device(device), iupac=iupac, overwrite=overwrite,
        )  # fmt: skip
    if not quiet:
        for c in summary["clusters"][:5]:
            title = match_title(c["best_match"], c["best_match_name"], c["qvalue"], match_qvalue)
            say(f"cluster {c['cluster']}: {c['n_seqlets']} seqlets, {c['consensus']} · {title}")
    say(
        f"{summary['sequences']} sequences, {summary['seqlets']} seqlets, "
        f"{summary['errors']} rejected → {Path(out_dir) / 'report.html'}",
        stderr=False,
    )
    if summary.get("errors"):
        say(f"{summary['errors']} record(s) rejected → {summary['errors_path']}", "yellow")
    if summary.get("motifs_skipped"):
        say(
            f"{summary['motifs_skipped']} motif(s) of {motifs_file} have no usable matrix and "
            f"were skipped → {summary['errors_path']}",
            "yellow",
        )


@handle_errors
def design_cmd(
    run: str = typer.Argument(
        ..., callback=path_value, help="Run directory of `helix dna train` (the model to optimise)."
    ),
    seed_seq: list[str] = typer.Option(
        None, "--seed-seq", help="Seed sequence to edit (repeatable)."
    ),
    fasta: str = typer.Option(
        None, "--fasta", callback=path_value, help="FASTA of seed sequences."
    ),
    class_: str = typer.Option(
        None,
        "--class",
        "--target-class",
        callback=not_blank("1 (a class label or output index), or leave it out"),
        help="Class to push toward (default: the model's positive output).",
    ),
    edits: int = typer.Option(5, "--edits", min=1, help="Maximum substitutions per design."),
    method: str = typer.Option(
        "greedy",
        "--method",
        callback=choice("greedy", "beam", "anneal"),
        help="greedy | beam | anneal",
    ),
    beam_width: int = typer.Option(4, "--beam-width", min=1, help="Designs kept per step (beam)."),
    keep_out: str = typer.Option(
        None,
        "--keep-out",
        callback=not_blank("1-20,36, or leave --keep-out out"),
        help="Positions that must not change, 1-based inclusive: '1-20,36'.",
    ),
    avoid: list[str] = typer.Option(
        None, "--avoid-motif", help="JASPAR id whose new sites are not allowed (repeatable)."
    ),
    preserve: list[str] = typer.Option(
        None, "--preserve-motif", help="JASPAR id whose existing sites must stay (repeatable)."
    ),
    minimize: bool = typer.Option(False, "--minimize", help="Push the score down instead of up."),
    lm: str = typer.Option(
        None,
        "--lm",
        callback=path_value,
        help="Sample from this decoder LM instead of editing seeds; rank by the model.",
    ),
    n: int = typer.Option(100, "--n", min=1, help="Designs to keep when sampling from --lm."),
    length: int = typer.Option(
        None, "--length", min=1, help="Length of LM samples (default: the model's length or 200)."
    ),
    out_path: str = out_option(
        "designs.fa", "FASTA of designs (a .tsv table is written beside it)."
    ),
    seed: int = SEED,
    device: str = DEVICE,
    jobs: int = jobs_option(),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Edit seed sequences (greedy / beam / annealing) or sample from an LM toward a model's class.

    Edits in the output are "pos:ref>alt" with 1-based positions.

    Example: helix dna design runs/promoter --fasta seeds.fa --class 1 --edits 3 --method beam -o designs.fa
    """
    from helixforge.dna.design import design_from_run, parse_keep_out
    from helixforge.dna.train import refuse_non_dna_lm

    if lm:  # a SMILES LM would sample molecules as DNA designs
        refuse_non_dna_lm(lm, "--lm")
    options = {"target": class_, "seed": seed}
    if not lm:
        options |= {
            "edits": edits,
            "method": method,
            "beam_width": beam_width,
            "maximize": not minimize,
            "keep_out": parse_keep_out(keep_out),
        }
    else:  # the library refuses edit options with --lm (they were silently ignored)
        options |= {"keep_out": keep_out} if keep_out else {}
        options |= {"maximize": False} if minimize else {}
    with use_jobs(jobs):
        designs = design_from_run(
            run,
            out_path,
            seed_seqs=seed_seq,
            fasta=fasta,
            lm=lm,
            n=n,
            length=length,
            device=resolve_device(device),
            avoid_ids=split_ids(avoid, "--avoid-motif"),
            preserve_ids=split_ids(preserve, "--preserve-motif"),
            overwrite=overwrite,
            **options,
        )
    if not quiet:
        say(designs.drop(columns=["sequence"]).head(10).to_string(index=False))
    say(f"{len(designs)} designs → {out_path}", stderr=False)


def register(app: typer.Typer) -> None:
    """Add `interpret` and `design` to `helix dna`."""
    app.command("interpret")(interpret_cmd)
    app.command("design")(design_cmd)
