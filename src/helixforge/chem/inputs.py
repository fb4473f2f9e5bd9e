"""Arguments a notebook user passes to the chem Python API, checked once at the entry point.

    smiles = smiles_list(smiles, "featurize")          # list[str-ish], one item per molecule
    mols = mol_list(mols, "apply_filters")              # RDKit molecules or None
    y = label_matrix(y, task_types, "GBMModel.fit", n=len(smiles))

A SMILES argument may be a list, tuple, 1-D NumPy array, pandas Series / Index or any other
ordered iterable (a generator is read once). Refused, with a message naming the function and
what to pass instead: None, one string (iterating it would read each character as a molecule:
'CCO' → 'C', 'C', 'O'), bytes, a DataFrame (iterating gives its column names), a dict (its
keys), a set (no order, so results could not be matched back to inputs), a 2-D array and a
number. The items themselves are not checked here: a bad item (None, NaN, a number, an invalid
SMILES) is a per-row failure handled where it is parsed (`standardize.parse_smiles`).

These checks are per call, not per molecule, so the hot paths (screen, ADMET: ~1000 mol/s) do
not pay for them; `mol_list` adds one isinstance test per molecule (~0.1 µs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError

PROBE_SMILES = "CCO"  # a molecule every model and endpoint scores: warm-up and dead-worker probes


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _kind(value: Any) -> str:
    return type(value).__name__


def smiles_list(
    smiles: Any,
    where: str,
    name: str = "smiles",
    *,
    allow_str: bool = False,
    any_order: bool = False,
) -> list:
    """`smiles` as a list with one item per molecule, or an InputError naming `where` (the
    function) and `name` (its argument). `allow_str=True` reads one string as one molecule
    (for functions documented to take one); `any_order=True` takes a set too (for results
    that do not depend on the order: a vocabulary, a Bloom filter, a set statistic)."""
    return _as_list(smiles, where, name, allow_str=allow_str, what="SMILES", any_order=any_order)


def smiles_iter(smiles: Any, where: str, name: str = "smiles", *, any_order: bool = False):
    """`smiles_list`'s refusals for a stream that must not be read into memory (a corpus
    generator): an iterator is returned unread, anything else as `smiles_list` gives it."""
    return _as_list(
        smiles, where, name, allow_str=False, what="SMILES", materialize=False, any_order=any_order
    )


def _as_list(
    value: Any,
    where: str,
    name: str,
    *,
    allow_str: bool,
    what: str,
    materialize: bool = True,
    any_order: bool = False,
) -> list:
    if isinstance(value, list):
        return value
    import pandas as pd

    if value is None:
        raise InputError(
            f"{where}: {name} is None; expected a list of {what}",
            hint=f"pass a list, tuple, NumPy array or pandas Series of {what}",
        )
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, str):
        if allow_str:
            return [value]
        raise InputError(
            f"{where}: {name} is one string ({_clip(value)!r}), not a list of {what}; read "
            "as a list it would be one molecule per character",
            hint=f"wrap it in a list: [{_clip(value)!r}]",
        )
    if isinstance(value, bytes | bytearray):
        raise InputError(
            f"{where}: {name} is bytes ({_clip(repr(value))}), not a list of {what}",
            hint="decode it (value.decode()) and wrap it in a list",
        )
    if isinstance(value, pd.DataFrame):
        cols = ", ".join(repr(str(c)) for c in list(value.columns)[:8])
        raise InputError(
            f"{where}: {name} is a DataFrame (columns {cols or 'none'}); iterating it gives "
            f"the column names, not the {what}",
            hint=f"pass one column: df[{str(value.columns[0]) if len(value.columns) else 'col'!r}]",
        )
    if isinstance(value, Mapping):
        raise InputError(
            f"{where}: {name} is a {_kind(value)}; iterating it gives its keys",
            hint=f"pass list(d.values()) or list(d) explicitly, as a list of {what}",
        )
    if isinstance(value, set | frozenset):
        if any_order:
            try:
                return sorted(value)  # a fixed order: the same result in every process
            except TypeError:
                return list(value)
        raise InputError(
            f"{where}: {name} is a {_kind(value)}, which has no order, so the results could "
            "not be matched back to the molecules",
            hint="pass a list (e.g. sorted(your_set)) and keep it to match the results",
        )
    if isinstance(value, np.ndarray):
        if value.ndim == 1:
            return value.tolist()
        raise InputError(
            f"{where}: {name} is a {value.ndim}-D array of shape {value.shape}; expected "
            f"a 1-D array of {what}",
            hint="flatten it (arr.ravel()) or pass one column (arr[:, 0])",
        )
    if isinstance(value, pd.Series | pd.Index):
        return value.tolist()
    if not isinstance(value, Iterable):
        raise InputError(
            f"{where}: {name} is {_kind(value)} {_clip(repr(value))}; expected a list of {what}",
            hint=f"pass a list, tuple, NumPy array or pandas Series of {what}",
        )
    return list(value) if materialize else value


def mol_list(mols: Any, where: str, name: str = "mols") -> list:
    """`mols` (RDKit molecules, None for a failed one) as a list, or an InputError naming
    `where`: the container rules of `smiles_list`, and every item must be a molecule or None
    (SMILES strings are named: parse them first)."""
    from rdkit import Chem

    out = _as_list(mols, where, name, allow_str=False, what="RDKit molecules")
    mol_type = Chem.Mol
    for i, m in enumerate(out):
        if m is not None and not isinstance(m, mol_type):
            if isinstance(m, str):
                raise InputError(
                    f"{where}: {name}[{i}] is a SMILES string ({_clip(m)!r}); this function "
                    "takes RDKit molecules",
                    hint="parse them first: [Chem.MolFromSmiles(s) for s in smiles] (or "
                    "helixforge.chem.standardize.parse_smiles(s)[0], None for an invalid one)",
                )
            raise InputError(
                f"{where}: {name}[{i}] is {_kind(m)} {_clip(repr(m))}, not an RDKit molecule",
                hint="pass RDKit molecules (None for a molecule that could not be parsed)",
            )
    return out


def label_matrix(y: Any, task_types: Sequence[str], where: str, n: int | None = None) -> np.ndarray:
    """Labels as a float (n, tasks) array with NaN for a missing label, checked against the
    task types: numbers only (text → named), finite (±inf → named), as many rows as
    molecules (`n`), binary 0/1, multiclass integers 0..k-1."""
    if isinstance(task_types, str):
        raise ConfigError(
            f"{where}: task_types is one string ({task_types!r}); expected one per label column",
            hint=f"wrap it in a list: [{task_types!r}]",
        )
    task_types = list(task_types)
    if y is None:
        raise InputError(f"{where}: y is None; expected the labels (n_molecules, n_tasks)")
    if isinstance(y, str | bytes):
        raise InputError(f"{where}: y is one string ({_clip(str(y))!r}), not an array of labels")
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        arr = _labels_with_missing(y, where)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != len(task_types):
        raise ConfigError(
            f"{where}: y has shape {arr.shape} but {len(task_types)} task types were given",
            hint="pass y as (n_molecules, n_tasks) with one task type per column",
        )
    if n is not None and len(arr) != n:
        raise InputError(
            f"{where}: {n} molecules but {len(arr)} rows of labels",
            hint="pass one label row per SMILES, in the same order",
        )
    for j, kind in enumerate(task_types):
        col = arr[:, j]
        present = col[~np.isnan(col)]
        if not np.all(np.isfinite(present)):
            rows = np.flatnonzero(np.isinf(col))[:5].tolist()
            raise InputError(
                f"{where}: task {j} has infinite labels (rows {rows})",
                hint="use NaN for a missing label, or drop those rows",
            )
        if kind == "binary" and not np.all(np.isin(present, (0.0, 1.0))):
            raise InputError(
                f"{where}: task {j} is binary but has labels other than 0/1: "
                f"{sorted(set(present.tolist()) - {0.0, 1.0})[:5]}",
                hint="encode the classes as 0 and 1, or use task type 'regression'",
            )
        if kind == "multiclass" and not np.all((present >= 0) & (present == np.round(present))):
            bad = sorted({v for v in present.tolist() if v < 0 or v != round(v)})[:5]
            raise InputError(
                f"{where}: task {j} is multiclass but has labels that are not 0..k-1 "
                f"integers: {bad}",
                hint="encode the classes as 0, 1, …, k-1",
            )
    return arr


def valid_pair(valid: Any, where: str) -> tuple[Any, Any]:
    """`valid=(smiles, y)` of a model's fit, unpacked, or ConfigError."""
    if not isinstance(valid, tuple | list) or len(valid) != 2:
        raise ConfigError(
            f"{where}: valid must be a pair (smiles, y), not {type(valid).__name__}",
            hint="valid=(valid_smiles, valid_y)",
        )
    return valid[0], valid[1]


def _labels_with_missing(y: Any, where: str) -> np.ndarray:
    """Labels NumPy cannot cast as a whole: pd.NA / None are missing (NaN); anything else that
    is not a number is named with its position."""
    from helixforge.core.errors import is_missing

    raw = np.asarray(y, dtype=object)
    flat = raw.reshape(-1)
    out = np.empty(flat.shape, dtype=np.float64)
    for i, v in enumerate(flat):
        if is_missing(v):
            out[i] = np.nan
        elif _is_number(v):
            out[i] = float(v)
        else:
            raise InputError(
                f"{where}: y has a value that is not a number ({_clip(repr(v))} at flat "
                f"position {i})",
                hint="labels must be numbers (NaN for a missing one); encode text classes as "
                "0..k-1, or use train_property_model, which maps them",
            )
    return out.reshape(raw.shape)


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def check_paths(
    where: str, hint: str | None = None, *, optional: tuple[str, ...] = (), **paths: Any
) -> None:
    """InputError unless each given path is a str or os.PathLike (None only for the names in
    `optional`): a list of SMILES or a DataFrame passed to a file-based function otherwise
    fails deep inside pathlib. `hint` says which in-memory function takes such data."""
    import os

    for name, value in paths.items():
        if isinstance(value, str | os.PathLike) or (value is None and name in optional):
            continue
        shown = repr(value).splitlines()[0] if not hasattr(value, "columns") else "(a table)"
        raise InputError(
            f"{where}: {name} must be a file path (str or pathlib.Path), not "
            f"{_kind(value)} {_clip(shown)}",
            hint=hint or "write the data to a file first (e.g. DataFrame.to_csv)",
        )


def check_jobs(n_jobs: Any, chunk_size: Any, where: str) -> None:
    """`n_jobs` (None, 0 = one process, -1 = all CPUs, N) and `chunk_size` (≥ 1) as
    integers, else ConfigError (a str or float failed deep in core.parallel)."""
    import numbers

    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral)
    ):
        raise ConfigError(
            f"{where}: n_jobs must be an integer (0 or 1 = this process, -1 = all CPUs), not "
            f"{_clip(repr(n_jobs))}"
        )
    check_int(chunk_size, "chunk_size", where, minimum=1)


def check_int(value: Any, name: str, where: str, *, minimum: int | None = None) -> int:
    """`value` as a Python int (NumPy integers accepted; bool, float and text refused)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{where}: {name} must be an integer, not {_clip(repr(value))}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where}: {name} must be at least {minimum}, not {value}")
    return value


def smiles_columns(path: Any, rows: int = 100) -> list[str]:
    """The columns of a table's first `rows` rows whose filled cells are nearly all (≥ 90 %)
    SMILES RDKit parses, and not plain numbers or one-atom words ('C', 'N' are SMILES too)."""
    import re

    from rdkit import Chem

    from helixforge.chem.standardize import quiet_rdkit
    from helixforge.core.tables import head_rows

    quiet_rdkit()
    frame = head_rows(path, rows)
    if frame is None:
        return []
    number = re.compile(r"[+-]?\d+(?:[.,]\d*)?(?:[eE][+-]?\d+)?")
    found = []
    for col in frame.columns:
        cells = [str(v).strip() for v in frame[col].dropna() if str(v).strip()]
        if not cells or sum(len(c) > 3 for c in cells) < len(cells) / 2:
            continue
        parsed = sum(
            not number.fullmatch(c) and Chem.MolFromSmiles(c, sanitize=False) is not None
            for c in cells
        )
        if parsed >= 0.9 * len(cells):
            found.append(str(col))
    return found


class smiles_column_hint:
    """Context manager: a `ColumnNotFoundError` for the SMILES column `col` of the table
    `path` gets the hint naming the column(s) that hold SMILES and `option` to pick one (a
    model trained on BACE's 'mol' column, given a table whose column is 'smiles', only got the
    list of columns)."""

    def __init__(self, path: Any, col: str, option: str = "--input-col"):
        self.path, self.col, self.option = path, col, option

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        from helixforge.core.errors import ColumnNotFoundError

        if not isinstance(exc, ColumnNotFoundError):
            return False
        if repr(self.col) not in exc.message.split("Columns present")[0]:
            return False
        from helixforge.core.errors import close_columns, looks_like_data

        available = list(getattr(exc, "available", []))
        if available and (available[0].lstrip().startswith("#") or looks_like_data(available[0])):
            return False  # no header line / a comment above it: the error's own hint says so
        try:
            found = [c for c in smiles_columns(self.path) if c != self.col]
        except Exception:  # noqa: BLE001 - the hint is a courtesy; the error stands as it is
            return False
        if found:
            shown = ", ".join(repr(c) for c in found)
            exc.hint = f"{shown} holds SMILES: pass {self.option} {found[0]!r}"
            others = [m for m in getattr(exc, "missing", []) if m != self.col]
            guesses = [g for g in close_columns(others, available) if g[1:-1] not in found]
            if guesses:  # 'SMILES' / 'LogP' for smiles / logp: name the label column too
                exc.hint += (
                    f"; and for {', '.join(map(repr, others))}: did you mean {' / '.join(guesses)}?"
                )
            exc.args = (f"{exc.message}\n  → {exc.hint}",)
        return False
