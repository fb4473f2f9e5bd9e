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


def test_the_summary_line_counts_rows_and_merged_repeats(tmp_path: Path):
    """'1 molecules (0 held out)' from a 50-row file: the 49 repeats merged into the one
    molecule were not accounted for anywhere on screen."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    base = tmp_path / "base"
    Prior.from_config(Vocabulary.build(CORPUS), {"hidden_size": 16, "num_layers": 1}).save(base)
    actives = tmp_path / "actives.csv"
    actives.write_text("smiles\n" + "CCO\nOCC\n" * 5 + "CCN\nC1CC\n")
    args = ["chem", "finetune-prior", str(actives), "--model", str(base), "-o",
            str(tmp_path / "ft"), "--epochs", "1", "--val-fraction", "0", "-q"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "2 molecules from 12 rows, 9 repeats of a molecule merged" in res.output
    assert "1 rows rejected" in res.output


def test_actives_in_an_sd_file_are_read_with_unreadable_records_as_error_rows(tmp_path: Path):
    """An SD file of actives (as ChEMBL exports them) was refused: 'an SD file is not read as
    a table'; chem train, screen and admet all read one."""
    from rdkit import Chem

    from helixforge.chem.generate.finetune import finetune_prior

    base = tmp_path / "base"
    Prior.from_config(Vocabulary.build(CORPUS), {"hidden_size": 16, "num_layers": 1}).save(base)
    sdf = tmp_path / "actives.sdf"
    with Chem.SDWriter(str(sdf)) as writer:
        for smiles in ("CCO", "CCN", "c1ccccc1"):
            writer.write(Chem.MolFromSmiles(smiles))
    records = sdf.read_text().split("$$$$\n")
    records[1] = records[1].replace("V2000", "V9999")  # record 2: RDKit cannot read it
    sdf.write_text("$$$$\n".join(records))
    s = finetune_prior(sdf, tmp_path / "ft", model=base, epochs=1, augment=1, val_fraction=0.0)
    assert (s["rows"], s["molecules"], s["errors"]) == (3, 2, 1)
    errors = (tmp_path / "ft" / "errors.csv").read_text().splitlines()
    assert errors[1].startswith(f"{sdf},2,smiles,")


def test_actives_in_a_table_with_an_smi_column_are_found(tmp_path: Path):
    """'id<TAB>smi' (a column train-prior reads as SMILES) was "column 'smiles' not found"."""
    from helixforge.chem.generate.finetune import finetune_prior

    base = tmp_path / "base"
    Prior.from_config(Vocabulary.build(CORPUS), {"hidden_size": 16, "num_layers": 1}).save(base)
    actives = tmp_path / "actives.tsv"
    actives.write_text("id\tSMI\na\tCCO\nb\tCCN\n")
    s = finetune_prior(actives, tmp_path / "ft", model=base, epochs=1, augment=1)
    assert s["molecules"] == 2
