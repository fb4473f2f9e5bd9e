"""`helix dna train --model auto`: choose the architecture by validation score, within a budget.

    search = AutoSearch(epochs=2, budget_seconds=600)
    select = auto_selector(search, build=lambda spec, epochs: make_sequence_model(spec, ...))
    train_supervised(data, factory, ..., select=select)   # select(data, split) → chosen model

Successive halving (Jamieson & Talwalkar 2016; Li et al., Hyperband 2018) over the candidate
architectures: rung 0 trains every candidate for `epochs` epochs on the TRAINING part and scores
it on the VALIDATION part; the better half (rounded up) goes on to rung 1 with twice the
epochs (trained afresh, so every rung has the warm-up/decay schedule of its own length), and so
on; a rung never keeps fewer than two, and once two are left they are compared in a final rung
at the full `--epochs` (so two candidates get rung 0 and then the final rung; the search also
ends when a rung reaches the full `--epochs`). The winner is the best of the last rung, ties going
to the earlier candidate; a candidate whose validation loss is not a number ranks last. The test
part is never seen: the selector only receives the train and valid rows of the split. The
winner's final-rung model (training rows, full `--epochs`, the run's seed: what member 0's fit
would give) is handed to the run as its first member (`core.supervised.Prefitted`), not trained
again.

Score: validation loss of the candidate's predictions (both strands averaged) — log-loss for
binary and multiclass, mean squared error for regression (lower is better; the same for every
candidate, including an `lm:PATH` head). ROC-AUC / MCC / Spearman are recorded beside it.

Budget: `budget_seconds` (0 = none) stops the search before the next candidate when the search
has already used that much time; the choice is then the best candidate of the last rung that
every survivor finished (of rung 0 when even that one is incomplete: the best of those trained).
Every trial (candidate, rung, epochs, valid loss, valid metric) is recorded in config.json
(`auto`), the metrics' `selection`, the run's notes (report.html) and card.md; its wall-clock
seconds go to the run's timings.json (`auto_trials`), so the same command and seed give the same
bytes in every other file.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError
from helixforge.core.options import require_float, require_int

DEFAULT_CANDIDATES = ("cnn", "resnet", "resnet_pos")
TRIALS_FILE = "auto_trials.json"


@dataclass(frozen=True)
class AutoSearch:
    """Options of `--model auto`.

    candidates: `--model` specs to choose among (an `lm:PATH` head is one of them only when
    given: nothing is downloaded); epochs: epochs of rung 0 (doubled per rung, capped at the
    run's --epochs); budget_seconds: wall-clock limit of the search (0 = no limit).
    """

    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    epochs: int = 2
    budget_seconds: float = 0.0

    def check(self) -> AutoSearch:
        """Refuse bad values before any work (ConfigError naming the option)."""
        from helixforge.dna.models import parse_model_spec

        require_int(self.epochs, "--auto-epochs", min_value=1)
        require_float(self.budget_seconds, "--auto-budget", low=0)
        if not self.candidates:
            raise ConfigError("--auto-candidates is empty", hint="e.g. cnn,resnet,resnet_pos")
        if len(set(self.candidates)) != len(self.candidates):
            raise ConfigError(f"--auto-candidates {','.join(self.candidates)} repeats a model")
        for spec in self.candidates:
            if spec == "auto":
                raise ConfigError("--auto-candidates cannot contain 'auto'")
            parse_model_spec(spec)
        return self


def parse_candidates(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """'cnn,resnet' or ['cnn', 'resnet'] → ('cnn', 'resnet'); None → the default candidates.
    A number, a mapping or a non-text item is a `ConfigError` naming --auto-candidates."""
    from helixforge.lm.inputs import as_names

    if text is None:
        return DEFAULT_CANDIDATES
    if isinstance(text, str):
        items = text.split(",")
    else:
        try:
            items = as_names(text, "--auto-candidates")  # 5 was a raw TypeError
        except ConfigError as exc:
            raise ConfigError(exc.message, hint="e.g. 'cnn,resnet' or ['cnn', 'resnet']") from None
    return tuple(s.strip() for s in items if s.strip())


@dataclass
class Trial:
    """One candidate trained for one rung."""

    model: str
    rung: int
    epochs: int
    valid_loss: float
    valid_metric: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _valid_loss(task: str, y: np.ndarray, model, seqs: list[str]) -> tuple[float, dict]:
    """(loss, {metric: value}) of `model` on the validation rows (`y` encoded, one column)."""
    from helixforge.core.metrics import (
        classification_metrics,
        multiclass_metrics,
        regression_metrics,
    )

    yy = np.asarray(y, dtype=float)[:, 0]
    keep = np.isfinite(yy)
    seqs = [s for s, k in zip(seqs, keep) if k]
    yy = yy[keep]
    eps = 1e-7
    if task == "multiclass":
        proba = np.clip(np.asarray(model.predict_proba(seqs), dtype=float), eps, 1.0)
        loss = float(-np.mean(np.log(proba[np.arange(len(yy)), yy.astype(int)])))
        m = multiclass_metrics(yy.astype(int), proba)
        return loss, {k: float(m[k]) for k in ("mcc", "accuracy") if k in m}
    pred = np.asarray(model.predict(seqs), dtype=float)[:, 0]
    if task == "binary":
        p = np.clip(pred, eps, 1 - eps)
        loss = float(-np.mean(yy * np.log(p) + (1 - yy) * np.log(1 - p)))
        m = classification_metrics(yy, p)
        return loss, {k: float(m[k]) for k in ("roc_auc", "mcc") if k in m}
    loss = float(np.mean((pred - yy) ** 2))
    m = regression_metrics(yy, pred)
    return loss, {k: float(m[k]) for k in ("spearman", "r2") if k in m}


def _rung_epochs(search: AutoSearch, max_epochs: int, rung: int) -> int:
    return int(min(max_epochs, search.epochs * 2**rung))


def successive_halving(
    search: AutoSearch,
    train: tuple[list[str], np.ndarray],
    valid: tuple[list[str], np.ndarray],
    task_types: Sequence[str],
    build: Callable[[str, int], Any],
    *,
    max_epochs: int,
    seed: int = 0,
    cache: Path | None = None,
    log: Callable[[str], None] = lambda _m: None,
    winner: dict[str, Any] | None = None,
) -> tuple[str, list[Trial]]:
    """Run the search; returns (chosen spec, every trial). `build(spec, epochs)` makes a fresh
    untrained estimator; only `train` is fitted on and only `valid` scored. With `cache`
    (a JSON file) finished trials are kept there and reused (same candidate, rung and epochs), so
    a resumed run skips them. `winner`, if given, receives the chosen candidate's fitted model
    (key "model") when this call trained it at the full `max_epochs` — the model the run's first
    member would be, so it need not be trained again."""
    task = task_types[0]
    done = {(t.model, t.rung): t for t in _read_cache(cache)}
    trials: list[Trial] = []
    alive = list(search.candidates)
    t0 = time.perf_counter()
    finished_rung: list[Trial] = []
    rung = 0
    final_rung = -1
    full: dict[str, Any] = {}  # candidate → its model fitted here at max_epochs (the last rung's)
    while True:
        epochs = max_epochs if rung == final_rung else _rung_epochs(search, max_epochs, rung)
        this_rung: list[Trial] = []
        for spec in alive:
            cached = done.get((spec, rung))
            if cached is not None and cached.epochs == epochs:
                trial = cached
            else:
                over = search.budget_seconds and time.perf_counter() - t0 >= search.budget_seconds
                if over and (finished_rung or this_rung):
                    log(f"auto: budget of {search.budget_seconds:g} s used; stopping the search")
                    break
                t1 = time.perf_counter()
                model = build(spec, epochs)
                model.fit(train[0], train[1], task_types, valid=valid, seed=seed)
                loss, metric = _valid_loss(task, valid[1], model, valid[0])
                if winner is not None and epochs == max_epochs:
                    full[spec] = model
                trial = Trial(spec, rung, epochs, loss, metric, round(time.perf_counter() - t1, 1))
                done[(spec, rung)] = trial  # replaces a cached trial of other epochs
                _write_cache(cache, list(done.values()))
            this_rung.append(trial)
            log(
                f"auto: {spec} ({epochs} epochs) valid loss {trial.valid_loss:.4f} {trial.valid_metric}"
            )
        trials += this_rung
        if len(this_rung) < len(alive):  # stopped by the budget mid-rung
            pool = finished_rung or this_rung
            break
        finished_rung = this_rung
        pool = this_rung
        if len(alive) <= 2 and rung > 0 or epochs >= max_epochs:  # the final rung is done
            break
        # the better half, but never fewer than two: the last two meet at the full --epochs
        keep = max(min(2, len(alive)), math.ceil(len(alive) / 2))
        ranked = sorted(this_rung, key=lambda t: _rank(t, alive))
        alive = [t.model for t in ranked[:keep]]
        if len(alive) == 1:  # a single candidate: nothing to compare
            break
        if search.budget_seconds and time.perf_counter() - t0 >= search.budget_seconds:
            log(f"auto: budget of {search.budget_seconds:g} s used; stopping the search")
            break
        rung += 1
        if len(alive) <= 2:  # the last two are compared at the full --epochs
            final_rung = rung
    best = min(pool, key=lambda t: _rank(t, search.candidates))
    if winner is not None and best.epochs == max_epochs and best.model in full:
        winner["model"] = full[best.model]
    return best.model, trials


def _rank(trial: Trial, order: Sequence[str]) -> tuple[float, int]:
    """Sort key: lower validation loss first, a NaN loss (a diverged fit) last, ties to the
    candidate given first (NaN compared as neither smaller nor larger, so it could win)."""
    loss = trial.valid_loss
    return (loss if math.isfinite(loss) else math.inf, list(order).index(trial.model))


def _read_cache(cache: Path | None) -> list[Trial]:
    """The finished trials in `cache`; an unreadable file or entry is skipped (retrained).
    save_json wrote a NaN loss or metric as null: it is read back as NaN."""
    if cache is None or not cache.exists():
        return []
    try:
        rows = list(json.loads(cache.read_text()))
    except (ValueError, TypeError):
        return []
    trials = []
    for row in rows:
        try:
            loss = row["valid_loss"]
            metric = row.get("valid_metric") or {}
            trials.append(
                Trial(
                    model=str(row["model"]),
                    rung=int(row["rung"]),
                    epochs=int(row["epochs"]),
                    valid_loss=math.nan if loss is None else float(loss),
                    valid_metric={
                        str(k): math.nan if v is None else float(v) for k, v in metric.items()
                    },
                    seconds=float(row.get("seconds") or 0.0),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return trials


def _write_cache(cache: Path | None, trials: list[Trial]) -> None:
    if cache is None:
        return
    from helixforge.core.artifacts import save_json

    cache.parent.mkdir(parents=True, exist_ok=True)
    save_json([asdict(t) for t in trials], cache)


def selection_record(search: AutoSearch, chosen: str, trials: list[Trial]) -> dict[str, Any]:
    """What config.json keeps under `auto`."""
    return {
        "chosen": chosen,
        "criterion": "validation loss (log-loss; MSE for regression), lower is better",
        "method": "successive halving, eta 2, candidates retrained per rung, last two at the "
        "full epochs",
        "candidates": list(search.candidates),
        "rung0_epochs": search.epochs,
        "budget_seconds": search.budget_seconds,
        "trials": [_without_seconds(t) for t in trials],
    }


def _without_seconds(trial: Trial) -> dict[str, Any]:
    """A trial as recorded in config.json and card.md: no wall-clock seconds (timings.json)."""
    return {k: v for k, v in asdict(trial).items() if k != "seconds"}


def trial_timings(trials: list[Trial]) -> list[dict[str, Any]]:
    """Each trial's wall-clock seconds, for the run's timings.json (`auto_trials`)."""
    return [
        {"model": t.model, "rung": t.rung, "epochs": t.epochs, "seconds": t.seconds} for t in trials
    ]


def selection_text(record: dict[str, Any]) -> str:
    """One paragraph for the card and report: the choice and every candidate's score."""
    parts = [
        f"{t['model']} ({t['epochs']} ep): valid loss {t['valid_loss']:.4f}"
        + "".join(f", {k} {v:.3f}" for k, v in t["valid_metric"].items())
        for t in record["trials"]
    ]
    return (
        f"--model auto chose {record['chosen']} by {record['criterion']} "
        f"({record['method']}; test data not used). Candidates: " + "; ".join(parts) + "."
    )


def auto_selector(
    search: AutoSearch,
    build: Callable[[str, int], Any],
    factory: Callable[[str], Callable[[], Any]],
    *,
    max_epochs: int,
    seed: int,
    record: dict[str, Any],
    cache: Path | None = None,
    log: Callable[[str], None] = lambda _m: None,
    timings: list[dict[str, Any]] | None = None,
):
    """A `core.supervised` ModelSelector: runs `successive_halving` on the split's train and
    valid rows, fills `record` (config.json `auto`) and `timings` (each trial's seconds, for
    timings.json), adds a note for the report, and returns
    (chosen, factory(chosen), {"<model>@<epochs>ep": valid loss})."""

    def select(data, sp):
        if len(sp.valid) == 0:
            raise ConfigError(
                "--model auto needs a validation part to choose on",
                hint="pass --valid FILE or a split with a validation fraction > 0",
            )
        inputs = list(data.inputs)
        train = ([inputs[i] for i in sp.train], data.y[sp.train])
        valid = ([inputs[i] for i in sp.valid], data.y[sp.valid])
        won: dict[str, Any] = {}
        chosen, trials = successive_halving(
            search, train, valid, data.task_types, build,
            max_epochs=max_epochs, seed=seed, cache=cache, log=log, winner=won,
        )  # fmt: skip
        record.update(selection_record(search, chosen, trials))
        if timings is not None:
            timings[:] = trial_timings(trials)
        data.notes.append(selection_text(record))
        scores = {f"{t.model}@{t.epochs}ep": round(t.valid_loss, 6) for t in trials}
        make = factory(chosen)
        if "model" not in won:
            return chosen, make, scores
        # The final rung fitted the winner exactly as member 0 is fitted (same rows, epochs and
        # seed): hand that model over instead of training it a second time.
        from helixforge.core.supervised import Prefitted

        first = [won.pop("model")]

        def members():
            fresh = make()  # also keeps the member numbering of the checkpoint folders
            return Prefitted(first.pop(), seed) if first else fresh

        return chosen, members, scores

    return select


def append_card_section(run_dir: Path, record: dict[str, Any]) -> None:
    """Add a 'Model selection' section to the run's card.md (atomic rewrite)."""
    from helixforge.core.io import atomic_file

    card = Path(run_dir) / "card.md"
    if not card.exists() or not record:
        return
    text = card.read_text().rstrip() + "\n\n## Model selection (--model auto)\n\n"
    rows = [
        "| candidate | rung | epochs | valid loss | valid metrics |",
        "|---|---|---|---|---|",
    ]
    for t in record["trials"]:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in t["valid_metric"].items())
        rows.append(
            f"| {t['model']} | {t['rung']} | {t['epochs']} | {t['valid_loss']:.4f} | {shown} |"
        )
    text += selection_text(record) + "\n\n" + "\n".join(rows) + "\n"
    with atomic_file(card) as tmp:
        tmp.write_text(text)
