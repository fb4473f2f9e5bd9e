"""helix dna …: sequence models, annotation, motifs, interpretation, variants, design.

Verbs are defined in two modules (models: train/predict/evaluate/annotate; analysis: motifs,
interpret, variants, design), each exposing `register(app)`.
"""

from __future__ import annotations

import typer

from helixforge.cli import dna_analysis, dna_models

app = typer.Typer(
    help="DNA sequence models, gene annotation, motifs, interpretation, variant effects.",
    no_args_is_help=True,
)
dna_models.register(app)
dna_analysis.register(app)
