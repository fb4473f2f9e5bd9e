"""Variant effects: score each VCF allele with a sequence model (ref vs alt window) or a language model.

    table = score_variants("calls.vcf", "genome.fa", model="runs/promoter", window=200)
    table = score_variants("calls.vcf", "genome.fa", model="lm:models/dna-gpt", window=512)

Modules, by job: `alleles` (reading alleles through `dna.io.iter_vcf`, genome access, windows,
the checks that send an allele to the errors table), `score` (models, chunked scoring) and
`resume` (finished chunks and the resume key: VCF, genome, model and options).
"""

from helixforge.dna.variants.alleles import (
    FileGenome,
    MemoryGenome,
    Variant,
    _genome,
    as_genome,
    read_variants,
    usable_alleles,
    variant_windows,
)
from helixforge.dna.variants.resume import ChunkStore, fingerprint
from helixforge.dna.variants.score import LM_PREFIX, OUTPUT_COLUMNS, score_variants

__all__ = [
    "LM_PREFIX",
    "OUTPUT_COLUMNS",
    "ChunkStore",
    "FileGenome",
    "MemoryGenome",
    "Variant",
    "_genome",
    "as_genome",
    "fingerprint",
    "read_variants",
    "score_variants",
    "usable_alleles",
    "variant_windows",
]
