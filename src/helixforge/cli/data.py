"""helix data …: the dataset registry."""

from __future__ import annotations

import typer

from helixforge.cli.common import (
    OVERWRITE,
    QUIET,
    choice,
    handle_errors,
    logger,
    not_blank,
    out,
    out_option,
    say,
)

app = typer.Typer(help="Named public datasets: list, inspect, locate, fetch.", no_args_is_help=True)

_COLUMNS = ("name", "domain", "task", "metric", "local", "description")


def _rows(domain: str | None) -> list[tuple[str, ...]]:
    from helixforge.core.options import require_choice
    from helixforge.datasets.registry import list_datasets, resolve

    if domain is not None:
        require_choice(domain, "--domain", sorted({d.domain for d in list_datasets()}))
    rows = []
    for ds in list_datasets(domain):
        try:
            resolve(ds.name, verify=False)
            local = "yes"
        except Exception:  # not on this machine (or unreadable): the listing goes on
            local = "no"
        rows.append((ds.name, ds.domain, ds.task, ds.metric, local, ds.description))
    return rows


def _clean(text: str) -> str:
    return " ".join(str(text).split())  # no tabs or newlines inside a TSV cell


@app.command("list")
@handle_errors
def list_cmd(
    domain: str = typer.Option(
        None,
        "--domain",
        callback=choice("chem", "genomics", "crispr", strict=False),
        help="chem | genomics | crispr",
    ),
    plain: bool = typer.Option(
        False, "--plain", help="Tab-separated output with a header line, for scripts."
    ),
) -> None:
    """List registered datasets, with their full names, and whether each is on this machine.

    Example: helix data list --domain chem --plain | cut -f1
    """
    rows = _rows(domain)
    if plain:
        lines = ["\t".join(_COLUMNS)] + ["\t".join(_clean(c) for c in row) for row in rows]
        print("\n".join(lines))
        return
    if not rows:
        say("no datasets registered", stderr=False)
        return
    _print_table(rows)


def _print_table(rows: list[tuple[str, ...]]) -> None:
    """A Rich table whose names are never cut: the description gives way first, and when the
    names alone are wider than the terminal the table is printed at its full width."""
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    def build(desc_width: int | None) -> Table:
        table = Table()
        for name in _COLUMNS[:-1]:
            table.add_column(name, no_wrap=True)
        table.add_column("description", no_wrap=True, max_width=desc_width, overflow="ellipsis")
        for row in rows:
            cells = [Text(c) for c in row]  # catalog text is shown as is, never as markup
            cells[4].stylize("green" if row[4] == "yes" else "red")
            table.add_row(*cells)
        return table

    def width(table: Table) -> int:
        return Measurement.get(out, out.options.update(width=100_000), table).maximum

    table = build(None)
    need = width(table)
    if need > out.width:
        longest = max(len(r[-1]) for r in rows)
        table = build(max(20, longest - (need - out.width)))
        need = width(table)
    console = out if need <= out.width else Console(width=need, soft_wrap=True, highlight=False)
    console.print(table)


@app.command("show")
@handle_errors
def show_cmd(name: str) -> None:
    """Show one dataset: source, licence, columns, split, files and where they are.

    Example: helix data show tdc/caco2_wang
    """
    from helixforge.core.errors import DataUnavailableError
    from helixforge.datasets.registry import get_dataset, resolve

    ds = get_dataset(name)
    say(f"{ds.name}  ({ds.domain})\n{ds.description}", stderr=False)
    for key in ("task", "metric", "split", "source", "license"):
        say(f"  {key:8s} {getattr(ds, key)}", stderr=False)
    if ds.smiles_col:
        say(f"  columns  smiles={ds.smiles_col!r} targets={ds.targets}", stderr=False)
    for part, info in ds.files.items():
        try:
            where = str(resolve(ds.name, part))
        except DataUnavailableError:
            where = "not local"
        except Exception as exc:  # show why (a changed or corrupt file), don't fail the listing
            where = f"not usable: {getattr(exc, 'message', None) or type(exc).__name__}"
        say(
            f"  file     {part}: {info['path']}  sha256={info.get('sha256', '')[:12]}…  → {where}",
            stderr=False,
        )


@app.command("path")
@handle_errors
def path_cmd(
    name: str,
    part: str = typer.Option(
        None,
        "--part",
        callback=not_blank("the file name `helix data show NAME` lists, or leave --part out"),
        help="File of the dataset (default: first).",
    ),
) -> None:
    """Print the local path of a dataset file (checksum verified).

    Example: helix data path tdc/caco2_wang --part test
    """
    from helixforge.datasets.registry import resolve

    print(resolve(name, part))


@app.command("fetch")
@handle_errors
def fetch_cmd(
    name: str,
    out_dir: str = out_option(
        None, "Directory to download into (default: the cache, $HELIX_CACHE)."
    ),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Download a dataset and check its sha256 (the only command that uses the network).

    Files already present with the registry's checksum are kept; a different file at the same
    path is refused unless --overwrite is given. A file the cache or the local mirror holds
    with the registry's checksum is copied from there instead of downloaded.

    Example: helix data fetch tdc/caco2_wang -o data/
    """
    from helixforge.datasets.registry import fetch

    for p in fetch(name, out=out_dir, overwrite=overwrite, log=logger(quiet), quiet=quiet):
        print(p)
