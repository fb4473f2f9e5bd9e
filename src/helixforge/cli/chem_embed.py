"""`helix chem embed`: pretrained molecular embeddings (MiniMol) into a table and the cache."""

from __future__ import annotations

import typer

from helixforge.cli.common import (
    OVERWRITE,
    QUIET,
    choice,
    handle_errors,
    id_col_option,
    input_col_option,
    jobs_option,
    out_option,
    path_value,
    resolve_jobs,
    say,
)


def register(app: typer.Typer) -> None:
    """Add this module's verbs to `app`."""
    app.command("embed")(embed_cmd)


@handle_errors
def embed_cmd(
    input: str = typer.Argument(
        ...,
        callback=path_value,
        help="Table with a SMILES column (csv, tsv, parquet), or an SD file.",
    ),
    out_path: str = out_option(None, "Output table of embeddings (parquet recommended)."),
    smiles_col: str = input_col_option("smiles", "Column holding SMILES.", "--smiles-col"),
    id_col: str = id_col_option(),
    features: str = typer.Option(
        "minimol",
        "--features",
        callback=choice("minimol", strict=False),
        help="Embedding: minimol (needs helixforge\\[pretrained]).",
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Neither read nor fill the embedding cache ($HELIX_CACHE_DIR)."
    ),
    jobs: int = jobs_option(),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Embed molecules with a pretrained model and fill the embedding cache; failures to <out>.errors.csv.

    Example: helix chem embed library.csv --features minimol -o emb.parquet
    """
    from helixforge.chem.pretrained.embed import embed_table
    from helixforge.core.errors import ConfigError

    if not out_path:
        raise ConfigError("-o/--out is required", hint="for example -o emb.parquet")
    res = embed_table(
        input,
        out_path,
        smiles_col=smiles_col,
        id_col=id_col,
        features=features,
        n_jobs=resolve_jobs(jobs),
        cache=not no_cache,
        overwrite=overwrite,
        quiet=quiet,
    )
    say(
        f"{res['ok']} of {res['rows']} rows embedded ({res['from_cache']} of {res['molecules']}"
        f" molecules from the cache) in {res['seconds']} s → {res['out']}",
        stderr=False,
    )
    if res["errors"]:
        say(f"{res['errors']} rows rejected → {res['errors_path']}", "yellow")
