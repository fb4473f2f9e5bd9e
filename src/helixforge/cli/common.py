"""What every command group shares: the console, error handling and the one CLI grammar.

The grammar (docs/cli.md is the reference; tests/cli/test_grammar.py walks every verb):

    INPUT (argument)    the input table / FASTA / VCF …
    -o/--out            the output file or run directory
    --input-col         the column holding SMILES / sequences / spacers
    --label-col         a label column (repeatable for multi-task)
    --id-col            an identifier column kept in outputs
    --jobs              worker processes / threads (0 = all CPUs)
    --device            auto | cpu | cuda[:N]
    --seed              seeds Python, NumPy and torch
    --quiet/-q          no progress bars or logs
    --overwrite         replace an existing output (refused otherwise)
    --region            1-based inclusive contig:start-end (as samtools)

Numeric options carry their range in the option itself (`min=`/`max=`), so a bad value is a
usage error (exit 2) before any work starts; float options are made with `float_option`, which
also refuses NaN / inf as not a number. Options with a fixed set of values take `choice(...)`
(any case accepted and normalised, an unknown value answered with the nearest one), path
arguments `path_value` (blank, '-' and named pipes / devices refused), free-text options that
'' would silently empty `not_blank`, and every verb with --resume calls
`refuse_finished_resume` first. Only typer and rich are imported here; heavy libraries are
imported inside the verbs.
"""

from __future__ import annotations

import functools
import gzip
import inspect
import os
import re
import struct
import sys
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

# soft_wrap: never break a long path or name across lines; highlight off: print as given.
console = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)
out = Console(soft_wrap=True, highlight=False, emoji=False)

F = TypeVar("F", bound=Callable[..., Any])


def say(message: str, style: str | None = None, *, stderr: bool = True) -> None:
    """Print user-facing text verbatim: no Rich markup is interpreted inside `message`."""
    (console if stderr else out).print(message, style=style, markup=False, highlight=False)


def handle_errors(fn: F) -> F:
    """Turn HelixError into a plain message and exit code 2 (no traceback); keep tracebacks for bugs."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from helixforge.core.errors import HelixError, default_hint

        try:
            return fn(*args, **kwargs)
        except HelixError as exc:
            say(f"error: {exc.message}", "bold red")
            # every refusal ends with what to do: the raiser's hint, else one for its kind
            say(f"→ {default_hint(exc, _command_path())}", "yellow")
            raise typer.Exit(code=2) from None
        except UnicodeDecodeError as exc:
            # bytes that are not UTF-8 met by a reader that is not ours (pysam, Biopython …)
            bad = exc.object[exc.start : exc.start + 1].hex().upper()
            near = exc.object[max(0, exc.start - 20) : exc.start + 1]
            say(
                f"error: an input holds bytes that are not UTF-8 text (byte 0x{bad} after "
                f"{near!r}: {exc.reason})",
                "bold red",
            )
            say(
                "→ convert the file to UTF-8, e.g. iconv -f cp1252 -t utf-8 FILE > utf8-FILE",
                "yellow",
            )
            raise typer.Exit(code=2) from None
        except (EOFError, zlib.error, gzip.BadGzipFile, struct.error) as exc:
            # A damaged compressed input that escaped a reader: still a message, never "Aborted!".
            say(
                f"error: a compressed input is truncated or corrupt ({type(exc).__name__}: {exc})",
                "bold red",
            )
            say(
                "→ check the input files with gzip -t FILE; re-download or re-compress them",
                "yellow",
            )
            raise typer.Exit(code=2) from None
        except BrokenPipeError:
            # the reader of our output went away (`helix data list --plain | head -3`): not a
            # path problem ("error: Broken pipe → check the path" was printed); end quietly
            # with the status a Unix tool killed by SIGPIPE has
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except OSError as exc:
            # The operating system refused a path (name too long, permission denied, disk
            # full, not a directory, …): a problem with the input or the environment.
            say(f"error: {_os_error_text(exc)}", "bold red")
            say(f"→ {_os_error_hint(exc)}", "yellow")
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            say("interrupted", "yellow")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _command_path() -> str:
    """'helix chem predict' for the verb being run (for a hint to see its --help)."""
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return "helix"
    parts = ctx.command_path.split()
    return " ".join(["helix", *parts[1:]]) if parts else "helix"


def _os_error_text(exc: OSError) -> str:
    """'PATH: reason' (both paths of a rename) for an OSError, else its text."""
    what = exc.strerror or str(exc) or type(exc).__name__
    paths = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    return f"{' -> '.join(paths)}: {what}" if paths else what


def _os_error_hint(exc: OSError) -> str:
    import errno

    hints = {
        errno.ENAMETOOLONG: "shorten the path: a file or folder name is at most 255 bytes",
        errno.ENOSPC: "free disk space, or write the output somewhere else",
        errno.EACCES: "check the permissions of the file and its folder",
        errno.EPERM: "check the permissions of the file and its folder",
        errno.EROFS: "the location is read-only; write the output somewhere else",
    }
    return hints.get(exc.errno, "check the path: does it exist, and can it be read / written?")


def logger(quiet: bool) -> Callable[[str], None] | None:
    """A log function for library calls (None when quiet); prints messages verbatim."""
    if quiet:
        return None
    return lambda msg: say(f"· {msg}")


def resolve_jobs(jobs: int, *, cap: bool = True) -> int:
    """--jobs 0 means every CPU this process may use. With `cap` (every local backend), more
    jobs than those CPUs are cut to their number, with a note: extra processes or threads only
    cost memory (each worker holds its own model). `cap=False` for a Ray cluster, whose workers
    are not limited by this machine."""
    from helixforge.core.parallel import available_cpus

    cpus = available_cpus()
    if jobs == 0:
        return cpus
    if cap and jobs > cpus:
        say(f"· --jobs {jobs} is more than the {cpus} CPU(s) this process may use; using {cpus}")
        return cpus
    return jobs


# ---------------------------------------------------------------- shared options
# Factories (not shared instances) so each verb may give its own default and help text.


def out_option(default: str | None = None, help: str = "Output file or run directory.") -> Any:
    return typer.Option(default, "-o", "--out", help=help)


def column_name(value: Any) -> Any:
    """A column option's value(s), refused when blank: '' was read as 'the default' by some
    verbs and as a column named '' by others."""
    for name in value if isinstance(value, list | tuple) else [value]:
        if name is not None and not str(name).strip():
            raise typer.BadParameter(
                f"{name!r} is an empty column name; give the column's header, e.g. smiles"
            )
    return value


def path_value(value: Any) -> Any:
    """A file or directory argument / option, refused when blank: '' was read as the current
    directory ('.: not a prior', '.: is a directory, expected a table file'); and refused when
    it names a named pipe, device or socket (a FIFO was 'file is empty', since its size is 0)."""
    return _path(
        value,
        "give a file or directory",
        "give a file path (save piped data to a file first)",
        ", not a regular file; inputs are read more than once (sniffed, checksummed, resumed), "
        "so save the stream to a file and pass that",
    )


def output_path_value(value: Any) -> Any:
    """A file written by the verb (not --out, which `core.io.check_output` checks): refused when
    blank, '-', or a named pipe / device (the atomic rename would replace it)."""
    return _path(
        value,
        "give a file path to write to",
        "give a file path to write to",
        "; outputs are written to a temporary file and renamed into place, which would replace "
        "it: give a regular file path",
    )


def _path(value: Any, blank: str, dash: str, special: str) -> Any:
    if value is None:
        return value
    if not str(value).strip():
        raise typer.BadParameter(f"an empty path; {blank}")
    if str(value).strip() == "-":  # was 'file not found'
        raise typer.BadParameter(f"'-' (standard input / output) is not supported; {dash}")
    from helixforge.core.io import special_file_kind

    kind = special_file_kind(value)
    if kind is not None:
        raise typer.BadParameter(f"{value} is {kind}{special}")
    return value


def choice(*choices: str, lists: bool = False, strict: bool = True) -> Callable[[Any], Any]:
    """A callback for an option with a fixed set of values: a value matching one of `choices`
    in any case is replaced by it (`--split Scaffold` → scaffold); another is refused naming
    the choices and the nearest one. `lists`: the value may be a comma-separated list of
    choices (`--task regression,binary`). `strict=False`: values outside `choices` pass as
    given for the library to judge (a path, `lm:PATH`, `blend:…`); only the case of a known
    name is normalised."""
    by_lower = {c.lower(): c for c in choices}

    def one(item: str) -> str:
        text = item.strip()
        if not text:  # '' was read as the current directory, or as 'the default'
            more = "" if strict else " (or another value --help describes)"
            raise typer.BadParameter(f"an empty value; give one of: {', '.join(choices)}{more}")
        if text in choices:
            return text
        if text.lower() in by_lower:
            return by_lower[text.lower()]
        if not strict:
            return item
        import difflib

        near = difflib.get_close_matches(text.lower(), list(by_lower), n=1, cutoff=0.6)
        hint = f"; did you mean {by_lower[near[0]]!r}?" if near else ""
        raise typer.BadParameter(f"{item!r} is not one of: {', '.join(choices)}{hint}")

    def callback(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list | tuple):
            return type(value)(callback(v) for v in value)
        if lists:
            return ",".join(one(part) for part in str(value).split(","))
        return one(str(value))

    return callback


def not_blank(example: str) -> Callable[[Any], Any]:
    """A callback refusing a blank value (`--tax ''` silently meant every group): the message
    shows `example`, a value to give instead."""

    def callback(value: Any) -> Any:
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None and not str(item).strip():
                raise typer.BadParameter(f"an empty value; give e.g. {example}")
        return value

    return callback


def model_spec(*names: str, prefixes: tuple[str, ...] = ("lm:",)) -> Callable[[Any], Any]:
    """A callback for a `--model` option: a known name in any case becomes the name (`GBM` →
    gbm) and a known prefix is lower-cased (`LM:path` → lm:path; the path keeps its case);
    anything else passes for the library to judge (it lists the valid names)."""
    names_cb = choice(*names, strict=False)

    def callback(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list | tuple):
            return type(value)(callback(v) for v in value)
        text = str(value)
        if not text.strip():  # '' was read as the current directory ('.: no trained model')
            raise typer.BadParameter("an empty value; give a model name or path")
        for prefix in prefixes:
            if text.strip().lower().startswith(prefix):
                return prefix + text.strip()[len(prefix) :]
        return names_cb(text)

    return callback


def _range_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """'a number from 0 to 1', 'a number > 0', '0 < x < 1' …: what a float option accepts."""
    if low is not None and high is not None:
        if not (low_open or high_open):
            return f"a number from {low:g} to {high:g}"
        return f"a number x with {low:g} {'<' if low_open else '≤'} x {'<' if high_open else '≤'} {high:g}"
    if low is not None:
        return f"a number {'>' if low_open else '≥'} {low:g}"
    if high is not None:
        return f"a number {'<' if high_open else '≤'} {high:g}"
    return "a finite number"


def finite_float(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Callable[[Any], Any]:
    """The parser of a float option: NaN and ±inf are refused as 'not a number' / 'not
    finite' (before, NaN failed the range test and was told 'should be ≤ 1', and inf passed
    an option without an upper bound), then the range is checked (open ends excluded)."""
    import math

    accepted = _range_text(low, high, low_open, high_open)

    def parse(value: Any) -> Any:
        if value is None:
            return None
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise typer.BadParameter(f"{value!r} is not a number; give {accepted}") from None
        if math.isnan(v):
            raise typer.BadParameter(f"{value!r} is not a number (NaN); give {accepted}")
        if not math.isfinite(v):
            raise typer.BadParameter(f"{value!r} is not finite; give {accepted}")
        too_low = low is not None and (v < low or (low_open and v == low))
        too_high = high is not None and (v > high or (high_open and v == high))
        if too_low or too_high:
            raise typer.BadParameter(f"{v:g} is out of range; give {accepted}")
        return v

    return parse


def float_option(
    default: float | None,
    *names: str,
    min: float | None = None,  # noqa: A002 - typer's own names
    max: float | None = None,  # noqa: A002
    min_open: bool = False,
    max_open: bool = False,
    help: str | None = None,  # noqa: A002
) -> Any:
    """A float option: its range shown in --help, NaN / inf refused as not a number / not
    finite, and the range (with open ends) checked before any work (`finite_float`). typer
    can show only closed ranges ('[0.0<=x<=1.0]' for a --coverage that refuses 0 and 1), so
    an open range is written into the help text instead."""
    parser = finite_float(min, max, low_open=min_open, high_open=max_open)
    if min_open or max_open:
        import re

        if not re.search(r"\([^)]*[<>≤≥][^)]*\)", help or ""):  # unless the help gives it
            shown = _range_text(min, max, min_open, max_open).replace("a number x with ", "")
            help = f"{help or ''} ({shown.replace('a number ', 'x ')})".strip()  # noqa: A001
        min = max = None  # noqa: A001 - checked by the parser, shown in the help
    return typer.Option(default, *names, min=min, max=max, parser=parser, help=help)


def refuse_finished_resume(
    out: Any,
    *,
    resume: bool,
    overwrite: bool,
    pending: Any = None,
    option: str = "--out",
) -> None:
    """`--resume` on an output a finished job wrote: say it is complete and where, and that
    --overwrite redoes it (it was told 'already exists; pass --overwrite', as if a different
    job were there). `pending`: where an interrupted job keeps its work (default: the staging
    folder beside `out`); when it exists there is something to resume."""
    if not resume or overwrite or out is None or not str(out).strip():
        return
    from helixforge.core.io import refuse_resume_of_finished

    refuse_resume_of_finished(out, pending=pending, option=option)


def input_col_option(default: str, help: str, *aliases: str) -> Any:
    """`--input-col` plus the domain's older name(s) (e.g. --smiles-col) as aliases."""
    return typer.Option(default, "--input-col", *aliases, callback=column_name, help=help)


def label_col_option(default: Any, help: str, *aliases: str) -> Any:
    return typer.Option(default, "--label-col", *aliases, callback=column_name, help=help)


def id_col_option(default: str | None = None, *aliases: str) -> Any:
    return typer.Option(
        default,
        "--id-col",
        *aliases,
        callback=column_name,
        help="Identifier column kept in every output.",
    )


def jobs_option(
    *aliases: str, help: str = "Worker processes / threads (0 = all CPUs).", default: int = 0
) -> Any:
    return typer.Option(default, "--jobs", "-j", *aliases, min=0, help=help)


def coverage_option() -> Any:
    """--coverage of the conformal intervals / sets every training verb writes."""
    return float_option(
        0.9, "--coverage", min=0.0, max=1.0, min_open=True, max_open=True,
        help="Conformal coverage (0 < c < 1).",
    )  # fmt: skip


def batch_size_option(default: int) -> Any:
    return typer.Option(default, "--batch-size", min=1, help="Items per batch.")


def chunk_size_option(default: int) -> Any:
    return typer.Option(
        default, "--chunk-size", min=1, help="Rows read, processed and checkpointed at a time."
    )


def region_option(help: str = "1-based inclusive region contig:start-end (as samtools).") -> Any:
    return typer.Option(None, "--region", help=help)


SEED_MAX = 2**32 - 1


def _seed(value: int) -> int:
    """A seed NumPy, torch and LightGBM all take: 0 ≤ seed ≤ 2**32 − 1 (NumPy refuses negative
    seeds and torch those past 2**64, each with a traceback after the input was read)."""
    if value is not None and not 0 <= value <= SEED_MAX:
        raise typer.BadParameter(
            f"{value} is out of range; use a whole number from 0 to {SEED_MAX}"
        )
    return value


SEED = typer.Option(0, "--seed", callback=_seed, help="Seed for Python, NumPy and torch.")


def _device(value: str) -> str:
    import re

    spec = value.strip().lower()  # CPU / CUDA:0 as cpu / cuda:0
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", spec):
        raise typer.BadParameter(f"{value!r} is not a device; use auto, cpu, cuda, cuda:N or mps")
    return spec


DEVICE = typer.Option("auto", "--device", callback=_device, help="auto | cpu | cuda[:N]")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars or logs.")
OVERWRITE = typer.Option(
    False, "--overwrite", help="Replace an existing output (otherwise it is refused)."
)
RESUME = typer.Option(
    False, "--resume", help="Continue an interrupted job from its last finished chunk."
)


_LIST_ITEM = re.compile(r"^(?:[-*•|]\s|\d+[.)]\s)")


def reflow_help(text: str) -> str:
    """A docstring as `--help` should show it: the lines of each paragraph joined into one.
    Typer joins only the first paragraph's lines and keeps the line breaks of the rest, so a
    paragraph wrapped at the source's width came out ragged once Rich wrapped it again at the
    terminal's. Lines that start a list item ('- ', '* ', '1. ') and '\\b' paragraphs keep
    their breaks."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    out = []
    for para in paragraphs:
        if para.startswith("\b"):
            out.append(para)
            continue
        lines = para.split("\n")
        joined = [lines[0]]
        for line in lines[1:]:
            if _LIST_ITEM.match(line.lstrip()):
                joined.append(line)
            else:
                joined[-1] = f"{joined[-1].rstrip()} {line.strip()}"
        out.append("\n".join(joined))
    return "\n\n".join(out)


def reflow_app_help(app: typer.Typer) -> None:
    """`reflow_help` on the docstring of every command and group of `app`, recursively (a
    command given an explicit help= is left as written)."""
    for info in app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = reflow_help(info.callback.__doc__)
    for group in app.registered_groups:
        sub = group.typer_instance
        if sub is not None:
            reflow_app_help(sub)
