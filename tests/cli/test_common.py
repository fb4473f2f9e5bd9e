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


def test_every_device_option_refuses_a_malformed_device_before_work():
    from helixforge.cli.app import app

    res = CliRunner().invoke(app, ["dna", "train", "x.csv", "-o", "y", "--device", "gpu"])
    assert res.exit_code == 2 and "not a device" in res.output
