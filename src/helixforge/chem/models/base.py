"""The model protocol now lives in `helixforge.core.estimator` (one protocol for every domain);
`PropertyModel` is kept as its chem name. Models receive SMILES that
`helixforge.chem.standardize` has already cleaned and must not fail on a valid RDKit molecule.
"""

from __future__ import annotations

from helixforge.core.estimator import Estimator

PropertyModel = Estimator

__all__ = ["PropertyModel"]
