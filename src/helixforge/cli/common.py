"""What every command group shares: the console, error handling, common options.

Only typer and rich are imported here; heavy libraries are imported inside the verbs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

console = Console(stderr=True)
out = Console()

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn HelixError into a red message and exit code 2 (no traceback); keep tracebacks for bugs."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from helixforge.core.errors import HelixError

        try:
            return fn(*args, **kwargs)
        except HelixError as exc:
            console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
            if exc.hint:
                console.print(f"[yellow]→ {exc.hint}[/]", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


SEED = typer.Option(0, "--seed", help="Seed for Python, NumPy and torch.")
DEVICE = typer.Option("auto", "--device", help="auto | cpu | cuda[:N]")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars.")
