"""The panel's outputs on 208 molecules equal those recorded before the speed work.

`data/panel_outputs_208.csv.gz` holds `ADMETPanel().predict(...)` of 200 MOSES test molecules
(a seeded sample) plus 8 odd inputs (salts, a charged amine, explicit H, an empty and an
unparsable SMILES), written at commit 21b1bec, before the panel was made faster; its `.json`
names the weights they were made with. A model output is compared only while that endpoint's
weight file is unchanged, a percentile only while that column of the approved-drug reference
is unchanged, and the AD columns only while the AD reference is unchanged, so retraining one
endpoint skips exactly that endpoint. Physicochemical properties (no weights) are always
compared. Tolerance: float noise (relative 1e-9), not model error.

One row was re-recorded on purpose: 'c1ccccc1[H]' (explicit H), at commit 304734b, when the
standardizer began to drop hydrogens written as atoms; it now equals plain benzene (below).
The percentile columns were re-recorded at commit 1237126, when the approved-drug reference
was rebuilt (1,758 drugs parse with that standardizer, 1,755 before: every reference column
changed) and eight endpoints were retrained; the model columns of those eight are skipped.
At version 0.3.1 (the parent is the fragment with the most heavy atoms) four endpoints were
retrained, the approved-drug reference (1,755 drugs) and the AD reference rebuilt: the model
columns of the 14 endpoints retrained since 21b1bec, every percentile column and the AD columns
were re-recorded from the panel at that version (`re_recorded` in the .json); rows, canonical
SMILES, errors and properties are as first written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.admet import PROPERTY_NAMES, ADMETPanel
from helixforge.chem.admet.weights import WEIGHTS_DIR, read_manifest

DATA = Path(__file__).parent / "data"
TABLE = DATA / "panel_outputs_208.csv.gz"
KEY = DATA / "panel_outputs_208.json"


@pytest.fixture(scope="module")
def recorded() -> pd.DataFrame:
    df = pd.read_csv(TABLE, dtype=str, keep_default_na=False)
    for c in df.columns:
        if c.startswith("admet_") and c != "admet_in_domain":
            df[c] = pd.to_numeric(df[c].replace("", np.nan))
    return df


@pytest.fixture(scope="module")
def now(recorded) -> pd.DataFrame:
    return ADMETPanel().predict(recorded["smiles"].tolist())


@pytest.fixture(scope="module")
def key() -> dict:
    return json.loads(KEY.read_text())


def _reference_column_digests(panel: ADMETPanel) -> dict[str, str]:
    ref = panel.reference
    return {
        c: hashlib.sha256(ref.values[: ref.counts[c], j].astype(np.float32).tobytes()).hexdigest()
        for c, j in ref.columns.items()
    }


def _same(a: pd.Series, b: pd.Series) -> None:
    x, y = a.to_numpy(np.float64), b.to_numpy(np.float64)
    assert np.array_equal(np.isnan(x), np.isnan(y)), a.name
    ok = ~np.isnan(x)
    np.testing.assert_allclose(y[ok], x[ok], rtol=1e-9, atol=1e-12, err_msg=str(a.name))


def test_rows_canonical_smiles_and_errors_are_unchanged(recorded, now):
    assert len(now) == len(recorded) == 208
    assert now["smiles"].fillna("").tolist() == recorded["smiles"].tolist()
    assert now["canonical_smiles"].fillna("").tolist() == recorded["canonical_smiles"].tolist()
    assert now["error"].fillna("").tolist() == recorded["error"].tolist()
    assert list(now.columns) == list(recorded.columns)


def test_physicochemical_properties_are_unchanged(recorded, now):
    for name in PROPERTY_NAMES:
        _same(recorded[f"admet_{name}"], now[f"admet_{name}"])


def test_model_outputs_are_unchanged_for_every_endpoint_whose_weights_are(recorded, now, key):
    manifest = read_manifest(str(WEIGHTS_DIR))
    compared = 0
    for name, sha in key["models"].items():
        if manifest.get(f"{name}/model.txt.gz", {}).get("sha256") != sha:
            continue  # retrained since the table was written
        _same(recorded[f"admet_{name}"], now[f"admet_{name}"])
        compared += 1
    assert compared >= 11, "most endpoints should still carry the weights the table was made with"


def test_percentiles_are_unchanged_where_the_reference_column_is(recorded, now, key):
    digests = _reference_column_digests(ADMETPanel())
    compared = 0
    for name, sha in key["reference_columns"].items():
        if digests.get(name) == sha:
            _same(recorded[f"admet_{name}_pct"], now[f"admet_{name}_pct"])
            compared += 1
    assert compared >= len(PROPERTY_NAMES)  # property columns never change


def test_applicability_domain_is_unchanged(recorded, now, key):
    if read_manifest(str(WEIGHTS_DIR))["ad_bits.npy"]["sha256"] != key["ad_bits"]:
        pytest.skip("the AD reference was rebuilt since the table was written")
    _same(recorded["admet_ad_similarity"], now["admet_ad_similarity"])
    flag = now["admet_in_domain"].astype(object).where(now["admet_in_domain"].notna(), "")
    assert flag.astype(str).tolist() == recorded["admet_in_domain"].tolist()


def test_explicit_hydrogen_spelling_predicts_as_the_plain_molecule(now):
    from helixforge.chem.admet import ADMETPanel

    row = now[now["smiles"] == "c1ccccc1[H]"].iloc[0]
    plain = ADMETPanel().predict(["c1ccccc1"]).iloc[0]
    assert row["canonical_smiles"] == plain["canonical_smiles"] == "c1ccccc1"
    for c in now.columns:
        if c.startswith("admet_") and c != "admet_in_domain":
            assert row[c] == plain[c] or (np.isnan(row[c]) and np.isnan(plain[c])), c
