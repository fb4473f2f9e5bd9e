"""CLI verbs (see the group module)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's verbs to `app`."""
