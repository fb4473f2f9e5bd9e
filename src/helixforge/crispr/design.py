"""The guide design pipeline: target → every guide → on-target + off-target scores → ranked table.

    res = design_guides("thrA", genome="ecoli.fna.gz", annotation="ecoli.gff.gz", top=10,
                        out="guides.tsv", report="guides.html")
    res.guides        # ranked table (columns: design_columns(), documented in docs/crispr.md)
    res.offtargets    # reported off-target sites of those guides
    res.notes         # what was skipped or assumed, e.g. "index built in 2.4 s"

Ranking (explained per guide in `rank_reason`):

1. **tier** — 1: no flag; 2: soft flags (GC < 25 % or > 80 %, homopolymer ≥ 5, soft-masked
   site, no full context, any 1-mismatch off-target, cut outside 5–65 % of the CDS, cut in an
   intron); 3: hard
   flags (TTTT Pol III terminator, a named restriction site, another perfect match in the
   genome, repeat).
2. within a tier, by **combined_score = efficiency × specificity** (all three are columns of
   the table and shown on the console), both in 0–1: efficiency is the
   on-target score / 100 (0.5 when no model applies); specificity is 1 / (1 + Σ CFD of the
   off-targets) for SpCas9 (the GuideScan / CRISPick aggregate-CFD form), and for enzymes
   without CFD 1 / (1 + mm0 + mm1/2 + mm2/10 + mm3/50 + mm4/200) (a transparent heuristic).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.errors import HelixError
from helixforge.core.io import check_not_input
from helixforge.crispr.enzymes import Enzyme, get_enzyme
from helixforge.crispr.guides import GUIDE_COLUMNS, enumerate_guides, resolve_target
from helixforge.crispr.targets import DEFAULT_MAX_TARGET_LENGTH

HARD_FLAGS = ("poly_t", "restriction:", "offtarget_perfect", "repeat")
SOFT_FLAGS = (
    "gc_low",
    "gc_high",
    "homopolymer",
    "soft_masked",
    "no_context",
    "offtarget_1mm",
    "cds_edge",
    "intron",
)
_MM_WEIGHTS = (1.0, 0.5, 0.1, 0.02, 0.005, 0.001, 0.0005, 0.0002, 0.0001)


@dataclass
class DesignResult:
    guides: pd.DataFrame
    offtargets: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    candidates: pd.DataFrame | None = None  # every ranked guide before `top` was applied
    skipped: pd.DataFrame | None = None  # sites over non-ACGT bases, not designed (see guides)


def _tier(flags: str) -> int:
    items = [f for f in flags.split(";") if f]
    if any(f.startswith(h) for f in items for h in HARD_FLAGS):
        return 3
    if any(f in SOFT_FLAGS for f in items):
        return 2
    return 1


def _ontarget_enzyme(enz: Enzyme) -> str:
    """The enzyme whose on-target model scores `enz`'s guides: SpCas9's for a custom enzyme of
    SpCas9's layout (custom:NGG:20), which got no scores ("no on-target efficiency model for
    enzyme 'custom_NGG_20nt_3prime'"); else its own (`enzymes.ontarget_model_name`)."""
    from helixforge.crispr.enzymes import ontarget_model_name

    return ontarget_model_name(enz)


def _ontarget(guides: pd.DataFrame, enz: Enzyme, model: str, notes: list[str]) -> np.ndarray:
    scores = np.full(len(guides), np.nan)
    if model in ("none", "", None):
        notes.append("on-target scoring switched off (ontarget_model='none')")
        return scores
    try:
        from helixforge.crispr.ontarget import score_ontarget
    except ImportError:
        notes.append("on-target model not available in this installation; ontarget_score is empty")
        return scores
    from helixforge.core.errors import RowErrors

    # full context where known, else spacer + PAM (the model treats the flanks as unknown)
    ctx = [c if c else s + p for c, s, p in zip(guides["context"], guides["spacer"], guides["pam"])]
    errors = RowErrors("guides")
    try:
        scores = np.asarray(
            score_ontarget(ctx, enzyme=_ontarget_enzyme(enz), model=model, errors=errors),
            dtype=float,
        )
    except HelixError as exc:
        if model != "default":
            raise  # a model the user named (path or name) that cannot be used is an error
        notes.append(f"on-target scores not computed: {exc.message}")  # e.g. no model for enz
        return np.full(len(guides), np.nan)
    if len(errors):
        notes.append(f"on-target model could not score {len(errors)} guide(s): {errors.summary(2)}")
    return scores


def design_guides(
    target,
    genome: str | os.PathLike | dict | None = None,
    enzyme: str | Enzyme = "spcas9",
    top: int | None = None,
    max_mismatches: int = 4,
    annotation=None,
    index: str | os.PathLike | None = None,
    restriction_enzymes: list[str] | tuple[str, ...] = (),
    ontarget_model: str = "default",
    out: str | os.PathLike | None = None,
    report: str | os.PathLike | None = None,
    n_jobs: int = 1,
    max_sites_per_guide: int = 200,
    pams: tuple[str, ...] | None = None,
    overwrite: bool = False,
    quiet: bool = True,
    max_target_length: int | None = DEFAULT_MAX_TARGET_LENGTH,
) -> DesignResult:
    """Design and rank guides for a target (sequence, FASTA, contig:start-end or gene name).

    `genome` (FASTA) is needed for region/gene targets and for the off-target search; `index`
    (from `build_index` / `helix crispr index`) makes the search start instantly — without it an
    index is built in memory and `notes` says how long that took. `top` keeps the N best guides
    (all when None). `out` writes the table (TSV/CSV by suffix) and the off-target sites beside
    it as ``<stem>.offtargets.tsv``; `report` writes the HTML report. `pams` restricts the PAMs
    guides are designed with (default: the enzyme's); off-targets are always searched with all of
    the enzyme's off-target PAMs (SpCas9: NGG, NAG, NGA). Sites over a non-ACGT base (N, R, …)
    are skipped, listed in `skipped` and written to ``<stem>.skipped.tsv``; the design goes on.
    With `genome` and `index` both given, the index must have been built from that genome.
    Existing outputs are replaced only with `overwrite` (checked before any work). A target
    longer than `max_target_length` bp (default 100,000: a large gene; None or 0: no limit) is
    refused before its bases are read (`TargetTooLongError`): every site of a whole
    chromosome, each scored and searched genome-wide, is hours of work and millions of rows.
    """
    from helixforge.core.options import require_int

    t0 = time.perf_counter()
    if top is not None:
        require_int(top, "--top", min_value=1)
    require_int(max_mismatches, "--max-mismatches", min_value=0, max_value=8)
    require_int(max_sites_per_guide, "--max-sites", min_value=1)
    if max_target_length is not None:
        require_int(max_target_length, "--max-target-length", min_value=0)
    from helixforge.crispr.offtarget_index import check_index_path

    check_index_path(index)
    inputs = [genome, index, annotation, target, _target_file(target), ontarget_model]
    for dest, opt in ((out, "--out"), (report, "--report")):
        check_not_input(dest, inputs, option=opt)
    paths = design_output_paths(out, report, overwrite=overwrite, inputs=inputs)
    enz = get_enzyme(enzyme)
    notes: list[str] = []
    tgt = resolve_target(target, genome=genome, annotation=annotation, max_length=max_target_length)
    guides = enumerate_guides(
        tgt, enz, restriction_enzymes=restriction_enzymes, annotation=annotation, pams=pams,
        max_target_length=max_target_length,
    )  # fmt: skip
    skipped = guides.attrs.get("skipped", pd.DataFrame())
    if annotation is not None and not isinstance(annotation, pd.DataFrame):
        from helixforge.crispr.targets import load_annotation

        if note := load_annotation(annotation).attrs.get("note"):  # cached: not read twice
            notes.append(note)
    info = {
        "target": tgt.name,
        "target_length": len(tgt.sequence),
        "enzyme": enz.name,
        "ontarget_model": str(ontarget_model),  # which model scored (shipped name or a path)
        "n_candidates": len(guides),
        "n_skipped": len(skipped),
    }
    if len(skipped):
        bases = sorted({r.split("'")[1] for r in skipped["reason"] if r.count("'") >= 2})
        notes.append(
            f"{len(skipped)} site(s) skipped: their spacer holds a base that is not A/C/G/T "
            f"({', '.join(bases)})" + (f" → {paths['skipped']}" if paths else "")
        )
    k = max_mismatches
    mm_cols = [f"mm{i}" for i in range(k + 1)]
    if len(guides) == 0:
        notes.append(guides.attrs.get("note", "no guides"))
        empty = pd.DataFrame(columns=design_columns(k))
        _write(empty, pd.DataFrame(), skipped, paths)
        return DesignResult(empty, pd.DataFrame(), notes, info, skipped=skipped)

    guides["ontarget_score"] = np.round(_ontarget(guides, enz, ontarget_model, notes), 3)

    off_sites = pd.DataFrame()
    if genome is not None or index is not None:
        from helixforge.crispr.offtarget import find_offtargets, open_index

        t1 = time.perf_counter()
        if index is not None:
            idx = open_index(
                index, check_against=genome if isinstance(genome, str | os.PathLike) else None
            )
            notes.append(f"off-target index {index} ({idx.n_sites:,} sites)")
        else:
            idx = open_index(genome, enz, quiet=quiet)
            notes.append(
                f"off-target index built in memory in {time.perf_counter() - t1:.1f} s "
                f"({idx.n_sites:,} sites); save one with `helix crispr index` to skip this"
            )
        info["index_seconds"] = round(time.perf_counter() - t1, 3)
        ontargets = None
        if tgt.from_genome:
            ontargets = {
                gid: (tgt.contig, int(s) - 1, st)
                for gid, s, st in zip(guides["guide_id"], guides["site_start"], guides["strand"])
            }
        res = find_offtargets(
            dict(zip(guides["guide_id"], guides["spacer"])), idx, max_mismatches=k, enzyme=enz,
            n_jobs=n_jobs, max_sites_per_guide=max_sites_per_guide, ontargets=ontargets, quiet=quiet,
        )  # fmt: skip
        info["search_seconds"] = res.info["search_seconds"]
        if missing := res.info.get("pams_not_indexed"):
            notes.append(
                f"the off-target index covers PAMs {', '.join(idx.meta['search_pams'])} only: "
                f"{enz.name} off-targets with {', '.join(missing)} are not counted; build the "
                f"index without --pams (helix crispr index GENOME --enzyme {enz.name}) to count them"
            )
        summ = res.summary.set_index("guide_id")
        for c in [
            "offtargets",
            *mm_cols,
            "cfd_sum",
            "cfd_specificity",
            "mit_specificity",
            "repeat",
            "ontarget",
        ]:
            guides[c] = guides["guide_id"].map(summ[c]).values
        guides = guides.rename(columns={"ontarget": "genome_match"})
        off_sites = res.sites
        extra = []
        for row in guides.itertuples():
            f = []
            if row.mm0 > 0:
                f.append("offtarget_perfect")
            if k >= 1 and row.mm1 > 0:
                f.append("offtarget_1mm")
            if row.repeat:
                f.append("repeat")
            if not row.genome_match:
                f.append("not_in_genome")
            extra.append(f)
        guides["flags"] = [
            ";".join([x for x in a.split(";") if x] + b) for a, b in zip(guides["flags"], extra)
        ]
        if not tgt.from_genome and (guides["genome_match"] == "").all():
            notes.append(
                "the target sequence is not in the genome (no perfect site); every genome match is counted as an off-target"
            )
    else:
        notes.append("no genome given: off-target search skipped (give --genome or --index)")
        for c in ["offtargets", *mm_cols, "cfd_sum", "cfd_specificity", "mit_specificity"]:
            guides[c] = np.nan
        guides["repeat"] = False
        guides["genome_match"] = ""

    guides = _rank(guides, enz, k)
    candidates = guides
    if top is not None:
        guides = guides.head(int(top)).reset_index(drop=True)
    cols = design_columns(k)
    guides = guides[[c for c in cols if c in guides.columns]]
    if len(off_sites):
        off_sites = off_sites[off_sites["guide_id"].isin(set(guides["guide_id"]))].reset_index(
            drop=True
        )
        off_sites = off_sites.merge(guides[["guide_id", "rank"]], on="guide_id").sort_values(
            ["rank", "is_ontarget", "cfd", "mismatches"],
            ascending=[True, False, False, True],
            kind="stable",
        )
        off_sites = off_sites.drop(columns="rank").reset_index(drop=True)
    info["seconds"] = round(time.perf_counter() - t0, 3)
    result = DesignResult(guides, off_sites, notes, info, candidates, skipped)
    _write(guides, off_sites, skipped, paths)
    if report is not None:
        from helixforge.crispr.report import design_report

        design_report(result, tgt, enz, report)
    return result


def _target_file(target: object) -> str | None:
    """The file part of a 'FILE#RECORD' target (an input the outputs must not replace)."""
    if isinstance(target, str | os.PathLike) and "#" in str(target):
        return str(target).rsplit("#", 1)[0]
    return None


def design_output_paths(
    out, report=None, *, overwrite: bool = False, inputs: Sequence[object] = ()
) -> dict[str, Path] | None:
    """The files a design writes (guides, off-targets, skipped sites, report), each checked
    (`core.io.check_output`) before any work starts, none of them one of `inputs` (a genome
    named guides.offtargets.tsv with -o guides.tsv was overwritten); None when `out` is None."""
    from helixforge.core.io import check_distinct_outputs, check_output

    if report is not None:
        check_output(report, overwrite=overwrite, option="--report", inputs=inputs)
    if out is None:
        return None
    from helixforge.core.io import output_stem

    main = Path(out)
    name = output_stem(main).name
    paths = {
        "out": main,
        "offtargets": main.with_name(f"{name}.offtargets.tsv"),
        "skipped": main.with_name(f"{name}.skipped.tsv"),
    }
    check_distinct_outputs(
        {"--out" + ("" if k == "out" else f" ({k})"): v for k, v in paths.items()}
        | {"--report": report}
    )
    for key, path in paths.items():
        # --out as typed: Path() drops a trailing '/', which names a directory
        check_output(
            out if key == "out" else path,
            overwrite=overwrite,
            option="--out" + ("" if key == "out" else f" ({key})"),
            inputs=inputs,
        )
    return paths


def design_columns(max_mismatches: int = 4) -> list[str]:
    """Column order of the design table."""
    base = [c for c in GUIDE_COLUMNS if c != "flags"]
    return (
        ["rank", *base[:1]]
        + base[1:]
        + ["ontarget_score", "offtargets"]
        + [f"mm{i}" for i in range(max_mismatches + 1)]
        + [
            "cfd_sum",
            "cfd_specificity",
            "mit_specificity",
            "repeat",
            "genome_match",
            "flags",
            "tier",
            "efficiency",
            "specificity",
            "combined_score",
            "rank_reason",
        ]
    )


def _rank(guides: pd.DataFrame, enz: Enzyme, k: int) -> pd.DataFrame:
    g = guides.copy()
    g["tier"] = [_tier(f) for f in g["flags"]]
    eff = g["ontarget_score"].astype(float) / 100.0
    eff_known = eff.notna()
    eff = eff.fillna(0.5)
    if g["cfd_sum"].notna().any():
        spec = 1.0 / (1.0 + g["cfd_sum"].astype(float).fillna(0.0))
        spec_how = "1/(1+ΣCFD)"
    elif g[f"mm{0}"].notna().any():
        w = np.array(_MM_WEIGHTS[: k + 1])
        load = g[[f"mm{i}" for i in range(k + 1)]].astype(float).fillna(0).to_numpy() @ w
        spec = pd.Series(1.0 / (1.0 + load), index=g.index)
        spec_how = "mismatch-count heuristic"
    else:
        spec = pd.Series(1.0, index=g.index)
        spec_how = "no genome"
    g["efficiency"] = np.round(eff, 4)
    # without an off-target search specificity is unknown, not 1: the column stays empty (a
    # 1.0 read as "perfectly specific") and the ranking uses efficiency alone
    g["specificity"] = np.nan if spec_how == "no genome" else np.round(spec.astype(float), 4)
    g["combined_score"] = np.round(eff * spec, 4)
    g["eff_"], g["spec_"], g["known_"] = eff, spec, eff_known
    g = g.sort_values(
        ["tier", "combined_score", "cut_position"], ascending=[True, False, True], kind="stable"
    )
    g = g.reset_index(drop=True)
    g["rank"] = np.arange(1, len(g) + 1)
    reasons = []
    for row in g.itertuples():
        part = [f"tier {row.tier} ({row.flags or 'no flags'})"]
        part.append(
            f"on-target {row.ontarget_score:.0f}/100" if row.known_ else "on-target n/a (0.5 used)"
        )
        if spec_how != "no genome":
            counts = "/".join(str(int(getattr(row, f"mm{i}"))) for i in range(k + 1))
            part.append(
                f"specificity {row.spec_:.2f} [{spec_how}]; off-targets by mismatches {counts}"
            )
        else:
            part.append("specificity not measured (no off-target search: give --genome)")
        part.append(f"combined {row.eff_ * row.spec_:.3f}")
        reasons.append("; ".join(part))
    g = g.drop(columns=["eff_", "spec_", "known_"])
    g["rank_reason"] = reasons
    return g


def _write(guides: pd.DataFrame, off_sites: pd.DataFrame, skipped, paths) -> None:
    if paths is None:
        return
    from helixforge.core.tables import write_table

    write_table(guides, paths["out"])
    write_table(
        off_sites if len(off_sites) else pd.DataFrame(columns=["guide_id"]), paths["offtargets"]
    )
    write_table(skipped if skipped is not None else pd.DataFrame(), paths["skipped"])
