"""helix chem admet: a refused input leaves nothing behind (the verb's own tests are in
tests/chem/admet)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"smiles\n", "no data rows"),  # found by the chunk reader, after the staging folder
        (b"smiles\n" + b"CCO\n" * 50 + b"C\xe9C\n" * 20, "not UTF-8"),  # in chunk 3
    ],
)
def test_an_input_refused_while_reading_leaves_no_staging_folder(tmp_path, text, expected):
    lib = tmp_path / "lib.csv"
    lib.write_bytes(text)
    argv = ["chem", "admet", str(lib), "-o", str(tmp_path / "a.csv"), "-q", "--jobs", "1"]
    res = CliRunner().invoke(app, [*argv, "--chunk-size", "20", "--endpoints", "qed"])
    assert res.exit_code == 2 and expected in res.output, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.csv"]


def test_a_report_at_the_errors_table_path_is_refused_before_work(tmp_path):
    """--report a.errors.csv with -o a.csv: the HTML report replaced the errors table."""
    lib = tmp_path / "lib.csv"
    lib.write_text("smiles\nCCO\nnot_a_smiles\n")
    argv = ["chem", "admet", str(lib), "-o", str(tmp_path / "a.csv"), "--endpoints", "qed"]
    res = CliRunner().invoke(app, [*argv, "--report", str(tmp_path / "a.errors.csv"), "-q"])
    assert res.exit_code == 2 and "one output would replace the other" in res.output, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.csv"]
