"""The ADMET panel: 22 TDC ADMET endpoints (LightGBM, shipped weights) + RDKit properties.

from helixforge.chem.admet import ADMETPanel
ADMETPanel().predict(["CCO"])          # see panel.py; the CLI is `helix chem admet`
"""

from __future__ import annotations

from helixforge.chem.admet.cards import ENDPOINT_NAMES, ENDPOINTS, Endpoint, endpoint_card
from helixforge.chem.admet.panel import ADMETPanel
from helixforge.chem.admet.physchem import PROPERTY_NAMES

__all__ = [
    "ENDPOINTS",
    "ENDPOINT_NAMES",
    "PROPERTY_NAMES",
    "ADMETPanel",
    "Endpoint",
    "endpoint_card",
    "predict_admet",
]


def predict_admet(*args, **kwargs):
    """`helix chem admet` as a function (see `helixforge.chem.admet.predict.predict_admet`)."""
    from helixforge.chem.admet.predict import predict_admet as _run

    return _run(*args, **kwargs)
