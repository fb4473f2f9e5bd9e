"""Genome-wide off-target search: an exact, reusable on-disk index of every PAM-adjacent site.

    idx = build_index("ecoli.fna.gz", "spcas9", out="ecoli.spcas9.idx")   # once (seconds)
    res = find_offtargets(["GACGCATAAAGATGAGACGC"], idx, max_mismatches=4)
    res.summary      # one row per guide: counts by mismatch number, CFD / MIT specificity, repeat
    res.sites        # one row per site: coordinates, strand, mismatches, CFD, MIT, flags

How it works. The index enumerates, once, every site of the genome on both strands whose PAM
matches one of the enzyme's off-target PAMs (SpCas9: NGG, NAG, NGA) and stores its protospacer
2-bit encoded in a uint64 (A0 C1 G2 T3, first base in the high bits), with contig, position,
strand, PAM and flags, as numpy arrays on disk (memory-mapped when loaded). For the search the
protospacer is cut into p seed parts of ≤ 10 nt; by the pigeonhole principle a site within m
mismatches has at least one part within ⌊m/p⌋ mismatches of the spacer's part, so looking up
every sequence within ⌊m/p⌋ substitutions of each part in a per-part bucket table (counting
sort of the part's bits) yields a candidate set that provably contains every hit. Candidates
are then verified exactly with XOR + popcount on the 2-bit codes:
``mismatches = popcount(((x ^ y) | (x ^ y) >> 1) & 0x5555…)``.

Guarantees (tested against the independent brute-force scan `brute_force_offtargets`):

* exact — no site within `max_mismatches` is missed; both strands; all requested PAMs;
* soft-masked (lowercase) bases are searched like any other and flagged (`soft_masked`);
* a genome base that is not A/C/G/T (N) never matches: in the PAM the site does not exist, in
  the protospacer it counts as a mismatch (such sites are kept apart and scanned directly);
* guides in repeats are kept and flagged, never dropped; `max_sites_per_guide` caps only the
  rows reported (highest CFD / fewest mismatches first), every site is still counted and scored.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr import scoring
from helixforge.crispr.enzymes import Enzyme, check_pam, get_enzyme, pam_code_matcher
from helixforge.crispr.guides import load_genome, rc_codes, scan_sites
from helixforge.dna.sequence import encode_int

INDEX_FORMAT = 1
SEED_MAX = 10  # nt per seed part: bucket tables of 4**10 entries
_M55 = np.uint64(0x5555555555555555)
_ARRAYS = ("codes", "contig_ids", "positions", "flags", "pam_codes", "n_sites", "n_masks")
FLAG_MINUS, FLAG_SOFT, FLAG_N = 1, 2, 4
SITE_COLUMNS = [
    "guide_id", "spacer", "contig", "start", "end", "strand", "site", "pam", "mismatches",
    "mismatch_positions", "cfd", "mit", "soft_masked", "has_n", "is_ontarget",
]  # fmt: skip


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x) if hasattr(np, "bitwise_count") else _popcount_fallback(x)


def _popcount_fallback(x: np.ndarray) -> np.ndarray:  # numpy < 2.0
    x = x.astype(np.uint64)
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1).astype(np.uint8)


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


@cache
def _neighbour_masks(length: int, tolerance: int) -> np.ndarray:
    """XOR masks turning a `length`-nt 2-bit key into every key within `tolerance` substitutions."""
    masks = [0]
    for d in range(1, tolerance + 1):
        for pos in itertools.combinations(range(length), d):
            for vals in itertools.product((1, 2, 3), repeat=d):
                masks.append(sum(v << (2 * (length - 1 - p)) for p, v in zip(pos, vals)))
    return np.array(masks, dtype=np.int64)


def _encode_rows(mat: np.ndarray) -> np.ndarray:
    """(n, k) uint8 base codes (0-3) → (n,) uint64, first column in the high bits."""
    out = np.zeros(len(mat), dtype=np.uint64)
    for j in range(mat.shape[1]):
        out = (out << np.uint64(2)) | (mat[:, j] & 3).astype(np.uint64)
    return out


def _gather_codes(
    codes: np.ndarray, starts: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray]:
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


def _stable_key_order(keys: np.ndarray, bits: int) -> np.ndarray:
    """Stable argsort of non-negative integer keys by LSD radix passes of ≤ 16 bits (numpy sorts
    uint16 with a linear-time radix sort; wider integers fall back to a comparison sort)."""
    order = np.arange(len(keys))
    for shift in range(0, bits, 16):
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
    return order


def decode_codes(codes: np.ndarray, length: int) -> np.ndarray:
    """(n,) uint64 2-bit codes → (n, length) uint8 base codes."""
    shifts = np.arange(2 * (length - 1), -1, -2, dtype=np.uint64)
    return ((np.asarray(codes, dtype=np.uint64)[:, None] >> shifts[None, :]) & np.uint64(3)).astype(
        np.uint8
    )


def _genome_identity(genome) -> dict:
    if isinstance(genome, (str, os.PathLike)):
        from helixforge.core.artifacts import sha256_file

        p = Path(genome)
        return {
            "path": str(p.resolve()),
            "name": p.name,
            "bytes": p.stat().st_size,
            "sha256": sha256_file(p),
        }
    return {"path": None, "name": "<in-memory sequences>"}


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
        return Enzyme(
            name=e["name"],
            pams=tuple(e["pams"]),
            spacer_length=e["spacer_length"],
            pam_side=e["pam_side"],
            cut_offsets=tuple(e["cut_offsets"]),
            offtarget_pams=tuple(self.meta["search_pams"]),
            context_upstream=e["context_upstream"],
            context_downstream=e["context_downstream"],
        )

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

    # -------------------------------------------------------------- build / save / load
    @classmethod
    def build(
        cls,
        genome: str | os.PathLike | dict[str, str],
        enzyme: str | Enzyme = "spcas9",
        pams: Sequence[str] | None = None,
        chunk_sites: int = 2_000_000,
    ) -> OfftargetIndex:
        """Enumerate and encode every site in memory (use `build_index` to also write it)."""
        t0 = time.perf_counter()
        enz = get_enzyme(enzyme)
        pams_t = tuple(check_pam(p) for p in (pams or enz.offtarget_pams))
        if {len(p) for p in pams_t} != {enz.pam_length}:
            raise InputError(
                f"search PAMs {pams_t} must be {enz.pam_length} nt like {enz.name}'s PAM"
            )
        seqs = load_genome(genome)
        if not seqs:
            raise InputError("the genome has no sequences")
        L, S, P = enz.spacer_length, enz.site_length, enz.pam_length
        sp_off = enz.spacer_offset_in_site()
        pam_off = L if enz.pam_side == "3prime" else 0
        cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("codes", "contig_ids", "positions", "flags", "pam_codes", "nmask")
        }
        contigs, lengths = [], []
        for ci, (name, seq) in enumerate(seqs.items()):
            contigs.append(name)
            lengths.append(len(seq))
            if len(seq) >= 2**32:
                raise InputError(f"contig {name} is longer than 4.29 Gb; not supported")
            raw = np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)
            codes = encode_int(seq)
            lower = (raw >= ord("a")) & (raw <= ord("z"))
            fwd, rev = scan_sites(codes, enz, pams_t)
            n = len(seq)
            for strand, starts, sc, lw in ((0, fwd, codes, lower), (1, rev, None, None)):
                if len(starts) == 0:
                    continue
                if strand == 1:
                    sc, lw = rc_codes(codes), lower[::-1]
                soft_cum = np.concatenate([[0], np.cumsum(lw, dtype=np.int64)])
                for c0 in range(0, len(starts), chunk_sites):
                    w = starts[c0 : c0 + chunk_sites]
                    code, nmask = _gather_codes(sc, w + sp_off, L)
                    pam_code, _ = _gather_codes(sc, w + pam_off, P)
                    has_n = nmask > 0
                    soft = (soft_cum[w + S] - soft_cum[w]) > 0
                    pos = w if strand == 0 else n - w - S
                    flags = (np.uint8(strand) * FLAG_MINUS) | (soft * FLAG_SOFT) | (has_n * FLAG_N)
                    cols["codes"].append(code)
                    cols["contig_ids"].append(np.full(len(w), ci, dtype=np.uint32))
                    cols["positions"].append(pos.astype(np.uint32))
                    cols["flags"].append(flags.astype(np.uint8))
                    cols["pam_codes"].append(pam_code.astype(np.uint16))
                    cols["nmask"].append(nmask)
        dtypes = {
            "codes": np.uint64,
            "contig_ids": np.uint32,
            "positions": np.uint32,
            "flags": np.uint8,
            "pam_codes": np.uint16,
            "nmask": np.uint64,
        }
        arr = {
            k: (np.concatenate(v) if v else np.zeros(0, dtype=dtypes[k])) for k, v in cols.items()
        }
        nmask = arr.pop("nmask")
        has_n = (arr["flags"] & FLAG_N) > 0
        arr["n_sites"] = np.flatnonzero(has_n).astype(np.int64)
        arr["n_masks"] = nmask[has_n]
        clean = np.flatnonzero(~has_n)
        seeds = []
        for s, e in seed_parts(L):
            keys = (
                (arr["codes"][clean] >> np.uint64(2 * (L - e)))
                & np.uint64((1 << (2 * (e - s))) - 1)
            ).astype(np.int64)
            order = clean[_stable_key_order(keys, 2 * (e - s))]
            counts = np.bincount(keys, minlength=4 ** (e - s))
            offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            idx_dtype = np.uint32 if len(arr["codes"]) < 2**32 else np.uint64
            seeds.append((order.astype(idx_dtype), offsets))
        meta = {
            "format": INDEX_FORMAT,
            "enzyme": {
                "name": enz.name,
                "pams": list(enz.pams),
                "spacer_length": L,
                "pam_side": enz.pam_side,
                "cut_offsets": list(enz.cut_offsets),
                "context_upstream": enz.context_upstream,
                "context_downstream": enz.context_downstream,
            },
            "search_pams": list(pams_t),
            "contigs": contigs,
            "lengths": lengths,
            "genome_bases": int(sum(lengths)),
            "n_sites": int(len(arr["codes"])),
            "n_sites_with_n": int(has_n.sum()),
            "seed_parts": seed_parts(L),
            "genome": _genome_identity(genome),
            "build_seconds": round(time.perf_counter() - t0, 3),
        }
        return cls(meta=meta, arrays=arr, seeds=seeds)

    def save(self, out: str | os.PathLike) -> Path:
        """Write the index directory atomically (a temporary directory renamed into place)."""
        dest = Path(out)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        try:
            for k in _ARRAYS:
                np.save(tmp / f"{k}.npy", np.ascontiguousarray(self.arrays[k]))
            for i, (order, offsets) in enumerate(self.seeds):
                np.save(tmp / f"seed{i}_order.npy", order)
                np.save(tmp / f"seed{i}_offsets.npy", offsets)
            (tmp / "index.json").write_text(json.dumps(self.meta, indent=1), encoding="utf-8")
            if dest.exists():
                if not (dest / "index.json").exists():
                    raise InputError(
                        f"{dest}: exists and is not an off-target index; not overwriting it"
                    )
                shutil.rmtree(dest)
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self.path = dest
        return dest

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = True) -> OfftargetIndex:
        """Open an index directory (arrays memory-mapped: opening is instant, pages load on use)."""
        p = Path(path)
        meta_path = p / "index.json"
        if not meta_path.is_file():
            raise InputError(
                f"{p}: not an off-target index (no index.json)",
                hint="build one with `helix crispr index GENOME --enzyme spcas9 --out DIR`",
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != INDEX_FORMAT:
            raise InputError(
                f"{p}: index format {meta.get('format')} is not {INDEX_FORMAT}",
                hint="rebuild the index",
            )
        mode = "r" if mmap else None
        arrays = {k: np.load(p / f"{k}.npy", mmap_mode=mode) for k in _ARRAYS}
        seeds = [
            (np.load(p / f"seed{i}_order.npy", mmap_mode=mode), np.load(p / f"seed{i}_offsets.npy"))
            for i in range(len(meta["seed_parts"]))
        ]
        return cls(meta=meta, arrays=arrays, seeds=seeds, path=p)

    # -------------------------------------------------------------- search
    def pam_lut(self, pams: Sequence[str] | None) -> np.ndarray:
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

    def search_one(
        self, spacer_code: int, max_mismatches: int, pam_lut: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Site indices and mismatch counts of every site within `max_mismatches` of a spacer."""
        L = self.meta["enzyme"]["spacer_length"]
        g = np.uint64(spacer_code)
        parts = self.meta["seed_parts"]
        tol = max_mismatches // len(parts)
        cand_list = []
        for (s, e), (order, offsets) in zip(parts, self.seeds):
            key = (int(spacer_code) >> (2 * (L - e))) & ((1 << (2 * (e - s))) - 1)
            keys = key ^ _neighbour_masks(e - s, tol)
            st, en = offsets[keys], offsets[keys + 1]
            lens = en - st
            nz = lens > 0
            if not nz.any():
                continue
            st, lens = st[nz], lens[nz]
            ends = np.cumsum(lens)
            idx = np.arange(ends[-1], dtype=np.int64) - np.repeat(ends - lens - st, lens)
            cand_list.append(np.asarray(order[idx], dtype=np.int64))
        codes = self.arrays["codes"]
        found_i, found_m = [], []
        if cand_list:
            cand = np.concatenate(cand_list) if len(cand_list) > 1 else cand_list[0]
            x = codes[cand] ^ g
            mm = _popcount((x | (x >> np.uint64(1))) & _M55)
            keep = mm <= max_mismatches
            hit, hit_mm = cand[keep], mm[keep]
            if len(cand_list) > 1 and len(hit) > 1:  # a site can be found through several parts
                hit, first = np.unique(hit, return_index=True)
                hit_mm = hit_mm[first]
            found_i.append(hit)
            found_m.append(hit_mm)
        n_sites = self.arrays["n_sites"]
        if len(n_sites):
            x = codes[n_sites] ^ g
            mm = _popcount(((x | (x >> np.uint64(1))) & _M55) | self.arrays["n_masks"])
            keep = mm <= max_mismatches
            found_i.append(np.asarray(n_sites[keep], dtype=np.int64))
            found_m.append(mm[keep])
        if not found_i:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
        hits = np.concatenate(found_i)
        mms = np.concatenate(found_m).astype(np.uint8)
        ok = pam_lut[self.arrays["pam_codes"][hits]]
        return hits[ok], mms[ok]


def build_index(
    genome: str | os.PathLike | dict[str, str],
    enzyme: str | Enzyme = "spcas9",
    out: str | os.PathLike | None = None,
    pams: Sequence[str] | None = None,
) -> OfftargetIndex:
    """Build the off-target index of a genome FASTA(.gz) for an enzyme; write it to `out` if given.

    The index covers the enzyme's off-target PAMs (or `pams`) and serves any number of
    mismatches at search time.
    """
    idx = OfftargetIndex.build(genome, enzyme, pams=pams)
    if out is not None:
        idx.save(out)
    return idx


def open_index(
    genome, enzyme: str | Enzyme = "spcas9", pams: Sequence[str] | None = None
) -> OfftargetIndex:
    """An index from an OfftargetIndex, an index directory, or a genome (built in memory)."""
    if isinstance(genome, OfftargetIndex):
        return genome
    if isinstance(genome, (str, os.PathLike)) and Path(genome).is_dir():
        return OfftargetIndex.load(genome)
    return OfftargetIndex.build(genome, enzyme, pams=pams)


# ---------------------------------------------------------------------- search API


@dataclass
class OfftargetResult:
    """`sites`: one row per reported site; `summary`: one row per guide; `info`: timings etc."""

    sites: pd.DataFrame
    summary: pd.DataFrame
    info: dict


_WORKER_INDEX: dict[str, OfftargetIndex] = {}


def _search_chunk(
    chunk: list[tuple[int, int]], index_path: str, max_mismatches: int, pams: list[str] | None
):
    idx = _WORKER_INDEX.get(index_path)
    if idx is None:
        idx = _WORKER_INDEX[index_path] = OfftargetIndex.load(index_path)
    lut = idx.pam_lut(pams)
    return [(i, *idx.search_one(code, max_mismatches, lut)) for i, code in chunk]


def _normalise_spacers(spacers, length: int) -> tuple[list[str], list[str]]:
    if isinstance(spacers, str):
        spacers = [spacers]
    if isinstance(spacers, Mapping):
        ids, seqs = [str(k) for k in spacers], [str(v) for v in spacers.values()]
    elif isinstance(spacers, pd.Series):
        ids, seqs = [str(i) for i in spacers.index], [str(v) for v in spacers]
    else:
        seqs = [str(s) for s in spacers]
        ids = seqs[:]
    if not seqs:
        raise InputError("no spacers given")
    clean = []
    for gid, s in zip(ids, seqs):
        u = s.strip().upper().replace("U", "T")
        if len(u) != length:
            raise InputError(
                f"spacer {gid}: {s!r} is {len(u)} nt; this enzyme/index uses {length}-nt spacers",
                hint="give the spacer without its PAM",
            )
        bad = [i for i, ch in enumerate(u) if ch not in "ACGT"]
        if bad:
            raise InputError(
                f"spacer {gid}: character {u[bad[0]]!r} at position {bad[0] + 1} is not A, C, G or T"
            )
        clean.append(u)
    return ids, clean


def find_offtargets(
    spacers: Sequence[str] | Mapping[str, str] | str,
    genome,
    max_mismatches: int = 4,
    pams: Sequence[str] | None = None,
    enzyme: str | Enzyme | None = None,
    n_jobs: int = 1,
    max_sites_per_guide: int = 1000,
    ontargets: Mapping[str, tuple[str, int, str]] | None = None,
    repeat_threshold: int = 5,
) -> OfftargetResult:
    """Every site within `max_mismatches` of each spacer, scored with CFD and MIT, and a per-guide
    summary.

    `genome`: an `OfftargetIndex`, an index directory, a FASTA(.gz) path or {name: sequence}
    (the last two are indexed in memory first; `info['build_seconds']` says how long that took).
    `enzyme` defaults to the index's (SpCas9 when a genome is indexed here).
    `pams` restricts the search PAMs (default: all the index covers; SpCas9: NGG, NAG, NGA).
    `ontargets` maps guide id → (contig, 0-based site start, strand) of the intended site; that
    site is reported with ``is_ontarget`` and left out of counts and specificity. Without it the
    first perfect match with the enzyme's main PAM is taken as the on-target (CRISPOR's rule).

    Summary columns: guide_id, spacer, ontarget (contig:start:strand or ''), offtargets,
    mm0…mmK (off-target counts by mismatches), cfd_sum, cfd_specificity, mit_sum,
    mit_specificity (CRISPOR 0–100), repeat (≥ `repeat_threshold` off-targets with ≤ 1
    mismatch), sites_reported, truncated.
    """
    if max_mismatches < 0 or max_mismatches > 8:
        raise ConfigError(f"max_mismatches={max_mismatches}: use 0–8")
    t0 = time.perf_counter()
    idx = open_index(genome, enzyme or "spcas9", pams=None)
    built = idx.path is None and not isinstance(genome, OfftargetIndex)
    t_build = time.perf_counter() - t0
    enz = idx.enzyme
    req = get_enzyme(enzyme) if enzyme is not None else enz
    if req.spacer_length != enz.spacer_length or req.pam_side != enz.pam_side:
        raise ConfigError(
            f"the index was built for {enz.name} ({enz.spacer_length} nt, PAM {enz.pam_side}); "
            f"the search asks for {req.name} ({req.spacer_length} nt, {req.pam_side})",
            hint="build an index for this enzyme with `helix crispr index GENOME --enzyme NAME`",
        )
    L = enz.spacer_length
    ids, seqs = _normalise_spacers(spacers, L)
    pam_list = [check_pam(p) for p in pams] if pams else None
    lut = idx.pam_lut(pam_list)
    codes = [int(c) for c in _encode_rows(np.stack([encode_int(s) for s in seqs]))]
    t1 = time.perf_counter()
    from helixforge.core.parallel import chunked, parallel_map, resolve_jobs

    jobs = resolve_jobs(n_jobs)
    items = list(enumerate(codes))
    tmpdir = None
    if jobs > 1 and len(items) >= 2 * jobs:
        path = idx.path
        if path is None:
            tmpdir = Path(tempfile.mkdtemp(prefix="helix_otidx_"))
            path = idx.save(tmpdir / "index")
            idx.path = None
        size = -(-len(items) // (jobs * 4))
        try:
            parts = parallel_map(
                _search_chunk, list(chunked(items, size)), n_jobs=jobs,
                index_path=str(path), max_mismatches=max_mismatches, pams=pam_list,
            )  # fmt: skip
        finally:
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)
        raw = [r for part in parts for r in part]
    else:
        raw = [(i, *idx.search_one(c, max_mismatches, lut)) for i, c in items]
    t_search = time.perf_counter() - t1
    t2 = time.perf_counter()
    sites, summary = _score_and_summarise(
        idx, enz, ids, seqs, raw, max_mismatches, max_sites_per_guide, ontargets, repeat_threshold
    )
    info = {
        "n_guides": len(ids),
        "max_mismatches": max_mismatches,
        "pams": pam_list or list(idx.meta["search_pams"]),
        "index": str(idx.path) if idx.path else "(in memory)",
        "index_sites": idx.n_sites,
        "genome_bases": idx.meta["genome_bases"],
        "build_seconds": round(t_build, 3) if built else 0.0,
        "search_seconds": round(t_search, 3),
        "score_seconds": round(time.perf_counter() - t2, 3),
        "n_jobs": jobs,
    }
    return OfftargetResult(sites=sites, summary=summary, info=info)


def _score_and_summarise(idx, enz, ids, seqs, raw, max_mm, cap, ontargets, repeat_threshold):
    """Score every hit of every guide in one vectorised pass; build the sites and summary tables."""
    L, P = enz.spacer_length, enz.pam_length
    arr = idx.arrays
    contigs = idx.contigs
    n_g = len(ids)
    use_cfd = scoring.supports_cfd(L, enz.pam_side, P)
    use_mit = scoring.supports_mit(L, enz.pam_side)
    raw = sorted(raw, key=lambda r: r[0])
    gi = (
        np.concatenate([np.full(len(r[1]), r[0], dtype=np.int64) for r in raw])
        if raw
        else np.zeros(0, np.int64)
    )
    hits = np.concatenate([r[1] for r in raw]).astype(np.int64) if raw else np.zeros(0, np.int64)
    mms = np.concatenate([r[2] for r in raw]).astype(np.int64) if raw else np.zeros(0, np.int64)
    cid = np.asarray(arr["contig_ids"][hits]).astype(np.int64)
    pos = np.asarray(arr["positions"][hits]).astype(np.int64)
    order = np.lexsort((pos, cid, gi))
    gi, hits, mms, cid, pos = gi[order], hits[order], mms[order], cid[order], pos[order]
    n = len(hits)
    flags = np.asarray(arr["flags"][hits])
    site_codes = decode_codes(arr["codes"][hits], L)
    nmask = np.zeros((n, L), dtype=bool)
    with_n = (flags & FLAG_N) > 0
    if with_n.any():
        n_pos = np.searchsorted(arr["n_sites"], hits[with_n])
        nmask[with_n] = decode_codes(arr["n_masks"][n_pos], L) > 0
        site_codes[nmask] = 4
    pam_raw = np.asarray(arr["pam_codes"][hits]).astype(np.int64)
    pam_codes = decode_codes(pam_raw.astype(np.uint64), P)
    guide_codes = np.stack([encode_int(s) for s in seqs])
    g = guide_codes[gi]
    mism = (site_codes != g) | nmask
    cfd = scoring.cfd_scores(g, site_codes, pam_codes[:, -2:]) if use_cfd else np.full(n, np.nan)
    if use_mit:
        mit = scoring.mit_from_mismatches(mism[:, -20:])
        if enz.pams == ("NGG",):
            gg = (pam_codes[:, -2] == 2) & (pam_codes[:, -1] == 2)
            mit = np.where(gg, mit, mit * 0.2)  # CRISPOR: alternative PAMs count one fifth
    else:
        mit = np.full(n, np.nan)
    # on-targets: given explicitly, else the first perfect match with the main PAM (CRISPOR)
    ontargets = ontargets or {}
    contig_id = {c: i for i, c in enumerate(contigs)}
    want = np.full((n_g, 3), -1, dtype=np.int64)
    for k, gid in enumerate(ids):
        if gid in ontargets:
            c, s0, strand = ontargets[gid]
            want[k] = (contig_id.get(c, -2), int(s0), 1 if strand == "-" else 0)
    explicit = want[:, 0] != -1
    minus = (flags & FLAG_MINUS).astype(np.int64)
    is_on = (
        explicit[gi]
        & (mms == 0)
        & (cid == want[gi, 0])
        & (pos == want[gi, 1])
        & (minus == want[gi, 2])
    )
    main_lut = pam_code_matcher(enz.pams, P)
    auto = np.flatnonzero(~explicit[gi] & (mms == 0) & main_lut[pam_raw])
    if len(auto):
        _, first = np.unique(gi[auto], return_index=True)
        is_on[auto[first]] = True
    off = ~is_on
    counts = np.bincount(gi[off] * (max_mm + 1) + mms[off], minlength=n_g * (max_mm + 1)).reshape(
        n_g, max_mm + 1
    )
    cfd_sum = np.bincount(gi[off], weights=np.nan_to_num(cfd[off]), minlength=n_g)
    mit_sum = np.bincount(gi[off], weights=np.nan_to_num(mit[off]), minlength=n_g)
    # rows to report per guide: the on-target first, then highest CFD (or fewest mismatches)
    rank_key = np.where(np.isnan(cfd), -1.0, cfd) if use_cfd else -mms.astype(float)
    rep_order = np.lexsort((mms, -rank_key, ~is_on, gi))
    g_sorted = gi[rep_order]
    group_start = np.searchsorted(g_sorted, g_sorted, side="left")
    keep = rep_order[(np.arange(n) - group_start) < cap]
    keep = keep[np.lexsort((pos[keep], cid[keep], ~is_on[keep], gi[keep]))]
    reported = np.bincount(gi[keep], minlength=n_g)
    total = np.bincount(gi, minlength=n_g)
    on_label = [""] * n_g
    for k in np.flatnonzero(is_on):
        on_label[gi[k]] = f"{contigs[cid[k]]}:{pos[k]}:{'-' if minus[k] else '+'}"
    summary = pd.DataFrame(
        {"guide_id": ids, "spacer": seqs, "ontarget": on_label, "offtargets": counts.sum(axis=1)}
    )
    for k in range(max_mm + 1):
        summary[f"mm{k}"] = counts[:, k]
    nan = np.full(n_g, np.nan)
    summary["cfd_sum"] = np.round(cfd_sum, 6) if use_cfd else nan
    summary["cfd_specificity"] = np.round(scoring.specificity(cfd_sum), 3) if use_cfd else nan
    summary["mit_sum"] = np.round(mit_sum, 4) if use_mit else nan
    summary["mit_specificity"] = np.round(scoring.specificity(mit_sum), 3) if use_mit else nan
    low = counts[:, 0] + (counts[:, 1] if max_mm >= 1 else 0)
    summary["repeat"] = low >= repeat_threshold
    summary["sites_reported"] = reported
    summary["truncated"] = reported < total
    sites = _site_frame(
        np.asarray(ids, dtype=object)[gi[keep]],
        np.asarray(seqs, dtype=object)[gi[keep]],
        enz,
        contigs,
        cid[keep],
        pos[keep],
        mms[keep],
        mism[keep],
        site_codes[keep],
        pam_codes[keep],
        cfd[keep],
        mit[keep],
        flags[keep],
        is_on[keep],
    )
    return sites, summary


def _site_frame(
    gids,
    spacers,
    enz,
    contigs,
    cid,
    start,
    mms,
    mism,
    site_codes,
    pam_codes,
    cfd,
    mit,
    flags,
    is_on,
):
    L, P = enz.spacer_length, enz.pam_length
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
    lower = np.frombuffer(b"acgtn", dtype=np.uint8)
    proto = np.ascontiguousarray(np.where(mism, lower[site_codes], letters[site_codes]))
    proto_s = proto.view(f"S{L}").ravel().astype(str) if len(proto) else np.zeros(0, dtype=str)
    pam_b = np.ascontiguousarray(letters[pam_codes])
    pam_s = pam_b.view(f"S{P}").ravel().astype(str) if len(pam_b) else np.zeros(0, dtype=str)
    site_s = (
        np.char.add(proto_s, pam_s) if enz.pam_side == "3prime" else np.char.add(pam_s, proto_s)
    )
    if enz.pam_side == "5prime":  # position 1 = PAM-distal everywhere
        mism = mism[:, ::-1]
    pos_str = [",".join(map(str, np.flatnonzero(r) + 1)) for r in mism]
    return pd.DataFrame(
        {
            "guide_id": gids,
            "spacer": spacers,
            "contig": np.asarray(contigs, dtype=object)[cid] if len(cid) else [],
            "start": start,
            "end": start + enz.site_length,
            "strand": np.where(flags & FLAG_MINUS, "-", "+"),
            "site": site_s,
            "pam": pam_s,
            "mismatches": mms,
            "mismatch_positions": pos_str,
            "cfd": np.round(cfd, 6),
            "mit": np.round(mit, 4),
            "soft_masked": (flags & FLAG_SOFT) > 0,
            "has_n": (flags & FLAG_N) > 0,
            "is_ontarget": is_on,
        },
        columns=SITE_COLUMNS,
    )


# ---------------------------------------------------------------------- reference scan


def brute_force_offtargets(
    spacers: Sequence[str],
    genome: str | os.PathLike | dict[str, str],
    max_mismatches: int = 4,
    pams: Sequence[str] | None = None,
    enzyme: str | Enzyme = "spcas9",
) -> pd.DataFrame:
    """Slow reference: compare each spacer with every window of both strands, base by base.

    Independent of the index (no 2-bit codes, no seeds): used by the tests and the benchmark to
    prove `find_offtargets` misses nothing. Returns spacer, contig, start (0-based, + strand),
    strand, mismatches.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    from helixforge.dna.sequence import iupac_match

    enz = get_enzyme(enzyme)
    pams_t = [check_pam(p) for p in (pams or enz.offtarget_pams)]
    L, S = enz.spacer_length, enz.site_length
    sp_off = enz.spacer_offset_in_site()
    pam_off = L if enz.pam_side == "3prime" else 0
    seqs = load_genome(genome)
    guides = [(s.upper(), np.frombuffer(s.upper().encode(), dtype=np.uint8)) for s in spacers]
    rows = []
    for contig, seq in seqs.items():
        up = seq.upper()
        n = len(up)
        if n < S:
            continue
        comp = str.maketrans("ACGT", "TGCA")
        for strand, text in (("+", up), ("-", up.translate(comp)[::-1])):
            # PAM check by IUPAC letters, one PAM position at a time (non-ACGT never matches)
            b = np.frombuffer(text.encode(), dtype=np.uint8)
            ok = np.zeros(n - S + 1, dtype=bool)
            for pam in pams_t:
                m = np.ones(n - S + 1, dtype=bool)
                for j, code in enumerate(pam):
                    allowed = [ord(c) for c in "ACGT" if iupac_match(c, code)]
                    col = b[pam_off + j : pam_off + j + n - S + 1]
                    m &= np.isin(col, allowed)
                ok |= m
            wins = np.flatnonzero(ok)
            if not len(wins):
                continue
            view = sliding_window_view(b, L)[wins + sp_off]
            for g, gb in guides:
                mm = (view != gb[None, :]).sum(axis=1)
                for w, k in zip(wins[mm <= max_mismatches], mm[mm <= max_mismatches]):
                    start = int(w) if strand == "+" else n - int(w) - S
                    rows.append(
                        {
                            "spacer": g,
                            "contig": contig,
                            "start": start,
                            "strand": strand,
                            "mismatches": int(k),
                        }
                    )
    return pd.DataFrame(rows, columns=["spacer", "contig", "start", "strand", "mismatches"])


# ---------------------------------------------------------------------- table in, tables out


def offtargets_table(
    spacers: str | os.PathLike | Sequence[str],
    genome,
    out: str | os.PathLike,
    summary_out: str | os.PathLike | None = None,
    spacer_col: str = "spacer",
    id_col: str | None = None,
    max_mismatches: int = 4,
    pams: Sequence[str] | None = None,
    enzyme: str | Enzyme | None = None,
    n_jobs: int = 1,
    max_sites_per_guide: int = 1000,
) -> dict:
    """Search off-targets for spacers from a table (CSV/TSV/parquet) or a list; write the sites
    to `out`, the per-guide summary to `summary_out` (default ``<out stem>.summary.tsv``) and
    bad rows (wrong length, non-ACGT) to ``<out stem>.errors.csv`` — a bad row never stops the job.
    """
    from helixforge.core.errors import NoUsableRowsError, RowErrors
    from helixforge.core.tables import read_table, write_table

    idx = open_index(genome, enzyme or "spcas9", pams=None)
    L = idx.enzyme.spacer_length
    if isinstance(spacers, (str, os.PathLike)) and Path(spacers).is_file():
        df = read_table(spacers, columns=[spacer_col] + ([id_col] if id_col else []))
        source = str(spacers)
    else:
        if isinstance(spacers, (str, os.PathLike)) and any(c in str(spacers) for c in "./\\"):
            raise InputError(
                f"{spacers}: spacer table not found",
                hint="check the path, or give spacers as ACGT,ACGT,…",
            )
        items = [spacers] if isinstance(spacers, str) else list(spacers)
        items = [s for part in items for s in str(part).replace(";", ",").split(",") if s.strip()]
        df = pd.DataFrame({spacer_col: items}, index=pd.RangeIndex(1, len(items) + 1))
        source = "spacer list"
    errors = RowErrors(source)
    good: dict[str, str] = {}
    for row, raw in zip(df.index, df[spacer_col]):
        gid = str(df.at[row, id_col]) if id_col else str(raw).strip().upper()
        s = "" if pd.isna(raw) else str(raw).strip().upper().replace("U", "T")
        if len(s) != L:
            errors.add(
                row,
                spacer_col,
                raw,
                f"spacer is {len(s)} nt; {idx.enzyme.name} uses {L} nt (without PAM)",
            )
        elif set(s) - set("ACGT"):
            bad = next(i for i, ch in enumerate(s) if ch not in "ACGT")
            errors.add(
                row,
                spacer_col,
                raw,
                f"character {s[bad]!r} at position {bad + 1} is not A, C, G or T",
            )
        elif gid in good and good[gid] != s:
            errors.add(row, id_col, gid, "duplicate guide id with a different spacer")
        else:
            good[gid] = s
    out = Path(out)
    stem = out.name.split(".")[0]
    errors_path = out.with_name(f"{stem}.errors.csv")
    if len(errors):
        errors.write(errors_path)
    if not good:
        raise NoUsableRowsError(f"{source}: no usable spacer", hint=errors.summary(3))
    res = find_offtargets(good, idx, max_mismatches=max_mismatches, pams=pams, enzyme=enzyme,
                          n_jobs=n_jobs, max_sites_per_guide=max_sites_per_guide)  # fmt: skip
    write_table(res.sites, out)
    summary_path = Path(summary_out) if summary_out else out.with_name(f"{stem}.summary.tsv")
    write_table(res.summary, summary_path)
    return {
        **res.info,
        "sites": len(res.sites),
        "out": str(out),
        "summary": str(summary_path),
        "n_errors": len(errors),
        "errors_path": str(errors_path) if len(errors) else None,
        "repeat_guides": int(res.summary["repeat"].sum()),
    }
