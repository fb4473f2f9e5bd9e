"""helix dna …"""

from __future__ import annotations

import typer

app = typer.Typer(help="dna commands.", no_args_is_help=True)
