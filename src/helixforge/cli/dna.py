"""helix dna …: sequence models, annotation, motifs, interpretation, variants, design.

Verbs are defined in modules exposing `register(app)`: `dna_models` (train / predict /
evaluate) and `dna_analysis` (motifs, and through it annotate, variants, interpret, design).
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
