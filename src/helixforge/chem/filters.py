"""Medicinal-chemistry filters: property rules, structural alerts and drug-likeness cut-offs.

`apply_filters(mols, "lipinski,pains")` returns one row per molecule with a bool column
`pass_<name>` per requested filter and an `alerts` column naming what fired, for example
``lipinski:MW>500|lipinski:HBA>10|pains:catechol_A(92)|brenk:Michael_acceptor_1``
(empty when every requested filter passed; ``invalid`` for a molecule that is None).

Filters (FILTER_NAMES):

- ``lipinski`` — rule of five (Lipinski 1997): MW ≤ 500, Crippen logP ≤ 5, HBD (NH + OH) ≤ 5,
  HBA (N + O) ≤ 10; passes with at most `FilterOptions.lipinski_max_violations` (default 1,
  as the rule is usually applied; 0 gives medchem's strict `rule_of_five`).
- ``veber`` — rotatable bonds ≤ 10 and TPSA ≤ 140 Å² (Veber 2002).
- ``ghose`` — MW 160–480, logP −0.4–5.6, atoms incl. H 20–70, molar refractivity 40–130 (Ghose 1999).
- ``egan`` — logP ≤ 5.88 and TPSA ≤ 131.6 Å² (Egan 2000).
- ``reos`` — MW 200–500, logP −5–5, HBD 0–5, HBA 0–10, formal charge −2–2, rotatable bonds 0–8,
  heavy atoms 15–50 (Waters & Namchuk 2003).
- ``pains`` / ``brenk`` / ``nih`` — RDKit FilterCatalog alert sets (PAINS A+B+C, Baell 2010;
  Brenk 2008 unwanted groups; NIH MLSMR excluded functionality). Pass = no alert matched;
  every matching alert is named by its catalog description.
- ``qed`` — QED ≥ `qed_min` (default 0.5, halfway on QED's 0–1 scale; Bickerton's
  "attractive" compounds average 0.67); adds a float column ``qed``.
- ``sa`` — SA score ≤ `sa_max` (default 6.0: 1 easy … 10 hard; Ertl reports most catalogue
  and bioactive molecules below 6); adds a float column ``sa_score``.

Rule thresholds were checked against the `medchem` package (datamol): on 1,000 MOSES molecules
lipinski (with lipinski_max_violations=0), veber and reos agree with medchem's rule_of_five /
rule_of_veber / rule_of_reos on every molecule. Two deliberate differences: ghose counts atoms
including hydrogens, as Ghose 1999 does (medchem's rule_of_ghose counts heavy atoms only), and
egan is SwissADME's reading of Egan 2000 (logP ≤ 5.88, TPSA ≤ 131.6) where medchem uses a box
(TPSA 0–132, logP −1–6). medchem itself is not a dependency: every rule here is a few
descriptor comparisons and the alert sets are RDKit's own FilterCatalog, which medchem wraps. The property rules are vectorised
(descriptors computed once per molecule and shared by all requested rules, thresholds applied
with NumPy); catalogs are built once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.inputs import mol_list
from helixforge.core.errors import ConfigError, quoted

RULE_FILTERS = ("lipinski", "veber", "ghose", "egan", "reos")
ALERT_FILTERS = ("pains", "brenk", "nih")
SCORE_FILTERS = ("qed", "sa")
FILTER_NAMES: tuple[str, ...] = (
    "lipinski",
    "veber",
    "pains",
    "brenk",
    "nih",
    "qed",
    "sa",
    "ghose",
    "egan",
    "reos",
)
INVALID_ALERT = "invalid"


@dataclass(frozen=True)
class FilterOptions:
    """Thresholds that can be changed; the defaults are the documented ones above."""

    lipinski_max_violations: int = 1
    qed_min: float = 0.5
    sa_max: float = 6.0

    def __post_init__(self) -> None:
        if not 0 <= int(self.lipinski_max_violations) <= 3:
            raise ConfigError(
                f"lipinski_max_violations must be 0–3, got {self.lipinski_max_violations!r}",
                hint="0 = all four criteria must hold; 1 = the usual 'at most one violation'",
            )
        if not 0.0 <= float(self.qed_min) <= 1.0:
            raise ConfigError(f"qed_min must be within 0–1, got {self.qed_min!r}")
        if not 1.0 <= float(self.sa_max) <= 10.0:
            raise ConfigError(f"sa_max must be within 1–10, got {self.sa_max!r}")


def check_filter_names(names: str | Iterable[str] | None) -> tuple[str, ...]:
    """Validated filter names: "lipinski,pains" or ["lipinski", "pains"] → ("lipinski", "pains").

    Case and surrounding spaces are ignored, duplicates dropped (first position kept);
    an unknown name raises ConfigError listing the valid ones.
    """
    if names is None:
        return ()
    if not isinstance(names, str) and not isinstance(names, Iterable):
        raise ConfigError(
            f"filter names must be a comma-separated string or a list of names, not "
            f"{type(names).__name__} {names!r}",
            hint=f"choose from {', '.join(FILTER_NAMES)}",
        )
    parts = (
        names.split(",")
        if isinstance(names, str)
        else [p for n in names for p in str(n).split(",")]
    )
    out: list[str] = []
    unknown: list[str] = []
    for part in parts:
        name = part.strip().lower()
        if not name:
            continue
        if name not in FILTER_NAMES:
            unknown.append(part.strip())
        elif name not in out:
            out.append(name)
    if unknown:
        raise ConfigError(
            f"unknown filter name(s): {quoted(unknown)}",
            hint=f"choose from {', '.join(FILTER_NAMES)} (comma-separated, e.g. --filters lipinski,pains)",
        )
    return tuple(out)


# --- property rules ------------------------------------------------------------------------

_DESCRIPTORS: dict[str, Callable[[Any], float]] = {}


def _descriptor_functions() -> dict[str, Callable[[Any], float]]:
    if not _DESCRIPTORS:
        from rdkit.Chem import Crippen, Descriptors, rdMolDescriptors

        _DESCRIPTORS.update(
            mw=Descriptors.MolWt,
            logp=Crippen.MolLogP,
            mr=Crippen.MolMR,
            hbd_lipinski=rdMolDescriptors.CalcNumLipinskiHBD,
            hba_lipinski=rdMolDescriptors.CalcNumLipinskiHBA,
            hbd=rdMolDescriptors.CalcNumHBD,
            hba=rdMolDescriptors.CalcNumHBA,
            tpsa=rdMolDescriptors.CalcTPSA,
            rotb=rdMolDescriptors.CalcNumRotatableBonds,
            heavy=lambda m: m.GetNumHeavyAtoms(),
            atoms_h=lambda m: m.GetNumAtoms() + sum(a.GetTotalNumHs() for a in m.GetAtoms()),
            charge=lambda m: sum(a.GetFormalCharge() for a in m.GetAtoms()),
        )
    return _DESCRIPTORS


# Each criterion: (label, descriptor, lower bound or None, upper bound or None); a violation is
# reported as "<label><<lo>" or "<label>><hi>", e.g. "MW>500", "LogP<-0.4".
_RULES: dict[str, tuple[tuple[str, str, float | None, float | None], ...]] = {
    "lipinski": (
        ("MW", "mw", None, 500),
        ("LogP", "logp", None, 5),
        ("HBD", "hbd_lipinski", None, 5),
        ("HBA", "hba_lipinski", None, 10),
    ),
    "veber": (("RotB", "rotb", None, 10), ("TPSA", "tpsa", None, 140)),
    "ghose": (
        ("MW", "mw", 160, 480),
        ("LogP", "logp", -0.4, 5.6),
        ("Atoms", "atoms_h", 20, 70),
        ("MR", "mr", 40, 130),
    ),
    "egan": (("LogP", "logp", None, 5.88), ("TPSA", "tpsa", None, 131.6)),
    "reos": (
        ("MW", "mw", 200, 500),
        ("LogP", "logp", -5, 5),
        ("HBD", "hbd", None, 5),
        ("HBA", "hba", None, 10),
        ("Charge", "charge", -2, 2),
        ("RotB", "rotb", None, 8),
        ("Heavy", "heavy", 15, 50),
    ),
}


def rule_descriptors(mols: Sequence[Any], rules: Iterable[str]) -> dict[str, np.ndarray]:
    """The descriptors the given rules need, one float array each (NaN for None molecules)."""
    mols = mol_list(mols, "rule_descriptors")
    rules = [rules] if isinstance(rules, str) else list(rules)
    unknown = [r for r in rules if r not in _RULES]
    if unknown:
        raise ConfigError(
            f"unknown property rule(s): {quoted(unknown)}", hint=f"choose from {', '.join(_RULES)}"
        )
    funcs = _descriptor_functions()
    needed = sorted({d for r in rules for _, d, _, _ in _RULES[r]})
    out = {d: np.full(len(mols), np.nan) for d in needed}
    for i, mol in enumerate(mols):
        if mol is None:
            continue
        for d in needed:
            out[d][i] = funcs[d](mol)
    return out


def _rule_violations(rule: str, desc: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """(label, bool mask of molecules violating it) for each bound of each criterion of `rule`."""
    out = []
    for label, d, lo, hi in _RULES[rule]:
        if lo is not None:
            out.append((f"{label}<{lo:g}", desc[d] < lo))
        if hi is not None:
            out.append((f"{label}>{hi:g}", desc[d] > hi))
    return out


# --- structural alerts ---------------------------------------------------------------------

_CATALOG_IDS = {"pains": "PAINS", "brenk": "BRENK", "nih": "NIH"}


@functools.cache
def alert_catalog(name: str) -> Any:
    """The RDKit FilterCatalog for an alert set ('pains', 'brenk', 'nih'), built once per process."""
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    if name not in _CATALOG_IDS:
        raise ConfigError(
            f"unknown structural alert set {name!r}", hint=f"choose from {', '.join(_CATALOG_IDS)}"
        )
    params = FilterCatalogParams()
    params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, _CATALOG_IDS[name]))
    return FilterCatalog(params)


def structural_alerts(mols: Sequence[Any], name: str) -> list[list[str]]:
    """Per molecule, the descriptions of every alert of set `name` it matches (sorted, unique)."""
    catalog = alert_catalog(name)
    mols = mol_list(mols, "structural_alerts")
    out: list[list[str]] = []
    for mol in mols:
        if mol is None:
            out.append([])
            continue
        out.append(sorted({entry.GetDescription() for entry in catalog.GetMatches(mol)}))
    return out


# --- the one entry point -------------------------------------------------------------------


def apply_filters(
    mols: Sequence[Any],
    names: str | Iterable[str],
    options: FilterOptions | None = None,
    **thresholds: Any,
) -> pd.DataFrame:
    """Run the named filters on RDKit molecules (None allowed) and say what fired.

    Returns one row per molecule: `pass_<name>` (bool) per filter in the order given,
    `qed` / `sa_score` (float) when those filters are asked for, and `alerts` (str):
    ``<filter>:<rule or alert>`` joined by ``|`` for each failed filter (rule filters list
    every violated criterion; alert filters every matched alert), ``invalid`` for None.
    Thresholds come from `options` or keyword overrides (``qed_min=0.6``).

    Example: ``apply_filters([Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")], "lipinski,pains")``
    → pass_lipinski True, pass_pains True, alerts "".
    """
    filters = check_filter_names(names)
    if not filters:
        raise ConfigError("no filter names given", hint=f"choose from {', '.join(FILTER_NAMES)}")
    opts = options or FilterOptions()
    if thresholds:
        try:
            opts = FilterOptions(**{**opts.__dict__, **thresholds})
        except TypeError as exc:
            raise ConfigError(
                f"unknown threshold(s): {quoted(sorted(set(thresholds) - set(opts.__dict__)))}",
                hint=f"choose from {', '.join(opts.__dict__)}",
            ) from exc
    from helixforge.chem.fingerprints import hydrogen_free

    # rules and alerts see heavy atoms: the D of a deuterated drug are hydrogens, not atoms
    # that add rotatable bonds or match an alert
    mols = [hydrogen_free(m) for m in mol_list(mols, "apply_filters")]
    n = len(mols)
    valid = np.fromiter((m is not None for m in mols), dtype=bool, count=n)
    alerts: list[list[str]] = [[] if ok else [INVALID_ALERT] for ok in valid]
    columns: dict[str, Any] = {}

    def add_alerts(prefix: str, fired: Callable[[int], Iterable[str]], failed: np.ndarray) -> None:
        for i in np.flatnonzero(failed & valid):  # only failing molecules pay for their labels
            alerts[i].extend(f"{prefix}:{a}" for a in fired(i))

    rules = [f for f in filters if f in RULE_FILTERS]
    desc = rule_descriptors(mols, rules) if rules else {}
    scores: dict[str, np.ndarray] = {}
    for name in filters:
        if name in RULE_FILTERS:
            violations = _rule_violations(name, desc)
            count = np.sum([bad for _, bad in violations], axis=0)
            allowed = int(opts.lipinski_max_violations) if name == "lipinski" else 0
            passed = valid & (count <= allowed)
            add_alerts(name, lambda i, v=violations: [lab for lab, bad in v if bad[i]], ~passed)
        elif name in ALERT_FILTERS:
            hits = structural_alerts(mols, name)
            passed = valid & np.fromiter((not h for h in hits), dtype=bool, count=n)
            add_alerts(name, hits.__getitem__, ~passed)
        elif name == "qed":
            from helixforge.chem.druglike import qed_scores

            scores["qed"] = values = qed_scores(mols)
            passed = valid & (np.nan_to_num(values, nan=-1.0) >= opts.qed_min)
            add_alerts(name, lambda i, v=values: [f"{v[i]:.2f}<{opts.qed_min:g}"], ~passed)
        else:  # sa
            from helixforge.chem.druglike import sa_scores

            scores["sa_score"] = values = sa_scores(mols)
            passed = valid & (np.nan_to_num(values, nan=99.0) <= opts.sa_max)
            add_alerts(name, lambda i, v=values: [f"{v[i]:.2f}>{opts.sa_max:g}"], ~passed)
        columns[f"pass_{name}"] = passed
    columns.update(scores)
    columns["alerts"] = ["|".join(a) for a in alerts]
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def drug_likeness(mols: Sequence[Any]) -> pd.DataFrame:
    """QED and SA score per molecule (columns `qed`, `sa_score`; NaN for None)."""
    from helixforge.chem.druglike import drug_likeness as _drug_likeness

    return _drug_likeness(mols)
