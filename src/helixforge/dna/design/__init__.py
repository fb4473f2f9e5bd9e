"""Design DNA toward a model's prediction: edit a seed sequence, or sample from a language model.

    designs = design_sequences(model, ["ACGT…"], target=1, edits=5, method="beam", beam_width=8)
    designs = design_sequences(model, seeds, edits=3, keep_out=[(0, 20)], avoid_motifs=load_jaspar(ids=["MA0139.2"]))
    designs = sample_from_lm("models/dna-gpt", model, n=200, length=200, target=1)

Modules, by job: `edit` (greedy / beam / annealing edit search with motif constraints),
`sample` (language-model sampling), `pipeline` (the `helix dna design` verb's files).
In Python, `keep_out` ranges are 0-based half-open; on the command line `--keep-out` is
1-based inclusive (`parse_keep_out`), like every coordinate there.
"""

from helixforge.dna.design.edit import DESIGN_COLUMNS, METHODS, design_sequences, parse_keep_out
from helixforge.dna.design.pipeline import design_from_run, table_path, write_designs
from helixforge.dna.design.sample import sample_from_lm

__all__ = [
    "DESIGN_COLUMNS",
    "METHODS",
    "design_from_run",
    "design_sequences",
    "parse_keep_out",
    "sample_from_lm",
    "table_path",
    "write_designs",
]
