"""Guide enumeration: every spacer on both strands of a target, with its context and flags.

    target = resolve_target("thrA", genome="ecoli.fna.gz", annotation="ecoli.gff.gz")
    guides = enumerate_guides(target, "spcas9", restriction_enzymes=["BsmBI"])
    guides.attrs["skipped"]   # sites over a non-ACGT base (N, R, …): skipped and recorded here

Coordinates in the guide table are 1-based and inclusive on the + strand of the reference: the
genome contig for genome targets, the target itself for sequences and FASTA records.
`cut_position` is the last base 5' of the cut on the + strand (the cut lies between it and the
next base); for staggered cutters `cut_position_target_strand` gives the other strand's cut.

Which sites belong to a target: every site lying inside it, and — for genome targets, whose
flanking bases are known — every site whose cut falls inside it even when the protospacer or
PAM reaches into the flank (a guide cutting the last codons of a CDS is a CDS guide).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr.enzymes import Enzyme, get_enzyme, pam_match_starts
from helixforge.crispr.scoring import microhomology_scores
from helixforge.crispr.targets import (  # noqa: F401 - re-exported (older import path)
    _DESIGN_WORK,
    DEFAULT_MAX_TARGET_LENGTH,
    Target,
    TargetNeedsGenomeError,
    TargetTooLongError,
    check_target_length,
    load_annotation,
    open_genome,
    region_target,
    resolve_target,
    sequence_target,
)
from helixforge.dna.sequence import encode_int, gc_content, reverse_complement

GUIDE_COLUMNS = [
    "guide_id", "target", "contig", "strand", "spacer", "pam", "site_start", "site_end",
    "cut_position", "cut_position_target_strand", "target_position", "context", "gc",
    "poly_t", "max_homopolymer", "restriction_sites", "soft_masked", "gene", "cds_cut_percent",
    "mh_score", "oof_score", "flags",
]  # fmt: skip
SKIPPED_COLUMNS = ["target", "contig", "strand", "site_start", "site_end", "site", "reason"]
MH_FLANK = 30  # nt each side of the cut read by the microhomology model
_ACGT = frozenset("ACGT")


# ---------------------------------------------------------------------- scanning


def strand_codes(seq: str) -> tuple[np.ndarray, np.ndarray]:
    """Base codes (A0 C1 G2 T3, anything else 4) of `seq` and of its reverse complement."""
    return encode_int(seq), encode_int(reverse_complement(seq))


def scan_sites(
    codes: np.ndarray, enzyme: Enzyme, pams: tuple[str, ...], rc: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Window starts of sites on each strand whose PAM matches one of `pams`.

    `codes` / `rc`: the base codes of a sequence and of its reverse complement (computed from
    `codes` when not given). Returns (forward starts, reverse starts); reverse starts are
    positions in the reverse complement. A window is ``site_length`` long; the PAM is at its 3'
    or 5' end per the enzyme.
    """
    if rc is None:
        rc = encode_int(reverse_complement("".join("ACGTN"[c] for c in np.minimum(codes, 4))))
    S, L = enzyme.site_length, enzyme.spacer_length
    out = []
    for strand_codes_ in (codes, rc):
        n_win = len(strand_codes_) - S + 1
        if n_win <= 0:
            out.append(np.zeros(0, dtype=np.int64))
            continue
        ok = np.zeros(n_win, dtype=bool)
        pam_off = L if enzyme.pam_side == "3prime" else 0
        for pam in pams:
            hits = pam_match_starts(strand_codes_, pam)
            ok |= hits[pam_off : pam_off + n_win]
        out.append(np.flatnonzero(ok).astype(np.int64))
    return out[0], out[1]


def _max_run(s: str) -> int:
    best = run = 0
    prev = ""
    for ch in s:
        run = run + 1 if ch == prev else 1
        prev = ch
        best = max(best, run)
    return best


def _restriction_batch(names):
    if not names:
        return None
    from Bio import Restriction

    rb = Restriction.RestrictionBatch()
    for n in names:
        enz = getattr(Restriction, str(n).strip(), None)
        if enz is None or enz not in Restriction.AllEnzymes:
            same = [
                str(e) for e in Restriction.AllEnzymes if str(e).lower() == str(n).strip().lower()
            ]
            hint = "use Biopython/REBASE names, e.g. BsmBI, BbsI, BsaI, EcoRI (case-sensitive)"
            if len(same) == 1:  # 'bsmbi' for BsmBI: the one spelling that differs only in case
                hint = f"did you mean {same[0]!r}? names are case-sensitive"
            raise ConfigError(f"unknown restriction enzyme {n!r}", hint=hint)
        rb.add(enz)
    return rb


def _cds_arrays(annotation, tgt: Target) -> dict:
    """The CDS segments of the annotation that overlap the target, with where each lies in its
    transcript's spliced CDS: `before` (coding bases 5' of the segment, in the coding
    direction) and `total` (the transcript's coding length), so that a cut in the second exon of
    a multi-exon gene is placed along the whole CDS, not along that exon alone; and the spans
    between consecutive segments of one transcript (`intron_*`), where a cut disrupts no
    coding base. A transcript is the segments' Parent (GFF3) / transcript_id (GTF), else the
    gene."""
    cds = load_annotation(annotation)
    empty = np.zeros(0, np.int64)
    out = {
        "start": empty, "end": empty, "minus": np.zeros(0, bool), "gene": [], "before": empty,
        "total": empty, "intron_start": empty, "intron_end": empty, "intron_gene": [],
    }  # fmt: skip
    if not len(cds):
        return out
    from helixforge.crispr.contigs import contig_keys

    keys = tgt.aliases or contig_keys(tgt.contig)
    seqid = cds["seqid"].astype(str)
    same = {s: s == tgt.contig or bool(contig_keys(s) & keys) for s in seqid.unique()}
    cds = cds[seqid.map(same).to_numpy(dtype=bool)].reset_index(drop=True)
    if not len(cds):
        return out
    # the transcript: Parent / transcript_id, else the CDS feature's own ID (GFF3: the lines of
    # one discontinuous feature share it; two copies of 'insA' without a Parent, as Prokka
    # writes, are two features, not one CDS with a 'intron' between them), else gene + strand
    tx = cds["gene"].astype(str) + "\t" + cds["strand"].astype(str)
    for col in ("id", "parent"):
        if col in cds:
            own = cds[col].fillna("").astype(str)
            tx = own.where(own != "", tx)
    cds = cds.assign(tx_=tx, before_=0, total_=0)
    # only the transcripts whose span reaches the target (a whole-genome annotation has tens of
    # thousands on one chromosome)
    span = cds.groupby("tx_", sort=False).agg(lo=("start", "min"), hi=("end", "max"))
    near = span.index[(span["hi"] > tgt.start) & (span["lo"] < tgt.end)]
    cds = cds[cds["tx_"].isin(near)]
    introns = []
    for _, rows in cds.groupby("tx_", sort=False):
        rows = rows.sort_values("start", kind="stable")
        lengths = (rows["end"] - rows["start"]).to_numpy(np.int64)
        minus = (rows["strand"] == "-").all()
        order = lengths[::-1] if minus else lengths
        before = np.concatenate([[0], np.cumsum(order)[:-1]])
        cds.loc[rows.index, "before_"] = before[::-1] if minus else before
        cds.loc[rows.index, "total_"] = int(lengths.sum())
        ends, starts = rows["end"].to_numpy()[:-1], rows["start"].to_numpy()[1:]
        for a, b, gname in zip(ends, starts, rows["gene"].iloc[1:]):
            if b > a:
                introns.append((int(a), int(b), str(gname)))
    cds = cds[(cds["end"] > tgt.start) & (cds["start"] < tgt.end)]
    out.update(
        start=cds["start"].to_numpy(np.int64),
        end=cds["end"].to_numpy(np.int64),
        minus=(cds["strand"] == "-").to_numpy(),
        gene=cds["gene"].astype(str).tolist(),
        before=cds["before_"].to_numpy(np.int64),
        total=cds["total_"].to_numpy(np.int64),
    )
    if introns:
        out.update(
            intron_start=np.array([i[0] for i in introns], np.int64),
            intron_end=np.array([i[1] for i in introns], np.int64),
            intron_gene=[i[2] for i in introns],
        )
    return out


def _sequence_flags(spacer: str, site: str, ctx: str, rb, homopolymer_min: int, masked: bool):
    gc = gc_content(spacer)
    run = _max_run(spacer)
    enzymes_hit = []
    if rb is not None:
        from Bio.Seq import Seq

        found = rb.search(Seq(spacer), linear=True)
        enzymes_hit = sorted(str(e) for e, pos in found.items() if pos)
    soft = masked and any(ch.islower() for ch in site)
    flags = []
    if "TTTT" in spacer:
        flags.append("poly_t")
    if run >= homopolymer_min:
        flags.append("homopolymer")
    if gc < 0.25:
        flags.append("gc_low")
    if gc > 0.80:
        flags.append("gc_high")
    flags += [f"restriction:{e}" for e in enzymes_hit]
    if soft:
        flags.append("soft_masked")
    if not ctx or "N" in ctx:  # ends too early, or flank bases unknown (an N run, IUPAC)
        flags.append("no_context")
    return gc, run, enzymes_hit, soft, flags


def enumerate_guides(
    target: Target | str,
    enzyme: str | Enzyme = "spcas9",
    restriction_enzymes: list[str] | tuple[str, ...] = (),
    annotation=None,
    pams: tuple[str, ...] | None = None,
    homopolymer_min: int = 5,
    max_target_length: int | None = DEFAULT_MAX_TARGET_LENGTH,
) -> pd.DataFrame:
    """Every spacer on both strands of the target, with layout and sequence flags.

    Columns (`GUIDE_COLUMNS`): coordinates (see the module docstring), `context` (the on-target
    model window; empty when it runs past the known sequence; non-ACGT flank bases become N;
    both are flagged no_context),
    `gc` (spacer GC fraction), `poly_t` (TTTT in the spacer: Pol III terminator),
    `max_homopolymer`, `restriction_sites` (names found in the spacer, either strand),
    `soft_masked` (lowercase bases in the site), `gene` / `cds_cut_percent` (with an annotation:
    where the cut falls along the spliced CDS of its transcript, 0–100 in the coding direction,
    exons joined; a cut between two CDS segments of one transcript names the gene, has no
    percent and is flagged `intron`), `mh_score` / `oof_score`
    (Bae 2014 microhomology and out-of-frame scores of the 60 nt around a blunt cut; NaN for
    staggered cutters or near the ends) and `flags` (';'-joined: poly_t, homopolymer, gc_low,
    gc_high, restriction:NAME, soft_masked, no_context, cds_edge = cut outside 5–65 % of the CDS,
    intron = cut in an intron of a CDS).

    Sites whose spacer holds a base that is not A/C/G/T (N, IUPAC codes such as R) are skipped
    and listed in ``attrs['skipped']`` (a table, `SKIPPED_COLUMNS`). No PAM in the target gives
    an empty table whose ``attrs['note']`` says so.

    A target longer than `max_target_length` bp (default 100,000, as `design_guides` and
    ``helix crispr design --max-target-length``; None or 0: no limit) is refused
    (`TargetTooLongError`) before its sites are scanned — for a sequence, FASTA or region
    target before its bases are read: a whole chromosome is millions of rows in memory.
    `pams` must be IUPAC PAMs of the enzyme's PAM length.
    """
    from helixforge.core.options import require_int
    from helixforge.lm.inputs import as_names

    enz = get_enzyme(enzyme)
    homopolymer_min = require_int(homopolymer_min, "homopolymer_min", min_value=2)
    if max_target_length is not None:
        require_int(max_target_length, "max_target_length", min_value=0)
    # 'NGG' / 'BsmBI' are one PAM / one enzyme, not one per character
    pams = as_names(pams, "pams")
    restriction_enzymes = as_names(restriction_enzymes, "restriction_enzymes") or ()
    pams = _check_pams(pams, enz) if pams else enz.pams
    if isinstance(target, Target):  # resolved by the caller: its bases are read already
        check_target_length(target.name, len(target.sequence), max_target_length, _WORK)
        tgt = target
    else:
        try:
            tgt = resolve_target(target, max_length=max_target_length)
        except TargetTooLongError as exc:  # the same limit, saying what this function does
            raise TargetTooLongError(exc.message.replace(_DESIGN_WORK, _WORK), exc.hint) from None
        except TargetNeedsGenomeError as exc:
            # a region or gene name: this function has no genome to read it from, and the
            # CLI's '--genome' is no help to a Python caller
            raise InputError(
                exc.message,
                hint="enumerate_guides reads a sequence, a FASTA file or a Target: resolve a "
                "region or gene first, resolve_target(target, genome=…, annotation=…), and pass "
                "the Target (or call design_guides(target, genome=…, annotation=…))",
            ) from None
    S, L = enz.site_length, enz.spacer_length
    n = len(tgt.sequence)
    if n < S and not tgt.from_genome:
        raise InputError(
            f"{_called(tgt)} is {n} nt long, shorter than one {enz.name} site ({L} nt spacer + "
            f"{enz.pam_length} nt PAM = {S} nt)",
            hint="give a longer target (a gene, exon or region of at least a few dozen nt)"
            + (
                f"; if {tgt.sequence!r} is a gene name, give --annotation and --genome to look "
                "it up"
                if 0 < n < 20 and tgt.name == "target"
                else ""
            ),
        )
    ext = tgt.left_flank + tgt.sequence + tgt.right_flank
    off, N = len(tgt.left_flank), len(ext)
    ext_rc = reverse_complement(ext)
    fwd, rev = scan_sites(encode_int(ext), enz, pams, encode_int(ext_rc))
    rb = _restriction_batch(restriction_enzymes)
    cds = _cds_arrays(annotation, tgt)
    up, down = enz.context_upstream, enz.context_downstream
    sp_off = enz.spacer_offset_in_site()
    rows, skipped = [], []
    for strand, starts in (("+", fwd), ("-", rev)):
        for w in starts.tolist():
            a = (w if strand == "+" else N - w - S) - off  # site start in the target, + strand
            # cut boundaries (0-based between-base coordinates in the target, + strand)
            if (enz.pam_side == "3prime") == (strand == "+"):
                cuts = [a + L - c for c in enz.cut_offsets]  # spacer lies left of its PAM junction
            else:
                cuts = [a + enz.pam_length + c for c in enz.cut_offsets]
            inside = 0 <= a and a + S <= n
            if not inside and not 0 < cuts[0] < n:
                continue
            site = ext[off + a : off + a + S]
            if strand == "-":
                site = reverse_complement(site)
            site_up = site.upper()
            spacer, pam = site_up[sp_off : sp_off + L], enz.split_site(site_up)[1]
            if not set(spacer) <= _ACGT:
                bad = next(ch for ch in spacer if ch not in _ACGT)
                skipped.append([tgt.name, tgt.contig, strand, tgt.start + a + 1, tgt.start + a + S,
                                site_up, f"spacer holds {bad!r}, not A/C/G/T"])  # fmt: skip
                continue
            if strand == "+":
                cs, ce = off + a - up, off + a + S + down
                ctx = ext[cs:ce] if cs >= 0 and ce <= N else ""
            else:
                r = N - (off + a + S)
                cs, ce = r - up, r + S + down
                ctx = ext_rc[cs:ce] if cs >= 0 and ce <= N else ""
            ctx = "".join(ch if ch in _ACGT else "N" for ch in ctx.upper())
            gc, run, enzymes_hit, soft, flags = _sequence_flags(
                spacer, site, ctx, rb, homopolymer_min, tgt.masked
            )
            gene, pct = "", np.nan
            cut_ref = tgt.start + cuts[0]
            hit = np.flatnonzero((cds["start"] < cut_ref) & (cut_ref < cds["end"]))
            if len(hit):
                k = int(hit[0])
                gene = cds["gene"][k]
                # along the spliced CDS of the segment's transcript, in its coding direction
                into = cds["end"][k] - cut_ref if cds["minus"][k] else cut_ref - cds["start"][k]
                pct = round(100 * (cds["before"][k] + into) / cds["total"][k], 2)
                if not 5 <= pct <= 65:  # knockouts cut best 5–65 % into the CDS (Doench 2016)
                    flags.append("cds_edge")
            else:
                intron = np.flatnonzero(
                    (cds["intron_start"] <= cut_ref) & (cut_ref <= cds["intron_end"])
                )
                if len(intron):  # between two CDS segments of one transcript: no coding base cut
                    gene = cds["intron_gene"][int(intron[0])]
                    flags.append("intron")
            mh = oof = np.nan
            b = off + cuts[0]
            window = ext[b - MH_FLANK : b + MH_FLANK].upper() if b >= MH_FLANK else ""
            if not enz.staggered and len(window) == 2 * MH_FLANK and set(window) <= _ACGT:
                mh, oof = microhomology_scores(window, MH_FLANK)  # Bae 2014, blunt cuts only
            rows.append(
                {
                    "guide_id": "", "target": tgt.name, "contig": tgt.contig, "strand": strand,
                    "spacer": spacer, "pam": pam, "site_start": tgt.start + a + 1,
                    "site_end": tgt.start + a + S, "cut_position": tgt.start + cuts[0],
                    "cut_position_target_strand": tgt.start + cuts[1], "target_position": cuts[0],
                    "context": ctx, "gc": round(gc, 4), "poly_t": "TTTT" in spacer,
                    "max_homopolymer": run, "restriction_sites": ",".join(enzymes_hit),
                    "soft_masked": soft, "gene": gene, "cds_cut_percent": pct, "mh_score": mh,
                    "oof_score": oof, "flags": ";".join(flags),
                }
            )  # fmt: skip
    df = pd.DataFrame(rows, columns=GUIDE_COLUMNS)
    if len(df):
        df = df.sort_values(["cut_position", "strand"], kind="stable").reset_index(drop=True)
        df["guide_id"] = [f"{tgt.name}|{c}{s}" for c, s in zip(df["cut_position"], df["strand"])]
        dup = df["guide_id"].duplicated(keep=False)
        if dup.any():
            df.loc[dup, "guide_id"] = df.loc[dup, "guide_id"] + "|" + df.loc[dup, "spacer"]
    else:
        df.attrs["note"] = (
            f"no {enz.name} site (PAM {'/'.join(pams)}, {enz.pam_side} of a {L}-nt spacer) in "
            f"{_called(tgt)} ({n} nt) on either strand"
            + (f"; {len(skipped)} site(s) over non-ACGT bases skipped" if skipped else "")
        )
    skipped_df = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    df.attrs["skipped"] = skipped_df.sort_values(["site_start", "strand"], kind="stable")
    return df


# what `check_target_length` says is done with every site of a target too long to enumerate
_WORK = "would be enumerated with its context, flags and repair scores, all held in memory"


def _check_pams(pams, enz: Enzyme) -> tuple[str, ...]:
    """`pams` upper-cased and checked as IUPAC codes (`check_pam`) of the enzyme's PAM length:
    a 4-nt PAM for SpCas9 crashed the scan (numpy broadcast error), a 2-nt one ('GG') matched
    one base early and reported 'GGA' / 'GGC' … as the PAM."""
    from helixforge.crispr.enzymes import check_pam

    out = tuple(check_pam(p, "pams entry") for p in pams)
    bad = [f"{p!r} ({len(p)} nt)" for p in out if len(p) != enz.pam_length]
    if bad:
        raise ConfigError(
            f"pams {', '.join(bad)}: {enz.name} PAMs are {enz.pam_length} nt "
            f"({', '.join(enz.pams)})",
            hint=f"give {enz.pam_length}-letter IUPAC PAMs (e.g. {enz.pams[0]}), or choose the "
            "enzyme these PAMs belong to (custom:PAM:SPACER_LENGTH for one not built in)",
        )
    return out


def _called(tgt: Target) -> str:
    """How messages name a target: its name, or "the target sequence" for an unnamed one."""
    return "the target sequence" if tgt.name == "target" else f"target {tgt.name}"
