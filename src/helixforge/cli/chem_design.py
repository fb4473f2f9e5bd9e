"""helix chem design: optimise molecules toward a TOML scoring function (RL or graph GA)."""

from __future__ import annotations

import typer

from helixforge.cli.common import (
    OVERWRITE,
    QUIET,
    RESUME,
    SEED,
    choice,
    handle_errors,
    jobs_option,
    logger,
    out_option,
    path_value,
    refuse_finished_resume,
    resolve_jobs,
    say,
)


@handle_errors
def design_cmd(
    config: str = typer.Option(
        ...,
        "--config",
        callback=path_value,
        help="Design TOML file: scoring components, transforms, RL and GA settings.",
    ),
    optimizer: str = typer.Option(
        "rl",
        "--optimizer",
        callback=choice("rl", "ga"),
        help="rl (REINVENT-style, on the prior) | ga (graph GA).",
    ),
    budget: int = typer.Option(
        1000,
        "--budget",
        min=1,
        max=100_000_000,
        help="Scoring calls: distinct valid molecules scored (repeats are free).",
    ),
    out_path: str = out_option(
        None, "Run directory (molecules.csv, history.csv, config, report.html)."
    ),
    prior: str = typer.Option(
        None,
        "--prior",
        callback=path_value,
        help="Prior directory (default: the shipped MOSES prior).",
    ),
    seed: int = SEED,
    jobs: int = jobs_option(help="Torch threads (0 = all CPUs)."),
    quiet: bool = QUIET,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
) -> None:
    """Design molecules: RL on the prior or a graph GA toward the scoring in a TOML file.

    Example: helix chem design --config design.toml --optimizer rl --budget 10000 -o runs/design1
    """
    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    from helixforge.chem.generate.design import design
    from helixforge.core.errors import ConfigError
    from helixforge.core.options import require_choice

    if not out_path:
        raise ConfigError("-o/--out is required", hint="for example -o runs/design1")
    require_choice(optimizer, "--optimizer", ("rl", "ga"))
    res = design(
        config,
        out_path,
        optimizer=optimizer,
        budget=budget,
        seed=seed,
        prior=prior,
        resume=resume,
        overwrite=overwrite,
        n_jobs=resolve_jobs(jobs),
        quiet=quiet,
        log=logger(quiet),
    )
    t = res.timings
    say(
        f"{res.used} molecules scored in {res.steps} steps, best score {res.best_score:.3f} "
        f"→ {res.out}",
        stderr=False,
    )
    if not quiet:
        say(
            f"time {t['total_s']:.0f} s: sampling {t['sampling_s']:.0f} s, scoring "
            f"{t['scoring_s']:.0f} s, learning {t['learning_s']:.0f} s"
        )
    if res.zero_components:
        names = ", ".join(repr(n) for n in res.zero_components)
        say(
            f"note: component(s) {names} scored 0 for all {res.used} molecules, so they steer "
            "nothing (and under the geometric mean, or as a filter, make every total 0): check "
            "the transform window or the SMARTS pattern in the design file",
            "yellow",
        )
    if res.stopped != "budget":
        say(f"note: stopped before the budget was used: {res.stopped}", "yellow")


def register(app: typer.Typer) -> None:
    """Add `design` to the `helix chem` group."""
    app.command("design")(design_cmd)
