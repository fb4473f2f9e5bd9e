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
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

NPY_HEADER = 128  # bytes of a 1-D .npy v1.0 header, whatever its length (up to 10**40)


class NpyAppender:
    """A 1-D `.npy` file written chunk by chunk; `close()` writes the final length."""

    def __init__(self, path: str | os.PathLike, dtype) -> None:
        self.path, self.dtype, self.n = Path(path), np.dtype(dtype), 0
        self._fh = open(self.path, "wb")
        self._header(0)

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

    def close(self) -> None:
        self._header(self.n)
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
    from helixforge.crispr.offtarget_index import FLAG_N, _stable_key_order, seed_parts

    n = len(codes)
    idx_dtype = np.dtype(np.uint32 if n < 2**32 else np.uint64)
    make_order = make_order or (lambda _i, dtype, size: np.empty(size, dtype=dtype))
    L = spacer_length
    tables = []
    for part, (s, e) in enumerate(seed_parts(L)):
        buckets = 4 ** (e - s)
        mask, shift = np.uint64(buckets - 1), np.uint64(2 * (L - e))

        def chunks(shift=shift, mask=mask) -> Iterator[tuple[np.ndarray, np.ndarray]]:
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
            by_key = _stable_key_order(keys, 2 * (e - s))
            ks = keys[by_key]
            rank = np.arange(len(ks)) - np.searchsorted(ks, ks, side="left")
            order[free[ks] + rank] = sites[by_key]
            free += np.bincount(keys, minlength=buckets)
        tables.append((order, offsets))
    return tables


COLUMNS = {"codes": np.uint64, "contig_ids": np.uint32, "positions": np.uint32,
           "flags": np.uint8, "pam_codes": np.uint16}  # fmt: skip


def build_sites(
    genome,
    enzyme,
    pams,
    emit: Callable[[dict[str, np.ndarray], np.ndarray], None],
    quiet: bool = True,
    chunk_sites: int = 2_000_000,
) -> dict:
    """Enumerate every off-target-PAM site of `genome`, contig by contig, handing each chunk's
    columns (`COLUMNS`) and N masks to `emit(columns, nmask)`; returns the index metadata
    without the site counts and timing (the caller adds them)."""
    from helixforge.core.errors import InputError
    from helixforge.core.progress import progress
    from helixforge.crispr.enzymes import check_pam, get_enzyme
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
    from helixforge.crispr.targets import case_masks, iter_contigs, open_genome
    from helixforge.lm.inputs import as_names

    enz = get_enzyme(enzyme)
    pams = as_names(pams, "pams")  # 'NGG' is one PAM, not three one-letter ones
    pams_t = tuple(check_pam(p) for p in (pams or enz.offtarget_pams))
    if {len(p) for p in pams_t} != {enz.pam_length}:
        raise InputError(f"search PAMs {pams_t} must be {enz.pam_length} nt like {enz.name}'s PAM")
    g = open_genome(genome)
    if not g.lengths:
        raise InputError("the genome has no sequences")
    masked = case_masks(g)  # a genome written wholly in lowercase has no soft mask
    L, S, P = enz.spacer_length, enz.site_length, enz.pam_length
    sp_off = enz.spacer_offset_in_site()
    pam_off = L if enz.pam_side == "3prime" else 0
    contigs, lengths = [], []
    notes: list[str] = []  # RNA / ambiguity letters read, contigs without a site
    with progress("indexing contigs", sum(g.lengths.values()), quiet=quiet, unit="nt") as adv:
        for ci, (name, seq) in enumerate(iter_contigs(g)):
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
            adv(n)
    return {
        "format": INDEX_FORMAT,
        "enzyme": {"name": enz.name, "pams": list(enz.pams), "spacer_length": L,
                   "pam_side": enz.pam_side, "cut_offsets": list(enz.cut_offsets),
                   "context_upstream": enz.context_upstream,
                   "context_downstream": enz.context_downstream},
        "search_pams": list(pams_t), "contigs": contigs, "lengths": lengths,
        "genome_bases": int(sum(lengths)), "seed_parts": seed_parts(L), "notes": notes,
        "genome": genome_identity(genome if not hasattr(genome, "lengths") else g.path),
    }  # fmt: skip


def write_index_files(
    genome,
    enzyme,
    pams,
    stage: Path,
    quiet: bool = True,
    chunk_sites: int = 2_000_000,
    seed_chunk: int = 1 << 20,
) -> dict:
    """Write every array of the index into `stage` (an empty directory) in bounded memory;
    returns the metadata (`index.json` is left to the caller)."""
    from helixforge.crispr.offtarget_index import FLAG_N

    stage = Path(stage)
    appenders = {k: NpyAppender(stage / f"{k}.npy", dt) for k, dt in COLUMNS.items()}
    n_sites, n_masks = [], []  # sites with an N: few (a PAM never matches over N)
    try:

        def emit(columns: dict[str, np.ndarray], nmask: np.ndarray) -> None:
            has_n = (columns["flags"] & FLAG_N) > 0
            n_sites.append(np.flatnonzero(has_n) + appenders["codes"].n)
            n_masks.append(nmask[has_n])
            for k, values in columns.items():
                appenders[k].append(values)

        meta = build_sites(genome, enzyme, pams, emit, quiet=quiet, chunk_sites=chunk_sites)
    finally:
        for a in appenders.values():
            a.close()
    np.save(stage / "n_sites", np.concatenate(n_sites or [np.zeros(0)]).astype(np.int64))
    np.save(stage / "n_masks", np.concatenate(n_masks or [np.zeros(0)]).astype(np.uint64))
    codes = np.load(stage / "codes.npy", mmap_mode="r")
    flags = np.load(stage / "flags.npy", mmap_mode="r")

    def order_file(part: int, dtype: np.dtype, size: int) -> np.ndarray:
        return np.lib.format.open_memmap(
            stage / f"seed{part}_order.npy", mode="w+", dtype=dtype, shape=(size,)
        )

    L = meta["enzyme"]["spacer_length"]
    tables = seed_tables(codes, flags, L, order_file, chunk=seed_chunk)
    for part, (order, offsets) in enumerate(tables):
        order.flush()
        del order
        np.save(stage / f"seed{part}_offsets.npy", offsets)
    meta["n_sites"] = int(len(codes))
    meta["n_sites_with_n"] = int(sum(len(s) for s in n_sites))
    return meta
