"""On-target efficiency of SpCas9 guides: which spacers will cut well.

    scores = score_ontarget(["TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG", ...])   # 0-100, higher = more active

Two model kinds, both trained here (`helixforge.crispr.ontarget_recipe`; the first shipped
versions by tools/train_ontarget_defaults.py) and shipped as small files in a stable format
inside the package (``crispr/weights/``, each with a ``card.md``):

- ``gbm``: LightGBM (text model) on Rule Set 2-style features of the 30-mer context:
  position-specific 1- and 2-mers, position-independent 1- and 2-mer counts of the spacer, GC
  count with GC-high / GC-low flags, nearest-neighbour melting temperatures of the context, the
  spacer and three spacer segments (Biopython's ``Tm_NN`` parameters, vectorised), and the
  identity of the N of the PAM and the base after it (NGGN); feature version 2 adds the spacer's
  RNA–DNA hybrid and DNA duplex binding energies (`ontarget_energy`, CRISPRon-style ΔG).
- ``cnn``: a small convolutional network on the one-hot context (PyTorch, safetensors + JSON).

``model="default"`` is the mean of the two (each first mapped to its own percentile scale).

Context layout (SpCas9): 30 nt = 4 nt 5' flank + 20 nt spacer + NGG PAM + 3 nt 3' flank, on the
strand of the protospacer. A 23-mer (spacer + PAM, no flanks) is accepted as well: an ensemble
with a flank-free model (``flank_free`` in its config) scores it with that model, trained on
spacer + PAM only; other models see its flanks as unknown (``N``).

Scale: ``predict`` / ``score_ontarget`` return a *percentile* in [0, 100]: the fraction of guides
in the model's training libraries predicted to be less active. Scores rank guides; they are not
indel frequencies.

Modules: `ontarget_features` (contexts, features), `ontarget_models` (the models),
`ontarget_estimator` (the models as `core.estimator.Estimator`s, the spacer split, loading a
run), `ontarget_train` (`train_ontarget` through `core.supervised`); this one loads and scores.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, HelixError, InputError, NoUsableRowsError, RowErrors
from helixforge.crispr.ontarget_features import (  # noqa: F401 - public names
    CONTEXT_LENGTH,
    ENZYMES,
    FEATURE_VERSION,
    PAM,
    SHIPPED_MODELS,
    SHORT_LENGTH,
    SPACER,
    TM_SEGMENTS,
    _check_enzyme,
    encode_contexts,
    feature_names,
    featurize,
    melting_temperature,
    one_hot_contexts,
    rank_normalize,
)
from helixforge.crispr.ontarget_models import (  # noqa: F401 - public names
    CNN_DEFAULTS,
    GBM_DEFAULTS,
    OnTargetEnsemble,
    OnTargetModel,
)


def train_ontarget(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """See `helixforge.crispr.ontarget_train.train_ontarget` (imported lazily)."""
    from helixforge.crispr.ontarget_train import train_ontarget as _train

    return _train(*args, **kwargs)


def _weights_root():
    from importlib.resources import files

    return files("helixforge.crispr").joinpath("weights")


@functools.lru_cache(maxsize=8)
def _load_shipped(model: str, enzyme: str) -> OnTargetModel | OnTargetEnsemble:
    d = _weights_root().joinpath(f"{enzyme}_{model}")
    if not d.joinpath("config.json").is_file():
        raise HelixError(f"the shipped on-target model {model!r} is missing from this installation ({d})",
                         hint="reinstall helixforge, or rebuild it with `python -m helixforge.crispr.ontarget_recipe build`")  # fmt: skip
    return OnTargetModel.load(d, siblings=_weights_root())


_MODEL_HINT = (
    "pass --model default|accurate|gbm|cnn or the --out directory of `helix crispr train-ontarget`"
)


def load_ontarget_model(
    model: str = "default", enzyme: str = "spcas9"
) -> OnTargetModel | OnTargetEnsemble:
    """A shipped model by name ('default', 'accurate', 'gbm', 'cnn'; loaded once, then cached) or a model directory path."""
    key = _check_enzyme(enzyme)
    if model in SHIPPED_MODELS:
        if key != "spcas9" and model != "default":
            raise ConfigError(f"the {key} on-target model is shipped as 'default' only",
                              hint=f"use --model default with --enzyme {key}")  # fmt: skip
        return _load_shipped(model, key)
    path = Path(model)
    if path.exists():  # a run of another domain, a checkpoint, a file …: say what it is
        from helixforge.core.artifacts import refuse_foreign

        refuse_foreign(path, "an on-target model", _MODEL_HINT, domain="crispr")
    if not path.is_dir():
        raise ConfigError(f"unknown on-target model {model!r}",
                          hint=f"use one of {', '.join(SHIPPED_MODELS)} or a directory written by `helix crispr train-ontarget`")  # fmt: skip
    return OnTargetModel.load(path)  # a run directory, a model folder, or an older run


def score_ontarget(
    contexts: Sequence[str],
    enzyme: str = "spcas9",
    model: str = "default",
    *,
    errors: RowErrors | None = None,
) -> np.ndarray:
    """On-target efficiency scores for guide contexts; higher = more active.

    SpCas9 context: the 30-mer on the protospacer strand = 4 nt 5' flank + 20 nt spacer + NGG PAM
    + 3 nt 3' flank (lowercase accepted; N allowed only in the flanks); a 23-mer spacer+PAM is
    accepted too (flanks unknown, slightly less accurate).

    Scale: float64 in [0, 100], the predicted percentile of the guide's activity among the
    guides of the model's training libraries (50 = a typical guide, > 70 good, < 20 poor). Only
    the ranking is meaningful; it is not an indel percentage.

    Invalid contexts: without `errors`, the first one raises `InputError` naming its 0-based
    index and the problem; with a `RowErrors` collector (batch mode) each invalid context gets
    NaN and a RowError (row = its index) so one bad guide never stops a design job.
    """
    if contexts is None:
        raise InputError("contexts is None", hint="pass a list of 30-mer guide contexts")
    if isinstance(contexts, str | bytes | bytearray):  # one context, not one per character
        contexts = [contexts]
    elif not hasattr(contexts, "__iter__") or isinstance(contexts, dict | set | frozenset):
        raise InputError(
            f"contexts must be a list of sequences, got {type(contexts).__name__}",
            hint="pass a list (array, Series) of 30-mer guide contexts",
        )
    if not isinstance(model, str | os.PathLike):
        raise ConfigError(
            f"model must be a shipped model name or a run directory, got {model!r}",
            hint="use 'default' or the --out directory of `helix crispr train-ontarget`",
        )
    m = load_ontarget_model(model, enzyme)
    return m.predict(list(contexts), errors=errors)


def score_ontarget_table(
    data: str | os.PathLike,
    context_col: str,
    out: str | os.PathLike,
    *,
    model: str = "default",
    enzyme: str = "spcas9",
    overwrite: bool = False,
) -> dict[str, Any]:
    """Score a table's contexts; write it back (every input column kept) with an
    `ontarget_score` column (NaN for rows that could not be scored).

    Errors go to ``<out stem>.errors.csv`` (always written: file line, column, value, reason):
    invalid contexts (their row stays in the output with NaN) and lines with the wrong number
    of fields (those are only in the errors table). The job fails only when no row can be scored.
    """
    from helixforge.core.io import check_distinct_outputs, check_output
    from helixforge.core.tables import skipped_line_errors, write_table
    from helixforge.crispr.guide_tables import read_guide_table
    from helixforge.lm.inputs import as_path

    as_path(data, "data")
    out_path = as_path(out, "out")
    from helixforge.core.io import errors_table_path

    errors_path = errors_table_path(out_path)
    # --out as typed: Path() drops a trailing '/', which names a directory
    check_output(out, overwrite=overwrite, kind="table", inputs=[data, model])
    opt = "--out (errors table)"
    check_distinct_outputs({"--out": out, opt: errors_path})
    check_output(errors_path, overwrite=overwrite, option=opt, inputs=[data])
    m = load_ontarget_model(model, enzyme)
    df = read_guide_table(data, [context_col], lengths=(CONTEXT_LENGTH, SHORT_LENGTH))
    errors = RowErrors(data)
    skipped = skipped_line_errors(df, data)
    errors.extend(skipped)
    codes, valid = encode_contexts(
        df[context_col].tolist(), errors=errors, rows=df.index.tolist(), column=context_col
    )
    errors.write(errors_path)
    if not valid.any():
        raise NoUsableRowsError(
            f"{data}: no valid context in column {context_col!r}", hint=errors.summary(3)
        )
    scores = np.full(len(df), np.nan)
    scores[valid] = m.predict_codes(codes[valid])
    # an input that is itself a scored table keeps its old scores as input_ontarget_score (they
    # were overwritten without a word)
    from helixforge.crispr.guide_tables import input_column_names

    result = df.rename(columns=input_column_names(df.columns, ["ontarget_score"]))
    result["ontarget_score"] = np.round(scores, 3)
    write_table(result, out_path)
    return {
        "rows_in": int(len(df) + len(skipped)),
        "n_scored": int(valid.sum()),
        "n_errors": len(errors),
        "out": str(out_path),
        "errors_path": str(errors_path),
    }
