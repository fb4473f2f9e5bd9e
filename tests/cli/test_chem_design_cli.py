"""`helix chem design`: what the summary says about a run that could not steer."""

from __future__ import annotations

from typer.testing import CliRunner

from helixforge.cli.app import app


def test_a_component_that_scored_zero_for_every_molecule_is_named(tmp_path):
    """A forbidden pattern every molecule has ('*' matches any atom) made every total 0; the
    run ended with 'best score 0.000' and no word on why."""
    start = tmp_path / "start.smi"
    start.write_text("CCOc1ccccc1\nCCNc1ccccc1\nCCCc1ccccc1O\nCC(=O)Nc1ccc(O)cc1\n")
    config = tmp_path / "design.toml"
    config.write_text(
        '[[component]]\ntype = "qed"\n'
        '[[component]]\nname = "no_atoms"\ntype = "substructure"\nsmarts = "*"\nmode = "forbidden"\n'
        f'[ga]\npopulation = 4\noffspring = 4\nstart = "{start}"\n'
    )
    argv = ["chem", "design", "--config", str(config), "--optimizer", "ga", "--budget", "6",
            "-o", str(tmp_path / "run"), "-q"]  # fmt: skip
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "best score 0.000" in said
    assert "note: component(s) 'no_atoms' scored 0 for all 6 molecules" in said
    assert "'qed'" not in said.split("note:")[1]
