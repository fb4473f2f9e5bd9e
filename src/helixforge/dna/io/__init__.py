"""Genomic file formats — the one genome / FASTA / VCF path for every domain.

Public API (everything here is importable from `helixforge.dna.io`):

    Genome(path, keep_case=False)            indexed genome (pyfaidx; plain / bgzip / gzip FASTA)
        .fetch(chrom, start, end, strand="+") → str   0-based half-open; '-' = reverse complement
        .sequence(chrom) / genome[chrom]      → str   a whole contig (Mapping of name → sequence)
        .lengths {name: len}, .contigs, .resolve_contig(name), .notes, .close()
    read_fasta(path) / read_fastq(path) / read_sequences(path) → Iterator[SeqRecord]
        SeqRecord(id, description, seq, line, quality)
    write_fasta([(name, seq), ...], path, width=60) → Path      atomic; .gz compresses
    iter_vcf(path, errors=None, split_multiallelic=True) → Iterator[VcfAllele]   (pysam)
        VcfAllele(chrom, pos 1-based, id, ref, alt, allele, record, line)
    read_vcf(path, split_multiallelic=True, errors=None) → DataFrame   (same fields)
    read_bed(path, errors=None) / bed_to_sequences(bed, genome, flank=0, both_strands=False,
        errors=None) → DataFrame;  read_gff(path, types=None) / write_gff3(features, path)
    clean_sequence(seq, where=, iupac="error"|"n"|"keep", max_len=)  (from dna.sequence)

Coordinates: BED and everything returned in Python is 0-based, half-open; GFF/GTF files are
1-based closed (converted on read and write); VCF `pos` stays 1-based as in the file.
Every reader opens text through `helixforge.core.io.open_text` (plain / gzip / BGZF) or htslib,
so a truncated or corrupt compressed file is an `InputError` naming the file. A `Genome` never
trusts a stale `.fai` (see `dna.io.genome`). Reverse complement: `dna.sequence.reverse_complement`.
"""

from helixforge.dna.io.fasta import (
    FASTA_SUFFIXES,
    FASTQ_SUFFIXES,
    SeqRecord,
    is_fasta,
    is_fastq,
    read_fasta,
    read_fastq,
    read_sequences,
    write_fasta,
)
from helixforge.dna.io.genome import Genome, genome_cache_dir, is_bgzf, stale_index_reason
from helixforge.dna.io.intervals import (
    BED_COLUMNS,
    GFF_COLUMNS,
    bed_to_sequences,
    read_bed,
    read_gff,
    write_gff3,
)
from helixforge.dna.io.vcf import VcfAllele, iter_vcf, read_vcf
from helixforge.dna.sequence import clean_sequence, n_runs, soft_masked_fraction

__all__ = [
    "BED_COLUMNS",
    "FASTA_SUFFIXES",
    "FASTQ_SUFFIXES",
    "GFF_COLUMNS",
    "Genome",
    "SeqRecord",
    "VcfAllele",
    "bed_to_sequences",
    "clean_sequence",
    "genome_cache_dir",
    "is_bgzf",
    "is_fasta",
    "is_fastq",
    "iter_vcf",
    "n_runs",
    "read_bed",
    "read_fasta",
    "read_fastq",
    "read_gff",
    "read_sequences",
    "read_vcf",
    "soft_masked_fraction",
    "stale_index_reason",
    "write_fasta",
    "write_gff3",
]
