"""`Genome`: indexed random access to a genome FASTA (plain, BGZF or plain gzip) via pyfaidx.

Index trust: a `.fai` is used only when it matches the FASTA. It is rebuilt when it is older
than the FASTA, unreadable, or inconsistent with the file's layout (a genome rewrapped or
replaced after its index was built, even with an older timestamp): `stale_index_reason` checks
each record's line layout at the offsets the index gives. The rebuilt index replaces the old
one atomically beside the FASTA, or goes to ``$HELIX_CACHE/genomes/fai/`` when that directory
is read-only. `Genome.notes` says what was done.

A BGZF file without its end-of-file block (truncated) or a damaged compressed stream is an
`InputError` naming the file, never a `struct.error`.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import numbers
import os
import re
import shutil
import struct
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from helixforge.core.errors import ConfigError, EmptyInputError, InputError
from helixforge.core.io import check_bgzf_eof, is_gzip
from helixforge.dna.io.genome_text import (
    index_error,
    normalized_copy,
    plain_copy_reason,
    uneven_lines,
)
from helixforge.dna.sequence import reverse_complement

_STREAM_ERRORS = (EOFError, zlib.error, struct.error, OSError, ValueError)
_WHITESPACE = re.compile(r"\s")


def genome_cache_dir() -> Path:
    """Where decompressed copies and indexes for read-only locations are kept (below the data
    cache, `core.io.data_cache_root`)."""
    from helixforge.core.io import data_cache_root

    return data_cache_root() / "genomes"


def is_bgzf(path: str | os.PathLike) -> bool:
    """True when the file starts with a BGZF block header (gzip with the 'BC' extra field)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(18)
    except OSError:
        return False
    return (
        len(head) >= 16 and head[:2] == b"\x1f\x8b" and bool(head[3] & 4) and head[12:14] == b"BC"
    )


def _decompressed_copy(path: Path) -> Path:
    """Plain-gzip FASTA → a decompressed copy in the cache (made once per path, size, mtime)."""
    from helixforge.core.io import atomic_file

    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    dest = genome_cache_dir() / key[:16] / name
    if dest.exists():
        return dest
    import gzip

    try:
        with atomic_file(dest) as tmp, gzip.open(path, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(
            f"{path}: the compressed genome is truncated or corrupt ({type(exc).__name__})",
            hint="re-download or re-compress the file (gzip -t FILE checks it)",
        ) from None
    return dest


def stale_index_reason(fasta: str | os.PathLike, fai: str | os.PathLike) -> str | None:
    """Why the `.fai` does not describe `fasta` (None when it does).

    Checks the timestamps, the index format, and — for uncompressed files — that each record's
    first sequence line has the length the index says and that the last record ends the file.
    """
    fasta, fai = Path(fasta), Path(fai)
    if fai.stat().st_mtime < fasta.stat().st_mtime:
        return "the index is older than the FASTA"
    entries = []
    try:
        for line in fai.read_text(encoding="utf-8").splitlines():
            if line.strip():
                name, rlen, offset, bases, width = line.split("\t")[:5]
                entries.append((name, int(rlen), int(offset), int(bases), int(width)))
    except (ValueError, UnicodeDecodeError):
        return "the index is unreadable"
    if not entries:
        return "the index is empty"
    if is_gzip(fasta):
        return None  # offsets are into the uncompressed stream; timestamps decide
    size = fasta.stat().st_size
    last_end = 0
    with open(fasta, "rb") as fh:
        for name, rlen, offset, bases, width in entries:
            if rlen == 0:
                continue
            if bases <= 0 or width < bases or offset > size:
                return f"record {name}: the index layout does not fit the file"
            fh.seek(max(0, offset - 1))
            before = fh.read(1)
            first = fh.read(min(rlen, bases) + (width - bases if rlen > bases else 0))
            if offset > 0 and before != b"\n":
                return f"record {name}: its sequence does not start where the index says"
            body, eol = first[: min(rlen, bases)], first[min(rlen, bases) :]
            if b"\n" in body or b">" in body or (rlen > bases and eol.strip(b"\r\n")):
                return f"record {name}: its line length differs from the index"
            end = offset + (rlen // bases) * width + rlen % bases
            if end > size:
                return f"record {name}: ends past the end of the file"
            last_end = max(last_end, end)
        fh.seek(last_end)
        if fh.read(4096).strip():
            return "the file continues after the last indexed record"
    return None


def _gzi_for(fasta: Path) -> str | None:
    """Where pyfaidx keeps the BGZF block index (.gzi) of `fasta` (None: not BGZF): beside the
    file when one is there and current or the folder is writable, else in the cache (pyfaidx
    wrote it beside the file, and a bgzip genome in a read-only folder was refused as
    'could not be indexed')."""
    if not is_bgzf(fasta):
        return None
    beside = Path(f"{fasta}.gzi")
    current = beside.exists() and beside.stat().st_mtime >= fasta.stat().st_mtime
    if current or (
        os.access(fasta.parent, os.W_OK) and (not beside.exists() or os.access(beside, os.W_OK))
    ):
        return str(beside)
    key = hashlib.sha256(f"{fasta.resolve()}".encode()).hexdigest()[:16]
    cache = genome_cache_dir() / "fai" / f"{key}.gzi"
    cache.parent.mkdir(parents=True, exist_ok=True)
    return str(cache)


def _rebuild_index(fasta: Path, fai: Path) -> None:
    """Build a fresh index beside `fai` and rename it into place (never a half-written index)."""
    from pyfaidx import Faidx

    fai.parent.mkdir(parents=True, exist_ok=True)
    tmp = fai.with_name(f".{fai.name}.{os.getpid()}.tmp")
    try:
        Faidx(
            str(fasta),
            indexname=str(tmp),
            build_index=True,
            rebuild=True,
            gzi_indexname=_gzi_for(fasta),
        ).close()
        os.replace(tmp, fai)
    finally:
        if tmp.exists():
            tmp.unlink()


def _index_for(fasta: Path, notes: list[str]) -> Path:
    """The `.fai` to open: beside the FASTA when usable/writable, else in the cache; stale ones
    are rebuilt first."""
    beside = Path(f"{fasta}.fai")
    cache = (
        genome_cache_dir()
        / "fai"
        / (hashlib.sha256(str(fasta.resolve()).encode()).hexdigest()[:16] + ".fai")
    )
    writable = os.access(fasta.parent, os.W_OK)
    candidates = ([beside] if beside.exists() or writable else []) + [cache]
    for fai in candidates:
        if not fai.exists():
            # pyfaidx builds it, but makes no folder: a first genome read from a read-only
            # directory failed with 'may not be writable' while the cache folder was missing
            fai.parent.mkdir(parents=True, exist_ok=True)
            return fai
        reason = stale_index_reason(fasta, fai)
        if reason is None:
            return fai
        if fai == beside and not (writable and os.access(fai, os.W_OK)):
            continue
        _rebuild_index(fasta, fai)
        notes.append(f"rebuilt the stale index {fai} ({reason})")
        return fai
    return cache


class ContigNames:
    """Closest-name suggestions for a missing contig that stay cheap on assemblies with very many
    scaffolds. Up to `SMALL` names, difflib looks at every name (as before); above that it looks
    only at the names next to the query in case-folded sorted order, forwards and backwards
    (those sharing its longest prefix or suffix: 'scafold_1234' finds 'scaffold_1234'), for the
    query and its chr-prefix / Ensembl spellings. The sorted lists are built on the first
    suggestion asked for, never by `in`, `.get` or a successful lookup."""

    SMALL = 5000
    NEIGHBOURS = 40  # names taken on each side of each insertion point

    def __init__(self, names: Iterator[str] | list[str]):
        self.names = list(names)
        self._sorted: tuple[list[str], list[str], list[str], list[str]] | None = None

    def _index(self) -> tuple[list[str], list[str], list[str], list[str]]:
        if self._sorted is None:
            fwd = sorted((name.lower(), name) for name in self.names)
            rev = sorted((name.lower()[::-1], name) for name in self.names)
            self._sorted = (
                [k for k, _ in fwd],
                [v for _, v in fwd],
                [k for k, _ in rev],
                [v for _, v in rev],
            )
        return self._sorted

    def closest(self, name: str, n: int = 5, cutoff: float = 0.4) -> list[str]:
        """Up to `n` names like `name` (difflib ratio ≥ `cutoff`), best first."""
        import bisect

        if len(self.names) <= self.SMALL:
            return difflib.get_close_matches(name, self.names, n=n, cutoff=cutoff)
        fwd_keys, fwd, rev_keys, rev = self._index()
        pool: dict[str, None] = {}
        k = self.NEIGHBOURS
        for query in dict.fromkeys([name, *contig_aliases(name)]):
            low = query.lower()
            i = bisect.bisect_left(fwd_keys, low)
            pool.update(dict.fromkeys(fwd[max(0, i - k) : i + k]))
            j = bisect.bisect_left(rev_keys, low[::-1])
            pool.update(dict.fromkeys(rev[max(0, j - k) : j + k]))
        return difflib.get_close_matches(name, list(pool), n=n, cutoff=cutoff)


class Genome(Mapping[str, str]):
    """Indexed, read-only access to the contigs of a genome FASTA.

    `fetch(chrom, start, end, strand)` gives 0-based half-open slices (reverse complemented on
    '-'); `genome[chrom]` / `sequence(chrom)` a whole contig; `lengths`, `contigs`; contig names
    resolve chr-prefix / Ensembl spellings. Sequences are upper-case unless `keep_case=True`
    (lowercase = soft-masked). A plain-gzip file is decompressed once into the cache.
    """

    def __init__(self, path: str | os.PathLike, keep_case: bool = False):
        from pyfaidx import FastaIndexingError

        from helixforge.lm.inputs import as_path

        self.path = as_path(path, "genome")
        if not self.path.exists():
            raise InputError(f"{self.path}: genome FASTA not found", hint="check the path")
        if self.path.is_dir():
            raise InputError(f"{self.path}: is a directory, expected a genome FASTA file")
        from helixforge.core.io import refuse_not_text

        refuse_not_text(self.path)  # UTF-16 / zeroed / binary: pyfaidx named a cache copy
        self.keep_case = keep_case
        self.notes: list[str] = []
        self._normalised = False  # reading a normalised copy (genome_text.normalized_copy)
        target = self.path
        if is_bgzf(self.path):
            check_bgzf_eof(self.path)
            self.notes.append(f"{self.path} is bgzip-compressed; read directly")
        elif is_gzip(self.path):
            target = _decompressed_copy(self.path)
            self.notes.append(f"{self.path} is plain gzip; reading a decompressed copy at {target}")
        if not is_bgzf(target) and (why := plain_copy_reason(target)):
            target = normalized_copy(target, genome_cache_dir())
            self.notes.append(f"{self.path}: {why}; reading a normalised copy at {target}")
            self._normalised = True
        self._source = target  # what a normalised copy is made from, if one is needed later
        try:
            self._open(target)
        except (FastaIndexingError, *_STREAM_ERRORS) as exc:
            if isinstance(exc, UnicodeDecodeError) and not self._normalised:
                # pyfaidx decodes every line as UTF-8: a Latin-1 'é' in a header stops it
                self._normalise("a '>' header or ';' comment line is not UTF-8 (read as Latin-1)")
            elif isinstance(exc, FastaIndexingError) and uneven_lines(exc):
                self._normalise("its lines are of uneven length within a record")
            else:
                raise index_error(self.path, exc) from None
        if not self._normalised and (name := self._record_with_whitespace()):
            self._normalise(f"record {name} has spaces or tabs in its sequence lines")
        self._names: ContigNames | None = None  # built when a missing name needs suggestions
        if not self.lengths:
            raise EmptyInputError(f"{self.path}: genome FASTA has no records")
        if not any(self.lengths.values()):  # '>chr1' lines only: 0 sites, 0 genes, exit 0
            self.close()
            raise EmptyInputError(
                f"{self.path}: genome FASTA has no bases: its {len(self.lengths)} record(s) "
                f"({', '.join(list(self.lengths)[:3])}{', …' if len(self.lengths) > 3 else ''}) "
                "are '>' header lines with no sequence lines below them",
                hint="give the genome FASTA with its sequences (was the file cut short?)",
            )

    def _open(self, target: Path) -> None:
        """Index (or reuse the index of) `target` and open it."""
        from pyfaidx import Fasta

        fai = _index_for(target, self.notes)
        self.gzi_path = _gzi_for(target)  # BGZF block index (None for plain text)
        existed = fai.exists()

        def open_with(index: Path, rebuild: bool = True):
            return Fasta(
                str(target),
                indexname=str(index),
                gzi_indexname=self.gzi_path,
                sequence_always_upper=not self.keep_case,
                as_raw=True,
                rebuild=rebuild,
            )

        self._fa = open_with(fai)
        if existed and self.gzi_path is not None and (why := self._bgzf_index_problem()):
            # a .fai newer than the bgzip file but not of it (copied from another version):
            # the timestamps passed it, and reads failed as 'truncated or corrupt' or gave
            # other bases. Rebuilt in place, or in the cache when it may not be replaced.
            self._fa.close()
            if not (os.access(fai.parent, os.W_OK) and os.access(fai, os.W_OK)):
                key = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:16]
                fai = genome_cache_dir() / "fai" / f"{key}.fai"
                if fai.exists() and fai.stat().st_mtime >= target.stat().st_mtime:
                    self._fa = open_with(fai, rebuild=False)  # rebuilt by an earlier opening
                    if self._bgzf_index_problem() is None:
                        self.fasta_path, self.index_path = target, fai
                        self.lengths = {n: len(r) for n, r in self._fa.records.items()}
                        return
                    self._fa.close()
            _rebuild_index(target, fai)
            self.notes.append(f"rebuilt the stale index {fai} ({why})")
            self._fa = open_with(fai, rebuild=False)
        self.fasta_path, self.index_path = target, fai
        self.lengths = {name: len(rec) for name, rec in self._fa.records.items()}

    def _bgzf_index_problem(self, limit: int = 2_000) -> str | None:
        """Why the .fai does not describe this bgzip file (None when it does): for the first
        `limit` records, the byte before each record's bases must end its '>' line and its
        first line must be bases of the indexed length (`stale_index_reason` for plain files)."""
        import bisect

        from Bio.bgzf import make_virtual_offset

        fx = self._fa.faidx

        def read(offset: int, n: int) -> bytes:
            k = bisect.bisect_left(fx.gzi_index, offset)
            block = fx.gzi_index[k if k == 0 else k - 1]
            fx.file.seek(make_virtual_offset(block.cstart, offset - block.ustart))
            return fx.file.read(n)

        try:
            for name, rec in itertools.islice(fx.index.items(), limit):
                if rec.rlen == 0:
                    continue
                width = min(rec.rlen, rec.lenc)
                raw = read(max(0, rec.offset - 1), width + 1 + (rec.lenb - rec.lenc))
                before, body, eol = raw[:1], raw[1 : width + 1], raw[width + 1 :]
                if rec.offset > 0 and before != b"\n":
                    return f"record {name}: its sequence does not start where the index says"
                if len(body) < width or b"\n" in body or b">" in body:
                    return f"record {name}: its line length differs from the index"
                if rec.rlen > rec.lenc and eol.strip(b"\r\n"):
                    return f"record {name}: its line length differs from the index"
        except (*_STREAM_ERRORS, IndexError) as exc:
            return f"it points outside the file ({type(exc).__name__})"
        return None

    def _record_with_whitespace(self, limit: int = 20_000) -> str | None:
        """The first record (of the first `limit`) whose first sequence line holds a space or a
        tab, which pyfaidx would hand back as bases (and count in the contig's length)."""
        for name, rec in itertools.islice(self._fa.faidx.index.items(), limit):
            if rec.rlen and _WHITESPACE.search(self._read_raw(name, 0, min(rec.rlen, rec.lenc))):
                return name
        return None

    def _normalise(self, why: str) -> None:
        """Switch to a normalised copy of the file (`genome_text.normalized_copy`): for layouts
        pyfaidx refuses or misreads, found at opening or on the first read that shows them."""
        from pyfaidx import FastaIndexingError

        if getattr(self, "_fa", None) is not None:
            self._fa.close()
        target = normalized_copy(self._source, genome_cache_dir())
        self.notes.append(f"{self.path}: {why}; reading a normalised copy at {target}")
        self._source, self._normalised = target, True
        try:
            self._open(target)
        except (FastaIndexingError, *_STREAM_ERRORS) as exc:
            raise index_error(self.path, exc) from None

    @property
    def source_note(self) -> str:
        """What was done to read the file (compression, index rebuilds), as one line."""
        return "; ".join(self.notes)

    @property
    def contigs(self) -> list[str]:
        return list(self.lengths)

    @property
    def total_length(self) -> int:
        return sum(self.lengths.values())

    # Mapping: exact contig names → whole sequences (compared and hashed by identity)
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __getitem__(self, chrom: str) -> str:
        if chrom not in self.lengths:
            try:
                self.resolve_contig(chrom)  # the message: closest names, aliases
            except InputError as err:
                raise ContigNotFoundError(chrom, err) from None
            raise ContigNotFoundError(
                chrom,
                InputError(
                    f"contig {chrom!r} is not a name in genome {self.path.name}, but "
                    f"{self.resolve_contig(chrom)!r} is its spelling here",
                    hint="genome[name] takes the exact names (see .contigs); fetch() and "
                    "sequence() also accept chr-prefix / Ensembl spellings",
                ),
            )
        return self.sequence(chrom)

    def __iter__(self) -> Iterator[str]:
        return iter(self.lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    def __contains__(self, chrom: object) -> bool:
        return chrom in self.lengths

    def get(self, chrom: object, default: str | None = None) -> str | None:
        """The whole contig `chrom` (an exact name) or `default`; a probe, so no closest-name
        search runs (Mapping.get built the missing-contig message every time: seconds per call
        on a 200k-scaffold assembly)."""
        return self.sequence(chrom) if chrom in self.lengths else default

    def resolve_contig(self, chrom: str, where: str = "") -> str:
        """`chrom` if present; else its chr-prefix / Ensembl spelling; else an `InputError`
        listing the closest names."""
        if not isinstance(chrom, str):
            if chrom is None or isinstance(chrom, bool) or not isinstance(chrom, numbers.Integral):
                raise InputError(
                    f"{where + ': ' if where else ''}contig name must be a string, got "
                    f"{type(chrom).__name__} {chrom!r}",
                    hint=f"pass a name such as {self.contigs[0]!r}" if self.contigs else None,
                )
            chrom = str(chrom)  # 1 for contig '1'
        if chrom in self.lengths:
            return chrom
        for alt in contig_aliases(chrom):
            if alt in self.lengths:
                return alt
        if self._names is None:
            self._names = ContigNames(self.lengths)
        close = self._names.closest(chrom)
        prefix = f"{where}: " if where else ""
        first = list(itertools.islice(self.lengths, 11))
        shown = ", ".join(first[:10]) + (" …" if len(first) > 10 else "")
        raise InputError(
            f"{prefix}contig {chrom!r} is not in genome {self.path.name}",
            hint=(f"closest names: {', '.join(close)}" if close else f"contigs are: {shown}")
            + "; check that the file and the genome use the same assembly and naming",
        )

    def length(self, chrom: str) -> int:
        return self.lengths[self.resolve_contig(chrom)]

    def _read_raw(self, name: str, start: int, end: int) -> str:
        try:
            return self._fa[name][start:end]
        except _STREAM_ERRORS as exc:
            raise InputError(
                f"{self.path}: could not read {name}:{start}-{end} ({type(exc).__name__}: {exc})",
                hint="the file may be truncated or corrupt; re-download or re-compress it",
            ) from None

    def _read(self, name: str, start: int, end: int) -> str:
        seq = self._read_raw(name, start, end)
        if not self._normalised and _WHITESPACE.search(seq):
            # spaces or tabs in sequence lines past the part `plain_copy_reason` looked at
            self._normalise(f"record {name} has spaces or tabs in its sequence lines")
            return self._read(name, start, end)
        return seq

    def fetch(self, chrom: str, start: int, end: int, strand: str = "+", where: str = "") -> str:
        """Bases [start, end) (0-based) of `chrom`; reverse complement when strand is '-'.
        start and end are integers (NumPy ones too); strand is '+' or '-'."""
        from helixforge.core.options import require_int

        prefix = f"{where}: " if where else ""
        if strand not in ("+", "-"):
            raise ConfigError(f"{prefix}strand must be '+' or '-', got {strand!r}")
        start = require_int(start, f"{prefix}start", min_value=None)
        end = require_int(end, f"{prefix}end", min_value=None)
        name = self.resolve_contig(chrom, where)
        n = self.lengths[name]
        if start < 0 or end > n or start >= end:
            raise InputError(
                f"{prefix}interval {chrom}:{start}-{end} is outside contig {name} (length {n:,}) or empty",
                hint="BED coordinates are 0-based half-open: 0 ≤ start < end ≤ contig length",
            )
        seq = self._read(name, start, end)
        return reverse_complement(seq) if strand == "-" else seq

    def sequence(self, chrom: str) -> str:
        """A whole contig as one string."""
        name = self.resolve_contig(chrom)
        return self._read(name, 0, self.lengths[name])

    def close(self) -> None:
        self._fa.close()

    def __enter__(self) -> Genome:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ContigNotFoundError(InputError, KeyError):
    """`genome[name]` for a name the genome does not have: an `InputError` whose message lists
    the closest names, and a `KeyError`, so `name in genome` and `genome.get(name)` still work
    as for any Mapping."""

    def __init__(self, chrom: str, err: InputError):
        InputError.__init__(self, err.message, hint=err.hint)
        self.chrom = chrom

    def __str__(self) -> str:  # KeyError would show repr(message)
        return InputError.__str__(self)


_MITO = ("M", "MT", "Mito")  # the mitochondrion: UCSC chrM, Ensembl / GRC MT, yeast Mito


def contig_aliases(chrom: str) -> list[str]:
    """The other spellings of `chrom`, in the order tried: with / without 'chr', and for the
    mitochondrion every one of M, MT and Mito with or without 'chr' (a VCF's MT on a genome's
    Mito, or M on MT, was 'not in the genome': only some pairs were tried)."""
    bare = chrom[3:] if chrom.lower().startswith("chr") else chrom
    names = [bare, f"chr{bare}"]
    if bare in _MITO:
        names += [n for m in _MITO for n in (m, f"chr{m}")]
    return [n for n in dict.fromkeys(names) if n != chrom]
