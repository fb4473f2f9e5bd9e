"""Virtual screening: a library of molecules through trained models, filters and a score.

    from helixforge.chem.screen import screen_library
    summary = screen_library("vendor.smi.gz", ["runs/pic50"], "hits.parquet",
                             filters="lipinski,pains", score="pic50.pIC50_pred", top=100)

Modules: `library` (chunked reading of SMILES tables and SD files), `pipeline` (the per-chunk
step every backend runs), `score` (safe score expressions), `topk` (exact top-K with
diversity from per-chunk pools), `local` / `ray_backend` (where chunks run), `run` (checks,
checkpoints, resume, outputs). See docs/screen.md and docs/scale.md.
"""

from helixforge.chem.screen.run import screen_library

__all__ = ["screen_library"]
