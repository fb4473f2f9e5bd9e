"""`helix chem train`: a property model on a SMILES table, through the supervised-run layer.

    run = train_property_model("assay.csv", "smiles", ["pIC50"], split="scaffold", out="runs/pic50")

The run directory is the one every domain writes (see `helixforge.core.supervised`), plus
conflicts.csv (duplicates whose labels disagree), ad.json and ad_train_bits.npy (the
applicability domain: predictions carry `ad_similarity` and `in_domain`). With a model that
reads MiniMol embeddings (minimol-*, a blend with one, `auto` with the `pretrained` extra),
molecules MiniMol cannot embed go to errors.csv like unparsable SMILES.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
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
        from helixforge.core.parallel import available_cpus

        # --jobs also sets LightGBM's threads, at most one per CPU: 999 OpenMP threads on 2
        # CPUs made a 4-second run take a minute
        out.setdefault("num_threads", min(n_jobs, available_cpus()))
    return out


def model_candidates(model: str) -> list[str]:
    """The models a `--model` name may train: `auto`'s candidates, a blend's members, or
    the model itself."""
    from helixforge.chem.models import BLEND_PREFIX, minimol_available
    from helixforge.chem.selection import default_candidates

    if model == "auto":
        return default_candidates(minimol_available())
    if model.startswith(BLEND_PREFIX):
        from helixforge.chem.models.blend import parse_blend_name

        return parse_blend_name(model)[0]
    return [model]


def route_params(
    model: str, params: dict[str, Any], *, device: str, quiet: bool, n_jobs: int
) -> dict[str, dict[str, Any]]:
    """`--param` values per model that `model` may train, checked before any work.

    A plain model gets every parameter (an unknown or bad one is its ConfigError, as before).
    For `auto` (and a blend's members) each KEY=VALUE goes to every candidate that accepts it
    and is left out for the others — e.g. `n_estimators` reaches gbm and minimol-gbm, not
    minimol-mlp — so cross-validation scores the configuration that is then trained; a
    parameter no candidate accepts is a ConfigError naming each candidate's objection."""
    from helixforge.chem.models import get_model
    from helixforge.core.errors import ConfigError

    names = model_candidates(model)
    if model == names[0] and len(names) == 1:
        get_model(model, **_model_params(model, params, device, quiet, n_jobs))
        return {model: dict(params)}
    routed: dict[str, dict[str, Any]] = {n: {} for n in names}
    for key, value in params.items():
        objections: dict[str, str] = {}
        for n in names:
            try:
                get_model(n, **_model_params(n, {key: value}, device, quiet, n_jobs))
            except ConfigError as exc:
                objections[n] = exc.message
            else:
                routed[n][key] = value
        if len(objections) == len(names):
            raise ConfigError(
                f"--param {key}={value!r} is not valid for any model --model {model} may train"
                f" ({', '.join(names)})",
                hint="; ".join(f"{n}: {why}" for n, why in objections.items()),
            )
    for n in names:  # the parameters each candidate accepts, together
        get_model(n, **_model_params(n, routed[n], device, quiet, n_jobs))
    return routed


def build_model(
    name: str, routed: dict[str, dict[str, Any]], *, device: str, quiet: bool, n_jobs: int
):
    """A fresh model by name with its routed `--param` values (a blend: per member)."""
    from helixforge.chem.models import BLEND_PREFIX, get_model

    if name.startswith(BLEND_PREFIX):
        from helixforge.chem.models.blend import parse_blend_name

        members = parse_blend_name(name)[0]
        member_params = {
            m: _model_params(m, routed.get(m, {}), device, quiet, n_jobs) for m in members
        }
        return get_model(name, member_params=member_params)
    return get_model(name, **_model_params(name, routed.get(name, {}), device, quiet, n_jobs))


def _selector(
    routed: dict[str, dict[str, Any]],
    record: dict[str, Any],
    *,
    seed: int,
    device: str,
    quiet: bool,
    n_jobs: int,
    log: Log,
    metric: str | None = None,
    checkpoint: Path | None = None,
):
    """`auto`'s `ModelSelector`: `selection.select_model` on the split's training rows (by
    `metric` when given); the rule's decision goes into `record` (written to config.json as
    `auto_selection`). `checkpoint`: the folder each finished cross-validation fit is stored
    in, and loaded from on --resume."""
    from helixforge.chem import selection

    def select(data: LabelledData, sp):
        tr = sp.train
        scaffolds = data.split_args.get("scaffolds")

        def feats(model, idx):
            return data.features(model, tr[idx]) if data.features else None

        decision: dict[str, Any] = {}
        chosen, scores = selection.select_model(
            [data.inputs[i] for i in tr],
            data.y[tr],
            data.task_types,
            candidates=list(routed),
            seed=seed,
            device=device,
            params={n: _model_params(n, p, device, quiet, n_jobs) for n, p in routed.items()},
            scaffolds=[scaffolds[i] for i in tr] if scaffolds is not None else None,
            features=feats,
            quiet=quiet,
            log=log,
            record=decision,
            metric=metric,
            checkpoint=checkpoint,
        )
        record.update(decision)
        kw = dict(device=device, quiet=quiet, n_jobs=n_jobs)
        factory = lambda: build_model(chosen, routed, **kw)  # noqa: E731
        if checkpoint is not None:
            factory = member_checkpointed(chosen, factory, checkpoint.parent / MEMBERS, log)
        return chosen, factory, scores

    return select


def drop_minimol_failures(
    table: LabelledData, smiles_col: str, *, n_jobs: int = 1, quiet: bool = True, log: Log
) -> LabelledData:
    """Move the molecules MiniMol cannot embed to the errors table (one error per row, naming
    the SMILES column) and drop them from `table`; embeds every molecule on the way (cached).
    Returns `table` itself when none fail."""
    import numpy as np

    from helixforge.chem.pretrained.embed import minimol_failures

    failed = minimol_failures(table.inputs, n_jobs=n_jobs, quiet=quiet)
    if not failed:
        return table
    frame = table.frame
    for i, reason in sorted(failed.items()):
        value = frame[smiles_col].iloc[i] if smiles_col in frame else table.inputs[i]
        table.errors.add(int(frame.index[i]), smiles_col, value, reason)
    keep = np.array([i for i in range(len(table)) if i not in failed], dtype=int)
    log(f"{len(failed)} molecules MiniMol cannot embed moved to errors.csv")
    old_feats = table.features

    def feats(model, idx):
        return old_feats(model, keep[np.asarray(idx, dtype=int)]) if old_feats else None

    split_args = {
        k: [v[i] for i in keep] if isinstance(v, list) and len(v) == len(table) else v
        for k, v in table.split_args.items()
    }
    from dataclasses import replace

    return replace(
        table,
        frame=frame.iloc[keep],
        inputs=[table.inputs[i] for i in keep],
        y=table.y[keep],
        split_args=split_args,
        features=feats if old_feats else None,
        notes=[*table.notes, f"{len(failed)} molecules MiniMol cannot embed were rejected"],
    )


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
    metric: str | None = None,
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
    resume: bool = False,
    report: bool = True,
    quiet: bool = True,
    log: Log | None = None,
) -> SupervisedRun:
    """Train (an ensemble of) property models on a SMILES table and write a run directory.

    data: CSV/TSV/Parquet path (or a DataFrame); targets: label columns (NaN = missing);
    task: 'auto' | 'regression' | 'binary' | 'multiclass' (or one per target, comma-separated);
    split: 'scaffold' | 'cluster' | 'random' | 'stratified', or `split_col` naming a column of
    train/valid/test; model: 'auto' | 'gbm' | 'gbm-fast' | 'dmpnn' | 'dmpnn-rdkit' |
    'minimol-mlp' | 'minimol-gbm' | 'blend:A+B@W' | 'lm:PATH'; model_params: `--param` values
    (with 'auto' or a blend each goes to the candidates / members that accept it, see
    `route_params`; the choice and its CV evidence go to config.json `auto_selection`);
    metric: with 'auto', compare the candidates by this metric (e.g. 'mae', 'spearman',
    'pr_auc'; see `selection.select_model`) instead of the default loss; ensemble: members (seeds seed, seed+1, …); coverage: conformal coverage, calibrated on
    the validation split; salts: 'keep' | 'reject' inputs made only of counter-ions /
    inorganic fragments; overwrite: replace an existing run directory; resume: continue an
    interrupted run when its inputs and options are unchanged (checked first; a change is a
    ConfigError naming it): `auto` loads the cross-validation fits it finished
    (`selection.select_model`'s checkpoint) and fits only the rest, finished ensemble members
    of the GBMs, MiniMol heads and their blends are loaded (`member_checkpointed`), a D-MPNN
    goes on from its last finished epoch with the random state of an uninterrupted run (an
    `lm:PATH` model, or a blend with a D-MPNN, trains again). Outside the D-MPNN the resumed
    run directory is the uninterrupted run's, byte for byte, timings.json aside.
    """
    from helixforge.chem.inputs import check_paths
    from helixforge.chem.pretrained.embed import uses_minimol
    from helixforge.chem.table import load_property_table
    from helixforge.chem.uncertainty import applicability_columns
    from helixforge.core.errors import ConfigError
    from helixforge.core.io import check_output
    from helixforge.core.options import require_choice, require_float, require_int
    from helixforge.core.parallel import resolve_jobs
    from helixforge.core.supervised.tasks import check_learnable

    if not isinstance(data, pd.DataFrame):
        check_paths(
            "train_property_model",
            "pass a table file path or a pandas DataFrame with the SMILES and label columns",
            data=data,
        )
    check_paths("train_property_model", out=out)
    log = log or (lambda _: None)
    require_int(ensemble, "--ensemble", min_value=1)
    require_float(coverage, "--coverage", low=0, high=1, low_open=True, high_open=True)
    require_float(ad_threshold, "--ad-threshold", low=0, high=1)
    require_float(tolerance, "--tolerance", low=0)
    if not split_col:
        require_choice(split, "--split", SPLITS)
    if metric is not None:
        from helixforge.core.metrics import ALL as METRICS
        from helixforge.core.metrics import canonical_name

        if model != "auto":
            raise ConfigError(
                f"--metric chooses among auto's candidates; it does nothing with --model {model}"
                " (drop --metric, or use --model auto)"
            )
        metric = canonical_name(metric)
        require_choice(metric, "--metric", sorted(METRICS))
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
    # unknown models and bad --param values fail before any work
    routed = route_params(model, params, device=device, quiet=quiet, n_jobs=n_jobs)
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
    if uses_minimol(model):
        table = drop_minimol_failures(table, smiles_col, n_jobs=n_jobs, quiet=quiet, log=log)
    check_learnable(table, str(data) if not isinstance(data, pd.DataFrame) else "<table>")
    if metric is not None:
        from helixforge.chem.selection import check_metric

        check_metric(metric, table.task_types)  # e.g. a regression metric on a binary label
    log(
        f"{len(table)} molecules ({len(table.errors)} rows rejected, "
        f"{len(table.tables['conflicts.csv'])} label conflicts); tasks: "
        + ", ".join(f"{t}={tt}" for t, tt in zip(table.targets, table.task_types))
    )
    kw = dict(device=device, quiet=quiet, n_jobs=n_jobs)
    selection: dict[str, Any] = {}
    config = {
        "smiles_col": smiles_col,
        "task": task if isinstance(task, str) else list(task),
        "split_col": split_col,
        "model_params": params,
        "model_params_routed": routed,
        "ad_threshold": ad_threshold,
        "duplicate_tolerance": tolerance,
        "tautomer": tautomer,
        "salts": salts,
        "device": device,
        "n_molecules": len(table),
        "card_limits": CARD_LIMITS,
    }
    if model == "auto":
        config["auto_selection"] = selection  # filled by the selector before it is written
    from helixforge.core.supervised import RESUME_FILE, resumable_stage

    key = _resume_key(data, smiles_col=smiles_col, targets=targets, task=task, split=split,
                      split_col=split_col, fractions=fractions, model=model, params=params,
                      metric=metric, ensemble=ensemble, seed=seed, coverage=coverage,
                      ad_threshold=ad_threshold, tolerance=tolerance, tautomer=tautomer,
                      salts=salts)  # fmt: skip
    with resumable_stage(out, key, resume, log) as stage:
        select = (
            _selector(routed, selection, seed=seed, log=log, metric=metric,
                      checkpoint=stage / CHECKPOINTS / AUTO_CV, **kw)
            if model == "auto"
            else None
        )  # fmt: skip
        factory = member_checkpointed(
            model,
            _epoch_checkpointed(model, routed, stage / CHECKPOINTS, kw),
            stage / CHECKPOINTS / MEMBERS,
            log,
        )
        return train_supervised(
            table,
            factory,
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
            config=config,
            report=report,
            extra_columns=applicability_columns(ad_threshold, spec),
            quiet=quiet,
            log=log,
            scratch=(CHECKPOINTS, RESUME_FILE),
        )


CHECKPOINTS = "checkpoints"
AUTO_CV = "auto_cv"  # inside CHECKPOINTS: auto's finished cross-validation fits
MEMBERS = "members"  # inside CHECKPOINTS: finished ensemble members (models without epochs)
MEMBER_KIND = "helixforge.chem-member-checkpoint/1"
_MEMBER_MODELS = ("gbm", "gbm-fast", "minimol-gbm", "minimol-mlp")  # saved and loaded exactly
_EPOCH_MODELS = ("dmpnn", "dmpnn-rdkit")  # trained in epochs by core.training.fit


def _epoch_checkpointed(model: str, routed: dict, ckpt: Path, kw: dict):
    """The member factory of `model`; a D-MPNN checkpoints every epoch into `ckpt` (one folder
    per member seed) unless `--param checkpoint_dir` names another folder."""
    if model not in _EPOCH_MODELS or routed.get(model, {}).get("checkpoint_dir"):
        return lambda: build_model(model, routed, **kw)
    with_ckpt = {**routed, model: {**routed.get(model, {}), "checkpoint_dir": str(ckpt)}}
    return lambda: build_model(model, with_ckpt, **kw)


def _resume_key(data, **options: Any) -> dict[str, Any]:
    """What a resumed `chem train` must share with the run it continues: the table's sha256
    (a DataFrame's content hash) and every option that changes the result."""
    from helixforge.core.artifacts import sha256_file

    if isinstance(data, pd.DataFrame):  # rows in order, and the column names (a sum ignored both)
        import hashlib

        h = hashlib.sha256(json.dumps([str(c) for c in data.columns]).encode())
        h.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
        digest = h.hexdigest()
    else:
        digest = sha256_file(data)
    return {"data": digest, **json.loads(json.dumps(options, default=str))}


def member_resumable(name: str) -> bool:
    """Whether a finished member of model `name` is stored for --resume: the GBMs, the MiniMol
    heads and blends of them (a D-MPNN resumes from its epoch checkpoints instead; a language
    model trains again)."""
    from helixforge.chem.models import BLEND_PREFIX

    if name.startswith(BLEND_PREFIX):
        from helixforge.chem.models.blend import parse_blend_name

        return all(m in _MEMBER_MODELS for m in parse_blend_name(name)[0])
    return name in _MEMBER_MODELS


def member_checkpointed(name: str, factory: Callable[[], Any], folder: Path, log: Log):
    """`factory` whose models store themselves in `folder` once fitted (one folder per model
    and seed: the model as `save_model` writes it, its history and held-out validation
    predictions, and a key: model, seed, digest of the training and validation rows) and, when
    a stored member's key matches, load it instead of fitting. A loaded member predicts with the
    loaded model and saves by copying the stored files, so a resumed run writes the bytes of an
    uninterrupted one. Models that `member_resumable` does not name are left as they are."""
    from helixforge.chem.selection import file_slug

    if not member_resumable(name):
        return factory

    def make():
        model = factory()
        fit = model.fit
        params = getattr(model, "params", None) or getattr(model, "member_params", None) or {}

        def resumable_fit(smiles, y, task_types, *, seed: int = 0, **kw: Any):
            key = _member_key(name, seed, smiles, y, task_types, kw.get("valid"), params)
            where = folder / f"{file_slug(name)}-seed{seed}"
            if _restore_member(model, where, key, log):
                return model
            fit(smiles, y, task_types, seed=seed, **kw)
            _store_member(model, name, where, key)
            return model

        model.fit = resumable_fit
        return model

    return make


def _member_key(
    name: str, seed: int, smiles, y, task_types, valid, params: dict[str, Any]
) -> dict[str, Any]:
    """What a stored member must share with the fit it stands in for: the model, seed, task
    types, constructor parameters (with the thread count --jobs set) and a digest of the
    training and validation rows."""
    import hashlib

    import numpy as np

    v_smiles, v_y = valid if valid is not None else ((), np.empty((0, 0)))
    h = hashlib.sha256()
    for text in (smiles, v_smiles):
        h.update("\n".join(map(str, text)).encode() + b"|")
    for labels in (y, v_y):
        h.update(np.ascontiguousarray(labels, dtype=np.float64).tobytes() + b"|")
    return {
        "kind": MEMBER_KIND,
        "model": name,
        "seed": int(seed),
        "task_types": [str(t) for t in task_types],
        "params": json.loads(json.dumps(params, sort_keys=True, default=str)),
        "rows": h.hexdigest(),
    }


_HISTORY_ATTRS = ("history", "history_")


def _store_member(model, name: str, where: Path, key: dict[str, Any]) -> None:
    """Write a fitted member into `where` (a sibling folder first, fsynced and swapped in)."""
    import shutil

    import numpy as np

    from helixforge.chem.models import save_model
    from helixforge.core.artifacts import save_json
    from helixforge.core.io import fsync_path, replace_dir

    new = where.with_name(f".{where.name}.new")
    if new.exists():
        shutil.rmtree(new)
    new.mkdir(parents=True)
    save_model(model, new / "model", name)
    held = getattr(model, "valid_pred_", None)
    if held is not None:
        np.savez(new / "valid_pred.npz", *[np.asarray(p) for p in held])
    state = {
        "key": key,
        "valid_pred": None if held is None else len(held),
        **{a: getattr(model, a) for a in _HISTORY_ATTRS if getattr(model, a, None) is not None},
    }
    save_json(json.loads(json.dumps(state, default=float)), new / "state.json")
    for f in new.rglob("*"):
        fsync_path(f)
    fsync_path(new)
    replace_dir(new, where)


def _restore_member(model, where: Path, key: dict[str, Any], log: Log) -> bool:
    """Load the member stored in `where` into `model` when its key is `key`; False when none
    is stored, or (logged) when it was made with another key or cannot be read."""
    import shutil
    import zipfile

    import numpy as np

    from helixforge.chem.models import load_model
    from helixforge.core.errors import HelixError
    from helixforge.core.io import recover_dir

    recover_dir(where)
    if not (where / "state.json").exists():
        return False
    try:
        state = json.loads((where / "state.json").read_text(encoding="utf-8"))
        if state.get("key") != key:
            log(f"{where.name}: stored with other rows or options; training it again")
            return False
        loaded = load_model(where / "model")
        held = None
        if state.get("valid_pred") is not None:
            with np.load(where / "valid_pred.npz", allow_pickle=False) as npz:
                held = [np.asarray(npz[f"arr_{j}"]) for j in range(int(state["valid_pred"]))]
    except (HelixError, OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log(f"{where.name}: cannot be read ({exc}); training it again")
        return False
    model.__dict__.clear()
    model.__dict__.update(loaded.__dict__)
    model.valid_pred_ = held
    for attr in _HISTORY_ATTRS:
        if attr in state:
            setattr(model, attr, state[attr])
    stored = where / "model"

    def save(path) -> None:  # the stored files, byte for byte
        shutil.copytree(stored, path, dirs_exist_ok=True)

    model.save = save
    log(f"{where.name}: a finished member, loaded from its checkpoint")
    return True
