"""`helix chem embed`: a SMILES table → a table of pretrained embeddings (and a warm cache).

    res = embed_table("library.csv", "emb.parquet", smiles_col="smiles", n_jobs=2)

Rows are standardized as everywhere in chem (`chem.standardize`); rejected rows and molecules
MiniMol cannot featurize go to `<out>.errors.csv` (file, line, column, value, reason), so
rows_in == rows_out + rows_in_errors. Every embedding computed is written to the persistent
cache (`cache.EmbeddingCache`), so a later `helix chem train --model minimol-mlp` (or a
re-run) on the same molecules reads instead of recomputing; an interrupted run keeps the
chunks it finished and the next run only embeds the rest.
"""

from __future__ import annotations

import os
import time

FEATURES = ("minimol",)


def errors_path_for(out: str | os.PathLike) -> str:
    """`emb.parquet` → `emb.errors.csv` (`core.io.errors_table_path`)."""
    from helixforge.core.io import errors_table_path

    return str(errors_table_path(out))


def embedding_keys(canonical_smiles: list[str]) -> list[str]:
    """The SMILES MiniMol reads for each canonical SMILES: RDKit's `MolToSmiles` of the parsed
    molecule, exactly as the `minimol` feature block computes it (so both share cache rows);
    a SMILES RDKit cannot parse is kept as it is (MiniMol then reports it as a failure)."""
    from rdkit import Chem

    from helixforge.chem.featurize import mol_of

    out = []
    for s in canonical_smiles:
        mol = mol_of(s)
        out.append(Chem.MolToSmiles(mol) if mol is not None else s)  # unparsable: fails later
    return out


def embed_table(
    path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    smiles_col: str = "smiles",
    id_col: str | None = None,
    features: str = "minimol",
    n_jobs: int = 1,
    cache: bool = True,
    overwrite: bool = False,
    quiet: bool = True,
) -> dict[str, object]:
    """Embed every molecule of a table; write `out` (id column if given, the input SMILES,
    `canonical_smiles`, `minimol_0..511`) and `<out>.errors.csv`. Returns counts, paths, the
    number of molecules read from the cache and the seconds spent."""
    import numpy as np
    import pandas as pd

    from helixforge.chem.pretrained.cache import EmbeddingCache
    from helixforge.chem.pretrained.minimol import EMBED_DIM, embed_smiles, model_version
    from helixforge.chem.standardize import CANONICAL_COL, standardize_table
    from helixforge.core.errors import NoUsableRowsError
    from helixforge.core.io import check_output
    from helixforge.core.options import require_choice
    from helixforge.core.tables import read_table, require_columns, skipped_line_errors, write_table

    require_choice(features, "--features", FEATURES)
    from helixforge.chem.pretrained.minimol import require_minimol

    require_minimol()  # the install hint before any work
    check_output(out, overwrite=overwrite, kind="table", inputs=[path])
    t0 = time.perf_counter()
    from helixforge.chem.screen.library import SDF_NAME_COL, is_sdf, read_sd_file
    from helixforge.core.errors import RowErrors

    if is_sdf(path):  # record by record, as chem screen / predict read it; `name` kept
        records = RowErrors(path)  # records RDKit cannot read
        df = read_sd_file(path, records, input_col=smiles_col, id_col=id_col)
        df = df[[smiles_col, SDF_NAME_COL] + ([id_col] if id_col else [])]
        clean, errors = standardize_table(df, smiles_col, source=path, n_jobs=n_jobs)
        unread = len(records.rows())
        errors.extend(records)
        errors.items.sort(key=lambda e: -1 if e.row is None else e.row)
    else:
        cols = [smiles_col] + ([id_col] if id_col and id_col != smiles_col else [])
        from helixforge.chem.inputs import smiles_column_hint

        df = read_table(path)
        with smiles_column_hint(path, smiles_col):  # as train / predict / standardize name it
            require_columns(df, cols, path)
        df = df[cols]
        clean, errors = standardize_table(df, smiles_col, source=path, n_jobs=n_jobs)
        errors.extend(skipped_line_errors(df, path))
        unread = 0
    keys = embedding_keys(clean[CANONICAL_COL].tolist())
    store = EmbeddingCache() if cache else None
    n_cached = len(store.get(model_version(), keys)) if store is not None else 0
    X, failed = embed_smiles(keys, n_jobs=n_jobs, cache=store or False, quiet=quiet)
    for i, reason in failed.items():
        errors.add(int(clean.index[i]), smiles_col, clean[smiles_col].iloc[i], reason)
    ok = np.array([i not in failed for i in range(len(clean))], dtype=bool)
    errors_path = errors_path_for(out)
    errors.write(errors_path)
    if not ok.any():
        raise NoUsableRowsError(
            f"{path}: none of the {len(df)} rows could be embedded",
            hint=f"see {errors_path} for the reason of each row; check --input-col",
        )
    emb = pd.DataFrame(X[ok], columns=[f"{features}_{j}" for j in range(EMBED_DIM)])
    frame = pd.concat([clean[ok].reset_index(drop=True), emb], axis=1)
    write_table(frame, out)
    return {
        "rows": len(df) + unread,
        "ok": int(ok.sum()),
        "errors": len(errors),
        "molecules": len(set(keys)),
        "from_cache": n_cached,
        "seconds": round(time.perf_counter() - t0, 2),
        "out": str(out),
        "errors_path": errors_path,
        "cache": str(store.path) if store is not None else None,
    }


def uses_minimol(model: str) -> bool:
    """True when a `--model` name reads MiniMol embeddings: minimol-*, a blend with such a
    member, or `auto` when the `pretrained` extra is installed (its candidates include them)."""
    from helixforge.chem.models import BLEND_PREFIX, MINIMOL_NAMES

    if model == "auto":
        from helixforge.chem.pretrained.minimol import minimol_available

        return minimol_available()
    if model.startswith(BLEND_PREFIX):
        from helixforge.chem.models.blend import parse_blend_name

        return any(uses_minimol(m) for m in parse_blend_name(model)[0])
    return model in MINIMOL_NAMES


def minimol_failures(
    canonical_smiles: list[str], *, n_jobs: int = 1, quiet: bool = True
) -> dict[int, str]:
    """{position: reason} of the canonical SMILES MiniMol cannot embed. Embeds (and caches)
    every molecule on the way, so the model that follows reads them from the cache; training
    and prediction call this to send those molecules to the errors table instead of giving
    the model a NaN embedding."""
    from helixforge.chem.pretrained.minimol import embed_smiles

    if not canonical_smiles:
        return {}
    _, failed = embed_smiles(embedding_keys(list(canonical_smiles)), n_jobs=n_jobs, quiet=quiet)
    return failed


def reject_minimol_failures(clean, col: str, errors, X=None, *, n_jobs: int = 1):
    """For a prediction chunk (`clean`: standardized rows with `canonical_smiles`, index =
    file line; `X`: their feature rows or None): move the rows MiniMol cannot embed to
    `errors` (line, `col`, input value, reason) and return `(clean, X)` without them."""
    import numpy as np

    from helixforge.chem.standardize import CANONICAL_COL

    failed = minimol_failures(clean[CANONICAL_COL].tolist(), n_jobs=n_jobs) if len(clean) else {}
    if not failed:
        return clean, X
    for i, reason in sorted(failed.items()):
        errors.add(int(clean.index[i]), col, clean[col].iloc[i], reason)
    keep = np.array([i for i in range(len(clean)) if i not in failed], dtype=int)
    return clean.iloc[keep], (X[keep] if X is not None else None)
