"""helix crispr …"""

from __future__ import annotations

import typer

app = typer.Typer(help="crispr commands.", no_args_is_help=True)
