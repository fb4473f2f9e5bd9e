"""Small helpers shared by benchmark scripts: resumable JSON rows, timing, markdown tables.

Standard library only, so peer runners inside their own venvs (.bench/<peer>) can import it
too (`sys.path.insert(0, <benchmarks dir>)`). Keep this file small and its API stable.

Rows are dicts stored as one JSON list per results file. A row is identified by its key
fields (by default task, model, seed); `append_row` rewrites the file atomically, so a
killed run loses at most the row in progress and `done_keys` tells a restarted run what to skip.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_KEY = ("task", "model", "seed")


def _clean(value: Any) -> Any:
    """NaN / inf → None so the file stays valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_text_atomic(text: str, path: str | os.PathLike) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be read by all
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_rows(path: str | os.PathLike) -> list[dict]:
    """All rows of a results file; [] when it does not exist yet."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return []
    with open(path) as handle:
        data = json.load(handle)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of rows, found {type(data).__name__}")
    return data


def row_key(row: dict, key: Sequence[str] = DEFAULT_KEY) -> tuple:
    return tuple(row.get(k) for k in key)


def done_keys(path: str | os.PathLike, key: Sequence[str] = DEFAULT_KEY) -> set[tuple]:
    """Keys of the rows already present (so a restarted run skips them)."""
    return {row_key(r, key) for r in load_rows(path)}


@contextlib.contextmanager
def _locked(path: Path):
    """Exclusive lock on the results folder itself (no lock file left behind), so two
    processes appending to one file lose no row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def append_row(path: str | os.PathLike, row: dict, key: Sequence[str] = DEFAULT_KEY) -> None:
    """Add `row` (replacing a row with the same key) and rewrite the file atomically."""
    path = Path(path)
    with _locked(path):
        rows = [r for r in load_rows(path) if row_key(r, key) != row_key(row, key)]
        rows.append(_clean(dict(row)))
        write_text_atomic(json.dumps(rows, indent=1) + "\n", path)


class Timer:
    """Wall and CPU seconds of a block: `with Timer() as t: ...; t.wall, t.cpu`.

    `cpu` counts this process (all its threads) plus children that finished inside the
    block (subprocess runs), which is the honest cost on a shared machine where wall time
    also measures the neighbours.
    """

    def __enter__(self) -> Timer:
        self._wall0 = time.perf_counter()
        self._cpu0 = self._cpu_now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall0
        self.cpu = self._cpu_now() - self._cpu0

    @staticmethod
    def _cpu_now() -> float:
        own = time.process_time()
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own + kids.ru_utime + kids.ru_stime


def mean_sd(values: Iterable[float | None]) -> tuple[float, float, int]:
    """Mean, population sd (ddof=0, as TDC's leaderboard reports) and count of finite values."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not vals:
        return math.nan, math.nan, 0
    return statistics.fmean(vals), statistics.pstdev(vals), len(vals)


def fmt_mean_sd(values: Iterable[float | None], digits: int = 3) -> str:
    """'0.321 ± 0.012 (5)' — mean ± sd (n); '–' when nothing finished."""
    mean, sd, n = mean_sd(values)
    if n == 0:
        return "–"
    return f"{mean:.{digits}f} ± {sd:.{digits}f} ({n})"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub markdown table; cells are str()-ed, '|' escaped."""

    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    for r in rows:
        lines.append("| " + " | ".join(cell(v) for v in r) + " |")
    return "\n".join(lines) + "\n"
