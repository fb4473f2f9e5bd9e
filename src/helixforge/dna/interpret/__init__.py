"""Why does a sequence model predict what it does: attributions, seqlets, motif matches, logos.

    scorer = as_scorer(model)                                # SequenceModel, nn.Module or callable
    attr = gradient_x_input(scorer, seqs)                    # (N, L, 4), reverse-complement averaged
    delta = ism(scorer, seqs)                                # (N, L, 4) alt − ref for every SNV
    seqlets = extract_seqlets(attr, seqs)                    # high-attribution windows
    clusters = cluster_seqlets(attr, seqs, seqlets)          # CWMs / PFMs of recurring seqlets
    hits = match_motif(clusters[0].pfm, load_jaspar())       # Tomtom-like comparison with JASPAR

Modules, by job: `scoring` (one-hot encoding, models as scorers, run directories),
`attributions` (ISM, gradient × input), `seqlets` (extraction and clustering), `matching`
(database comparison, logos), `pipeline` and `report` (the `helix dna interpret` verb).
"""

from helixforge.dna.interpret.attributions import (
    attribute,
    gradient_x_input,
    ism,
    ism_contributions,
)
from helixforge.dna.interpret.matching import MotifDatabase, logo_figure, match_motif
from helixforge.dna.interpret.pipeline import interpret, seqlet_pfm
from helixforge.dna.interpret.report import match_title
from helixforge.dna.interpret.scoring import (
    Scorer,
    _load_run_model,
    as_scorer,
    load_run_model,
    onehot_sequences,
    onehot_to_sequences,
)
from helixforge.dna.interpret.seqlets import SeqletCluster, cluster_seqlets, extract_seqlets

__all__ = [
    "MotifDatabase",
    "Scorer",
    "SeqletCluster",
    "_load_run_model",
    "as_scorer",
    "attribute",
    "cluster_seqlets",
    "extract_seqlets",
    "gradient_x_input",
    "interpret",
    "ism",
    "ism_contributions",
    "load_run_model",
    "logo_figure",
    "match_motif",
    "match_title",
    "onehot_sequences",
    "onehot_to_sequences",
    "seqlet_pfm",
]
