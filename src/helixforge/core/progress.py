"""One progress bar for every long step: description, bar, count, rate and ETA.

    with progress("featurizing", total=len(smiles), quiet=quiet) as advance:
        for chunk in chunks:
            ...
            advance(len(chunk))

Quiet (or a non-terminal stderr under --quiet) gives a no-op, so library code can always call it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

# The bar on screen: a progress step inside another one adds a row to it rather than
# starting a second live display (Rich shows one at a time).
_ACTIVE: list = []


@contextlib.contextmanager
def progress(
    description: str, total: float | None = None, *, quiet: bool = False, unit: str = "it"
) -> Iterator[Callable[[float], None]]:
    """Yield `advance(n)`; shows a Rich bar with rate and ETA on stderr unless `quiet`.

    Nested calls (a step inside a step) show as extra rows of the same display.
    """
    if quiet:
        yield lambda n=1: None
        return
    if _ACTIVE:
        outer = _ACTIVE[-1]
        task = outer.add_task(description, total=total, unit=unit)
        try:
            yield lambda n=1: outer.advance(task, n)
        finally:
            outer.remove_task(task)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total else TaskProgressColumn(),
        _RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    bar = Progress(*columns, console=Console(stderr=True), transient=True)
    _ACTIVE.append(bar)
    try:
        with bar:
            task = bar.add_task(description, total=total, unit=unit)
            yield lambda n=1: bar.advance(task, n)
    finally:
        _ACTIVE.remove(bar)


def _RateColumn(unit: str):  # noqa: N802 - a column factory
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task):  # type: ignore[override]
            speed = task.finished_speed or task.speed
            shown = task.fields.get("unit", unit)
            return Text("" if speed is None else f"{speed:,.1f} {shown}/s")

    return RateColumn()
