"""Evaluation of a gene annotator on held-out regions: per-base precision / recall / F1 for CDS+
and CDS− (and coding vs non-coding), and gene recovery: exact (both ends match, same strand),
stop-exact (3′ end matches) and ≥ 90 % reciprocal overlap, as sensitivity (of annotated genes)
and precision (of predicted genes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.dna.annotate.labels import cds_labels, true_genes
from helixforge.dna.annotate.regions import Region


def per_base_metrics(labels: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Per-base precision / recall / F1 for CDS+ and CDS− (codon positions merged), coding vs
    non-coding F1, and codon-position accuracy on correctly called coding bases."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    pred = proba.argmax(axis=1)
    y3 = np.select([labels == 0, labels <= 3], [0, 1], 2)
    p3 = np.select([pred == 0, pred <= 3], [0, 1], 2)
    prec, rec, f1, _ = precision_recall_fscore_support(
        y3, p3, labels=[1, 2], average=None, zero_division=0
    )
    out: dict[str, float] = {}
    for k, name in enumerate(("cds_plus", "cds_minus")):
        out[f"{name}_precision"], out[f"{name}_recall"] = float(prec[k]), float(rec[k])
        out[f"{name}_f1"] = float(f1[k])
    out["coding_f1"] = float(f1_score(y3 > 0, p3 > 0, zero_division=0))
    out["macro_f1_3class"] = float(
        f1_score(y3, p3, average="macro", labels=[0, 1, 2], zero_division=0)
    )
    both = (y3 == p3) & (y3 > 0)
    out["codon_position_accuracy"] = (
        float(np.mean(pred[both] == labels[both])) if both.any() else float("nan")
    )
    out["bases"] = int(len(labels))
    return out


def gene_metrics(
    true: Sequence[tuple[int, int, str]],
    pred: Sequence[tuple[int, int, str]],
    min_overlap: float = 0.9,
) -> dict[str, float]:
    """Gene recovery: exact (both ends), stop-exact (3′ end) and reciprocal-overlap matches."""
    true_set = {(s, e, st) for s, e, st in true}
    pred_set = {(s, e, st) for s, e, st in pred}
    exact = true_set & pred_set

    def three_prime(g):
        s, e, st = g
        return (e, st) if st == "+" else (s, st)

    pred_stops = {three_prime(g) for g in pred_set}
    true_stops = {three_prime(g) for g in true_set}
    stop_hits = sum(three_prime(g) in pred_stops for g in true_set)
    pred_stop_hits = sum(three_prime(g) in true_stops for g in pred_set)

    by_strand: dict[str, list[tuple[int, int]]] = {}
    for s, e, st in sorted(pred_set):
        by_strand.setdefault(st, []).append((s, e))
    starts = {st: np.array([s for s, _ in v]) for st, v in by_strand.items()}

    def overlap_match(g, pool, pool_starts) -> bool:
        s, e, st = g
        if st not in pool:
            return False
        cands = pool[st]
        lo = np.searchsorted(pool_starts[st], s - (e - s) * 2, side="left")
        for ps, pe in cands[lo:]:
            if ps >= e:
                break
            ov = min(e, pe) - max(s, ps)
            if ov > 0 and ov >= min_overlap * (e - s) and ov >= min_overlap * (pe - ps):
                return True
        return False

    overlap_hits = sum(overlap_match(g, by_strand, starts) for g in true_set)
    t_by: dict[str, list[tuple[int, int]]] = {}
    for s, e, st in sorted(true_set):
        t_by.setdefault(st, []).append((s, e))
    t_starts = {st: np.array([s for s, _ in v]) for st, v in t_by.items()}
    pred_overlap_hits = sum(overlap_match(g, t_by, t_starts) for g in pred_set)
    nt, npred = max(1, len(true_set)), max(1, len(pred_set))
    return {
        "genes_annotated": len(true_set),
        "genes_predicted": len(pred_set),
        "exact_sensitivity": len(exact) / nt,
        "exact_precision": len(exact) / npred,
        "stop_sensitivity": stop_hits / nt,
        "stop_precision": pred_stop_hits / npred,
        "overlap90_sensitivity": overlap_hits / nt,
        "overlap90_precision": pred_overlap_hits / npred,
    }


def evaluate_regions(
    ann: Any, g: Any, cds, regions: list[Region]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per-base and gene-level metrics over `regions`; returns (metrics, predicted genes)."""
    all_lab, all_p, true_all, pred_all, genes = [], [], [], [], []
    for r in regions:
        full = g.sequence(r.contig)
        margin = 1024
        a, b = max(0, r.start - margin), min(len(full), r.end + margin)
        proba = ann.predict_proba(full[a:b])[r.start - a : r.end - a]
        lab = cds_labels(len(full), cds, r.contig)[r.start : r.end]
        all_lab.append(lab)
        all_p.append(proba)
        called = ann.call_genes(full[r.start : r.end], proba, offset=r.start)
        for gene in called:
            gene["seqid"] = r.contig
        genes += called
        true_all += [
            (s, e, st, r.contig)
            for s, e, st in true_genes(cds, r.contig)
            if s >= r.start and e <= r.end
        ]
        pred_all += [(x["start"], x["end"], x["strand"], r.contig) for x in called]
    metrics = per_base_metrics(np.concatenate(all_lab), np.concatenate(all_p))
    # contig names folded into the strand key keep genes of different contigs apart
    metrics.update(
        gene_metrics(
            [(s, e, f"{st}|{c}") for s, e, st, c in true_all],
            [(s, e, f"{st}|{c}") for s, e, st, c in pred_all],
        )
    )
    return metrics, genes
