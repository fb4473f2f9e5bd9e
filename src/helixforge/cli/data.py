"""helix data …: the dataset registry."""

from __future__ import annotations

import typer

from helixforge.cli.common import handle_errors, out

app = typer.Typer(help="Named public datasets: list, inspect, locate, fetch.", no_args_is_help=True)


@app.command("list")
@handle_errors
def list_cmd(domain: str = typer.Option(None, "--domain", help="chem | genomics | crispr")) -> None:
    """List registered datasets and whether each is available on this machine."""
    from rich.table import Table

    from helixforge.datasets.registry import list_datasets, resolve

    table = Table("name", "task", "metric", "local", "description")
    for ds in list_datasets(domain):
        try:
            resolve(ds.name, verify=False)
            local = "[green]yes[/]"
        except Exception:
            local = "[red]no[/]"
        table.add_row(ds.name, ds.task, ds.metric, local, ds.description[:60])
    out.print(table)


@app.command("show")
@handle_errors
def show_cmd(name: str) -> None:
    """Show one dataset: source, licence, columns, split, files and where they are."""
    from helixforge.datasets.registry import get_dataset, resolve

    ds = get_dataset(name)
    out.print(f"[bold]{ds.name}[/]  ({ds.domain})\n{ds.description}")
    for key in ("task", "metric", "split", "source", "license"):
        out.print(f"  {key:8s} {getattr(ds, key)}", highlight=False)
    if ds.smiles_col:
        out.print(f"  columns  smiles={ds.smiles_col!r} targets={ds.targets}", highlight=False)
    for part, info in ds.files.items():
        try:
            where = str(resolve(ds.name, part))
        except Exception as exc:  # show why, don't fail the listing
            where = f"not local ({type(exc).__name__})"
        out.print(
            f"  file     {part}: {info['path']}  sha256={info.get('sha256', '')[:12]}…  → {where}",
            highlight=False,
        )


@app.command("path")
@handle_errors
def path_cmd(name: str, part: str = typer.Option(None, "--part")) -> None:
    """Print the local path of a dataset file (checksum verified)."""
    from helixforge.datasets.registry import resolve

    print(resolve(name, part))


@app.command("fetch")
@handle_errors
def fetch_cmd(name: str) -> None:
    """Download a dataset into the cache (the only command that uses the network)."""
    from helixforge.datasets.registry import fetch

    for p in fetch(name):
        out.print(f"fetched {p}")
