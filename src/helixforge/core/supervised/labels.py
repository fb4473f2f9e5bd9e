"""Label cleaning for a domain reader: bad labels become row errors, never training data."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError, RowErrors
from helixforge.core.tables import NA_SPELLINGS


def _numeric_share(raw: pd.Series, column: str, source: str | None, delimiter: str | None) -> float:
    """The share of non-missing labels that are numbers (decimal commas read as
    `core.tables.number_text` reads them)."""
    from helixforge.core.tables import number_text

    s = raw.dropna().astype(str).str.strip()
    s = s[~s.isin(NA_SPELLINGS)]
    if not len(s):
        return 1.0
    try:
        s = number_text(s, column, source=source, delimiter=delimiter)
    except InputError:  # ambiguous '1,234' values: numbers either way; a numeric column
        s = s.str.replace(",", "", regex=False)  # then gets the error from to_numeric_column
    return float(pd.to_numeric(s, errors="coerce").notna().mean())


def _mostly_bounds_or_units(raw: pd.Series, share: float, declared: bool) -> bool:
    """Whether a column that is not mostly plain numbers is mostly numbers written with a
    bound, a unit or more ('>10000', '<0.1', '5 uM', '12%', '1,013.5', '3.2 ± 0.4': ChEMBL
    relations, Excel percentages and thousands separators), in more distinct values than a
    class column may have (any number of them when the column is `declared` a regression
    target). Such a column is numeric (each such value a row error naming what is wrong with
    it), not 80 text 'classes' that cannot be modelled; a real two-class column such as
    '<10' / '>=10' keeps its classes."""
    from helixforge.core.supervised.tasks import MAX_CLASSES

    s = raw.dropna().astype(str).str.strip()
    s = s[~s.isin(NA_SPELLINGS)]
    if not len(s) or (not declared and s.nunique() <= MAX_CLASSES):
        return False
    n = len(s)
    s = s[pd.to_numeric(s, errors="coerce").isna()]  # '1e5' is a number, not 1 'e5'
    qualified = s.map(lambda v: bool(_NUMBER_FIRST.match(v))).sum()
    return share + qualified / n >= 0.5


_CENSORED = re.compile(r"\s*(?:[<>]=?|[≤≥~])\s*[-+\u2212]?(?:\d|\.\d)")
# a value that starts as a number does (after an optional bound)
_NUMBER_FIRST = re.compile(r"\s*(?:[<>]=?|[≤≥~])?\s*[-+\u2212]?(?:\d|\.\d)")
_THOUSANDS_GROUPS = re.compile(r"\s*[-+\u2212]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*")


# '5 uM', '3.2nM', '12 %', '250 mg/kg': a number followed by a unit
_WITH_UNIT = re.compile(
    r"\s*[-+\u2212]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?\s*([A-Za-z%\u00b5\u03bc\u00b0][\w/%\u00b5\u03bc\u00b0.]*)\s*"
)


# Labels beyond this magnitude are no measurement (Excel writes 9.99E+307 for 'infinity'):
# their squares overflow (null RMSE / R²) and a residual histogram cannot bin them.
MAX_LABEL_MAGNITUDE = 1e100


def _not_a_number(value: object) -> str:
    """Why a label in a numeric column was not used: a censored measurement ('>10000',
    '<0.1': only a bound, no value) says so; anything else is 'not a number'."""
    if isinstance(value, str) and value.strip().startswith("~"):
        return "label is an approximate value ('~'); give the number alone, or leave it empty"
    if isinstance(value, str) and ("±" in value or "+/-" in value):
        return "label has an uncertainty ('±'); give the value alone, or leave it empty"
    if isinstance(value, str) and _THOUSANDS_GROUPS.fullmatch(value):
        plain = value.strip().replace(",", "")
        return f"label has thousands separators; write it without them ({plain})"
    if isinstance(value, str) and _CENSORED.match(value):
        return (
            "label is a censored value (only a bound such as '>10000', not a measurement); "
            "give the number, or leave it empty"
        )
    unit = _WITH_UNIT.fullmatch(value) if isinstance(value, str) else None
    if unit and not re.fullmatch(r"[eExX]\d+", unit.group(1)):  # not '1e400', '0x10
        return (
            f"label has a unit ({unit.group(1)!r}); give the number alone, every label of the "
            "column in one unit"
        )
    try:
        huge = abs(float(value)) > MAX_LABEL_MAGNITUDE  # finite, parsed, yet no measurement
    except (TypeError, ValueError):
        huge = False
    if huge and np.isfinite(float(value)):
        return (
            f"label too large to compute with (|value| > {MAX_LABEL_MAGNITUDE:g}; a placeholder "
            "such as 9.99E+307?); give the measurement or leave it empty"
        )
    return "label is not a number (or not finite)"


def _merge_case_variants(col: pd.Series, name: str) -> tuple[pd.Series, str | None]:
    """Text classes that differ only in case or inner spacing ('ACTIVE', 'Active',
    'active ') are one class, spelled as most of its rows spell it (they were separate
    classes: a binary task became a three-class one). Returns the column and a note."""
    present = col.dropna()
    if not len(present) or not all(isinstance(v, str) for v in present):
        return col, None
    counts = present.value_counts()
    key = {v: " ".join(str(v).split()).casefold() for v in counts.index}
    spelling: dict[str, str] = {}
    for v in counts.index:  # most frequent first (ties: value_counts order is stable)
        spelling.setdefault(key[v], v)
    merged = {v: spelling[key[v]] for v in counts.index if spelling[key[v]] != v}
    if not merged:
        return col, None
    shown = ", ".join(f"{v!r} → {w!r}" for v, w in list(merged.items())[:5])
    return col.map(lambda v: merged.get(v, v)), (
        f"{name}: labels that differ only in case or spacing were read as one class ({shown})"
    )


def clean_labels(
    frame: pd.DataFrame,
    targets: Sequence[str],
    errors: RowErrors,
    *,
    source: str | None = None,
    numeric: Sequence[str] = (),
) -> pd.DataFrame:
    """Check the label columns of `frame` (index = file line) and return the usable rows.

    A column whose labels are mostly numbers is numeric: text and non-finite values (inf, nan
    spelled out counts as missing) become row errors and missing labels; other columns keep
    their text labels (classes). So is a column of mostly bounds and units ('>10000', '5 uM')
    with too many values to be classes, or of any number of values when it is one of `numeric`
    (targets declared regression): its censored / unit values are row errors that say so. Rows without a usable label in any
    target are recorded and dropped. Numeric columns come back as float."""
    from helixforge.core.tables import to_numeric_column

    targets = list(targets)
    if not targets:
        raise ConfigError(
            "no label column given", hint="name at least one label column with --label-col"
        )
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        raise ConfigError(f"--label-col {', '.join(dup)} given more than once")
    df = frame.copy()
    usable = np.zeros(len(df), dtype=bool)
    bad_values: list[tuple[int, str, object]] = []  # (row, column, raw value)
    for t in targets:
        share = _numeric_share(df[t], t, source, df.attrs.get("delimiter"))
        if share >= 0.5 or _mostly_bounds_or_units(df[t], share, declared=t in numeric):
            values, bad = to_numeric_column(df, t, source=source)
            huge = (values.abs() > MAX_LABEL_MAGNITUDE).to_numpy() & ~bad.to_numpy()
            values = values.mask(huge)
            bad = bad | huge
            bad_values += [(int(r), t, df.at[r, t]) for r in df.index[bad.to_numpy()]]
            df[t] = values
            usable |= np.isfinite(values.to_numpy(float))
        else:
            s = df[t].astype(object)
            blank = s.isna() | s.astype(str).str.strip().isin(NA_SPELLINGS)
            df[t] = s.where(~blank, np.nan).map(lambda v: v.strip() if isinstance(v, str) else v)
            df[t], note = _merge_case_variants(df[t], t)
            if note:
                df.attrs.setdefault("label_notes", []).append(note)
            usable |= ~blank.to_numpy()
    # One error per bad value; a row dropped for lack of any usable label is recorded once
    # (with its bad value when it had one), so the errors table counts rejected rows truly.
    dropped = {int(r) for r in df.index[~usable]}
    for row, col, value in bad_values:
        fate = "row skipped" if row in dropped else "treated as missing"
        errors.add(row, col, value, f"{_not_a_number(value)}; {fate}")
    flagged = {row for row, _, _ in bad_values}
    for row in df.index[~usable]:
        if int(row) in flagged:
            continue
        errors.add(
            int(row), ",".join(targets), None, "no usable label in any target column; row skipped"
        )
    df = df[usable]
    if df.empty:
        raise NoUsableRowsError(
            f"{source or 'the table'}: no row has a usable label",
            hint=f"check the label column(s) {targets}; the first problems:\n{errors.summary()}",
        )
    return df
