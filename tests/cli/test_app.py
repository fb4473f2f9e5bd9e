import subprocess
import sys

from typer.testing import CliRunner

from helixforge import __version__
from helixforge.cli.app import app

runner = CliRunner()


def test_version_and_help():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and __version__ in res.output
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for group in ("chem", "dna", "lm", "crispr", "data", "demo"):
        assert group in res.output


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from helixforge.cli.app import app\n"
        "heavy = [m for m in ('torch', 'rdkit', 'transformers', 'lightgbm', 'pandas') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"heavy modules imported at CLI start-up: {out}"


def test_data_show_unknown_name_is_a_clean_error():
    res = runner.invoke(app, ["data", "show", "no-such-set"])
    assert res.exit_code == 2 and "unknown dataset" in res.output


def test_demo_refuses_an_existing_output_before_any_work(tmp_path, monkeypatch):
    import helixforge.chem.demo as demo

    def boom(*a, **k):
        raise AssertionError("the demo must not start")

    monkeypatch.setattr(demo, "run_demo", boom)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "old.txt").write_text("keep")
    res = runner.invoke(app, ["demo", "-o", str(tmp_path / "d")])
    assert res.exit_code == 2 and "already exists" in res.output and "--overwrite" in res.output
    (tmp_path / "f").write_text("a file")
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "f"), "--overwrite"])
    assert res.exit_code == 2 and "is a file" in res.output
    assert (tmp_path / "d" / "old.txt").read_text() == "keep"


def _fake_demo(out, quiet=False, fail=False, final=None):
    from pathlib import Path

    out = Path(out)
    (out / "run").mkdir(parents=True)
    (out / "run" / "report.html").write_text("new")
    if fail:
        raise RuntimeError("killed mid-demo")
    return {"report": str(out / "run" / "report.html"), "predictions": "", "metrics": {}}


def test_demo_overwrite_swaps_in_a_finished_directory(tmp_path, monkeypatch):
    import helixforge.chem.demo as demo

    final = tmp_path / "d"
    final.mkdir()
    (final / "old.txt").write_text("old")
    monkeypatch.setattr(
        demo, "run_demo", lambda out, quiet=False, final=None: _fake_demo(out, fail=True)
    )
    res = runner.invoke(app, ["demo", "-o", str(final), "--overwrite", "-q"])
    assert res.exit_code != 0 and (final / "old.txt").exists()  # a failed demo keeps the old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # no staging left behind
    monkeypatch.setattr(demo, "run_demo", _fake_demo)
    res = runner.invoke(app, ["demo", "-o", str(final), "--overwrite"])
    assert res.exit_code == 0, res.output
    assert (final / "run" / "report.html").read_text() == "new" and not (final / "old.txt").exists()
    assert str(final / "run" / "report.html") in " ".join(res.output.split())


def test_switches_are_shown_as_switches_not_as_bool_values():
    out = subprocess.run(
        [sys.executable, "-m", "helixforge.cli.app", "lm", "finetune", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "COLUMNS": "200"},
    ).stdout
    assert "--lora" in out and "--no-lora" in out
    assert "<bool>" not in out


def _commands(group, path=()):
    """(command path, click command) for every command of the app, groups included."""
    yield path, group
    if hasattr(group, "commands"):  # a group (typer bundles its own click classes)
        for name, cmd in group.commands.items():
            yield from _commands(cmd, (*path, name))


def test_no_help_text_holds_square_brackets_that_rich_would_eat():
    """--help renders help texts as Rich markup: '[pretrained]' or '[default: 3]' is read as a
    style tag and vanishes ('needs helixforge.', 'LSTM layers .'). Write '\\[' or parentheses."""
    import re

    import typer

    tag = re.compile(r"(?<!\\)\[[a-z#/@][^\[]*?\]")  # rich.markup's tag pattern, unescaped
    eaten = []
    commands = list(_commands(typer.main.get_command(app)))
    assert len(commands) > 40  # the walk reached the verbs, not only the top group
    for path, cmd in commands:
        texts = [("", cmd.help or ""), ("", cmd.epilog or "")]
        texts += [(p.name, getattr(p, "help", None) or "") for p in cmd.params]
        for name, text in texts:
            eaten += [f"helix {' '.join(path)} {name}: {m}" for m in tag.findall(text)]
    assert eaten == [], eaten


def test_help_paragraphs_are_not_broken_at_the_sources_line_width():
    """Typer keeps the line breaks of a docstring's later paragraphs, and Rich then wraps each
    source line again: 'then by combined_score' / '= efficiency …' came out ragged. Every
    paragraph of every verb's help (and every option's help) is one line, list items aside."""
    import re

    import typer

    item = re.compile(r"^(?:[-*•|]\s|\d+[.)]\s)")
    ragged = []
    for path, cmd in _commands(typer.main.get_command(app)):
        for para in (cmd.help or "").split("\n\n"):
            lines = para.split("\n")
            if not para.startswith("\b"):
                ragged += [
                    f"helix {' '.join(path)}: {ln!r}" for ln in lines[1:] if not item.match(ln)
                ]
        for p in cmd.params:
            if "\n" in (getattr(p, "help", None) or ""):
                ragged.append(f"helix {' '.join(path)} {p.name}: {p.help!r}")
    assert ragged == [], ragged


def test_reflow_keeps_list_items_and_joins_the_rest():
    from helixforge.cli.common import reflow_help

    text = """First line
    goes on.

    Second paragraph wrapped
    at the source's width.

    Steps:
    - one
    - two
      continued
    """
    assert reflow_help(text) == (
        "First line goes on.\n\nSecond paragraph wrapped at the source's width.\n\n"
        "Steps:\n- one\n- two continued"
    )
