"""report.html of `helix dna interpret`: score histogram, one section per seqlet cluster
(contribution and sequence logos, the closest database motifs), strongest seqlets in context.

A cluster's closest database motif is called a match only when its q-value is at most the
threshold; otherwise the heading says "no significant match (best q = …)".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helixforge.dna.interpret.matching import logo_figure


def match_title(motif_id: str, name: str, qvalue: float, threshold: float) -> str:
    """'best match MA0035.4 Gata1 (q = 0.001)' or 'no significant match (best q = 0.88)'."""
    if np.isfinite(qvalue) and qvalue <= threshold:
        return f"best match {motif_id} {name} (q = {qvalue:.2g})"
    return f"no significant match (best q = {qvalue:.2g})"


def interpretation_report(out_dir: Path, method: str, names, seqs, attr, pred, seqlets,
                          clusters, match_tables, db, *, n_errors: int,
                          threshold: float) -> None:  # fmt: skip
    """Write `out_dir/report.html` for one interpretation run."""
    from helixforge.core.report import Report, histogram_figure

    rep = Report(
        "Sequence model interpretation",
        f"method: {method} · {len(seqs)} sequences · {len(seqlets)} seqlets",
    )
    rep.add_text(
        "Contributions are per-base attributions of the model's score; seqlets are windows of "
        "high total contribution; clusters group recurring seqlets and are compared with the "
        "motif database (Tomtom-like, column Pearson correlation, empirical p-values, "
        f"Benjamini–Hochberg q-values over the database). A match needs q ≤ {threshold:g}."
    )
    if n_errors:
        rep.add_text(f"{n_errors} input record(s) were skipped; see errors.csv.")
    rep.add_figure(histogram_figure(pred, "Model scores of the input sequences", "score"))
    by_id = {m.id: m for m in db.motifs}
    for k, (cl, m) in enumerate(zip(clusters, match_tables)):
        top_id, top_name = m["motif_id"].iloc[0], m["name"].iloc[0]
        q = float(m["qvalue"].iloc[0])
        significant = np.isfinite(q) and q <= threshold
        rep.add_heading(
            f"Cluster {k + 1}: {cl.n} seqlets · {match_title(top_id, top_name, q, threshold)}"
        )
        cwm, counts = cl.trimmed()
        rep.add_figure(
            logo_figure(cwm, f"cluster {k + 1} contribution (CWM)"), "contribution weight matrix"
        )
        rep.add_figure(
            logo_figure(counts + 0.01, f"cluster {k + 1} sequence logo", kind="probability"),
            "aligned seqlet bases",
        )
        best = by_id.get(top_id)
        if best is not None:
            caption = (
                "best database match"
                if significant
                else f"closest database motif, not a significant match (q = {q:.2g})"
            )
            rep.add_figure(
                logo_figure(best.probabilities(), f"{best.id} {best.name}", kind="probability"),
                caption,
            )
        rep.add_table(m.round(4))
    if len(seqlets):
        rep.add_heading("Strongest seqlets in context")
        for _, row in seqlets.head(6).iterrows():
            s = int(row["seq_index"])
            a = max(0, int(row["start"]) - 15)
            b = min(len(seqs[s]), int(row["end"]) + 15)
            rep.add_figure(logo_figure(attr[s, a:b], f"{names[s]}:{a}-{b} (score {pred[s]:.3g})"))
        rep.add_table(seqlets.head(30).round(4))
    rep.write(out_dir / "report.html")
