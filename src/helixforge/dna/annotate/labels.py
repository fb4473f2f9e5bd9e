"""Per-base labels from CDS features: 7 classes, 0 non-coding; 1–3 CDS on the + strand at codon
position 1, 2, 3; 4–6 CDS on the − strand at codon position 1, 2, 3 (codon positions from the
GFF start and phase). Codon positions make the model learn the reading frame.
"""

from __future__ import annotations

import numpy as np

N_CLASSES = 7
CLASS_NAMES = ["noncoding", "CDS+1", "CDS+2", "CDS+3", "CDS-1", "CDS-2", "CDS-3"]
RC_CLASS = np.array(
    [0, 4, 5, 6, 1, 2, 3], dtype=np.int64
)  # label of a base after reverse-complementing
STARTS = ("ATG", "GTG", "TTG")
STOPS = ("TAA", "TAG", "TGA")
FORMAT = "helixforge.dna.GeneAnnotator/1"


# ---------------------------------------------------------------------------- labels


def cds_labels(length: int, cds, contig: str) -> np.ndarray:
    """Per-base int8 labels (0–6, see module doc) for one contig from CDS rows of `read_gff`."""
    lab = np.zeros(length, dtype=np.int8)
    rows = cds[cds["seqid"] == contig]
    for s, e, strand, phase in zip(
        rows["start"], rows["end"], rows["strand"], rows["phase"], strict=False
    ):
        s, e = max(0, int(s)), min(length, int(e))
        if e <= s:
            continue
        p = int(phase) if str(phase).isdigit() else 0
        x = np.arange(s, e)
        if strand == "+":
            lab[s:e] = 1 + (x - s - p) % 3
        elif strand == "-":
            lab[s:e] = 4 + (e - 1 - x - p) % 3
    return lab


def true_genes(cds, contig: str) -> list[tuple[int, int, str]]:
    """Annotated genes as (start, end, strand), one per CDS id (multi-part CDS span min..max)."""
    rows = cds[cds["seqid"] == contig]
    if len(rows) == 0:
        return []
    key = (
        rows["id"]
        .where(rows["id"] != "", rows["parent"])
        .where(lambda k: k != "", rows["line"].astype(str))
    )
    grouped = (
        rows.assign(_k=key.to_numpy())
        .groupby(["_k", "strand"], sort=False)
        .agg(start=("start", "min"), end=("end", "max"))
    )
    return sorted(
        {
            (int(s), int(e), str(st))
            for (_, st), s, e in zip(grouped.index, grouped["start"], grouped["end"], strict=False)
        }
    )
