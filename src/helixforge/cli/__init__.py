"""The `helix` command line: thin Typer shells over library functions."""
