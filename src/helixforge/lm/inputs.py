"""Python-API argument normalisers shared by lm, dna and crispr (a notebook user's inputs).

Every function that takes "a list of sequences" or "one sequence" goes through these, so a
`None`, a bare string where a list is expected, bytes, a NumPy array, a pandas Series or a
generator all behave the same everywhere: usable values become plain `str`, anything else is an
`InputError` / `ConfigError` naming the argument (and the item) and what to pass instead.

* `as_sequence(value, name)`    — one sequence: str, NumPy str, bytes / bytearray (ASCII).
* `as_sequences(values, name)`  — a list of them: list, tuple, NumPy 1-D array, pandas Series
  (values, in order), generator; a single string is *one* sequence (never read char by char).
* `as_names(values, name)`      — names or codes given as one string or a list ('NGG' or
  ['NGG', 'NAG'], 'MA0139.2' or ['MA0139.2']): a bare string is one name, not its characters.
* `as_path(value, name)`        — a file or folder argument: str or os.PathLike, not None.

They live in `lm` (below `dna` and `crispr`, as `lm.alphabet` does) so all three share them;
they check types and missing values only, never the alphabet (each domain has its own policy).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, InputError, is_missing

_LIST_HINT = "pass a list of sequence strings, e.g. ['ACGT…', 'TTGA…']"


def _type_name(value: Any) -> str:
    """'an int', 'a float', 'a DataFrame' — the value's type with its article."""
    kind = type(value).__name__
    return ("an " if kind[:1].lower() in "aeiou" else "a ") + kind


def as_sequence(value: Any, name: str = "sequence") -> str:
    """`value` as a plain str (bytes are decoded as ASCII); None, NaN and non-text values are
    an `InputError` naming `name`."""
    if type(value) is str:
        return value
    if isinstance(value, str):  # np.str_ and other str subclasses
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise InputError(
                f"{name}: bytes that are not ASCII text ({bytes(value)[:20]!r}…)",
                hint="decode them first, e.g. value.decode('utf-8')",
            ) from None
    if is_missing(value):
        raise InputError(
            f"{name} is missing ({value!r})",
            hint="pass a sequence string, or drop this entry (e.g. df.dropna())",
        )
    raise InputError(
        f"{name} is {_type_name(value)} ({_short(value)}), not a sequence string",
        hint="pass the sequence as a str, e.g. 'ACGT…'",
    )


def as_sequences(values: Any, name: str = "sequences") -> list[str]:
    """`values` as a list of str, in order. A single str / bytes is one sequence. Lists, tuples,
    1-D NumPy arrays, pandas Series / Index and generators are accepted; None, a mapping, a set,
    a DataFrame, a 2-D array or a number is an `InputError`. A missing or non-text item is an
    `InputError` naming `name[i]`."""
    if values is None:
        raise InputError(f"{name} is None", hint=_LIST_HINT)
    if isinstance(values, str | bytes | bytearray):
        return [as_sequence(values, f"{name}[0]")]
    kind = _type_name(values)
    if kind == "a DataFrame":
        cols = list(getattr(values, "columns", []))[:5]
        raise InputError(
            f"{name} is a DataFrame (columns {cols}); pass one column of sequences",
            hint=f"e.g. df[{cols[0]!r}]" if cols else _LIST_HINT,
        )
    if isinstance(values, Mapping):
        raise InputError(
            f"{name} is {kind}; a list of sequences is expected here",
            hint="pass list(d.values()) for the sequences (keep list(d) as their names)",
        )
    if isinstance(values, set | frozenset):
        raise InputError(
            f"{name} is a set, whose order is arbitrary: results could not be matched back",
            hint="pass a list (e.g. sorted(the_set))",
        )
    ndim = getattr(values, "ndim", None)
    if ndim is not None and ndim != 1:
        if ndim == 0:
            return [as_sequence(values.item(), f"{name}[0]")]
        raise InputError(
            f"{name} is a {ndim}-D array of shape {tuple(values.shape)}; a 1-D list of sequence "
            "strings is expected",
            hint="pass arr.ravel().tolist() if it holds sequences, or decode one-hot arrays first",
        )
    if hasattr(values, "tolist") and ndim == 1:  # NumPy array, pandas Series / Index
        values = values.tolist()
    elif not isinstance(values, Iterable):
        raise InputError(f"{name} is {kind} ({_short(values)}), not a list of sequences",
                         hint=_LIST_HINT)  # fmt: skip
    out = list(values)
    for i, v in enumerate(out):
        if type(v) is not str:
            out[i] = as_sequence(v, f"{name}[{i}]")
    return out


def as_names(values: Any, name: str, *, allow_none: bool = True) -> list[str] | None:
    """Names / codes given as one string or a list of strings → a list of str (a bare string is
    one name, not its characters; bytes are decoded as ASCII, as `as_sequence` does). None stays None when `allow_none`; other types are a
    `ConfigError` naming `name`."""
    if values is None:
        if allow_none:
            return None
        raise ConfigError(f"{name} is None", hint=f"pass a name or a list of names for {name}")
    if isinstance(values, str | bytes | bytearray):
        return [as_sequence(values, name)]  # b'NGG' is one name (iterating gave ints: 78, ...)
    if isinstance(values, Mapping | set | frozenset) or not isinstance(values, Iterable):
        raise ConfigError(
            f"{name} must be a string or a list of strings, got {_type_name(values)} "
            f"({_short(values)})"
        )
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bytes | bytearray):
            v = as_sequence(v, f"{name}[{i}]")
        if not isinstance(v, str):
            raise ConfigError(
                f"{name}[{i}] must be a string, got {_type_name(v)} ({_short(v)})",
                hint=f"pass {name} as a list of strings",
            )
        out.append(str(v))
    return out


def as_path(value: Any, name: str) -> Path:
    """A file or folder argument as a `Path`; None or a non-path value is an `InputError`."""
    if isinstance(value, str | os.PathLike):
        return Path(value)
    if value is None:
        raise InputError(f"{name} is None", hint=f"pass the {name} as a str or Path")
    raise InputError(
        f"{name} must be a path (str or Path), got {_type_name(value)} ({_short(value)})"
    )


def _short(value: Any, n: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."
