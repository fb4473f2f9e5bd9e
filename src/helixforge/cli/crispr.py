"""helix crispr …: guide design, on-target models, off-target search.

Verbs live in crispr_design (design, index, offtargets) and crispr_ontarget (score-ontarget,
train-ontarget), each exposing `register(app)`.
"""

from __future__ import annotations

import typer

from helixforge.cli import crispr_design, crispr_ontarget

app = typer.Typer(
    help="CRISPR guide design: on-target efficiency, off-target search and scoring.",
    no_args_is_help=True,
)
crispr_design.register(app)
crispr_ontarget.register(app)
