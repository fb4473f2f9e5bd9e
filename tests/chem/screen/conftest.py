"""Two tiny trained runs (a regression and a classifier, few trees) and small libraries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

# Extra molecules that trip filters: a catechol and a Michael acceptor (PAINS / Brenk), a big
# lipophilic one (Lipinski), plus salts and duplicates that standardisation merges.
EXTRA = [
    "Oc1ccc(CCN)cc1O",
    "C=CC(=O)c1ccccc1",
    "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCc1ccc(cc1)C(=O)NCCCCCCCCCCCCCCCCCC",
    "c1ccccc1C(=O)[O-].[Na+]",
    "c1ccccc1C(=O)O",
]


@pytest.fixture(scope="session")
def runs(tmp_path_factory, make_table, fast_gbm) -> dict[str, Path]:
    """{"logp": regression run, "hasn": binary run} trained on the tiny table (gbm-fast)."""
    from helixforge.chem.train import train_property_model

    root = tmp_path_factory.mktemp("screen_runs")
    data = root / "train.csv"
    make_table().to_csv(data, index=False)
    out = {}
    for name, target in (("logp", "logp_like"), ("hasn", "has_n")):
        train_property_model(
            data, "smiles", [target], model="gbm-fast", model_params=fast_gbm,
            out=root / name, report=False,
        )  # fmt: skip
        out[name] = root / name
    return out


def library_frame(smiles_list: list[str], bad: int = 2) -> pd.DataFrame:
    """The tiny molecules, the EXTRA ones and `bad` unparsable SMILES, with ids."""
    smiles = list(smiles_list) + EXTRA + ["C1CC((", "not a smiles"][:bad]
    return pd.DataFrame({"id": [f"mol{i}" for i in range(len(smiles))], "smiles": smiles})


@pytest.fixture
def library(tmp_path, smiles_list) -> Path:
    """A 135-row CSV library (2 unparsable rows)."""
    path = tmp_path / "library.csv"
    library_frame(smiles_list).to_csv(path, index=False)
    return path
