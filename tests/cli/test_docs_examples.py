"""Every `helix …` example in README.md and docs/ names a real verb and real options.

Docs rot quietly when an option is renamed; a user who pastes a stale example gets "No such
option". The examples are parsed (not run) and checked against the Typer app itself.
"""

from __future__ import annotations

import re
import shlex
from functools import cache
from pathlib import Path

import pytest
import typer.main

from helixforge.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
# docs/cli.md's reference part is generated from the app (test_grammar checks it is current).
DOC_FILES = [ROOT / "README.md"] + sorted(p for p in (ROOT / "docs").glob("*.md"))


def _examples() -> list[tuple[str, int, str]]:
    """(file, line number, command) for each `helix …` line inside a fenced code block
    (backslash continuations joined, prompts stripped) and each inline `helix …` span."""
    found = []
    for path in DOC_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        in_code = False
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.lstrip().startswith("```"):
                in_code = not in_code
                i += 1
                continue
            text = line.strip().removeprefix("$ ")
            start = i
            if in_code and re.match(r"^helix(\s|$)", text):
                while text.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    text = text[:-1] + " " + lines[i].strip()
                found.append((path.relative_to(ROOT).as_posix(), start + 1, text))
            elif not in_code:
                for span in re.findall(r"`(helix [^`]+)`", line):
                    found.append((path.relative_to(ROOT).as_posix(), i + 1, INLINE + span))
            i += 1
    return found


# marks an inline `helix …` span: prose may name a verb and an option without a value
INLINE = "inline: "


def _tokens(command: str) -> list[str]:
    command = command.removeprefix(INLINE)
    # shell comments, pipes and redirections end the helix part of the line
    words = shlex.split(command, comments=True)
    out = []
    for w in words:
        if w in {"|", "&&", ";", ">", "2>", ">>", "&"}:
            break
        out.append(w)
    return out[1:]


@cache
def _root():
    return typer.main.get_command(app)


def _resolve(tokens: list[str]):
    """The command a token list reaches, the tokens left for it, and its name."""
    cmd = _root()
    path = ["helix"]
    while hasattr(cmd, "commands") and tokens and not tokens[0].startswith("-"):
        sub = cmd.commands.get(tokens[0])
        if sub is None:
            raise LookupError(f"no verb {' '.join(path + [tokens[0]])!r}")
        path.append(tokens[0])
        cmd, tokens = sub, tokens[1:]
    return cmd, tokens, " ".join(path)


def _option_names(cmd) -> set[str]:
    names = {"--help"}
    for p in cmd.params:
        if p.param_type_name == "option":
            names.update(p.opts)
            names.update(p.secondary_opts)
    return names


EXAMPLES = _examples()
FULL_EXAMPLES = [e for e in EXAMPLES if not e[2].startswith(INLINE)]


def test_the_docs_have_examples_to_check():
    assert len(EXAMPLES) > 50
    assert {f for f, _, _ in EXAMPLES} >= {"README.md", "docs/chem.md", "docs/crispr.md"}


@pytest.mark.parametrize(("where", "line", "command"), EXAMPLES, ids=lambda v: str(v)[:60])
def test_example_uses_a_real_verb_and_real_options(where, line, command):
    tokens = _tokens(command)
    try:
        cmd, rest, verb = _resolve(tokens)
    except LookupError as exc:
        pytest.fail(f"{where}:{line}: {exc} in `{command}`")
    if hasattr(cmd, "commands") and not rest:
        return  # `helix chem --help`-style lines
    known = _option_names(cmd)
    unknown = [
        t.split("=", 1)[0]
        for t in rest
        if t.startswith("--") and t.split("=", 1)[0] not in known and t != "--"
    ]
    assert not unknown, f"{where}:{line}: `{verb}` has no option {unknown} (in `{command}`)"


def _is_synopsis(tokens: list[str]) -> bool:
    """`helix x SPEC [--corpus FILE] --vocab selfies|smiles`: a pattern, not a runnable line."""
    return any("[" in t or "|" in t or re.fullmatch(r"[A-Z][A-Z_]*", t) for t in tokens)


@pytest.mark.parametrize(("where", "line", "command"), FULL_EXAMPLES, ids=lambda v: str(v)[:60])
def test_example_parses_its_arguments_and_choices(where, line, command):
    """Too many positional arguments or a value outside an option's choices is caught; files
    that do not exist here and required options left out of a short example are not."""
    tokens = _tokens(command)
    cmd, rest, verb = _resolve(tokens)
    if hasattr(cmd, "commands") or _is_synopsis(rest):
        return
    try:
        cmd.make_context(verb, list(rest))
    except Exception as exc:  # click's UsageError family, from typer's vendored click
        message = str(getattr(exc, "message", exc))
        if type(exc).__name__ == "MissingParameter" or "does not exist" in message:
            return
        pytest.fail(f"{where}:{line}: `{command}` → {type(exc).__name__}: {message}")
