"""The chem reader for supervised runs: a SMILES table → `LabelledData`, each SMILES parsed once.

    data = load_property_table("assay.csv", "smiles", ["pIC50"], spec=DEFAULT_FEATURES)

Reading, label checks, standardisation, task detection, duplicate merging. Each input row is
parsed once to standardize it, and each distinct canonical SMILES once more to give its GBM
feature row (when a `FeatureSpec` is given) and its Bemis–Murcko scaffold (for scaffold splits
and model selection); nothing downstream parses a training molecule again.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.standardize import (
    CANONICAL_COL,
    StandardizeOptions,
    apply_standardization,
    merge_duplicates,
)
from helixforge.core.errors import ConfigError, NoUsableRowsError, RowErrors
from helixforge.core.supervised import (
    LabelledData,
    clean_labels,
    decode_labels,
    encode_labels,
    resolve_tasks,
)
from helixforge.core.supervised.tasks import task_list

CONFLICTS_FILE = "conflicts.csv"


@dataclass
class ParsedMolecules:
    """Per accepted molecule (by canonical SMILES): feature row and scaffold."""

    spec: Any  # FeatureSpec or None
    rows: dict[str, int]
    X: np.ndarray | None
    scaffolds: dict[str, str | None]

    def features(self, smiles: Sequence[str]) -> np.ndarray | None:
        """Feature rows of these canonical SMILES (None without a spec)."""
        if self.X is None:
            return None
        return self.X[[self.rows[s] for s in smiles]]

    def source(self, smiles: Sequence[str]):
        """A `FeatureSource` for models whose `features` spec is this one."""

        def feats(model, idx: np.ndarray) -> np.ndarray | None:
            if self.X is None or getattr(model, "features", None) != self.spec:
                return None
            return self.features([smiles[i] for i in idx])

        return feats


def _parse_chunk(items: Sequence[object], spec, options, scaffolds: bool = True) -> tuple:
    """Standardize each input (parse 1), then parse each distinct canonical SMILES once more
    for its features and scaffold (parse 2): features are then a function of the molecule,
    not of how the input spelled it (atom order changes a few descriptor bits), and equal
    `featurize(canonical_smiles)` exactly."""
    from helixforge.chem.featurize import mol_of
    from helixforge.chem.splits import scaffold_of_mol
    from helixforge.chem.standardize import standardize_to_mol

    results, canon_mols, scafs = [], {}, []
    reparse = spec is not None or scaffolds
    for s in items:
        _, canon, reason = standardize_to_mol(s, options)
        results.append((canon, reason))
        if reparse and canon is not None and canon not in canon_mols:
            canon_mols[canon] = mol_of(canon)
    accepted = [c for c, _ in results if c is not None]
    if scaffolds:
        scaf_of = {c: scaffold_of_mol(m) for c, m in canon_mols.items()}
        scafs = [scaf_of[c] for c in accepted]
    else:
        scafs = [None] * len(accepted)
    X = None
    if spec is not None:
        from helixforge.chem.featurize import featurize_mols

        order = {c: i for i, c in enumerate(canon_mols)}
        X_unique = featurize_mols(list(canon_mols.values()), spec)
        X = X_unique[[order[c] for c in accepted]]
    return results, X, scafs


def parse_molecules(
    smiles: Sequence[object],
    spec=None,
    options=None,
    n_jobs: int = 1,
    chunk_size: int = 2000,
    scaffolds: bool = True,
) -> tuple[list[tuple[str | None, str | None]], np.ndarray | None, list[str | None]]:
    """Standardize each SMILES once; for the accepted ones also the feature rows (with a spec)
    and scaffolds (None when `scaffolds` is off), in input order. `n_jobs > 1` spreads chunks
    over processes."""
    from helixforge.chem.inputs import check_jobs, smiles_list
    from helixforge.chem.standardize import as_options
    from helixforge.core.parallel import chunked, parallel_map

    options = as_options(options, "standardize_and_featurize")
    smiles = smiles_list(smiles, "standardize_and_featurize")
    check_jobs(n_jobs, chunk_size, "standardize_and_featurize")
    if n_jobs == 1 or len(smiles) < 2 * chunk_size:
        return _parse_chunk(smiles, spec, options, scaffolds)
    parts = parallel_map(
        _parse_chunk,
        list(chunked(smiles, chunk_size)),
        n_jobs=n_jobs,
        spec=spec,
        options=options,
        scaffolds=scaffolds,
    )
    results = [r for res, _, _ in parts for r in res]
    X = np.concatenate([x for _, x, _ in parts], axis=0) if spec is not None else None
    return results, X, [s for _, _, sc in parts for s in sc]


def standardize_parsed(
    df: pd.DataFrame,
    smiles_col: str,
    *,
    spec=None,
    options: StandardizeOptions = StandardizeOptions(),
    n_jobs: int = 1,
    source: str | None = None,
    errors: RowErrors | None = None,
) -> tuple[pd.DataFrame, RowErrors, ParsedMolecules]:
    """Rows whose SMILES standardize (with `canonical_smiles`), errors, and their parse results."""
    results, X, scaffolds = parse_molecules(df[smiles_col].tolist(), spec, options, n_jobs)
    clean, errors = apply_standardization(df, smiles_col, results, source=source, errors=errors)
    rows: dict[str, int] = {}
    scaf: dict[str, str | None] = {}
    for i, smi in enumerate(clean[CANONICAL_COL].tolist()):
        rows.setdefault(smi, i)
        scaf.setdefault(smi, scaffolds[i])
    return clean, errors, ParsedMolecules(spec, rows, X, scaf)


def read_labelled(
    data: str | os.PathLike | pd.DataFrame,
    columns: Sequence[str],
    source: str,
) -> tuple[pd.DataFrame, RowErrors]:
    """The table (index = file line) and a RowErrors holding records that were not rows.

    An SD file (.sdf / .sd, gz allowed) is read as `chem screen` / `chem predict` read it
    (index = record number, unreadable records in the errors): `columns[0]` is its molecules
    (`smiles`), the other columns (labels, split) are the records' data items, and every other
    data item is kept as a column."""
    from helixforge.chem.screen.library import is_sdf, read_sd_file
    from helixforge.core.tables import read_table, require_columns

    errors = RowErrors(source)
    if isinstance(data, pd.DataFrame):
        from helixforge.chem.standardize import numbered_rows

        df = numbered_rows(data.copy())  # rows named by position unless unique integers
        require_columns(df, columns, source)
    elif is_sdf(data):
        df = read_sd_file(
            data, errors, input_col=columns[0], properties=columns[1:], all_properties=True
        )
    else:
        from helixforge.chem.inputs import smiles_column_hint

        with smiles_column_hint(data, columns[0]):  # columns[0]: the SMILES column
            df = read_table(data, columns=list(columns), errors=errors)
    return df, errors


SPLIT_VALUES = ("train", "valid", "val", "validation", "dev", "test")


def check_split_column(
    df: pd.DataFrame, split_col: str, errors: RowErrors, source: str
) -> pd.DataFrame:
    """Rows with a split value: a blank one is a row error (the row is skipped, as any bad
    row is); a value that is not train / valid / test is refused naming the file, column and
    the first row of each such value (it is the column's vocabulary, not one row, that is
    wrong)."""
    names = df[split_col].astype("string").str.strip().str.lower()
    blank = (names.isna() | (names == "")).to_numpy(bool)
    for row in df.index[blank]:
        errors.add(row, split_col, None, "no split value (train / valid / test); row skipped")
    unknown: dict[str, int] = {}
    for row, value in names[~blank].items():
        if value not in SPLIT_VALUES:
            unknown.setdefault(str(df.at[row, split_col]).strip(), int(row))
    if unknown:
        shown = ", ".join(f"{v!r} (row {r})" for v, r in list(unknown.items())[:5])
        raise ConfigError(
            f"{source}, column {split_col!r}: split value(s) {shown} are not train / valid / test",
            hint="write 'train', 'valid' (or 'val' / 'dev' / 'validation') or 'test' in every "
            "row of the --split-col column",
        )
    if blank.all():
        raise NoUsableRowsError(
            f"{source}, column {split_col!r}: no row has a split value",
            hint="fill the --split-col column with train / valid / test, or use --split",
        )
    return df[~blank]


# Columns a run adds to its predictions table (besides canonical_smiles, which the
# standardizer keeps apart, and split, which becomes assigned_split when the input has one).
RUN_COLUMNS = ("row", "assigned_split", "n_merged", "ad_similarity", "in_domain")
PREDICTION_SUFFIXES = ("pred", "prob", "std", "lower", "upper", "set")


def _keep_input_columns_apart(
    df: pd.DataFrame, needed: Sequence[str], targets: Sequence[str]
) -> pd.DataFrame:
    """Input columns named like a column the run adds (row, n_merged, T_pred, T_std, …,
    in_domain) renamed input_<name>, as `chem predict` names them: 'row' crashed the run at the
    end and the others were overwritten in predictions.csv. The SMILES, label and split
    columns keep their names."""

    def is_run_column(c: str) -> bool:
        if c in RUN_COLUMNS:
            return True
        for t in targets:
            rest = c[len(t) + 1 :] if c.startswith(f"{t}_") else None
            if rest is not None and (rest in PREDICTION_SUFFIXES or rest.startswith("prob_")):
                return True
        return False

    clash = {
        c: f"input_{c}"
        for c in df.columns
        if isinstance(c, str) and c not in needed and is_run_column(c)
    }
    return df.rename(columns=clash) if clash else df


def _check_column_names(
    smiles_col: str, targets: Sequence[str], split_col: str | None, source: str
) -> None:
    """ConfigError, before any reading, for a SMILES, label or split column named like a
    column the run adds to its predictions (row, n_merged, in_domain, …; canonical_smiles
    for a label): 'row' crashed the run at the end, a label named 'n_merged' or
    'canonical_smiles' was replaced by the added column and trained on (or refused as
    'every label is 1.0')."""
    taken = [(smiles_col, "--input-col")] if smiles_col in RUN_COLUMNS else []
    taken += [(t, "--label-col") for t in targets if t in (*RUN_COLUMNS, CANONICAL_COL)]
    if split_col in (*RUN_COLUMNS, CANONICAL_COL):
        taken.append((split_col, "--split-col"))
    if taken:
        col, option = taken[0]
        raise ConfigError(
            f"{source}: {option} {col!r} is named like a column the run adds to its "
            f"predictions ({', '.join((*RUN_COLUMNS, CANONICAL_COL))})",
            hint=f"rename the column {col!r} in the file (e.g. to 'input_{col}') and pass "
            f"the new name to {option}",
        )


def _check_model_regression_labels(df: pd.DataFrame, numeric: Sequence[str], source: str) -> None:
    """ConfigError when a regression model is evaluated on a column of text labels ('active'):
    the task check's hint ('use --task auto, binary or multiclass') named an option
    `chem evaluate` does not have."""
    for t in numeric:
        if t in df.columns and not pd.api.types.is_numeric_dtype(df[t]):
            example = next((v for v in df[t] if isinstance(v, str)), None)
            raise ConfigError(
                f"{source}: column {t!r} holds text labels (such as {example!r}), but the "
                f"model's target {t!r} is a regression target: it predicts numbers",
                hint="evaluate it on numeric labels of that property, or evaluate a model "
                "trained on these classes",
            )


def _drop_unknown_classes(
    df: pd.DataFrame, known: dict[str, Sequence[Any]], errors: RowErrors
) -> pd.DataFrame:
    """Labels that are not one of a model's classes (matched as `class_key` matches them) are
    recorded in `errors` and blanked: the row is still predicted, not scored on that target."""
    from helixforge.core.supervised.tasks import class_indices

    df = df.copy()
    for t, classes in known.items():
        if t not in df.columns:
            continue
        values = df[t].tolist()
        _, unknown = class_indices(values, classes)
        if not unknown.any():
            continue
        shown = ", ".join(repr(c) for c in classes)
        for row, v in zip(df.index[unknown], np.asarray(values, object)[unknown]):
            errors.add(
                int(row),
                t,
                v,
                f"label is not a class the model was trained on ({shown}); not scored",
            )
        df[t] = df[t].astype(object).where(~unknown, np.nan)
    return df


def load_property_table(
    data: str | os.PathLike | pd.DataFrame,
    smiles_col: str,
    targets: Sequence[str],
    *,
    task: str | Sequence[str] = "auto",
    split_col: str | None = None,
    tolerance: float = 0.5,
    options: StandardizeOptions = StandardizeOptions(),
    spec=None,
    n_jobs: int = 1,
    source: str | None = None,
    known_classes: dict[str, Sequence[Any]] | None = None,
) -> LabelledData:
    """Read, check labels, standardize SMILES (one parse each), detect tasks, merge duplicates.

    `known_classes` (target → a trained model's classes, for evaluation): a label that is none
    of them is a row error and the row keeps no label for that target, before the task check
    (one row labelled 2 for a 0/1 model does not make the column a three-class one).

    Returns `LabelledData` with inputs = canonical SMILES (one row per unique molecule),
    split arguments for the scaffold / cluster splitters, the features of `spec` and the
    label conflicts of merged duplicates (`tables["conflicts.csv"]`)."""
    targets = list(targets)
    needed = list(dict.fromkeys([smiles_col, *targets] + ([split_col] if split_col else [])))
    source = source or (str(data) if not isinstance(data, pd.DataFrame) else "<table>")
    _check_column_names(smiles_col, targets, split_col, source)
    df, errors = read_labelled(data, needed, source)
    df = _keep_input_columns_apart(df, needed, targets)
    declared = task_list(task, len(targets))
    numeric = [t for t, kind in zip(targets, declared) if kind == "regression"]
    # |label| > 1e100 included; a declared regression target's '>10000' is a row error
    df = clean_labels(df, targets, errors, source=source, numeric=numeric)
    if known_classes is not None:  # evaluation: the task types are the model's
        _check_model_regression_labels(df, numeric, source)
    if known_classes:
        df = _drop_unknown_classes(df, known_classes, errors)
    label_notes = list(df.attrs.get("label_notes", []))
    if split_col:
        df = check_split_column(df, split_col, errors, source)
    df, errors, parsed = standardize_parsed(
        df, smiles_col, spec=spec, options=options, n_jobs=n_jobs, source=source, errors=errors
    )
    if df.empty:
        raise NoUsableRowsError(
            f"{source}: none of the SMILES in column {smiles_col!r} could be used",
            hint=f"check --input-col; the first problems:\n{errors.summary()}",
        )
    task_types, notes = resolve_tasks(task, df, targets, source=source)
    notes = label_notes + notes
    y_rows, classes = encode_labels(df, targets, task_types)
    enc = df.copy()
    for j, t in enumerate(targets):
        enc[t] = y_rows[:, j]
    # the split column keeps the user's spelling ('Train', ' TEST'): it is matched without
    # case or spaces where it is read (check_split_column, core.splits.predefined_split)
    merged, conflicts = merge_duplicates(enc, targets, task_types, tolerance=tolerance)
    if merged["n_merged"].gt(1).any():
        n_dup = int(enc.duplicated(CANONICAL_COL, keep=False).sum())
        kept = " (first row's split kept)" if split_col else ""
        n_into = int(merged["n_merged"].gt(1).sum())
        clash = ""
        if len(conflicts) and np.isfinite(tolerance):  # evaluate merges with no tolerance
            n_clash = conflicts[CANONICAL_COL].nunique()
            clash = (
                f"; {n_clash} of them had labels that disagree (listed in {CONFLICTS_FILE}: "
                f"values spread over {tolerance:g} were averaged, classes take the majority)"
            )
        notes.append(
            f"{n_dup} rows were duplicates after standardisation and were merged into "
            f"{n_into}{kept}{clash}"
        )
    y = np.array(merged[targets].to_numpy(dtype=float), dtype=float)
    for t, cls in classes.items():
        merged[t] = decode_labels(merged[t].to_numpy(float), cls)
    smiles = merged[CANONICAL_COL].tolist()
    scaffolds = [parsed.scaffolds[s] for s in smiles]
    return LabelledData(
        frame=merged,
        inputs=smiles,
        y=y,
        targets=targets,
        task_types=task_types,
        errors=errors,
        classes=classes,
        split_args={"smiles": smiles, "scaffolds": scaffolds},
        valid_splitter="scaffold_valid",  # random when one scaffold dominates
        features=parsed.source(smiles) if spec is not None else None,
        tables={CONFLICTS_FILE: conflicts},
        notes=notes,
        source=None if isinstance(data, pd.DataFrame) else str(data),
        input_col=smiles_col,
    )
