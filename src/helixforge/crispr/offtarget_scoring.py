"""Off-target scoring: CFD and MIT per site, on-target detection, per-guide summaries.

`score_and_summarise` turns raw search hits (site indices and mismatch counts per guide) into
the sites table (`SITE_COLUMNS`) and the per-guide summary, in one vectorised pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helixforge.crispr import scoring
from helixforge.crispr.enzymes import pam_code_matcher
from helixforge.crispr.offtarget_index import FLAG_MINUS, FLAG_N, FLAG_SOFT, decode_codes
from helixforge.dna.sequence import encode_int

SITE_COLUMNS = [
    "guide_id", "spacer", "contig", "start", "end", "strand", "site", "pam", "mismatches",
    "mismatch_positions", "cfd", "mit", "soft_masked", "has_n", "is_ontarget",
]  # fmt: skip


def score_and_summarise(idx, enz, ids, seqs, raw, max_mm, cap, ontargets, repeat_threshold):
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
    sites = site_frame(
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


def site_frame(
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
