"""Drug-likeness scores: QED (Bickerton 2012) and the SA score (Ertl & Schuffenhauer 2009).

Both come from RDKit: QED from `rdkit.Chem.QED` (weighted mean of eight desirability
functions, 0 = unattractive … 1 = attractive) and the synthetic accessibility score from the
SA_Score module that RDKit ships in its Contrib folder (`rdkit.Contrib.SA_Score.sascorer`,
1 = easy … 10 = very hard to make). The SA fragment contributions (`fpscores.pkl.gz`) are a
data file of the RDKit wheel, read once per process on first use; nothing is downloaded.

Invalid molecules (None) get NaN for both scores.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.inputs import mol_list
from helixforge.core.errors import DataUnavailableError


@functools.cache
def _sascorer() -> Any:
    """RDKit's Contrib SA_Score module, its fragment table loaded once per process."""
    try:
        from rdkit.Contrib.SA_Score import sascorer  # ships inside the rdkit wheel
    except ImportError as exc:  # pragma: no cover - depends on the rdkit build
        from rdkit import RDConfig

        raise DataUnavailableError(
            f"RDKit's SA_Score contribution is missing from {RDConfig.RDContribDir}",
            hint="install an RDKit build that includes Contrib/SA_Score (the PyPI 'rdkit' wheel does)",
        ) from exc
    if getattr(sascorer, "_fscores", None) is None:
        sascorer.readFragmentScores()
    return sascorer


def qed_scores(mols: Sequence[Any]) -> np.ndarray:
    """QED of each molecule (float64; NaN for None or when RDKit cannot score it): RDKit's
    `QED.qed` values, with its 116 structural alerts matched as one FilterCatalog call
    (`chem.admet.physchem.qed_values`; tests/chem/test_druglike.py checks equality)."""
    from helixforge.chem.admet.physchem import qed_values

    return qed_values(mol_list(mols, "qed_scores"))


def sa_scores(mols: Sequence[Any]) -> np.ndarray:
    """Synthetic accessibility score of each molecule, 1 (easy) … 10 (hard); NaN for None."""
    from helixforge.chem.fingerprints import hydrogen_free

    scorer = _sascorer()
    mols = mol_list(mols, "sa_scores")
    out = np.full(len(mols), math.nan)
    for i, mol in enumerate(mols):
        if mol is None:
            continue
        try:
            out[i] = scorer.calculateScore(hydrogen_free(mol))  # a [2H] is no rare fragment
        except Exception:  # noqa: BLE001
            pass
    return out


def drug_likeness(mols: Sequence[Any]) -> pd.DataFrame:
    """One row per molecule with float columns `qed` and `sa_score` (NaN for None).

    Example: ``drug_likeness([Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")])``
    → qed ≈ 0.55, sa_score ≈ 1.58.
    """
    mols = mol_list(mols, "drug_likeness")
    return pd.DataFrame({"qed": qed_scores(mols), "sa_score": sa_scores(mols)})
