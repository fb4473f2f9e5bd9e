"""Genomics: sequences, genomes and their models.

Modules (import what you need; nothing heavy is imported here):

- `sequence` — alphabet, validation (`clean_sequence`), the one `reverse_complement`, one-hot
- `io` — the one genome / FASTA / VCF path: `Genome` (pyfaidx), FASTA / FASTQ, BED, GFF3 / GTF,
  VCF (pysam); see its docstring for the API
- `encode` — padded integer codes, one-hot batches, reverse complements of encodings
- `splits` — the "chromosome" hold-out split (registered in `core.splits`)
- `models` — the `--model` architecture registry (cnn, resnet, resnet_pos, lm:PATH),
  `SequenceModel`, the LM adapter
- `reader` — sequences + labels from tables, FASTA or BED + genome, every row accounted for
- `train`, `predict`, `outputs` — `helix dna train | predict | evaluate` (`classify` re-exports)
- `annotate`, `motifs`, `interpret`, `variants`, `design` — see docs/dna_analysis.md
"""
