"""Registers the `minimol` feature block (512 MiniMol embedding columns) with the chem
featurizer registry; imported by `helixforge.chem.featurize`. Importing this module costs
nothing: onnxruntime loads on the first embedding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helixforge.chem.featurize import register_featurizer
from helixforge.chem.pretrained.minimol import EMBED_DIM


@register_featurizer("minimol", lambda spec: [f"minimol_{i}" for i in range(EMBED_DIM)])
def _minimol(mols: Sequence, spec) -> np.ndarray:
    """MiniMol embeddings of parsed molecules (read from / written to the embedding cache);
    None or a molecule MiniMol cannot featurize → a NaN row. One onnxruntime thread: parallel
    featurization (`featurize(..., n_jobs=N)`) runs one process per chunk instead."""
    from rdkit import Chem

    from helixforge.chem.pretrained.minimol import embed_smiles

    out = np.full((len(mols), EMBED_DIM), np.nan, dtype=np.float32)
    idx = [i for i, m in enumerate(mols) if m is not None]
    if idx:
        X, _ = embed_smiles([Chem.MolToSmiles(mols[i]) for i in idx], n_jobs=1)
        out[idx] = X
    return out
