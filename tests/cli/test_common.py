"""cli.common: every error reaches the user as a plain message with exit code 2."""

import gzip
import zlib

import pytest
import typer
from typer.testing import CliRunner

from helixforge.cli.common import handle_errors
from helixforge.core.errors import InputError


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @handle_errors
    def boom() -> None:
        """Raise."""
        raise exc

    return app


@pytest.mark.parametrize(
    "exc",
    [EOFError("Compressed file ended"), zlib.error("bad"), gzip.BadGzipFile("x")],
)
def test_damaged_compression_is_a_message_not_aborted(exc):
    res = CliRunner().invoke(_app(exc), [])
    assert res.exit_code == 2
    assert "truncated or corrupt" in res.output and "Aborted" not in res.output


def test_user_data_is_printed_verbatim_not_as_markup():
    res = CliRunner().invoke(_app(InputError("bad value [bold]x[/bold] in [np]")), [])
    assert res.exit_code == 2
    assert "[bold]x[/bold] in [np]" in res.output


def test_colon_words_in_user_data_are_not_turned_into_emoji():
    # Rich reads ":100:" as an emoji code: a tokenizer spec like dna-bpe:100: must print as given
    res = CliRunner().invoke(_app(InputError("spec dna-bpe:100: and :smile: refused")), [])
    assert res.exit_code == 2
    assert "dna-bpe:100: and :smile:" in res.output


def test_every_device_option_refuses_a_malformed_device_before_work():
    from helixforge.cli.app import app

    res = CliRunner().invoke(app, ["dna", "train", "x.csv", "-o", "y", "--device", "gpu"])
    assert res.exit_code == 2 and "not a device" in res.output


@pytest.mark.parametrize(
    ("exc", "shown"),
    [
        (OSError(36, "File name too long", "x" * 300 + ".csv"), "at most 255 bytes"),
        (PermissionError(13, "Permission denied", "/data/in.csv"), "/data/in.csv"),
        (OSError(28, "No space left on device", "out.csv"), "free disk space"),
        (IsADirectoryError(21, "Is a directory", "a.tmp", None, "out.csv"), "a.tmp -> out.csv"),
    ],
)
def test_an_os_error_is_a_message_naming_the_path_not_a_traceback(exc, shown):
    res = CliRunner().invoke(_app(exc), [])
    assert res.exit_code == 2 and not isinstance(res.exception, OSError)
    assert "Traceback" not in res.output and shown in res.output
    assert exc.strerror in res.output


def test_a_path_name_too_long_for_the_os_through_a_real_verb(tmp_path):
    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    for argv in (
        [
            "chem",
            "standardize",
            str(tmp_path / ("x" * 300 + ".csv")),
            "-o",
            str(tmp_path / "o.csv"),
        ],
        [
            "chem",
            "standardize",
            str(tmp_path / "in.csv"),
            "-o",
            str(tmp_path / ("y" * 300 + ".csv")),
        ],
    ):
        res = CliRunner().invoke(app, argv)
        assert res.exit_code == 2 and "File name too long" in res.output, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_jobs_beyond_the_cpus_are_cut_to_them_except_on_a_ray_cluster(capsys):
    from helixforge.cli.common import resolve_jobs
    from helixforge.core.parallel import available_cpus

    cpus = available_cpus()
    assert resolve_jobs(0) == cpus and resolve_jobs(1) == 1
    assert resolve_jobs(cpus + 997) == cpus  # not 1,000 worker processes on a laptop
    assert f"--jobs {cpus + 997} is more than the {cpus} CPU(s)" in capsys.readouterr().err
    assert resolve_jobs(cpus + 997, cap=False) == cpus + 997  # Ray workers live elsewhere


@pytest.mark.parametrize("seed", ["-5", "4294967296", "99999999999999999999"])
def test_a_seed_outside_0_to_2_32_is_a_usage_error_before_work(seed, tmp_path):
    """NumPy refuses negative seeds and torch ones past 2**64: a traceback after the input was
    read. Every verb shares SEED, so it is checked once, in the option."""
    from helixforge.cli.app import app

    for argv in (
        ["chem", "train", str(tmp_path / "in.csv"), "--label-col", "y"],
        ["chem", "generate", "--n", "5"],
    ):
        res = CliRunner().invoke(app, [*argv, "--seed", seed, "-o", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        assert "--seed" in res.output and "4294967295" in res.output
        assert not (tmp_path / "o").exists()


def test_the_largest_seed_is_accepted():
    from helixforge.cli.common import _seed

    assert _seed(0) == 0 and _seed(2**32 - 1) == 2**32 - 1


@pytest.mark.parametrize(
    "argv",
    [
        ["chem", "predict", "RUN", "IN", "-o", "OUT", "--input-col", ""],
        ["chem", "train-prior", "IN", "-o", "OUT", "--input-col", "  "],
        ["chem", "finetune-prior", "IN", "-o", "OUT", "--input-col", ""],
        ["chem", "train", "IN", "-o", "OUT", "--label-col", "y", "--label-col", ""],
        ["chem", "screen", "IN", "--model", "RUN", "-o", "OUT", "--id-col", ""],
    ],
)
def test_a_blank_column_name_is_a_usage_error_naming_the_option(tmp_path, argv):
    """--input-col '' was read as 'the default' by some verbs (predict, train-prior), as a
    column '' by others, and finetune-prior said column 'smiles' was not found next to
    'did you mean smiles'."""
    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles,y\nCCO,1\nCCN,2\n")
    paths = {"IN": str(tmp_path / "in.csv"), "OUT": str(tmp_path / "out"), "RUN": str(tmp_path)}
    res = CliRunner().invoke(app, [paths.get(a, a) for a in argv], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert "empty column name" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["chem", "predict", "", "IN", "-o", "OUT"],
        ["chem", "predict", "IN", "", "-o", "OUT"],
        ["chem", "standardize", "", "-o", "OUT"],
        ["chem", "generate", "--model", "", "--n", "3", "-o", "OUT"],
        ["chem", "generate", "--fcd-ref", " ", "--n", "3", "-o", "OUT"],
        ["chem", "train-prior", "IN", "--init", "", "-o", "OUT"],
        ["chem", "design", "--config", "", "-o", "OUT"],
        ["chem", "screen", "IN", "--model", "IN", "--all-out", "", "-o", "OUT"],
        ["chem", "standardize", "-", "-o", "OUT"],
        ["chem", "train-prior", "-", "-o", "OUT"],
    ],
)
def test_a_blank_path_is_a_usage_error_not_the_current_directory(tmp_path, argv):
    """'' was read as '.': '.: not a prior', '.: is a directory, expected a table file';
    '-' (standard input) was 'file not found'."""
    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    paths = {"IN": str(tmp_path / "in.csv"), "OUT": str(tmp_path / "out.csv")}
    res = CliRunner().invoke(app, [paths.get(a, a) for a in argv], env={"COLUMNS": "200"})
    words = "standard input" if "-" in argv else "an empty path"
    assert res.exit_code == 2 and words in res.output, res.output
    assert not (tmp_path / "out.csv").exists()


def test_a_blank_split_column_is_refused_not_ignored(tmp_path):
    """--split-col '' silently fell back to the scaffold split."""
    from helixforge.cli.app import app

    argv = ["chem", "train", str(tmp_path / "in.csv"), "--label-col", "y", "--split-col", ""]
    res = CliRunner().invoke(app, [*argv, "-o", str(tmp_path / "run")])
    assert res.exit_code == 2 and "empty column name" in res.output, res.output
