"""HTML report of a guide design: guide map on the target, score distributions, off-target table.

design_report(result, target, enzyme, "guides.html")   # called by design_guides(report=…)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.report import Report, histogram_figure, pyplot
from helixforge.crispr.enzymes import Enzyme
from helixforge.crispr.guides import Target

# The ranking is tier, then combined_score = efficiency × specificity: those are the scores shown
# (specificity = 1/(1+ΣCFD) for SpCas9, the one the ranking uses; the CRISPOR-style 0–100
# cfd_specificity / mit_specificity stay in the TSV only).
_SHOWN = [
    "rank", "guide_id", "strand", "spacer", "pam", "cut_position", "gc", "tier", "efficiency",
    "specificity", "combined_score", "ontarget_score", "oof_score", "offtargets", "mm0", "mm1",
    "mm2", "mm3", "mm4", "flags",
]  # fmt: skip


def guide_map_figure(candidates: pd.DataFrame, target: Target, top: pd.DataFrame | None = None):
    """Guides along the target: + strand above the line, − strand below, height and colour =
    combined score, grey crosses = tier-3 guides, the reported (top) guides labelled by rank."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.6))
    n = len(target.sequence)
    ax.axhline(0, color="#444", lw=2)
    if len(candidates):
        x = candidates["target_position"].to_numpy(float)
        score = candidates["combined_score"].to_numpy(float)
        sign = np.where(candidates["strand"] == "+", 1.0, -1.0)
        y = sign * (0.15 + score)
        hard = (
            candidates["tier"].to_numpy() == 3 if "tier" in candidates else np.zeros(len(x), bool)
        )
        sc = ax.scatter(x[~hard], y[~hard], c=score[~hard], cmap="viridis", vmin=0,
                        vmax=max(1e-9, np.nanmax(score)), s=14, zorder=3)  # fmt: skip
        if hard.any():
            ax.scatter(
                x[hard],
                y[hard],
                marker="x",
                color="#999",
                s=14,
                zorder=3,
                label="tier 3 (hard flag)",
            )
            ax.legend(loc="upper right", fontsize=7)
        ax.vlines(x, 0, y, colors="#bbb", lw=0.5, zorder=2)
        fig.colorbar(sc, ax=ax, label="combined score", pad=0.01)
        if top is not None and len(top):
            t = candidates[candidates["guide_id"].isin(set(top["guide_id"]))]
            for r in t.itertuples():
                yy = (1 if r.strand == "+" else -1) * (0.15 + r.combined_score)
                ax.annotate(str(r.rank), (r.target_position, yy), xytext=(0, 5 if yy > 0 else -11),
                            textcoords="offset points", ha="center", fontsize=7, color="#c00")  # fmt: skip
    if target.from_genome:
        ax.set_xlabel(f"position in target (1 = {target.contig}:{target.start + 1:,})")
    else:
        ax.set_xlabel("position in target (nt)")
    ax.set_xlim(0, n)
    ax.set_ylim(-1.3, 1.3)
    ax.set_yticks([-0.6, 0.6], ["− strand", "+ strand"])
    ax.set_title(f"Guides on {target.name} ({n:,} nt); red numbers = reported ranks")
    return fig


# Wall-clock facts differ between two identical runs: info's 'seconds' / '*_seconds' and a
# note's "built in memory in 0.2 s". The console and `DesignResult.info` keep them; the report
# leaves them out, so the same design gives the same bytes (docs/reliability.md, Determinism).
_NOTE_TIME = re.compile(r" in \d+(?:\.\d+)? s\b")


def _is_timing(key: str) -> bool:
    return key == "seconds" or key.endswith("_seconds")


def design_report(result, target: Target, enzyme: Enzyme, path: str | os.PathLike) -> Path:
    """Write the HTML report of a `DesignResult`: the same design gives the same bytes (no
    wall-clock seconds in it; `result.info` and the console have them)."""
    cand = result.candidates if result.candidates is not None else result.guides
    rep = Report(
        f"CRISPR guide design — {target.name}",
        f"{enzyme.name} (PAM {'/'.join(enzyme.pams)}, {enzyme.spacer_length}-nt spacer); "
        f"{len(cand)} candidate guides, {len(result.guides)} reported",
    )
    rep.add_heading("Run")
    info = {k: v for k, v in result.info.items() if not _is_timing(str(k))}
    rep.add_table(pd.DataFrame([{"item": k, "value": str(v)} for k, v in info.items()]))
    for note in result.notes:
        rep.add_text("Note: " + _NOTE_TIME.sub("", note))
    rep.add_heading("Guide map")
    rep.add_figure(guide_map_figure(cand, target, result.guides))
    rep.add_heading("Score distributions (all candidates)")
    if cand["ontarget_score"].notna().any():
        rep.add_figure(
            histogram_figure(
                cand["ontarget_score"], "On-target score", "percentile (0–100)", bins=20
            )
        )
    if cand["offtargets"].notna().any():
        how = "1/(1+ΣCFD)" if cand["cfd_sum"].notna().any() else "mismatch-count heuristic"
        rep.add_figure(histogram_figure(cand["specificity"], f"Specificity {how}", "", bins=20))
    rep.add_figure(
        histogram_figure(
            cand["combined_score"], "Combined score", "efficiency × specificity", bins=20
        )
    )
    tiers = cand["tier"].value_counts().sort_index()
    rep.add_table(pd.DataFrame({"tier": tiers.index, "guides": tiers.values}))
    rep.add_heading("Ranked guides")
    rep.add_text(
        "Rank = tier (1 no flag, 2 soft flags, 3 hard flags), then combined_score = efficiency "
        "(on-target score / 100) × specificity (SpCas9: 1/(1+ΣCFD) over the off-targets; "
        "other enzymes: a mismatch-count heuristic). A guide with a higher on-target score can "
        "rank below one with a lower score when its specificity is lower."
    )
    rep.add_table(result.guides[[c for c in _SHOWN if c in result.guides.columns]], max_rows=100)
    rep.add_heading("Why each guide ranks where it does")
    rep.add_table(result.guides[["rank", "guide_id", "rank_reason"]], max_rows=100)
    if len(result.offtargets):
        off = result.offtargets[~result.offtargets["is_ontarget"]]
        rep.add_heading("Top off-targets of the reported guides (by CFD, then mismatches)")
        if len(off):
            cols = [
                "guide_id",
                "contig",
                "start",
                "strand",
                "site",
                "mismatches",
                "mismatch_positions",
                "cfd",
                "mit",
                "soft_masked",
            ]
            top_off = off.sort_values(["cfd", "mismatches"], ascending=[False, True], kind="stable")
            rep.add_table(top_off[cols], max_rows=40)
            rep.add_text(
                "Mismatched bases are lowercase in 'site'; positions count from the PAM-distal end (1)."
            )
        else:
            rep.add_text("No off-target site within the mismatch limit for any reported guide.")
    return rep.write(path)
