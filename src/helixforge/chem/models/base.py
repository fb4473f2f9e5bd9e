"""The model protocol now lives in `helixforge.core.estimator` (one protocol for every domain);
`PropertyModel` is kept as its chem name. Models receive SMILES that
`helixforge.chem.standardize` has already cleaned and must not fail on a valid RDKit molecule.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from helixforge.core.errors import HelixError, InputError
from helixforge.core.estimator import Estimator

PropertyModel = Estimator

__all__ = ["PropertyModel", "reading_model"]


@contextmanager
def reading_model(path: str | os.PathLike, what: str) -> Iterator[None]:
    """Load a saved model folder: whatever a damaged or incomplete folder makes the readers
    raise (JSON, LightGBM, safetensors, torch, a missing key or file) becomes one InputError
    naming the folder; HelixErrors pass through unchanged."""
    try:
        yield
    except (HelixError, MemoryError):  # out of memory is not a damaged folder
        raise
    except Exception as exc:  # noqa: BLE001 - every reader's own error type, named below
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        detail = f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
        raise InputError(
            f"{path}: damaged or incomplete {what} model folder ({detail})",
            hint="save or train the model again, or restore the folder from a copy",
        ) from None
