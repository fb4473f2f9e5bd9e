"""`helix lm predict`: a fine-tuned run on new sequences, through the supervised-run layer.

    predict_run("runs/prom", "new.csv", "new_pred.csv")

A run directory written by `helix lm finetune` loads as a `core.supervised.TrainedRun` (model
manifest checked, ensemble, conformal calibration); a bare model folder written by
`LMPropertyModel.save` (or an older `helix lm finetune`) loads as a one-member run without
calibration. Tables are predicted by `core.supervised.predict_table`: in chunks, resumable
(`resume=True`), every input column kept, `T_pred` / `T_prob` / `T_prob_<class>` / `T_std` /
`T_lower` / `T_upper` / `T_set` added, every row in the output or in `<out>.errors.csv`. A FASTA
input is predicted in memory (columns id, sequence). Token-classification runs give `T_pred`,
the predicted label of every position ("0011…"). Model folders are data: code shipped in one
runs only with `trust_remote_code=True` from the caller, never on the folder's say-so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import InputError, RowErrors
from helixforge.core.supervised import Ensemble, TrainedRun
from helixforge.core.training import restores_torch_threads, set_threads
from helixforge.lm.estimator import FINETUNE_FILE, TOKEN_TASK, LMPropertyModel
from helixforge.lm.tokenizer_backends import SequenceCheck, sequence_check


class _Loader:
    """`TrainedRun` loader: model name "lm" → members loaded on `device`."""

    def __init__(self, device: str, trust_remote_code: bool):
        self.device, self.trust = device, trust_remote_code

    def __call__(self, name: str) -> _Loader:
        if name != "lm":
            raise InputError(
                f"model {name!r} is not a language model",
                hint="pass a run directory written by `helix lm finetune`",
            )
        return self

    def load(self, path: str | os.PathLike) -> LMPropertyModel:
        return LMPropertyModel.load(path, device=self.device, trust_remote_code=self.trust)


class LMRun(TrainedRun):
    """A fine-tuned lm run ready to predict (token-classification runs included)."""

    def predict_frame(
        self, inputs: Sequence[str], features: np.ndarray | None = None, extra_columns=None
    ) -> pd.DataFrame:
        if self.task_types != [TOKEN_TASK]:
            return super().predict_frame(inputs, features, extra_columns)
        from helixforge.lm.finetune_token import position_labels

        probs = self.ensemble.members[0].predict(list(inputs))
        return pd.DataFrame({f"{self.targets[0]}_pred": position_labels(probs)})


class FolderRun(LMRun):
    """One saved `LMPropertyModel` folder seen as a run: one member, no calibration."""

    def __init__(self, path: str | os.PathLike, model: LMPropertyModel):
        self.path = Path(path)
        n = len(model.task_types)
        names = model.label_cols or (["label"] if n == 1 else [f"label_{j}" for j in range(n)])
        self.targets, self.task_types = list(names), list(model.task_types)
        self.classes: dict[str, list[Any]] = {}
        self.config = {"targets": self.targets, "task_types": self.task_types, "model": "lm"}
        self.ensemble = Ensemble([model], "lm", self.task_types)
        self.ensemble.class_counts = [
            model.n_classes if tt == "multiclass" else None for tt in self.task_types
        ]
        self.conformal = {}

    def model_key(self) -> str:
        from helixforge.core.artifacts import sha256_file

        return sha256_file(self.path / FINETUNE_FILE)


def is_run_dir(path: Path) -> bool:
    """True for a run directory of the supervised layer (it has model/manifest.json)."""
    from helixforge.core.supervised.ensemble import MANIFEST

    return (path / "model" / MANIFEST).is_file()


def load_run(
    path: str | os.PathLike,
    *,
    device: str = "auto",
    trust_remote_code: bool = False,
    batch_size: int | None = None,
) -> LMRun:
    """A run directory (`helix lm finetune`) or a bare model folder, ready to predict."""
    from helixforge.lm.inputs import as_path
    from helixforge.lm.models import check_remote_code

    p = as_path(path, "run directory")
    if is_run_dir(p):
        for member in sorted((p / "model").glob("member_*/model")):
            check_remote_code(member, trust_remote_code)  # before anything is imported
        run: LMRun = LMRun(p, _Loader(device, trust_remote_code), domain="lm")
    else:  # a bare model folder; another domain's run, a checkpoint, a file … are named
        from helixforge.core.artifacts import identify_artifact, refuse_foreign

        hint = "pass a run directory written by `helix lm finetune`"
        if not p.exists():
            raise InputError(f"{p}: not found", hint=hint)
        # model/, model/member_0/model of an lm run: the run is a folder above (a folder of
        # another domain's run, chem run/model, is left to refuse_foreign, which names it)
        run_above = next((a for a in p.resolve().parents[:3] if is_run_dir(a)), None)
        lm_above = run_above is not None and identify_artifact(run_above).domain in (None, "lm")
        if lm_above and not (p / "helixforge_finetune.json").exists():
            raise InputError(
                f"{p}: a folder inside the run directory {run_above}; predict reads the whole "
                "run (every member, the conformal calibration)",
                hint=f"pass the run directory: helix lm predict {run_above} …",
            )
        refuse_foreign(p, "an lm run", hint, domain="lm")
        run = FolderRun(p, LMPropertyModel.load(p, device, trust_remote_code=trust_remote_code))
    if batch_size:
        for m in run.ensemble.members:
            m.batch_size = batch_size
    return run


def _column(run: LMRun, input_path: Path, column: str | None, id_column: str | None) -> str:
    """--input-col, else the training column when the input has it, else sequence/seq/smiles
    (names matched exactly, as in every reader: a 'Sequence' header is refused with "did you
    mean 'Sequence'?"). An --id-col must exist (it is kept like every input column)."""
    from helixforge.core.errors import ColumnNotFoundError
    from helixforge.core.tables import iter_table
    from helixforge.lm.tables import default_sequence_column

    if column and not id_column:
        return column
    header = [str(c) for c in next(iter(iter_table(input_path, chunk_size=1))).frame.columns]
    if id_column and id_column not in header:
        raise ColumnNotFoundError([id_column], header, input_path)
    if column:
        return column
    trained = run.config.get("input_col")
    if trained in header:
        return trained
    return default_sequence_column(header) or trained or "sequence"


def _prepare(frame: pd.DataFrame, col: str, source: str, check: SequenceCheck | None = None):
    """Per chunk: rows with a sequence (stripped) go on; empty ones, and those `check` refuses
    (characters outside the tokenizer's alphabet), to the errors."""
    from helixforge.lm.tables import usable_rows

    errors = RowErrors(source)
    kept, sequences = usable_rows(frame, col, errors, check)
    return kept, sequences, errors, None


def _predict_fasta(
    run: LMRun, input_path: Path, out_path, overwrite: bool, check: SequenceCheck | None
) -> dict[str, Any]:
    from helixforge.core.errors import NoUsableRowsError
    from helixforge.core.io import check_output
    from helixforge.core.supervised import errors_path_for
    from helixforge.core.tables import write_table
    from helixforge.lm.tables import read_sequences

    check_output(out_path, overwrite=overwrite, kind="table", inputs=[input_path])
    errors_path = errors_path_for(out_path)
    inp = read_sequences(input_path, check=check)
    inp.errors.write(errors_path)
    if not inp.sequences:
        raise NoUsableRowsError(f"{input_path}: no usable sequences", hint=f"see {errors_path}")
    pred = run.predict_frame(inp.sequences)
    write_table(pd.concat([inp.frame, pred], axis=1), out_path)
    n = len(inp.sequences)
    return {"rows": inp.n_rows, "predicted": n, "errors": len(inp.errors), "out": str(out_path),
            "errors_path": str(errors_path)}  # fmt: skip


@restores_torch_threads
def predict_run(
    run_dir: str | os.PathLike,
    input_path: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    column: str | None = None,
    id_column: str | None = None,
    device: str = "auto",
    batch_size: int | None = None,
    threads: int | None = None,
    chunk_size: int = 10_000,
    resume: bool = False,
    trust_remote_code: bool = False,
    overwrite: bool = False,
    quiet: bool = True,
) -> dict[str, Any]:
    """Predict every sequence of a table (or FASTA) with a fine-tuned run; write `out_path`
    (input columns + prediction columns) and `<out>.errors.csv`. Returns the row counts."""
    from helixforge.core.io import check_output
    from helixforge.core.options import require_int
    from helixforge.core.supervised import predict_table
    from helixforge.lm.corpus import corpus_kind

    require_int(chunk_size, "--chunk-size", min_value=1)
    check_output(out_path, overwrite=overwrite, kind="table")
    run = load_run(
        run_dir, device=device, trust_remote_code=trust_remote_code, batch_size=batch_size
    )
    set_threads(threads)
    check = sequence_check(run_dir)
    src = Path(input_path)
    from helixforge.lm.tables import refuse_fastq

    refuse_fastq(src)
    if src.is_file() and corpus_kind(src) == "fasta":
        return _predict_fasta(run, src, out_path, overwrite, check)
    return predict_table(
        run,
        src,
        out_path,
        prepare=partial(_prepare, check=check),
        input_col=_column(run, src, column, id_column),
        chunk_size=chunk_size,
        resume=resume,
        overwrite=overwrite,
        quiet=quiet,
    )
