"""Build an off-target index on disk in bounded memory, whatever the genome's size.

A whole-genome index held in memory needs ~145 bytes per site at its peak (the columns, their
concatenation, the seed sort's temporaries): 1 GB for a 20 Mb genome, ~170 GB for a human one.
Here the index is written as it is made:

1. contig by contig, every site's columns (2-bit protospacer, contig, position, PAM, flags)
   are appended to their `.npy` files (`NpyAppender`: the header is rewritten with the final
   length at the end), so memory follows the largest contig, not the genome;
2. each seed part's bucket table is a counting sort done in chunks over the memory-mapped
   codes (`seed_tables`): one pass counts the keys, a second writes each site's index at its
   bucket's next free slot in a memory-mapped order array. Chunks are taken in site order and
   sorted stably inside, so the table is the one a whole-array stable sort gives.

The files are the ones `OfftargetIndex.save` writes for an index built in memory, byte for
byte (tested), and `OfftargetIndex.load` memory-maps them.

Resume: after a finished contig (at most one checkpoint every `CHECKPOINT_SECONDS`, and always
after the last contig) the appended files are fsynced and `progress.json` records the contigs
done, their notes and each file's row count and byte length. A build killed at any point
(kill -9, out of memory, Ctrl-C) leaves that checkpoint in the staging folder; the next build
with resume cuts each appended file back to its recorded length (a kill mid-append leaves
partial rows), skips the contigs done and goes on. Each seed part's table is checkpointed
once written (fsynced, `sorted_parts`), so a kill during the sort redoes only the parts not
yet written. The result is the uninterrupted build's bytes (tested).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

NPY_HEADER = 128  # bytes of a 1-D .npy v1.0 header, whatever its length (up to 10**40)
PROGRESS_FILE = "progress.json"  # the contig checkpoint in the staging folder
CHECKPOINT_FORMAT = 1
# Seconds of work between two contig checkpoints (each fsyncs the appended files): a genome of
# 100,000 scaffolds is not slowed by 700,000 fsyncs; a human chromosome gets one of its own.
CHECKPOINT_SECONDS = 5.0


class NpyAppender:
    """A 1-D `.npy` file written chunk by chunk; `close()` writes the final length.

    `rows`: continue a file an interrupted build left, cut back to its first `rows` values
    (what its checkpoint recorded; a kill mid-append leaves part of a chunk after them)."""

    def __init__(self, path: str | os.PathLike, dtype, rows: int | None = None) -> None:
        self.path, self.dtype, self.n = Path(path), np.dtype(dtype), 0
        if rows is None:
            self._fh = open(self.path, "wb")
            self._header(0)
            return
        from helixforge.core.errors import InputError

        want = NPY_HEADER + rows * self.dtype.itemsize
        try:
            self._fh = open(self.path, "r+b")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot reopen the interrupted build's file ({exc})",
                             hint="run without --resume to build the index afresh") from None  # fmt: skip
        size = os.fstat(self._fh.fileno()).st_size
        if size < want:  # the checkpoint promised bytes the file does not hold (a system crash?)
            self._fh.close()
            raise InputError(
                f"{self.path}: {size:,} bytes, fewer than the {want:,} its checkpoint recorded "
                f"({rows:,} rows)",
                hint="the interrupted build's files are damaged; run without --resume to build "
                "the index afresh",
            )
        self._fh.truncate(want)
        self.n = rows

    @property
    def nbytes(self) -> int:
        """The file's length once closed: header and rows."""
        return NPY_HEADER + self.n * self.dtype.itemsize

    def sync(self) -> None:
        """Flush the rows written so far to disk (before a checkpoint records them)."""
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _header(self, n: int) -> None:
        from numpy.lib import format as npy

        self._fh.seek(0)
        d = {"descr": npy.dtype_to_descr(self.dtype), "fortran_order": False, "shape": (n,)}
        npy.write_array_header_1_0(self._fh, d)
        if self._fh.tell() != NPY_HEADER:  # the data would not start where it was written
            raise RuntimeError(f"{self.path}: unexpected .npy header size {self._fh.tell()}")

    def append(self, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=self.dtype)
        self._fh.seek(0, os.SEEK_END)
        self._fh.write(values.tobytes())
        self.n += len(values)

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def close(self) -> None:
        """Write the final length into the header and make it durable: the index directory is
        swapped in next, and a header still reading 0 rows after a power loss would be an empty
        index with a complete-looking data section (review finding)."""
        self._header(self.n)
        self.sync()
        self._fh.close()

    def __enter__(self) -> NpyAppender:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._fh.close()


def seed_tables(
    codes: np.ndarray,
    flags: np.ndarray,
    spacer_length: int,
    make_order: Callable[[int, np.dtype, int], np.ndarray] | None = None,
    chunk: int = 1 << 20,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per seed part: (site indices sorted stably by the part's bits, bucket offsets), over the
    sites without N. `make_order(part, dtype, n)` gives the array the order is written into
    (a memory-mapped file for an on-disk build; default: in memory)."""
    from helixforge.crispr.offtarget_index import seed_parts

    return [seed_table(codes, flags, spacer_length, part, make_order, chunk)
            for part in range(len(seed_parts(spacer_length)))]  # fmt: skip


def seed_table(
    codes: np.ndarray,
    flags: np.ndarray,
    spacer_length: int,
    part: int,
    make_order: Callable[[int, np.dtype, int], np.ndarray] | None = None,
    chunk: int = 1 << 20,
) -> tuple[np.ndarray, np.ndarray]:
    """One seed part's (order, offsets) of `seed_tables`: a counting sort in two chunked
    passes over the codes (count the keys; write each site at its bucket's next free slot)."""
    from helixforge.crispr.offtarget_index import FLAG_N, seed_parts, stable_key_order

    n = len(codes)
    idx_dtype = np.dtype(np.uint32 if n < 2**32 else np.uint64)
    make_order = make_order or (lambda _i, dtype, size: np.empty(size, dtype=dtype))
    L = spacer_length
    s, e = seed_parts(L)[part]
    buckets = 4 ** (e - s)
    mask, shift = np.uint64(buckets - 1), np.uint64(2 * (L - e))

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for c0 in range(0, n, chunk):
            clean = np.flatnonzero((np.asarray(flags[c0 : c0 + chunk]) & FLAG_N) == 0)
            keys = (np.asarray(codes[c0 : c0 + chunk])[clean] >> shift) & mask
            yield clean + c0, keys.astype(np.int64)

    counts = np.zeros(buckets, dtype=np.int64)
    for _, keys in chunks():
        counts += np.bincount(keys, minlength=buckets)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    order = make_order(part, idx_dtype, int(offsets[-1]))
    free = offsets[:-1].copy()  # each bucket's next free slot
    for sites, keys in chunks():
        by_key = stable_key_order(keys, 2 * (e - s))
        ks = keys[by_key]
        rank = np.arange(len(ks)) - np.searchsorted(ks, ks, side="left")
        order[free[ks] + rank] = sites[by_key]
        free += np.bincount(keys, minlength=buckets)
    return order, offsets


COLUMNS = {"codes": np.uint64, "contig_ids": np.uint32, "positions": np.uint32,
           "flags": np.uint8, "pam_codes": np.uint16}  # fmt: skip
N_COLUMNS = {"n_sites": np.int64, "n_masks": np.uint64}  # the sites with an N and their masks


def search_enzyme(enzyme, pams) -> tuple:
    """(the Enzyme, its search PAMs): `pams`, or the enzyme's off-target PAMs, checked."""
    from helixforge.core.errors import ConfigError
    from helixforge.crispr.enzymes import check_pam, get_enzyme
    from helixforge.lm.inputs import as_names

    enz = get_enzyme(enzyme)
    pams = as_names(pams, "pams")  # 'NGG' is one PAM, not three one-letter ones
    pams_t = tuple(check_pam(p) for p in (pams or enz.offtarget_pams))
    if {len(p) for p in pams_t} != {enz.pam_length}:
        bad = ", ".join(f"{p} ({len(p)} nt)" for p in pams_t if len(p) != enz.pam_length)
        raise ConfigError(
            f"--pams {bad}: {enz.name}'s PAMs are {enz.pam_length} nt ({', '.join(enz.pams)})",
            hint=f"give {enz.pam_length}-nt PAMs (e.g. {', '.join(enz.offtarget_pams)}), or the "
            "enzyme these PAMs belong to with --enzyme (custom:PAM:SPACER_LENGTH[:3|5])",
        )
    return enz, pams_t


def enzyme_record(enz) -> dict:
    """The enzyme as index.json records it."""
    return {"name": enz.name, "pams": list(enz.pams), "spacer_length": enz.spacer_length,
            "pam_side": enz.pam_side, "cut_offsets": list(enz.cut_offsets),
            "context_upstream": enz.context_upstream,
            "context_downstream": enz.context_downstream}  # fmt: skip


def genome_record(genome) -> dict:
    """Path, size, mtime and sha256 of the genome's file (`genome_identity`), as index.json
    records it; sequences given in memory get a sha256 of their names and bases instead."""
    import hashlib

    from helixforge.crispr.offtarget_genome import genome_identity
    from helixforge.crispr.targets import iter_contigs, open_genome

    g = open_genome(genome)
    identity = genome_identity(genome if not hasattr(genome, "lengths") else g.path)
    if identity.get("path") is None:
        h = hashlib.sha256()
        for name, seq in iter_contigs(g):
            h.update(f">{name}\n".encode())
            h.update(seq.encode("ascii", "replace"))
        identity["sequences_sha256"] = h.hexdigest()
    return identity


def resume_key(genome_identity: dict, enzyme, pams) -> dict:
    """What an interrupted build must share with the build that continues it: the genome's
    content (its sha256; not its path or mtime — a copied or touched FASTA indexes the same),
    the enzyme and the search PAMs. The chunk sizes do not change the files and are left out."""
    from helixforge.crispr.offtarget_index import INDEX_FORMAT

    enz, pams_t = search_enzyme(enzyme, pams)
    sha = genome_identity.get("sha256") or genome_identity.get("sequences_sha256")
    return {"index_format": INDEX_FORMAT, "checkpoint_format": CHECKPOINT_FORMAT,
            "genome_sha256": sha, "enzyme": enzyme_record(enz),
            "search_pams": list(pams_t)}  # fmt: skip


def load_progress(stage: Path) -> dict | None:
    """The contig checkpoint of an interrupted build in `stage`, or None (nothing done yet)."""
    from helixforge.core.artifacts import load_json
    from helixforge.core.errors import InputError

    path = Path(stage) / PROGRESS_FILE
    if not path.exists():
        return None
    progress = load_json(path)
    if not isinstance(progress, dict) or not {"contigs", "rows", "bytes"} <= set(progress):
        raise InputError(f"{path}: not an index build checkpoint",
                         hint="run without --resume to build the index afresh")  # fmt: skip
    return progress


def build_sites(
    genome,
    enzyme,
    pams,
    emit: Callable[[dict[str, np.ndarray], np.ndarray], None],
    quiet: bool = True,
    chunk_sites: int = 2_000_000,
    *,
    done: dict | None = None,
    contig_done: Callable[[dict], None] | None = None,
    identity: dict | None = None,
) -> dict:
    """Enumerate every off-target-PAM site of `genome`, contig by contig, handing each chunk's
    columns (`COLUMNS`) and N masks to `emit(columns, nmask)`; returns the index metadata
    without the site counts and timing (the caller adds them).

    `done`: the contigs an interrupted build finished (`contigs`, `lengths`, `notes` of its
    checkpoint): they are skipped, unread. `contig_done(state)` is called after each contig
    with the contigs, lengths and notes so far. `identity`: the genome's `genome_record`,
    when the caller has it (its sha256 reads the whole file)."""
    from helixforge.core.errors import InputError
    from helixforge.core.progress import progress
    from helixforge.crispr.guides import scan_sites, strand_codes
    from helixforge.crispr.offtarget_genome import genome_identity
    from helixforge.crispr.offtarget_index import (
        FLAG_MINUS,
        FLAG_N,
        FLAG_SOFT,
        INDEX_FORMAT,
        _alphabet_notes,
        _check_bases,
        _gather_codes,
        seed_parts,
    )
    from helixforge.crispr.targets import case_masks, open_genome

    enz, pams_t = search_enzyme(enzyme, pams)
    g = open_genome(genome)
    if not g.lengths:
        raise InputError("the genome has no sequences")
    masked = case_masks(g)  # a genome written wholly in lowercase has no soft mask
    L, S, P = enz.spacer_length, enz.site_length, enz.pam_length
    sp_off = enz.spacer_offset_in_site()
    pam_off = L if enz.pam_side == "3prime" else 0
    names = list(g.contigs)
    contigs = list(done["contigs"]) if done else []
    lengths = list(done["lengths"]) if done else []
    notes: list[str] = list(done["notes"]) if done else []  # RNA / ambiguity letters, …
    if names[: len(contigs)] != contigs or [g.lengths[c] for c in contigs] != lengths:
        raise InputError(
            "the interrupted build's finished contigs are not this genome's first contigs",
            hint="run without --resume to build the index afresh",
        )
    with progress("indexing contigs", sum(g.lengths.values()), quiet=quiet, unit="nt") as adv:
        if lengths:
            adv(sum(lengths))
        for ci in range(len(contigs), len(names)):
            name = names[ci]
            seq = g.fetch(name, 0, g.lengths[name]) if g.lengths[name] else ""
            contigs.append(name)
            lengths.append(len(seq))
            if len(seq) >= 2**32:
                raise InputError(f"contig {name} is longer than 4.29 Gb; not supported")
            raw = np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)
            _check_bases(raw, name, getattr(g, "path", None) or "the genome dict")
            notes += _alphabet_notes(raw, name)
            codes, rc = strand_codes(seq)
            del seq
            lower = (raw >= ord("a")) & (raw <= ord("z")) & masked
            fwd, rev = scan_sites(codes, enz, pams_t, rc)
            n = len(raw)
            if not len(fwd) and not len(rev):  # listed in the index, but nothing to find
                notes.append(
                    f"contig {name} ({n:,} nt) has no {'/'.join(pams_t)} site"
                    + (f": it is shorter than a site ({S} nt)" if n < S else "")
                )
            cum_dtype = np.int32 if n < 2**31 else np.int64  # half the memory of a big contig
            for strand, starts, sc, lw in ((0, fwd, codes, lower), (1, rev, rc, lower[::-1])):
                soft_cum = np.concatenate([[0], np.cumsum(lw, dtype=cum_dtype)])
                for c0 in range(0, len(starts), chunk_sites):
                    w = starts[c0 : c0 + chunk_sites]
                    code, nmask = _gather_codes(sc, w + sp_off, L)
                    pam_code, _ = _gather_codes(sc, w + pam_off, P)
                    soft = (soft_cum[w + S] - soft_cum[w]) > 0
                    pos = w if strand == 0 else n - w - S
                    flags = (
                        (np.uint8(strand) * FLAG_MINUS)
                        | (soft * FLAG_SOFT)
                        | ((nmask > 0) * FLAG_N)
                    )
                    emit(
                        {
                            "codes": code,
                            "contig_ids": np.full(len(w), ci, dtype=np.uint32),
                            "positions": pos.astype(np.uint32),
                            "flags": flags.astype(np.uint8),
                            "pam_codes": pam_code.astype(np.uint16),
                        },
                        nmask,
                    )
                del soft_cum
            if contig_done is not None:
                contig_done({"contigs": contigs, "lengths": lengths, "notes": notes})
            adv(n)
    return {
        "format": INDEX_FORMAT, "enzyme": enzyme_record(enz),
        "search_pams": list(pams_t), "contigs": contigs, "lengths": lengths,
        "genome_bases": int(sum(lengths)), "seed_parts": seed_parts(L), "notes": notes,
        "genome": {k: v for k, v in identity.items() if k != "sequences_sha256"} if identity
        else genome_identity(genome if not hasattr(genome, "lengths") else g.path),
    }  # fmt: skip


def write_index_files(
    genome,
    enzyme,
    pams,
    stage: Path,
    quiet: bool = True,
    chunk_sites: int = 2_000_000,
    seed_chunk: int = 1 << 20,
    identity: dict | None = None,
) -> dict:
    """Write every array of the index into `stage` in bounded memory; returns the metadata
    (`index.json` is left to the caller) with `build_seconds`, the time of this call plus
    that of the interrupted calls it continues.

    `stage` is empty, or holds an interrupted build of the same genome and options (the
    caller checks its resume key): its finished contigs and seed parts are kept
    (`PROGRESS_FILE`), the rest are indexed and sorted."""
    from helixforge.core.io import atomic_file, fsync_path
    from helixforge.crispr.offtarget_index import FLAG_N

    t0 = time.perf_counter()
    stage = Path(stage)
    done = load_progress(stage)
    before = float(done.get("seconds", 0.0)) if done else 0.0
    rows = done["rows"] if done else {}
    if done and any(done["bytes"].get(k) != NPY_HEADER + rows.get(k, -1) * np.dtype(dt).itemsize
                    for k, dt in {**COLUMNS, **N_COLUMNS}.items()):  # fmt: skip
        from helixforge.core.errors import InputError

        raise InputError(f"{stage / PROGRESS_FILE}: row counts and byte lengths disagree",
                         hint="run without --resume to build the index afresh")  # fmt: skip
    appenders: dict[str, NpyAppender] = {}
    last = [time.monotonic()]
    sorted_parts = [int(done.get("sorted_parts", 0)) if done else 0]  # seed tables written

    def checkpoint(state: dict) -> None:
        """Record the finished contigs once their rows are on disk."""
        for a in appenders.values():
            if not a.closed:
                a.sync()
        record = {**state, "rows": {k: a.n for k, a in appenders.items()},
                  "bytes": {k: a.nbytes for k, a in appenders.items()},
                  "sorted_parts": sorted_parts[0],
                  "seconds": round(before + time.perf_counter() - t0, 3)}  # fmt: skip
        with atomic_file(stage / PROGRESS_FILE) as tmp:
            tmp.write_text(json.dumps(record), encoding="utf-8")
        last[0] = time.monotonic()

    def contig_done(state: dict) -> None:
        if time.monotonic() - last[0] >= CHECKPOINT_SECONDS:
            checkpoint(state)

    try:
        for k, dt in {**COLUMNS, **N_COLUMNS}.items():
            appenders[k] = NpyAppender(stage / f"{k}.npy", dt, rows.get(k) if done else None)

        def emit(columns: dict[str, np.ndarray], nmask: np.ndarray) -> None:
            has_n = (columns["flags"] & FLAG_N) > 0
            appenders["n_sites"].append(np.flatnonzero(has_n) + appenders["codes"].n)
            appenders["n_masks"].append(nmask[has_n])
            for k, values in columns.items():
                appenders[k].append(values)

        meta = build_sites(genome, enzyme, pams, emit, quiet=quiet, chunk_sites=chunk_sites,
                           done=done, contig_done=contig_done, identity=identity)  # fmt: skip
        contig_state = {k: meta[k] for k in ("contigs", "lengths", "notes")}
        if not done or done["contigs"] != meta["contigs"]:  # the sort is next
            checkpoint(contig_state)
    finally:
        for a in appenders.values():
            a.close()
    codes = np.load(stage / "codes.npy", mmap_mode="r")
    flags = np.load(stage / "flags.npy", mmap_mode="r")

    def order_file(part: int, dtype: np.dtype, size: int) -> np.ndarray:
        return np.lib.format.open_memmap(
            stage / f"seed{part}_order.npy", mode="w+", dtype=dtype, shape=(size,)
        )

    L = meta["enzyme"]["spacer_length"]
    for part in range(sorted_parts[0], len(meta["seed_parts"])):  # the parts not yet sorted
        order, offsets = seed_table(codes, flags, L, part, order_file, chunk=seed_chunk)
        order.flush()
        del order
        np.save(stage / f"seed{part}_offsets.npy", offsets)
        fsync_path(stage / f"seed{part}_order.npy")
        fsync_path(stage / f"seed{part}_offsets.npy")
        sorted_parts[0] = part + 1
        checkpoint(contig_state)
    meta["n_sites"] = int(len(codes))
    meta["n_sites_with_n"] = int(appenders["n_sites"].n)
    meta["build_seconds"] = round(before + time.perf_counter() - t0, 3)
    return meta
