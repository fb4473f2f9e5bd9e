"""Transcription-factor motifs: JASPAR matrices, log-odds PWMs, FIMO-like scanning and enrichment.

    motifs = load_jaspar(ids=["MA0139.2"])                 # CTCF, from the bundled JASPAR 2024
    hits = scan({"chr1": seq}, motifs, pvalue=1e-4)        # both strands, exact p-values
    table = enrich(fg_sequences, bg_sequences, motifs)     # Fisher's exact test, BH q-values

Modules, by job: `matrices` (the Motif matrix, backgrounds), `load` (JASPAR, matrix files),
`records` (input sequences and their checks), `scan` (exact p-values, the scanner), `stats`
(q-values), `enrich` (Fisher enrichment), `pipeline` (the file-to-file verbs).
"""

from helixforge.dna.motifs.enrich import enrich
from helixforge.dna.motifs.load import (
    DEFAULT_RELEASE,
    jaspar_releases,
    load_jaspar,
    read_motifs,
    resolve_motifs,
    select_motifs,
)
from helixforge.dna.motifs.matrices import (
    BASES,
    DEFAULT_PSEUDOCOUNT,
    Motif,
    background_from_sequences,
    motif_from_biopython,
)
from helixforge.dna.motifs.pipeline import enrich_fasta, errors_path, scan_fasta
from helixforge.dna.motifs.records import (
    SequenceRecord,
    SequencesLike,
    as_records,
    check_records,
    read_fasta_records,
)
from helixforge.dna.motifs.scan import (
    HIT_COLUMNS,
    MotifScanner,
    ScoredMotif,
    hits_to_bed,
    prepare_motif,
    scan,
    write_hits,
)
from helixforge.dna.motifs.stats import benjamini_hochberg, partial_qvalues

__all__ = [
    "BASES",
    "DEFAULT_PSEUDOCOUNT",
    "DEFAULT_RELEASE",
    "HIT_COLUMNS",
    "Motif",
    "MotifScanner",
    "ScoredMotif",
    "SequenceRecord",
    "SequencesLike",
    "as_records",
    "background_from_sequences",
    "benjamini_hochberg",
    "check_records",
    "enrich",
    "enrich_fasta",
    "errors_path",
    "hits_to_bed",
    "jaspar_releases",
    "load_jaspar",
    "motif_from_biopython",
    "partial_qvalues",
    "prepare_motif",
    "read_fasta_records",
    "read_motifs",
    "resolve_motifs",
    "scan",
    "scan_fasta",
    "select_motifs",
    "write_hits",
]
