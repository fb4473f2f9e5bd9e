"""Errors that tell the user what went wrong and what to do.

`HelixError` and its family are raised for problems with an input as a whole (missing file,
missing column, nothing usable left). Problems with a single row are *recorded* as `RowError`
in a `RowErrors` collector and the row is skipped, so one bad row never kills a long job.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# NumPy 2 scalar reprs (np.str_('foo'), np.float64(1.5), np.int64(3)) that leak into messages
# when user data is formatted with repr() or inside a list.
_NP_REPR = re.compile(
    r"np\.(?:str_|bytes_|bool_?|u?int(?:8|16|32|64)?|float(?:16|32|64|128)?|"
    r"complex(?:64|128|256)?|longlong|ulonglong|intc|uintc|double|single|half|longdouble|"
    r"datetime64|timedelta64)\(((?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^()'\"])*)\)"
)


def plain(value: Any) -> Any:
    """`value` with NumPy scalars and arrays turned into plain Python objects (also inside
    lists, tuples, sets and dicts), so repr() in a message reads 'foo', not np.str_('foo')."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(plain(v) for v in value)
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value


def quoted(values: Iterable[Any]) -> str:
    """'a', 'b', 'c' — names or values for a message, as plain Python reprs."""
    return ", ".join(repr(plain(v)) for v in values)


def scrub_numpy_reprs(text: str) -> str:
    """Rewrite NumPy scalar reprs in a finished message: np.str_('foo') → 'foo'."""
    return _NP_REPR.sub(r"\1", text) if "np." in text else text


def _rebuild_error(cls: type, state: dict) -> HelixError:
    err = Exception.__new__(cls)
    Exception.__init__(err, *state.pop("__args__", ()))
    err.__dict__.update(state)
    return err


class HelixError(Exception):
    """Base error: the message says what went wrong; `hint` says what to do about it.

    NumPy scalar reprs in the message or hint are rewritten as plain Python ones. Errors
    pickle (and so cross process boundaries, see core.parallel) with every attribute.
    """

    def __init__(self, message: str, hint: str | None = None):
        message = scrub_numpy_reprs(str(message))
        hint = scrub_numpy_reprs(str(hint)) if hint else hint
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\n  → {hint}")

    def __reduce__(self):
        return (_rebuild_error, (type(self), {**self.__dict__, "__args__": self.args}))


class InputError(HelixError):
    """An input file or table is unusable as a whole."""


class ColumnNotFoundError(InputError):
    """A requested column does not exist; the message lists those that do."""

    def __init__(
        self,
        missing: Iterable[str],
        available: Iterable[str],
        source: str | os.PathLike | None = None,
    ):
        missing = [str(m) for m in missing]
        available = [str(c) for c in available]
        where = f"{source}: " if source else ""
        plural = "s" if len(missing) > 1 else ""
        guesses = close_columns(missing, available)
        # A first line such as '# exported by …' is read as the header: say so, since the
        # "columns present" list alone does not tell the user what went wrong.
        comment = bool(available) and available[0].lstrip().startswith("#")
        data = bool(available) and looks_like_data(available[0])
        joined = _joined_names(missing, available)
        if joined:  # '--label-col a,b' meant two columns: each option takes one name
            guesses = []
        super().__init__(
            f"{where}column{plural} {quoted(missing)} not found. "
            f"Columns present: {quoted(available) or '(none)'}",
            hint=(f"did you mean {' / '.join(guesses)}? " if guesses else "")
            + (
                f"{' and '.join(map(repr, joined))} are columns: repeat the option once per "
                "column (e.g. --label-col a --label-col b); it takes one name"
                if joined
                else "the first line starts with '#' and was read as the header line; remove "
                "the comment lines above the header"
                if comment
                else "the first line looks like data (a SMILES or a sequence), not a header: "
                "a list of SMILES without a header is read as such from a file named .smi "
                "(name it so), otherwise add a header line naming the columns"
                if data
                else "pass the right column name (for example --input-col / --label-col), "
                "or check the file's delimiter and header line"
            ),
        )
        self.missing = missing
        self.available = available


_SMILES_CHARS = re.compile(r"[A-Za-z0-9@+\-\[\]()=#$/\\.%:]+")


def looks_like_data(name: str) -> bool:
    """A header 'name' that is a SMILES (a bond or bracket atom, or a ring closure, and only
    SMILES characters) or a DNA sequence: the file has no header line and its first record
    was read as one."""
    parts = name.split()
    text = parts[0] if parts else ""  # 'CCO ethanol': a SMILES list with names
    if len(text) >= 12 and set(text.upper()) <= set("ACGTNU"):
        return True
    if not _SMILES_CHARS.fullmatch(text):
        return False
    return (
        any(ch in text for ch in "=#[")
        or re.search(r"[A-Za-z]([1-9]).*[A-Za-z]\1", text) is not None
        # only organic-subset atoms with a branch: 'CC(C)CC(C)(C)O' (not 'IC50(nM)')
        or ("(" in text and _ORGANIC_ONLY.fullmatch(text) is not None)
    )


_ORGANIC_ONLY = re.compile(r"(?:Cl|Br|[BCNOPSFI]|[bcnops]|[0-9()=#@+\-/\\.%])+")


def _joined_names(missing: list[str], available: list[str]) -> list[str]:
    """The columns a missing name lists when it is several present ones joined by commas
    ('logp,has_n' for two --label-col options), else []."""
    for m in missing:
        parts = [p.strip() for p in m.split(",")]
        if len(parts) > 1 and all(p in available for p in parts):
            return parts
    return []


def close_columns(missing: list[str], available: list[str]) -> list[str]:
    """Present columns that differ from a missing one only in case/spacing, or look close."""
    import difflib

    def norm(c: str) -> str:
        return c.strip().lower().replace(" ", "_")

    out: list[str] = []
    for m in missing:
        same = [a for a in available if norm(a) == norm(m)]
        near = same or difflib.get_close_matches(m, available, n=1, cutoff=0.8)
        out += [repr(a) for a in near if repr(a) not in out]
    return out


class EmptyInputError(InputError):
    """The input has no data rows."""


class NoUsableRowsError(InputError):
    """Every row of the input was rejected; the errors table says why."""


class ConfigError(HelixError):
    """An option or combination of options is invalid."""


class WorkerCrashedError(HelixError):
    """A worker process died (a signal such as SIGKILL from the out-of-memory killer, or a crash
    in a compiled library) while it worked on one item, and died again on that item alone."""


class DataUnavailableError(HelixError):
    """A dataset or model is not available locally and would need the network."""


def default_hint(exc: HelixError, command: str = "helix") -> str:
    """What to do about `exc` when its raiser gave no hint: by the kind of error, so every
    refusal a user sees ends with a next step (`command`: the verb, for its --help)."""
    if exc.hint:
        return exc.hint
    if isinstance(exc, NoUsableRowsError):
        return "fix the rejected rows (the errors table beside the output lists each one) and run again"
    if isinstance(exc, EmptyInputError):
        return "give a file that holds data: a header line (for tables) and at least one record"
    if isinstance(exc, InputError):
        return (
            "check the file named above: its path, that its content is the format its name "
            "says, and that it is complete"
        )
    if isinstance(exc, ConfigError):
        return f"check the options given; `{command} --help` says what each accepts"
    if isinstance(exc, DataUnavailableError):
        return "make it available locally (helix data fetch NAME where there is network, or HELIX_DATA_MIRROR)"
    if isinstance(exc, WorkerCrashedError):
        return "run again with fewer --jobs or with more memory; the item it died on is named above"
    return f"check the inputs and options named above (`{command} --help`)"


@dataclass(frozen=True)
class RowError:
    """One rejected row: where it is, which column, the offending value and why."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        loc = self.file or "<input>"
        if self.row is not None:
            loc += f", row {self.row}"
        if self.column:
            loc += f", column '{self.column}'"
        val = "" if self.value is None else f" (value {_clip(self.value)!r})"
        return f"{loc}: {self.reason}{val}"


def is_missing(value: Any) -> bool:
    """True for an empty table cell as pandas gives it: None, NaN, pd.NA or NaT."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and value != value  # NaN, also numpy.float64


def _clip(value: Any, n: int = 80) -> str:
    value = plain(value)
    s = value if isinstance(value, str) else str(value)
    return s if len(s) <= n else s[: n - 3] + "..."


class RowErrors:
    """Collects `RowError`s during a job; written as a table next to the job's outputs."""

    def __init__(self, file: str | os.PathLike | None = None):
        self.file = str(file) if file is not None else ""
        self.items: list[RowError] = []

    def add(self, row: int | None, column: str | None, value: Any, reason: str) -> None:
        self.items.append(
            RowError(
                self.file,
                None if row is None else int(row),
                None if column is None else str(column),
                None if is_missing(value) else _clip(value, 200),  # an empty cell, not 'nan'
                str(reason),
            )
        )

    def extend(self, other: RowErrors | Iterable[RowError]) -> None:
        self.items.extend(other.items if isinstance(other, RowErrors) else other)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def rows(self) -> set[int]:
        return {e.row for e in self.items if e.row is not None}

    def to_frame(self):
        import pandas as pd

        cols = ["file", "row", "column", "value", "reason"]
        return pd.DataFrame([asdict(e) for e in self.items], columns=cols)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the errors table (always, even when empty, so a job's outputs are predictable):
        file by file in the order first met, rows in increasing order within a file (checks
        that run in stages find a file's problems out of order), file-level entries last."""
        from helixforge.core.tables import write_table

        df = self.to_frame()
        if len(df) > 1:
            first = {f: k for k, f in enumerate(dict.fromkeys(df["file"]))}
            df = (
                df.assign(_file=df["file"].map(first), _row=df["row"].astype(float))
                .sort_values(["_file", "_row"], kind="stable", na_position="last")
                .drop(columns=["_file", "_row"])
                .reset_index(drop=True)
            )
        return write_table(df, path)

    def summary(self, limit: int = 5) -> str:
        head = [str(e) for e in self.items[:limit]]
        more = len(self.items) - limit
        if more > 0:
            head.append(f"... and {more} more")
        return "\n".join(head)
