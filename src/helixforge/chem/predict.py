"""`helix chem predict`: new molecules through a trained run, in resumable chunks.

    predict_property("runs/pic50", "library.csv", "library_pred.csv")

Each chunk's SMILES are standardized and (for a GBM run) featurized from one parse, in
`n_jobs` processes; the output keeps every input column and adds `canonical_smiles`, the
prediction columns (`T_pred`, `T_prob`, `T_std`, `T_lower`/`T_upper`, `T_set`) and the
applicability domain (`ad_similarity`, `in_domain`). Rejected rows go to `<out>.errors.csv`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.inputs import check_paths, smiles_column_hint, smiles_list
from helixforge.chem.standardize import CANONICAL_COL, StandardizeOptions
from helixforge.core.supervised import TrainedRun, predict_table


def _loader(name: str):
    from helixforge.chem.models import model_class

    return model_class(name)


class Predictor(TrainedRun):
    """A chem run directory ready to predict: ensemble, calibration, applicability domain."""

    def __init__(self, run_dir: str | os.PathLike, device: str = "auto"):
        super().__init__(run_dir, _loader, domain="chem")
        from helixforge.chem.uncertainty import applicability_columns

        for m in self.ensemble.members:  # torch models predict on the requested device
            if hasattr(m, "device"):
                m.device = device
        self.spec = self.feature_spec()
        self.options = StandardizeOptions(
            tautomer=bool(self.config.get("tautomer", False)),
            salts=str(self.config.get("salts", "keep")),
        )
        self.ad = applicability_columns(float(self.config.get("ad_threshold", 0.3)), self.spec)
        from helixforge.chem.pretrained.embed import uses_minimol

        self.minimol = uses_minimol(str(self.config.get("model", "")))

    def feature_spec(self):
        """The `FeatureSpec` every member shares when all are GBMs, else None."""
        specs = {getattr(m, "features", None) for m in self.ensemble.members}
        spec = next(iter(specs)) if len(specs) == 1 else None
        return spec if spec is not None and not isinstance(spec, str) else None

    def predict_smiles(
        self, smiles: Sequence[str], features: np.ndarray | None = None
    ) -> pd.DataFrame:
        """Prediction and AD columns, one row per SMILES in order. Without `features` the
        SMILES are standardized first, as `chem predict` does (salts stripped, neutralised:
        the same numbers as the CLI), and the frame starts with `canonical_smiles` and
        `error`: a SMILES that cannot be used ('xx((', None) has NaN predictions and its
        reason there (it was scored as if it were a molecule with no features). With
        `features` (their rows, from the run's `FeatureSpec`) the SMILES must be canonical
        already and only the prediction columns are returned. (When no SMILES can be used,
        the frame is those two columns.)"""
        smiles = smiles_list(smiles, "Predictor.predict_smiles")
        if features is not None:
            return self.predict_frame(smiles, features=features, extra_columns=self.ad)
        from helixforge.chem.table import parse_molecules

        results, X, _ = parse_molecules(smiles, self.spec, self.options, scaffolds=False)
        ok = [i for i, (canon, _) in enumerate(results) if canon is not None]
        head = pd.DataFrame(
            {CANONICAL_COL: [c for c, _ in results], "error": [r for _, r in results]}
        )
        if not ok:
            return head
        pred = self.predict_frame(
            [results[i][0] for i in ok], features=X, extra_columns=self.ad
        ).set_axis(ok)
        return pd.concat([head, pred.reindex(range(len(smiles)))], axis=1)

    def prepare(self, n_jobs: int = 1):
        """The per-chunk step for `predict_table`: standardize (+ featurize) from one parse."""
        from helixforge.chem.standardize import apply_standardization
        from helixforge.chem.table import parse_molecules

        def prepare(frame: pd.DataFrame, col: str, source: str):
            results, X, _ = parse_molecules(
                frame[col].tolist(), self.spec, self.options, n_jobs, scaffolds=False
            )
            clean, errors = apply_standardization(frame, col, results, source=source)
            if self.minimol:  # molecules MiniMol cannot embed: errors, not NaN embeddings
                from helixforge.chem.pretrained.embed import reject_minimol_failures

                clean, X = reject_minimol_failures(clean, col, errors, X, n_jobs=n_jobs)
            return clean, clean[CANONICAL_COL].tolist(), errors, X

        return prepare


def predict_property(
    run_dir: str | os.PathLike,
    input: str | os.PathLike,
    out: str | os.PathLike,
    *,
    smiles_col: str | None = None,
    chunk_size: int = 10_000,
    n_jobs: int = 1,
    resume: bool = False,
    overwrite: bool = False,
    device: str = "auto",
    quiet: bool = True,
) -> dict[str, Any]:
    """Predict every row of `input` that parses; write `out` (input columns + predictions)
    and `<out>.errors.csv` for the rest. `smiles_col` defaults to the training column; a
    column that is not in the input is an error, but a .smi file (`SMILES [name]` lines, no
    header) is read as its `smiles` column unless `smiles_col` says otherwise. An SD file (.sdf / .sd, gz allowed) is read
    record by record, as `chem screen` reads it: `smiles` and `name` columns, one row per
    record, unreadable records in the errors table. Chunks of `chunk_size` rows are kept until
    the output is whole; `resume=True` continues an interrupted run with the same inputs."""
    from helixforge.chem.screen.library import SDF_SMILES_COL, is_sdf, read_library
    from helixforge.core.io import check_output
    from helixforge.core.options import require_int
    from helixforge.core.parallel import resolve_jobs
    from helixforge.core.tables import table_format

    check_paths(
        "predict_property",
        "for SMILES in memory: Predictor(run_dir).predict_smiles(canonical_smiles), or "
        "write them to a .smi / .csv file",
        run_dir=run_dir,
        input=input,
        out=out,
    )
    require_int(chunk_size, "--chunk-size", min_value=1)
    check_output(out, overwrite=overwrite, kind="table", inputs=[input, run_dir])
    predictor = Predictor(run_dir, device=device)
    col = smiles_col or predictor.config.get("smiles_col") or "smiles"
    read_chunks = marker = None
    if smiles_col is None and table_format(input) == "smi":
        col = "smiles"  # a .smi file's first field is its `smiles` column, whatever training called it
    if is_sdf(input):  # an SD file: its molecules are read as the `smiles` column, as screen does
        col = smiles_col or SDF_SMILES_COL
        read_chunks, marker = read_library, b"$$$$"
    with smiles_column_hint(input, col):  # a missing column: the hint names the SMILES one
        return predict_table(
            predictor,
            input,
            out,
            read_chunks=read_chunks,
            record_marker=marker,
            prepare=predictor.prepare(resolve_jobs(n_jobs)),
            input_col=col,
            chunk_size=chunk_size,
            resume=resume,
            overwrite=overwrite,
            extra_columns=predictor.ad,
            options={"tautomer": predictor.options.tautomer, "salts": predictor.options.salts},
            quiet=quiet,
        )
