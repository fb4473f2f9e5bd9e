"""`helix chem generate --fcd-ref`: what the summary says about the FCD."""

from __future__ import annotations

import importlib.util

import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app


@pytest.mark.skipif(
    importlib.util.find_spec("fcd_torch") is None,
    reason="fcd_torch (the generate extra) is not installed",
)
def test_an_fcd_from_a_tiny_reference_is_flagged_even_with_quiet(tmp_path):
    """20 samples against a 6-molecule reference printed 'FCD 48.3' like any other FCD (with
    -q nothing at all); the covariances are singular there, and the caveat says so."""
    ref = tmp_path / "ref.smi"
    ref.write_text("CCO\nCCN\nc1ccccc1O\nCC(=O)O\nCCCC\nc1ccncc1\n")
    argv = ["chem", "generate", "--n", "20", "--fcd-ref", str(ref), "--device", "cpu", "-q",
            "-o", str(tmp_path / "g.csv")]  # fmt: skip
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "300", "HELIX_CACHE_DIR": str(tmp_path)})
    assert res.exit_code == 0, res.output
    assert "(6 molecules) — caution: FCD is unreliable here: the reference has 6 molecules" in (
        " ".join(res.output.split())
    )


@pytest.mark.parametrize("out", [".", ".."])
def test_an_output_that_is_the_current_or_parent_directory_is_refused(tmp_path, monkeypatch, out):
    """-o . was a ValueError traceback from pathlib ('PosixPath('.') has an empty name') while
    the errors table's name was derived from it."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = CliRunner().invoke(app, ["chem", "generate", "--n", "2", "-q", "-o", out])
    assert res.exit_code == 2, res.output
    assert f"--out {out} is a directory, but a file is written there" in res.output
    assert list(work.iterdir()) == []
