"""Targets and guide enumeration: every spacer on both strands with its context and flags.

    target = resolve_target("NC_000913.3:337-2799", genome="ecoli.fna.gz")  # 1-based, inclusive
    target = resolve_target("thrA", genome="ecoli.fna.gz", annotation="ecoli.gff.gz")
    target = resolve_target("ACGT…")                                        # a sequence
    guides = enumerate_guides(target, "spcas9", restriction_enzymes=["BsmBI"])

Coordinates in the guide table are 1-based and inclusive on the + strand of the reference: the
genome contig for genome targets, the target itself for sequences and FASTA records.
`cut_position` is the last base 5' of the cut on the + strand (the cut lies between it and the
next base); for staggered cutters `cut_position_target_strand` gives the other strand's cut.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr.enzymes import Enzyme, get_enzyme, pam_match_starts
from helixforge.crispr.scoring import microhomology_scores
from helixforge.dna.sequence import encode_int, gc_content, reverse_complement

GUIDE_COLUMNS = [
    "guide_id", "target", "contig", "strand", "spacer", "pam", "site_start", "site_end",
    "cut_position", "cut_position_target_strand", "target_position", "context", "gc",
    "poly_t", "max_homopolymer", "restriction_sites", "soft_masked", "gene", "cds_cut_percent",
    "mh_score", "oof_score", "flags",
]  # fmt: skip
_REGION_RE = re.compile(r"^(?P<contig>[^\s:]+):(?P<start>[\d,]+)-(?P<end>[\d,]+)$")
_COMP_CODE = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
MH_FLANK = 30  # nt each side of the cut read by the microhomology model


@dataclass
class Target:
    """A sequence to design guides in; `start` is its 0-based offset on `contig` (genome targets),
    and the flanks are the genome bases around it (for context windows at the edges)."""

    name: str
    sequence: str
    contig: str
    start: int = 0
    left_flank: str = ""
    right_flank: str = ""
    from_genome: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.sequence)


# ---------------------------------------------------------------------- genome access


@lru_cache(maxsize=2)
def _load_genome_cached(path: str, size: int, mtime: float) -> dict[str, str]:
    from helixforge.dna.io import read_fasta

    return {rec.id: rec.seq for rec in read_fasta(path)}


def load_genome(genome: str | os.PathLike | dict[str, str]) -> dict[str, str]:
    """Contig name → sequence (case kept: lowercase = soft-masked) from a FASTA(.gz) path or a dict.

    Reads through `helixforge.dna.io.read_fasta`; the last two genomes read stay cached in memory.
    """
    if isinstance(genome, dict):
        return genome
    p = Path(genome)
    if not p.exists():
        raise InputError(
            f"{p}: genome FASTA not found",
            hint="check the path to the genome FASTA (.fa/.fna, .gz ok)",
        )
    if p.is_dir():
        raise InputError(
            f"{p}: is a directory; a genome FASTA file is needed here",
            hint="an off-target index directory is used with --index, not as the genome sequence",
        )
    st = p.stat()
    return _load_genome_cached(str(p.resolve()), st.st_size, st.st_mtime)


def _gene_key(attrs: str) -> set[str]:
    keys = set()
    for m in re.finditer(
        r'(?:^|;)\s*(gene|Name|locus_tag|ID|gene_name|gene_id|gene_synonym)[= ]"?([^";]+)"?', attrs
    ):
        keys.update(v.strip() for v in m.group(2).split(","))
    return {k for k in keys if k}


def load_annotation(annotation) -> pd.DataFrame:
    """CDS features (0-based half-open) from a GFF3/GTF path or a DataFrame with seqid, start,
    end, strand (and optionally name); adds `gene` (a readable name) and `keys` (names to match)."""
    if annotation is None:
        return pd.DataFrame(columns=["seqid", "start", "end", "strand", "gene", "keys"])
    if isinstance(annotation, pd.DataFrame):
        df = annotation.copy()
        missing = [c for c in ("seqid", "start", "end", "strand") if c not in df.columns]
        if missing:
            from helixforge.core.errors import ColumnNotFoundError

            raise ColumnNotFoundError(missing, df.columns, "annotation table")
        if "gene" not in df.columns:
            df["gene"] = df.get("name", pd.Series([""] * len(df), index=df.index))
        df["keys"] = [{str(g)} for g in df["gene"]]
        return df
    p = Path(annotation)
    if not p.is_file():
        raise InputError(f"{p}: annotation file not found", hint="give a GFF3 or GTF file (.gz ok)")
    st = p.stat()
    return _load_gff_cached(str(p.resolve()), st.st_size, st.st_mtime).copy()


@lru_cache(maxsize=4)
def _load_gff_cached(path: str, size: int, mtime: float) -> pd.DataFrame:
    from helixforge.dna.io import read_gff

    df = read_gff(path, types={"CDS"})
    keys = [
        _gene_key(a) | {n for n in (nm, gid) if n}
        for a, nm, gid in zip(df["attributes"], df["name"], df["gene_id"])
    ]
    genes = []
    for a, nm, gid in zip(df["attributes"], df["name"], df["gene_id"]):
        m = re.search(r'(?:^|;)\s*(?:gene|gene_name)[= ]"?([^";]+)', a)
        genes.append(m.group(1) if m else (nm or gid))
    df["gene"] = genes
    df["keys"] = keys
    return df


# ---------------------------------------------------------------------- targets


def resolve_target(
    target: str | Target,
    genome: str | os.PathLike | dict[str, str] | None = None,
    annotation=None,
    name: str | None = None,
    flank: int = 50,
) -> Target:
    """A `Target` from a sequence, a FASTA path (``file.fa`` or ``file.fa#record``), a region
    ``contig:start-end`` (1-based, inclusive; needs `genome`) or a gene name (needs `genome` and
    `annotation`). Errors name what is wrong: unknown contig, coordinates outside it, non-ACGT
    characters with their position."""
    if isinstance(target, Target):
        return target
    text = str(target).strip()
    if not text:
        raise InputError(
            "the target is empty",
            hint="give a DNA sequence, a FASTA file, contig:start-end or a gene name",
        )
    path_part, _, record = text.partition("#")
    if _is_file(path_part):
        return _target_from_fasta(Path(path_part), record or None, name)
    m = _REGION_RE.match(text)
    if m:
        if genome is None:
            raise InputError(
                f"target {text!r} is a genome region but no genome was given",
                hint="pass --genome GENOME.fa(.gz) (or give the sequence itself)",
            )
        start, end = int(m["start"].replace(",", "")), int(m["end"].replace(",", ""))
        return region_target(genome, m["contig"], start - 1, end, name=name or text, flank=flank)
    if annotation is not None and genome is not None and not re.fullmatch(r"[ACGTNacgtn]+", text):
        ann = load_annotation(annotation)
        hits = ann[[text in k for k in ann["keys"]]]
        if len(hits):
            contigs = hits["seqid"].unique()
            if len(contigs) > 1:
                raise InputError(f"gene {text!r} has CDS on several contigs: {', '.join(contigs)}")
            start, end = int(hits["start"].min()), int(hits["end"].max())
            return region_target(genome, contigs[0], start, end, name=name or text, flank=flank)
        if re.fullmatch(r"[\w.\-]+", text) and not _is_file(text):
            from difflib import get_close_matches

            names = sorted({k for keys in ann["keys"] for k in keys})
            close = get_close_matches(text, names, n=5, cutoff=0.6)
            raise InputError(
                f"{text!r} is not a gene, locus tag or ID in the annotation",
                hint=f"closest names: {', '.join(close)}"
                if close
                else "check the spelling (names are case-sensitive)",
            )
    if re.search(r"[/\\]|\.(fa|fasta|fna|gz)$", text, re.I):
        raise InputError(f"{text}: target FASTA file not found", hint="check the path")
    return sequence_target(text, name=name or "target")


def _is_file(text: str) -> bool:
    if len(text) > 4096 or re.fullmatch(r"[ACGTNacgtn]+", text) and len(text) > 255:
        return False
    try:
        return Path(text).is_file()
    except OSError:
        return False


def sequence_target(seq: str, name: str = "target") -> Target:
    """A target from a sequence string; only A/C/G/T (any case) are accepted."""
    clean = re.sub(r"\s+", "", seq)
    for i, ch in enumerate(clean):
        if ch.upper() not in "ACGT":
            raise InputError(
                f"{name}: character {ch!r} at position {i + 1} is not A, C, G or T",
                hint="guides are designed on A/C/G/T only; remove or replace the character "
                "(N and IUPAC codes are not allowed in a target sequence). A gene name as target "
                "needs --genome and --annotation; a region is written contig:start-end",
            )
    return Target(name=name, sequence=clean, contig=name)


def _target_from_fasta(path: Path, record: str | None, name: str | None) -> Target:
    from helixforge.dna.io import read_fasta

    recs = list(read_fasta(path))
    if record:
        recs = [r for r in recs if r.id == record]
        if not recs:
            raise InputError(f"{path}: no record named {record!r}")
    elif len(recs) > 1:
        raise InputError(
            f"{path}: has {len(recs)} records; which one is the target?",
            hint=f"name it as {path}#RECORD, e.g. {path}#{recs[0].id}",
        )
    rec = recs[0]
    tgt = sequence_target(rec.seq, name=f"{path.name}#{rec.id}" if name is None else name)
    tgt.contig = rec.id
    return tgt


def region_target(
    genome: str | os.PathLike | dict[str, str],
    contig: str,
    start: int,
    end: int,
    name: str | None = None,
    flank: int = 50,
) -> Target:
    """The genome bases [start, end) (0-based) of `contig`, with up to `flank` nt on each side."""
    seqs = load_genome(genome)
    if contig not in seqs:
        from difflib import get_close_matches

        close = get_close_matches(contig, list(seqs), n=5, cutoff=0.3)
        shown = ", ".join(list(seqs)[:10])
        raise InputError(
            f"contig {contig!r} is not in the genome",
            hint=(f"closest names: {', '.join(close)}" if close else f"contigs are: {shown}"),
        )
    n = len(seqs[contig])
    if start < 0 or end > n or start >= end:
        raise InputError(
            f"region {contig}:{start + 1}-{end} is outside contig {contig} (length {n:,}) or empty",
            hint=f"coordinates are 1-based and inclusive: 1 ≤ start ≤ end ≤ {n:,}",
        )
    seq = seqs[contig]
    return Target(
        name=name or f"{contig}:{start + 1}-{end}",
        sequence=seq[start:end],
        contig=contig,
        start=start,
        left_flank=seq[max(0, start - flank) : start],
        right_flank=seq[end : end + flank],
        from_genome=True,
    )


# ---------------------------------------------------------------------- scanning


def rc_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of uint8 base codes (N stays N)."""
    return _COMP_CODE[np.minimum(codes, 4)][::-1]


def scan_sites(
    codes: np.ndarray, enzyme: Enzyme, pams: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Window starts of sites on each strand of `codes` whose PAM matches one of `pams`.

    Returns (forward starts, reverse starts); reverse starts are positions in the reverse
    complement. A window is ``site_length`` long; the PAM is at its 3' or 5' end per the enzyme.
    """
    S, L = enzyme.site_length, enzyme.spacer_length
    out = []
    for strand_codes in (codes, rc_codes(codes)):
        n_win = len(strand_codes) - S + 1
        if n_win <= 0:
            out.append(np.zeros(0, dtype=np.int64))
            continue
        ok = np.zeros(n_win, dtype=bool)
        pam_off = L if enzyme.pam_side == "3prime" else 0
        for pam in pams:
            hits = pam_match_starts(strand_codes, pam)
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
            raise ConfigError(
                f"unknown restriction enzyme {n!r}",
                hint="use Biopython/REBASE names, e.g. BsmBI, BbsI, BsaI, EcoRI (case-sensitive)",
            )
        rb.add(enz)
    return rb


def enumerate_guides(
    target: Target | str,
    enzyme: str | Enzyme = "spcas9",
    restriction_enzymes: list[str] | tuple[str, ...] = (),
    annotation=None,
    pams: tuple[str, ...] | None = None,
    homopolymer_min: int = 5,
) -> pd.DataFrame:
    """Every spacer on both strands of the target, with layout and sequence flags.

    Columns (`GUIDE_COLUMNS`): coordinates (see the module docstring), `context` (the on-target
    model window; empty when it runs past the known sequence), `gc` (spacer GC fraction),
    `poly_t` (TTTT in the spacer: Pol III terminator), `max_homopolymer`, `restriction_sites`
    (names found in the spacer, either strand), `soft_masked` (lowercase bases in the site),
    `gene` / `cds_cut_percent` (with an annotation: where the cut falls in a CDS, 0–100 along
    its coding direction), `mh_score` / `oof_score` (Bae 2014 microhomology and out-of-frame
    scores of the 60 nt around a blunt cut; NaN for staggered cutters or near the ends) and `flags` (';'-joined: poly_t, homopolymer, gc_low, gc_high,
    restriction:NAME, soft_masked, no_context, cds_edge = cut outside 5–65 % of the CDS). Spacers over N are skipped. No PAM in the target
    gives an empty table whose ``attrs['note']`` says so.
    """
    enz = get_enzyme(enzyme)
    tgt = resolve_target(target) if not isinstance(target, Target) else target
    pams = tuple(pams) if pams else enz.pams
    S, L = enz.site_length, enz.spacer_length
    n = len(tgt.sequence)
    if n < S:
        raise InputError(
            f"target {tgt.name} is {n} nt long, shorter than one {enz.name} site ({L} nt spacer + "
            f"{enz.pam_length} nt PAM = {S} nt)",
            hint="give a longer target (a gene, exon or region of at least a few dozen nt)",
        )
    codes = encode_int(tgt.sequence)
    fwd, rev = scan_sites(codes, enz, pams)
    ext = tgt.left_flank + tgt.sequence + tgt.right_flank
    off = len(tgt.left_flank)
    ext_rc = reverse_complement(ext)
    rb = _restriction_batch(restriction_enzymes)
    cds = load_annotation(annotation)
    if len(cds):
        cds = cds[
            (cds["seqid"] == tgt.contig) & (cds["end"] > tgt.start) & (cds["start"] < tgt.end)
        ]
    cds_start = cds["start"].to_numpy(np.int64) if len(cds) else np.zeros(0, np.int64)
    cds_end = cds["end"].to_numpy(np.int64) if len(cds) else np.zeros(0, np.int64)
    cds_minus = (cds["strand"] == "-").to_numpy() if len(cds) else np.zeros(0, bool)
    cds_gene = cds["gene"].astype(str).tolist() if len(cds) else []
    up, down = enz.context_upstream, enz.context_downstream
    sp_off = enz.spacer_offset_in_site()
    rows = []
    for strand, starts in (("+", fwd), ("-", rev)):
        for w in starts.tolist():
            a = (
                w if strand == "+" else n - w - S
            )  # 0-based start of the site in the target, + strand
            site = tgt.sequence[a : a + S]
            if strand == "-":
                site = reverse_complement(site)
            site_up = site.upper()
            spacer, pam = site_up[sp_off : sp_off + L], enz.split_site(site_up)[1]
            if "N" in site_up:
                continue
            # cut boundaries (0-based between-base coordinates in the target, + strand)
            if (enz.pam_side == "3prime") == (strand == "+"):
                cuts = [a + L - c for c in enz.cut_offsets]  # spacer lies left of its PAM junction
            else:
                cuts = [a + enz.pam_length + c for c in enz.cut_offsets]
            # context window on the guide strand
            if strand == "+":
                cs, ce = off + a - up, off + a + S + down
                ctx = ext[cs:ce] if cs >= 0 and ce <= len(ext) else ""
            else:
                r = len(ext) - (off + a + S)
                cs, ce = r - up, r + S + down
                ctx = ext_rc[cs:ce] if cs >= 0 and ce <= len(ext_rc) else ""
            gc = gc_content(spacer)
            run = _max_run(spacer)
            enzymes_hit = []
            if rb is not None:
                from Bio.Seq import Seq

                found = rb.search(Seq(spacer), linear=True)
                enzymes_hit = sorted(str(e) for e, pos in found.items() if pos)
            soft = any(ch.islower() for ch in site)
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
            if not ctx:
                flags.append("no_context")
            gene, pct = "", np.nan
            cut_ref = tgt.start + cuts[0]
            inside = np.flatnonzero((cds_start < cut_ref) & (cut_ref < cds_end))
            if len(inside):
                k = int(inside[0])
                gene = cds_gene[k]
                frac = (cut_ref - cds_start[k]) / (cds_end[k] - cds_start[k])
                pct = round(100 * (1 - frac if cds_minus[k] else frac), 2)
                if (
                    not 5 <= pct <= 65
                ):  # knockouts work best cutting 5–65 % into the CDS (Doench 2016)
                    flags.append("cds_edge")
            mh = oof = np.nan
            if not enz.staggered:  # Bae 2014 microhomology model: 30 nt each side of a blunt cut
                b = off + cuts[0]
                if (
                    b - MH_FLANK >= 0
                    and b + MH_FLANK <= len(ext)
                    and "N" not in ext[b - MH_FLANK : b + MH_FLANK].upper()
                ):
                    mh, oof = microhomology_scores(ext[b - MH_FLANK : b + MH_FLANK], MH_FLANK)
            rows.append(
                {
                    "guide_id": "",
                    "target": tgt.name,
                    "contig": tgt.contig,
                    "strand": strand,
                    "spacer": spacer,
                    "pam": pam,
                    "site_start": tgt.start + a + 1,
                    "site_end": tgt.start + a + S,
                    "cut_position": tgt.start + cuts[0],
                    "cut_position_target_strand": tgt.start + cuts[1],
                    "target_position": cuts[0],
                    "context": ctx.upper(),
                    "gc": round(gc, 4),
                    "poly_t": "TTTT" in spacer,
                    "max_homopolymer": run,
                    "restriction_sites": ",".join(enzymes_hit),
                    "soft_masked": soft,
                    "gene": gene,
                    "cds_cut_percent": pct,
                    "mh_score": mh,
                    "oof_score": oof,
                    "flags": ";".join(flags),
                }
            )
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
            f"target {tgt.name} ({n} nt) on either strand"
        )
    return df
