"""`helix`: the HelixForge command line.

Sub-command groups live in their own modules and import only typer at module level, so
`helix --help` stays fast; torch, RDKit and transformers load inside the verbs that use them.
"""

from __future__ import annotations

from pathlib import Path

import typer

from helixforge import __version__
from helixforge.cli import chem, crispr, data, dna, lm
from helixforge.cli.common import (
    OVERWRITE,
    QUIET,
    handle_errors,
    out_option,
    reflow_app_help,
    say,
)

app = typer.Typer(
    name="helix",
    help="HelixForge: AI for genetics, drug discovery and gene editing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data.app, name="data")
app.add_typer(chem.app, name="chem")
app.add_typer(dna.app, name="dna")
app.add_typer(lm.app, name="lm")
app.add_typer(crispr.app, name="crispr")


def _version(value: bool) -> None:
    if value:
        print(f"helixforge {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """HelixForge: AI for genetics, drug discovery and gene editing."""


@app.command("demo")
@handle_errors
def demo_cmd(
    out_dir: str = out_option("demo_run", "Demo directory to create."),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Train → predict → report on the embedded solubility set (no data mirror needed).

    Built in a staging directory beside OUT and swapped in when complete.

    Example: helix demo -o demo_run --overwrite
    """
    import shutil

    from helixforge.chem.demo import relocate_demo, run_demo
    from helixforge.core.io import check_output, staging_dir, staging_path

    final = check_output(out_dir, overwrite=overwrite, kind="dir")
    shutil.rmtree(staging_path(final), ignore_errors=True)  # a demo has nothing to resume
    with staging_dir(final, keep_on_error=False) as stage:
        result = run_demo(stage, quiet=quiet, final=final)
    # the demo's data were read from inside the staging directory: record where they are now
    relocate_demo(stage, final)
    if not quiet:
        try:
            report = final / Path(result["report"]).relative_to(stage)
        except ValueError:
            report = final
        say(f"predictions: {final / 'test_predictions.csv'}")
        say(f"demo written to {final} (open {report})")


reflow_app_help(app)  # every verb registered above: docstring paragraphs → one line each


def command():
    """The `helix` command with switches shown as switches: Typer would print `<bool>` beside
    every flag (`--lora <bool>`), which reads as if the flag took a value."""
    import typer.main

    cmd = typer.main.get_command(app)

    def blank(p):
        if p is not None and getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""
        return p

    def walk(c) -> None:
        for p in getattr(c, "params", []):
            blank(p)
        help_option = c.get_help_option  # --help is made per call, not kept in params
        c.get_help_option = lambda ctx, _make=help_option: blank(_make(ctx))
        for sub in getattr(c, "commands", {}).values():
            walk(sub)

    walk(cmd)
    return cmd


def main() -> None:
    command()()


if __name__ == "__main__":
    main()
