"""Off-target search: every site within k mismatches of each spacer, exactly, in an index.

    res = find_offtargets(["GACGCATAAAGATGAGACGC"], idx, max_mismatches=4)
    res.summary      # one row per guide: counts by mismatch number, CFD / MIT specificity, repeat
    res.sites        # one row per site: coordinates, strand, mismatches, CFD, MIT, flags

The protospacer is cut into p seed parts of ≤ 10 nt; by the pigeonhole principle a site within
m mismatches has at least one part within ⌊m/p⌋ mismatches of the spacer's part, so looking up
every sequence within ⌊m/p⌋ substitutions of each part in the index's per-part bucket tables
yields a candidate set that provably contains every hit. Candidates are then verified exactly
with XOR + popcount on the 2-bit codes:
``mismatches = popcount(((x ^ y) | (x ^ y) >> 1) & 0x5555…)``. Sites over an N are kept apart
in the index and compared directly (an N is always a mismatch).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr.enzymes import Enzyme, check_pam, get_enzyme
from helixforge.crispr.offtarget_index import OfftargetIndex, encode_rows, open_index
from helixforge.crispr.offtarget_scoring import score_and_summarise
from helixforge.dna.sequence import encode_int

_M55 = np.uint64(0x5555555555555555)


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x) if hasattr(np, "bitwise_count") else _popcount_fallback(x)


def _popcount_fallback(x: np.ndarray) -> np.ndarray:  # numpy < 2.0
    x = x.astype(np.uint64)
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1).astype(np.uint8)


@cache
def _neighbour_masks(length: int, tolerance: int) -> np.ndarray:
    """XOR masks turning a `length`-nt 2-bit key into every key within `tolerance` substitutions."""
    masks = [0]
    for d in range(1, tolerance + 1):
        for pos in itertools.combinations(range(length), d):
            for vals in itertools.product((1, 2, 3), repeat=d):
                masks.append(sum(v << (2 * (length - 1 - p)) for p, v in zip(pos, vals)))
    return np.array(masks, dtype=np.int64)


def search_sites(
    idx: OfftargetIndex, spacer_code: int, max_mismatches: int, pam_lut: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Site indices and mismatch counts of every site within `max_mismatches` of a spacer."""
    L = idx.meta["enzyme"]["spacer_length"]
    g = np.uint64(spacer_code)
    parts = idx.meta["seed_parts"]
    tol = max_mismatches // len(parts)
    cand_list = []
    for (s, e), (order, offsets) in zip(parts, idx.seeds):
        key = (int(spacer_code) >> (2 * (L - e))) & ((1 << (2 * (e - s))) - 1)
        keys = key ^ _neighbour_masks(e - s, tol)
        st, en = offsets[keys], offsets[keys + 1]
        lens = en - st
        nz = lens > 0
        if not nz.any():
            continue
        st, lens = st[nz], lens[nz]
        ends = np.cumsum(lens)
        sel = np.arange(ends[-1], dtype=np.int64) - np.repeat(ends - lens - st, lens)
        cand_list.append(np.asarray(order[sel], dtype=np.int64))
    codes = idx.arrays["codes"]
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
    n_sites = idx.arrays["n_sites"]
    if len(n_sites):
        x = codes[n_sites] ^ g
        mm = _popcount(((x | (x >> np.uint64(1))) & _M55) | idx.arrays["n_masks"])
        keep = mm <= max_mismatches
        found_i.append(np.asarray(n_sites[keep], dtype=np.int64))
        found_m.append(mm[keep])
    if not found_i:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    hits = np.concatenate(found_i)
    mms = np.concatenate(found_m).astype(np.uint8)
    ok = pam_lut[idx.arrays["pam_codes"][hits]]
    return hits[ok], mms[ok]


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
    return [(i, *search_sites(idx, code, max_mismatches, lut)) for i, code in chunk]


def normalise_spacers(spacers, length: int) -> tuple[list[str], list[str]]:
    """(ids, spacers) from a list (array, Series: its index gives the ids, generator), a
    {id: spacer} mapping or one spacer string; each spacer upper-cased, U read as T, outer
    whitespace stripped and checked: `length` nt of A/C/G/T. None, missing or non-text items
    are InputErrors naming the guide (None was read as the 4-nt text 'None')."""
    from helixforge.lm.inputs import as_sequence, as_sequences

    if spacers is None:
        raise InputError("spacers is None", hint="pass a list of spacers or {guide_id: spacer}")
    if isinstance(spacers, str | bytes | bytearray):
        spacers = [spacers]
    if isinstance(spacers, Mapping):
        ids = [str(k) for k in spacers]
        seqs = [as_sequence(v, f"spacer {k}") for k, v in zip(ids, spacers.values())]
    elif isinstance(spacers, pd.Series):
        ids = [str(i) for i in spacers.index]
        seqs = [as_sequence(v, f"spacer {k}") for k, v in zip(ids, spacers.tolist())]
    else:
        seqs = as_sequences(spacers, "spacers")
        ids = [s.strip() for s in seqs]  # the spacer as given names its guide
    if not seqs:
        raise InputError("no spacers given", hint="pass a list of spacers or {guide_id: spacer}")
    clean: list[str] = []
    first: dict[str, int] = {}
    for k, (gid, s) in enumerate(zip(ids, seqs)):
        u = s.strip().upper().replace("U", "T")
        # an empty spacer of a list has no name: its place does
        name = f"spacer {gid}" if gid.strip() else f"spacer {k + 1} of {len(seqs)}"
        if not u:
            raise InputError(
                f"{name} is empty; this enzyme/index uses {length}-nt spacers",
                hint="give every guide its spacer, or leave the guide out",
            )
        if len(u) != length:
            raise InputError(
                f"{name}: {s!r} is {len(u)} nt; this enzyme/index uses {length}-nt spacers",
                hint="pass several spacers as a list, not one comma-separated text"
                if "," in u
                else "give the spacer without its PAM",
            )
        bad = [i for i, ch in enumerate(u) if ch not in "ACGT"]
        if bad:
            raise InputError(
                f"{name}: character {u[bad[0]]!r} at position {bad[0] + 1} is not A, C, G or T",
                hint="off-targets are searched for A/C/G/T spacers (lowercase and U are read as "
                "DNA); give the guide's spacer as designed, or leave the guide out",
            )
        if gid in first and clean[first[gid]] != u:
            # two guides of one id ({1: …, '1': …}, a Series index used twice): the summary
            # had two rows of that id and `ontargets` applied to both
            raise InputError(
                f"guide id {gid!r} names two spacers: {clean[first[gid]]} (entry "
                f"{first[gid] + 1}) and {u} (entry {k + 1})",
                hint="give each guide its own id (the dict keys / Series index), or drop one",
            )
        first.setdefault(gid, k)
        clean.append(u)
    return ids, clean


def _check_ontargets(ontargets, ids: list[str], contigs: list[str]) -> dict:
    """`ontargets` checked: known guide ids, (contig of the index, 0-based start ≥ 0, '+'/'-'),
    returned keyed by the guide ids as text (an int key 0 names the guide of Series index 0).
    A wrong entry was ignored before, and the intended site then counted as an off-target."""
    from helixforge.core.options import require_int

    if not ontargets:
        return {}
    if not isinstance(ontargets, Mapping):
        raise ConfigError(
            f"ontargets must be a dict {{guide_id: (contig, start, strand)}}, got "
            f"{type(ontargets).__name__}"
        )
    known, names = set(ids), set(contigs)
    out = {}
    for key, site in ontargets.items():
        # guide ids are str(key) of the spacers' dict keys / Series index (ints included), so
        # ontargets keys are compared as text too: {0: site} matches pd.Series([spacer])
        gid = key.decode("ascii", "replace") if isinstance(key, bytes) else str(key)
        if gid not in known:
            shown = ", ".join(repr(i) for i in ids[:6]) + (", …" if len(ids) > 6 else "")
            raise ConfigError(
                f"ontargets names guide {key!r}, which is not among the spacers' ids ({shown})",
                hint="key ontargets by the guide ids (the dict keys / Series index you passed, "
                "else the spacer itself)",
            )
        if gid in out:
            raise ConfigError(
                f"ontargets names guide {gid!r} twice (keys {gid!r} and {key!r} are the same id)"
            )
        if not isinstance(site, tuple | list) or len(site) != 3:
            raise ConfigError(f"ontargets[{key!r}] must be (contig, start, strand), got {site!r}")
        c, start, strand = site
        if c not in names:
            shown = ", ".join(list(contigs)[:6])
            raise ConfigError(
                f"ontargets[{key!r}]: contig {c!r} is not in the index (contigs: {shown})"
            )
        start = require_int(start, f"ontargets[{key!r}] start", min_value=0)
        if strand not in ("+", "-"):
            raise ConfigError(f"ontargets[{key!r}]: strand must be '+' or '-', got {strand!r}")
        out[gid] = (c, start, strand)
    return out


def check_index_enzyme(idx, enzyme: str | Enzyme | None) -> Enzyme:
    """The enzyme a search asks for (`enzyme`, else the index's), or a `ConfigError` when the
    index holds sites of another spacer length or PAM side: its sites cannot be the guides'.
    Called before any guide is read, so a table of (say) 21-nt SaCas9 spacers against an SpCas9
    index is refused for the index, not row by row as "spacer is 21 nt; spcas9 uses 20 nt"."""
    enz = idx.enzyme
    req = get_enzyme(enzyme) if enzyme is not None else enz
    if req.spacer_length != enz.spacer_length or req.pam_side != enz.pam_side:
        raise ConfigError(
            f"the index was built for {enz.name} ({enz.spacer_length} nt, PAM {enz.pam_side}); "
            f"the search asks for {req.name} ({req.spacer_length} nt, {req.pam_side})",
            hint="build an index for this enzyme with `helix crispr index GENOME --enzyme NAME`",
        )
    return req


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
    quiet: bool = True,
) -> OfftargetResult:
    """Every site within `max_mismatches` of each spacer, scored with CFD and MIT, and a per-guide
    summary.

    `genome`: an `OfftargetIndex`, an index directory, a FASTA(.gz) path or {name: sequence}
    (the last two are indexed in memory first; `info['build_seconds']` says how long that took).
    `enzyme` defaults to the index's (SpCas9 when a genome is indexed here).
    `pams` restricts the search PAMs (default: all the index covers; SpCas9: NGG, NAG, NGA).
    `ontargets` maps guide id → (contig, 0-based site start, strand) of the intended site (keys
    are matched as text, as guide ids are: 0 names the guide at Series index 0); that site is reported with ``is_ontarget`` and left out of counts and specificity. Without it the
    first perfect match with the enzyme's main PAM is taken as the on-target (CRISPOR's rule).

    Summary columns: guide_id, spacer, ontarget (contig:start:strand or ''), offtargets,
    mm0…mmK (off-target counts by mismatches), cfd_sum, cfd_specificity, mit_sum,
    mit_specificity (CRISPOR 0–100), repeat (≥ `repeat_threshold` off-targets with ≤ 1
    mismatch), sites_reported, truncated. `quiet=False` shows a progress bar.
    """
    from helixforge.core.options import require_int
    from helixforge.lm.inputs import as_names

    require_int(max_mismatches, "--max-mismatches", min_value=0, max_value=8)
    require_int(max_sites_per_guide, "--max-sites", min_value=1)
    require_int(repeat_threshold, "repeat_threshold", min_value=1)
    pams = as_names(pams, "pams")  # 'NGG' is one PAM, not three one-letter ones
    t0 = time.perf_counter()
    idx = open_index(genome, enzyme or "spcas9", pams=None)
    built = idx.path is None and not isinstance(genome, OfftargetIndex)
    t_build = time.perf_counter() - t0
    enz = idx.enzyme
    req = check_index_enzyme(idx, enzyme)
    L = enz.spacer_length
    ids, seqs = normalise_spacers(spacers, L)
    ontargets = _check_ontargets(ontargets, ids, idx.contigs)
    pam_list = [check_pam(p) for p in pams] if pams else None
    if bad := [p for p in pam_list or [] if len(p) != enz.pam_length]:
        raise ConfigError(
            f"--pams {', '.join(f'{p} ({len(p)} nt)' for p in bad)}: this index holds "
            f"{enz.name} sites, whose PAMs are {enz.pam_length} nt",
            hint=f"give PAMs the index covers ({', '.join(idx.meta['search_pams'])}), or search "
            "the --enzyme these PAMs belong to (with an index built for it)",
        )
    not_indexed: list[str] = []
    if pam_list is None and enzyme is not None:
        pam_list, not_indexed = enzyme_pams_in_index(idx, req)
    lut = idx.pam_lut(pam_list)
    codes = [int(c) for c in encode_rows(np.stack([encode_int(s) for s in seqs]))]
    t1 = time.perf_counter()
    from helixforge.core.parallel import available_cpus, chunked, parallel_map, resolve_jobs

    items = list(enumerate(codes))
    jobs = resolve_jobs(n_jobs)
    if n_jobs == 0:  # "all CPUs": processes pay off only with enough guides each (start-up ≈ 1 s)
        jobs = max(1, min(available_cpus(), len(items) // 50))
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
        from helixforge.core.progress import progress

        raw = []
        with progress("off-target search", len(items), quiet=quiet, unit="guides") as advance:
            for i, c in items:
                raw.append((i, *search_sites(idx, c, max_mismatches, lut)))
                advance(1)
    t_search = time.perf_counter() - t1
    t2 = time.perf_counter()
    sites, summary = score_and_summarise(
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
    if not_indexed:
        info["pams_not_indexed"] = not_indexed
    return OfftargetResult(sites=sites, summary=summary, info=info)


def enzyme_pams_in_index(idx: OfftargetIndex, enzyme: Enzyme) -> tuple[list[str] | None, list[str]]:
    """The PAMs to search for `enzyme` in `idx`: None (all the index has) when the index covers
    exactly the enzyme's off-target PAMs; else the enzyme's PAMs the index covers (an SpCas9
    index, NGG/NAG/NGA, searched for custom:NGG:20 counts NGG sites only, as an index of that
    enzyme would), and the enzyme's PAMs it lacks (an index built with --pams NGG searched for
    SpCas9 cannot count NAG / NGA sites: the caller says so)."""
    from helixforge.crispr.enzymes import pam_code_matcher

    n = enz_len = idx.enzyme.pam_length
    covered = pam_code_matcher(tuple(idx.meta["search_pams"]), n)
    wanted = [p for p in enzyme.offtarget_pams if len(p) == enz_len]
    if len(wanted) == len(enzyme.offtarget_pams) and np.array_equal(
        pam_code_matcher(tuple(wanted), n), covered
    ):
        return None, []
    inside = [p for p in wanted if not (pam_code_matcher((p,), n) & ~covered).any()]
    missing = [p for p in enzyme.offtarget_pams if p not in inside]
    if not inside:
        raise ConfigError(
            f"the index ({', '.join(idx.meta['search_pams'])}) covers none of {enzyme.name}'s "
            f"off-target PAMs ({', '.join(enzyme.offtarget_pams)})",
            hint=f"build an index for this enzyme: helix crispr index GENOME --enzyme {enzyme.name}",
        )
    return inside, missing
