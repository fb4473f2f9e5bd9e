"""The one CLI grammar (docs/cli.md), checked on every verb of `helix`.

The walk reads the Typer app itself, so a new verb is checked the day it is added.
"""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from cli_verbs import cli_verbs

ROOT = Path(__file__).resolve().parents[2]

# Older names that must only appear as aliases of the canonical option (same parameter).
ALIASES = {
    "--smiles-col": "--input-col",
    "--seq-col": "--input-col",
    "--sequence-col": "--input-col",
    "--spacer-col": "--input-col",
    "--target-col": "--label-col",
    "--threads": "--jobs",
    "--n-jobs": "--jobs",
}
# Counts and sizes: zero or negative values must be refused by the option itself.
POSITIVE = {
    "--batch-size",
    "--chunk-size",
    "--epochs",
    "--top",
    "--window",
    "--ensemble",
    "--eval-every",
    "--max-len",
    "--n",
    "--k",
    "--steps",
    "--patience",
    "--folds",
    "--flank",
    "--max-mismatches",
    "--jobs",
}


VERBS = cli_verbs()


def _options(cmd):
    return [p for p in cmd.params if p.param_type_name == "option"]


def _by_name(cmd):
    return {o: p for p in _options(cmd) for o in p.opts}


def _annotation(p):
    ann = p.type_descriptor.annotation
    if typing.get_origin(ann) is typing.Union or str(ann).startswith(("typing.Optional", "int |")):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        ann = args[0] if args else ann
    return ann


def test_every_group_has_verbs():
    groups = {name.split()[0] for name in VERBS}
    assert {"chem", "dna", "lm", "crispr", "data"} <= groups


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_verb_follows_the_grammar(verb):
    cmd = VERBS[verb]
    opts = _by_name(cmd)
    problems = []
    for old, canonical in ALIASES.items():
        if old in opts and canonical not in opts[old].opts:
            problems.append(f"{old} must be an alias of {canonical}")
    if "--out" in opts or "-o" in opts:
        names = (opts.get("--out") or opts.get("-o")).opts
        if not {"-o", "--out"} <= set(names):
            problems.append("output option must be -o/--out")
        if "--overwrite" not in opts:
            problems.append("a writing verb needs --overwrite")
    if "--device" in opts and opts["--device"].default != "auto":
        problems.append("--device must default to auto")
    if "--seed" in opts and opts["--seed"].default != 0:
        problems.append("--seed must default to 0")
    if "--quiet" in opts and "-q" not in opts["--quiet"].opts:
        problems.append("--quiet needs -q")
    # `--target` names the design target in crispr design (a sequence, region or gene); elsewhere
    # it is only the old spelling of --label-col.
    if "--target" in opts and verb not in ("dna variants score", "crispr design"):
        if "--label-col" not in opts["--target"].opts:
            problems.append("--target must be an alias of --label-col")
    for p in _options(cmd):
        ann = _annotation(p)
        if ann is bool and not getattr(p, "is_flag", False):
            problems.append(f"{p.opts[0]} is a bool that is not a flag")
        if ann is int and set(p.opts) & POSITIVE and p.min is None:
            problems.append(f"{p.opts[0]} has no lower bound (min=)")
    if "Example" not in (cmd.help or ""):
        problems.append("help has no 'Example:' line")
    assert not problems, f"helix {verb}: " + "; ".join(problems)


def test_cli_reference_is_current():
    """docs/cli.md's reference section is generated from the app (tools/cli_reference.py)."""
    import runpy

    gen = runpy.run_path(str(ROOT / "tools" / "cli_reference.py"))
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert gen["render_reference"]() in doc, (
        "docs/cli.md is stale: run `.venv/bin/python tools/cli_reference.py`"
    )
