"""`dna annotate predict`: call genes on a genome (all contigs, some, or 1-based regions) with a
trained annotator and write GFF3 atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from helixforge.core.errors import ConfigError
from helixforge.core.io import check_not_input
from helixforge.core.training import restores_torch_threads, set_threads
from helixforge.dna.annotate.genes import write_genes
from helixforge.dna.annotate.model import GeneAnnotator
from helixforge.dna.annotate.regions import Region, parse_regions


@restores_torch_threads
def annotate_genome(
    run: str | os.PathLike,
    genome: str | os.PathLike,
    out: str | os.PathLike,
    *,
    contigs: Sequence[str] | None = None,
    region: str | None = None,
    device: str = "cpu",
    threads: int | None = None,
    overwrite: bool = False,
    quiet: bool = True,
) -> list[dict[str, Any]]:
    """Call genes on every contig (or `contigs`, or `region`: comma-separated 1-based inclusive
    'CONTIG:START-END' or whole 'CONTIG', as samtools) and write GFF3 to `out`."""
    from helixforge.core.io import check_output
    from helixforge.core.progress import progress
    from helixforge.dna.io import Genome

    check_not_input(out, [run, genome])
    check_output(out, overwrite=overwrite)
    set_threads(threads)
    ann = GeneAnnotator.load(run, device=device)
    g = Genome(genome)
    if region is not None:
        todo = parse_regions(str(region), g.lengths)
        if not todo:  # --region ',' or '' named nothing; it meant the whole genome
            raise ConfigError(
                f"--region {region!r} names no region",
                hint="give CONTIG:START-END (1-based, inclusive), or leave --region out",
            )
    else:
        names = [g.resolve_contig(c, where="--contigs") for c in contigs] if contigs else g.contigs
        todo = [Region(c, 0, g.lengths[c]) for c in names]
    genes: list[dict[str, Any]] = []
    total = sum(len(r) for r in todo)
    with progress("annotating", total=total, quiet=quiet, unit="bp") as advance:
        for r in todo:
            if len(r) >= 3:
                seq = g.fetch(r.contig, r.start, r.end)
                proba = ann.predict_proba(seq)
                called = ann.call_genes(seq, proba, offset=r.start)
                for gene in called:
                    gene["seqid"] = r.contig
                genes += called
            advance(len(r))
    write_genes(genes, out)
    return genes
