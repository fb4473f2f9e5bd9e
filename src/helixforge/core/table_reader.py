"""Parse text tables record by record, with true file line numbers and nothing dropped.

Python's csv module does the parsing; this module adds what a table reader owes its user:

- the physical line each record starts on (a quoted field may span several lines);
- a quoted empty value (``""``) kept as a value, apart from a missing one (an unquoted empty
  field, read as missing);
- every record that cannot become a row (wrong number of fields, broken quoting, every field
  empty, bytes that are not UTF-8, NUL bytes) reported as a `BadLine` instead of being
  dropped; a stray quote that csv would run on to a later line's quote (or to the end of the
  file) costs its own line only (the lines it swallowed are read as records);
- clear `InputError`s naming the file for what makes a whole file unreadable: binary content,
  a file in another encoding than UTF-8, a truncated compressed stream, no header, broken
  quoting in the header, duplicate header names.

One damaged record is a `BadLine`; damage to the file as a whole is an `InputError`. For bytes
that are not UTF-8 (and NUL bytes) the line between the two is `too_many_damaged`: the header
must be clean, and damaged data lines must stay stray ones (at most 10, or at most 1% of the
data lines read so far; and, in a file read whole, fewer than half of its data lines). A Latin-1
compound name on one line of a million-row screen is an errors-table row; an Excel export in
Windows-1252 is refused up front, naming the encoding and the `iconv` command that converts it.

Bytes are decoded as ``surrogateescape`` does (each byte that is not UTF-8 becomes one code
point U+DC80..U+DCFF, which valid text never holds), through an error handler that also counts
them (`_UNDECODED_COUNT`): clean text is decoded at full speed in C, and a reader looks closely
at its records only while the decoder has met bytes that its records have not yet accounted
for (plus a NUL test per record).

Blank lines are not records: they are skipped and never counted as rows.
`core.tables.read_table` and `core.tables.iter_table` are the public faces of this module. A
reader that parses a text file its own way (`chem.generate.corpus`: SMILES corpora) keeps to
the same rules with `open_table_text`, `read_sample`, `header_names`, `tap_lines`,
`DamagedLines` and `not_utf16_error`.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO

from helixforge.core.errors import EmptyInputError, InputError, RowError

QUOTE = '"'
# A record may hold a whole genome-scale sequence; the csv default (128 KiB) is too small.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
_SNIFF_CHARS = 64_000
# A byte that is not UTF-8, as surrogateescape decodes it (U+DC80..U+DCFF), or a NUL byte.
_DAMAGE = re.compile("[\udc80-\udcff\x00]")
_UNDECODED = re.compile("[\udc80-\udcff]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Damaged data lines are stray ones while at most this many (or at most 1% of those read).
STRAY_DAMAGED_LINES = 10

# Bytes that were not UTF-8 decoded so far in this process, by any table (only ever grows).
_UNDECODED_COUNT = [0]
_SURROGATE_ESCAPE = codecs.lookup_error("surrogateescape")


def _escape_and_count(exc: UnicodeError) -> tuple[str, int]:
    """``surrogateescape``, counting the bytes it escapes in `_UNDECODED_COUNT`."""
    if isinstance(exc, UnicodeDecodeError):
        _UNDECODED_COUNT[0] += exc.end - exc.start
    return _SURROGATE_ESCAPE(exc)


_ERRORS = "helixforge-table-bytes"
codecs.register_error(_ERRORS, _escape_and_count)


@dataclass(frozen=True)
class BadLine:
    """A record that did not become a row: the line it starts on, why, its raw text (bytes
    that are not UTF-8 shown as U+FFFD) and, when known, the column at fault."""

    line: int
    reason: str
    raw: str
    column: str | None = None

    def row_error(self, file: str) -> RowError:
        """This record as a row of `file`'s errors table: its line, column, raw text (cut to
        200 characters, line break dropped) as the value, and why."""
        raw = self.raw.rstrip("\r\n")
        value = raw if len(raw) <= 200 else raw[:197] + "..."
        return RowError(file, self.line, self.column, value, self.reason)


def open_table_text(path: Path) -> IO[str]:
    """Open a (possibly gzip/BGZF) text table as UTF-8 (a BOM is dropped); a byte that is not
    UTF-8 is decoded to one code point U+DC80..U+DCFF (as ``surrogateescape`` does, and
    counted in `_UNDECODED_COUNT`) for the reader to report. UTF-16 with its BOM is decoded
    strictly."""
    from helixforge.core.io import is_gzip, open_text

    if is_gzip(path):  # damage in the stream is an InputError naming the file
        return open_text(path, encoding="utf-8-sig", errors=_ERRORS, newline="", check_text=False)
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its BOM: Excel's "Unicode text"
        return open(path, encoding="utf-16", errors="strict", newline="")
    return open(path, encoding="utf-8-sig", errors=_ERRORS, newline="")


def not_utf16_error(path: Path, exc: UnicodeDecodeError) -> InputError:
    """The `InputError` for a file `open_table_text` opened as UTF-16 (it has the byte-order
    mark) whose bytes then failed to decode (`exc`, raised while reading it)."""
    return InputError(
        f"{path}: starts with a UTF-16 byte-order mark but is not valid UTF-16 text "
        f"(byte 0x{exc.object[exc.start]:02x}: {exc.reason})",
        hint="save the table as UTF-8 CSV/TSV (or Parquet)",
    )


# ---------------------------------------------------------------- damaged bytes


def shown(text: str) -> str:
    """`text` as it can be shown and written: bytes that were not UTF-8 and NULs as U+FFFD."""
    return _DAMAGE.sub("\ufffd", text)


def _escaped_bytes(text: str) -> bytes:
    """The bytes that were not UTF-8 in `text` (decoded to U+DC80..U+DCFF)."""
    return bytes(ord(c) - 0xDC00 for c in "".join(_UNDECODED.findall(text)))


def _legacy_encoding(bad: bytes) -> str | None:
    """'cp1252' when every byte that is not UTF-8 is a character in Windows-1252 (a superset
    of Latin-1's printable characters: what Excel on Windows writes as 'CSV'), else None."""
    try:
        bad.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return "cp1252"


def _convert_hint(path: Path, encoding: str | None) -> str:
    from helixforge.core.io import convert_command

    cmd = convert_command(path.name, encoding or "ENCODING")  # quoted: 'my data.csv' was cut
    find = "" if encoding else " (`file -i` guesses the encoding)"
    return f"convert it to UTF-8: {cmd}{find}; or in Excel: Save As 'CSV UTF-8'"


def _looks_like(encoding: str | None) -> str:
    if encoding == "cp1252":
        return "it looks like Windows-1252 (cp1252) / Latin-1, as Excel on Windows saves 'CSV'"
    return "its bytes are not all Windows-1252 / Latin-1 characters (another encoding?)"


@dataclass(frozen=True)
class _Damage:
    """Where the first damaged byte of a record is and what it is."""

    line: int  # the physical line holding it
    byte: int  # 1-based byte offset in that line
    nul: bool
    value: int  # the byte
    encoding: str | None  # 'cp1252' when every undecoded byte of the record is a cp1252 char

    def describe(self) -> str:
        if self.nul:
            return f"a NUL byte at byte {self.byte} of line {self.line}"
        what = f"byte 0x{self.value:02X} at byte {self.byte} of line {self.line}"
        if self.encoding:
            char = bytes([self.value]).decode("cp1252")
            what += f" ({char!r} in cp1252{' / Latin-1' if self.value >= 0xA0 else ''})"
        return what


def _damage(line: int, raw: str) -> _Damage | None:
    """The first byte of `raw` (a record starting on `line`) that is not UTF-8 or is NUL."""
    m = _DAMAGE.search(raw)
    if m is None:
        return None
    pos = m.start()
    breaks = list(_LINE_BREAK.finditer(raw, 0, pos))
    begin = breaks[-1].end() if breaks else 0
    prefix = raw[begin:pos].encode("utf-8", "surrogateescape")
    ch = raw[pos]
    nul = ch == "\x00"
    return _Damage(
        line=line + len(breaks),
        byte=len(prefix) + 1,
        nul=nul,
        value=0 if nul else ord(ch) - 0xDC00,
        encoding=None if nul else _legacy_encoding(_escaped_bytes(raw)),
    )


def too_many_damaged(bad: int, seen: int, *, whole: bool) -> bool:
    """True when `bad` damaged lines (not UTF-8, or holding NUL bytes) among `seen` data lines
    are more than stray ones, so that the file as a whole is in another encoding (or binary):
    more than `STRAY_DAMAGED_LINES` and more than 1% of them, or (`whole`: every line of the
    file was seen) at least half of them."""
    if bad > STRAY_DAMAGED_LINES and bad * 100 > seen:
        return True
    return whole and bad > 0 and bad * 2 >= seen


def _utf16_without_bom(sample: str) -> str | None:
    """'utf-16le' / 'utf-16be' when `sample` (mostly ASCII text decoded as UTF-8) has a NUL at
    nearly every other character: UTF-16 written without its byte-order mark."""
    head = sample[:2000]
    if len(head) < 8:
        return None
    for parity, name in ((1, "utf-16le"), (0, "utf-16be")):
        high, low = head[parity::2], head[1 - parity :: 2]
        # NULs beside characters; all NULs is a zeroed file (a crash, a cut copy), not UTF-16
        if high.count("\x00") >= 0.9 * len(high) and low.count("\x00") <= 0.1 * len(low):
            return name
    return None


def _binary_file(path: Path, sample: str) -> InputError:
    if sample[:2000] and not sample[:2000].strip("\x00"):
        return InputError(
            f"{path}: holds only NUL bytes, no text (a file zeroed by a crash or a copy that "
            "did not finish?)",
            hint="restore the file from its source or a backup and run again",
        )
    utf16 = _utf16_without_bom(sample)
    if utf16:
        from helixforge.core.io import convert_command

        return InputError(
            f"{path}: is not UTF-8 text: it looks like {utf16.upper()} without its byte-order "
            "mark (NUL bytes between the characters)",
            hint=f"convert it to UTF-8: {convert_command(path.name, utf16)}",
        )
    return InputError(
        f"{path}: looks like a binary file, not a text table",
        hint="give a CSV/TSV (optionally .gz) or a .parquet file",
    )


def _not_utf8(path: Path, bad: int, seen: int, first: _Damage, encodings: set) -> InputError:
    encoding = "cp1252" if encodings == {"cp1252"} else None
    return InputError(
        f"{path}: is not UTF-8 text ({bad} of the first {seen} data lines are not; the first "
        f"is {first.describe()}); {_looks_like(encoding)}",
        hint=_convert_hint(path, encoding),
    )


def _header_not_utf8(path: Path, first: _Damage) -> InputError:
    return InputError(
        f"{path}, line {first.line}: the header is not UTF-8 text ({first.describe()}); "
        f"{_looks_like(first.encoding)}",
        hint=_convert_hint(path, first.encoding),
    )


class _DamageCount:
    """Counts a table's damaged data lines and refuses the file once they are too many."""

    def __init__(self, path: Path):
        self.path = path
        self.bad = {False: 0, True: 0}  # nul? -> lines
        self.first: dict[bool, _Damage] = {}
        self.encodings: set[str | None] = set()

    def tally(self, damage: _Damage) -> None:
        """Count one damaged data line."""
        self.bad[damage.nul] += 1
        self.first.setdefault(damage.nul, damage)
        if not damage.nul:
            self.encodings.add(damage.encoding)

    def add(self, damage: _Damage, seen: int) -> None:
        """Count one damaged data line and refuse the file when they are too many; `seen` =
        data lines read so far (this one included)."""
        self.tally(damage)
        self.check(seen, whole=False)

    def check(self, seen: int, *, whole: bool) -> None:
        for kind in (True, False):
            n = self.bad[kind]
            if n and too_many_damaged(n, seen, whole=whole):
                if kind:
                    raise InputError(
                        f"{self.path}: looks like a binary file, not a text table ({n} of the "
                        f"first {seen} data lines hold NUL bytes; the first is "
                        f"{self.first[kind].describe()})",
                        hint="give a CSV/TSV (optionally .gz) or a .parquet file",
                    )
                raise _not_utf8(self.path, n, seen, self.first[kind], self.encodings)


def _damaged_reason(damage: _Damage) -> str:
    """The `BadLine` reason of a record holding a damaged byte, with what to do."""
    if damage.nul:
        return (
            f"holds binary data: {damage.describe()} (a damaged or zero-filled file?); "
            "re-export the table"
        )
    fix = (
        f"save the file as UTF-8 (iconv -f {damage.encoding} -t utf-8)"
        if damage.encoding
        else "save the file as UTF-8 (iconv -f ITS-ENCODING -t utf-8)"
    )
    return f"not UTF-8 text: {damage.describe()}; {fix}"


def _damaged_column(fields: Sequence[str], columns: Sequence[str]) -> str | None:
    """The column of the first field holding a damaged byte (fields as many as columns)."""
    return next((columns[i] for i, value in enumerate(fields) if _DAMAGE.search(value)), None)


class DamagedLines:
    """Bytes that are not UTF-8 (or NUL bytes) in a text file a caller parses itself (a SMILES
    corpus, say), judged and counted by this module's rule: each damaged record is a
    `BadLine`, and more of them than stray ones (`too_many_damaged`) refuse the file with an
    `InputError` naming the encoding it looks like and the iconv command.

        damaged = DamagedLines(path, header_line=1)
        for line, raw in records:                       # text from `open_table_text`
            bad = damaged.check(line, raw, fields, columns)
            ...                                         # bad: a BadLine, or None
        damaged.finish(last_line)                       # the whole-file rule

    `header_line`: the line before the first data line (0 when there is no header)."""

    def __init__(self, path: Path, header_line: int):
        self.header_line = header_line
        self._count = _DamageCount(path)

    def check(
        self, line: int, raw: str, fields: Sequence[str], columns: Sequence[str]
    ) -> BadLine | None:
        """The `BadLine` of the record starting on `line` (raw text `raw`, split into `fields`
        of `columns`: the damaged one is named when there are no more fields than columns),
        or None when its bytes are clean. Refuses the file (`InputError`) once damaged
        records are more than stray ones among those read so far."""
        if raw.isascii() and "\x00" not in raw:  # clean text: the common case, fast
            return None
        damage = _damage(line, raw)
        if damage is None:
            return None
        self._count.add(damage, line - self.header_line)
        column = _damaged_column(fields, columns) if len(fields) <= len(columns) else None
        return BadLine(line, _damaged_reason(damage), shown(raw.rstrip("\r\n")), column)

    def finish(self, last_line: int) -> None:
        """After the file's last line (`last_line`): the whole-file rule (in a file read whole,
        half of its data lines damaged refuse it)."""
        self._count.check(max(last_line - self.header_line, 0), whole=True)


def read_sample(path: Path, *, header: bool = True) -> str:
    """The first characters of a text table. `InputError`s: binary content (a bzip2 / xz /
    zip / zstd file or a spreadsheet is named as such, UTF-16 without its byte-order mark
    too, with what to do), a header line (the first non-blank line, when `header`) that is
    not UTF-8, or more lines that are not UTF-8 than stray ones (`too_many_damaged`; the
    encoding it looks like is named with the command that converts it). A few damaged lines
    pass: the reader reports each as a `BadLine`. Bytes that are not UTF-8 are in the sample
    as U+DC80..U+DCFF (see `shown`)."""
    from helixforge.core.io import refuse_container

    refuse_container(path, "a text table")
    try:
        with open_table_text(path) as fh:
            sample = fh.read(_SNIFF_CHARS)
    except UnicodeDecodeError as exc:  # UTF-16 (with its BOM) is decoded strictly
        raise not_utf16_error(path, exc) from None
    if sample.isascii() and "\x00" not in sample:
        return sample
    whole = len(sample) < _SNIFF_CHARS  # the sample is the whole file
    lines = [(i, ln) for i, ln in enumerate(_LINE_BREAK.split(sample), 1) if ln.strip()]
    if header and lines and "\x00" in lines[0][1]:
        raise _binary_file(path, sample)
    data = lines[1:] if header else lines
    count = _DamageCount(path)
    for line, text in data:
        damage = _damage(line, text)
        if damage is not None:
            count.tally(damage)
    if count.bad[True] and too_many_damaged(count.bad[True], len(data), whole=whole):
        raise _binary_file(path, sample)
    first = _damage(*lines[0]) if header and lines else None
    if first is not None:
        raise _header_not_utf8(path, first)
    count.check(len(data), whole=whole)
    return sample


def sniff_delimiter(sample: str, default: str) -> str:
    """The delimiter of the first non-blank line: `default` when present, else the most
    frequent of , TAB ; |, else `default`."""
    first = next((ln for ln in sample.splitlines() if ln.strip()), "")
    counts = {d: first.count(d) for d in [",", "\t", ";", "|"]}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0 or counts.get(default, 0) > 0:
        return default
    return best


_SEP_LINE = re.compile(r"sep=([,;\t|])[ \t]*")


def excel_sep_line(sample: str) -> str | None:
    """The delimiter a first line ``sep=;`` declares (Excel's convention, written by tools
    whose CSV should open in Excel in any locale), else None. That line is not the header."""
    first = next((ln for ln in sample.splitlines() if ln.strip()), "")
    m = _SEP_LINE.fullmatch(first.strip("\r\n "))
    return m.group(1) if m else None


def tap_lines(source: Iterable[str], lines: list[str]) -> Iterator[str]:
    """The lines of `source`, each also appended to `lines`: fed to csv.reader, `lines` holds
    the raw text of the record being parsed (the caller clears it after each record), so the
    record's first line and its bytes can be reported."""
    for line in source:
        lines.append(line)
        yield line


# The fields `_raw_records` gives the line of a stray quote (compared by identity).
STRAY_QUOTE: list[str] = []
_STRAY_REASON = (
    "unbalanced quote: a field a quote opens on this line is never closed on it (a stray "
    "'\"'?); the lines after it are read as records of their own"
)


def _stray_quote(lines: list[str]) -> bool:
    """For a record that broke its quoting across several lines: does the quote that opened
    it stray from its first line? It does when every later line has balanced quotes on its
    own (a quoted field that legitimately spans lines is closed by a lone quote on its last
    line), so those lines are records of their own that the stray quote swallowed."""
    return all(ln.count(QUOTE) % 2 == 0 for ln in lines[1:])


def _quoted_fields(raw: str, delim: str) -> list[bool]:
    """For each field of one raw record: did it start with a quote? (csv's own rules: a quote
    opens a field only at its start; "" inside quotes is a literal quote)."""
    quoted = [False]
    in_quotes, at_start = False, True
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if in_quotes:
            if ch == QUOTE:
                if i + 1 < n and raw[i + 1] == QUOTE:
                    i += 1
                else:
                    in_quotes = False
        elif ch == QUOTE and at_start:
            quoted[-1] = in_quotes = True
        elif ch == delim:
            quoted.append(False)
            at_start = True
            i += 1
            continue
        at_start = False
        i += 1
    return quoted


def _values(fields: list[str], raw: str, delim: str) -> list[str | None]:
    """Fields with unquoted empties as None (missing) and quoted empties kept as ''."""
    if "" not in fields:
        return list(fields)
    if QUOTE not in raw:
        return [f if f != "" else None for f in fields]
    quoted = _quoted_fields(raw, delim)
    if len(quoted) != len(fields):  # should not happen; fall back to "missing"
        quoted = [False] * len(fields)
    return [None if f == "" and not q else f for f, q in zip(fields, quoted, strict=True)]


def _raw_records(
    fh: IO[str], path: Path, delim: str
) -> Iterator[tuple[int, list[str] | None, str]]:
    """(start line, fields, raw text) for every non-blank record; the line numbers are
    physical file lines (1-based). Fields are None when the quoting is broken, and
    `STRAY_QUOTE` for the line of a stray quote.

    A quote that strays (one line opens a field the next lines never close, until a quote
    further down ends it with text after it, or until the end of the file) is charged to its
    own line alone: the reader restarts at the next line, so the swallowed records are read,
    not lost in one error (a stray quote near the end of a million-row file refused it)."""
    lines: list[str] = []
    source: Iterator[str] = iter(fh)
    reader = csv.reader(
        tap_lines(source, lines), delimiter=delim, quotechar=QUOTE, doublequote=True, strict=True
    )
    line = 1
    while True:
        lines.clear()
        try:
            fields: list[str] | None = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:  # UTF-16 (with its BOM) is decoded strictly
            raise not_utf16_error(path, exc) from None
        except csv.Error as exc:
            # a quote never closed before the end of the file strays from its line as well:
            # that line is the bad record, the lines after it are read as records of their own
            if ("end of data" in str(exc) and lines) or (len(lines) > 1 and _stray_quote(lines)):
                yield line, STRAY_QUOTE, lines[0]
                rest, lines = lines[1:], []
                line += 1
                reader = csv.reader(
                    tap_lines(chain(rest, source), lines),
                    delimiter=delim,
                    quotechar=QUOTE,
                    doublequote=True,
                    strict=True,
                )
                continue
            fields = None
        start = line
        line += len(lines)
        raw = lines[0] if len(lines) == 1 else "".join(lines)
        if fields is not None and (
            not fields or (len(fields) == 1 and not fields[0].strip() and QUOTE not in raw)
        ):
            continue  # a blank line is not a record
        yield start, fields, raw


def header_names(fields: list[str], path: Path, line: int) -> list[str]:
    """Column names from the header's `fields` (stripped; an empty one is 'Unnamed: i', as
    pandas names it); a name given twice is an `InputError` naming `path`, `line` and it."""
    names = [f.strip() or f"Unnamed: {i}" for i, f in enumerate(fields)]
    dups = [name for name, n in Counter(names).items() if n > 1]
    if dups:
        raise InputError(
            f"{path}, line {line}: duplicate column name{'s' if len(dups) > 1 else ''} "
            f"{', '.join(repr(d) for d in dups)} in the header",
            hint="give every column a distinct name (which of the duplicates is meant is unknowable)",
        )
    return names


# A CXSMILES cut by the delimiter: 'SMILES |extension' whose closing '|' is in a later field.
_CXSMILES_START = re.compile(r"\s*\S+ \|[^|]*")
_DELIMITER_NAMES = {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a bar"}


def wrong_field_count(
    fields: Sequence[str], columns: Sequence[str], delim: str
) -> tuple[str, str | None]:
    """Why a record with more or fewer fields than `columns` is not a row, and what to do:
    (reason, column). Too many fields usually means an unquoted value holding the delimiter;
    a CXSMILES whose extension lists atoms with commas (``C[C@H](O)[C@@H](C)N |&1:1,3|``) is
    named as such, with its column when the fields before it line up with the header."""
    base = f"line has the wrong number of fields ({len(fields)}; the header has {len(columns)})"
    if len(fields) <= len(columns):
        return base, None
    what = _DELIMITER_NAMES.get(delim, repr(delim))
    other = "save the table as TSV" if delim != "\t" else "use another delimiter"
    for i, field in enumerate(fields):
        if not _CXSMILES_START.fullmatch(field):
            continue
        end = next((j for j in range(i + 1, len(fields)) if "|" in fields[j]), None)
        if end is None:
            break
        value = delim.join(fields[i : end + 1])
        if "|" in fields[end].split("|", 1)[1]:  # more bars after the closing one
            break
        lined_up = len(fields) - (end - i) == len(columns)
        column = columns[i] if lined_up else None
        return (
            f"{base}: the unquoted value {value.strip()!r} looks like a CXSMILES whose "
            f"extension holds {what}, the delimiter, so it was split into {end - i + 1} "
            f'fields; quote the value ("...") or {other}',
            column,
        )
    return (
        f'{base}: a value holding {what}, the delimiter, must be quoted ("..."); or {other}',
        None,
    )


class TextTable:
    """A delimited text table opened for reading: `columns` from its header, then `records()`.

    Each record is either (line, values) with one value per column (None = missing) or a
    `BadLine`. The header is the first non-blank record after `skip_records` records; a
    header that is not UTF-8 is an `InputError`, and so are more damaged data lines (not
    UTF-8, or NUL bytes) than stray ones (`too_many_damaged`, checked as the file is read).
    """

    def __init__(self, path: Path, delim: str, skip_records: int = 0):
        self.path = path
        self.delim = delim
        self._undecoded = _UNDECODED_COUNT[0]  # before this file is decoded
        self._fh = open_table_text(path)
        self._records = _raw_records(self._fh, path, delim)
        try:
            for _ in range(skip_records):  # e.g. Excel's 'sep=;' line above the header
                next(self._records, None)
            header = next(self._records, None)
        except InputError:
            self.close()
            raise
        if header is None:
            self.close()
            raise EmptyInputError(
                f"{path}: no header or data",
                hint="the file needs a header line and at least one data row",
            )
        line, fields, raw = header
        damage = _damage(line, raw)
        if damage is not None:
            self.close()
            if damage.nul:
                raise InputError(
                    f"{path}, line {line}: the header holds binary data ({damage.describe()})",
                    hint="give a CSV/TSV (optionally .gz) or a .parquet file",
                )
            raise _header_not_utf8(path, damage)
        if fields is None or fields is STRAY_QUOTE:
            self.close()
            why = _STRAY_REASON if fields is STRAY_QUOTE else "malformed quoting"
            raise InputError(f"{path}, line {line}: the header line has broken quoting ({why})")
        self.header_line = line
        self.columns = header_names(fields, path, line)
        # A header ending in a delimiter ("smiles,y,") names no column there: rows that stop
        # before such trailing unnamed columns are complete.
        named = [bool(f.strip()) for f in fields]
        self._min_fields = len(named) - (named[::-1].index(True) if any(named) else 0)
        self._damaged = _DamageCount(path)

    def _damaged_line(
        self, line: int, fields: list[str] | None, raw: str, damage: _Damage
    ) -> BadLine:
        """The `BadLine` of a record holding bytes that are not UTF-8 or NUL; refuses the file
        when such records are more than stray ones."""
        self._damaged.add(damage, line - self.header_line)
        shaped = fields is not None and self._min_fields <= len(fields) <= len(self.columns)
        column = _damaged_column(fields, self.columns) if shaped else None
        return BadLine(line, _damaged_reason(damage), shown(raw), column)

    def records(self) -> Iterator[tuple[int, list[str | None]] | BadLine]:
        n_cols, delim, min_fields = len(self.columns), self.delim, self._min_fields
        undecoded, accounted = _UNDECODED_COUNT, self._undecoded
        line = self.header_line
        try:
            for line, fields, raw in self._records:
                # Look closely only while the decoder met bytes no record accounted for yet
                if ("\x00" in raw or (undecoded[0] != accounted and not raw.isascii())) and (
                    damage := _damage(line, raw)
                ) is not None:
                    accounted += len(_escaped_bytes(raw))
                    yield self._damaged_line(line, fields, raw, damage)
                elif fields is None:
                    yield BadLine(line, "malformed quoting (text after a closing quote)", raw)
                elif len(fields) == n_cols and "" not in fields:
                    yield line, fields  # type: ignore[misc]
                elif fields is STRAY_QUOTE:  # (no fields: never a row)
                    yield BadLine(line, _STRAY_REASON, raw)
                elif len(fields) != n_cols and not min_fields <= len(fields) < n_cols:
                    why, column = wrong_field_count(fields, self.columns, delim)
                    yield BadLine(line, why, raw, column)
                else:  # empty fields, or stops before trailing unnamed columns (missing)
                    values = _values(fields, raw, delim) + [None] * (n_cols - len(fields))
                    if values.count(None) == n_cols:
                        yield BadLine(line, "empty row (every field is empty)", raw)
                    else:
                        yield line, values
            self._damaged.check(line - self.header_line, whole=True)
        finally:
            self.close()

    def close(self) -> None:
        self._fh.close()


class SmiTable:
    """A .smi file: `SMILES [name]` per line; a first line starting 'smiles'/'smi' is a header.
    A CXSMILES extension after the SMILES (`C[C@H](N)C(=O)O |$;;;;;$| alanine`) stays with the
    SMILES (RDKit reads it), not with the name.

    A line holding bytes that are not UTF-8 (or NUL bytes) is a `BadLine`, and more such
    lines than stray ones (`too_many_damaged`) are an `InputError`, as in `TextTable`."""

    columns = ["smiles", "name"]

    def __init__(self, path: Path):
        self.path = path
        self._undecoded = _UNDECODED_COUNT[0]  # before this file is decoded
        self._fh = open_table_text(path)
        self._first: tuple[int, str] | None = None
        self.header_line = 0
        try:
            for i, text in enumerate(self._fh, start=1):
                parts = text.split(None, 1)
                if not parts:
                    continue
                if parts[0].lower() in {"smiles", "smi"}:
                    self.header_line = i
                else:
                    self._first = (i, text)
                break
        except UnicodeDecodeError as exc:  # UTF-16 (with its BOM) is decoded strictly
            self.close()
            raise not_utf16_error(path, exc) from None
        self._next_line = (self._first[0] if self._first else self.header_line) + 1
        if self._first is None and self.header_line == 0:
            self.close()
            raise EmptyInputError(f"{path}: no SMILES lines")
        self._damaged = _DamageCount(path)

    def _record(self, i: int, text: str) -> tuple[int, list[str | None]] | BadLine | None:
        if (_UNDECODED_COUNT[0] != self._undecoded and not text.isascii()) or "\x00" in text:
            damage = _damage(i, text)
            if damage is not None:
                self._undecoded += len(_escaped_bytes(text))
                self._damaged.add(damage, i - self.header_line)
                first = text.split(None, 1)[0] if text.split(None, 1) else ""
                column = "smiles" if _DAMAGE.search(first) else "name"
                return BadLine(i, _damaged_reason(damage), shown(text), column)
        parts = text.split(None, 1)
        if not parts:
            return None
        rest = parts[1].strip() if len(parts) == 2 else ""
        if rest.startswith("|") and "|" in rest[1:]:  # a CXSMILES extension belongs to the SMILES
            end = rest.index("|", 1) + 1
            return i, [f"{parts[0]} {rest[:end]}", rest[end:].strip()]
        return i, [parts[0], rest]

    def records(self) -> Iterator[tuple[int, list[str | None]] | BadLine]:
        i = self.header_line
        try:
            if self._first is not None:
                i, text = self._first
                rec = self._record(i, text)
                if rec is not None:
                    yield rec
            for i, text in enumerate(self._fh, start=self._next_line):
                rec = self._record(i, text)
                if rec is not None:
                    yield rec
            self._damaged.check(i - self.header_line, whole=True)
        except UnicodeDecodeError as exc:
            raise not_utf16_error(self.path, exc) from None
        finally:
            self.close()

    def close(self) -> None:
        self._fh.close()
