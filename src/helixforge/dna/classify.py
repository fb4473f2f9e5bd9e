"""Train, apply and evaluate sequence classifiers / regressors (`helix dna train | predict |
evaluate`), on the supervised-run layer (`helixforge.core.supervised`). The work lives in
modules split by job; this module keeps the public names:

- `dna.reader`  — `read_sequence_input` / `load_sequence_table` (table, FASTA, BED + genome)
- `dna.splits`  — the chromosome split, separate valid/test files, `drop_shared_sequences`
- `dna.train`   — `train_sequence_model` (resume key, checkpoints, core run directory)
- `dna.predict` — `predict_sequences`, `evaluate_sequences`

Task detection, label encoding, conformal columns and metrics are core's
(`core.supervised.detect_task`, `encode_labels`, `prediction_columns`, `score_predictions`).
"""

from helixforge.dna.predict import evaluate_sequences, predict_sequences
from helixforge.dna.reader import load_sequence_table, read_sequence_input
from helixforge.dna.splits import drop_shared_sequences
from helixforge.dna.train import train_sequence_model

__all__ = [
    "drop_shared_sequences",
    "evaluate_sequences",
    "load_sequence_table",
    "predict_sequences",
    "read_sequence_input",
    "train_sequence_model",
]
