"""Prediction from a run directory: `TrainedRun` and chunked, resumable `predict_table`."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError, RowErrors
from helixforge.core.supervised.columns import conformal_from_dict, prediction_columns
from helixforge.core.supervised.data import ExtraColumns
from helixforge.core.supervised.ensemble import MANIFEST, Ensemble, ModelLoader

REQUIRED_CONFIG = ("targets", "task_types", "model")
# (chunk rows, input column, source) → (rows kept, their model inputs, row errors, features|None)
Prepare = Callable[
    [pd.DataFrame, str, str], tuple[pd.DataFrame, list[str], RowErrors, "np.ndarray | None"]
]
# (input, chunk_size, input column) → chunks with `.frame` (index = file line) and `.errors`,
# like `core.tables.iter_table` (the default); for inputs that are not tables (FASTA, BED)
ReadChunks = Callable[[str, int, str], Iterable[Any]]


def read_json_file(path: Path, what: str = "file") -> Any:
    """JSON from `path`; missing or damaged → InputError naming the file."""
    if not path.is_file():
        raise InputError(
            f"{path}: not found", hint="pass the run directory written by a training verb"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: damaged {what} ({exc})", hint="restore it or retrain") from None


def load_run_config(run_dir: str | os.PathLike, domain: str | None = None) -> dict[str, Any]:
    """config.json of a supervised run; anything else (a run of another domain, a language-model
    checkpoint, a prior, an empty directory, a file …) is an error saying what it is and which
    verb uses it. Task types must be ones the prediction columns know."""
    from helixforge.core.artifacts import RUN_KINDS, refuse_foreign, wrong_artifact
    from helixforge.core.supervised.tasks import RUN_TASK_TYPES

    run = Path(run_dir)
    expected = RUN_KINDS[domain][0].split(" (")[0] if domain in RUN_KINDS else "a training run"
    hint = "pass the --out directory of a finished training run"
    if not run.exists():
        raise InputError(f"{run}: run directory not found", hint=hint)
    # another domain's run, a language-model checkpoint, a prior, an empty directory …
    refuse_foreign(run, expected, hint, domain=domain or "*")
    if not run.is_dir() or not (run / "config.json").is_file():
        raise wrong_artifact(run, expected, hint)
    cfg_path = run / "config.json"
    cfg = read_json_file(cfg_path, "config.json")
    missing = [k for k in REQUIRED_CONFIG if not isinstance(cfg, dict) or k not in cfg]
    if missing:
        raise InputError(
            f"{cfg_path}: not the config of a supervised training run "
            f"(no {', '.join(repr(m) for m in missing)})",
            hint=hint,
        )
    targets, task_types = cfg["targets"], cfg["task_types"]
    if not isinstance(targets, list) or not isinstance(task_types, list):
        raise InputError(f"{cfg_path}: 'targets' and 'task_types' must be lists", hint=_DAMAGED)
    if len(targets) != len(task_types):
        raise InputError(f"{cfg_path}: targets and task_types do not match", hint=_DAMAGED)
    unknown = [t for t in task_types if t not in RUN_TASK_TYPES]
    if unknown:
        raise InputError(
            f"{cfg_path}: task type {unknown[0]!r} is not one HelixForge trains "
            f"({', '.join(RUN_TASK_TYPES)})",
            hint=_DAMAGED,
        )
    return cfg


_DAMAGED = "the run's config.json was edited or damaged; restore it or retrain"


class TrainedRun:
    """Everything prediction needs from a run directory: config, ensemble, calibration."""

    def __init__(self, run_dir: str | os.PathLike, loader: ModelLoader, domain: str | None = None):
        if not isinstance(run_dir, str | os.PathLike) or not str(run_dir).strip():
            from helixforge.core.errors import InputError

            raise InputError(
                f"a run directory is needed, not {run_dir!r}",
                hint="pass the --out folder of a training verb (e.g. runs/model1)",
            )
        self.path = Path(run_dir)
        self.config = load_run_config(self.path, domain)
        self.targets: list[str] = list(self.config["targets"])
        self.task_types: list[str] = list(self.config["task_types"])
        self.classes: dict[str, list[Any]] = dict(self.config.get("classes") or {})
        self.ensemble = Ensemble.load(self.path / "model", loader, self.task_types)
        self.ensemble.class_counts = [
            len(self.classes[t]) if tt == "multiclass" and t in self.classes else None
            for t, tt in zip(self.targets, self.task_types)
        ]
        cal_path = self.path / "conformal.json"
        cal = read_json_file(cal_path, "calibration file") if cal_path.exists() else {}
        try:
            self.conformal = conformal_from_dict(cal, dict(zip(self.targets, self.task_types)))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{cal_path}: damaged calibration file ({exc})") from None

    def model_key(self) -> str:
        """The model manifest's sha256 (part of every resume key)."""
        from helixforge.core.artifacts import sha256_file

        return sha256_file(self.path / "model" / MANIFEST)

    def predict_frame(
        self,
        inputs: Sequence[str],
        features: np.ndarray | None = None,
        extra_columns: ExtraColumns | None = None,
    ) -> pd.DataFrame:
        """Prediction columns (and the domain's extra columns) for cleaned inputs."""
        inputs = list(inputs)
        means, spreads = self.ensemble.predict(inputs, features=features)
        out = prediction_columns(
            means, spreads, self.targets, self.task_types, self.classes, self.conformal
        )
        if extra_columns is not None:
            for c, v in extra_columns(inputs, self.path, None, features).items():
                out[c] = v
        return out


def errors_path_for(out: str | os.PathLike) -> Path:
    """`<out stem>.errors.csv` beside an output table (`core.io.errors_table_path`)."""
    from helixforge.core.io import errors_table_path

    return errors_table_path(out)


def _describe(name: str, old: Any, new: Any) -> str:
    from helixforge.core.checkpoints import VERSION_FIELD

    if name == VERSION_FIELD:
        return (
            f"HelixForge version ({old or 'not recorded'} → {new}; a job is never continued "
            "by another version)"
        )
    if name == "input":
        return "input file (its sha256 differs)"
    if name == "model":
        return "model (the run's model manifest differs)"
    return f"{name} ({old!r} → {new!r})"


def _resume_state(stage: Path, key: dict[str, Any], resume: bool) -> dict[str, Any]:
    from helixforge.core.artifacts import save_json
    from helixforge.core.checkpoints import versioned_key

    key = versioned_key(key)  # another HelixForge version never continues the job
    state_path = stage / "state.json"
    if stage.exists() and resume and state_path.exists():
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except ValueError:
            state = None
        if state is not None:
            old = state.get("key", {})
            changed = [k for k in sorted(set(old) | set(key)) if old.get(k) != key.get(k)]
            if changed:
                what = ", ".join(_describe(k, old.get(k), key.get(k)) for k in changed)
                raise ConfigError(
                    f"--resume: {stage} was made with another {what}",
                    hint="rerun without --resume to start over, or with the original inputs",
                )
            return state
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    state = {"key": key, "done": []}
    save_json(state, state_path)
    return state


def _chunk_result(
    run: TrainedRun, frame: pd.DataFrame, prepare: Prepare, col: str, source: str, extra
) -> tuple[pd.DataFrame, RowErrors]:
    clean, inputs, errors, feats = prepare(frame, col, source)
    if len(clean):
        pred = run.predict_frame(inputs, features=feats, extra_columns=extra)
        pred.index = clean.index
        clash = {c: f"input_{c}" for c in clean.columns if c in pred.columns or c == "row"}
        res = pd.concat([clean.rename(columns=clash), pred], axis=1)
        res.insert(0, "row", res.index.astype(int))
    else:
        res = pd.DataFrame(columns=["row", *clean.columns])
    return res.reset_index(drop=True), errors


def predict_table(
    run: TrainedRun,
    input: str | os.PathLike,
    out: str | os.PathLike,
    *,
    prepare: Prepare,
    input_col: str | None = None,
    chunk_size: int = 10_000,
    resume: bool = False,
    overwrite: bool = False,
    extra_columns: ExtraColumns | None = None,
    options: dict[str, Any] | None = None,
    quiet: bool = True,
    read_chunks: ReadChunks | None = None,
    record_marker: bytes | None = None,
) -> dict[str, Any]:
    """Predict every row of `input` in chunks; write `out` (input columns + predictions) and
    `<out>.errors.csv`. Every input row ends up in one of the two.

    Finished chunks are kept in `.<out>.partial/` with a key (input sha256, the run's model
    manifest, the options); `resume=True` continues there, a different key is a ConfigError
    naming what changed. The output is written atomically and the staging folder removed.
    `read_chunks` reads inputs that are not tables (default: `core.tables.iter_table`); every
    chunk k must cover the same rows on every call. `record_marker`: the line that ends a
    record in such an input (b"$$$$" for SD files), for the progress bar's row count."""
    from helixforge.core.artifacts import save_json
    from helixforge.core.io import check_output, discard_stage_on_refusal, staging_path
    from helixforge.core.options import require_int
    from helixforge.core.progress import progress
    from helixforge.core.tables import iter_table, write_table

    require_int(chunk_size, "--chunk-size", min_value=1)
    out = check_output(out, overwrite=overwrite, kind="table", inputs=[input, run.path])
    errors_path = errors_path_for(out)
    check_output(errors_path, overwrite=True, option="--out (errors table)")
    col = input_col or run.config.get("input_col") or "input"
    source = str(input)
    if read_chunks is None:
        chunks = iter_table(input, chunk_size=chunk_size, columns=[col])  # checks file + column
    else:
        chunks = iter(read_chunks(str(input), chunk_size, col))
    digest, total = digest_and_rows(input, count=not quiet, record_marker=record_marker)
    key = {
        "input": digest,
        "model": run.model_key(),
        "input_col": col,
        "chunk_size": chunk_size,
        **(options or {}),
    }
    stage = staging_path(out)
    resumed = resume and stage.exists()
    state = _resume_state(stage, key, resume)
    rows_in = 0
    # a refusal while reading a later chunk (e.g. a file whose later lines are not UTF-8) removes the
    # staging folder this job made: a resume could never get past it; a resumed one is kept
    with (
        discard_stage_on_refusal(stage, keep=resumed),
        progress("predicting", total=total, quiet=quiet, unit="rows") as advance,
    ):
        for k, chunk in enumerate(chunks):
            rows_in += len(chunk.frame) + len(chunk.errors)
            if k not in state["done"]:
                res, errs = _chunk_result(run, chunk.frame, prepare, col, source, extra_columns)
                errs.extend(chunk.errors)
                write_table(res, stage / f"chunk-{k:06d}.parquet")
                errs.write(stage / f"errors-{k:06d}.csv")
                state["done"].append(k)
                save_json(state, stage / "state.json")
            advance(len(chunk.frame) + len(chunk.errors))
    n_chunks = len(state["done"])
    errs = [
        pd.read_csv(stage / f"errors-{k:06d}.csv", dtype=str, keep_default_na=False)
        for k in range(n_chunks)
    ]
    errors_all = pd.concat(errs, ignore_index=True)
    write_table(errors_all, errors_path)
    filled = [k for k in range(n_chunks) if _parquet_rows(stage / f"chunk-{k:06d}.parquet")]
    if not filled:
        shutil.rmtree(stage, ignore_errors=True)
        raise NoUsableRowsError(
            f"{input}: none of the {rows_in} rows in column {col!r} could be used",
            hint=f"see {errors_path} for the reason of each row",
        )
    n_out, flags = stream_chunks([stage / f"chunk-{k:06d}.parquet" for k in filled], out)
    shutil.rmtree(stage, ignore_errors=True)
    summary: dict[str, Any] = {
        "rows": rows_in,
        "predicted": n_out,
        "errors": len(errors_all),
        "out": str(out),
        "errors_path": str(errors_path),
    }
    for c, n_set in flags.items():  # flags such as in_domain: the fraction of rows set
        summary[f"{c}_fraction"] = n_set / n_out
    return summary


def digest_and_rows(
    path: str | os.PathLike, count: bool, record_marker: bytes | None = None
) -> tuple[str, int | None]:
    """The input's sha256 (for a resume key) and, when `count`, its rows for the progress
    bar's ETA, from one read of the file. Rows are text lines minus the header, or the number
    of `record_marker`s (b"$$$$" for SD files), or Parquet metadata; None when counting would
    cost a pass over compressed data. Quoted newlines make them an estimate."""
    import hashlib

    from helixforge.core.io import is_gzip
    from helixforge.core.tables import table_format

    p = Path(path)
    rows = None
    if count:
        try:
            if record_marker is None and table_format(p) == "parquet":
                rows, count = _parquet_rows(p), False
            elif is_gzip(p):
                count = False
        except Exception:  # an estimate only: the reader reports real problems
            count = False
    marker = record_marker or b"\n"
    h, n = hashlib.sha256(), 0
    with open(p, "rb") as fh:
        while block := fh.read(1 << 22):
            h.update(block)
            if count:
                n += block.count(marker)
    if count:
        rows = n if record_marker else max(n - 1, 0)  # minus the header
    return h.hexdigest(), rows


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def stream_chunks(paths: Sequence[Path], out: Path) -> tuple[int, dict[str, float]]:
    """Write the chunk files into `out` one chunk at a time, so memory stays bounded by a
    chunk whatever the input size; returns (rows, {bool column: rows set})."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from helixforge.core.io import atomic_file, open_output
    from helixforge.core.tables import table_format, write_csv

    fmt = table_format(out)
    n, flags, columns = 0, {}, None
    with atomic_file(out) as tmp:
        if fmt == "parquet":
            try:
                schema = pa.unify_schemas(
                    [pq.read_schema(p).remove_metadata() for p in paths],
                    promote_options="permissive",  # an all-empty column in one chunk is fine
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # a real type conflict: concatenate
                frames = [pd.read_parquet(p) for p in paths]
                merged = pd.concat(frames, ignore_index=True)
                merged.to_parquet(tmp, index=False)
                return _count(merged, 0, {})
            with pq.ParquetWriter(tmp, schema) as writer:
                for path in paths:
                    table = pq.ParquetFile(path).read().select(schema.names).cast(schema)
                    writer.write_table(table)
                    n += table.num_rows
                    for f in schema:
                        if pa.types.is_boolean(f.type):
                            flags[f.name] = flags.get(f.name, 0) + (
                                pc.sum(table[f.name]).as_py() or 0
                            )
        else:
            sep = "\t" if fmt == "tsv" else ","
            # open_output: the same predictions give the same bytes, also when gzipped
            with open_output(tmp, gz=out.name.lower().endswith(".gz")) as text:
                for path in paths:
                    df = pd.read_parquet(path)
                    columns = columns if columns is not None else list(df.columns)
                    write_csv(df[columns], text, sep=sep, header=n == 0)
                    n, flags = _count(df, n, flags)
    return n, flags


def _count(df: pd.DataFrame, n: int, flags: dict[str, float]) -> tuple[int, dict[str, float]]:
    for c in df.columns:
        if df[c].dtype == bool and c != "row":
            flags[c] = flags.get(c, 0) + int(df[c].sum())
    return n + len(df), flags
