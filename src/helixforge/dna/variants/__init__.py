"""Variant effects: score each VCF allele with a sequence model (ref vs alt window) or a language model.

    table = score_variants("calls.vcf", "genome.fa", model="runs/promoter", window=200)
    table = score_variants("calls.vcf", "genome.fa", model="lm:models/dna-gpt", window=512)
    table = score_variants("calls.vcf", "genome.fa", method="motif", tfs="SP1,NFYA,GATA1")
    table = score_variants("calls.vcf", "genome.fa", method="mpra")   # MPRA-trained prior

Modules, by job: `alleles` (reading alleles through `dna.io.iter_vcf`, genome access, windows,
the checks that send an allele to the errors table), `score` (models, chunked scoring) and
`resume` (finished chunks and the resume key: VCF, genome, model and options) and
`motif_delta` (JASPAR motif disruption: Δ best log-odds across the variant) and `mpra` (the
MPRA-trained motif-context model behind `method="mpra"`).
"""

from helixforge.dna.variants.alleles import (
    FileGenome,
    MemoryGenome,
    Variant,
    _genome,
    as_genome,
    checked_alleles,
    read_variants,
    usable_alleles,
    variant_windows,
)
from helixforge.dna.variants.motif_delta import MOTIF_COLUMNS, MotifDeltaScorer, select_by_tf
from helixforge.dna.variants.resume import ChunkStore, fingerprint
from helixforge.dna.variants.score import LM_PREFIX, METHODS, OUTPUT_COLUMNS, score_variants

__all__ = [
    "LM_PREFIX",
    "METHODS",
    "MOTIF_COLUMNS",
    "MotifDeltaScorer",
    "OUTPUT_COLUMNS",
    "ChunkStore",
    "FileGenome",
    "MemoryGenome",
    "Variant",
    "_genome",
    "as_genome",
    "checked_alleles",
    "fingerprint",
    "read_variants",
    "score_variants",
    "select_by_tf",
    "usable_alleles",
    "variant_windows",
]
