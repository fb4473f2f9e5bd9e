"""Markdown for benchmarks/results/dna_variants.md (from the .json of benchmarks/dna_variants.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Kircher et al. 2019 (Nat Commun 10:3583), Fig. 1: 10 promoters and 11 enhancers
PROMOTERS = {"F9", "FOXE1", "GP1BA", "HBB", "HBG1", "HNF4A", "LDLR", "MSMB", "PKLR", "TERT"}
LABELS = {
    "motif_hits": "JASPAR hits over the variant (count; the issue's baseline)",
    "motif": "JASPAR motif Δ: score = max over motifs of |Δ best log-odds| across the variant "
    "(`motif_abs_delta`), delta = that motif's Δ",
    "motif_cell": "JASPAR motif Δ (as `motif`) over only the TFs listed in "
    "benchmarks/dna_variants_tfs.py: ubiquitous promoter factors + the lineage factors of the "
    "element's cell line (fixed a priori, `--tfs` in the product)",
    "motif_cell_sum": "as `motif_cell`, summed over motifs (Σ|Δ|, ΣΔ)",
    "motif_sum": "JASPAR motif Δ summed over motifs: score = Σ|Δ| (`motif_sum_abs`), delta = ΣΔ",
    "ensemble": "rank-average: motif Δ + GUE promoter and TF models",
    "ensemble_product": "`helix dna variants score --method ensemble` with the GUE prom_300_tata "
    "model: rank-average of motif Σ|Δ| and |model Δ| (the model was picked after seeing the "
    "per-model rows: not a blind result)",
    "ensemble_loeo": "rank-average of 1–3 methods chosen leave-one-element-out (best mean "
    "abs(effect) Spearman on the other elements; choices per element group in the .json)",
    "ensemble_models": "rank-average: GUE promoter and TF models",
    "stacked": "LightGBM on all scores + position in the construct + ±5 bp motif context, "
    "leave-one-element-out (fitted on the other elements' MPRA data)",
    "mpra": "`helix dna variants score --method mpra`: LightGBM on the product's motif-Δ, ±5 bp "
    "motif-context and base features (no model, no cell type), leave-one-element-out here; the "
    "shipped model is the same fit on all experiments",
    "stacked_motif": "as `stacked_nopos` with only the motif scores (no GUE model, no LM): "
    "everything it needs comes from JASPAR and the sequence",
    "stacked_nopos": "as `stacked` without the position-in-construct features (what could "
    "transfer to variants outside an MPRA construct)",
}
PUBLISHED = (
    "Published reference points (text only; not re-measured here). Kircher et al. 2019 (*Nat "
    "Commun* 10:3583, PMC6687891) measured these elements and report that the extent to which "
    "conservation or integrative scores (e.g. CADD) predict the functional effects varies widely "
    "between elements. The CAGI5 'regulation saturation' challenge used nine promoters and five "
    "enhancers of this set (Shigaki et al. 2019, *Hum Mutat* 40:1280, PMC6879779); its top "
    "methods were trained on MPRA data plus epigenomic features of the matching cell types: SURF "
    "(Dong & Boyle 2019, *Hum Mutat* 40:1292, PMC6744346; DNase footprints and ChIP-seq via "
    "RegulomeDB) and an MPRA meta-analysis ensemble (Kreimer et al. 2019, *Hum Mutat*, "
    "doi:10.1002/humu.23820). Their per-element correlations could not be retrieved offline "
    "here, so they are not quoted; note those methods use cell-type epigenomic data that a "
    "sequence-only method (everything in this table) does not have."
)


def _f(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:+.2f}"


def _kind(element: str) -> str:
    base = element.split("-")[0].split(".")[0]
    return "promoter" if base in PROMOTERS else "enhancer"


def _mean(rows, key) -> float:
    vals = [r[key] for r in rows if r[key] is not None and np.isfinite(r[key])]
    return float(np.mean(vals)) if vals else float("nan")


def summary(rows: list[dict]) -> list[dict]:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    out = []
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        prom = [r for r in mine if _kind(r["element"]) == "promoter"]
        enh = [r for r in mine if _kind(r["element"]) == "enhancer"]
        out.append(
            {
                "method": m,
                "abs": _mean(mine, "abs"),
                "signed": _mean(mine, "signed"),
                "abs_sig": _mean(mine, "abs_sig"),
                "signed_sig": _mean(mine, "signed_sig"),
                "abs_prom": _mean(prom, "abs"),
                "abs_enh": _mean(enh, "abs"),
                "prom_positive": sum(1 for r in prom if np.isfinite(r["abs"]) and r["abs"] > 0),
                "n_prom": len(prom),
            }
        )
    return out


def write_markdown(result: dict, path: Path) -> None:
    from helixforge.core.tables import write_text

    rows = result["rows"]
    summ = summary(rows)
    methods = [s["method"] for s in summ]
    lines = [
        "# Variant effects: Kircher et al. 2019 saturation-mutagenesis MPRA",
        "",
        "    /tmp/brief/cpujob .venv/bin/python benchmarks/dna_variants_models.py",
        "    /tmp/brief/cpujob .venv/bin/python benchmarks/dna_variants.py",
        "",
        f"Machine: {result['machine']}. {result['n_variants']:,} measured GRCh38 variants (SNVs "
        "and 1-bp deletions) in 29 element × cell-line experiments (21 elements), scored through "
        "`helix dna variants score` on the element sequences. Spearman per experiment between the "
        "measured log2 effect and the method's `delta` (signed) and between |effect| and the "
        f"method's `score`; 'p<{result['p_cut']:g}' = only variants whose measured effect has "
        "p < 1e-5 (as in CAGI5). Means are over the 29 experiments (over those with ≥ 10 such "
        "variants for the p-filtered columns).",
        "",
        "## Summary (mean per-experiment Spearman)",
        "",
        "| method | abs(effect) all | signed all | abs(effect) p<1e-5 | signed p<1e-5 | "
        "abs(effect) promoters | abs(effect) enhancers | promoters with abs(effect) ρ > 0 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summ:
        lines.append(
            f"| {s['method']} | {_f(s['abs'])} | {_f(s['signed'])} | {_f(s['abs_sig'])} | "
            f"{_f(s['signed_sig'])} | {_f(s['abs_prom'])} | {_f(s['abs_enh'])} | "
            f"{s['prom_positive']}/{s['n_prom']} |"
        )
    base = next((x for x in summ if x["method"] == "motif_hits"), None)
    if base is not None:
        lines += ["", "Goal (issue 14): mean per-experiment Spearman of abs(effect) above the "
                  f"motif-hit baseline ({_f(base['abs'])}) and > 0 on every promoter experiment:", ""]  # fmt: skip
        for x in summ:
            if x["method"] == "motif_hits":
                continue
            above = np.isfinite(x["abs"]) and x["abs"] > base["abs"]
            allpos = x["prom_positive"] == x["n_prom"]
            lines.append(
                f"- `{x['method']}`: {_f(x['abs'])} — {'above' if above else 'not above'} the "
                f"baseline; positive on {x['prom_positive']}/{x['n_prom']} promoter experiments "
                f"→ goal {'met' if above and allpos else 'not met'}"
            )
    for key, title in (("abs", "abs(effect) vs score"), ("signed", "signed effect vs delta")):
        for sig in ("", "_sig"):
            label = "all variants" if not sig else f"p < {result['p_cut']:g}"
            lines += [
                "",
                f"## Per experiment: {title}, {label}",
                "",
                "| element | kind | n | " + " | ".join(methods) + " |",
                "|---|---|---|" + "---|" * len(methods),
            ]
            elements = list(dict.fromkeys(r["element"] for r in rows))
            for e in elements:
                mine = {r["method"]: r for r in rows if r["element"] == e}
                n = mine[methods[0]]["n_sig" if sig else "n"]
                cells = [_f(mine[m][key + sig]) for m in methods]
                lines.append(f"| {e} | {_kind(e)} | {n} | " + " | ".join(cells) + " |")
    lines += ["", "## Methods", ""]
    for m in methods:
        label = LABELS.get(m)
        if m == "lm" and result.get("lm"):
            info = result["lm"]
            label = (
                f"zero-shot log-likelihood ratio of our {info['arch']} LM pretrained for "
                f"{info['steps']} steps on the human GUE train sequences "
                + (
                    "(windows of 128 bp: in practice only prom_300_tata's 300-bp promoter "
                    "sequences are long enough) "
                    if "128" in info["arch"]
                    else ""
                )
                + "; window 61 bp centred on the variant; delta = log P(alt) − log P(ref), "
                "score = |delta|"
            )
        elif label is None and m.startswith("model:"):
            task = m.split(":", 1)[1]
            info = result["models"].get(task, {})
            label = (
                f"Δ logit of a {info.get('arch', '?')} trained on GUE {task} "
                f"({info.get('epochs', '?')} epochs), window {info.get('train_len', '?')} bp "
                "centred on the variant, both strands averaged"
            )
        lines.append(f"- `{m}`: {label}")
    lines += [
        "",
        "Motif Δ: the 879 JASPAR 2024 CORE vertebrate matrices bundled with pyjaspar (no TF "
        "selection by expression: all of them), FIMO-style integerised log-odds (uniform "
        "background, pseudocount 0.8); per motif and strand the best score over placements "
        "overlapping the allele, floored at the p < 1e-4 hit threshold; Δ = alt − ref; `score` = "
        "max over motifs of |Δ|, `delta` = the Δ of that motif (row `motif`), or Σ over motifs "
        "(row `motif_sum`: what `helix dna variants score --method motif` reports as delta / "
        "score since this benchmark, where it was the better of the two). The hit-count baseline counts "
        "reference placements (motif × strand) at p < 1e-4 overlapping the variant; it has no "
        "sign. `ensemble` and `ensemble_models` average per-experiment percentile ranks with fixed, "
        "equal weights chosen before any result was seen; `ensemble_product` was set up after "
        "seeing the per-model rows (disclosed in its label). Rows fitted or selected on MPRA "
        "data — `ensemble_loeo` (member choice) and the `stacked*` rows (LightGBM on the "
        "per-experiment ranks of the methods' score and delta, the hit count, the mean motif "
        "disruption and hit count of the alleles within ±5 bp, the alleles' bases, and for "
        "`stacked` the position in the construct) — are leave-one-element-out: trained on all "
        "other elements (LDLR/LDLR.2, SORT1/SORT1.2/SORT1-flip, PKLR-24h/48h, TERT ×4 cell "
        "lines, ZRSh-13/h2 held out together), predicting the held-out experiment's "
        "within-experiment rank.",
        "",
        PUBLISHED,
        "",
    ]
    write_text("\n".join(lines), path)
