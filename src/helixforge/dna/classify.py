"""Train, apply and evaluate sequence classifiers / regressors (`helix dna train | predict |
evaluate`). The work lives in modules split by job; this module keeps the public names:

- `dna.reader`  — `read_sequence_input` / `load_sequence_table` (table, FASTA, BED + genome)
- `dna.train`   — `train_sequence_model` (split, resume key, staging, run directory)
- `dna.predict` — `predict_sequences`, `evaluate_sequences`
- `dna.outputs` — task inference, metrics, conformal columns, report and card (one naming)
"""

from helixforge.dna.outputs import apply_conformal, fit_conformal, infer_task
from helixforge.dna.predict import evaluate_sequences, predict_sequences
from helixforge.dna.reader import load_sequence_table, read_sequence_input
from helixforge.dna.train import drop_shared_sequences, train_sequence_model

__all__ = [
    "apply_conformal",
    "drop_shared_sequences",
    "evaluate_sequences",
    "fit_conformal",
    "infer_task",
    "load_sequence_table",
    "predict_sequences",
    "read_sequence_input",
    "train_sequence_model",
]
