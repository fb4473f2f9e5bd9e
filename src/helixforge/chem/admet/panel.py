"""`ADMETPanel`: the 22 TDC ADMET endpoints + RDKit physicochemical properties in one call.

    from helixforge.chem.admet import ADMETPanel

    panel = ADMETPanel()                              # all shipped endpoints + properties
    df = panel.predict(["CC(=O)Oc1ccccc1C(=O)O"])     # raw SMILES: standardize, then predict
    df["admet_herg"], df["admet_herg_pct"], df["admet_in_domain"]

    X = featurize(canonical, panel.feature_spec)     # callers that already featurized
    panel.predict_features(X)                         # model endpoints (+ pct, AD) from X

Columns: `admet_<endpoint>` (probability for classification endpoints, value in the TDC unit
for regression, see `cards.ENDPOINTS`), `admet_<property>` (physicochemical), with
`percentiles=True` also `admet_<name>_pct` (percentile, 0–100, among 1,755 ChEMBL approved
drugs), and `admet_ad_similarity` / `admet_in_domain` (max ECFP4 Tanimoto to the panel's AD
reference of training molecules, ≥ `reference.AD_THRESHOLD`, and no element the training
molecules lack; `predict_features` without `mols` checks the similarity only). Every model reads
ONE feature row per molecule (`feature_spec`; an endpoint that adds blocks reads all of it, the
others its leading columns), so each molecule is parsed and featurized once. An endpoint whose
meta.json lists `stack` endpoints also reads their predicted values, appended after its feature
columns (stacking; no shipped endpoint uses it yet, see docs/admet.md); those models run
first, also when only the stacked endpoint was asked for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helixforge.chem.admet.cards import ENDPOINT_NAMES, PHYSICAL_RANGE
from helixforge.chem.admet.physchem import PROPERTY_NAMES, physchem_columns
from helixforge.chem.admet.weights import WEIGHTS_DIR, available_endpoints, load_booster
from helixforge.chem.inputs import check_int, mol_list, smiles_list
from helixforge.core.errors import ConfigError, InputError, quoted

CANONICAL_COL = "canonical_smiles"


class ADMETPanel:
    """Shipped ADMET endpoint models + physicochemical properties (see module docstring).

    `endpoints`: names from `ENDPOINT_NAMES` and/or `PROPERTY_NAMES` (None = everything
    shipped); `percentiles`: add `_pct` columns; `domain`: add the applicability-domain
    columns; `n_threads`: LightGBM threads for prediction; `option`: how errors name the
    endpoint list (the CLI option the caller reads it from)."""

    def __init__(
        self,
        endpoints: Sequence[str] | str | None = None,
        percentiles: bool = True,
        domain: bool = True,
        n_threads: int = 1,
        weights: str | os.PathLike | None = None,
        option: str = "--endpoints",
    ):
        self.root = os.fspath(weights or WEIGHTS_DIR)
        shipped = available_endpoints(self.root)
        if isinstance(endpoints, str):
            endpoints = [e.strip() for e in endpoints.split(",") if e.strip()]
        elif isinstance(endpoints, set | frozenset):  # no order of its own: a fixed one
            endpoints = sorted(map(str, endpoints))
        elif endpoints is not None and not isinstance(endpoints, Sequence):
            raise ConfigError(
                f"{option}: expected endpoint names (a list, or a comma-separated string), got "
                f"{type(endpoints).__name__} {endpoints!r}",
                hint=_choices(),
            )
        if endpoints is None:
            names = [e for e in ENDPOINT_NAMES if e in shipped] + list(PROPERTY_NAMES)
        else:
            # 'HERG', ' herg', 'admet_herg' (the output column's name) all mean herg
            given: dict[str, str] = {}
            for e in endpoints:
                if str(e).strip():
                    given.setdefault(str(e).strip().lower().removeprefix("admet_"), str(e).strip())
            names = list(given)
            if not names:
                raise ConfigError(f"{option}: no endpoint given", hint=_choices())
            unknown = [
                given[n] for n in names if n not in ENDPOINT_NAMES and n not in PROPERTY_NAMES
            ]
            if unknown:
                raise ConfigError(f"{option}: unknown endpoint {quoted(unknown)}", hint=_choices())
            missing = [n for n in names if n in ENDPOINT_NAMES and n not in shipped]
            if missing:
                raise InputError(
                    f"{option}: no shipped weights for {quoted(missing)} in {self.root}",
                    hint="reinstall helixforge, or leave these endpoints out",
                )
        self.endpoints: list[str] = names
        self.model_endpoints = [n for n in names if n in ENDPOINT_NAMES]
        self.properties = [n for n in names if n in PROPERTY_NAMES]
        self.percentiles = bool(percentiles)
        self.domain = bool(domain)
        self.n_threads = check_int(n_threads, "n_threads", "ADMETPanel", minimum=0)
        self._models: dict = {}
        self._order: list[str] = []  # every loaded model, each after the ones it stacks on
        for n in self.model_endpoints:
            self._load(n, shipped, ())
        self.feature_spec = self._shared_spec()
        self._reference = None

    # ------------------------------------------------------------------ setup
    def _load(self, name: str, shipped: list[str], path: tuple[str, ...]) -> None:
        """Load endpoint `name` and, first, the endpoints its model stacks on."""
        if name in self._models:
            return
        if name in path:
            raise InputError(
                f"{self.root}: the endpoint models stack on each other in a cycle "
                f"({' -> '.join((*path, name))})",
                hint="reinstall helixforge (the shipped weights are inconsistent)",
            )
        booster, meta = load_booster(name, self.root)
        stack = meta.get("stack") or []
        if not isinstance(stack, list) or not all(isinstance(s, str) for s in stack):
            raise InputError(
                f"{self.root}/{name}/meta.json: 'stack' must be a list of endpoint names, "
                f"got {stack!r}",
                hint="reinstall helixforge (the shipped weights are inconsistent)",
            )
        bad = [s for s in stack if s not in ENDPOINT_NAMES or s not in shipped]
        if bad:
            raise InputError(
                f"{self.root}/{name}: its model stacks on {quoted(bad)}, "
                "which has no shipped weights",
                hint="reinstall helixforge (the shipped weights are inconsistent)",
            )
        for s in stack:
            self._load(s, shipped, (*path, name))
        self._models[name] = (booster, meta)
        self._order.append(name)

    def _shared_spec(self):
        """The one FeatureSpec computed per molecule: the widest endpoint spec. An endpoint
        may add feature blocks at the end (`extra`, e.g. "ionizable" where scaffold CV chose
        it); its model reads the leading columns of the shared row (`self._widths`)."""
        from dataclasses import replace

        from helixforge.chem.admet.weights import PANEL_FEATURES
        from helixforge.chem.featurize import FeatureSpec

        specs = {
            n: FeatureSpec.from_dict(meta["features"]) for n, (_, meta) in self._models.items()
        }
        if not specs:
            self._widths: dict[str, int] = {}
            return PANEL_FEATURES
        widest = max(specs.values(), key=lambda s: len(s.extra))
        for n, spec in specs.items():
            if replace(widest, extra=widest.extra[: len(spec.extra)]) != spec:
                raise InputError(
                    f"{self.root}: endpoint {n}'s FeatureSpec does not extend the panel's "
                    "shared one",
                    hint="reinstall helixforge (the shipped weights are inconsistent)",
                )
        self._widths = {n: len(spec.names()) for n, spec in specs.items()}
        for n, (booster, meta) in self._models.items():
            want = self._widths[n] + len(meta.get("stack") or [])
            if booster.num_feature() != want:
                raise InputError(
                    f"{self.root}/{n}: the model reads {booster.num_feature()} features; its "
                    f"FeatureSpec and stacked endpoints make {want}",
                    hint="reinstall helixforge (the shipped weights are inconsistent)",
                )
        return widest

    @property
    def reference(self):
        """Approved-drug reference values and AD fingerprints (loaded on first use)."""
        if self._reference is None:
            from helixforge.chem.admet.reference import Reference

            self._reference = Reference.load(self.root)
        return self._reference

    def columns(self) -> list[str]:
        """The output columns, in order."""
        cols = []
        for n in self.endpoints:
            cols += [f"admet_{n}"] + ([f"admet_{n}_pct"] if self.percentiles else [])
        if self.domain and self.model_endpoints:
            cols += ["admet_ad_similarity", "admet_in_domain"]
        return cols

    def model_key(self) -> dict[str, str]:
        """sha256 of every weight file this panel uses (for resume keys)."""
        from helixforge.chem.admet.weights import MANIFEST, read_manifest

        m = read_manifest(self.root)
        keep = {f"{n}/" for n in self._models}  # stacked-on models change outputs too
        out = {k: v["sha256"] for k, v in m.items() if any(k.startswith(p) for p in keep)}
        for k in ("reference.json", "reference.npy", "ad_bits.npy"):
            if k in m:
                out[k] = m[k]["sha256"]
        out[MANIFEST] = "v1"
        return out

    def model_inputs(self, Xs, values: dict[str, np.ndarray] | None = None):
        """(endpoint, booster, meta, its input matrix) per loaded model, each after the models
        it stacks on: the leading columns of `Xs` for an endpoint with fewer feature blocks
        than the shared row (one slice per width), then, for a stacked endpoint, the values
        of its `stack` endpoints, read from `values` when its turn comes (the caller stores
        each endpoint's values there as it goes; `endpoint_values` makes them)."""
        from scipy.sparse import csr_matrix, hstack

        leading = {Xs.shape[1]: Xs}
        for n in self._order:
            booster, meta = self._models[n]
            width = self._widths[n]
            if width not in leading:
                leading[width] = Xs[:, :width]
            Xn = leading[width]
            stack = meta.get("stack") or []
            if stack:
                if values is None or any(s not in values for s in stack):
                    raise InputError(
                        f"ADMETPanel.model_inputs: {n} needs the values of {stack}",
                        hint="pass a dict and store each endpoint's values in it as they come "
                        "(endpoint_values), as ADMETPanel.predict_features does",
                    )
                cols = np.column_stack([values[s] for s in stack]).astype(np.float32)
                Xn = hstack([csr_matrix(Xn), csr_matrix(cols)], format="csr")
            yield n, booster, meta, Xn

    # ------------------------------------------------------------------ prediction
    def predict_features(self, X: np.ndarray, mols: Sequence | None = None) -> pd.DataFrame:
        """Panel columns from feature rows computed with `feature_spec` (and the parsed
        molecules, needed only for the physicochemical properties)."""
        return pd.DataFrame(self._predict_arrays(X, mols), columns=self.columns())

    def _predict_arrays(self, X: np.ndarray, mols: Sequence | None) -> dict[str, np.ndarray]:
        """`predict_features` as {column: array} (no DataFrame in between)."""
        try:
            X = np.ascontiguousarray(X, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"ADMETPanel.predict_features: X is not a numeric matrix ({exc})",
                hint="pass featurize(smiles, panel.feature_spec)",
            ) from None
        if X.ndim != 2 or X.shape[1] != len(self.feature_spec.names()):
            raise InputError(
                f"feature matrix has shape {X.shape}; the panel needs "
                f"(n, {len(self.feature_spec.names())}) from ADMETPanel.feature_spec"
            )
        if mols is not None:
            mols = mol_list(mols, "ADMETPanel.predict_features")
            if len(mols) != len(X):
                raise InputError(
                    f"ADMETPanel.predict_features: {len(mols)} molecules for {len(X)} feature rows",
                    hint="pass one molecule per feature row, in the same order",
                )
        values: dict[str, np.ndarray] = {}
        # one CSR copy for all models: ~200 of ~4,200 features are non-zero, and LightGBM then
        # skips the dense row scan (same predictions, ~25 % less model time)
        from scipy.sparse import csr_matrix

        Xs = csr_matrix(X) if len(X) else X
        for n, booster, meta, Xn in self.model_inputs(Xs, values):
            values[n] = endpoint_values(n, booster.predict(Xn, num_threads=self.n_threads), meta)
        if self.properties:
            if mols is None:
                raise InputError(
                    "physicochemical properties need the molecules",
                    hint="call predict_smiles, or pass mols=, or choose model endpoints only",
                )
            # the feature row already holds Crippen logP, HBD and the stereo-centre count,
            # computed with the RDKit functions the properties use (counts exact in float32)
            names = self.feature_spec.names()
            shared = [
                X[:, names.index(c)] if c in names else None
                for c in ("CrippenLogP", "HBD", "StereoCenters")
            ]
            for c, v in physchem_columns(mols, self.properties, *shared).items():
                values[c[len("admet_") :]] = v
        out: dict[str, np.ndarray] = {}
        for n in self.endpoints:
            out[f"admet_{n}"] = values[n]
            if self.percentiles:
                out[f"admet_{n}_pct"] = self.reference.percentile(n, values[n])
        if self.domain and self.model_endpoints:
            sim = self.reference.ad_similarity(X, self.feature_spec)
            out["admet_ad_similarity"] = sim
            in_domain = sim >= self.reference.ad_threshold
            if mols is not None and len(X):  # an element no training molecule has: out of domain
                in_domain &= self.reference.known_elements(mols)
            out["admet_in_domain"] = in_domain
        return out

    def _smiles_arrays(self, smiles: list[str]) -> dict[str, np.ndarray]:
        """`predict_smiles` as {column: array}."""
        from helixforge.chem.featurize import featurize_mols

        mols = [parse_canonical(s) for s in smiles]
        bad = [i for i, m in enumerate(mols) if m is None]
        if bad:
            raise InputError(
                f"predict_smiles: SMILES {smiles[bad[0]]!r} (position {bad[0]}) does not parse"
                + (f" ({len(bad)} such)" if len(bad) > 1 else ""),
                hint="use ADMETPanel.predict for raw SMILES: rejected ones get an error column",
            )
        X = featurize_mols(mols, self.feature_spec)
        return self._predict_arrays(X, mols)

    def predict_smiles(self, canonical_smiles: Sequence[str]) -> pd.DataFrame:
        """Panel columns for standardized (canonical) SMILES: one parse and one feature row per
        molecule. A SMILES RDKit cannot parse is an InputError (use `predict` for raw input)."""
        smiles = smiles_list(canonical_smiles, "ADMETPanel.predict_smiles", "canonical_smiles")
        return pd.DataFrame(self._smiles_arrays(smiles), columns=self.columns())

    def predict(self, smiles: Sequence[str] | str) -> pd.DataFrame:
        """Raw SMILES → `smiles`, `canonical_smiles`, `error` and the panel columns; a SMILES
        the standardizer rejects keeps its row with the reason in `error` and NaN values.
        A canonical SMILES met twice is featurized and predicted once. A pandas Series keeps
        its index. It runs in this process, so a molecule that crashes RDKit or LightGBM
        (a segfault) ends it; `predict_admet(..., n_jobs=2)` sends such molecules to the
        errors table instead."""
        from helixforge.chem.standardize import standardize_many

        index = smiles.index if isinstance(smiles, pd.Series) else None
        smiles = smiles_list(smiles, "ADMETPanel.predict", allow_str=True)
        results = standardize_many(smiles)
        canonical = [c for c, _ in results]
        ok = np.array([c is not None for c in canonical], dtype=bool)
        unique = list(dict.fromkeys(c for c in canonical if c is not None))
        cols = self.columns()
        body: dict[str, object] = {}
        if unique:
            values = self._smiles_arrays(unique)
            pos = {c: i for i, c in enumerate(unique)}
            take = np.array([pos[c] for c in canonical if c is not None], dtype=np.intp)
        for c in cols:
            if c == "admet_in_domain":  # True / False, <NA> for rejected rows
                flag = pd.array([pd.NA] * len(smiles), dtype="boolean")
                if unique:
                    flag[ok] = values[c][take]
                body[c] = flag
                continue
            col = np.full(len(smiles), np.nan)
            if unique:
                col[ok] = values[c][take]
            body[c] = col
        head = {"smiles": smiles, CANONICAL_COL: canonical, "error": [r for _, r in results]}
        return pd.DataFrame({**head, **body}, index=index)


def endpoint_values(name: str, raw, meta: dict) -> np.ndarray:
    """A booster's raw predictions → the endpoint's values as the panel reports them (and as
    a model stacked on it reads them): 10**x for a log10 target, clipped to the physical range."""
    p = np.asarray(raw, dtype=np.float64)
    if meta.get("log_target"):
        p = 10.0**p
    if name in PHYSICAL_RANGE:  # boosting overshoots its labels' range (ppbr_az: 103 %)
        np.clip(p, *PHYSICAL_RANGE[name], out=p)
    return p


_DUMMY = None


def parse_canonical(smiles: str):
    """A standardizer's canonical SMILES → the molecule `featurize.mol_of` gives (None where it
    gives None), without its per-atom Python checks: parse unsanitized, sanitize, and refuse
    dummy atoms with one SMARTS match. Anything unusual goes through `mol_of` itself."""
    global _DUMMY
    from rdkit import Chem

    if not isinstance(smiles, str) or len(smiles) > 1000 or len(smiles.split()) != 1:
        from helixforge.chem.featurize import mol_of

        return mol_of(smiles)
    if _DUMMY is None:
        from helixforge.chem.standardize import quiet_rdkit

        quiet_rdkit()
        _DUMMY = Chem.MolFromSmarts("[#0]")
    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    if mol is None or mol.GetNumAtoms() == 0 or mol.HasSubstructMatch(_DUMMY):
        from helixforge.chem.featurize import mol_of

        return mol_of(smiles)
    try:
        Chem.SanitizeMol(mol)
    except Exception:  # noqa: BLE001 - RDKit raises several types; mol_of words the reason
        from helixforge.chem.featurize import mol_of

        return mol_of(smiles)
    return mol


def _choices() -> str:
    return f"endpoints: {', '.join(ENDPOINT_NAMES)}; properties: {', '.join(PROPERTY_NAMES)}"
