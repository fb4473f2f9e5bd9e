"""One way to open inputs and to write outputs, for every domain.

Reading: `open_text` opens plain, gzip and BGZF files alike and turns a truncated or corrupt
compressed stream into an `InputError` naming the file, wherever in the file it is found.

Writing: `check_output` validates an output path *before* any work starts (parent usable, not
a directory where a file is expected, existing outputs replaced only with `overwrite`);
`atomic_file` writes beside the destination, fsyncs and renames; `replace_dir` swaps a
finished directory into place without ever deleting the old one first, and `recover_dir`
undoes a swap that a crash interrupted. `staging_dir` is the directory twin of `atomic_file`
for run directories: a job writes into `.NAME.partial/` and the finished directory is renamed
into place, so a crash never leaves a half-written run at the final path.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from helixforge.core.errors import ConfigError, InputError

# Errors that a damaged compressed stream raises somewhere during reading.
_STREAM_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, struct.error)


# The empty block every BGZF writer (bgzip, htslib, Biopython) ends a file with.
_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


CACHE_ENV = "HELIX_CACHE_DIR"  # everything HelixForge caches lives below it
DATA_CACHE_ENV = "HELIX_CACHE"  # the data folder alone (older name, still honoured)


def cache_root() -> Path:
    """`$HELIX_CACHE_DIR`, else the platform's user cache folder (~/.cache/helixforge on
    Linux): embeddings, FCD statistics and, below `data/`, datasets and genome indexes."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("helixforge", appauthor=False))


def data_cache_root() -> Path:
    """Where `helix data fetch` puts datasets and genome copies / indexes are kept:
    `$HELIX_CACHE` when set (its older meaning), else `cache_root() / "data"`."""
    env = os.environ.get(DATA_CACHE_ENV)
    return Path(env).expanduser() if env else cache_root() / "data"


def is_gzip(path: str | os.PathLike) -> bool:
    """True when the file starts with the gzip magic bytes (plain gzip and BGZF alike)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"\x1f\x8b"
    except OSError:
        return False


_UNPACK = "decompress it first, or re-compress it with gzip (the one compression read)"
# (magic bytes at offset 0, what the file is, what to do): containers a text reader must not
# decode as text (it would read replacement characters, or call the file 'not UTF-8').
_CONTAINERS = (
    (b"BZh", "bzip2-compressed", _UNPACK),
    (b"\xfd7zXZ\x00", "xz-compressed", _UNPACK),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", _UNPACK),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract the file from it first"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx workbook)",
     "extract the file from it first (from Excel: save as CSV UTF-8)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls / Office document",
     "save it as CSV UTF-8"),
    (b"PAR1", "a Parquet file", "name it .parquet so it is read as Parquet"),
)  # fmt: skip


def container_kind(path: str | os.PathLike) -> tuple[str, str] | None:
    """(what the file is, what to do) when `path` starts like an archive, a compression other
    than gzip or a Parquet file; None for anything else (plain text, gzip, unreadable)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(10)
            if head.startswith(b"PAR1"):  # Parquet ends with its magic too; a header 'PAR1,…' not
                fh.seek(-4, os.SEEK_END)
                if fh.read(4) != b"PAR1":
                    return None
    except OSError:
        return None
    if head.startswith(b"BZh") and not (head[3:4].isdigit() and head[4:10] == b"1AY&SY"):
        return None  # bzip2: 'BZh', the block size digit, then the block magic
    for magic, what, todo in _CONTAINERS:
        if head.startswith(magic):
            return what, todo
    return None


def refuse_container(path: str | os.PathLike, expected: str = "a text file") -> None:
    """`InputError` naming what `path` is when `container_kind` recognises it."""
    kind = container_kind(path)
    if kind is not None:
        what, todo = kind
        raise InputError(f"{path}: is {what}, not {expected}", hint=todo)


def _truncated(path: Path, why: str) -> InputError:
    return InputError(
        f"{path}: the compressed file is truncated or corrupt ({why})",
        hint="re-download or re-compress the file (gzip -t FILE checks it)",
    )


def check_bgzf_eof(path: str | os.PathLike) -> None:
    """A BGZF file cut at a block boundary decompresses cleanly but short; its missing
    end-of-file block gives it away. Raise `InputError` then (plain gzip: no check)."""
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(18)
        is_bgzf = len(head) == 18 and head[3] & 4 and head[12:14] == b"BC"
        if not is_bgzf:
            return
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - len(_BGZF_EOF)))
        if fh.read() != _BGZF_EOF:
            raise _truncated(p, "BGZF end-of-file block missing")


class _CheckedText(io.TextIOBase):
    """A text stream that re-raises compression faults, and bytes its encoding cannot decode,
    as an InputError naming the file (and for undecodable bytes, the line and byte)."""

    def __init__(self, inner: IO[str], path: Path, encoding: str = "utf-8"):
        self._inner = inner
        self._path = path
        self._encoding = encoding

    def _fail(self, exc: BaseException) -> InputError:
        if isinstance(exc, UnicodeDecodeError):
            return not_text_error(self._path, self._encoding)
        return _truncated(self._path, f"{type(exc).__name__}: {exc}")

    def read(self, size: int | None = -1) -> str:
        try:
            return self._inner.read(size)
        except (*_STREAM_ERRORS, UnicodeDecodeError) as exc:
            raise self._fail(exc) from None

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        try:
            return self._inner.readline(size)
        except (*_STREAM_ERRORS, UnicodeDecodeError) as exc:
            raise self._fail(exc) from None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._inner.close()
        super().close()


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int, int] | None:
    """(line, 1-based byte in that line, the byte) of the first byte of `path` (plain or
    gzip) that `encoding` cannot decode; None when every line decodes. Read line by line in
    binary, so only on the error path and in bounded memory."""
    opener = gzip.open if is_gzip(path) else open
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    return lineno, exc.start + 1, raw[exc.start]
    except (OSError, *_STREAM_ERRORS):
        return None
    return None


def convert_command(name: str, encoding: str) -> str:
    """The shell command that converts the file `name` from `encoding` to UTF-8 (gunzip and
    gzip around iconv for a .gz), the names quoted: 'my data.vcf' was cut in two."""
    import shlex

    src, dst = shlex.quote(name), shlex.quote(f"utf8-{name}")
    if name.lower().endswith(".gz"):
        return f"gunzip -c {src} | iconv -f {encoding} -t utf-8 | gzip > {dst}"
    return f"iconv -f {encoding} -t utf-8 {src} > {dst}"


def _head_bytes(path: Path, n: int = 8192) -> bytes | None:
    """The first `n` bytes of `path`'s content (decompressed for gzip / BGZF); None when
    they cannot be read (the reader reports that)."""
    try:
        if is_gzip(path):
            with gzip.open(path, "rb") as fh:
                return fh.read(n)
        with open(path, "rb") as fh:
            return fh.read(n)
    except (OSError, *_STREAM_ERRORS):
        return None


def refuse_not_text(path: str | os.PathLike) -> None:
    """`InputError` when the content of `path` (plain or gzip) is not UTF-8 text by its first
    8 KiB: UTF-16 text (Windows 'Unicode text', what PowerShell's `>` writes; with its
    byte-order mark, or without one but with a NUL byte beside each character), only NUL
    bytes (a file zeroed by a crash or an unfinished copy) or binary data (a NUL byte, which
    no text format holds). Read as text these were 'sequence text before the first >', 'not a
    VCF header line', 'looks like Windows-1252' with an iconv command that garbles UTF-16, or
    pyfaidx's 'unexpected text' about a cache copy."""
    p = Path(path)
    head = _head_bytes(p)
    if not head:
        return
    src = None
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        how, src = "it starts with a UTF-16 byte-order mark", "UTF-16"
    elif len(head) >= 8:
        sample = head[:2000]
        for parity, name in ((1, "UTF-16LE"), (0, "UTF-16BE")):
            high, low = sample[parity::2], sample[1 - parity :: 2]
            # ASCII text: NUL high bytes beside non-NUL low bytes (all NUL: a zeroed file)
            if high.count(0) >= 0.9 * len(high) and low.count(0) <= 0.1 * len(low):
                src = name
        how = f"it looks like {src} without its byte-order mark: a NUL byte beside each character"
    if src is not None:
        raise InputError(
            f"{p}: is UTF-16 text, not UTF-8 ({how}; Windows 'Unicode text' and PowerShell's > "
            "write it)",
            hint=f"convert it to UTF-8: {convert_command(p.name, src)}",
        )
    if not head.strip(b"\x00"):
        raise InputError(
            f"{p}: holds only NUL bytes, no text (a file zeroed by a crash or a copy that did "
            "not finish?)",
            hint="restore the file from its source or a backup and run again",
        )
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        raise InputError(
            f"{p}: looks like binary data, not a text file (a NUL byte on line {line}, byte "
            f"{nul + 1} of the file)",
            hint="give the text file itself (FASTA, VCF, GFF, a motif file …), not a binary or "
            "damaged copy",
        )


def not_text_error(path: str | os.PathLike, encoding: str = "utf-8") -> InputError:
    """The `InputError` for a text input holding bytes that are not UTF-8: the file, the line
    and byte of the first one, the encoding it looks like, and the command that converts it."""
    p = Path(path)
    enc = "utf-8" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8") else encoding
    where = _first_undecodable(p, enc)
    at = ""
    legacy = None
    if where is not None:
        line, byte, value = where
        try:
            char = bytes([value]).decode("cp1252")
            legacy = "cp1252"
            at = f", line {line}: byte 0x{value:02X} at byte {byte} ({char!r} in Windows-1252 / Latin-1)"
        except UnicodeDecodeError:
            at = f", line {line}: byte 0x{value:02X} at byte {byte}"
    cmd = convert_command(p.name, legacy or "ENCODING")
    return InputError(
        f"{p}{at}: the file is not UTF-8 text"
        + ("; it looks like Windows-1252 / Latin-1" if legacy else ""),
        hint=f"convert it to UTF-8: {cmd}"
        + ("" if legacy else " (`file -i` guesses the encoding)"),
    )


def special_file_kind(path: str | os.PathLike) -> str | None:
    """'a named pipe (FIFO)', 'a character device', 'a block device' or 'a socket' when `path`
    is one of those; None for a regular file, a directory, a missing or unreadable path.

    Inputs are read more than once (a sample to sniff the format, a checksum for the run
    record, chunks again on --resume) and their size tells an empty file: a stream can give
    none of that (a FIFO's size is 0, so it was reported as 'file is empty'), so it is refused
    by name rather than read."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


def require_input_file(path: str | os.PathLike, what: str = "a file") -> Path:
    """`path` as a Path when it is a regular file; otherwise an `InputError` saying what it
    is instead (missing, a directory, a named pipe / device / socket) and what to do."""
    p = Path(path)
    kind = special_file_kind(p)
    if kind is not None:
        raise InputError(
            f"{p}: is {kind}, not a regular file",
            hint="inputs are read more than once; save the stream to a file and pass that",
        )
    if not p.exists():
        raise InputError(f"{p}: file not found", hint="check the path")
    if p.is_dir():
        raise InputError(
            f"{p}: is a directory, expected {what}", hint="give the path of a file inside it"
        )
    return p


def open_text(
    path: str | os.PathLike,
    encoding: str = "utf-8-sig",
    errors: str = "strict",
    newline: str | None = "",
    *,
    check_text: bool = True,
) -> IO[str]:
    """Open a plain, gzip or BGZF text file for reading (compression detected from the bytes).

    A missing file, a directory or a named pipe / device raises `InputError`; a damaged
    compressed stream raises `InputError` naming the file when the damage is reached. A
    UTF-8 byte-order mark is dropped. Bytes that are not UTF-8 raise `InputError` naming the
    file, line and byte and the iconv command that converts it (`not_text_error`): they were
    replaced by U+FFFD and read on, so a Latin-1 'é' silently became part of an id, a gene
    name or a motif name. A reader that tolerates them where they do no harm passes
    ``errors="replace"`` (FASTA headers: `fasta_records`). With `check_text` (the default) a
    file whose first 8 KiB are UTF-16, all NUL or binary is refused up front
    (`refuse_not_text`); `core.table_reader`, which judges such bytes line by line, passes
    False.
    """
    p = require_input_file(path)  # a FIFO would block the open, then read as empty
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8")
    if is_gzip(p):
        check_bgzf_eof(p)
        if check_text and utf8:
            refuse_not_text(p)
        inner: IO[str] = io.TextIOWrapper(
            gzip.open(p, "rb"), encoding=encoding, errors=errors, newline=newline
        )
    else:
        refuse_container(p)  # bzip2 / xz / zip / Parquet …: named, never decoded as text
        if check_text and utf8:
            refuse_not_text(p)  # UTF-16, zeroed or binary: named, never read as text
        inner = open(p, encoding=encoding, errors=errors, newline=newline)
    return _CheckedText(inner, p, encoding)  # type: ignore[return-value]


def fasta_records(path: str | os.PathLike) -> Iterator[tuple[int, str, str]]:
    """(file line of the header, header text after '>', sequence) of every record of a FASTA
    file (plain, gzip or BGZF). Blank and ';' lines are skipped and spaces inside sequence
    lines dropped; text before the first '>' is an `InputError` naming its line (Biopython's
    parser skips it without a word). The one FASTA walk of `dna.io.read_fasta` and the `lm`
    readers; what an empty header or sequence means is theirs to say."""
    p = Path(path)
    header: str | None = None
    header_line = 0
    chunks: list[str] = []
    # 'replace': a Latin-1 byte in a '>' description is only shown (as Genome reads it); in a
    # sequence line it becomes U+FFFD, which the domain refuses as a base, naming the record
    with open_text(p, errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.lstrip("\ufeff").strip() if lineno == 1 else raw.strip()
            if not line or line.startswith(";"):
                continue
            if line.startswith(">"):
                if header is not None:
                    yield header_line, header, "".join(chunks)
                header, header_line, chunks = line[1:].strip(), lineno, []
            elif header is None:
                hint = "a FASTA file starts with a '>name' line; is this really FASTA?"
                if line.startswith("@"):
                    fastq_name = any(
                        p.name.lower().removesuffix(".gz").endswith(x) for x in (".fq", ".fastq")
                    )
                    hint = (
                        "this input takes FASTA ('>name' lines), not FASTQ: convert it, e.g. "
                        f"seqkit fq2fa {p.name} -o reads.fa"
                        if fastq_name
                        else "this looks like FASTQ ('@name' lines): name the file .fq or .fastq"
                    )
                raise InputError(
                    f"{p}, line {lineno}: sequence text before the first '>' header", hint=hint
                )
            else:
                chunks.append(line.replace(" ", ""))
    if header is not None:
        yield header_line, header, "".join(chunks)


def check_gzip_whole(path: str | os.PathLike) -> None:
    """Read a compressed file to its end once; raise `InputError` when it is truncated."""
    p = Path(path)
    if not is_gzip(p):
        return
    check_bgzf_eof(p)
    try:
        with gzip.open(p, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except _STREAM_ERRORS as exc:
        raise _truncated(p, type(exc).__name__) from None


# ---------------------------------------------------------------- outputs


def check_output(
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    kind: str = "file",
    option: str = "--out",
    inputs: Iterable[str | os.PathLike | None] = (),
    resume: bool = False,
) -> Path:
    """Validate an output path before any work starts; return it as a Path.

    `resume`: the job was asked to continue an interrupted run; an existing output then
    means the run finished, and the refusal says so (`refuse_resume_of_finished`).

    kind: 'file', 'table' (a file whose name must be a table format we write) or 'dir'. Refuses: a directory where a file is wanted (and the reverse), a
    parent that is a file, an unwritable location, and an existing output unless `overwrite`.
    A missing parent directory is created.
    """
    p = Path(path)
    if str(path).strip() == "":
        raise ConfigError(f"{option} is empty", hint=f"give {option} a path")
    if str(path).strip() == "-":  # the Unix 'standard output', not a file named '-'
        raise ConfigError(
            f"{option} '-': writing to standard output is not supported",
            hint=f"give {option} a file path, e.g. {option} results.tsv",
        )
    special = special_file_kind(p)
    if special is not None:  # the atomic rename would replace the node itself (/dev/null!)
        raise ConfigError(
            f"{option} {p} is {special}; outputs are written to a temporary file and renamed "
            "into place, which would replace it",
            hint=f"give {option} a regular file or directory path",
        )
    check_not_input(p, inputs, option)
    if kind in ("file", "table") and str(path).endswith(("/", os.sep)):
        # 'out.csv/' names a directory: verbs that derive side paths from the string (e.g.
        # '<out>.errors.csv') would write below it and then fail to rename a file onto it.
        raise ConfigError(
            f"{option} {path} ends with '/', which names a directory, but a file is written there",
            hint=f"drop the trailing '/', for example {option} {str(path).rstrip('/' + os.sep)}",
        )
    if kind in ("file", "table") and p.is_dir():  # '-o .' has no name to derive side files from
        raise ConfigError(
            f"{option} {p} is a directory, but a file is written there",
            hint="give a file path, for example results/out.csv",
        )
    if kind == "table":  # a file holding a table: refuse .xlsx / .json / .sdf … names
        from helixforge.core.tables import require_table_name

        require_table_name(p, option, reading=False)
        _check_errors_table_not_input(p, inputs, option)
        kind = "file"
    if p.exists():
        if kind == "file" and p.is_dir():
            raise ConfigError(
                f"{option} {p} is a directory, but a file is written there",
                hint="give a file path, for example results/out.csv",
            )
        if kind == "dir" and not p.is_dir():
            raise ConfigError(
                f"{option} {p} is a file, but a run directory is written there",
                hint="give a directory path that does not exist yet",
            )
        if kind == "dir" and p.is_dir() and not any(p.iterdir()):
            pass  # an empty directory is as good as none
        elif kind == "dir" and _holds_cwd_or_home(p):
            raise ConfigError(
                f"{option} {p} is the current directory, one above it, or the home directory; "
                "replacing it would delete everything in it",
                hint=f"give {option} a new directory, for example {option} results/run1",
            )
        elif not overwrite:
            if resume:  # a finished output, unless interrupted work waits beside it
                refuse_resume_of_finished(p, option=option)
            raise ConfigError(
                f"{option} {p} already exists",
                hint="pass --overwrite to replace it, or choose another path",
            )
    parent = p.parent if str(p.parent) else Path(".")
    for anc in [parent, *parent.parents]:
        if anc.exists():
            if not anc.is_dir():
                raise ConfigError(
                    f"{option} {p}: {anc} is a file, so nothing can be written below it",
                    hint="choose another output path",
                )
            if not os.access(anc, os.W_OK | os.X_OK):
                raise ConfigError(
                    f"{option} {p}: {anc} is not writable", hint="choose a writable location"
                )
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{option} {p}: cannot create the folder {parent}: {exc.strerror}",
            hint=f"give {option} a path in a folder that exists or can be made, where you may write",
        ) from None
    return p


def refuse_resume_of_finished(
    out: str | os.PathLike,
    *,
    pending: str | os.PathLike | None = None,
    option: str = "--out",
) -> None:
    """`ConfigError` for `--resume` when `out` holds a finished result and no interrupted work
    is left to continue (`pending`, default the staging folder `staging_path(out)`): the run
    is complete, its result is at `out`, and --overwrite redoes it. Returns when `out` is
    missing (or an empty directory) or the pending work exists."""
    p = Path(out)
    if not p.exists() or (p.is_dir() and not any(p.iterdir())):
        return
    if Path(pending if pending is not None else staging_path(p)).exists():
        return
    what = "run" if p.is_dir() else "output"
    raise ConfigError(
        f"--resume: {option} {p} is already complete (the finished {what} is there); "
        "there is no interrupted job to continue",
        hint=f"use {p} as it is, or pass --overwrite instead of --resume to redo the job "
        f"(or choose another {option})",
    )


# the format suffixes of outputs; any other dot is part of the name ('run.v2.tsv' → 'run.v2')
_OUTPUT_SUFFIXES = (
    ".csv", ".tsv", ".txt", ".parquet", ".npy", ".smi", ".sdf", ".sd", ".json", ".html", ".bed",
    ".gff", ".gff3", ".gtf", ".vcf", ".fa", ".fasta", ".fna", ".fq", ".fastq",
)  # fmt: skip


def output_stem(out: str | os.PathLike) -> Path:
    """`out` without its format suffix (and a .gz/.bgz before it): the name the files written
    beside an output share (`hits.v2.tsv.gz` → `hits.v2`; `dir/sites.tsv` → `dir/sites`)."""
    base = str(out)
    for gz in (".gz", ".bgz"):
        if base.lower().endswith(gz):
            base = base[: -len(gz)]
            break
    for suffix in _OUTPUT_SUFFIXES:
        if base.lower().endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    return Path(base)


def errors_table_path(out: str | os.PathLike) -> Path:
    """`<out stem>.errors.csv` beside an output (`lib.csv.gz` → `lib.errors.csv`, `hits.v2.tsv`
    → `hits.v2.errors.csv`): where verbs write the rows they could not use."""
    stem = output_stem(out)
    return stem.with_name(stem.name + ".errors.csv")


def _check_errors_table_not_input(
    out: Path, inputs: Iterable[str | os.PathLike | None], option: str
) -> None:
    """A table output brings its errors table: that file must not be an input either (the
    input `lib.errors.csv` with `-o lib.csv` was replaced by the rows the job rejected)."""
    errors = errors_table_path(out)
    try:
        check_not_input(errors, inputs, option)
    except ConfigError as exc:
        raise ConfigError(
            f"{option} {out}: its errors table {errors} is the input; writing it would destroy"
            " the input",
            hint=f"give {option} another name (the errors table is named after it), or rename"
            " the input",
        ) from exc


def _holds_cwd_or_home(p: Path) -> bool:
    target = p.resolve()
    cwd = Path.cwd().resolve()
    return target == cwd or target in cwd.parents or target == Path.home().resolve()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_path(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success fsync it and rename it into place.

    On any exception the temporary file is removed and the destination is left untouched.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; match a plain open()
    try:
        yield tmp_path
        fsync_path(tmp_path)
        os.replace(tmp_path, dest)
        fsync_path(dest.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


GZIP_LEVEL = 9  # what gzip.open and pandas write by default; outputs kept byte for byte


def gzip_stream(raw: IO[bytes], compresslevel: int = GZIP_LEVEL) -> gzip.GzipFile:
    """A gzip writer over the binary stream `raw` whose header is the same on every run:
    modification time 0 and no file name. `gzip.open(path)` and pandas' ``compression=
    "gzip"`` put the current time and the name of the file written in the header, and every
    output is written to a random temporary name first (`atomic_file`), so the same command
    gave different bytes each run. Closing it finishes the gzip stream, not `raw`."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=compresslevel)


@contextlib.contextmanager
def open_output(
    path: str | os.PathLike, *, gz: bool, text: bool = True, compresslevel: int = GZIP_LEVEL
) -> Iterator[IO]:
    """Open `path` for writing: gzip-compressed through `gzip_stream` when `gz` (the caller
    decides by the *final* name, as `path` is usually `atomic_file`'s temporary one), plain
    otherwise. `text`: a UTF-8 text stream with ``newline=""`` (what is written is what lands,
    '\\n' stays '\\n'), else a binary one. Every gzip output the project writes goes through
    here or `gzip_stream`, so that the same command and seed give the same bytes."""
    with open(path, "wb") as raw:
        with gzip_stream(raw, compresslevel) if gz else contextlib.nullcontext(raw) as binary:
            if not text:
                yield binary
                return
            fh = io.TextIOWrapper(binary, encoding="utf-8", newline="")
            try:
                yield fh
            except BaseException:
                with contextlib.suppress(Exception):  # the first error is the one to see
                    fh.detach()
                raise
            fh.detach()  # flushes; closing `binary` (and the gzip trailer) is the with-blocks'


def _backup_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.old")


def recover_dir(final: str | os.PathLike) -> None:
    """Finish or undo a `replace_dir` that a crash interrupted, so `final` is whole again."""
    final = Path(final)
    backup = _backup_name(final)
    if backup.exists():
        if final.exists():
            shutil.rmtree(backup, ignore_errors=True)  # the new one made it in
        else:
            os.replace(backup, final)  # crash between the two renames: put the old one back


def replace_dir(new: str | os.PathLike, final: str | os.PathLike) -> Path:
    """Move a finished directory `new` to `final`, replacing what is there without a gap.

    The old directory is renamed aside, the new one renamed in, then the old one removed; a
    crash at any point leaves either the old or the new directory (see `recover_dir`).
    """
    new, final = Path(new), Path(final)
    recover_dir(final)
    backup = _backup_name(final)
    if final.exists():
        os.replace(final, backup)
    os.replace(new, final)
    fsync_path(final.parent)
    shutil.rmtree(backup, ignore_errors=True)
    return final


def staging_path(final: str | os.PathLike) -> Path:
    """Where a run directory for `final` is built before `replace_dir` moves it in."""
    final = Path(final)
    return final.with_name(f".{final.name}.partial")


@contextlib.contextmanager
def staging_dir(final: str | os.PathLike, *, keep_on_error: bool = True) -> Iterator[Path]:
    """Build a directory at `staging_path(final)` and swap it in at `final` on success.

    With `keep_on_error` (the default) a failed or killed job leaves its staging directory for
    a resume (checkpoints live there); otherwise it is removed.
    """
    final = Path(final)
    stage = staging_path(final)
    stage.mkdir(parents=True, exist_ok=True)
    try:
        yield stage
    except BaseException:
        if not keep_on_error:
            shutil.rmtree(stage, ignore_errors=True)
        raise
    replace_dir(stage, final)


@contextlib.contextmanager
def discard_stage_on_refusal(
    stage: str | os.PathLike, *, keep: bool | None = None
) -> Iterator[None]:
    """Remove a resumable job's staging folder when the job is refused (a `HelixError`: a
    problem in the input or the model found while reading a later chunk, such as a tail of
    lines that are not UTF-8 from line 50,000). Resuming could never get past it, since the
    input has to change. An interrupt or a bug keeps the folder for --resume, and so does a refusal when
    the folder was there before this job (an earlier run's finished chunks are not lost to a
    mistyped option). `keep` overrides that test when the caller made the folder already
    (keep=True: it holds a resumed run's chunks)."""
    from helixforge.core.errors import HelixError

    stage = Path(stage)
    keep = stage.exists() if keep is None else keep
    try:
        yield
    except HelixError:
        if not keep:
            shutil.rmtree(stage, ignore_errors=True)
        raise


def check_not_input(
    out: str | os.PathLike | None,
    inputs: Iterable[str | os.PathLike | None],
    option: str = "--out",
) -> None:
    """`ConfigError` when `out` is one of `inputs` or a directory holding one of them."""
    if out is None or str(out).strip() in ("", "-"):
        return  # check_output names an empty or '-' path for what it is
    try:
        o = Path(out).resolve()
    except (OSError, RuntimeError):
        return  # check_output reports unusable paths
    for item in inputs:
        if item is None or not isinstance(item, str | os.PathLike):
            continue
        try:
            p = Path(item)
            if not p.exists():
                continue
            ip = p.resolve()
        except (OSError, RuntimeError, ValueError):
            continue
        if ip == o or o in ip.parents:
            what = "is" if ip == o else "holds"
            raise ConfigError(
                f"{option} {out} {what} the input {item}; writing there would destroy it",
                hint=f"give {option} a path that is not an input (e.g. results/out.tsv)",
            )


def check_distinct_outputs(outputs: dict[str, str | os.PathLike | None]) -> None:
    """`ConfigError` when two outputs of one job (option → path; None = not written) are the
    same file: the one written last would replace the other (e.g. ``-o x.tsv --report x.tsv``)."""
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        try:
            key = Path(path).resolve()
        except (OSError, RuntimeError):
            continue  # check_output reports unusable paths
        if key in seen:
            derived = option.startswith("--out (")  # a path named after --out, e.g. its errors
            raise ConfigError(
                f"{option} {path} is also {seen[key]}: one output would replace the other",
                hint="choose another --out (the other outputs are named after it)"
                if derived
                else f"give {option} a path of its own",
            )
        seen[key] = option
