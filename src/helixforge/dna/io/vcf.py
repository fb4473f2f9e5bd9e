"""VCF / BCF reading through pysam (htslib): plain, gzip, BGZF (tabix-indexed or not) and BCF.

    for a in iter_vcf("calls.vcf.gz", errors=errs): a.chrom, a.pos, a.ref, a.alt, a.line
    df = read_vcf("calls.vcf.gz")           # one row per ALT allele

A record htslib cannot parse becomes a row in `errors` (file, line, reason) when a `RowErrors`
is given, else an `InputError` naming the file and line; a truncated BGZF file is an
`InputError` naming the file. `pos` is 1-based as in the file. For text VCF, `line` is the file
line of the record (records are one line each); BCF records have no line (None).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from helixforge.core.errors import EmptyInputError, InputError, RowErrors
from helixforge.core.io import open_text
from helixforge.lm.inputs import as_path

if TYPE_CHECKING:
    import pandas as pd

VCF_COLUMNS = ["chrom", "pos", "id", "ref", "alt", "allele", "record", "line"]


@dataclass(frozen=True)
class VcfAllele:
    """One ALT allele of a record (`alt` None for a record without ALT; `allele` 1-based)."""

    chrom: str
    pos: int
    id: str
    ref: str
    alt: str | None
    allele: int
    record: int
    line: int | None


def _read_head(p: Path, n: int) -> bytes:
    """The first `n` bytes of `p`, decompressed when it starts with the gzip magic bytes. A
    compressed stream that is damaged, or gzip magic with no gzip stream behind it, is an
    `InputError` naming `p`; a compressed file that holds nothing is an `EmptyInputError`."""
    import gzip
    import struct
    import zlib

    from helixforge.core.io import is_gzip

    if not is_gzip(p):
        with open(p, "rb") as fh:
            return fh.read(n)
    try:
        with gzip.open(p, "rb") as fh:
            head = fh.read(n)
    except (EOFError, OSError, zlib.error, struct.error) as exc:  # BadGzipFile is an OSError
        raise InputError(
            f"{p}: the compressed file is truncated or corrupt ({type(exc).__name__}: {exc})",
            hint="it starts like gzip but does not decompress: re-download or re-compress it "
            "(gzip -t FILE checks it; bgzip FILE makes an indexable copy)",
        ) from None
    if not head:
        raise EmptyInputError(
            f"{p}: VCF is empty (the compressed file holds no data)",
            hint="a VCF needs '##fileformat' and '#CHROM'",
        )
    return head


def _header_lines(p: Path) -> int | None:
    """How many header lines precede the first record of a text VCF (None for BCF).

    Read as bytes, as htslib reads the records: a Latin-1 'é' in the INFO or ID of one of the
    first records is only data (it fell in the text decoder's first block and refused the
    whole file as 'not UTF-8', while the same byte further down was read); a byte htslib cannot
    take (in CHROM, REF or ALT) makes that record an errors row. The file is still refused up
    front when it is not text at all (UTF-16, zeroed, binary, another container), as
    `open_text` refuses it; a non-UTF-8 byte in a '##' line is tolerated, as in a FASTA
    header (htslib keeps it as bytes, nothing here reads it)."""
    import gzip
    import zlib

    from helixforge.core.io import check_bgzf_eof, is_gzip, refuse_container, refuse_not_text

    if _read_head(p, 3) == b"BCF":
        return None
    if is_gzip(p):
        check_bgzf_eof(p)
    else:
        refuse_container(p)
    refuse_not_text(p)
    n = 0
    try:
        with gzip.open(p, "rb") if is_gzip(p) else open(p, "rb") as fh:
            for line in fh:
                if not (line[3:] if n == 0 and line.startswith(_BOM) else line).startswith(b"#"):
                    break
                n += 1
    except (EOFError, OSError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise InputError(
            f"{p}: the compressed file is truncated or corrupt ({type(exc).__name__}: {exc})",
            hint="re-download or re-compress it (gzip -t FILE checks it)",
        ) from None
    return n


@contextlib.contextmanager
def _quiet_htslib() -> Iterator[None]:
    import pysam

    old = pysam.set_verbosity(0)
    try:
        yield
    finally:
        pysam.set_verbosity(old)


def iter_vcf(
    path: str | os.PathLike, errors: RowErrors | None = None, split_multiallelic: bool = True
) -> Iterator[VcfAllele]:
    """Yield the ALT alleles of every record (one `VcfAllele` per ALT when `split_multiallelic`,
    else one per record with `alt` = the ALTs joined by ',')."""
    import pysam

    p = as_path(path, "path")
    if not p.exists():
        raise InputError(f"{p}: VCF not found", hint="check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, expected a VCF file")
    if p.stat().st_size == 0:
        raise EmptyInputError(f"{p}: VCF is empty", hint="a VCF needs '##fileformat' and '#CHROM'")
    header = _header_lines(p)
    with _quiet_htslib(), contextlib.ExitStack() as stack:
        try:
            vf = pysam.VariantFile(str(_htslib_readable(p, stack)))
        except (ValueError, OSError, NotImplementedError) as exc:
            problem = _header_problem(p)
            if problem is not None:
                raise InputError(f"{p}, {problem[0]}", hint=problem[1]) from None
            raise InputError(
                f"{p}: could not be read as VCF ({exc})",
                hint="a VCF needs a '##fileformat=VCF…' header and a '#CHROM' line; "
                "a compressed one must be complete (gzip -t FILE checks it)",
            ) from None
        cursor: _LineCursor | None = None  # the text of refused records, read on demand
        with vf:
            records = iter(vf)
            n = 0
            while True:
                n += 1
                line = None if header is None else header + n
                try:
                    rec = next(records)
                except StopIteration:
                    break
                except (ValueError, OSError) as exc:
                    where = f"{p}, line {line}" if line else f"{p}, record {n}"
                    if cursor is None and line is not None:
                        cursor = stack.enter_context(_LineCursor(p))
                    text = cursor.get(line) if cursor is not None and line else None
                    if text is not None and not text.strip():
                        continue  # a blank line (htslib refuses it) is not a record
                    if errors is None:
                        raise InputError(f"{where}: malformed VCF record ({exc})") from None
                    if header is None or n > 10_000_000:
                        raise InputError(f"{where}: unreadable BCF/VCF ({exc})") from None
                    column, value, why = _diagnose(text)
                    errors.add(line, column, value, why or f"malformed VCF record ({exc})")
                    continue
                try:
                    chrom, ref, alts = rec.chrom, rec.ref, tuple(rec.alts or ())
                except UnicodeDecodeError:  # htslib takes the bytes; pysam cannot decode them
                    if cursor is None and line is not None:
                        cursor = stack.enter_context(_LineCursor(p))
                    text = cursor.get(line) if cursor is not None and line else None
                    column, value = _undecodable_field(text)
                    reason = (
                        f"{column or 'CHROM, REF or ALT'} holds a byte that is not UTF-8 text "
                        "(a Latin-1 / Windows-1252 character?); "
                        + (
                            "CHROM is a contig name of the reference"
                            if column == "CHROM"
                            else "REF and ALT are bases A, C, G, T or N"
                        )
                        + ": correct the record"
                    )
                    if errors is None:
                        where = f"{p}, line {line}" if line else f"{p}, record {n}"
                        raise InputError(f"{where}: {reason}") from None
                    errors.add(line, column, value, reason)
                    continue
                try:
                    vid = rec.id or "."
                except UnicodeDecodeError:  # a Latin-1 'é' in an ID is only a label: shown
                    if cursor is None and line is not None:
                        cursor = stack.enter_context(_LineCursor(p))
                    text = cursor.get(line) if cursor is not None and line else None
                    fields = text.split("\t") if text is not None else []
                    vid = fields[2] if len(fields) > 2 else "."
                if not split_multiallelic or not alts:
                    alt = ",".join(alts) if alts else None
                    yield VcfAllele(chrom, rec.pos, vid, ref, alt, 0, n, line)
                    continue
                for k, alt in enumerate(alts, start=1):
                    yield VcfAllele(chrom, rec.pos, vid, ref, alt, k, n, line)


_BOM = b"\xef\xbb\xbf"
_FILEFORMAT = b"##fileformat=VCFv4.2"
_CHROM_LINE = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"


def _header_problem(p: Path) -> tuple[str, str] | None:
    """What is wrong with the '#CHROM' line of a text VCF htslib refused ('line N: why', what
    to do), or None when it looks right (or the file is BCF): htslib only says the file 'does
    not have valid header'."""
    if _read_head(p, 3) == b"BCF":
        return None
    # 'replace': a Latin-1 byte in a '##' line or a record is no fault of the '#CHROM' line
    with open_text(p, errors="replace") as fh:
        for n, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n").lstrip("\ufeff")
            if line.startswith("##") or not line.strip():
                continue
            if line.startswith("#") and not line.startswith("#CHROM"):
                return (
                    f"line {n}: the column header line starts {line[:12]!r}, not '#CHROM'",
                    f"it is the tab-separated line {_CHROM_LINE!r}",
                )
            if not line.startswith("#CHROM"):
                return (
                    f"line {n}: the header has no '#CHROM' line before the first record",
                    f"add the tab-separated line {_CHROM_LINE!r} after the '##' lines",
                )
            fields = line.split("\t")
            if len(fields) == 1 and len(line.split()) >= 8:
                return (
                    f"line {n}: the '#CHROM' header line is separated by spaces, not tabs",
                    "separate its columns with tabs, and those of every record",
                )
            want = _CHROM_LINE.split("\t")
            if [f.strip() for f in fields[:8]] != want:
                return (
                    f"line {n}: the '#CHROM' header line has the columns {fields[:8]}",
                    f"its first eight columns are {' '.join(want)}, tab-separated",
                )
            return _after_info_problem(n, fields[8:], p)
    return None


def _after_info_problem(n: int, rest: list[str], p: Path) -> tuple[str, str] | None:
    """What htslib refuses in the columns after INFO of the '#CHROM' line (line `n`): FORMAT
    with no sample columns (what a tool that dropped the samples but kept FORMAT writes;
    `bcftools view -G` cannot repair it, it refuses the header too), sample columns without
    FORMAT, or an empty column (a tab at the end of the line)."""
    if not rest:
        return None
    gz = p.name.lower().endswith(".gz")
    cat = f"zcat {p.name} | " if gz else ""
    src = "" if gz else f" {p.name}"
    out = f"| gzip > fixed-{p.name}" if gz else f"> fixed-{p.name}"
    names = [x.strip() for x in rest]
    if names[0] == "FORMAT" and not any(names[1:]):
        return (
            f"line {n}: the '#CHROM' line has a FORMAT column but no sample columns "
            "(htslib refuses such a header)",
            "add the sample names after FORMAT, or delete the FORMAT column (scoring reads "
            "CHROM to ALT only): "
            f"{cat}sed '{n}s/\\tFORMAT[[:space:]]*$//'{src} {out}",
        )
    if not any(names):
        return (
            f"line {n}: the '#CHROM' line ends with an empty column (a tab after INFO)",
            f"delete the trailing tab: {cat}sed '{n}s/[[:space:]]*$//'{src} {out}",
        )
    if names[0] != "FORMAT":
        return (
            f"line {n}: the '#CHROM' line has sample columns ({', '.join(names[:3])}"
            f"{', …' if len(names) > 3 else ''}) but no FORMAT column before them",
            "put a FORMAT column between INFO and the samples (in the records too), or keep "
            f"the first eight columns only: {cat}cut -f1-8{src} {out}",
        )
    return None


def _htslib_readable(p: Path, stack: contextlib.ExitStack) -> Path:
    """The file htslib opens: `p` itself, or a plain copy that lives as long as `stack` for a
    plain-gzip VCF (``gzip`` rather than ``bgzip``; htslib cannot seek in it) or a VCF that
    starts with a UTF-8 byte-order mark (saved by a Windows editor; htslib refuses it). A
    truncated or corrupt gzip stream is an `InputError` naming `p`."""
    import gzip
    import shutil
    import tempfile

    from helixforge.core.io import check_gzip_whole, is_gzip
    from helixforge.dna.io.genome import is_bgzf

    plain_gzip = is_gzip(p) and not is_bgzf(p)
    if plain_gzip:
        check_gzip_whole(p)
    opener = gzip.open if is_gzip(p) else open
    head = _read_head(p, 3 + len(_FILEFORMAT))
    bom = head[:3] == _BOM
    body = head[3:] if bom else head
    if body[:3] == b"BCF":
        return p
    # '#CHROM…' as the first line, without '##fileformat=VCF…' (written by hand or by a
    # spreadsheet): htslib refuses it; read it as the VCF it is, with the line numbers it has
    no_format = body.startswith(b"#CHROM")
    if not body.startswith(b"##") and not no_format:
        raise InputError(
            f"{p}, line 1: not a VCF header line ({body[:20].decode('latin-1')!r}…)",
            hint="a VCF starts with '##fileformat=VCFv4.2' (optional here) and the tab-separated "
            "'#CHROM POS ID REF ALT QUAL FILTER INFO' line, then one record per line",
        )
    if not plain_gzip and not bom and not no_format:
        return p
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="helix-vcf-")))
    name = p.name[:-3] if p.name.lower().endswith(".gz") else p.name
    dest = tmp / (name or "input.vcf")
    with opener(p, "rb") as src, open(dest, "wb") as out:
        src.read(3 if bom else 0)
        if no_format:
            out.write(_FILEFORMAT + b"\n")
        shutil.copyfileobj(src, out, 1 << 20)
    return dest


_VCF_COLUMNS = ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")


class _LineCursor:
    """The text of a VCF's lines by number, read forward once (lines split on b"\\n" as
    htslib splits them); for the records htslib refuses, which come in increasing order."""

    def __init__(self, path: Path):
        import gzip

        from helixforge.core.io import is_gzip

        self.fh = gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")
        self.at = 0  # lines read so far

    def get(self, line: int) -> str | None:
        """Line `line` (1-based) without its line end; None when unreachable (past the end,
        behind the cursor, or the file cannot be read)."""
        try:
            raw = None
            while self.at < line:
                raw = self.fh.readline()
                if not raw:
                    return None
                self.at += 1
        except Exception:  # diagnosis only: htslib's message is used then
            return None
        return None if raw is None else raw.decode("utf-8", "replace").rstrip("\r\n")

    def __enter__(self) -> _LineCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


def _diagnose(text: str | None) -> tuple[str | None, str | None, str]:
    """(column, value, reason) for a record htslib refused, from its text line."""
    if text is None:
        return None, None, ""
    fields = text.split("\t")
    if len(fields) < 8 and len(text.split()) >= 8:
        return None, None, "fields are separated by spaces; a VCF record needs 8 tab-separated"
    if len(fields) < 8:
        return None, None, f"record has {len(fields)} tab-separated fields; a VCF record needs 8"
    pos = fields[1]
    if not pos.isdigit() or int(pos) < 1:
        return "POS", pos, "POS must be a positive integer (1-based position)"
    ref = fields[3]
    if not ref or any(c not in "ACGTNacgtn" for c in ref):
        return "REF", ref, "REF must be bases A, C, G, T or N"
    return None, None, ""


def _undecodable_field(text: str | None) -> tuple[str | None, str | None]:
    """(column, value) of the first of CHROM, REF, ALT whose text (decoded with U+FFFD for a
    byte that is not UTF-8) holds such a byte; (None, None) when the line is not at hand."""
    if text is None:
        return None, None
    fields = text.split("\t")
    for column, k in (("CHROM", 0), ("REF", 3), ("ALT", 4)):
        if len(fields) > k and "\ufffd" in fields[k]:
            return column, fields[k]
    return None, None


def read_vcf(
    path: str | os.PathLike, split_multiallelic: bool = True, errors: RowErrors | None = None
) -> pd.DataFrame:
    """Variants as a DataFrame: chrom, pos (1-based), id, ref, alt, allele, record, line.

    One row per ALT allele when `split_multiallelic` (default); otherwise `alt` is a tuple of
    every ALT. Records without ALT ('.') are kept with alt None so callers can report them.
    """
    import pandas as pd

    rows = []
    for a in iter_vcf(path, errors=errors, split_multiallelic=split_multiallelic):
        alt = a.alt
        if not split_multiallelic:
            alt = tuple(alt.split(",")) if alt else ()
        rows.append((a.chrom, a.pos, a.id, a.ref, alt, a.allele or None, a.record, a.line))
    df = pd.DataFrame(rows, columns=VCF_COLUMNS)
    if split_multiallelic:
        df["allele"] = df["allele"].fillna(0).astype(int)
    return df
