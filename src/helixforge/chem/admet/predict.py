"""`helix chem admet`: a SMILES table through the ADMET panel in resumable chunks.

    predict_admet("library.csv", "library_admet.parquet", endpoints=["herg", "ames"])

The chunked, resumable, atomic table job is `core.supervised.predict_table` (the one shared
by every predict verb): finished chunks are kept in `.<out>.partial/` under a key (input
sha256, the panel's weight hashes, the options) so `resume=True` after a kill repeats and loses
no row; rows the standardizer rejects go to `<out>.errors.csv`. Each chunk is standardized,
featurized once and predicted by every endpoint model in `n_jobs` worker processes.

With `n_jobs` >= 2 a molecule that kills its worker (a segfault in RDKit or LightGBM, the
out-of-memory killer) goes to `<out>.errors.csv` too ("the worker process was killed by SIGSEGV
on this molecule …") and every other row is predicted as without it: `core.parallel`'s
`isolate_killers`, shared with `chem screen`, bisects the sub-chunk that killed its worker even
alone. A worker that dies on a known-good molecule (CCO) stops the job (`WorkerCrashedError`). With
`n_jobs` = 1 everything runs in this process, where a crash cannot be caught.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from helixforge.chem.admet.panel import ADMETPanel
from helixforge.chem.inputs import PROBE_SMILES, check_paths

if TYPE_CHECKING:
    from helixforge.core.parallel import WorkerDeath

_PANELS: dict[tuple, ADMETPanel] = {}


def _panel(key: tuple) -> ADMETPanel:
    """One panel per process and settings (worker processes forked after the parent loaded it
    reuse the parent's copy)."""
    if key not in _PANELS:
        endpoints, percentiles, domain = key
        _PANELS[key] = ADMETPanel(list(endpoints), percentiles=percentiles, domain=domain)
    return _PANELS[key]


def _work(items: Sequence[object], key: tuple, options) -> tuple[list, pd.DataFrame]:
    """Standardize a sub-chunk and predict its accepted molecules (one parse + one feature
    row per distinct canonical SMILES)."""
    from helixforge.chem.standardize import standardize_many

    results = standardize_many(list(items), options)
    accepted = [c for c, _ in results if c is not None]
    if not accepted:
        return results, pd.DataFrame(columns=_panel(key).columns())
    unique = list(dict.fromkeys(accepted))
    pred = _panel(key).predict_smiles(unique)
    pos = {s: i for i, s in enumerate(unique)}
    return results, pred.iloc[[pos[s] for s in accepted]].reset_index(drop=True)


def _without_killers(
    index: int,
    items: Sequence[object],
    death: WorkerDeath,
    *,
    key: tuple,
    options,
    rows: Sequence[int],
    source: str,
) -> tuple[list, pd.DataFrame]:
    """`_work(items)` for a sub-chunk that killed its worker even alone (`parallel_map`'s
    `on_crash`): the molecules that kill a worker on their own are rejected rows (None, reason),
    as the standardizer's rejects are; the others are predicted in a fresh worker. `rows`: the
    sub-chunk's row numbers, for the error message when no molecule is to blame."""
    from helixforge.core.parallel import isolate_killers, run_in_fresh_worker

    def run(keep: list[int], killers: list) -> tuple[list, pd.DataFrame]:
        return run_in_fresh_worker(_work, [items[p] for p in keep], key, options)

    def probe() -> (
        tuple[list, pd.DataFrame] | WorkerDeath
    ):  # reaches the models, as no input does not
        return run_in_fresh_worker(_work, [PROBE_SMILES], key, options)

    what = f"rows {rows[0]}–{rows[-1]} of {source}" if len(rows) else f"part {index} of {source}"
    (results, pred), killers = isolate_killers(
        run, len(items), death, what, unit="molecule", probe=probe
    )
    results = list(results)
    for pos, killed in killers:  # ascending: each lands at its own position
        results.insert(pos, (None, _killed_reason(killed)))
    return results, pred


def _killed_reason(death: WorkerDeath) -> str:
    """The errors table's reason for a molecule whose worker died (`WorkerDeath`) on it alone."""
    if death.signal == "SIGKILL":
        cause = "most likely the out-of-memory killer"
    elif death.signal is None:  # the exit status was reaped before it could be read
        cause = "a crash in RDKit or LightGBM, or memory ran out"
    else:
        cause = "a crash in RDKit or LightGBM"
    return (
        f"the worker process {death.how} on this molecule ({cause}); it was left out, the "
        "other molecules were predicted as usual"
    )


class _PanelRun:
    """The `TrainedRun` face `predict_table` needs, for the shipped panel."""

    def __init__(self, panel: ADMETPanel, key: tuple):
        self.panel, self.key = panel, key
        self.path = Path(panel.root)
        self.config = {"input_col": "smiles"}

    def model_key(self) -> str:
        blob = json.dumps(self.panel.model_key(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    def predict_frame(self, inputs, features=None, extra_columns=None) -> pd.DataFrame:
        return features.reset_index(drop=True)  # predicted in `prepare`, in the workers

    def prepare(self, n_jobs: int, options):
        from helixforge.chem.standardize import apply_standardization
        from helixforge.core.parallel import parallel_map

        def prepare(frame: pd.DataFrame, col: str, source: str):
            items = frame[col].tolist()
            parts = max(1, min(n_jobs, len(items) // 500 or 1))
            size = -(-len(items) // parts) if items else 1
            subs = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
            rows = frame.index.tolist()

            def on_crash(index: int, sub: list, death: WorkerDeath) -> tuple[list, pd.DataFrame]:
                return _without_killers(
                    index, sub, death, key=self.key, options=options,
                    rows=rows[index * size : (index + 1) * size], source=source,
                )  # fmt: skip

            done = parallel_map(
                _work, subs, n_jobs=n_jobs, on_crash=on_crash, key=self.key, options=options
            )
            results = [r for res, _ in done for r in res]
            preds = [p for _, p in done if len(p)]
            pred = (
                pd.concat(preds, ignore_index=True)
                if preds
                else pd.DataFrame(columns=self.panel.columns())
            )
            clean, errors = apply_standardization(frame, col, results, source=source)
            return clean, clean["canonical_smiles"].tolist(), errors, pred

        return prepare


def predict_admet(
    input: str | os.PathLike,
    out: str | os.PathLike,
    *,
    endpoints: Sequence[str] | str | None = None,
    percentiles: bool = True,
    domain: bool = True,
    input_col: str | None = None,
    chunk_size: int = 10_000,
    n_jobs: int = 1,
    resume: bool = False,
    overwrite: bool = False,
    report: str | os.PathLike | None = None,
    quiet: bool = True,
) -> dict[str, Any]:
    """Predict the panel for every row of `input` that standardizes; write `out` (input
    columns + `canonical_smiles` + panel columns) and `<out>.errors.csv` for the rest; with
    `report`, an HTML report (per-molecule bars, per-endpoint distributions). Returns a
    summary (rows, predicted, errors, paths, in-domain fraction). An SD file (.sdf / .sd, gz
    allowed) is read record by record, as `chem screen` and `chem predict` read it: `smiles`
    and `name` columns, one row per record, unreadable records in the errors table."""
    from helixforge.chem.screen.library import SDF_SMILES_COL, is_sdf, read_library
    from helixforge.chem.standardize import StandardizeOptions
    from helixforge.core.io import check_output
    from helixforge.core.options import require_int
    from helixforge.core.parallel import resolve_jobs
    from helixforge.core.supervised import predict_table

    check_paths(
        "predict_admet",
        "for SMILES in memory: ADMETPanel().predict(smiles) (helixforge.chem.admet)",
        optional=("report",),
        input=input,
        out=out,
        report=report,
    )
    require_int(chunk_size, "--chunk-size", min_value=1)
    require_int(n_jobs, "--jobs", min_value=0)
    out = check_output(out, overwrite=overwrite, kind="table", inputs=[input])
    if report is not None:
        if Path(report).resolve() == Path(out).resolve():
            from helixforge.core.errors import ConfigError

            raise ConfigError(
                f"--report {report}: the same path as --out", hint="give the report its own .html"
            )
        # nor at the errors table's path: the one written last replaced the other
        from helixforge.core.io import check_distinct_outputs, errors_table_path

        check_distinct_outputs({"--out (errors table)": errors_table_path(out), "--report": report})
        report = check_output(report, overwrite=overwrite, option="--report", inputs=[input, out])
    panel = ADMETPanel(endpoints, percentiles=percentiles, domain=domain)
    key = (tuple(panel.endpoints), panel.percentiles, panel.domain)
    _PANELS[key] = panel
    run = _PanelRun(panel, key)
    jobs = resolve_jobs(n_jobs)
    if jobs > 1:  # one probe molecule here, as chem screen does: forked workers start warm
        _work([PROBE_SMILES], key, StandardizeOptions())  # (imports, RDKit tools, the reference)
    col, read_chunks, marker = input_col or "smiles", None, None
    if is_sdf(input):  # its molecules are read as the `smiles` column, as screen does
        col, read_chunks, marker = input_col or SDF_SMILES_COL, read_library, b"$$$$"
    summary = predict_table(
        run,
        input,
        out,
        read_chunks=read_chunks,
        record_marker=marker,
        prepare=run.prepare(jobs, StandardizeOptions()),
        input_col=col,
        chunk_size=chunk_size,
        resume=resume,
        overwrite=overwrite,
        options={
            "endpoints": list(panel.endpoints),
            "percentiles": panel.percentiles,
            "domain": panel.domain,
        },
        quiet=quiet,
    )
    if report is not None:
        from helixforge.chem.admet.report import write_admet_report

        write_admet_report(out, report, panel)
        summary["report"] = str(report)
    return summary


def read_sample(path: str | os.PathLike, max_rows: int = 100_000) -> pd.DataFrame:
    """Up to `max_rows` rows of a written panel table (first rows), for reports."""
    from helixforge.core.tables import iter_table

    parts, n = [], 0
    for chunk in iter_table(path, chunk_size=min(max_rows, 50_000)):
        parts.append(chunk.frame)
        n += len(chunk.frame)
        if n >= max_rows:
            break
    df = pd.concat(parts) if parts else pd.DataFrame()
    for c in df.columns:
        if c.startswith("admet_") and c != "admet_in_domain":
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df.head(max_rows).reset_index(drop=True)


__all__ = ["predict_admet", "read_sample"]
