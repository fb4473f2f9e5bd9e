"""report.html and card.md of a `dna annotate train` run."""

from __future__ import annotations

from typing import Any


def annotation_report(run: Any, metrics: dict, history: list, config: dict) -> None:
    """Write the run's report (held-out metrics, learning curves) and its model card."""
    from helixforge.core.report import Report

    rep = Report(
        "Per-base gene annotation",
        subtitle=f"genome: {config['genome']}; annotation: {config['gff']}; held out: {config['holdout']}",
    )
    rep.add_heading("Held-out region")
    rep.add_text(
        f"Genes called on the held-out region are in predictions.gff3; {config['gff_rows_rejected']} GFF row(s) could not be used (errors.csv)."
    )
    rep.add_metrics({k: v for k, v in metrics.items() if isinstance(v, int | float)})
    rep.add_heading("Training")
    rep.add_learning_curves(history, "per-base cross-entropy")
    rep.write(run / "report.html")
    shown = ", ".join(
        f"{k}={metrics[k]:.3f}"
        for k in (
            "coding_f1",
            "cds_plus_f1",
            "cds_minus_f1",
            "exact_sensitivity",
            "stop_sensitivity",
        )
        if k in metrics
    )
    run.write_card(
        "Per-base gene annotation model",
        {
            "Data": f"{config['genome']} with CDS features from {config['gff']}; held out: {config['holdout']}.",
            "Model": "Dilated residual CNN over one-hot windows; 7 per-base classes (non-coding, CDS codon position 1-3 on each strand); ORF-aware gene caller.",
            "Metrics (held-out region)": shown,
            "Intended use and limits": "Protein-coding genes of genomes like the training genome (prokaryotic, no introns). "
            "Start codons are the hardest part (no ribosome-binding-site model); RNA genes are not called.",
        },
    )
