"""dna predict / evaluate read new inputs as the run read its training data."""

import numpy as np
import pandas as pd
import torch

from helixforge.dna.io import write_fasta
from helixforge.dna.predict import evaluate_sequences, predict_sequences
from helixforge.dna.train import train_sequence_model


def test_bed_inputs_get_the_runs_flank_and_iupac_policy_unless_given(tmp_path):
    """A model trained on BED intervals with --flank 5 was given the bare intervals by
    predict / evaluate (10 bases fewer, no word said), and one trained with --iupac n refused
    every row holding an R."""
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    genome = list(rng.choice(list("ACGT"), 4000))
    genome[100] = "R"  # inside the first interval
    write_fasta([("chr1", "".join(genome))], tmp_path / "g.fa")
    lines = ["#chrom\tstart\tend\tname\tlabel"]
    lines += [f"chr1\t{s}\t{s + 30}\tr{s}\t{k % 2}" for k, s in enumerate(range(90, 3900, 40))]
    (tmp_path / "peaks.bed").write_text("\n".join(lines) + "\n")
    common = {"genome": tmp_path / "g.fa"}
    train_sequence_model(
        tmp_path / "peaks.bed", model="cnn", out=tmp_path / "run", epochs=1, batch_size=32,
        threads=1, flank=5, iupac="n", **common,
    )  # fmt: skip

    def predicted(name, **options):
        out = tmp_path / f"{name}.csv"
        s = predict_sequences(tmp_path / "run", tmp_path / "peaks.bed", out, **common, **options)
        assert s["errors"] == 0
        return pd.read_csv(out)

    as_trained = predicted("default")
    assert set(as_trained["sequence"].str.len()) == {40}  # 30 + 2 × 5
    assert as_trained["sequence"][0][15] == "R"  # predicted (read as N, as in training)
    same = predicted("explicit", flank=5, iupac="n")
    assert as_trained.equals(same)
    bare = predicted("bare", flank=0)  # a value given is used
    assert set(bare["sequence"].str.len()) == {30}
    result = evaluate_sequences(tmp_path / "run", tmp_path / "peaks.bed", **common)
    assert result["n_scored"] == len(as_trained) and result["rows_rejected"] == 0
