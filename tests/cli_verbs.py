"""Every `helix` verb, walked from the Typer app (shared by the CLI-wide tests)."""

from __future__ import annotations

from functools import cache

import typer.main

from helixforge.cli.app import app


@cache
def cli_verbs() -> dict:
    """{"chem train": click command, …} for every leaf verb, in sorted order."""

    def walk(cmd, path):
        if hasattr(cmd, "commands"):
            for name, sub in sorted(cmd.commands.items()):
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), cmd

    return dict(walk(typer.main.get_command(app), []))
