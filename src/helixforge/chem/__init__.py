"""Molecules: standardisation, features, splits, property models, uncertainty.

Importing this package registers the "scaffold" and "cluster" splitters with
`helixforge.core.splits`.
"""

from helixforge.chem import splits as _splits  # noqa: F401  (registers splitters)
