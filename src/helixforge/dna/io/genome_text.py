"""Genome FASTA files pyfaidx cannot index as they are, made readable (or explained).

pyfaidx needs '\\n' or '\\r\\n' line ends, no byte-order mark, a name that ends in .gz only when
the file is BGZF, every line of a record as long as the first (but the last), and sequence lines
of bases only (it hands back spaces and tabs as if they were bases). A file with old-Mac '\\r'
line ends, a UTF-8 BOM, plain text named '.gz', spaces or tabs in its sequence lines, or lines of
uneven length (`uneven_lines`: pyfaidx refuses to index it) is copied once, normalised (bases
re-wrapped at 60 per line, whitespace and blank lines dropped; positions unchanged), into the
genome cache (`plain_copy_reason` / `normalized_copy`). A '>' header line that is not UTF-8 (a
Latin-1 'é' in a description) makes pyfaidx's indexer fail; the normalised copy writes such a
header as UTF-8 (decoded as Latin-1), so the genome opens with its names as they read.
`index_error` turns pyfaidx's indexing errors (duplicate or empty record names) into messages
naming the file and what to do.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

from helixforge.core.errors import InputError

_BOM = b"\xef\xbb\xbf"
WIDTH = 60  # bases per line in a normalised copy
_SPACE_IN_SEQUENCE = re.compile(rb"(?m)^(?![>;])[^\n]*[ \t]")


def uneven_lines(exc: BaseException) -> bool:
    """True when pyfaidx refused a FASTA for lines of uneven length (or blank lines) in a
    record, which a normalised copy fixes."""
    return "Line length of fasta file is not consistent" in str(exc)


def plain_copy_reason(path: Path) -> str | None:
    """Why an uncompressed FASTA must be normalised before indexing (None when it need not)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(_BOM):
        return "it starts with a UTF-8 byte-order mark"
    if b"\r" in head and b"\r\n" not in head:
        return "it has old-Mac '\\r' line ends"
    if path.name.lower().endswith((".gz", ".bgz")):
        return "it is named .gz but is not compressed"
    if _SPACE_IN_SEQUENCE.search(head[: head.rfind(b"\n") + 1]):
        return "its sequence lines hold spaces or tabs"
    return None


def normalized_copy(path: Path, cache_dir: Path) -> Path:
    """A copy of `path` (plain, gzip or BGZF) in `cache_dir` that pyfaidx indexes and reads
    right: '\\n' line ends, no BOM, no .gz suffix, sequence lines of bases only (spaces, tabs and
    blank lines dropped) re-wrapped at `WIDTH`; headers kept as they are, but for one that is
    not UTF-8, written as UTF-8 read as Latin-1 (`utf8_header`). Made once per path, size and
    mtime."""
    from helixforge.core.io import atomic_file, is_gzip

    st = path.stat()
    key = hashlib.sha256(f"norm3|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    name = re.sub(r"\.(gz|bgz)$", "", path.name, flags=re.I)
    dest = cache_dir / key.hexdigest()[:16] / name
    if dest.exists():
        return dest
    opener = gzip.open if is_gzip(path) else open
    with atomic_file(dest) as tmp, opener(path, "rt", encoding="latin-1", newline=None) as src:
        with open(tmp, "w", encoding="latin-1", newline="\n") as out:
            _rewrap(src, out)
    return dest


def _rewrap(src, out) -> None:
    """Copy FASTA text from `src` to `out`: headers and ';' comments before the first header as
    they are (less a leading BOM), the bases of each record in lines of `WIDTH`."""
    pending = ""  # bases of the current record not yet written
    first, in_record = True, False
    for line in src:
        if first:
            line = line.removeprefix(_BOM.decode("latin-1")).removeprefix("\ufeff")
            first = False
        if not in_record and not line.startswith(">"):
            if line.strip():
                out.write(utf8_header(line.rstrip("\n")) + "\n")  # text before the first header
            continue
        if line.startswith(">"):
            in_record = True
            if pending:
                out.write(pending + "\n")
                pending = ""
            out.write(utf8_header(line.rstrip("\n")) + "\n")
            continue
        pending += "".join(line.split())
        if len(pending) >= WIDTH:
            cut = len(pending) - len(pending) % WIDTH
            out.write("\n".join(pending[i : i + WIDTH] for i in range(0, cut, WIDTH)) + "\n")
            pending = pending[cut:]
    if pending:
        out.write(pending + "\n")


def utf8_header(line: str) -> str:
    """A header line read as Latin-1 (one character per byte), re-spelt so that writing it as
    Latin-1 gives UTF-8 bytes: unchanged when its bytes are UTF-8 already, else each Latin-1
    character encoded as UTF-8 ('caf\\xe9' → 'caf\\xc3\\xa9', which pyfaidx reads as 'café')."""
    raw = line.encode("latin-1")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return line.encode("utf-8").decode("latin-1")
    return line


def _first_undecodable_line(path: Path, limit: int = 1 << 30) -> int | None:
    """1-based number of the first sequence line that is not UTF-8 (plain files up to `limit`
    bytes); '>' headers and ';' comments are left out, as a normalised copy re-spells them."""
    try:
        if path.stat().st_size > limit:
            return None
        with open(path, "rb") as fh:
            if fh.read(2) == b"\x1f\x8b":
                return None
            fh.seek(0)
            for n, raw in enumerate(fh, start=1):
                if raw.startswith((b">", b";")):
                    continue
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    return n
    except OSError:
        return None
    return None


def _header_lines(path: Path, wanted, stop: int, limit: int = 1 << 30) -> list[int]:
    """1-based lines of the first `stop` '>' lines whose name (bytes after '>' up to the first
    whitespace; b'' for none) `wanted` accepts (plain, gzip or BGZF; files up to `limit`
    bytes, else none)."""
    from helixforge.core.io import is_gzip

    found: list[int] = []
    try:
        if path.stat().st_size > limit:
            return found
        opener = gzip.open if is_gzip(path) else open
        with opener(path, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if raw.startswith(b">"):
                    words = raw[1:].split()
                    if wanted(words[0] if words else b""):
                        found.append(n)
                        if len(found) >= stop:
                            break
    except (OSError, EOFError):
        pass
    return found


def _first_nameless_header(path: Path) -> int | None:
    """1-based line of the first '>' line with no name after it."""
    return next(iter(_header_lines(path, lambda name: not name, 1)), None)


def _header_lines_named(path: Path, name: str) -> list[int]:
    """1-based lines of the first three '>' lines named `name` (as pyfaidx decodes names)."""
    return _header_lines(path, lambda raw: raw.decode("utf-8", "replace") == name, 3)


def index_error(path: Path, exc: BaseException) -> InputError:
    """A clear `InputError` for an exception raised while pyfaidx indexed `path`."""
    text = str(exc)
    m = re.search(r'Duplicate key "([^"]*)"', text)
    if m:
        lines = _header_lines_named(path, m.group(1))
        where = f" (lines {', '.join(map(str, lines))})" if len(lines) > 1 else ""
        return InputError(
            f"{path}: the record name {m.group(1)!r} appears more than once{where}",
            hint="contig names (the first word of each '>' line) must be unique; rename the "
            "duplicates (e.g. seqkit rename)",
        )
    if isinstance(exc, UnicodeDecodeError):
        line = _first_undecodable_line(path)
        where = f", line {line}" if line else ""
        bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
        return InputError(
            f"{path}{where}: a sequence line holds a byte that is no base letter (0x{bad}, not "
            "ASCII)",
            hint="sequence lines must be plain ASCII letters (IUPAC codes, '-' or '*'); fix or "
            "remove that line (grep -naP '[^\\x00-\\x7F]' FILE shows it)",
        )
    if "Bad sequence name" in text:
        line = _first_nameless_header(path)
        return InputError(
            f"{path}{f', line {line}' if line else ''}: a '>' header line has no record name",
            hint="give every record a name right after '>' (e.g. '>chr1')",
        )
    return InputError(
        f"{path}: could not be indexed as FASTA ({type(exc).__name__}: {text})",
        hint="is it a complete FASTA file (plain, bgzip or gzip)?",
    )
