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
