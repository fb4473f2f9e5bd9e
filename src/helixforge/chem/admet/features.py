"""The panel's one extra feature block, "admet_crippen": Wildman–Crippen logP and MR.

The lite descriptor set leaves Crippen out (atom typing on an H-added copy, ~0.3 ms per
molecule); the lipophilicity and solubility endpoints want it, and the panel's `logp`
property must compute it anyway, so the panel computes it once, as a feature block, and reads
the property from the feature row. Registered as a named block so the shared FeatureSpec can
name it: `FeatureSpec(..., extra=("admet_crippen",))`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helixforge.chem.featurize import FEATURIZERS, register_featurizer

BLOCK = "admet_crippen"
NAMES = ["CrippenLogP", "CrippenMR"]


def crippen_block(mols: Sequence, spec=None) -> np.ndarray:
    """(n, 2) float32: RDKit Crippen logP (= Crippen.MolLogP) and MR; None → NaN row."""
    from rdkit.Chem import rdMolDescriptors as rd

    from helixforge.chem.fingerprints import hydrogen_free

    out = np.full((len(mols), 2), np.nan, dtype=np.float32)
    for i, m in enumerate(mols):
        if m is not None:
            out[i] = rd.CalcCrippenDescriptors(hydrogen_free(m))
    return out


if BLOCK not in FEATURIZERS:
    register_featurizer(BLOCK, lambda spec: list(NAMES))(crippen_block)
