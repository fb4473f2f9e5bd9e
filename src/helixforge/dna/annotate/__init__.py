"""Per-base gene annotation: label every base of a genome as non-coding or protein-coding on
either strand, then turn the per-base calls into genes (GFF3).

    metrics = train_annotator("genome.fa.gz", "genes.gff.gz", holdout="0.2", out="runs/ann")
    genes = annotate_genome("runs/ann", "genome.fa.gz", out="genes.gff3", region="chr1:1-50000")

Modules, by job: `labels` (7 per-base classes from CDS features), `regions` (train/valid/test
split; 1-based inclusive CONTIG:START-END on the command line), `model` (the dilated CNN and
`GeneAnnotator`), `genes` (ORF-aware gene calling, GFF3), `evaluate` (per-base and gene
metrics), `train` (the run directory), `report`, `predict`.
"""

from helixforge.dna.annotate.evaluate import evaluate_regions, gene_metrics, per_base_metrics
from helixforge.dna.annotate.genes import call_genes, write_genes
from helixforge.dna.annotate.labels import CLASS_NAMES, N_CLASSES, cds_labels, true_genes
from helixforge.dna.annotate.model import AnnotatorConfig, AnnotatorNet, GeneAnnotator
from helixforge.dna.annotate.predict import annotate_genome
from helixforge.dna.annotate.regions import Region, parse_region, parse_regions, split_regions
from helixforge.dna.annotate.train import check_options, train_annotator

__all__ = [
    "CLASS_NAMES",
    "N_CLASSES",
    "AnnotatorConfig",
    "AnnotatorNet",
    "GeneAnnotator",
    "Region",
    "annotate_genome",
    "call_genes",
    "cds_labels",
    "check_options",
    "evaluate_regions",
    "gene_metrics",
    "parse_region",
    "parse_regions",
    "per_base_metrics",
    "split_regions",
    "train_annotator",
    "true_genes",
    "write_genes",
]
