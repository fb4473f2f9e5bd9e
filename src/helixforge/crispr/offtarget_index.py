"""The off-target index: every PAM-adjacent site of a genome, 2-bit encoded, on disk.

    idx = build_index("ecoli.fna.gz", "spcas9", out="ecoli.spcas9.idx")   # once (seconds)
    idx = OfftargetIndex.load("ecoli.spcas9.idx", genome="ecoli.fna.gz")   # checked against it

The index enumerates, once, every site of the genome on both strands whose PAM matches one of
the enzyme's off-target PAMs (SpCas9: NGG, NAG, NGA) and stores its protospacer 2-bit encoded
in a uint64 (A0 C1 G2 T3, first base in the high bits), with contig, position, strand, PAM and
flags, as numpy arrays (memory-mapped when loaded), plus per-seed-part bucket tables (a
counting sort of each part's bits) that `offtarget_search` looks candidates up in.

On disk: a directory of .npy arrays and ``index.json`` (format, enzyme, PAMs, contigs, the
genome's path, size, mtime and sha256). It is built in a staging directory beside the final
path and swapped in with `core.io.replace_dir` (an existing index is renamed aside, never
deleted first); opening runs `core.io.recover_dir`, so a crash during the swap leaves the old
index usable. A build killed before the swap keeps its staging directory, and
`build_index(..., resume=True)` continues it from its last finished contig
(`crispr.offtarget_build`). `check_genome` refuses an index built for another genome.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr.enzymes import Enzyme, pam_code_matcher
from helixforge.crispr.offtarget_genome import check_genome

INDEX_FORMAT = 1
SEED_MAX = 10  # nt per seed part: bucket tables of 4**10 entries
ARRAYS = ("codes", "contig_ids", "positions", "flags", "pam_codes", "n_sites", "n_masks")
FLAG_MINUS, FLAG_SOFT, FLAG_N = 1, 2, 4


def seed_parts(spacer_length: int) -> list[tuple[int, int]]:
    """Seed parts [start, end) over the protospacer: as few as possible, each ≤ SEED_MAX nt."""
    p = -(-spacer_length // SEED_MAX)
    base, extra = divmod(spacer_length, p)
    out, s = [], 0
    for k in range(p):
        e = s + base + (1 if k < extra else 0)
        out.append((s, e))
        s = e
    return out


def encode_rows(mat: np.ndarray) -> np.ndarray:
    """(n, k) uint8 base codes (0-3) → (n,) uint64, first column in the high bits."""
    out = np.zeros(len(mat), dtype=np.uint64)
    for j in range(mat.shape[1]):
        out = (out << np.uint64(2)) | (mat[:, j] & 3).astype(np.uint64)
    return out


def _gather_codes(codes: np.ndarray, starts: np.ndarray, length: int):
    """2-bit codes of the `length`-mers at `starts` (first base high) and their N masks (01 at
    each non-ACGT position), one column at a time (no (n, length) temporaries)."""
    code = np.zeros(len(starts), dtype=np.uint64)
    nmask = np.zeros(len(starts), dtype=np.uint64)
    two = np.uint64(2)
    for j in range(length):
        col = codes[starts + j]
        code = (code << two) | (col & 3).astype(np.uint64)
        nmask = (nmask << two) | (col > 3).astype(np.uint64)
    return code, nmask


def stable_key_order(keys: np.ndarray, bits: int) -> np.ndarray:
    """Stable argsort of non-negative integer keys by LSD radix passes of ≤ 16 bits."""
    order = np.arange(len(keys))
    for shift in range(0, bits, 16):
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
    return order


def decode_codes(codes: np.ndarray, length: int) -> np.ndarray:
    """(n,) uint64 2-bit codes → (n, length) uint8 base codes."""
    shifts = np.arange(2 * (length - 1), -1, -2, dtype=np.uint64)
    arr = np.asarray(codes, dtype=np.uint64)[:, None] >> shifts[None, :]
    return (arr & np.uint64(3)).astype(np.uint8)


# ---------------------------------------------------------------------- the index


@dataclass
class OfftargetIndex:
    """Every off-target-PAM site of a genome, 2-bit encoded, with seed bucket tables."""

    meta: dict
    arrays: dict[str, np.ndarray]
    seeds: list[tuple[np.ndarray, np.ndarray]]  # per part: (order of site indices, offsets)
    path: Path | None = None
    _pam_luts: dict = field(default_factory=dict, repr=False)

    @property
    def enzyme(self) -> Enzyme:
        e = self.meta["enzyme"]
        return Enzyme(name=e["name"], pams=tuple(e["pams"]), spacer_length=e["spacer_length"],
                      pam_side=e["pam_side"], cut_offsets=tuple(e["cut_offsets"]),
                      offtarget_pams=tuple(self.meta["search_pams"]),
                      context_upstream=e["context_upstream"],
                      context_downstream=e["context_downstream"])  # fmt: skip

    @property
    def n_sites(self) -> int:
        return int(self.meta["n_sites"])

    @property
    def contigs(self) -> list[str]:
        return list(self.meta["contigs"])

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(name)

    @classmethod
    def build(cls, genome, enzyme: str | Enzyme = "spcas9", pams: Sequence[str] | None = None,
              chunk_sites: int = 2_000_000, quiet: bool = True) -> OfftargetIndex:  # fmt: skip
        """Enumerate and encode every site in memory (~45 bytes per genome base at the peak: for
        a large genome use `build_index(out=...)`, which writes the index as it is made)."""
        from helixforge.crispr.offtarget_build import COLUMNS, build_sites, seed_tables

        t0 = time.perf_counter()
        cols: dict[str, list[np.ndarray]] = {k: [] for k in COLUMNS}
        nmasks: list[np.ndarray] = []

        def emit(columns: dict[str, np.ndarray], nmask: np.ndarray) -> None:
            for k, values in columns.items():
                cols[k].append(values)
            nmasks.append(nmask)

        meta = build_sites(genome, enzyme, pams, emit, quiet=quiet, chunk_sites=chunk_sites)
        arr = {
            k: np.concatenate(v) if v else np.zeros(0, dtype=COLUMNS[k]) for k, v in cols.items()
        }
        nmask = np.concatenate(nmasks) if nmasks else np.zeros(0, dtype=np.uint64)
        has_n = (arr["flags"] & FLAG_N) > 0
        arr["n_sites"] = np.flatnonzero(has_n).astype(np.int64)
        arr["n_masks"] = nmask[has_n]
        seeds = seed_tables(arr["codes"], arr["flags"], meta["enzyme"]["spacer_length"])
        meta.update(n_sites=int(len(arr["codes"])), n_sites_with_n=int(has_n.sum()),
                    build_seconds=round(time.perf_counter() - t0, 3))  # fmt: skip
        return cls(meta=meta, arrays=arr, seeds=seeds)

    def save(self, out: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the index directory: built beside `out`, then swapped in (`replace_dir`).

        An existing directory at `out` is replaced only when it is an off-target index (or
        empty), and an existing index only with `overwrite`.
        """
        from helixforge.core.io import replace_dir

        dest = Path(out)
        stage = fresh_stage(dest, overwrite)
        for k in ARRAYS:
            np.save(stage / f"{k}.npy", np.ascontiguousarray(self.arrays[k]))
        for i, (order, offsets) in enumerate(self.seeds):
            np.save(stage / f"seed{i}_order.npy", order)
            np.save(stage / f"seed{i}_offsets.npy", offsets)
        write_meta(stage, self.meta)
        replace_dir(stage, dest)
        self.path = dest
        return dest

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = True, genome=None) -> OfftargetIndex:
        """Open an index directory (arrays memory-mapped: opening is instant, pages load on use).

        With `genome` (a FASTA path), the index must have been built from that genome."""
        from helixforge.core.io import recover_dir

        p = Path(path)
        recover_dir(p)
        meta_path = p / "index.json"
        if not meta_path.is_file():
            from helixforge.core.artifacts import refuse_foreign

            # a model run, a checkpoint, a prior …: say what it is and which verb takes it
            refuse_foreign(p, "an off-target index", "build one with `helix crispr index`")
            raise InputError(
                f"{p}: not an off-target index (no index.json)",
                hint="build one with `helix crispr index GENOME --enzyme spcas9 --out DIR`",
            )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            meta["seed_parts"], meta["contigs"], meta["enzyme"]["spacer_length"]  # noqa: B018
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{meta_path}: corrupt off-target index metadata ({exc})",
                             hint="rebuild the index with `helix crispr index … --overwrite`") from None  # fmt: skip
        if meta.get("format") != INDEX_FORMAT:
            raise InputError(f"{p}: index format {meta.get('format')} is not {INDEX_FORMAT}",
                             hint="rebuild the index")  # fmt: skip
        check_genome(meta, genome, p)
        mode = "r" if mmap else None

        def npy(name: str, mm=mode):
            f = p / f"{name}.npy"
            try:
                return np.load(f, mmap_mode=mm, allow_pickle=False)
            except (OSError, ValueError, EOFError) as exc:
                raise InputError(f"{f}: missing, truncated or corrupt index file ({exc})",
                                 hint="rebuild the index with `helix crispr index … --overwrite`") from None  # fmt: skip

        arrays = {k: npy(k) for k in ARRAYS}
        seeds = [(npy(f"seed{i}_order"), npy(f"seed{i}_offsets", None))
                 for i in range(len(meta["seed_parts"]))]  # fmt: skip
        n = int(meta.get("n_sites", -1))
        bad = [k for k in ARRAYS[:5] if len(arrays[k]) != n]
        bad += [f"seed{i}_order" for i, (o, _) in enumerate(seeds) if len(o) > n]
        if bad:
            raise InputError(f"{p}: index files {', '.join(bad)} do not hold {n} sites (truncated?)",
                             hint="rebuild the index with `helix crispr index … --overwrite`")  # fmt: skip
        return cls(meta=meta, arrays=arrays, seeds=seeds, path=p)

    def pam_lut(self, pams: Sequence[str] | None) -> np.ndarray:
        """A lookup table PAM code → searched, for `pams` (default: every indexed PAM)."""
        key = tuple(pams) if pams else tuple(self.meta["search_pams"])
        if key not in self._pam_luts:
            if pams:
                covered = pam_code_matcher(self.meta["search_pams"], self.enzyme.pam_length)
                asked = pam_code_matcher(key, self.enzyme.pam_length)
                if (asked & ~covered).any():
                    raise ConfigError(
                        f"PAMs {', '.join(key)} are not all covered by this index (built for "
                        f"{', '.join(self.meta['search_pams'])})",
                        hint="rebuild the index with --pams listing every PAM to search",
                    )
            self._pam_luts[key] = pam_code_matcher(key, self.enzyme.pam_length)
        return self._pam_luts[key]

    def search_one(self, spacer_code: int, max_mismatches: int, pam_lut: np.ndarray):
        """Site indices and mismatch counts of every site within `max_mismatches` of a spacer."""
        from helixforge.crispr.offtarget_search import search_sites

        return search_sites(self, spacer_code, max_mismatches, pam_lut)


_NUCLEOTIDE_BYTES = np.zeros(256, dtype=bool)
_NUCLEOTIDE_BYTES[np.frombuffer(b"ACGTURYSWKMBDHVNacgturyswkmbdhvn", dtype=np.uint8)] = True


_U_BYTES = np.frombuffer(b"Uu", dtype=np.uint8)
_AMBIGUOUS_BYTES = np.frombuffer(b"RYSWKMBDHVryswkmbdhv", dtype=np.uint8)


def _alphabet_notes(raw: np.ndarray, contig: str) -> list[str]:
    """What the index did with letters other than A C G T N in a contig, for the user: U (an
    RNA-alphabet FASTA) is read as T; a site over an IUPAC ambiguity code is kept as a site
    with N (that base counts as a mismatch in the search, as N does)."""
    out = []
    n_u = int(np.isin(raw, _U_BYTES).sum())
    if n_u:
        out.append(f"contig {contig}: {n_u:,} U (RNA alphabet) read as T")
    n_amb = int(np.isin(raw, _AMBIGUOUS_BYTES).sum())
    if n_amb:
        out.append(
            f"contig {contig}: {n_amb:,} IUPAC ambiguity code(s) (R, Y, K, …) read as N; "
            "sites over them are kept, that base counted as a mismatch"
        )
    return out


def _check_bases(raw: np.ndarray, contig: str, source) -> None:
    """Refuse a contig holding characters that are not nucleotide codes (digits, spaces, '*',
    '-' …): sites over them would be skipped silently, as if they were N."""
    bad = np.flatnonzero(~_NUCLEOTIDE_BYTES[raw])
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"{source}: contig {contig}, position {i + 1:,}: {chr(raw[i])!r} is not a "
            f"nucleotide code ({len(bad):,} such character(s) in {contig})",
            hint="sequence lines hold only bases (A C G T, N and IUPAC codes); remove numbers, "
            "spaces or gaps (e.g. GenBank ORIGIN numbering pasted into a FASTA)",
        )


def check_index_destination(dest: str | os.PathLike, overwrite: bool = False) -> None:
    """Refuse to replace anything at `dest` but an off-target index (or an empty directory),
    and an existing index unless `overwrite`."""
    dest = Path(dest)
    if (dest / "index.json").exists() and not overwrite:
        raise ConfigError(
            f"--out {dest} already holds an off-target index",
            hint="pass --overwrite (overwrite=True) to replace it, or choose another path",
        )
    if dest.exists() and (
        not dest.is_dir() or (any(dest.iterdir()) and not (dest / "index.json").exists())
    ):
        raise InputError(
            f"{dest}: exists and is not an off-target index; not replacing it",
            hint="choose another --out path",
        )


def build_index(genome, enzyme: str | Enzyme = "spcas9", out: str | os.PathLike | None = None,
                pams: Sequence[str] | None = None, quiet: bool = True,
                overwrite: bool = False, resume: bool = False,
                log: Callable[[str], None] | None = None) -> OfftargetIndex:  # fmt: skip
    """Build the off-target index of a genome FASTA(.gz) for an enzyme; write it to `out` if given.

    The index covers the enzyme's off-target PAMs (or `pams`) and serves any number of
    mismatches at search time. With `out`, the index is written as it is made, in memory that
    follows the largest contig rather than the genome (`crispr.offtarget_build`), in a staging
    directory swapped in when complete: an existing index at `out` is replaced (atomically)
    only with `overwrite`. Without `out` it is built in memory.

    `resume`: continue a build that was interrupted (killed, out of memory, Ctrl-C) from its
    last contig checkpoint in the staging directory, if its genome (sha256), enzyme and PAMs
    are these (else a ConfigError names what changed); with nothing to resume it starts
    afresh, and on a finished index it says the index is complete. Without `resume`, an
    interrupted build's staging directory is discarded. `log(message)` tells which happened.
    """
    if out is None:
        if resume:
            raise ConfigError("resume needs out: an index built in memory has nothing to resume")
        return OfftargetIndex.build(genome, enzyme, pams=pams, quiet=quiet)
    from helixforge.core.io import (
        discard_stage_on_refusal,
        recover_dir,
        refuse_resume_of_finished,
        replace_dir,
        staging_path,
    )
    from helixforge.core.supervised import RESUME_FILE, prepare_resume_stage
    from helixforge.crispr.offtarget_build import (
        PROGRESS_FILE,
        genome_record,
        load_progress,
        resume_key,
        write_index_files,
    )

    dest = Path(out)
    recover_dir(dest)
    if resume and not overwrite:  # a finished index with no interrupted build beside it
        refuse_resume_of_finished(dest)
    check_index_destination(dest, overwrite)
    identity = genome_record(genome)  # one read of the file: for the key and index.json
    key = resume_key(identity, enzyme, pams)
    dest.parent.mkdir(parents=True, exist_ok=True)
    resumed = resume and staging_path(dest).exists()
    stage = prepare_resume_stage(dest, key, resume, log)
    with discard_stage_on_refusal(stage, keep=resumed):
        done = load_progress(stage) if resumed else None
        if log and resumed:
            sorted_parts = int(done.get("sorted_parts", 0)) if done else 0
            then = (
                f"{sorted_parts} seed table part(s) were sorted too; sorting the rest"
                if sorted_parts
                else "indexing the rest, then the seed tables"
            )
            log(f"{len(done['contigs']) if done else 0:,} contig(s) were indexed before the "
                f"interruption; {then}")  # fmt: skip
        meta = write_index_files(genome, enzyme, pams, stage, quiet=quiet, identity=identity)
        write_meta(stage, meta)
        for name in (PROGRESS_FILE, RESUME_FILE):  # the build's bookkeeping, not the index's
            (stage / name).unlink(missing_ok=True)
    replace_dir(stage, dest)
    idx = OfftargetIndex.load(dest)
    idx.meta["build_seconds"] = meta["build_seconds"]
    idx.meta["resumed_contigs"] = len(done["contigs"]) if done else 0
    return idx


def fresh_stage(dest: Path, overwrite: bool) -> Path:
    """The empty staging directory beside `dest` an index is written into before the swap
    (an interrupted swap recovered, the destination checked, a killed build's stage removed)."""
    from helixforge.core.io import recover_dir, staging_path

    recover_dir(dest)
    check_index_destination(dest, overwrite)
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = staging_path(dest)
    shutil.rmtree(stage, ignore_errors=True)  # a stale stage from a killed build
    stage.mkdir()
    return stage


def write_meta(stage: Path, meta: dict) -> None:
    """index.json (what the index holds: the same bytes for the same genome and options) and
    timings.json (how long the build took)."""
    from helixforge.core.artifacts import RunDir

    stable = {k: v for k, v in meta.items() if k not in ("build_seconds", "resumed_contigs")}
    (stage / "index.json").write_text(json.dumps(stable, indent=1), encoding="utf-8")
    if "build_seconds" in meta:
        RunDir(stage, create=False).save_timing(build_seconds=meta["build_seconds"])


def check_index_path(index, option: str = "--index") -> None:
    """`ConfigError` unless `index` (a path) is an existing directory: a missing index or a
    genome FASTA given to --index is named as such (an OfftargetIndex object passes)."""
    if index is None or not isinstance(index, str | os.PathLike):
        return
    from helixforge.core.errors import ConfigError

    p = Path(index)
    if not p.exists():
        raise ConfigError(
            f"{option} {p}: off-target index not found",
            hint="build one with `helix crispr index GENOME.fa -o DIR`, or search a genome "
            "directly with --genome",
        )
    if not p.is_dir():
        raise ConfigError(
            f"{option} {p} is a file; an off-target index is a directory",
            hint="a genome FASTA goes to --genome; --index takes the directory written by "
            "`helix crispr index`",
        )


def open_index(genome, enzyme: str | Enzyme = "spcas9", pams: Sequence[str] | None = None,
               check_against=None, quiet: bool = True) -> OfftargetIndex:  # fmt: skip
    """An index from an OfftargetIndex, an index directory, or a genome (built in memory).

    `check_against`: a genome FASTA the index must have been built from (see `check_genome`)."""
    if isinstance(genome, OfftargetIndex):
        check_genome(genome.meta, check_against, genome.path)
        return genome
    if isinstance(genome, str | os.PathLike):
        from helixforge.core.io import recover_dir

        recover_dir(genome)  # a swap interrupted by a crash: the old index comes back
    if isinstance(genome, str | os.PathLike) and Path(genome).is_dir():
        return OfftargetIndex.load(genome, genome=check_against)
    check_memory_for_build(genome)
    return OfftargetIndex.build(genome, enzyme, pams=pams, quiet=quiet)


# Peak memory of an index built in memory (benchmarks/results/crispr.md, "Index build memory"):
# ~45 bytes per genome base over a fixed ~0.4 GB (1.3 GB for 20 Mb, 4.5 GB for 100 Mb).
BUILD_BYTES_PER_BASE, BUILD_BASE_BYTES = 45, 400 * 2**20


def check_memory_for_build(genome) -> None:
    """Refuse, before any work, to index in memory a genome that needs more memory than this
    machine has available (a human genome: ~140 GB), pointing to `helix crispr index`, which
    writes the index as it is made in memory that follows the largest contig."""
    from helixforge.crispr.targets import open_genome

    if not isinstance(genome, str | os.PathLike):
        return
    bases = sum(open_genome(genome).lengths.values())
    need = BUILD_BASE_BYTES + BUILD_BYTES_PER_BASE * bases
    avail = available_memory()
    if avail is not None and need > avail:
        raise ConfigError(
            f"{genome}: indexing this {bases / 1e6:,.0f} Mb genome in memory for the off-target "
            f"search needs ~{need / 2**30:,.1f} GB; {avail / 2**30:,.1f} GB is available",
            hint=f"build the index once on disk (`helix crispr index {genome} -o genome.idx`, "
            "memory follows the largest contig) and pass it with --index genome.idx",
        )


def available_memory() -> int | None:
    """Bytes of memory available to new work (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
