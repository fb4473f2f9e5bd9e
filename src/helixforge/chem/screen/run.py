"""`screen_library`: the whole screen — checks, chunks, checkpoints, merge, outputs.

Finished chunks are kept in `.<out>.partial/` (pool-K.parquet: the chunk's top-K pool;
errors-K.csv; rows-K.parquet with --all-out) and listed in its state.json with the resume
key; `resume=True` skips them, a different key is a ConfigError naming what changed.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from helixforge.chem.screen.library import library_digest, read_library
from helixforge.chem.screen.pipeline import (
    CANONICAL,
    ChunkResult,
    ScreenConfig,
    default_score,
    model_refs,
    output_columns,
)
from helixforge.chem.screen.score import ScoreExpression
from helixforge.chem.screen.topk import RANK, SCORE, Diversity, TopK, default_pool
from helixforge.core.errors import ConfigError, NoUsableRowsError
from helixforge.core.tables import TableChunk

BACKENDS = ("local", "ray")


def _input_columns(library: str, chunk_size: int, input_col: str, id_col: str | None) -> list:
    chunks = read_library(
        library, chunk_size=min(chunk_size, 1000), input_col=input_col, id_col=id_col
    )
    first = next(iter(chunks), None)
    close = getattr(chunks, "close", None)
    if close:
        close()
    return list(first.frame.columns) if first is not None else [input_col]


def _model_key(path: str) -> dict[str, str]:
    from helixforge.core.artifacts import sha256_file

    p = Path(path)
    return {
        "manifest": sha256_file(p / "model" / "manifest.json"),
        "config": sha256_file(p / "config.json"),
    }


def _endpoints(admet: bool | str | Sequence[str]) -> tuple[str, ...] | None:
    """`admet=True` → every endpoint; a name list (or "herg,caco2_wang") → those."""
    if isinstance(admet, bool) or not admet:
        return None
    names = admet.split(",") if isinstance(admet, str) else list(admet)
    return tuple(n.strip() for n in names if n.strip()) or None


def _panel_key(config: ScreenConfig) -> Any:
    """The ADMET panel's endpoints and weight checksums (part of the resume key)."""
    from helixforge.chem.screen.pipeline import loaded

    panel = loaded(config).panel
    key = panel.model_key() if hasattr(panel, "model_key") else {}
    return {"endpoints": list(getattr(panel, "endpoints", [])), "weights": key}


def _resume_state(stage: Path, key: dict[str, Any], resume: bool) -> dict[str, Any]:
    import json

    from helixforge.core import artifacts
    from helixforge.core.checkpoints import check_resume_key, versioned_key

    state_path = stage / "state.json"
    if resume and state_path.exists():
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except ValueError:
            state = None
        if state is not None:
            check_resume_key(state.get("key", {}), key, where=f"--resume ({stage})")
            return state
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    state = {"key": versioned_key(key), "done": [], "counts": {}, "cutoffs": {}}
    artifacts.save_json(state, state_path)
    return state


def screen_library(
    library: str | os.PathLike,
    models: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    filters: Sequence[str] | str = (),
    score: str | None = None,
    top: int = 100,
    all_out: str | os.PathLike | None = None,
    admet: bool | Sequence[str] = False,
    max_per_scaffold: int | None = None,
    min_distance: float | None = None,
    backend: str = "local",
    address: str | None = None,
    chunk_size: int = 10_000,
    n_jobs: int = 1,
    resume: bool = False,
    overwrite: bool = False,
    input_col: str = "smiles",
    id_col: str | None = None,
    domain: bool = True,
    pool: int | None = None,
    device: str = "cpu",
    quiet: bool = True,
) -> dict[str, Any]:
    """Screen `library` with every model in `models` (run directories, or NAME=PATH); write
    the top `top` hits to `out` (sorted by score, best first), every screened row to
    `all_out` when given, and the rows that could not be used to `<out>.errors.csv`.

    Returns a summary: rows, screened, errors, filtered (molecules the filters ran on: all
    with a score, or only each chunk's best when nothing else needs them — see `lazy`),
    eligible (of those, passed), hits, exact (see `topk`), score (the expression used), out
    paths, seconds, mol_per_s."""
    from helixforge.chem.inputs import check_paths
    from helixforge.core.io import check_distinct_outputs, check_output
    from helixforge.core.options import require_choice, require_int
    from helixforge.core.supervised.predict import errors_path_for

    check_paths(
        "screen_library",
        "write the SMILES to a .smi / .csv file first; for a few molecules use the models' "
        "predict and ADMETPanel().predict",
        optional=("all_out",),
        library=library,
        out=out,
        all_out=all_out,
    )
    t0 = time.perf_counter()
    require_int(top, "--top", min_value=1)
    require_int(chunk_size, "--chunk-size", min_value=1)
    require_int(n_jobs, "--jobs", min_value=1)
    require_choice(backend, "--backend", BACKENDS)
    if address and backend != "ray":
        raise ConfigError("--address needs --backend ray", hint="add --backend ray")
    diversity = Diversity(max_per_scaffold, min_distance)
    pool = pool or default_pool(top, diversity)
    require_int(pool, "pool", min_value=top)
    if filters:
        from helixforge.chem.filters import check_filter_names

        filters = check_filter_names(filters)
    if isinstance(models, (str, os.PathLike)):
        models = [models]
    refs = model_refs(list(models))
    library = str(library)
    inputs = [library, *(r.path for r in refs)]
    out = check_output(out, overwrite=overwrite, kind="table", inputs=inputs)
    if all_out is not None:
        if Path(all_out).resolve() == out.resolve():
            raise ConfigError(
                f"--all-out {all_out} is the same file as --out", hint="name it otherwise"
            )
        all_out = check_output(
            all_out, overwrite=overwrite, kind="table", option="--all-out", inputs=inputs
        )
    errors_path = errors_path_for(out)
    check_output(errors_path, overwrite=True, option="--out (errors table)", inputs=inputs)
    # --all-out at the errors table's path: the one written last replaced the other
    check_distinct_outputs(
        {"--out": out, "--all-out": all_out, "--out (errors table)": errors_path}
    )
    in_cols = _input_columns(library, chunk_size, input_col, id_col)
    config = ScreenConfig(
        models=refs,
        input_col=input_col,
        filters=tuple(filters or ()),
        admet=bool(admet),
        admet_endpoints=_endpoints(admet),
        domain=domain,
        diversity=diversity,
        pool=pool,
        keep_all=all_out is not None,
        device=device,
        source=library,
    )
    typed = output_columns(config, in_cols)  # loads every model: broken runs fail here
    columns = [c for c, _ in typed]
    expression = ScoreExpression(score if score else default_score(config, columns))
    # computed columns that are text in every row (the library's own columns may hold
    # numbers as text, so only SMILES among them)
    text_columns = [input_col, CANONICAL] + [
        c for c, t in typed if c not in in_cols and t in ("object", "string", "str")
    ]
    expression.check(columns, text_columns)
    config = ScreenConfig(**{**config.__dict__, "score": expression.text, "columns": tuple(typed)})

    digest, total = library_digest(library, count=not quiet)
    key = {
        "library": digest,
        "models": {r.name: _model_key(r.path) for r in refs},
        "input_col": input_col,
        "id_col": id_col,
        "chunk_size": chunk_size,
        "filters": list(config.filters),
        "score": expression.text,
        "top": top,
        "pool": pool,
        "max_per_scaffold": max_per_scaffold,
        "min_distance": min_distance,
        "admet": _panel_key(config) if admet else False,
        "domain": domain,
        "all_out": all_out is not None,
    }
    from helixforge.core.io import discard_stage_on_refusal, staging_path
    from helixforge.core.progress import progress

    stage = staging_path(out)
    resumed = resume and (stage / "state.json").exists()  # its chunks outlive a refusal
    state = _resume_state(stage, key, resume)
    done = set(state["done"])
    workers = n_jobs
    with (
        discard_stage_on_refusal(stage, keep=resumed),
        progress("screening", total=total, quiet=quiet, unit="mol") as advance,
    ):

        def todo() -> Iterator[tuple[int, TableChunk]]:
            chunks = read_library(
                library, chunk_size=chunk_size, input_col=input_col, id_col=id_col
            )
            for k, chunk in enumerate(chunks):
                if k in done:
                    advance(len(chunk.frame) + len(chunk.errors))
                else:
                    yield k, chunk

        def on_result(k: int, chunk: TableChunk, result: ChunkResult) -> None:
            _checkpoint(stage, state, k, result)
            advance(result.counts["rows"])

        if backend == "ray":
            from helixforge.chem.screen.ray_backend import run_ray

            workers = run_ray(todo(), config, n_jobs, address, on_result)
        else:
            from helixforge.chem.screen.local import run_local

            run_local(todo(), config, n_jobs, on_result)
    summary = _finish(
        stage, state, library, (out, all_out, errors_path), top, diversity, pool, columns
    )
    seconds = time.perf_counter() - t0
    shutil.rmtree(stage, ignore_errors=True)
    summary.update(
        score=expression.text,
        backend=backend,
        workers=workers,
        seconds=round(seconds, 3),
        mol_per_s=round(summary["rows"] / seconds, 1) if seconds > 0 else None,
    )
    return summary


def _checkpoint(stage: Path, state: dict[str, Any], k: int, result: ChunkResult) -> None:
    from helixforge.core import artifacts
    from helixforge.core.tables import write_table

    write_table(result.pool, stage / f"pool-{k:06d}.parquet")
    if result.rows is not None:
        write_table(result.rows, stage / f"rows-{k:06d}.parquet")
    result.errors.write(stage / f"errors-{k:06d}.csv")
    state["counts"][str(k)] = result.counts
    state["cutoffs"][str(k)] = list(result.cutoff) if result.cutoff is not None else None
    state["done"].append(k)
    artifacts.save_json(state, stage / "state.json")


def _finish(
    stage: Path,
    state: dict[str, Any],
    library: str,
    paths: tuple[Path, Path | None, Path],
    top: int,
    diversity: Diversity,
    pool: int,
    columns: list[str],
) -> dict[str, Any]:
    from helixforge.core.supervised.predict import stream_chunks
    from helixforge.core.tables import write_table

    out, all_out, errors_path = paths
    ks = sorted(state["done"])
    counts = [state["counts"][str(k)] for k in ks]
    rows = sum(c["rows"] for c in counts)
    screened = sum(c["screened"] for c in counts)
    errs = [
        pd.read_csv(stage / f"errors-{k:06d}.csv", dtype=str, keep_default_na=False) for k in ks
    ]
    errors_all = pd.concat(errs, ignore_index=True) if errs else pd.DataFrame()
    write_table(errors_all, errors_path)
    if rows != screened + len(errors_all):  # every row is in the output or the errors
        raise RuntimeError(
            f"screen lost rows: {rows} in, {screened} screened, {len(errors_all)} errors"
        )
    if screened == 0:
        shutil.rmtree(stage, ignore_errors=True)
        raise NoUsableRowsError(
            f"{library}: none of the {rows} rows could be screened",
            hint=f"see {errors_path} for the reason of each row",
        )
    topk = TopK(top, diversity, pool)
    for k in ks:
        cut = state["cutoffs"][str(k)]
        topk.add(pd.read_parquet(stage / f"pool-{k:06d}.parquet"), tuple(cut) if cut else None)
    hits, exact = topk.result()
    if not len(hits):
        hits = pd.DataFrame(columns=[*columns, SCORE])
    hits.insert(0, RANK, range(1, len(hits) + 1))
    write_table(hits, out)
    if all_out is not None:
        stream_chunks([stage / f"rows-{k:06d}.parquet" for k in ks], all_out)
    return {
        "rows": rows,
        "screened": screened,
        "errors": len(errors_all),
        "filtered": sum(c.get("filtered", 0) for c in counts),
        "eligible": sum(c["eligible"] for c in counts),
        "unscored": sum(c.get("unscored", 0) for c in counts),
        "hits": len(hits),
        "exact": bool(exact),
        "out": str(out),
        "all_out": None if all_out is None else str(all_out),
        "errors_path": str(errors_path),
    }
