"""`dna annotate train`: train a per-base annotator on a genome + GFF, evaluate it on held-out
regions, and write the run directory every training verb writes:

    config.json  versions.json  timings.json  model/  metrics.json  predictions.gff3  errors.csv
    history.json  card.md  report.html

The directory is built beside the final path and swapped in when complete
(`core.io.staging_dir`), so a failed or killed run never leaves a half-written run at `out`;
an existing `out` is replaced only with `overwrite=True`. Every epoch is checkpointed in the
staging folder (`.OUT.partial/checkpoints/`, with the resume key in `resume.json`: the
genome's and GFF's sha256 and every option); `resume=True` continues a killed run from its
last epoch with the random state an uninterrupted run has, and refuses a changed input or
option by name; without it an unfinished run is discarded. Predictions are genes called on
the held-out regions (GFF3, the format of the task); the errors table lists the CDS rows of the
GFF that could not be used (contig not in the genome, past the contig end), with their line.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from helixforge.core.batching import require_fits_memory
from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError, RowErrors
from helixforge.core.io import check_not_input
from helixforge.core.options import check_param_types, require_float, require_int
from helixforge.dna.annotate.evaluate import evaluate_regions
from helixforge.dna.annotate.genes import write_genes
from helixforge.dna.annotate.labels import cds_labels
from helixforge.dna.annotate.model import AnnotatorConfig, GeneAnnotator
from helixforge.dna.annotate.regions import split_regions
from helixforge.dna.sequence import encode_int

_POSITIVE = ("epochs", "window", "batch_size", "channels", "min_gene_len", "patience")


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """Annotator options checked against `AnnotatorConfig` (names, types, ranges)."""
    defaults = asdict(AnnotatorConfig())
    options = check_param_types(options, defaults, option="annotator option")
    for key in _POSITIVE:
        if key in options:
            require_int(options[key], f"--{key.replace('_', '-')}", min_value=1)
    if options.get("windows_per_epoch") is not None:
        require_int(options["windows_per_epoch"], "--windows-per-epoch", min_value=1)
    if "max_overlap" in options:
        require_int(options["max_overlap"], "--max-overlap", min_value=0)
    if "lr" in options:
        require_float(options["lr"], "--lr", low=0, low_open=True)
    if "threshold" in options:
        require_float(options["threshold"], "--threshold", low=0, high=1, low_open=True)
    if options.get("windows_per_epoch") is not None:
        require_int(options["windows_per_epoch"], "--windows-per-epoch", max_value=MAX_WINDOWS)
    cfg = AnnotatorConfig(**{**defaults, **options})
    layers = 2 + 2 * len(cfg.dilations)  # stem, two convolutions per dilated block, output
    # activations kept for the backward pass (×3: output, batch norm, gradient), float32
    activations = cfg.batch_size * cfg.window * (4 + cfg.channels * layers) * 4 * 3
    weights = cfg.channels**2 * 3 * layers * 4 * 4  # weights, gradients, two Adam moments
    require_fits_memory(
        activations + weights,
        f"--batch-size {cfg.batch_size:,} × --window {cfg.window:,} × --channels {cfg.channels:,}",
        hint="lower --batch-size, --window or --channels",
    )
    return options


MAX_WINDOWS = 10_000_000  # training windows per epoch


def load_genome_and_cds(genome: str | os.PathLike, gff: str | os.PathLike, errors: RowErrors):
    """(Genome, CDS rows with genome contig names, contigs of the GFF missing from the genome).

    CDS rows that cannot be used go to `errors` with their GFF line.
    """
    from helixforge.dna.io import Genome, read_gff

    g = Genome(genome)
    cds = read_gff(gff, types={"CDS"}, errors=errors)
    stranded = cds["strand"].isin(["+", "-"])
    for row in cds[~stranded].itertuples():  # the labels need a reading direction
        errors.add(row.line, "strand", row.strand, "a CDS needs strand + or -")
    cds = cds[stranded]
    rename, missing = {}, []
    for seqid in cds["seqid"].unique():
        try:
            rename[seqid] = g.resolve_contig(str(seqid))
        except InputError:
            missing.append(seqid)
    if missing and not rename:
        g.resolve_contig(str(missing[0]), where=str(gff))  # raises with the closest names
    for row in cds[~cds["seqid"].isin(rename)].itertuples():
        errors.add(row.line, "seqid", row.seqid, f"contig {row.seqid!r} is not in the genome")
    cds = cds[cds["seqid"].isin(rename)].copy()
    cds["seqid"] = cds["seqid"].map(rename)
    past = cds["end"].to_numpy() > cds["seqid"].map(g.lengths).to_numpy()
    for row in cds[past].itertuples():
        reason = f"CDS ends past the end of {row.seqid} (length {g.lengths[row.seqid]:,})"
        errors.add(row.line, "end", int(row.end), reason)
    return g, cds[~past], missing


def train_annotator(
    genome: str | os.PathLike,
    gff: str | os.PathLike,
    *,
    out: str | os.PathLike,
    holdout: str | float = 0.2,
    contigs: Sequence[str] | None = None,
    device: str = "auto",
    threads: int | None = None,
    quiet: bool = True,
    seed: int = 0,
    overwrite: bool = False,
    resume: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """Train a per-base annotator on `genome` + `gff` (CDS features), hold out `holdout`
    (a fraction or 1-based inclusive CONTIG:START-END regions), and write the run directory
    `out` (see the module docs). Returns the held-out metrics
    with `train_seconds` and `predict_seconds` (those two are in timings.json, not metrics.json)."""
    from helixforge.core.artifacts import RunDir, save_json, sha256_file
    from helixforge.core.io import check_output, staging_dir
    from helixforge.core.supervised import RESUME_FILE, resumable_stage

    options = check_options(options)
    check_not_input(out, [genome, gff])
    check_output(out, overwrite=overwrite, kind="dir")
    errors = RowErrors(gff)
    g, cds, missing = load_genome_and_cds(genome, gff, errors)
    use = list(contigs) if contigs else [c for c in g.contigs if (cds["seqid"] == c).any()]
    use = [g.resolve_contig(c, where="--contigs") for c in use]
    if not use:
        if len(errors):  # every CDS was rejected: say why (ends past the contig, …)
            raise NoUsableRowsError(
                f"{gff}: no usable CDS ({len(errors)} rejected)", hint=errors.summary(3)
            )
        raise ConfigError("no contig to train on", hint="the GFF has no CDS on genome contigs")
    lengths = {c: g.lengths[c] for c in use}
    regions = split_regions(lengths, holdout)
    codes = {c: encode_int(g.sequence(c)) for c in use}
    labels = {c: cds_labels(lengths[c], cds, c) for c in use}
    ann = GeneAnnotator(device=device, threads=threads, quiet=quiet, seed=seed, **options)
    key = {
        "genome": sha256_file(genome),
        "gff": sha256_file(gff),
        "holdout": str(holdout),
        "contigs": use,
        "seed": seed,
        "options": {k: v for k, v in asdict(ann.config).items() if k != "seed"},
    }
    with resumable_stage(out, key, resume) as stage:
        final = stage / CHECKPOINTS / "final"
        if resume and final.is_dir():  # trained before the interruption: evaluate it
            from helixforge.core.artifacts import load_json

            ann = GeneAnnotator.load(final / "model", device=device)
            ann.threads, ann.quiet = threads, quiet
            done = load_json(final / "training.json")
            ann.history, ann.train_seconds = done["history"], done["train_seconds"]
        else:  # trained outside the swap below: an interruption keeps the checkpoints
            ann.fit(
                codes,
                labels,
                regions["train"],
                regions["valid"],
                checkpoint_dir=str(stage / CHECKPOINTS),
            )
            with staging_dir(final) as tmp:
                ann.save(tmp / "model")
                save_json(
                    {"history": ann.history, "train_seconds": ann.train_seconds},
                    tmp / "training.json",
                )
    scratch = [stage / CHECKPOINTS, stage / RESUME_FILE]
    with staging_dir(out, keep_on_error=False) as stage:
        for p in scratch:  # not part of the run
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
        run = RunDir(stage)
        ann.save(run / "model")
        t0 = time.perf_counter()
        metrics, genes = evaluate_regions(ann, g, cds, regions["test"])
        timing = {"train_seconds": ann.train_seconds, "predict_seconds": time.perf_counter() - t0}
        run.save_timing(**timing)
        run.save_metrics({"test": metrics})
        save_json(ann.history, run / "history.json")
        write_genes(genes, run / "predictions.gff3")
        errors.write(run / "errors.csv")
        config = {
            "command": "dna annotate train",
            "genome": str(genome),
            "gff": str(gff),
            "holdout": str(holdout),
            "regions": {k: [asdict(r) for r in v] for k, v in regions.items()},
            "gff_contigs_not_in_genome": [str(m) for m in missing],
            "gff_rows_rejected": len(errors),
            "seed": seed,
            "device": device,
            "threads": threads,
            **asdict(ann.config),
        }
        run.save_config(config)
        run.save_versions([genome, gff])
        from helixforge.dna.annotate.report import annotation_report

        annotation_report(run, metrics, ann.history, config)
    return {**metrics, **timing}  # the timing is in timings.json, not in metrics.json


CHECKPOINTS = "checkpoints"
