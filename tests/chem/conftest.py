"""Tiny molecule tables made in the tests (no data mirror needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

_CORES = [
    "c1ccccc1",
    "c1ccncc1",
    "C1CCCCC1",
    "c1ccc2ccccc2c1",
    "C1CCNCC1",
    "c1ccoc1",
    "c1ccsc1",
    "C1CCOC1",
    "n1ccncc1",
    "C1CCC1",
    "C1CCCC1",
    "c1ccc2[nH]ccc2c1",
    "C1CCCCCC1",
    "c1cncnc1",
    "C1COCCN1",
    "c1ccc(cc1)-c1ccccc1",
]
_TAILS = ["C", "CCC", "O", "CCO", "N", "Cl", "C(=O)O", "C(N)=O"]


def tiny_smiles() -> list[str]:
    """128 distinct valid molecules over 16 ring scaffolds (8 each)."""
    return [c + t for c in _CORES for t in _TAILS]


def tiny_table(seed: int = 0) -> pd.DataFrame:
    """smiles, logp_like (regression from Crippen logP + noise), has_n (binary), tox (binary with gaps)."""
    from rdkit import Chem
    from rdkit.Chem import Crippen

    rng = np.random.default_rng(seed)
    smiles = tiny_smiles()
    logp = np.array([Crippen.MolLogP(Chem.MolFromSmiles(s)) for s in smiles])
    has_n = np.array(["N" in s or "n" in s for s in smiles], dtype=float)
    tox = (logp + rng.normal(0, 0.3, len(smiles)) > np.median(logp)).astype(float)
    tox[rng.random(len(smiles)) < 0.2] = np.nan
    return pd.DataFrame(
        {
            "id": [f"m{i}" for i in range(len(smiles))],
            "smiles": smiles,
            "logp_like": logp + rng.normal(0, 0.1, len(smiles)),
            "has_n": has_n,
            "tox": tox,
        }
    )


@pytest.fixture(scope="session")
def make_table():
    """The `tiny_table` function (tests call it with their own seed or edit a copy)."""
    return tiny_table


@pytest.fixture(scope="session")
def smiles_list() -> list[str]:
    return tiny_smiles()


@pytest.fixture(scope="session")
def fast_gbm() -> dict:
    """GBM parameters small enough for unit tests."""
    return dict(FAST_GBM)


@pytest.fixture
def table() -> pd.DataFrame:
    return tiny_table()


@pytest.fixture
def table_csv(tmp_path, table) -> str:
    path = tmp_path / "tiny.csv"
    table.to_csv(path, index=False)
    return str(path)


FAST_GBM = {"n_estimators": 30, "early_stopping_rounds": 10, "num_threads": 1}


def write_sd_file(frame: pd.DataFrame, path, *, items=(), title="id", broken=()) -> str:
    """`frame` as an SD file: one record per row (its `smiles`, `title` as the record title,
    each column of `items` as a data item; NaN / None = no item); the 1-based record numbers in
    `broken` are written as a block RDKit cannot read."""
    from rdkit import Chem

    blocks = []
    for n, (_, row) in enumerate(frame.iterrows(), start=1):
        if n in broken:
            blocks.append("broken\n  record\n\nM  END\n$$$$\n")
            continue
        mol = Chem.MolFromSmiles(row["smiles"])
        mol.SetProp("_Name", str(row[title]))
        block = Chem.MolToMolBlock(mol)
        for col in items:
            if pd.notna(row[col]):
                block += f">  <{col}>\n{row[col]}\n\n"
        blocks.append(block + "$$$$\n")
    with open(path, "w") as fh:
        fh.write("".join(blocks))
    return str(path)


@pytest.fixture(scope="session")
def sd_file():
    """The `write_sd_file` function."""
    return write_sd_file
