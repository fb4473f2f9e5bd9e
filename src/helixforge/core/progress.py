"""One progress bar for every long step: description, bar, count, rate and ETA.

    with progress("featurizing", total=len(smiles), quiet=quiet) as advance:
        for chunk in chunks:
            ...
            advance(len(chunk))

Quiet gives a no-op, so library code can always call it. When stderr is not a terminal (a job
under nohup, a cluster scheduler, CI; Jupyter aside, where Rich draws its widget) Rich draws
nothing, so a long step would be silent for hours: there the step writes a plain line instead,
at most every `LOG_INTERVAL` seconds ("featurizing: 5,000/7,831 (64%), 120.3 mol/s, 0:00:41 elapsed, ETA 0:00:23"), and one "done"
line if it wrote any. Steps shorter than the interval write nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator

LOG_INTERVAL = 30.0  # seconds between plain progress lines ($HELIX_PROGRESS_INTERVAL)

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

    console = Console(stderr=True)
    if not draws_live(console):
        with _plain_lines(description, total, unit) as advance:
            yield advance
        return
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
    bar = Progress(*columns, console=console, transient=True)
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


def draws_live(console) -> bool:
    """Whether Rich shows a live bar on `console`: a terminal, or a Jupyter notebook (a widget)."""
    return bool(console.is_terminal or console.is_jupyter)


def _interval() -> float:
    raw = os.environ.get("HELIX_PROGRESS_INTERVAL", "")
    try:
        return max(0.0, float(raw)) if raw else LOG_INTERVAL
    except ValueError:
        return LOG_INTERVAL


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@contextlib.contextmanager
def _plain_lines(
    description: str, total: float | None, unit: str
) -> Iterator[Callable[[float], None]]:
    """Progress as plain stderr lines, at most one per interval (non-terminal stderr)."""
    interval = _interval()
    start = time.monotonic()
    state = {"done": 0.0, "last": start, "lines": 0}

    def line(now: float, final: bool = False) -> str:
        done, elapsed = state["done"], now - start
        count = f"{done:,.0f}" + (f"/{total:,.0f} ({done / total:.0%})" if total else "")
        rate = f", {done / elapsed:,.1f} {unit}/s" if elapsed > 0 and done else ""
        if final:
            return f"{description}: done, {count} in {_clock(elapsed)}{rate}"
        eta = ""
        if total and done and elapsed > 0 and done < total:
            eta = f", ETA {_clock((total - done) * elapsed / done)}"
        return f"{description}: {count}{rate}, {_clock(elapsed)} elapsed{eta}"

    def advance(n: float = 1) -> None:
        state["done"] += n
        now = time.monotonic()
        if now - state["last"] >= interval:
            state["last"] = now
            state["lines"] += 1
            print(line(now), file=sys.stderr, flush=True)

    yield advance
    if state["lines"]:
        print(line(time.monotonic(), final=True), file=sys.stderr, flush=True)
