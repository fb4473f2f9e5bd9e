"""Genomics: sequences, genomes and their models.

Modules (import what you need; nothing heavy is imported here):

- `sequence` — validation (`clean_sequence`), IUPAC matching, one-hot; re-exports the one
  `reverse_complement` (it lives in `lm.alphabet`, which lm's corpus also needs)
- `io` — the one genome / FASTA / VCF path: `Genome` (pyfaidx), FASTA / FASTQ, BED, GFF3 / GTF,
  VCF (pysam); see its docstring for the API
- `encode` — padded integer codes, one-hot batches, reverse complements of encodings
- `splits` — the "chromosome" hold-out split (registered in `core.splits`)
- `models` — the `--model` architecture registry (cnn, resnet, resnet_pos, lm:PATH),
  `SequenceModel`, the LM adapter
- `reader` — sequences + labels from tables, FASTA or BED + genome, every row accounted for
- `train`, `predict`, `splits` — `helix dna train | predict | evaluate` on `core.supervised`
  (`classify` re-exports)
- `annotate`, `motifs`, `interpret`, `variants`, `design` — see docs/dna_analysis.md
"""
