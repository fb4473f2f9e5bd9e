"""The per-chunk screening step, the same function on every backend.

    config = ScreenConfig(models=(ModelRef("pic50", "runs/pic50"),), input_col="smiles", ...)
    result = screen_chunk(chunk.frame, chunk.errors, config)

For one chunk: standardize every SMILES once (the first model's standardisation options),
parse each distinct canonical SMILES once more (as `chem predict` does, so features and
predictions equal `helix chem predict`'s), featurize once per distinct `FeatureSpec` the
models share, predict every model on the distinct molecules, then the requested filters,
the ADMET panel, scaffolds (only with --max-per-scaffold) and the score. Columns a model
adds are prefixed with its name: ``<name>.<target>_pred``, ``<name>.<target>_prob``,
``<name>.<target>_std``, ``<name>.<target>_lower`` / ``_upper``, ``<name>.<target>_set``,
``<name>.ad_similarity``, ``<name>.in_domain``. Models, filters and the panel are loaded
once per process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.inputs import PROBE_SMILES
from helixforge.chem.screen.topk import RANK, ROW, SCAFFOLD, SCORE, Diversity, Key, chunk_pool
from helixforge.core.errors import ConfigError, RowErrors

CANONICAL = "canonical_smiles"
BATCH = 2000  # molecules featurized and predicted at a time inside a chunk


@dataclass(frozen=True)
class ModelRef:
    """A trained run and the name that prefixes its columns."""

    name: str
    path: str


@dataclass(frozen=True)
class ScreenConfig:
    """Everything a worker needs to screen a chunk (small and picklable)."""

    models: tuple[ModelRef, ...]
    input_col: str = "smiles"
    filters: tuple[str, ...] = ()
    score: str = ""
    admet: bool = False
    admet_endpoints: tuple[str, ...] | None = None  # None = every endpoint the panel ships
    domain: bool = True
    diversity: Diversity = field(default_factory=Diversity)
    pool: int = 300
    keep_all: bool = False
    device: str = "cpu"
    source: str = ""
    # every output column and its dtype (from `output_columns`); () = as computed
    columns: tuple[tuple[str, str], ...] = ()


@dataclass
class ChunkResult:
    """One chunk's pool (and cut-off), all its rows when kept, its errors and counts."""

    pool: pd.DataFrame
    cutoff: Key | None
    rows: pd.DataFrame | None
    errors: RowErrors
    counts: dict[str, int]


class Loaded:
    """Models (grouped by shared FeatureSpec), standardisation options and the ADMET panel."""

    def __init__(self, config: ScreenConfig):
        from helixforge.chem.predict import Predictor

        self.predictors = [Predictor(m.path, device=config.device) for m in config.models]
        opts = {(p.options.tautomer, p.options.salts) for p in self.predictors}
        if len(opts) > 1:
            shown = ", ".join(
                f"{m.name}: tautomer={p.options.tautomer}, salts={p.options.salts}"
                for m, p in zip(config.models, self.predictors)
            )
            raise ConfigError(
                f"--model: the runs were trained with different standardisation ({shown})",
                hint="screen them in separate runs, or retrain with the same --tautomer/--salts",
            )
        self.options = self.predictors[0].options
        self.groups: list[tuple[Any, list[int]]] = []  # (FeatureSpec or None, model indices)
        for i, p in enumerate(self.predictors):
            for spec, members in self.groups:
                if spec is not None and spec == p.spec:
                    members.append(i)
                    break
            else:
                self.groups.append((p.spec, [i]))
        self.panel = None
        self.panel_group: int | None = None  # the group whose features the panel reuses
        if config.admet:
            from helixforge.chem.admet import ADMETPanel

            self.panel = ADMETPanel(
                list(config.admet_endpoints) if config.admet_endpoints else None,
                option="--admet-endpoints",
            )
            spec = getattr(self.panel, "feature_spec", None)
            if spec is not None and hasattr(self.panel, "predict_features"):
                same = [g for g, (s, _) in enumerate(self.groups) if s is not None and s == spec]
                if not same:
                    self.groups.append((spec, []))
                self.panel_group = same[0] if same else len(self.groups) - 1


_LOADED: dict[tuple, Loaded] = {}


def _stamp(path: str) -> tuple:
    """When a run's manifest and config last changed (a retrained run is loaded again)."""
    out = []
    for rel in ("config.json", "model/manifest.json"):
        try:
            st = os.stat(os.path.join(path, rel))
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


def loaded(config: ScreenConfig) -> Loaded:
    """The process's `Loaded` for this config (built on first use, again when a run changed)."""
    stamps = tuple(_stamp(m.path) for m in config.models)
    key = (config.models, stamps, config.admet, config.admet_endpoints, config.device)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = Loaded(config)
    return _LOADED[key]


def _standardize(raw: list, options) -> tuple[list[tuple[str | None, str | None]], list[str]]:
    from helixforge.chem.standardize import standardize_to_mol

    results, unique = [], {}
    for s in raw:
        _, canon, reason = standardize_to_mol(s, options)
        results.append((canon, reason))
        if canon is not None and canon not in unique:
            unique[canon] = len(unique)
    return results, list(unique)


def _model_columns(
    state: Loaded, config: ScreenConfig, smiles: list[str], mols: list, admet: bool
) -> tuple[dict[str, Any], dict[int, Any]]:
    """Prediction columns of every model, and the feature matrix of each group (the panel's
    own group only when `admet`)."""
    from helixforge.chem.featurize import featurize_mols

    cols: dict[str, Any] = {}
    preds: dict[int, pd.DataFrame] = {}
    features: dict[int, Any] = {}
    for g, (spec, members) in enumerate(state.groups):
        if not members and not (admet and g == state.panel_group):
            continue
        X = features[g] = featurize_mols(mols, spec) if spec is not None else None
        for i in members:
            p = state.predictors[i]
            preds[i] = p.predict_frame(
                smiles, features=X, extra_columns=p.ad if config.domain else None
            )
    for i, ref in enumerate(config.models):
        for c in preds[i].columns:
            cols[f"{ref.name}.{c}"] = preds[i][c].to_numpy()
    return cols, features


@dataclass(frozen=True)
class Parts:
    """Which computed column groups to produce."""

    models: bool = True
    filters: bool = True
    admet: bool = True
    scaffold: bool = True


def molecule_columns(
    config: ScreenConfig, smiles: list[str], parts: Parts = Parts()
) -> pd.DataFrame:
    """The computed columns (predictions, filters, ADMET, scaffold — those `parts` asks for)
    for distinct canonical SMILES, one row each."""
    from rdkit import Chem

    state = loaded(config)
    # canonical SMILES came out of RDKit's writer after the checks in `standardize`: parse
    # them directly (the same molecules `fingerprints.mol_of` gives, without its input checks)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    cols, features = ({}, {})
    if parts.models:
        cols, features = _model_columns(state, config, smiles, mols, parts.admet)
    if parts.filters and config.filters:
        from helixforge.chem.filters import apply_filters

        filt = apply_filters(mols, config.filters)
        for c in filt.columns:
            cols[c] = filt[c].to_numpy()
    if parts.admet and state.panel is not None:
        if state.panel_group is not None:  # the panel shares a feature matrix when it can
            X = features.get(state.panel_group)
            if X is None:
                from helixforge.chem.featurize import featurize_mols

                X = featurize_mols(mols, state.groups[state.panel_group][0])
            admet = state.panel.predict_features(X, mols)
        else:
            admet = state.panel.predict_smiles(smiles)
        for c in admet.columns:
            cols[c] = admet[c].to_numpy()
    if parts.scaffold and config.diversity.needs_scaffolds:
        from helixforge.chem.splits import scaffold_of_mol

        cols[SCAFFOLD] = [scaffold_of_mol(m) for m in mols]
    return pd.DataFrame(cols, index=pd.RangeIndex(len(smiles)))


def passes_filters(frame: pd.DataFrame, filters: tuple[str, ...]) -> np.ndarray:
    """True where every requested filter passed."""
    ok = np.ones(len(frame), dtype=bool)
    for name in filters:
        ok &= frame[f"pass_{name}"].to_numpy(dtype=bool)
    return ok


def screen_chunk(frame: pd.DataFrame, errors: RowErrors, config: ScreenConfig) -> ChunkResult:
    """Screen one chunk (index = input row numbers); see the module doc."""
    import gc

    enabled = gc.isenabled()
    gc.disable()  # ~5 % faster: the chunk makes many short-lived objects and no cycles to chase
    try:
        return _screen_chunk(frame, errors, config)
    finally:
        if enabled:
            gc.enable()


def deferred_parts(config: ScreenConfig) -> Parts:
    """Column groups that can wait until a molecule is a top candidate: everything the score
    does not read, unless every row is kept (`--all-out`)."""
    from helixforge.chem.screen.score import ScoreExpression

    if config.keep_all or not config.score:
        return Parts(False, False, False, False)
    used = ScoreExpression(config.score).columns
    filter_cols = FILTER_COLUMNS
    return Parts(
        models=False,
        filters=bool(config.filters)
        and not any(c.startswith("pass_") or c in filter_cols for c in used),
        admet=config.admet and not any(c.startswith("admet_") for c in used),
        scaffold=config.diversity.needs_scaffolds,
    )


FILTER_COLUMNS = ("alerts", "qed", "sa_score")


def is_output_name(column: str, config: ScreenConfig) -> bool:
    """True for a name this screen gives a column of its own: row, score, rank, every model's
    (<name>.*), and with the options that add them the scaffold, the filters' (pass_*,
    alerts, qed, sa_score) and the panel's (admet_*). A library column so named is kept as
    input_<name>: it crashed the hits table ('rank') or stood in for the computed value (a
    model's prediction, a filter's verdict). Other library columns (a precomputed 'qed'
    without the qed filter) keep their names for --score."""
    if column in (ROW, SCORE, RANK) or any(column.startswith(f"{m.name}.") for m in config.models):
        return True
    if column == SCAFFOLD and config.diversity.needs_scaffolds:
        return True
    if config.filters and (column in FILTER_COLUMNS or column.startswith("pass_")):
        return True
    return bool(config.admet) and column.startswith("admet_")


def _screen_chunk(frame: pd.DataFrame, errors: RowErrors, config: ScreenConfig) -> ChunkResult:
    from helixforge.chem.screen.lazy import lazy_pool
    from helixforge.chem.screen.score import ScoreExpression
    from helixforge.chem.standardize import apply_standardization, quiet_rdkit

    quiet_rdkit()
    state = loaded(config)
    col = config.input_col
    results, unique = _standardize(frame[col].tolist(), state.options)
    clean, errs = apply_standardization(frame, col, results, source=config.source)
    errs.extend(errors)
    rows_in = len(frame) + len(errors)
    clash = {c: f"input_{c}" for c in clean.columns if c != CANONICAL and is_output_name(c, config)}
    out = clean.rename(columns=clash)
    out.insert(0, ROW, out.index.astype(np.int64))
    out = out.reset_index(drop=True)
    later = deferred_parts(config)
    now = Parts(True, not later.filters, not later.admet, not later.scaffold)
    if unique:
        # models see batches of BATCH molecules: peak memory (feature matrices, RDKit
        # molecules) follows the batch, not the checkpoint chunk
        per_mol = pd.concat(
            [
                molecule_columns(config, unique[i : i + BATCH], now)
                for i in range(0, len(unique), BATCH)
            ],
            ignore_index=True,
        )
        out = join_columns(out, per_mol, unique)
        out[SCORE] = ScoreExpression(config.score).evaluate(out)
    else:
        out[SCORE] = np.zeros(0)
    deferred = later.filters or later.admet or later.scaffold
    if config.columns and not deferred:  # every column, same types, even in an empty chunk
        out = typed_columns(out, config, bool(unique))
    finite = np.isfinite(out[SCORE].to_numpy(float))
    if deferred:
        pool, cutoff, filtered, eligible = lazy_pool(out[finite], config, later)
    else:
        ok = passes_filters(out, config.filters) & finite
        pool, cutoff = chunk_pool(out[ok], config.diversity, config.pool)
        filtered, eligible = int(finite.sum()), int(ok.sum())
    counts = {
        "rows": rows_in,
        "screened": len(out),
        "errors": len(errs),
        "filtered": filtered,
        "eligible": eligible,
        "unscored": int(len(out) - finite.sum()),
    }
    return ChunkResult(pool, cutoff, out if config.keep_all else None, errs, counts)


def join_columns(out: pd.DataFrame, per_mol: pd.DataFrame, unique: list[str]) -> pd.DataFrame:
    """`out` (rows) with the per-molecule columns of `per_mol` (one row per `unique` SMILES)."""
    where = {s: i for i, s in enumerate(unique)}
    take = np.fromiter((where[s] for s in out[CANONICAL]), dtype=np.int64, count=len(out))
    computed = per_mol.iloc[take].reset_index(drop=True)
    computed = computed.drop(columns=[c for c in computed.columns if c in out.columns])
    return pd.concat([out.reset_index(drop=True), computed], axis=1)


def typed_columns(out: pd.DataFrame, config: ScreenConfig, nonempty: bool = True) -> pd.DataFrame:
    """`out` with exactly the configured columns in their order (an empty chunk gets them
    with their types)."""
    if not nonempty:
        out = pd.DataFrame({c: pd.Series([], dtype=dt) for c, dt in config.columns})
        out[SCORE] = np.zeros(0)
    return out[[c for c, _ in config.columns] + [SCORE]]


def output_columns(config: ScreenConfig, input_columns: list[str]) -> list[tuple[str, str]]:
    """The columns (name, dtype) every screened row will have, found by screening one probe
    molecule (loads the models and the panel here, so a broken run fails before the job)."""
    probe = pd.DataFrame(
        {c: [PROBE_SMILES if c == config.input_col else ""] for c in input_columns}
    )
    probe.index = pd.Index([1])
    cfg = ScreenConfig(**{**config.__dict__, "score": "0", "keep_all": True, "columns": ()})
    res = screen_chunk(probe, RowErrors(), cfg)
    assert res.rows is not None
    return [(c, str(t)) for c, t in res.rows.dtypes.items() if c != SCORE]


def default_score(config: ScreenConfig, columns: list[str]) -> str:
    """The first model's first prediction (its probability for a classifier), as an expression."""
    ref = config.models[0]
    p = loaded(config).predictors[0]
    t, tt = p.targets[0], p.task_types[0]
    prefix = f"{ref.name}.{t}"
    if tt == "regression":
        name = f"{prefix}_pred"
    else:
        probs = [c for c in columns if c == f"{prefix}_prob" or c.startswith(f"{prefix}_prob_")]
        name = probs[-1] if probs else f"{prefix}_pred"
    return f"`{name}`"


def model_refs(models: list[str | os.PathLike]) -> tuple[ModelRef, ...]:
    """`--model` values (PATH or NAME=PATH) → named refs; names must be distinct."""
    from pathlib import Path

    refs: list[ModelRef] = []
    for m in models:
        text = str(m)
        name, _, path = text.partition("=") if "=" in text else ("", "", text)
        if not path.strip():  # 'pic50=' was read as the current directory
            raise ConfigError(
                f"--model {text!r}: no run directory after '='",
                hint="use NAME=PATH, e.g. --model pic50=runs/pic50",
            )
        name = name.strip() or Path(path.rstrip("/")).name
        if not name or any(c in name for c in "`"):
            raise ConfigError(f"--model {text!r}: cannot name this model", hint="use NAME=PATH")
        if any(r.name == name for r in refs):
            raise ConfigError(
                f"--model: two models are named {name!r}",
                hint="name them: --model pic50_a=runs/a/pic50 --model pic50_b=runs/b/pic50",
            )
        refs.append(ModelRef(name, str(path)))
    if not refs:
        raise ConfigError("no --model given", hint="pass a run directory: --model runs/pic50")
    return tuple(refs)
