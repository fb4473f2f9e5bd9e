"""`train_supervised`: split, (select,) train an ensemble, calibrate, score, write the run."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError
from helixforge.core.splits import Split
from helixforge.core.supervised.columns import (
    conformal_to_dict,
    fit_conformal,
    prediction_columns,
    score_predictions,
)
from helixforge.core.supervised.data import ExtraColumns, LabelledData
from helixforge.core.supervised.ensemble import Ensemble

Log = Callable[[str], None]
ModelFactory = Callable[[], Any]
# (data, split) → (chosen model name, its factory, cross-validated score per candidate)
ModelSelector = Callable[[LabelledData, Split], tuple[str, ModelFactory, dict[str, float]]]


@dataclass(frozen=True)
class Prefitted:
    """What a selector's factory may return for the first member: a model it already fitted
    on the split's training rows with `seed` (the member's own seed), exactly as `train_members`
    would have — e.g. `--model auto`'s winner, trained at the full epochs in the final rung."""

    model: Any
    seed: int


RUN_KIND = "helixforge.supervised-run/1"
SPLIT_COL = "split"


def _nolog(_: str) -> None:
    pass


@dataclass
class SupervisedRun:
    """What `train_supervised` returns."""

    run_dir: Path
    config: dict[str, Any]
    metrics: dict[str, Any]
    report: Path | None


def split_rows(
    data: LabelledData,
    split: str,
    *,
    assignment: Sequence[str] | Split | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> Split:
    """Train/valid/test positions by a registered splitter (`core.splits`), or a predefined
    `assignment`: train/valid/test per row, or a ready `Split` (its positions are used as given,
    in their order — for a domain that splits itself, e.g. across separate files). A predefined
    split without a validation part
    gets 10% of its training rows carved out by `data.valid_splitter` (for early stopping
    and conformal calibration) when it has at least 20 training rows."""
    from helixforge.core.splits import make_split

    n = len(data)
    if isinstance(assignment, Split):
        sp = _check_positions(assignment, n)
    elif assignment is not None:
        sp = make_split("predefined", n, assignment=list(assignment))
    else:
        kw: dict[str, Any] = dict(data.split_args)
        if split == "stratified":
            kw["y"] = data.y[:, 0]
        sp = make_split(split, n, fractions=fractions, seed=seed, **kw)
    if len(sp.train) == 0:
        raise ConfigError(
            "the split left no training rows", hint="check the split column values or fractions"
        )
    if assignment is None and len(sp.train) < 0.5 * fractions[0] * n:
        # whole groups go to one part: a group bigger than the training part lands in valid /
        # test, and data dominated by one scaffold set or cluster leaves almost nothing to train on
        raise ConfigError(
            f"the {split} split put only {len(sp.train)} of {n} rows in the training part "
            f"({fractions[0]:.0%} asked): it keeps whole groups (scaffold sets, clusters, "
            "chromosomes) together, and a group larger than the training part went to valid/test",
            hint="use --split random (or a split column) on data dominated by one group",
        )
    if len(sp.valid) == 0 and len(sp.train) >= 20:
        inner_kw = {
            k: [v[i] for i in sp.train] if isinstance(v, list) else np.asarray(v)[sp.train]
            for k, v in data.split_args.items()
        }
        inner = make_split(
            data.valid_splitter, len(sp.train), fractions=(0.9, 0.1, 0.0), seed=seed, **inner_kw
        )
        held = np.concatenate([inner.valid, inner.test])  # leftover groups join valid
        sp = Split(sp.train[inner.train], sp.train[held], sp.test)
    _check_train_classes(data, sp, split if assignment is None else None)
    return sp


def _one_class_in_train(data: LabelledData, sp: Split) -> list[tuple[str, np.ndarray]]:
    """(target, its labelled training values) of each classification target that has two or
    more classes overall but one (or none) in the training part."""
    out = []
    for j, (t, tt) in enumerate(zip(data.targets, data.task_types)):
        if tt == "regression":
            continue
        y = data.y[:, j]
        train = y[sp.train][np.isfinite(y[sp.train])]
        if len(np.unique(y[np.isfinite(y)])) >= 2 and len(np.unique(train)) < 2:
            out.append((t, train))
    return out


def _split_fix(split: str | None) -> str:
    """How to get rows of every class into every part of a split."""
    if split == "stratified":
        return "add rows of the rare class"
    if split:
        return "--split stratified puts rows of every class in each part"
    # a given split: a split column, or --valid / --test files (lm finetune has no --split)
    return (
        "put rows of every class in each part of the given split (the split column, or the "
        "--valid / --test files); where the verb has --split, --split stratified does it"
    )


def _check_train_classes(data: LabelledData, sp: Split, split: str | None) -> None:
    """A classification target whose training part holds one class (its other classes all
    fell in valid/test) cannot be learnt: a ConfigError naming the target and the fix, not a
    model that predicts one class for everything. With several targets (Tox21, ToxCast: some
    are sparse) the run goes on while at least one target is learnable; the run notes name
    the parts that hold one class."""
    bad = _one_class_in_train(data, sp)
    if not bad or len(bad) < len(data.targets):
        return
    from helixforge.core.supervised.tasks import class_name

    t, train = bad[0]
    y = data.y[:, data.targets.index(t)]
    classes = (data.classes or {}).get(t, [])
    shown = class_name(classes[int(train[0])] if classes else train[0]) if len(train) else ""
    held = int(np.isfinite(y).sum() - len(train))
    raise ConfigError(
        f"--label-col {t}: the training part of the {split or 'given'} split holds "
        + (f"only class {shown!r}" if len(train) else "no labelled row")
        + f" (the other classes are all among the {held} valid/test rows); a classifier "
        "cannot learn from one class",
        hint=_split_fix(split),
    )


def _check_positions(sp: Split, n: int) -> Split:
    """A domain's own `Split`: disjoint positions within 0..n-1 (a bug otherwise)."""
    parts = [np.asarray(p, dtype=int) for p in (sp.train, sp.valid, sp.test)]
    every = np.concatenate(parts)
    if len(every) and (
        every.min() < 0 or every.max() >= n or len(set(every.tolist())) < len(every)
    ):
        raise ValueError(f"split positions must be distinct and within 0..{n - 1}")
    return Split(*parts)


def _fit_member(model, data: LabelledData, sp: Split, seed: int, feats) -> None:
    from helixforge.core.estimator import uses_features

    X_tr = [data.inputs[i] for i in sp.train]
    valid = ([data.inputs[i] for i in sp.valid], data.y[sp.valid]) if len(sp.valid) else None
    if feats is not None and uses_features(model):
        model.fit(
            X_tr,
            data.y[sp.train],
            data.task_types,
            valid=valid,
            seed=seed,
            features=feats[sp.train],
            valid_features=feats[sp.valid] if valid else None,
        )
    else:
        model.fit(X_tr, data.y[sp.train], data.task_types, valid=valid, seed=seed)


def train_members(
    data: LabelledData,
    sp: Split,
    model_factory: ModelFactory,
    *,
    ensemble: int,
    seed: int,
    model_name: str,
    quiet: bool = True,
    log: Log = _nolog,
) -> tuple[Ensemble, np.ndarray | None]:
    """`ensemble` members with seeds seed..seed+N-1, and the features used (if any)."""
    from helixforge.core.progress import progress

    members = []
    feats = None
    with progress(f"training {model_name}", total=ensemble, quiet=quiet, unit="models") as adv:
        for i in range(ensemble):
            log(f"training {model_name} member {i + 1}/{ensemble}")
            m = model_factory()
            fitted = isinstance(m, Prefitted)
            if fitted:
                if m.seed != seed + i:
                    raise ValueError(f"a model fitted with seed {m.seed} offered as member {i}")
                m = m.model
            if i == 0 and data.features is not None:
                feats = data.features(m, np.arange(len(data)))
            if not fitted:
                _fit_member(m, data, sp, seed + i, feats)
            members.append(m)
            adv(1)
    ens = Ensemble(members, model_name, data.task_types)
    ens.class_counts = [
        len(data.classes[t]) if tt == "multiclass" and t in data.classes else None
        for t, tt in zip(data.targets, data.task_types)
    ]
    return ens, feats


def _one_class_hint(data: LabelledData, sp: Split, split: str | None) -> list[str]:
    """A note for each classification target whose train, valid or test part holds one class
    only while the target has two (e.g. 4 actives of 120 all in one scaffold's part), saying
    how to get every class into every part."""
    sparse = {t for t, _ in _one_class_in_train(data, sp)}
    how = _split_fix(split or "given")  # a split column, too, can be swapped for stratified
    out = []
    for j, (t, tt) in enumerate(zip(data.targets, data.task_types)):
        if tt == "regression":
            continue
        if t in sparse:  # a sparse target of several (a lone one is refused before training)
            out.append(
                f"{t}: the training part of the {split or 'given'} split holds one class only, "
                f"so this target's predictions are constant; {how}"
            )
            continue
        y = data.y[:, j]
        everywhere = set(np.unique(y[np.isfinite(y)]).tolist())
        short = [
            name
            for name, idx in (("valid", sp.valid), ("test", sp.test))
            if len(idx) and 0 < len(set(np.unique(y[idx][np.isfinite(y[idx])]).tolist())) < 2
        ]
        if short and len(everywhere) >= 2:
            out.append(
                f"{t}: the {' and '.join(short)} part{'s' if len(short) > 1 else ''} of the "
                f"{split or 'given'} split hold{'' if len(short) > 1 else 's'} one class only, so "
                f"the metrics above cannot rank that part; {how}"
            )
    return out


def _held_out(ens: Ensemble, sp: Split, means, spreads, notes: list[str]) -> None:
    """Members that refit on train + valid give valid rows their pre-refit predictions."""
    held = [getattr(m, "valid_pred_", None) for m in ens.members]
    if not len(sp.valid) or any(h is None for h in held):
        return
    v_means, v_spreads = ens.combine(held)
    for j in range(len(means)):
        means[j][sp.valid] = v_means[j]
        spreads[j][sp.valid] = v_spreads[j]
    if any(getattr(m, "params", {}).get("refit") for m in ens.members):
        notes.append(
            "the model was refit on train + valid after early stopping; valid metrics and"
            " conformal calibration use the early-stopped model's held-out predictions"
        )


def _unbounded_conformal_notes(conformal: dict[str, Any]) -> list[str]:
    """A note per target whose validation part is too small for its coverage: the honest
    split-conformal interval is then infinite (every class in the set), which a user reading
    -inf / inf columns should not have to work out alone."""
    import math

    notes = []
    for t, c in conformal.items():
        if math.isinf(c.q):
            notes.append(
                f"target {t!r}: {c.n_calibration} labelled validation rows are too few for "
                f"{c.coverage:.10g} conformal coverage (at least {rows_for_coverage(c.coverage):,}"
                " are needed), so its "
                "intervals are infinite / its sets hold every class; use more data or a lower "
                "--coverage"
            )
    return notes


def rows_for_coverage(coverage: float) -> int:
    """The fewest calibration rows whose split-conformal quantile is finite: the smallest n with
    ceil((n + 1) * coverage) <= n (about coverage / (1 - coverage))."""
    import math

    n = max(1, math.floor(coverage / (1 - coverage)) - 1)
    while math.ceil((n + 1) * coverage) > n:
        n += 1
    return n


def _rejected_rows(errors) -> int:
    """Distinct rejected rows (a row with two faults has two error entries), across files."""
    located = {(e.file, e.row) for e in errors if e.row is not None}
    return len(located) + sum(1 for e in errors if e.row is None)


def _clear_stale(stage: Path, keep: Sequence[str]) -> None:
    """Remove what a killed run left in the staging directory, except the domain's own
    checkpoint files (`keep`), which the domain has checked against its resume key."""
    _remove_scratch(stage, [p.name for p in stage.iterdir() if p.name not in set(keep)])


def _remove_scratch(stage: Path, names: Sequence[str]) -> None:
    import shutil

    for name in names:
        p = stage / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def _extra_metrics(extra: pd.DataFrame, idx: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in extra.columns:
        v = extra[c].to_numpy()[idx]
        if v.dtype == bool:
            out[f"{c}_fraction"] = float(v.mean())
        elif np.issubdtype(v.dtype, np.number):
            out[f"median_{c}"] = float(np.median(v))
    return out


def train_supervised(
    data: LabelledData,
    model_factory: ModelFactory,
    *,
    domain: str,
    model_name: str,
    out: str | os.PathLike,
    split: str = "random",
    split_assignment: Sequence[str] | Split | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    ensemble: int = 1,
    seed: int = 0,
    coverage: float = 0.9,
    overwrite: bool = False,
    select: ModelSelector | None = None,
    config: dict[str, Any] | None = None,
    report: bool = True,
    extra_columns: ExtraColumns | None = None,
    quiet: bool = True,
    log: Log | None = None,
    scratch: Sequence[str] = (),
) -> SupervisedRun:
    """Train (an ensemble of) models on `data` and write a run directory at `out`.

    See the package docstring (`helixforge.core.supervised`) for a worked example and the
    run directory layout. `model_factory()` returns a fresh untrained estimator; with
    `select`, the selector picks the model on the split's training rows instead.
    `scratch`: names inside the staging directory (`core.io.staging_path(out)`) that the
    domain uses while training — epoch checkpoints, a resume key — removed before the run is
    swapped in (a killed run keeps them for its resume)."""
    from helixforge.core.io import check_output, staging_dir
    from helixforge.core.options import require_float, require_int
    from helixforge.core.supervised.rundir import write_run
    from helixforge.core.supervised.tasks import check_learnable
    from helixforge.core.training import seed_everything

    log = log or _nolog
    t_start = time.time()
    require_int(ensemble, "--ensemble", min_value=1)
    require_float(coverage, "--coverage", low=0, high=1, low_open=True, high_open=True)
    check_output(out, overwrite=overwrite, kind="dir", inputs=[data.source])
    check_learnable(data, data.source or "the training table")
    seed_everything(seed)
    sp = split_rows(data, split, assignment=split_assignment, fractions=fractions, seed=seed)
    log(f"split {'predefined' if split_assignment is not None else split}: {sp.sizes()}")
    selection: dict[str, float] = {}
    chosen = model_name
    if select is not None:
        log("auto: choosing the model")
        chosen, model_factory, selection = select(data, sp)
        log(f"auto chose {chosen}")
    ens, feats = train_members(
        data,
        sp,
        model_factory,
        ensemble=ensemble,
        seed=seed,
        model_name=chosen,
        quiet=quiet,
        log=log,
    )
    log("predicting train / valid / test and calibrating uncertainty")
    means, spreads = ens.predict(data.inputs, features=feats)
    notes = list(data.notes)
    _held_out(ens, sp, means, spreads, notes)
    conformal = fit_conformal(
        data.y[sp.valid],
        [m[sp.valid] for m in means],
        [s[sp.valid] for s in spreads],
        data.targets,
        data.task_types,
        coverage,
        normalized=ensemble > 1,
    )
    notes += _unbounded_conformal_notes(conformal)
    preds = prediction_columns(
        means, spreads, data.targets, data.task_types, data.classes, conformal
    )
    # A run with checkpoints (`scratch`) keeps its staging folder when writing the outputs is
    # interrupted or fails (minutes on a large table): --resume then loads the finished fits
    # instead of training them again. A refusal still removes it (`resumable_stage`).
    with staging_dir(out, keep_on_error=bool(scratch)) as stage:
        _clear_stale(stage, keep=scratch)  # a killed earlier run may have left outputs here
        extra = pd.DataFrame(
            extra_columns(data.inputs, stage, sp.train, feats) if extra_columns else {}
        )
        metrics: dict[str, Any] = {}
        for part, idx in (("train", sp.train), ("valid", sp.valid), ("test", sp.test)):
            if len(idx) == 0:
                continue
            m_part, n_part = score_predictions(
                data.y[idx],
                preds.iloc[idx].reset_index(drop=True),
                data.targets,
                data.task_types,
                data.classes,
            )
            if len(extra.columns) and part != "train":
                m_part["_extra"] = _extra_metrics(extra, idx)
            metrics[part] = m_part
            notes += [f"{part}: {n}" for n in n_part]
        notes += _one_class_hint(data, sp, split if split_assignment is None else None)
        metrics["notes"] = notes
        metrics["selection"] = selection
        cfg = {
            "kind": RUN_KIND,
            "domain": domain,
            "data": data.source or "<DataFrame>",
            "input_col": data.input_col,
            "targets": data.targets,
            "task_types": data.task_types,
            "classes": data.classes,
            "split": "predefined" if split_assignment is not None else split,
            "fractions": list(fractions),
            "split_sizes": sp.sizes(),
            "model_requested": "auto" if select is not None else model_name,
            "model": chosen,
            "ensemble": ensemble,
            "seed": seed,
            "coverage": coverage,
            "n_rows": len(data),
            "n_rejected_rows": _rejected_rows(data.errors),
            **(config or {}),
        }
        frame = data.frame.copy()
        frame.insert(0, "row", frame.index.astype(int))
        frame[SPLIT_COL if SPLIT_COL not in frame else "assigned_split"] = sp.labels(len(data))
        for c in [*preds.columns, *extra.columns]:
            frame[c] = (preds[c] if c in preds else extra[c]).to_numpy()
        report_path = write_run(
            stage,
            data=data,
            ensemble=ens,
            config=cfg,
            metrics=metrics,
            conformal=conformal_to_dict(conformal),
            predictions=frame.reset_index(drop=True),
            split=sp,
            report=report,
            extra_columns=list(extra.columns),
            timing={"train_seconds": time.time() - t_start},
        )
        _remove_scratch(stage, scratch)
    log(f"done in {time.time() - t_start:.1f}s")
    final = Path(out)
    return SupervisedRun(
        final, cfg, metrics, final / report_path.name if report_path is not None else None
    )


RESUME_FILE = "resume.json"


def prepare_resume_stage(
    out: str | os.PathLike, key: dict[str, Any], resume: bool, log: Log | None = None
) -> Path:
    """The staging directory of run `out` for a training verb that checkpoints into it (epoch
    checkpoints, finished members; `key` = everything that changes the result, saved in
    `resume.json`): an unfinished run is kept when `resume` and its key matches, refused with
    a ConfigError naming what changed when it does not, and discarded without `resume`.
    Writes `key` into the (created) directory and returns it; pass `RESUME_FILE` and the
    checkpoint folder as `scratch` to `train_supervised`."""
    import shutil

    from helixforge.core.artifacts import load_json, save_json
    from helixforge.core.checkpoints import check_resume_key, versioned_key
    from helixforge.core.errors import ConfigError, InputError
    from helixforge.core.io import staging_path

    log = log or _nolog
    stage = staging_path(out)
    if stage.exists() and not resume:
        shutil.rmtree(stage)
        log(f"discarded an unfinished run at {stage} (pass --resume to continue one)")
    elif stage.exists():
        try:
            saved = load_json(stage / RESUME_FILE)
        except (InputError, ValueError, OSError):
            raise ConfigError(
                f"{stage}: the unfinished run has no readable {RESUME_FILE}",
                hint="run again without --resume to start afresh",
            ) from None
        try:
            check_resume_key(saved, key, f"--resume {out}")
        except ConfigError as exc:
            raise ConfigError(
                exc.message,
                hint="repeat the original command, or run without --resume to start afresh",
            ) from None
        log(f"resuming the unfinished run at {stage}")
    elif resume:
        log(f"nothing to resume at {stage}; starting afresh")
    stage.mkdir(parents=True, exist_ok=True)
    save_json(versioned_key(key), stage / RESUME_FILE)  # check_resume_key compares it so
    return stage


@contextlib.contextmanager
def resumable_stage(
    out: str | os.PathLike, key: dict[str, Any], resume: bool, log: Log | None = None
) -> Iterator[Path]:
    """`prepare_resume_stage` for the block that trains into it: a refusal inside (a
    `HelixError`: one class, a diverged run, …) removes the staging folder this run made; an
    interrupt keeps it for --resume, and a resumed run's folder is always kept."""
    from helixforge.core.io import discard_stage_on_refusal, staging_path

    resumed = resume and staging_path(out).exists()
    stage = prepare_resume_stage(out, key, resume, log)
    with discard_stage_on_refusal(stage, keep=resumed):
        yield stage
