"""What each ADMET panel endpoint is: the TDC task, task type, unit, TDC metric, how to read the
score and a suggested cut-off (static, here), plus the trained numbers (test metric, training
size, trees) read from the shipped `weights/cards.json`.

    card = endpoint_card("herg")
    card.unit, card.metric, card.read, card.cutoff, card.trained["test"]["value"]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# TDC metric per task (TDC ADMET benchmark group; MAE for regression except Spearman for VDss,
# half-life and both clearances; AUROC or AUPRC for classification as TDC specifies).
_PROB = "probability (0–1)"


@dataclass(frozen=True)
class Endpoint:
    """Static description of one panel endpoint (a TDC ADMET benchmark-group task)."""

    name: str  # TDC task name, lower case; the column is admet_<name>
    title: str
    category: str  # Absorption, Distribution, Metabolism, Excretion, Toxicity
    task_type: str  # "binary" or "regression"
    unit: str
    metric: str  # TDC metric on the test split: mae, spearman, roc_auc, pr_auc
    read: str  # how to read the score
    cutoff: str  # suggested cut-off, in words
    cutoff_value: float | None = None  # the number, when one applies
    flag_above: bool | None = None  # True: a value above the cut-off is the concern
    trained: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def column(self) -> str:
        return f"admet_{self.name}"

    @property
    def higher_is_better_metric(self) -> bool:
        return self.metric != "mae"


# endpoints whose quantity has hard physical bounds a regression model can step over: the
# fraction bound to plasma proteins is a percentage (the GBM predicted up to 103 % on HIV
# molecules, 43 of 1,500 above 100 %, though no training label exceeds 99.95 %); the
# log-target endpoints (10**prediction) are positive by construction
PHYSICAL_RANGE: dict[str, tuple[float, float]] = {"ppbr_az": (0.0, 100.0)}


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "caco2_wang", "Caco-2 cell permeability", "Absorption", "regression",
        "log10(Papp / cm·s⁻¹)", "mae",
        "Apparent permeability through a Caco-2 monolayer; higher is more permeable.",
        "above -5.15 (Papp > 7×10⁻⁶ cm/s) usually counts as well permeable", -5.15, False,
    ),
    Endpoint(
        "hia_hou", "Human intestinal absorption", "Absorption", "binary", _PROB, "roc_auc",
        "Probability that the fraction absorbed in humans is high (HIA ≥ 30 %).",
        "below 0.5: poor absorption likely", 0.5, False,
    ),
    Endpoint(
        "pgp_broccatelli", "P-glycoprotein inhibition", "Absorption", "binary", _PROB, "roc_auc",
        "Probability that the molecule inhibits the P-gp efflux pump (drug–drug interactions).",
        "above 0.5: likely P-gp inhibitor", 0.5, True,
    ),
    Endpoint(
        "bioavailability_ma", "Oral bioavailability", "Absorption", "binary", _PROB, "roc_auc",
        "Probability that oral bioavailability F ≥ 20 %. The weakest endpoint (640 molecules,"
        " test AUROC ~0.7): use it for ranking, not decisions.",
        "below 0.5: low bioavailability likely", 0.5, False,
    ),
    Endpoint(
        "lipophilicity_astrazeneca", "Lipophilicity (logD7.4)", "Absorption", "regression",
        "logD at pH 7.4", "mae",
        "Octanol/water distribution coefficient at pH 7.4.",
        "1–3 is the usual oral-drug window; above 3 raises solubility, clearance and"
        " promiscuity risk", 3.0, True,
    ),
    Endpoint(
        "solubility_aqsoldb", "Aqueous solubility", "Absorption", "regression",
        "log10(S / mol·L⁻¹)", "mae",
        "Thermodynamic aqueous solubility (AqSolDB).",
        "below -4 (100 µM) is poorly soluble; below -6 very poorly", -4.0, False,
    ),
    Endpoint(
        "bbb_martins", "Blood–brain barrier penetration", "Distribution", "binary", _PROB,
        "roc_auc",
        "Probability that the molecule crosses the blood–brain barrier (wanted for CNS"
        " targets, unwanted otherwise).",
        "above 0.5: likely brain-penetrant", 0.5, None,
    ),
    Endpoint(
        "ppbr_az", "Plasma protein binding", "Distribution", "regression", "% bound", "mae",
        "Percentage of the drug bound to plasma proteins; only the free fraction acts.",
        "above 90 % is highly bound (free fraction < 10 %)", 90.0, True,
    ),
    Endpoint(
        "vdss_lombardo", "Volume of distribution (steady state)", "Distribution", "regression",
        "L/kg", "spearman",
        "Apparent volume the drug distributes into. Scored by rank (Spearman) on TDC: trust"
        " the order of molecules more than the absolute value.",
        "below 0.6 L/kg mostly stays in plasma/extracellular water; above 5 L/kg extensive"
        " tissue binding", None, None,
    ),
    Endpoint(
        "cyp2c9_veith", "CYP2C9 inhibition", "Metabolism", "binary", _PROB, "pr_auc",
        "Probability of inhibiting CYP2C9 (PubChem AID 1851 qHTS).",
        "above 0.5: likely inhibitor (drug–drug interaction risk)", 0.5, True,
    ),
    Endpoint(
        "cyp2d6_veith", "CYP2D6 inhibition", "Metabolism", "binary", _PROB, "pr_auc",
        "Probability of inhibiting CYP2D6 (PubChem AID 1851 qHTS).",
        "above 0.5: likely inhibitor (drug–drug interaction risk)", 0.5, True,
    ),
    Endpoint(
        "cyp3a4_veith", "CYP3A4 inhibition", "Metabolism", "binary", _PROB, "pr_auc",
        "Probability of inhibiting CYP3A4 (PubChem AID 1851 qHTS).",
        "above 0.5: likely inhibitor (drug–drug interaction risk)", 0.5, True,
    ),
    Endpoint(
        "cyp2c9_substrate_carbonmangels", "CYP2C9 substrate", "Metabolism", "binary", _PROB,
        "pr_auc",
        "Probability of being metabolised by CYP2C9 (669 molecules; weak endpoint).",
        "above 0.5: likely substrate", 0.5, None,
    ),
    Endpoint(
        "cyp2d6_substrate_carbonmangels", "CYP2D6 substrate", "Metabolism", "binary", _PROB,
        "pr_auc",
        "Probability of being metabolised by CYP2D6 (polymorphic enzyme: variable exposure).",
        "above 0.5: likely substrate", 0.5, None,
    ),
    Endpoint(
        "cyp3a4_substrate_carbonmangels", "CYP3A4 substrate", "Metabolism", "binary", _PROB,
        "roc_auc",
        "Probability of being metabolised by CYP3A4 (weak endpoint, test AUROC ~0.65).",
        "above 0.5: likely substrate", 0.5, None,
    ),
    Endpoint(
        "half_life_obach", "Half-life (human)", "Excretion", "regression", "hours",
        "spearman",
        "Terminal elimination half-life in humans. Scored by rank (Spearman) on TDC: a ranking"
        " signal, the absolute hours are rough.",
        "below 3 h usually needs more than once-daily dosing; compare molecules by rank",
        None, None,
    ),
    Endpoint(
        "clearance_hepatocyte_az", "Clearance (hepatocytes)", "Excretion", "regression",
        "µL/min/10⁶ cells", "spearman",
        "Intrinsic clearance in human hepatocytes. Scored by rank (Spearman): compare"
        " molecules, use the approved-drug percentile rather than the raw value.",
        "higher is faster metabolism; above the 75th approved-drug percentile is high",
        None, True,
    ),
    Endpoint(
        "clearance_microsome_az", "Clearance (liver microsomes)", "Excretion", "regression",
        "mL/min/g (= µL/min/mg protein)", "spearman",
        "Intrinsic clearance in human liver microsomes. Scored by rank (Spearman).",
        "higher is faster metabolism; above the 75th approved-drug percentile is high",
        None, True,
    ),
    Endpoint(
        "ld50_zhu", "Acute oral toxicity (rat LD50)", "Toxicity", "regression",
        "-log10(LD50 / mol·kg⁻¹)", "mae",
        "Rat acute oral toxicity; higher is MORE toxic (a lower lethal dose).",
        "above 3 (LD50 < 1 mmol/kg, i.e. < ~400 mg/kg at 400 Da) is acutely toxic", 3.0, True,
    ),
    Endpoint(
        "herg", "hERG blockade", "Toxicity", "binary", _PROB, "roc_auc",
        "Probability of blocking the hERG potassium channel (cardiac QT risk).",
        "above 0.5: likely hERG blocker", 0.5, True,
    ),
    Endpoint(
        "ames", "Ames mutagenicity", "Toxicity", "binary", _PROB, "roc_auc",
        "Probability of a positive Ames test (mutagenic).",
        "above 0.5: likely mutagenic", 0.5, True,
    ),
    Endpoint(
        "dili", "Drug-induced liver injury", "Toxicity", "binary", _PROB, "roc_auc",
        "Probability of causing liver injury in humans (475 drugs; coarse).",
        "above 0.5: DILI concern", 0.5, True,
    ),
)  # fmt: skip

ENDPOINT_NAMES: tuple[str, ...] = tuple(e.name for e in ENDPOINTS)
_BY_NAME = {e.name: e for e in ENDPOINTS}


def endpoint_card(name: str) -> Endpoint:
    """The static card of endpoint `name` with its trained numbers (from cards.json) attached."""
    from dataclasses import replace

    from helixforge.core.errors import ConfigError

    if name not in _BY_NAME:
        raise ConfigError(
            f"unknown ADMET endpoint {name!r}", hint=f"choose from {', '.join(ENDPOINT_NAMES)}"
        )
    from helixforge.chem.admet.weights import trained_cards

    return replace(_BY_NAME[name], trained=trained_cards().get(name, {}))


def metric_label(metric: str) -> str:
    """TDC's name for a metric."""
    return {"mae": "MAE", "spearman": "Spearman", "roc_auc": "AUROC", "pr_auc": "AUPRC"}[metric]


def cards_markdown(
    ours: dict[str, float | None] | None = None, admet_ai: dict[str, float | None] | None = None
) -> list[str]:
    """The model cards as markdown table lines (docs/admet.md): what, unit, TDC test metric
    (ours / ADMET-AI's published number), how to read the score, suggested cut-off. Without
    arguments the numbers come from the shipped cards.json."""
    rows = [
        "| endpoint (`admet_…`) | what | unit | TDC test: ours / ADMET-AI | how to read "
        "| suggested cut-off |",
        "|---|---|---|---|---|---|",
    ]
    for name in ENDPOINT_NAMES:
        card = endpoint_card(name)
        t = card.trained
        mine = (ours or {}).get(name, t.get("test"))
        theirs = (admet_ai or {}).get(name, t.get("admet_ai_tdc"))
        fmt = [f"{v:.3f}" if v is not None else "–" for v in (mine, theirs)]
        pos = t.get("positive_rate")
        pos = f" Positives in training: {pos:.0%}." if pos else ""
        rows.append(
            f"| `{name}` | {card.title} ({card.category}) | {card.unit} | "
            f"{metric_label(card.metric)} {fmt[0]} / {fmt[1]} | {card.read}{pos} | {card.cutoff} |"
        )
    return rows
