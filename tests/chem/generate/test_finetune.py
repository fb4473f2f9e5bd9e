"""`finetune_prior` without a held-out part: valid JSON, a message that says so, timings apart."""

from __future__ import annotations

import json
from pathlib import Path

from helixforge.chem.generate.prior import Prior
from helixforge.chem.generate.vocab import Vocabulary

CORPUS = ["CCO", "CCN", "c1ccccc1", "CC(=O)O", "CCOC", "c1ccncc1", "CCCl", "OCCO", "CC(C)O", "NCCN"]


def test_finetune_with_no_held_out_molecules_keeps_the_last_epoch(tmp_path: Path):
    from helixforge.chem.generate.finetune import finetune_prior

    base = tmp_path / "base"
    Prior.from_config(Vocabulary.build(CORPUS), {"hidden_size": 16, "num_layers": 1}).save(base)
    actives = tmp_path / "actives.csv"
    actives.write_text("smiles\n" + "\n".join(CORPUS) + "\n")
    said: list[str] = []
    s = finetune_prior(actives, tmp_path / "ft", model=base, epochs=2, augment=2, seed=0,
                       val_fraction=0.0, log=said.append)  # fmt: skip
    assert s["held_out"] == 0 and s["best_epoch"] == 2
    assert s["val_nll_best"] is None and not any("nan" in line for line in said)
    summary = json.loads((tmp_path / "ft" / "summary.json").read_text())  # strict JSON: no NaN
    assert summary["val_nll_before"] is None and "seconds" not in summary
    assert json.loads((tmp_path / "ft" / "timings.json").read_text())["seconds"] >= 0
