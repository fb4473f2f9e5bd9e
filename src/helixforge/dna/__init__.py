"""Genomics: sequences, genomes and their models.

Modules (import what you need; nothing heavy is imported here):

- `sequence` — alphabet, validation, reverse complement, one-hot
- `io` — FASTA / FASTQ, `Genome` (pyfaidx), BED, GFF3 / GTF, VCF (pysam)
- `encode` — padded integer codes, one-hot batches, reverse complements of encodings
- `splits` — the "chromosome" hold-out split
- `models` — `SequenceModel` (CNN / dilated ResNet), `LMSequenceModel` (lm:PATH)
- `classify` — train / predict / evaluate sequence models (run directories, reports)
- `annotate` — per-base gene annotation and GFF3 gene calls
- `motifs`, `interpret`, `variants`, `design` — see docs/dna_analysis.md
"""
