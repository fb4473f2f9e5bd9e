"""`helix chem train`: a property model on a SMILES table, through the supervised-run layer.

    run = train_property_model("assay.csv", "smiles", ["pIC50"], split="scaffold", out="runs/pic50")

The run directory is the one every domain writes (see `helixforge.core.supervised`), plus
conflicts.csv (duplicates whose labels disagree), ad.json and ad_train_bits.npy (the
applicability domain: predictions carry `ad_similarity` and `in_domain`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from helixforge.chem.models import GBM_NAMES
from helixforge.chem.standardize import StandardizeOptions
from helixforge.core.supervised import LabelledData, SupervisedRun, train_supervised

Log = Callable[[str], None]
PropertyRun = SupervisedRun  # the chem name of a finished run
SPLITS = ("scaffold", "cluster", "random", "stratified")
CARD_LIMITS = (
    "Ranking and triage of small molecules similar to the training set. Predictions for "
    "molecules with nearest-neighbour Tanimoto below the applicability threshold (in_domain = "
    "False) are extrapolations. Conformal coverage assumes calibration and new molecules are "
    "exchangeable; under scaffold shift it can fall below the nominal level (see the test "
    "coverage in metrics.json)."
)


def feature_spec_for(model: str):
    """The GBM `FeatureSpec` a requested model featurizes with (None for non-GBM models)."""
    from helixforge.chem.models.gbm import DEFAULT_FEATURES, FAST_FEATURES

    if model == "gbm-fast":
        return FAST_FEATURES
    if model in ("gbm", "auto"):
        return DEFAULT_FEATURES
    return None


def _model_params(name: str, params: dict[str, Any], device: str, quiet: bool, n_jobs: int):
    out = dict(params)
    if name.startswith("dmpnn"):
        out.setdefault("device", device)
        out.setdefault("quiet", quiet)
    if name in GBM_NAMES:
        out.setdefault("num_threads", n_jobs)  # --jobs also sets LightGBM's threads
    return out


def _selector(params, *, seed: int, device: str, quiet: bool, n_jobs: int, log: Log):
    from helixforge.chem.models import get_model
    from helixforge.chem.selection import select_model

    def select(data: LabelledData, sp):
        tr = sp.train
        scaffolds = data.split_args.get("scaffolds")

        def feats(model, idx):
            return data.features(model, tr[idx]) if data.features else None

        chosen, scores = select_model(
            [data.inputs[i] for i in tr],
            data.y[tr],
            data.task_types,
            seed=seed,
            device=device,
            scaffolds=[scaffolds[i] for i in tr] if scaffolds is not None else None,
            features=feats,
            quiet=quiet,
            log=log,
        )
        kw = _model_params(chosen, params, device, quiet, n_jobs)
        return chosen, (lambda: get_model(chosen, **kw)), scores

    return select


def train_property_model(
    data: str | os.PathLike | pd.DataFrame,
    smiles_col: str,
    targets: Sequence[str],
    *,
    task: str | Sequence[str] = "auto",
    split: str = "scaffold",
    split_col: str | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    model: str = "auto",
    model_params: dict[str, Any] | None = None,
    ensemble: int = 1,
    seed: int = 0,
    coverage: float = 0.9,
    ad_threshold: float = 0.3,
    tolerance: float = 0.5,
    tautomer: bool = False,
    salts: str = "keep",
    device: str = "auto",
    n_jobs: int = 1,
    out: str | os.PathLike = "run",
    overwrite: bool = False,
    report: bool = True,
    quiet: bool = True,
    log: Log | None = None,
) -> SupervisedRun:
    """Train (an ensemble of) property models on a SMILES table and write a run directory.

    data: CSV/TSV/Parquet path (or a DataFrame); targets: label columns (NaN = missing);
    task: 'auto' | 'regression' | 'binary' | 'multiclass' (or one per target, comma-separated);
    split: 'scaffold' | 'cluster' | 'random' | 'stratified', or `split_col` naming a column of
    train/valid/test; model: 'auto' | 'gbm' | 'gbm-fast' | 'dmpnn' | 'dmpnn-rdkit' | 'lm:PATH';
    ensemble: members (seeds seed, seed+1, …); coverage: conformal coverage, calibrated on
    the validation split; salts: 'keep' | 'reject' inputs made only of counter-ions /
    inorganic fragments; overwrite: replace an existing run directory.
    """
    from helixforge.chem.models import get_model
    from helixforge.chem.table import load_property_table
    from helixforge.chem.uncertainty import applicability_columns
    from helixforge.core.errors import ConfigError
    from helixforge.core.io import check_output
    from helixforge.core.options import require_choice, require_float, require_int
    from helixforge.core.parallel import resolve_jobs
    from helixforge.core.supervised.tasks import check_learnable

    log = log or (lambda _: None)
    require_int(ensemble, "--ensemble", min_value=1)
    require_float(coverage, "--coverage", low=0, high=1, low_open=True, high_open=True)
    require_float(ad_threshold, "--ad-threshold", low=0, high=1)
    require_float(tolerance, "--tolerance", low=0)
    if not split_col:
        require_choice(split, "--split", SPLITS)
    targets = list(targets)
    if smiles_col in targets:
        raise ConfigError(
            f"--label-col {smiles_col} is also the --input-col; the label must be another column"
        )
    n_jobs = resolve_jobs(n_jobs)
    check_output(
        out,
        overwrite=overwrite,
        kind="dir",
        inputs=[] if isinstance(data, pd.DataFrame) else [data],
    )
    params = dict(model_params or {})
    if model != "auto":  # unknown models and bad --param values fail before any work
        get_model(model, **_model_params(model, params, device, quiet, n_jobs))
    spec = feature_spec_for(model)
    log(f"reading {data if not isinstance(data, pd.DataFrame) else 'table'}")
    table = load_property_table(
        data,
        smiles_col,
        targets,
        task=task,
        split_col=split_col,
        tolerance=tolerance,
        options=StandardizeOptions(tautomer=tautomer, salts=salts),
        spec=spec,
        n_jobs=n_jobs,
    )
    check_learnable(table, str(data) if not isinstance(data, pd.DataFrame) else "<table>")
    log(
        f"{len(table)} molecules ({len(table.errors)} rows rejected, "
        f"{len(table.tables['conflicts.csv'])} label conflicts); tasks: "
        + ", ".join(f"{t}={tt}" for t, tt in zip(table.targets, table.task_types))
    )
    kw = _model_params(model, params, device, quiet, n_jobs)
    select = (
        _selector(params, seed=seed, device=device, quiet=quiet, n_jobs=n_jobs, log=log)
        if model == "auto"
        else None
    )
    return train_supervised(
        table,
        lambda: get_model(model, **kw),
        domain="chem",
        model_name=model,
        out=out,
        split=split,
        split_assignment=table.frame[split_col].tolist() if split_col else None,
        fractions=fractions,
        ensemble=ensemble,
        seed=seed,
        coverage=coverage,
        overwrite=overwrite,
        select=select,
        config={
            "smiles_col": smiles_col,
            "task": task if isinstance(task, str) else list(task),
            "split_col": split_col,
            "model_params": params,
            "ad_threshold": ad_threshold,
            "duplicate_tolerance": tolerance,
            "tautomer": tautomer,
            "salts": salts,
            "device": device,
            "n_molecules": len(table),
            "card_limits": CARD_LIMITS,
        },
        report=report,
        extra_columns=applicability_columns(ad_threshold, spec),
        quiet=quiet,
        log=log,
    )
