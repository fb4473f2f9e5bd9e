"""Task detection (one rule for every domain) and label encoding.

The rule, applied to the non-missing labels of one column:

* **binary** — the labels are a subset of {0, 1}, or there are exactly two distinct labels
  (numbers or text). Classes are sorted; the second one is the positive class (1 → P(1)).
* **multiclass** — 3..20 distinct labels that are integers or text, and every class has at
  least `MIN_CLASS_ROWS` rows. Only a single-target run can be multiclass.
* **regression** — anything else with numeric labels. Text labels that are neither binary
  nor multiclass are an error (they cannot be regressed).

`encode_labels` turns raw label columns into the float matrix every estimator takes
(regression values; class indices 0..k-1 for classification) and the class list per target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, NoUsableRowsError

TASK_TYPES = ("regression", "binary", "multiclass")
# task types a run directory may record: those above and per-position labels (lm finetune)
RUN_TASK_TYPES = (*TASK_TYPES, "token-classification")
MAX_CLASSES = 20
MIN_CLASS_ROWS = 5


def _present(values: Any) -> pd.Series:
    """Non-missing labels as a Series (numbers as float when the whole column is numeric)."""
    s = pd.Series(values, dtype=object).dropna()
    s = s[s.astype(str).str.strip() != ""]
    num = pd.to_numeric(s, errors="coerce")
    if len(s) and num.notna().all():
        num = num.astype(float)
        return num[np.isfinite(num)]
    return s.astype(str).str.strip()


def is_numeric_labels(values: Any) -> bool:
    """True when every non-missing label parses as a number."""
    s = _present(values)
    return len(s) == 0 or pd.api.types.is_float_dtype(s)


def detect_task(values: Any, max_classes: int = MAX_CLASSES) -> str:
    """'binary', 'multiclass' or 'regression' for one column of raw labels (see module doc)."""
    s = _present(values)
    if len(s) == 0:
        return "regression"
    numeric = pd.api.types.is_float_dtype(s)
    counts = s.value_counts()
    k = len(counts)
    if k == 2 or (numeric and set(counts.index.tolist()) <= {0.0, 1.0}):
        return "binary"
    integer = not numeric or bool(np.all(np.asarray(s) == np.round(np.asarray(s))))
    if integer and 3 <= k <= max_classes and counts.min() >= MIN_CLASS_ROWS:
        return "multiclass"
    if not numeric:
        rare = counts[counts < MIN_CLASS_ROWS] if 3 <= k <= max_classes else counts[:0]
        shown = [f"{v!r} has {c} row{'s' if c > 1 else ''}" for v, c in list(rare.items())[:5]]
        why = f"; {', '.join(shown)}{' …' if len(rare) > 5 else ''}" if shown else ""
        raise ConfigError(
            f"text labels with {k} classes cannot be modelled "
            f"(classification needs 2..{max_classes} classes with ≥ {MIN_CLASS_ROWS} rows each"
            f"{why})",
            hint="merge or drop the rare classes (or add rows of them); numeric labels are "
            "regressed",
        )
    return "regression"


def _rare_whole_number_classes(values: Any, name: str) -> str | None:
    """The note for a column of 3..MAX_CLASSES non-negative whole numbers that `detect_task`
    read as regression because a few rows (≤ 10 %) hold values with fewer than MIN_CLASS_ROWS
    rows each: a 0/1 assay with one stray '2' silently became a regression model."""
    s = _present(values)
    if not len(s) or not pd.api.types.is_float_dtype(s):
        return None
    counts = s.value_counts()
    if not 3 <= len(counts) <= MAX_CLASSES or not np.all(s.to_numpy() == np.round(s.to_numpy())):
        return None
    rare = counts[counts < MIN_CLASS_ROWS]
    if rare.sum() > 0.1 * len(s) or (s < 0).any():  # rounded measurements, not stray labels
        return None
    shown = ", ".join(f"{v:g} ({c} row{'s' * (c > 1)})" for v, c in list(rare.items())[:5])
    return (
        f"{name}: its {len(counts)} distinct whole-number values are read as a regression "
        f"target, not classes, because {shown} {'has' if len(rare) == 1 else 'have'} fewer "
        f"than {MIN_CLASS_ROWS} rows; if they are classes, correct or drop those labels"
    )


def task_list(task: str | Sequence[str], n: int) -> list[str]:
    if isinstance(task, str):
        parts = [t.strip() for t in task.split(",")] if "," in task else [task] * n
    else:
        parts = list(task)
    # 'Regression', ' binary': the task names are words, not case-sensitive identifiers
    parts = [p.strip().lower() if isinstance(p, str) else p for p in parts]
    if len(parts) != n:
        raise ConfigError(
            f"--task got {len(parts)} values for {n} targets",
            hint="give one task, or one per --label-col",
        )
    return parts


def resolve_tasks(
    task: str | Sequence[str],
    labels: pd.DataFrame,
    targets: Sequence[str],
    source: str | None = None,
) -> tuple[list[str], list[str]]:
    """Task type per target from `task` ('auto', one type, or one per target) and notes.

    `labels` holds the raw label columns (read from `source`, named in errors). A declared type
    that the labels contradict (binary with three classes, multiclass on continuous values) is a
    ConfigError."""
    targets = list(targets)
    notes: list[str] = []
    types: list[str] = []
    for t, name in zip(task_list(task, len(targets)), targets):
        col = labels[name]
        what = f"{source}: target {name!r}" if source else f"target {name!r}"
        if t == "auto":
            try:
                t = detect_task(col)
            except ConfigError as exc:  # name the file and the column
                raise ConfigError(f"{what}: {exc.message}", hint=exc.hint) from None
            if t == "regression":
                note = _rare_whole_number_classes(col, name)
                if note:
                    notes.append(note)
            if t == "multiclass" and len(targets) == 1 and is_numeric_labels(col):
                k = _present(col).nunique()
                notes.append(
                    f"{name}: its {k} distinct whole-number values are read as classes "
                    "(multiclass); if they are measurements, pass --task regression"
                )
            if t == "multiclass" and len(targets) > 1:
                if not is_numeric_labels(col):
                    raise ConfigError(
                        f"{name}: text labels with more than two classes need a single target"
                    )
                notes.append(
                    f"{name}: integer labels treated as regression (multiclass needs a single target)"
                )
                t = "regression"
        elif t not in TASK_TYPES:
            raise ConfigError(
                f"--task {t!r}: unknown task", hint="use auto, regression, binary or multiclass"
            )
        _check_declared(t, col, what, len(targets))
        types.append(t)
    return types, notes


def _check_declared(t: str, col: pd.Series, what: str, n_targets: int) -> None:
    """`what`: how messages name the target ("FILE: target 'y'")."""
    s = _present(col)
    numeric = pd.api.types.is_float_dtype(s) or len(s) == 0
    classes = s.unique().tolist()
    if t == "multiclass" and n_targets > 1:
        raise ConfigError("--task multiclass is supported for a single --label-col only")
    if t == "regression" and not numeric:
        raise ConfigError(
            f"{what} has text labels; it cannot be a regression target",
            hint="use --task auto, binary or multiclass",
        )
    if t == "binary" and len(classes) > 2:
        raise ConfigError(
            f"{what} is declared binary but has {len(classes)} distinct labels "
            f"(e.g. {sorted(map(str, classes))[:5]})",
            hint="use --task regression or multiclass, or recode the labels as 0 and 1",
        )
    if t == "multiclass":
        integer = not numeric or bool(np.all(np.asarray(s) == np.round(np.asarray(s))))
        if not integer or len(classes) > MAX_CLASSES:
            raise ConfigError(
                f"{what} is declared multiclass but its labels look continuous "
                f"({len(classes)} distinct values)",
                hint=f"multiclass needs 2..{MAX_CLASSES} integer or text classes; "
                "use --task regression",
            )


def class_name(value: Any) -> str:
    """How a class appears in column names and sets: 1.0 → '1', 2.5 → '2.5', 'A' → 'A'."""
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def encode_labels(
    labels: pd.DataFrame, targets: Sequence[str], task_types: Sequence[str]
) -> tuple[np.ndarray, dict[str, list[Any]]]:
    """(n, T) float matrix (NaN = missing) and the classes of each classification target.

    Regression: the numbers. Binary: 0/1 indices into the sorted classes, the negative one
    first when the text names it (`negative_class_first`), so class 1 — `T_prob` — is the
    positive; a numeric target whose labels are within {0, 1} always has classes [0, 1].
    Multiclass: indices into the sorted classes. Classes are plain Python values (float or
    str) in index order."""
    y = np.full((len(labels), len(targets)), np.nan)
    classes: dict[str, list[Any]] = {}
    for j, (t, tt) in enumerate(zip(targets, task_types)):
        s = _present(labels[t])
        pos = labels.index.get_indexer(s.index)
        if tt == "regression":
            y[pos, j] = s.to_numpy(float)
            continue
        uniq = sorted(s.unique().tolist())
        if tt == "binary" and pd.api.types.is_float_dtype(s) and set(uniq) <= {0.0, 1.0}:
            uniq = [0.0, 1.0]
        if tt == "binary":
            uniq = negative_class_first(uniq)
        classes[t] = uniq
        lookup = {v: i for i, v in enumerate(uniq)}
        y[pos, j] = [lookup[v] for v in s.tolist()]
    return y, classes


# How a binary assay's negative class is spelled: the class whose `_prob` column would be
# P(no) otherwise. Pairs by negation ('active' / 'inactive', 'toxic' / 'non-toxic',
# 'BBB+' / 'BBB-', 'CYP3A4 inhibitor' / 'CYP3A4 non-inhibitor') are recognised whatever the words.
_NEGATIVE_WORDS = frozenset(
    {"no", "n", "false", "f", "negative", "neg", "inactive", "none", "absent", "decoy", "fail",
     "failed", "np", "nontoxic", "non-toxic", "safe", "-"}
)  # fmt: skip
_NEGATING_PREFIXES = ("non-", "non ", "non", "not-", "not ", "not", "in", "un", "im")


def _is_negation(text: str, other: str) -> bool:
    """`text` negates `other`: 'inactive' of 'active', 'non-binder' of 'binder', 'BBB-' of
    'BBB+', and the same after shared leading words ('CYP3A4 non-inhibitor' of 'CYP3A4
    inhibitor', 'hERG not blocker' of 'hERG blocker'); both casefolded, spaces collapsed."""
    a, b = text.split(), other.split()
    shared = 0
    while shared < min(len(a), len(b)) - 1 and a[shared] == b[shared]:
        shared += 1
    text, other = " ".join(a[shared:]), " ".join(b[shared:])
    if text[:-1] == other[:-1] and text.endswith("-") and other.endswith("+"):
        return True
    return any(text == p + other for p in _NEGATING_PREFIXES)


def negative_class_first(classes: list[Any]) -> list[Any]:
    """Two text classes with the negative one first, so that class 1 (`T_prob`) is P(positive).

    Sorted order is right for 0/1, No/Yes, FALSE/TRUE, but 'active' / 'inactive' made
    P(inactive) the probability and 'Yes' / 'no' (capitals sort first) P(no) — and PR-AUC,
    F1 and the report scored the negative class as the hit. A class named as a negative ('no',
    'inactive', 'non-toxic', 'BBB-': `_NEGATIVE_WORDS`) or as the negation of the other goes
    first when the other is not such a name too; anything else keeps its order."""
    if len(classes) != 2 or not all(isinstance(c, str) for c in classes):
        return classes
    a, b = (" ".join(c.split()).casefold() for c in classes)
    neg_a = a in _NEGATIVE_WORDS or _is_negation(a, b)
    neg_b = b in _NEGATIVE_WORDS or _is_negation(b, a)
    return [classes[1], classes[0]] if neg_b and not neg_a else classes


_BOOL_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}


def class_key(value: Any) -> Any:
    """How a class label is matched against a trained model's classes, whatever the file
    spelled it as: booleans, true/false and yes/no in any case are 1.0/0.0, numbers and
    numeric text are floats ('1', 1, '1.0' → 1.0), other text is stripped and matched in any
    case. A parquet bool column, an R TRUE/FALSE, a pandas True/False, Yes/No and 0/1 labels
    thus name the same two classes."""
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        return float(value)
    text = str(value).strip()
    if text.lower() in _BOOL_WORDS:
        return _BOOL_WORDS[text.lower()]
    try:
        number = float(text)
    except ValueError:
        return " ".join(text.split()).casefold()  # 'ACTIVE' is the class 'Active' (as in training)
    return number if np.isfinite(number) else text


def class_indices(values: Sequence[Any], classes: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Each value's index into `classes` matched by `class_key` (NaN where missing or not a
    class), and a mask of the values that are present but not one of `classes`."""
    keys = [class_key(c) for c in classes]
    if len(set(keys)) < len(keys):  # two classes with one key: match them exactly instead
        keys = list(classes)
        key_of = lambda v: v  # noqa: E731
    else:
        key_of = class_key
    lookup = {k: i for i, k in enumerate(keys)}
    idx = np.full(len(values), np.nan)
    unknown = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)) or not str(v).strip():
            continue
        j = lookup.get(key_of(v))
        if j is None:
            unknown[i] = True
        else:
            idx[i] = j
    return idx, unknown


def decode_labels(y: np.ndarray, classes: Sequence[Any]) -> list[Any]:
    """Class indices (NaN = missing) back to class values."""
    return [classes[int(v)] if np.isfinite(v) else np.nan for v in np.asarray(y, float)]


MIN_TRAIN_ROWS = 10


def check_learnable(data, source: str, label_option: str = "--label-col") -> None:
    """Raise a clear error when `data` (a `LabelledData`) has fewer than `MIN_TRAIN_ROWS`
    distinct usable inputs, or a target whose usable labels all have one value (a constant
    column, or a single class in a classification task)."""
    n = len(data.inputs)
    if n < MIN_TRAIN_ROWS:
        raise NoUsableRowsError(
            f"{source}: only {n} distinct usable input(s) after cleaning "
            f"({len(data.errors)} row problem(s) recorded); training needs at least "
            f"{MIN_TRAIN_ROWS} for the train, validation and test parts",
            hint="add rows, or check the input and label columns",
        )
    y = np.asarray(data.y, dtype=float).reshape(n, -1)
    constant = [
        t for j, t in enumerate(data.targets) if len(np.unique(y[:, j][~np.isnan(y[:, j])])) == 1
    ]
    if len(constant) > 1:  # name them all: one rerun, not one per target
        raise ConfigError(
            f"{len(constant)} of the {len(data.targets)} targets have one label value in every "
            f"usable row of {source} (nothing to learn): {', '.join(map(repr, constant))}",
            hint=f"leave them out of {label_option}, or check those columns",
        )
    for j, target in enumerate(data.targets):
        values = np.unique(y[:, j][~np.isnan(y[:, j])])
        if len(values) == 0:  # the other targets have labels, this one none at all
            raise NoUsableRowsError(
                f"{label_option} {target}: no row of {source} has a usable label in it",
                hint="check the column (is it the one meant? empty, or text that is not a "
                f"number?), or leave it out of {label_option}",
            )
        if len(values) == 1:
            classes = (data.classes or {}).get(target)
            shown = classes[int(values[0])] if classes else values[0]
            regression = data.task_types[j] == "regression"
            raise ConfigError(
                f"{label_option} {target}: every usable row of {source} has the same label "
                f"({shown!r}); there is nothing to learn",
                hint="check the label column; "
                + ("a regression target needs labels that vary" if regression
                   else "a classifier needs at least two classes"),
            )  # fmt: skip
