"""Interval formats: BED (read, and extract sequences from a `Genome`) and GFF3 / GTF.

Coordinates returned in Python are 0-based half-open; GFF/GTF files are 1-based closed and
`read_gff` / `write_gff3` convert. Malformed BED lines go to a `RowErrors` when one is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from helixforge.core.errors import (
    EmptyInputError,
    InputError,
    NoUsableRowsError,
    RowErrors,
    is_missing,
)
from helixforge.core.io import open_text
from helixforge.dna.io.genome import Genome
from helixforge.lm.inputs import as_path

if TYPE_CHECKING:
    import pandas as pd

BED_COLUMNS = ["chrom", "start", "end", "name", "score", "strand"]


def read_bed(path: str | os.PathLike, errors: RowErrors | None = None) -> pd.DataFrame:
    """BED3–BED6+ as a DataFrame (chrom, start, end, name, score, strand, extra columns…).

    'track', 'browser' and '#' lines are skipped; a header line starting with 'chrom' names the
    extra columns. Coordinates are checked (integers, start < end); the index is the file line.
    A malformed line raises `InputError`, or with `errors` (a `RowErrors`) is recorded there and
    skipped, so one bad line does not stop a job.
    """
    import pandas as pd

    p = as_path(path, "path")
    rows, lines = [], []
    header: list[str] | None = None
    with open_text(p) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\n\r")
            if not line.strip() or line.startswith(("track", "browser")):
                continue
            if line.startswith("#"):
                text = line.lstrip("#").strip()
                cols = text.split("\t") if "\t" in text else text.split()  # as the intervals
                if cols and cols[0].lower() == "chrom":
                    header = cols
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            # a column header line: before the first interval (after track / browser lines
            # too; only line 1 was read as one, so the header under a track line was an
            # errors row and its label column was lost), or a repeat of it (files joined)
            if fields[0].strip().lower() == "chrom" and (not rows or fields == header):
                header = header or fields
                continue
            problem = None
            if len(fields) < 3:
                problem = "a BED line needs at least chrom, start and end (tab-separated)"
            else:
                try:
                    start, end = int(fields[1]), int(fields[2])
                except ValueError:
                    problem = (
                        f"start/end {fields[1]!r}, {fields[2]!r} are not integers "
                        "(is there a header line? start it with '#')"
                    )
                else:
                    if start < 0 or end <= start:
                        problem = f"start {start} must be ≥ 0 and below end {end}"
            if problem:
                if errors is None:
                    raise InputError(f"{p}, line {lineno}: {problem}")
                errors.add(lineno, None, line[:200], problem)
                continue
            fields[1], fields[2] = start, end
            rows.append(fields)
            lines.append(lineno)
    if not rows:
        raise EmptyInputError(f"{p}: no BED intervals found")
    width = max(len(r) for r in rows)
    # a header names its columns; lines with more fields than it (a ragged file) get colN
    # names for the rest (the whole header was dropped, and with it the label column)
    names = list(header) if header else BED_COLUMNS[: min(width, 6)]
    names += [f"col{i + 1}" for i in range(len(names), width)]
    names = [("chrom" if i == 0 else n) for i, n in enumerate(names[:width])]
    df = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], columns=names[:width])
    df.index = pd.Index(lines, name="line")
    if "strand" in df.columns:
        df["strand"] = df["strand"].fillna("+").replace({".": "+"})
    return df


def bed_to_sequences(
    bed: str | os.PathLike | pd.DataFrame,
    genome: Genome | str | os.PathLike,
    *,
    flank: int = 0,
    both_strands: bool = False,
    errors: RowErrors | None = None,
) -> pd.DataFrame:
    """Extract the sequence of every BED interval (± `flank` bases), honouring its strand.

    With `both_strands`, each interval gives two rows (strand '+' and '-'). Intervals on unknown
    contigs or past a contig's end are recorded in `errors` (a `RowErrors`) and skipped when it
    is given, else raise an `InputError` naming the BED line.
    """
    import pandas as pd

    from helixforge.core.options import require_int

    flank = require_int(flank, "flank", min_value=0)
    if isinstance(bed, pd.DataFrame):
        missing = [c for c in ("chrom", "start", "end") if c not in bed.columns]
        if missing:
            raise InputError(
                f"BED table: column(s) {missing} missing (columns: {list(bed.columns)[:8]})",
                hint="a BED table has chrom, start, end (0-based, half-open) and optionally "
                "name, score, strand; read_bed(path) gives one",
            )
    elif not isinstance(bed, str | os.PathLike):
        raise InputError(
            f"bed must be a BED path or a DataFrame, got {type(bed).__name__}",
            hint="pass read_bed(path), a DataFrame with chrom/start/end, or the BED file path",
        )
    g = genome if isinstance(genome, Genome) else Genome(genome)
    source = (
        str(bed)
        if not isinstance(bed, pd.DataFrame)
        else (errors.file if errors is not None else "")
    )
    source = source or "BED input"
    df = read_bed(bed, errors=errors) if not isinstance(bed, pd.DataFrame) else bed
    out_rows, seqs = [], []
    for line, row in df.iterrows():
        where = f"{source}, line {line}"
        strand = row.get("strand", "+")
        if is_missing(strand) or strand in ("", "."):  # unstranded, as read_bed reads it
            strand = "+"
        if not both_strands and strand not in ("+", "-"):
            # '.' passed this check's message but not the check (a DataFrame not from read_bed)
            exc = InputError(
                f"{where}: strand {strand!r} is not '+', '-' or '.' (unstranded, read as '+')"
            )
            if errors is None:
                raise exc
            errors.add(int(line), "strand", str(strand), exc.message.split(": ", 1)[-1])
            continue
        strands = ["+", "-"] if both_strands else [strand]
        try:
            start, end = int(row["start"]) - flank, int(row["end"]) + flank
            for strand in strands:
                seqs.append(g.fetch(str(row["chrom"]), start, end, strand, where=where))
                rec = row.to_dict()
                rec["strand"] = strand
                out_rows.append((line, rec))
        except InputError as exc:
            if errors is None:
                raise
            # with what to do: the errors table had 'contig 'chrX' is not in genome g.fa' and
            # not the genome's contigs, nor that --flank took an interval past a contig end
            reason = exc.message.split(": ", 1)[-1]
            if flank and "outside contig" in reason:
                reason += (
                    f" (--flank {flank} widened {row['start']}-{row['end']}; a smaller --flank "
                    "keeps intervals near a contig end)"
                )
            errors.add(
                int(line),
                "chrom/start/end",
                f"{row['chrom']}:{row['start']}-{row['end']}",
                f"{reason}; {exc.hint}" if exc.hint else reason,
            )
    if not out_rows:
        why = "; ".join(f"line {e.row}: {e.reason}" for e in list(errors or [])[:3])
        raise InputError(
            f"{source}: no BED interval could be extracted from {g.path.name}"
            + (f" ({why})" if why else ""),
            hint="BED is 0-based half-open (chrom, start, end); check that its contig names are "
            f"the genome's ({', '.join(g.contigs[:5])}{' …' if len(g.contigs) > 5 else ''})",
        )
    res = pd.DataFrame(
        [r for _, r in out_rows], index=pd.Index([ln for ln, _ in out_rows], name="line")
    )
    res["sequence"] = seqs
    return res


# ---------------------------------------------------------------------------- GFF / GTF

GFF_COLUMNS = ["seqid", "source", "type", "start", "end", "score", "strand", "phase", "attributes"]


# GFF3 attributes start 'key=value'; GTF ones 'key "value"' (or 'key value'). The dialect is
# read from each line, not the suffix: a GFF3 file named .gtf (or a GTF named .gff) lost every
# ID, Parent and Name, and design found no gene in it.
_GFF3_ATTRIBUTES = re.compile(r'\s*[^\s=;"]+=')

# One GTF attribute: a key, then a quoted value (which may hold ';' and \\" escapes) or a bare
# one, then ';' or the end. Splitting on ';' first cut 'gene_name "ab;c"' to 'ab'.
_GTF_ATTRIBUTE = re.compile(r'\s*([^\s;]+)(?:\s+(?:"((?:[^"\\]|\\.)*)"?|([^;]*)))?\s*(?:;|$)')


def _parse_attributes(text: str, gtf: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    if gtf:
        for m in _GTF_ATTRIBUTE.finditer(text.strip()):
            key, quoted, bare = m.groups()
            if quoted is not None:
                val = quoted.replace('\\"', '"')
            else:
                val = (bare or "").strip().strip('"')
            out.setdefault(key, val)
    else:
        from urllib.parse import unquote

        for part in text.strip().split(";"):
            if "=" in part:
                key, _, val = part.partition("=")
                out[key.strip()] = unquote(val.strip())
    return out


def read_gff(
    path: str | os.PathLike, types: Iterable[str] | None = None, errors: RowErrors | None = None
) -> pd.DataFrame:
    """GFF3 or GTF features as a DataFrame with 0-based half-open `start`/`end`.

    Columns: seqid, source, type, start, end, score, strand, phase, id, parent, name, gene_id,
    attributes (the raw text), line. `types` keeps only those feature types (e.g. {"CDS"}).
    The dialect is taken from each line's attribute syntax ('key=value' is GFF3), not the
    suffix. A malformed line (not
    9 columns, start/end not integers, start < 1 or past end) goes to `errors` (GFF line
    number, column, value, reason) and is skipped when `errors` is given; without it, it is an
    InputError naming the line.
    """
    import pandas as pd

    p = as_path(path, "path")
    keep = set(types) if types else None
    rows = []
    other_types: dict[str, int] = {}  # the types a file without the asked ones holds
    with open_text(p) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw.startswith("##FASTA"):
                break
            if raw.startswith("#") or not raw.strip():
                continue
            f = raw.rstrip("\n\r").split("\t")
            if len(f) != 9:
                if keep is not None and len(f) > 2 and f[2] not in keep:
                    continue  # a malformed line of a type not asked for is not read
                _gff_fault(p, lineno, "", raw.strip()[:80], f"expected 9 tab-separated GFF "
                           f"columns, found {len(f)}", errors)  # fmt: skip
                continue
            if keep is not None and f[2] not in keep:
                other_types[f[2]] = other_types.get(f[2], 0) + 1
                continue
            try:
                start, end = int(f[3]) - 1, int(f[4])
            except ValueError:
                bad = "start" if not f[3].strip().lstrip("-").isdigit() else "end"
                _gff_fault(p, lineno, bad, f[3] if bad == "start" else f[4],
                           f"{bad} is not an integer", errors)  # fmt: skip
                continue
            if start < 0 or end <= start:
                _gff_fault(p, lineno, "start", f[3], f"start {f[3]} must be ≥ 1 and ≤ end {f[4]}",
                           errors)  # fmt: skip
                continue
            attrs = _parse_attributes(f[8], not _GFF3_ATTRIBUTES.match(f[8]))
            rows.append(
                {
                    "seqid": f[0],
                    "source": f[1],
                    "type": f[2],
                    "start": start,
                    "end": end,
                    "score": f[5],
                    "strand": f[6],
                    "phase": f[7],
                    "id": attrs.get("ID", attrs.get("transcript_id", "")),
                    "parent": attrs.get("Parent", attrs.get("transcript_id", "")),
                    "name": attrs.get("Name", attrs.get("gene_name", attrs.get("gene", ""))),
                    "gene_id": attrs.get("gene_id", attrs.get("locus_tag", attrs.get("gene", ""))),
                    "attributes": f[8],
                    "line": lineno,
                }
            )
    cols = GFF_COLUMNS[:8] + ["id", "parent", "name", "gene_id", "attributes", "line"]
    if not rows:
        what = f" of type {sorted(keep)}" if keep else ""
        if errors is not None and len(errors):
            raise NoUsableRowsError(
                f"{p}: no usable GFF/GTF features{what} ({len(errors)} line(s) rejected)",
                hint=errors.summary(3),
            )
        held = ", ".join(f"{t} ({n:,})" for t, n in sorted(other_types.items())[:12])
        raise EmptyInputError(
            f"{p}: no GFF/GTF features{what} found"
            + (f"; its features are {held}" if held else ""),
            hint="check the file and the feature types asked for"
            + (
                " (gene annotation learns from CDS lines: use an annotation with CDS, e.g. "
                "the GFF3 / GTF of the genome's assembly release)"
                if keep == {"CDS"}
                else ""
            ),
        )
    return pd.DataFrame(rows, columns=cols)


_GFF_HINT = "GFF3/GTF columns: seqid source type start end score strand phase attributes"


def _gff_fault(
    path: Path, lineno: int, column: str, value: str, reason: str, errors: RowErrors | None
) -> None:
    """A malformed GFF line: a row of `errors` when given, else an InputError naming it."""
    if errors is None:
        where = f", column '{column}'" if column else ""
        raise InputError(f"{path}, line {lineno}{where}: {reason}", hint=_GFF_HINT)
    errors.add(lineno, column or None, value, reason)


def write_gff3(features: pd.DataFrame, path: str | os.PathLike, source: str = "HelixForge") -> Path:
    """Write features (seqid, type, 0-based start, end, strand, optional score/phase/id/name) as GFF3."""
    from helixforge.core.tables import write_text

    lines = ["##gff-version 3"]
    for raw in features.to_dict("records"):
        rec = {k: v for k, v in raw.items() if not _missing(v)}
        attrs = [
            f"{key}={rec[low]}"
            for key, low in (("ID", "id"), ("Parent", "parent"), ("Name", "name"))
            if rec.get(low)
        ]
        score = rec.get("score", ".")
        score = f"{score:.3f}" if isinstance(score, float) else str(score)
        phase = rec.get("phase", ".")
        phase = str(int(phase)) if isinstance(phase, int | float) else str(phase)
        cols = [
            rec["seqid"],
            rec.get("source", source),
            rec["type"],
            int(rec["start"]) + 1,
            int(rec["end"]),
            score,
            rec.get("strand", "."),
            phase,
        ]
        lines.append("\t".join(str(c) for c in cols) + "\t" + (";".join(attrs) or "."))
    return write_text("\n".join(lines) + "\n", path)


def _missing(v) -> bool:
    return v is None or v == "" or (isinstance(v, float) and np.isnan(v))
