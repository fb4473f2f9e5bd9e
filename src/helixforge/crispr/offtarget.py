"""Genome-wide off-target search: an exact, reusable on-disk index of every PAM-adjacent site.

    idx = build_index("ecoli.fna.gz", "spcas9", out="ecoli.spcas9.idx")   # once (seconds)
    res = find_offtargets(["GACGCATAAAGATGAGACGC"], idx, max_mismatches=4)
    offtargets_table("guides.csv", idx, "sites.tsv")                       # tables in, tables out

The work is split along its jobs: `offtarget_index` (build, save, load, genome check),
`offtarget_search` (seed lookup and exact verification), `offtarget_scoring` (CFD, MIT,
summaries). This module re-exports their public names and holds the table-level entry point
and the independent brute-force reference.

Guarantees (tested against `brute_force_offtargets`):

* exact — no site within `max_mismatches` is missed; both strands; all requested PAMs;
* soft-masked (lowercase) bases are searched like any other and flagged (`soft_masked`);
* a genome base that is not A/C/G/T (N) never matches: in the PAM the site does not exist, in
  the protospacer it counts as a mismatch;
* guides in repeats are kept and flagged, never dropped; `max_sites_per_guide` caps only the
  rows reported (highest CFD / fewest mismatches first), every site is still counted and scored.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr.enzymes import Enzyme, check_pam, get_enzyme
from helixforge.crispr.offtarget_index import (  # noqa: F401 - public names
    FLAG_MINUS,
    FLAG_N,
    FLAG_SOFT,
    INDEX_FORMAT,
    OfftargetIndex,
    build_index,
    check_genome,
    decode_codes,
    open_index,
    seed_parts,
)
from helixforge.crispr.offtarget_scoring import SITE_COLUMNS  # noqa: F401
from helixforge.crispr.offtarget_search import (  # noqa: F401
    OfftargetResult,
    check_index_enzyme,
    find_offtargets,
)
from helixforge.crispr.targets import iter_contigs


def brute_force_offtargets(
    spacers: Sequence[str],
    genome,
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

    from helixforge.core.options import require_int
    from helixforge.crispr.offtarget_search import normalise_spacers
    from helixforge.dna.sequence import iupac_match, reverse_complement
    from helixforge.lm.inputs import as_names

    enz = get_enzyme(enzyme)
    require_int(max_mismatches, "max_mismatches", min_value=0)
    pams_t = [check_pam(p) for p in (as_names(pams, "pams") or enz.offtarget_pams)]
    if bad := [f"{p} ({len(p)} nt)" for p in pams_t if len(p) != enz.pam_length]:
        # a 4-nt PAM for SpCas9 crashed (numpy broadcast), a 2-nt one matched nothing
        raise ConfigError(
            f"pams {', '.join(bad)}: {enz.name} PAMs are {enz.pam_length} nt",
            hint=f"give {enz.pam_length}-letter IUPAC PAMs (e.g. {enz.pams[0]}), or the enzyme "
            "these PAMs belong to",
        )
    L, S = enz.spacer_length, enz.site_length
    sp_off = enz.spacer_offset_in_site()
    pam_off = L if enz.pam_side == "3prime" else 0
    _, clean = normalise_spacers(spacers, L)  # the same checks as find_offtargets
    guides = [(s, np.frombuffer(s.encode(), dtype=np.uint8)) for s in clean]
    rows = []
    for contig, seq in iter_contigs(genome):
        up = seq.upper()
        n = len(up)
        if n < S:
            continue
        for strand, text in (("+", up), ("-", reverse_complement(up))):
            # PAM check by IUPAC letters, one PAM position at a time (non-ACGT never matches)
            b = np.frombuffer(text.encode(), dtype=np.uint8)
            ok = np.zeros(n - S + 1, dtype=bool)
            for pam in pams_t:
                m = np.ones(n - S + 1, dtype=bool)
                for j, code in enumerate(pam):
                    allowed = [ord(c) for c in "ACGT" if iupac_match(c, code)]
                    m &= np.isin(b[pam_off + j : pam_off + j + n - S + 1], allowed)
                ok |= m
            wins = np.flatnonzero(ok)
            if not len(wins):
                continue
            view = sliding_window_view(b, L)[wins + sp_off]
            for g, gb in guides:
                mm = (view != gb[None, :]).sum(axis=1)
                for w, k in zip(wins[mm <= max_mismatches], mm[mm <= max_mismatches]):
                    start = int(w) if strand == "+" else n - int(w) - S
                    rows.append({"spacer": g, "contig": contig, "start": start,
                                 "strand": strand, "mismatches": int(k)})  # fmt: skip
    return pd.DataFrame(rows, columns=["spacer", "contig", "start", "strand", "mismatches"])


# ---------------------------------------------------------------------- table in, tables out


def offtarget_output_paths(out: str | os.PathLike, summary_out=None) -> dict[str, Path]:
    """The files `offtargets_table` writes: sites (`out`), summary and errors beside it."""
    from helixforge.core.io import errors_table_path, output_stem

    out = Path(out)
    stem = output_stem(out).name
    return {
        "out": out,
        "summary": Path(summary_out) if summary_out else out.with_name(f"{stem}.summary.tsv"),
        "errors": errors_table_path(out),
    }


def _read_spacers(spacers, spacer_col: str, id_col: str | None, spacer_length: int = 20):
    from helixforge.core.tables import skipped_line_errors
    from helixforge.crispr.guide_tables import read_guide_table

    if isinstance(spacers, str | os.PathLike) and Path(spacers).is_file():
        df = read_guide_table(spacers, [spacer_col] + ([id_col] if id_col else []),
                              lengths=(spacer_length,))  # fmt: skip
        return df, str(spacers), skipped_line_errors(df, spacers)
    if isinstance(spacers, str | os.PathLike) and any(c in str(spacers) for c in "./\\"):
        raise InputError(f"{spacers}: spacer table not found",
                         hint="check the path, or give spacers as ACGT,ACGT,…")  # fmt: skip
    if spacers is None:
        raise InputError("spacers is None", hint="give a table or spacers as ACGT,ACGT,…")
    items = [spacers] if isinstance(spacers, str) else list(spacers)
    # 'ACGT…, ACGT…' as typed: the blank after a comma is no part of the spacer (it stayed in
    # the summary's spacer column)
    items = [s.strip() for part in items for s in str(part).replace(";", ",").split(",")]
    items = [s for s in items if s]
    if not items:
        raise InputError("no spacers given", hint="give a table or spacers as ACGT,ACGT,…")
    df = pd.DataFrame({spacer_col: items}, index=pd.RangeIndex(1, len(items) + 1))
    return df, "spacer list", []


def _length_reason(s: str, enzyme: Enzyme) -> str:
    """Why a spacer of the wrong length is refused, naming the spacer inside it when it is the
    enzyme's site (spacer + PAM, e.g. a 23-mer) or its on-target context (e.g. a 30-mer) —
    only when its PAM part is one of the enzyme's PAMs. A site or context written on the other
    strand (CCN… for SpCas9, as read off the + strand for a - strand guide) is told so with its
    spacer: "give positions 1-20" named CCN + 17 nt, a guide that was never meant."""
    from helixforge.dna.sequence import reverse_complement

    L = enzyme.spacer_length
    why = f"spacer is {len(s)} nt; {enzyme.name} uses {L} nt (without PAM)"
    off = enzyme.spacer_offset_in_site()
    if len(s) == enzyme.site_length:
        what, lead = "spacer + PAM", 0
    elif len(s) == enzyme.context_length:
        what, lead = f"{len(s)}-nt context", enzyme.context_upstream
    else:
        return why + _other_length_hint(s, enzyme)
    start = lead + off  # 0-based start of the spacer in `s`
    if _pam_fits(enzyme.split_site(s[lead : lead + enzyme.site_length])[1], enzyme):
        if lead:
            return (
                f"{why}: this looks like a {what}; the spacer is positions {start + 1}-{start + L}"
            )
        return f"{why}: this looks like {what}; give positions {start + 1}-{start + L} only"
    rc = reverse_complement(s)
    if _pam_fits(enzyme.split_site(rc[lead : lead + enzyme.site_length])[1], enzyme):
        a, b = len(s) - start - L + 1, len(s) - start
        return (
            f"{why}: this looks like the reverse complement of a {what} (its PAM on the other "
            f"strand); the spacer is {rc[start : start + L]}, the reverse complement of "
            f"positions {a}-{b}"
        )
    return why


def _other_length_hint(s: str, enzyme: Enzyme) -> str:
    """'; …' naming the custom enzyme that searches spacers of this length with the enzyme's
    PAM (SaCas9 guides of 22-23 nt, Cas12a guides of 20-21 nt are common), '' when there is
    none: the reason said only "spacer is 22 nt; sacas9 uses 21 nt"."""
    from helixforge.crispr.enzymes import MAX_SPACER

    if len(enzyme.pams) != 1 or not 10 <= len(s) <= MAX_SPACER or set(s) - set("ACGT"):
        return ""
    side = ":5" if enzyme.pam_side == "5prime" else ""
    return (
        f"; to search {len(s)}-nt spacers with the {enzyme.pams[0]} PAM use --enzyme "
        f"custom:{enzyme.pams[0]}:{len(s)}{side} (with --genome, or an index built for it)"
    )


def _pam_fits(pam: str, enzyme: Enzyme) -> bool:
    """Whether `pam` is one of the enzyme's PAMs (or off-target PAMs), in bases or written as
    the PAM pattern itself ('NGG')."""
    from helixforge.dna.sequence import iupac_match

    return any(
        len(p) == len(pam) and all(c == code or iupac_match(c, code) for c, code in zip(pam, p))
        for p in dict.fromkeys(enzyme.pams + enzyme.offtarget_pams)
    )


def _spacer_inside(s: str, enzyme: Enzyme) -> bool:
    """True when `s` is the enzyme's site (spacer + PAM) or context whose spacer part is plain
    A/C/G/T, whatever the rest holds: a site written with its PAM pattern ('…NGG', as GUIDE-seq
    and CIRCLE-seq tables write target sites) is told to be spacer + PAM, not that 'N' is no
    base."""
    L, off = enzyme.spacer_length, enzyme.spacer_offset_in_site()
    if len(s) == enzyme.site_length:
        start = off
    elif len(s) == enzyme.context_length:
        start = enzyme.context_upstream + off
    else:
        return False
    return not set(s[start : start + L]) - set("ACGT")


ID_COLUMNS = ("guide_id", "id", "guide", "sgrna_id", "sgrna", "guide_name", "name")


def guess_id_column(columns, spacer_col: str = "spacer") -> str | None:
    """The table's guide-id column when none was named: the first of `ID_COLUMNS` present
    (case-insensitive), never the spacer column itself."""
    by_lower = {str(c).lower(): c for c in columns if c != spacer_col}
    return next((by_lower[k] for k in ID_COLUMNS if k in by_lower), None)


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
    overwrite: bool = False,
    quiet: bool = True,
    resume: bool = False,
    chunk_size: int = 500,
) -> dict:
    """Search off-targets for spacers from a table (CSV/TSV/parquet) or a list.

    Guides are searched in chunks of `chunk_size`; each finished chunk is kept in
    ``.<out>.partial/`` with the resume key (the usable guides, the index, the options), so
    after a kill `resume=True` searches only the chunks not yet done and writes the tables an
    uninterrupted run writes; a changed input or option is refused by name.

    Writes the sites to `out`, the per-guide summary to `summary_out` (default
    ``<out stem>.summary.tsv``: one row per usable input row, the input's columns kept, then the
    summary columns) and the errors table ``<out stem>.errors.csv`` (always; file line, column,
    value, reason for rows with a wrong length, a non-ACGT base, a duplicate id with another
    spacer or the wrong number of fields). Guide ids come from `id_col`, else the table's
    ``guide_id`` / ``id`` / ``guide`` / ``sgRNA`` / ``name`` column (`guess_id_column`), else the
    spacer itself; they name the guides in the sites table (``guide_id``) and the summary. A bad row never stops the job.
    """
    from helixforge.core.errors import NoUsableRowsError, RowErrors
    from helixforge.core.io import check_distinct_outputs, check_output
    from helixforge.core.options import require_int
    from helixforge.core.tables import write_table
    from helixforge.crispr.guide_tables import input_column_names

    require_int(max_mismatches, "--max-mismatches", min_value=0, max_value=8)
    require_int(max_sites_per_guide, "--max-sites", min_value=1)
    paths = offtarget_output_paths(out, summary_out)
    check_distinct_outputs(
        {
            "--out": paths["out"],
            "--out (summary)": paths["summary"],
            "--out (errors)": paths["errors"],
        }
    )
    for key, opt in (
        ("out", "--out"),
        ("summary", "--out (summary)"),
        ("errors", "--out (errors)"),
    ):
        # --out as typed: Path() drops a trailing '/', which names a directory
        target = out if key == "out" else paths[key]
        check_output(target, overwrite=overwrite, option=opt, inputs=[spacers, genome])
    length = get_enzyme(enzyme).spacer_length if enzyme else 20  # for the hint only
    df, source, skipped = _read_spacers(spacers, spacer_col, id_col, length)
    if id_col is None:
        id_col = guess_id_column(df.columns, spacer_col)
    idx = open_index(genome, enzyme or "spcas9", pams=None, quiet=quiet)
    check_index_enzyme(idx, enzyme)  # before the rows: they are checked against the index's
    L = idx.enzyme.spacer_length
    errors = RowErrors(source)
    errors.extend(skipped)
    good: dict[str, str] = {}
    row_ids: dict[int, str] = {}
    for row, raw in zip(df.index, df[spacer_col]):
        s = "" if pd.isna(raw) else str(raw).strip().upper().replace("U", "T")
        raw_id = df.at[row, id_col] if id_col else None
        gid = (
            s
            if raw_id is None or pd.isna(raw_id) or not str(raw_id).strip()
            else str(raw_id).strip()
        )
        if set(s) - set("ACGT") and not _spacer_inside(s, idx.enzyme):
            # before the length: 'ACGT ACGT…' is not "21 nt"
            bad = next(i for i, ch in enumerate(s) if ch not in "ACGT")
            errors.add(row, spacer_col, raw,
                       f"character {s[bad]!r} at position {bad + 1} is not A, C, G or T")  # fmt: skip
        elif not s:
            errors.add(row, spacer_col, raw, f"empty cell; expected a {L}-nt spacer")
        elif len(s) != L:
            errors.add(row, spacer_col, raw, _length_reason(s, idx.enzyme))
        elif gid in good and good[gid] != s:
            errors.add(row, id_col, gid, f"duplicate guide id with another spacer ({good[gid]})")
        else:
            good[gid] = s
            row_ids[row] = gid
    if not good:
        errors.write(paths["errors"])
        raise NoUsableRowsError(f"{source}: no usable spacer", hint=errors.summary(3))
    require_int(chunk_size, "--chunk-size", min_value=1)
    options = dict(max_mismatches=max_mismatches, pams=list(pams) if pams else None,
                   enzyme=None if enzyme is None else str(getattr(enzyme, "name", enzyme)),
                   max_sites_per_guide=max_sites_per_guide)  # fmt: skip
    if isinstance(genome, str | os.PathLike) and Path(genome).is_file():  # a FASTA indexed here
        from helixforge.core.artifacts import sha256_file

        options["genome_sha256"] = sha256_file(genome)
    res, stage = _search_in_chunks(good, idx, paths["out"], options, n_jobs, chunk_size, resume,
                                   quiet)  # fmt: skip
    kept = df.loc[list(row_ids)].copy()
    summ = res.summary.set_index("guide_id")
    key = pd.Series(list(row_ids.values()), index=kept.index)
    # guide_id is the id the sites table names the guide by: an input guide_id column that
    # is not that id (--id-col picked another) is kept as input_guide_id; an empty id cell is
    # the spacer, as in the sites table
    if id_col == "guide_id":
        kept["guide_id"] = key
    else:
        kept = kept.rename(columns=input_column_names(kept.columns, ["guide_id"]))
        kept.insert(0, "guide_id", key)
    # an input column named like a summary column (the input is itself a summary) is kept as
    # input_<name>; it used to stay under its name, so the summary showed the old counts
    stale = [c for c in summ.columns if c in kept.columns and c not in ("guide_id", spacer_col)]
    kept = kept.rename(columns=input_column_names(kept.columns, stale))
    for c in summ.columns:
        if c not in kept.columns:
            kept[c] = key.map(summ[c]).to_numpy()
    errors.write(paths["errors"])  # with the tables: a resumed run finds no output of its own
    write_table(res.sites, paths["out"])
    write_table(kept, paths["summary"])
    shutil.rmtree(stage, ignore_errors=True)  # the finished chunks are in the tables now
    return {
        **res.info,
        "rows_in": int(len(df) + len(skipped)),
        "rows_out": int(len(kept)),
        "sites": len(res.sites),
        "out": str(paths["out"]),
        "summary": str(paths["summary"]),
        "n_errors": len(errors),
        "errors_path": str(paths["errors"]),
        "repeat_guides": int(res.summary["repeat"].sum()),
    }


def _search_in_chunks(good: dict[str, str], idx, out: Path, options: dict, n_jobs: int,
                      chunk_size: int, resume: bool, quiet: bool):  # fmt: skip
    """`find_offtargets` over chunks of guides, each finished chunk kept in the staging folder
    of `out` (sites / summary parquet + info) and read back instead of searched on a resume.
    Guides are searched independently, so the joined chunks equal one search."""
    import hashlib
    import json

    from helixforge.core.artifacts import load_json, save_json
    from helixforge.core.io import staging_dir
    from helixforge.core.supervised import prepare_resume_stage

    items = list(good.items())
    digest = hashlib.sha256(json.dumps(items).encode()).hexdigest()
    stable = {k: v for k, v in idx.meta.items() if k != "build_seconds"}  # what it indexes
    index = hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()
    key = {"guides": digest, "index": index, **options, "chunk_size": chunk_size}
    stage = prepare_resume_stage(out, key, resume)
    sites, summaries, infos = [], [], []
    for k, start in enumerate(range(0, len(items), chunk_size)):
        done = stage / f"chunk_{k:06d}"
        if done.is_dir():  # searched before an interruption
            sites.append(pd.read_parquet(done / "sites.parquet"))
            summaries.append(pd.read_parquet(done / "summary.parquet"))
            infos.append(load_json(done / "info.json"))
            continue
        search = {k: v for k, v in options.items() if k != "genome_sha256"}
        res = find_offtargets(dict(items[start : start + chunk_size]), idx, n_jobs=n_jobs,
                              quiet=quiet, **search)  # fmt: skip
        with staging_dir(done) as tmp:
            res.sites.to_parquet(tmp / "sites.parquet", index=False)
            res.summary.to_parquet(tmp / "summary.parquet", index=False)
            save_json(res.info, tmp / "info.json")
        # what a resumed run reads back, so both give the same bytes
        sites.append(pd.read_parquet(done / "sites.parquet"))
        summaries.append(pd.read_parquet(done / "summary.parquet"))
        infos.append(res.info)
    info = dict(infos[0])
    for k in ("search_seconds", "score_seconds", "build_seconds"):
        info[k] = round(sum(i.get(k, 0.0) for i in infos), 3)
    info["n_guides"] = len(items)
    joined = OfftargetResult(
        sites=pd.concat(sites, ignore_index=True),
        summary=pd.concat(summaries, ignore_index=True),
        info=info,
    )
    return joined, stage
