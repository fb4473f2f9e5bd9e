"""Motif enrichment: per motif, the fraction of foreground vs background sequences with a hit,
Fisher's exact test and Benjamini–Hochberg q-values over motifs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from helixforge.core.errors import RowErrors
from helixforge.dna.motifs.matrices import DEFAULT_PSEUDOCOUNT, Motif
from helixforge.dna.motifs.records import SequencesLike, as_records, check_records
from helixforge.dna.motifs.scan import MotifScanner
from helixforge.dna.motifs.stats import benjamini_hochberg


def enrich(
    foreground: SequencesLike,
    background: SequencesLike,
    motifs: Sequence[Motif],
    pvalue: float = 1e-4,
    pseudocount: float = DEFAULT_PSEUDOCOUNT,
    base_background=None,
    errors: RowErrors | None = None,
    bg_errors: RowErrors | None = None,
) -> pd.DataFrame:
    """Per motif: fraction of foreground vs background sequences with ≥ 1 hit, Fisher's exact test.

    Returns motif_id, name, fg_hits, fg_total, bg_hits, bg_total, fg_rate, bg_rate,
    log2_enrichment (rates, +0.5 smoothed), odds_ratio (sample odds ratio; with 0.5 added to
    every cell when one is 0, so it is finite when a set has no hit or only hits), pvalue
    (Fisher's exact test, one-sided, enriched in the foreground; 1 when neither set has a
    hit), qvalue (Benjamini–Hochberg over motifs); sorted by pvalue.
    """
    from scipy.stats import fisher_exact

    fg, fg_src = as_records(foreground)
    bg, bg_src = as_records(background)
    fg = check_records(fg, fg_src, errors)
    bg = check_records(bg, bg_src, bg_errors if bg_errors is not None else errors)
    scanner = MotifScanner(motifs, base_background, pseudocount, pvalue)
    names = [m.id for m in scanner.motifs]

    def presence(recs):
        # records are counted by position, not by name: with repeated names ('peak', '.',
        # one id per gene for several regions) every record of a name counted once together,
        # so a motif in 63 of 163 records was in 1 of 163 — an enrichment read as depletion
        hits = scanner.scan([replace(r, name=str(i)) for i, r in enumerate(recs)])
        counts = hits.groupby("motif_id")["seq"].nunique() if len(hits) else pd.Series(dtype=int)
        return np.array([int(counts.get(n, 0)) for n in names])

    a, b = presence(fg), presence(bg)
    n_fg, n_bg = len(fg), len(bg)
    pv = np.empty(len(names))
    for i in range(len(names)):
        table = [[a[i], n_fg - a[i]], [b[i], n_bg - b[i]]]
        pv[i] = fisher_exact(table, alternative="greater").pvalue
    odds = haldane_odds_ratio(a, n_fg - a, b, n_bg - b)
    fr, br = a / n_fg, b / n_bg
    df = pd.DataFrame(
        {
            "motif_id": names,
            "name": [m.name for m in scanner.motifs],
            "fg_hits": a,
            "fg_total": n_fg,
            "bg_hits": b,
            "bg_total": n_bg,
            "fg_rate": fr,
            "bg_rate": br,
            "log2_enrichment": np.log2(((a + 0.5) / (n_fg + 1)) / ((b + 0.5) / (n_bg + 1))),
            "odds_ratio": odds,
            "pvalue": pv,
            "qvalue": benjamini_hochberg(pv),
        }
    )
    return df.sort_values(
        ["pvalue", "log2_enrichment"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def haldane_odds_ratio(
    fg_hit: np.ndarray, fg_miss: np.ndarray, bg_hit: np.ndarray, bg_miss: np.ndarray
) -> np.ndarray:
    """(fg_hit · bg_miss) / (fg_miss · bg_hit) per motif; where a cell is 0 every cell of that
    table gets +0.5 (Haldane–Anscombe), so no hit in one set gives a finite ratio, not inf,
    0 or NaN (0/0 when neither set has a hit)."""
    cells = np.stack([fg_hit, fg_miss, bg_hit, bg_miss]).astype(float)
    cells += 0.5 * (cells == 0).any(axis=0)
    return (cells[0] * cells[3]) / (cells[1] * cells[2])
